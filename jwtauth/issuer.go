package jwtauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
)

// SigningKey is a key an [Issuer] signs with.
type SigningKey struct {
	// Algorithm is one of HS256, HS384, HS512, RS256, RS384, RS512, PS256,
	// PS384, PS512, ES256, ES384, ES512, EdDSA. Required.
	Algorithm string

	// Key is the secret ([]byte, at least as long as the hash) for HS*, or a
	// crypto.Signer for the others: *rsa.PrivateKey (≥ 2048 bits),
	// *ecdsa.PrivateKey on the algorithm's curve, ed25519.PrivateKey, or a
	// signer backed by a KMS or HSM. Required. A secret is copied.
	Key any

	// ID is the kid put in tokens and the JWK Set. Default: the RFC 7638
	// thumbprint of a public key; for a secret, a value derived from it by
	// HMAC that reveals nothing about it.
	ID string
}

// IssuerConfig configures an [Issuer]. Key is required; the rest have safe
// defaults. [NewIssuer] validates and copies it.
type IssuerConfig struct {
	// Key signs new tokens. Required. See [Issuer.Rotate] to change it.
	Key SigningKey

	// Issuer is the iss claim of every token. Default: none. Set it, and the
	// same value in Config.Issuer, when anything else could mint tokens that
	// the same keys verify.
	Issuer string

	// Audience is the aud claim of every access token. Default: none, which
	// is what the FastAPI recipes expect (PyJWT rejects a token with aud when
	// it is not told to expect one). Set it, and Config.Audience, when the
	// issuer serves more than one API.
	Audience string

	// TTL is the lifetime of access tokens. Default 15 minutes; at most 24
	// hours. Keep it short: a stolen access token is valid until it expires
	// unless the middleware consults a [Store].
	TTL time.Duration

	// RefreshTTL is the lifetime of refresh tokens. Default 7 days; at most
	// 90 days, and longer than TTL.
	RefreshTTL time.Duration

	// RefreshSecret is the HS256 secret (at least 32 bytes) that signs
	// refresh tokens. Default: for an HMAC Key, a secret derived from it (so
	// rotating the Key rotates it too); for an asymmetric Key, a random
	// secret made at start, so refresh tokens do not survive a restart and
	// are not accepted by other instances. Set it when several instances
	// share refresh tokens. Either way, access-token verifiers never hold it.
	RefreshSecret []byte

	// Store records revoked tokens and used refresh tokens. Default: a
	// [MemoryStore] of default size, which is right for a single process; use
	// a shared store (see the redisstore module) when several instances
	// serve the same users. A Middleware whose Keys come from [Issuer.Keys]
	// consults this store unless its own Config.Store is set.
	Store Store

	// Now returns the current time, for tests. Default time.Now.
	Now func() time.Time
}

const (
	defaultTTL        = 15 * time.Minute
	maxTTL            = 24 * time.Hour
	defaultRefreshTTL = 7 * 24 * time.Hour
	maxRefreshTTL     = 90 * 24 * time.Hour
)

// Errors from the Issuer.
var (
	// ErrReservedClaim: a private claim passed to Issue uses a registered
	// name the Issuer sets itself (iss, sub, aud, exp, nbf, iat, jti, sid,
	// fresh), differs from another claim only in case, or is not a valid
	// claim name.
	ErrReservedClaim = errors.New("jwtauth: reserved or invalid claim name")
	// ErrUnknownKeyID: Retire was given a kid the Issuer does not hold, or
	// the kid of the active key.
	ErrUnknownKeyID = errors.New("jwtauth: no such retired key")
)

// Issuer mints tokens: short-lived access tokens and, with [Issuer.Login],
// rotating refresh tokens. It holds one active signing key and any number of
// retired keys that still verify until they are removed, so that keys can be
// rotated without logging anyone out. An Issuer is safe for concurrent use.
type Issuer struct {
	cfg       IssuerConfig
	store     Store
	mu        sync.Mutex                  // serialises Rotate and Retire
	state     atomic.Pointer[issuerState] // read without locking on every request
	refresh   *signer                     // signs refresh tokens when not derived per key
	refreshMW *Middleware                 // see newRefreshVerifier
}

// issuerState is one set of keys, replaced whole on rotation.
type issuerState struct {
	active  *signer
	retired []*signer
	verify  *keySet // active and retired access keys
	refresh *keySet // the refresh keys of active and retired generations
	jwks    []byte  // the public JWK Set, served by JWKSHandler
}

