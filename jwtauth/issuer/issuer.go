package issuer

import (
	"sync"
	"sync/atomic"

	"github.com/authkit-go/authkit/jwtauth"
)

// Issuer mints tokens and runs login sessions: short-lived access tokens,
// and with [Issuer.Login] a session whose rotating refresh tokens
// [Issuer.Refresh] exchanges, which [Issuer.Logout], [Issuer.RevokeSession]
// and [Issuer.RevokeSubject] end. It holds one active signing key, keys
// published ahead of a rotation, and retired keys that still verify until
// they are removed, so that keys rotate without logging anyone out. An
// Issuer is safe for concurrent use.
type Issuer struct {
	cfg   Config
	store Store
	mu    sync.Mutex // serialises Publish, Rotate and Retire
	state atomic.Pointer[state]

	keys        *jwtauth.KeyRing    // access keys, with the store: Keys()
	refreshKeys *jwtauth.KeyRing    // refresh keys
	refreshMW   *jwtauth.Middleware // reads refresh tokens
	// fixedRefresh signs refresh tokens when the active key derives none:
	// RefreshSecret's, or a random one of this process.
	fixedRefresh *signer

	checker     *jwtauth.Middleware // see checkToken
	checkSigner *signer

	dpop *jwtauth.DPoPVerifier // verifies proofs at login and refresh

	fleet *fleet // fleet mode (Config.Rotation); nil otherwise
}

// New validates cfg and returns an Issuer. Errors match jwtauth.ErrConfig.
func New(cfg Config) (*Issuer, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	i := &Issuer{cfg: cfg, store: cfg.Store}
	secret := cfg.RefreshSecret
	if len(secret) == 0 {
		secret = randomSecret()
		i.cfg.RefreshSecret = nil
	}
	if i.fixedRefresh, err = refreshSigner(secret, "RefreshSecret"); err != nil {
		return nil, err
	}
	check := randomSecret()
	i.checkSigner = &signer{alg: "HS256", key: check, header: encodeHeader("HS256", "c", "JWT")}
	ring, err := jwtauth.NewKeyRing(nil, jwtauth.VerificationKey{Algorithm: "HS256", ID: "c", Key: check})
	if err != nil {
		return nil, err
	}
	if i.checker, err = jwtauth.New(jwtauth.Config{Keys: ring, DisableCache: true, InsecureAnyAudience: true, MaxTokenSize: 64 << 10}); err != nil {
		return nil, err
	}
	if i.dpop, err = i.newDPoP(); err != nil {
		return nil, err
	}
	if cfg.Rotation != nil {
		// Last: from here on a goroutine runs, which Close ends.
		if err := i.startFleet(*cfg.Rotation); err != nil {
			return nil, err
		}
	} else {
		active, err := i.newSigner(cfg.Key, "Key")
		if err != nil {
			return nil, err
		}
		if err := i.install(&state{active: active}); err != nil {
			return nil, err
		}
	}
	i.refreshMW, err = jwtauth.New(jwtauth.Config{
		Keys: i.refreshKeys, Issuer: cfg.Issuer, Audience: cfg.Audience,
		Type: jwtauth.RefreshTokenType, RequiredClaims: []string{"sid", "sub", "gen"},
		Now: cfg.Now, DisableCache: true,
	})
	if err != nil {
		i.Close()
		return nil, err
	}
	return i, nil
}
