package issuer

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// DPoPProof is the DPoP proof (RFC 9449 §5) of a token request: the DPoP
// header's value, the request's method, and the token endpoint's URL. Pass
// the URL as the endpoint is published ("https://auth.example.com/token"),
// not as rebuilt from the request's Host.
type DPoPProof struct {
	Proof  string
	Method string
	URL    string
}

// LoginDPoP is [Issuer.Login] for a client that proves possession of a key
// (RFC 9449 §5): the access tokens of the session are bound to the proof's
// key (cnf.jkt), and so is the session: its refresh tokens carry the key's
// thumbprint, and [Issuer.RefreshDPoP] refreshes them only with a proof of
// the same key, so a stolen refresh token is useless without the key. A bad
// proof fails with an error matching jwtauth.ErrDPoPProof (answer 400
// invalid_dpop_proof), or jwtauth.ErrDPoPNonce when nonces are on (answer
// 400 use_dpop_nonce with [Issuer.DPoPNonce] in a DPoP-Nonce header).
func (i *Issuer) LoginDPoP(ctx context.Context, subject string, claims map[string]any, proof DPoPProof, opts ...LoginOption) (*Tokens, error) {
	start := time.Now()
	t, err := i.loginDPoP(ctx, subject, claims, proof, opts...)
	if i.cfg.Observer != nil {
		i.observe(ctx, EventLogin, start, err)
	}
	return t, err
}

func (i *Issuer) loginDPoP(ctx context.Context, subject string, claims map[string]any, proof DPoPProof, opts ...LoginOption) (*Tokens, error) {
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	jkt, err := i.dpop.Verify(ctx, proof.Proof, proof.Method, proof.URL, "")
	if err != nil {
		return nil, err
	}
	return i.login(ctx, subject, claims, jkt, opts...)
}

// RefreshDPoP is [Issuer.Refresh] with a DPoP proof: the new access token
// is bound to the proof's key. For a session started by [Issuer.LoginDPoP],
// the proof must be of the session's key: a proof of another key fails with
// jwtauth.ErrDPoPBinding, and so does a plain Refresh, without a proof. A
// session started without DPoP may be refreshed with a proof (the access
// token is then bound) or without.
func (i *Issuer) RefreshDPoP(ctx context.Context, refreshToken string, proof DPoPProof) (*Tokens, error) {
	start := time.Now()
	t, err := i.refresh(ctx, refreshToken, &proof)
	if i.cfg.Observer != nil {
		i.observe(ctx, EventRefresh, start, err)
	}
	return t, err
}

// DPoPNonce returns a current nonce for a DPoP-Nonce response header, when
// Config.DPoP.Nonces is set; "" otherwise.
func (i *Issuer) DPoPNonce() string { return i.dpop.Nonce() }

// checkRefreshProof checks the proof of a refresh against the refresh
// token's binding. It returns the token's thumbprint (bound) and the one
// the new access token is bound to (jkt), before anything changes.
func (i *Issuer) checkRefreshProof(ctx context.Context, c *jwtauth.Claims, proof *DPoPProof) (bound, jkt string, err error) {
	bound = c.Thumbprint()
	if _, hasCnf := c.Value("cnf"); hasCnf && bound == "" {
		return "", "", jwtauth.ErrDPoPBinding
	}
	if proof == nil {
		if bound != "" {
			return "", "", jwtauth.ErrDPoPBinding
		}
		return "", "", nil
	}
	if jkt, err = i.dpop.Verify(ctx, proof.Proof, proof.Method, proof.URL, ""); err != nil {
		return "", "", err
	}
	if bound != "" && jkt != bound {
		return "", "", jwtauth.ErrDPoPBinding
	}
	return bound, jkt, nil
}

// newDPoP makes the verifier of Config.DPoP.
func (i *Issuer) newDPoP() (*jwtauth.DPoPVerifier, error) {
	var dc jwtauth.DPoPConfig
	if i.cfg.DPoP != nil {
		dc = *i.cfg.DPoP
	}
	if dc.Replay == nil {
		if rc, ok := i.store.(jwtauth.ReplayCache); ok {
			dc.Replay = rc
		}
	}
	if dc.Now == nil {
		dc.Now = i.cfg.Now
	}
	v, err := jwtauth.NewDPoPVerifier(dc)
	if err != nil {
		return nil, configError("DPoP: %w", err)
	}
	return v, nil
}

// appendCnf appends ,"cnf":{"jkt":"…"} when jkt is not "".
func appendCnf(p []byte, jkt string) []byte {
	if jkt == "" {
		return p
	}
	v, _ := json.Marshal(jkt) // a string always marshals
	p = append(p, `,"cnf":{"jkt":`...)
	p = append(p, v...)
	return append(p, '}')
}

func (cfg Config) accessTokenType() string {
	if cfg.AccessTokenType == "" {
		return "JWT"
	}
	return cfg.AccessTokenType
}

// replayOnce is the DPoP replay cache of a MemoryStore, made at first use.
type replayOnce struct {
	once  sync.Once
	cache jwtauth.ReplayCache
}

var _ jwtauth.ReplayCache = (*MemoryStore)(nil)

// Once implements [jwtauth.ReplayCache], so that a token endpoint and the
// resource servers of one process share one record of the DPoP proofs
// seen: an in-memory cache as jwtauth.NewReplayCache(0, 0) makes.
func (m *MemoryStore) Once(ctx context.Context, jkt, jti string, now, until time.Time) (bool, error) {
	m.replay.once.Do(func() { m.replay.cache = jwtauth.NewReplayCache(0, 0) })
	return m.replay.cache.Once(ctx, jkt, jti, now, until)
}