// signer is a signing key with what verifies its tokens.
type signer struct {
	alg, kid string
	key      any  // []byte or crypto.Signer
	pub      *key // the matching verification key
	refresh  *key // the refresh key of its generation, for HMAC keys; else nil
	header   string
}

// NewIssuer validates cfg and returns an Issuer.
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	switch {
	case cfg.TTL == 0:
		cfg.TTL = defaultTTL
	case cfg.TTL < time.Second || cfg.TTL > maxTTL:
		return nil, configError("TTL must be between 1s and %v", maxTTL)
	}
	switch {
	case cfg.RefreshTTL == 0:
		cfg.RefreshTTL = defaultRefreshTTL
	case cfg.RefreshTTL <= cfg.TTL || cfg.RefreshTTL > maxRefreshTTL:
		return nil, configError("RefreshTTL must be longer than TTL and at most %v", maxRefreshTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(0)
	}
	i := &Issuer{cfg: cfg, store: cfg.Store}
	if len(cfg.RefreshSecret) > 0 {
		r, err := refreshSigner(cfg.RefreshSecret)
		if err != nil {
			return nil, err
		}
		i.refresh = r
	}
	active, err := i.newSigner(cfg.Key)
	if err != nil {
		return nil, err
	}
	if i.refresh == nil && active.refresh == nil {
		// An asymmetric key and no RefreshSecret: refresh tokens are signed
		// with a random secret of this process.
		secret := make([]byte, 32)
		rand.Read(secret)
		if i.refresh, err = refreshSigner(secret); err != nil {
			return nil, err
		}
	}
	if err := i.install(active, nil); err != nil {
		return nil, err
	}
	if i.refreshMW, err = i.newRefreshVerifier(); err != nil {
		return nil, err
	}
	return i, nil
}

// issuerKeys is the Keys of an Issuer: its access keys, or its refresh keys.
type issuerKeys struct {
	i       *Issuer
	refresh bool
}

func (k issuerKeys) keySet(context.Context) (*keySet, error) {
	s := k.i.state.Load()
	if k.refresh {
		return s.refresh, nil
	}
	return s.verify, nil
}

// check refuses the Keys of a nil *Issuer (a failed NewIssuer's), which
// would panic at the first request.
func (k issuerKeys) check() error {
	if k.i == nil {
		return fmt.Errorf("%w: Keys of a nil *Issuer", ErrNoKeys)
	}
	return nil
}
func (k issuerKeys) defaultStore() Store { return k.i.store }

// Keys returns the keys that verify the Issuer's access tokens, for
// Config.Keys. It follows rotations as they happen. It never verifies the
// Issuer's refresh tokens, which are signed with other keys.
func (i *Issuer) Keys() Keys { return issuerKeys{i, false} }

// Store returns the Issuer's revocation store.
func (i *Issuer) Store() Store { return i.store }

// KeyID returns the kid of the active signing key.
func (i *Issuer) KeyID() string { return i.state.Load().active.kid }

// Algorithm returns the algorithm of the active signing key.
func (i *Issuer) Algorithm() string { return i.state.Load().active.alg }

// newSigner checks sk and prepares it.
func (i *Issuer) newSigner(sk SigningKey) (*signer, error) {
	a, ok := algorithms[sk.Algorithm]
	if !ok {
		return nil, configError("SigningKey: %w: unsupported algorithm", ErrKeyAlgorithm)
	}
	s := &signer{alg: sk.Algorithm, kid: sk.ID}
	var err error
	if a.family == "HMAC" {
		secret, ok := sk.Key.([]byte)
		if !ok {
			return nil, configError("SigningKey: %w: %s needs a []byte secret", ErrKeyAlgorithm, sk.Algorithm)
		}
		if s.kid == "" {
			s.kid = keyID(secret)
		}
		if s.pub, err = newSecretKey(sk.Algorithm, s.kid, secret); err != nil {
			return nil, configError("SigningKey: %w", err)
		}
		s.key = s.pub.material
		if i.refresh == nil {
			// Refresh tokens get a key derived from this secret: one-way,
			// so it cannot verify access tokens or the other way round.
			r, err := refreshSigner(derive(secret, "authkit refresh token key"))
			if err != nil {
				return nil, err
			}
			s.refresh = r.pub
		}
	} else {
		cs, ok := sk.Key.(crypto.Signer)
		if !ok || cs == nil {
			return nil, configError("SigningKey: %w: %s needs a crypto.Signer private key", ErrKeyAlgorithm, sk.Algorithm)
		}
		if s.kid == "" {
			jk, err := jwk.Import(cs.Public())
			if err != nil {
				return nil, configError("SigningKey: %w: unusable public key", ErrKeyAlgorithm)
			}
			tp, err := jk.Thumbprint(crypto.SHA256)
			if err != nil {
				return nil, configError("SigningKey: %w: unusable public key", ErrKeyAlgorithm)
			}
			s.kid = base64.RawURLEncoding.EncodeToString(tp)
		}
		if s.pub, err = newPublicKey(sk.Algorithm, s.kid, cs.Public()); err != nil {
			return nil, configError("SigningKey: %w", err)
		}
		s.key = cs
	}
	s.header = encodeHeader(s.alg, s.kid, "JWT")
	return s, nil
}

// refreshSigner makes the HS256 signer of refresh tokens.
func refreshSigner(secret []byte) (*signer, error) {
	kid := keyID(secret)
	pub, err := newSecretKey("HS256", kid, secret)
	if err != nil {
		return nil, configError("RefreshSecret: %w", err)
	}
	return &signer{alg: "HS256", kid: kid, key: pub.material, pub: pub, header: encodeHeader("HS256", kid, refreshType)}, nil
}

func encodeHeader(alg, kid, typ string) string {
	h, _ := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{alg, kid, typ})
	return base64.RawURLEncoding.EncodeToString(h)
}

// keyID derives a kid from a secret, one-way.
func keyID(secret []byte) string {
	return base64.RawURLEncoding.EncodeToString(derive(secret, "authkit key id")[:12])
}

// derive returns HMAC-SHA256(secret, label ‖ counter) extended to the
// secret's length (at least 32 bytes): a one-way function of the secret for a
// distinct purpose (a small HKDF-Expand).
func derive(secret []byte, label string) []byte {
	n := max(len(secret), sha256.Size)
	out := make([]byte, 0, n+sha256.Size)
	for ctr := byte(1); len(out) < n; ctr++ {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(label))
		m.Write([]byte{ctr})
		out = m.Sum(out)
	}
	return out[:n]
}

// install publishes a new generation of keys. Callers hold i.mu, or are
// NewIssuer.
func (i *Issuer) install(active *signer, retired []*signer) error {
	gens := append([]*signer{active}, retired...)
	var access, refresh []*key
	for _, g := range gens {
		access = append(access, g.pub)
		if g.refresh != nil {
			refresh = append(refresh, g.refresh)
		}
	}
	if i.refresh != nil {
		refresh = append(refresh, i.refresh.pub)
	}
	v, err := newKeySet(access...)
	if err != nil {
		return configError("SigningKey: %w", err)
	}
	r, err := newKeySet(refresh...)
	if err != nil {
		return configError("SigningKey: %w", err)
	}
	jwks, err := publicJWKS(access)
	if err != nil {
		return err
	}
	i.state.Store(&issuerState{active: active, retired: retired, verify: v, refresh: r, jwks: jwks})
	return nil
}

// refreshKeySigner returns the signer for new refresh tokens.
func (i *Issuer) refreshKeySigner(st *issuerState) *signer {
	if i.refresh != nil {
		return i.refresh
	}
	k := st.active.refresh
	return &signer{alg: k.alg, kid: k.kid, key: k.material, pub: k, header: encodeHeader(k.alg, k.kid, refreshType)}
}

// Rotate makes next the active signing key. The key it replaces is retired:
// it signs nothing more, but its tokens keep verifying until [Issuer.Retire]
// removes it, so retire it once the longest-lived token it signed (RefreshTTL
// for an HMAC key, which also derives refresh keys; TTL otherwise) has
// expired.
func (i *Issuer) Rotate(next SigningKey) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	s, err := i.newSigner(next)
	if err != nil {
		return err
	}
	st := i.state.Load()
	return i.install(s, append([]*signer{st.active}, st.retired...))
}

// Retire removes the retired key with the given kid: tokens it signed no
// longer verify. The active key cannot be retired; rotate first.
func (i *Issuer) Retire(kid string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	st := i.state.Load()
	idx := slices.IndexFunc(st.retired, func(s *signer) bool { return s.kid == kid })
	if idx < 0 {
		return ErrUnknownKeyID
	}
	return i.install(st.active, slices.Delete(slices.Clone(st.retired), idx, idx+1))
}

// publicJWKS renders the public keys among keys as a JWK Set; secrets are
// never published.
func publicJWKS(keys []*key) ([]byte, error) {
	set := jwk.NewSet()
	for _, k := range keys {
		if _, secret := k.material.([]byte); secret {
			continue
		}
		jk, err := jwk.Import(k.material)
		if err != nil {
			return nil, configError("SigningKey: %w: unusable public key", ErrKeyAlgorithm)
		}
		for name, v := range map[string]any{jwk.KeyIDKey: k.kid, jwk.AlgorithmKey: k.alg, jwk.KeyUsageKey: "sig"} {
			if err := jk.Set(name, v); err != nil {
				return nil, configError("SigningKey: %w: unusable public key", ErrKeyAlgorithm)
			}
		}
		if err := set.AddKey(jk); err != nil {
			return nil, configError("SigningKey: %w: JWK Set: %w", ErrKeyAlgorithm, err)
		}
	}
	return json.Marshal(set)
}

// JWKSHandler returns a handler that serves the public keys of the active
// and retired signing keys as a JWK Set (RFC 7517 §5), for
// "/.well-known/jwks.json". HMAC secrets are never served; an Issuer with
// only secrets serves an empty set. Responses may be cached for five minutes,
// so rotate a new key in at least that long before tokens signed by it must
// verify elsewhere.
func (i *Issuer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/jwk-set+json")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(i.state.Load().jwks)
	})
}

// registered are the claim names an Issuer sets itself.
var registered = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "fresh"}

// Issue returns a signed access token for subject, with the private claims
// in claims (which may be nil). It sets iss and aud as configured, sub, iat
// and nbf to now, exp to now + TTL, a random jti, and the kid header. Claim
// names must be non-empty valid UTF-8 without control characters, must not
// be one of the names the Issuer sets, and must not differ from one another
// only in case ([ErrReservedClaim]); values must marshal to JSON.
//
// A token from Issue has no refresh token and no session; see [Issuer.Login]
// for the pair a login returns.
func (i *Issuer) Issue(ctx context.Context, subject string, claims map[string]any) (string, error) {
	return i.issueAccess(subject, claims, "", true)
}

func (i *Issuer) issueAccess(subject string, claims map[string]any, sid string, fresh bool) (string, error) {
	if err := checkClaimNames(claims); err != nil {
		return "", err
	}
	now := i.cfg.Now()
	payload := make(map[string]any, len(claims)+9)
	for k, v := range claims {
		payload[k] = v
	}
	i.registeredClaims(payload, subject, now, now.Add(i.cfg.TTL))
	if i.cfg.Audience != "" {
		payload["aud"] = i.cfg.Audience
	}
	if sid != "" {
		payload["sid"] = sid
	}
	if fresh {
		payload["fresh"] = true
	}
	return sign(i.state.Load().active, payload)
}

func (i *Issuer) registeredClaims(payload map[string]any, subject string, now, exp time.Time) {
	if i.cfg.Issuer != "" {
		payload["iss"] = i.cfg.Issuer
	}
	if subject != "" {
		payload["sub"] = subject
	}
	payload["iat"] = now.Unix()
	payload["nbf"] = now.Unix()
	payload["exp"] = exp.Unix()
	payload["jti"] = randomID()
}

// checkClaimNames enforces the rules of Issue on claim names, so that every
// token the Issuer makes passes the Middleware's strict reading.
func checkClaimNames(claims map[string]any) error {
	names := make([]string, 0, len(claims))
	for name := range claims {
		if name == "" || !utf8.ValidString(name) || slices.ContainsFunc([]rune(name), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return ErrReservedClaim
		}
		for _, r := range registered {
			if equalFold(name, r) {
				return ErrReservedClaim
			}
		}
		for _, prev := range names {
			if equalFold(prev, name) {
				return ErrReservedClaim
			}
		}
		names = append(names, name)
	}
	if len(names) > maxClaims-len(registered) {
		return ErrReservedClaim
	}
	return nil
}

func equalFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }

// sign marshals payload and signs it with s.
func sign(s *signer, payload map[string]any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("jwtauth: claims do not marshal to JSON: %w", err)
	}
	input := make([]byte, 0, len(s.header)+1+base64.RawURLEncoding.EncodedLen(len(body))+1+700)
	input = append(input, s.header...)
	input = append(input, '.')
	input = base64.RawURLEncoding.AppendEncode(input, body)
	sig, err := jwsbb.Sign(s.key, s.alg, input, rand.Reader)
	if err != nil {
		return "", fmt.Errorf("jwtauth: signing failed: %w", err)
	}
	input = append(input, '.')
	input = base64.RawURLEncoding.AppendEncode(input, sig)
	return string(input), nil
}

// randomID returns 128 random bits, base64url-encoded.
func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
