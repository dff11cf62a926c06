package issuer

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/lestrrat-go/jwx/v3/jwk"
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

// signer is a signing key with what verifies its tokens.
type signer struct {
	alg, kid string
	key      any                     // []byte or crypto.Signer
	secret   []byte                  // the secret of an HMAC key; nil otherwise
	verify   jwtauth.VerificationKey // verifies its tokens
	refresh  *signer                 // the refresh signer derived from an HMAC key; else nil
	header   string                  // base64url of its JOSE header
}

// state is one set of keys, replaced whole by Publish, Rotate and Retire.
type state struct {
	active    *signer
	published []*signer // will sign: verify and are in the JWK Set already
	retired   []*signer // signed: verify until retired
	jwks      []byte    // the public JWK Set

	// Fleet mode (fleet.go): active is nil until the first key is ready,
	// and signs until signUntil; refresh, when not nil, signs refresh
	// tokens.
	fleet        bool
	refresh      *signer
	signUntil    time.Time
	refreshUntil time.Time // refresh signs until then
}

func (s *state) all() []*signer {
	return slices.Concat([]*signer{s.active}, s.published, s.retired)
}

// newSigner checks sk and prepares it.
func (i *Issuer) newSigner(sk SigningKey, field string) (*signer, error) {
	s := &signer{alg: sk.Algorithm, kid: sk.ID}
	switch sk.Algorithm {
	case "HS256", "HS384", "HS512":
		secret, ok := sk.Key.([]byte)
		if !ok {
			return nil, configError("%s: %w: %s needs a []byte secret", field, jwtauth.ErrKeyAlgorithm, sk.Algorithm)
		}
		s.secret = slices.Clone(secret)
		if s.kid == "" {
			s.kid = keyID(secret)
		}
		s.key, s.verify = s.secret, jwtauth.VerificationKey{Algorithm: s.alg, ID: s.kid, Key: s.secret}
		if i.cfg.RefreshSecret != nil && hmac.Equal(secret, i.cfg.RefreshSecret) {
			return nil, configError("RefreshSecret must differ from every signing secret: %w", jwtauth.ErrWeakSecret)
		}
		if i.cfg.RefreshSecret == nil {
			// Refresh tokens get a key derived from this secret, and from
			// iss and aud: one-way, so it cannot verify access tokens or the
			// other way round, and another issuer configuration with the
			// same secret derives another.
			r, err := refreshSigner(derive(secret, "authkit refresh token key\x00"+i.cfg.Issuer+"\x00"+i.cfg.Audience), "RefreshSecret")
			if err != nil {
				return nil, err
			}
			s.refresh = r
		}
	default:
		cs, ok := sk.Key.(crypto.Signer)
		if !ok || cs == nil {
			return nil, configError("%s: %w: %s needs a crypto.Signer private key", field, jwtauth.ErrKeyAlgorithm, sk.Algorithm)
		}
		if s.kid == "" {
			jk, err := jwk.Import(cs.Public())
			if err != nil {
				return nil, configError("%s: %w: unusable public key", field, jwtauth.ErrKeyAlgorithm)
			}
			tp, err := jk.Thumbprint(crypto.SHA256)
			if err != nil {
				return nil, configError("%s: %w: unusable public key", field, jwtauth.ErrKeyAlgorithm)
			}
			s.kid = base64.RawURLEncoding.EncodeToString(tp)
		}
		s.key, s.verify = cs, jwtauth.VerificationKey{Algorithm: s.alg, ID: s.kid, Key: cs.Public()}
	}
	// The checks of jwtauth: algorithm, key fit, secret strength.
	if _, err := jwtauth.NewKeyRing(nil, s.verify); err != nil {
		return nil, configError("%s: %w", field, errors.Unwrap(causeOf(err)))
	}
	s.header = encodeHeader(s.alg, s.kid, i.cfg.accessTokenType())
	return s, nil
}

// causeOf returns the Err of a *jwtauth.ConfigError, or err.
func causeOf(err error) error {
	var ce *jwtauth.ConfigError
	if errors.As(err, &ce) {
		return ce.Err
	}
	return err
}

// refreshSigner makes the HS256 signer of refresh tokens.
func refreshSigner(secret []byte, field string) (*signer, error) {
	kid := keyID(secret)
	vk := jwtauth.VerificationKey{Algorithm: "HS256", ID: kid, Key: secret}
	if _, err := jwtauth.NewKeyRing(nil, vk); err != nil {
		return nil, configError("%s: %w", field, errors.Unwrap(causeOf(err)))
	}
	return &signer{alg: "HS256", kid: kid, key: secret, secret: secret, verify: vk,
		header: encodeHeader("HS256", kid, jwtauth.RefreshTokenType)}, nil
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

func randomSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// install publishes a new set of keys: the JWK Set, the access keys of the
// Middlewares, the refresh keys. Callers hold i.mu, or are New.
func (i *Issuer) install(st *state) error {
	var access, refresh []jwtauth.VerificationKey
	for _, s := range st.all() {
		access = append(access, s.verify)
		if s.refresh != nil {
			refresh = append(refresh, s.refresh.verify)
		}
	}
	refresh = append(refresh, i.fixedRefresh.verify)
	jwks, err := publicJWKS(st.all())
	if err != nil {
		return err
	}
	// Both sets are checked before either changes.
	if _, err := jwtauth.NewKeyRing(nil, access...); err != nil {
		return configError("Key: %w", errors.Unwrap(causeOf(err)))
	}
	if _, err := jwtauth.NewKeyRing(nil, refresh...); err != nil {
		return configError("Key: %w", errors.Unwrap(causeOf(err)))
	}
	if i.keys == nil {
		i.keys, _ = jwtauth.NewKeyRing(i.store, access...)
		i.refreshKeys, _ = jwtauth.NewKeyRing(nil, refresh...)
	} else {
		// Refresh keys first: a refresh token signed by a new key must
		// verify by the time its access token does.
		i.refreshKeys.Set(refresh...)
		i.keys.Set(access...)
	}
	st.jwks = jwks
	i.state.Store(st)
	return nil
}

// refreshSignerOf returns the signer of new refresh tokens: RefreshSecret's,
// the one derived from an active HMAC key, or the random one of this process.
func (i *Issuer) refreshSignerOf(st *state) *signer {
	if st.refresh != nil {
		return st.refresh
	}
	if st.active.refresh != nil {
		return st.active.refresh
	}
	return i.fixedRefresh
}

// Keys returns the keys that verify the Issuer's access tokens, for
// jwtauth.Config.Keys, with the Issuer's Store (see [jwtauth.StoreKeys]). It
// follows Publish, Rotate and Retire as they happen. It never verifies the
// Issuer's refresh tokens, which are signed with other keys.
func (i *Issuer) Keys() *jwtauth.KeyRing {
	if i == nil {
		return nil // jwtauth.New refuses it: no panic at the first request
	}
	return i.keys
}

// Store returns the Issuer's store.
func (i *Issuer) Store() Store { return i.store }

// KeyID returns the kid of the active signing key.
// In fleet mode it is "" until the first key is ready.
func (i *Issuer) KeyID() string {
	if a := i.state.Load().active; a != nil {
		return a.kid
	}
	return ""
}

// Algorithm returns the algorithm of the active signing key.
func (i *Issuer) Algorithm() string {
	if a := i.state.Load().active; a != nil {
		return a.alg
	}
	return i.fleet.rot.Algorithm // fleet mode, before the first key
}

// Publish adds next to the verification keys and the JWK Set without
// signing with it, so that the caches of remote verifiers hold it before the
// first token it signs reaches them; [Issuer.Rotate] with the same key (the
// same kid) then makes it the active key.
//
// Publish at least the verifiers' cache lifetime before rotating: the JWKS
// handler allows five minutes of caching, and jwtauth.Remote refreshes
// every fifteen minutes by default, so publish 15 minutes or more ahead
// (an hour is comfortable). A verifier that meets an unknown kid refetches
// at once, at most once per its minimum interval, so rotating sooner is
// safe for jwtauth but not for every verifier.
func (i *Issuer) Publish(next SigningKey) error {
	if i.fleet != nil {
		return configError("Key: %w", errFleetKeys)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	s, err := i.newSigner(next, "Key")
	if err != nil {
		return err
	}
	st := i.state.Load()
	if slices.ContainsFunc(st.all(), func(o *signer) bool { return o.kid == s.kid }) {
		return configError("Key: %w: a key with this kid is already held", jwtauth.ErrKeyAlgorithm)
	}
	return i.install(&state{active: st.active, published: append(slices.Clone(st.published), s), retired: st.retired})
}

// Rotate makes next the active signing key; when it was published with
// [Issuer.Publish] (the same kid), that key. The key it replaces is retired:
// it signs nothing more, but its tokens keep verifying until
// [Issuer.Retire] removes it. Retire it once the longest-lived token it
// signed has expired: TTL for an asymmetric key; for an HMAC key without
// RefreshSecret, which also derived the refresh keys of its sessions,
// RefreshTTL (after that its sessions need a new login).
func (i *Issuer) Rotate(next SigningKey) error {
	if i.fleet != nil {
		return configError("Key: %w", errFleetKeys)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	s, err := i.newSigner(next, "Key")
	if err != nil {
		return err
	}
	st := i.state.Load()
	published := slices.Clone(st.published)
	if j := slices.IndexFunc(published, func(o *signer) bool { return o.kid == s.kid }); j >= 0 {
		published = slices.Delete(published, j, j+1)
	}
	if slices.ContainsFunc(slices.Concat([]*signer{st.active}, st.retired), func(o *signer) bool { return o.kid == s.kid }) {
		return configError("Key: %w: a key with this kid is already held", jwtauth.ErrKeyAlgorithm)
	}
	return i.install(&state{active: s, published: published, retired: append([]*signer{st.active}, st.retired...)})
}

// Retire removes the retired or published key with the given kid: tokens it
// signed no longer verify, and it leaves the JWK Set. The active key cannot
// be retired ([ErrUnknownKeyID]); rotate first.
func (i *Issuer) Retire(kid string) error {
	if i.fleet != nil {
		return configError("Key: %w", errFleetKeys)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	st := i.state.Load()
	is := func(s *signer) bool { return s.kid == kid }
	if j := slices.IndexFunc(st.retired, is); j >= 0 {
		return i.install(&state{active: st.active, published: st.published, retired: slices.Delete(slices.Clone(st.retired), j, j+1)})
	}
	if j := slices.IndexFunc(st.published, is); j >= 0 {
		return i.install(&state{active: st.active, published: slices.Delete(slices.Clone(st.published), j, j+1), retired: st.retired})
	}
	return ErrUnknownKeyID
}

// publicJWKS renders the public keys among signers as a JWK Set; secrets
// are never published.
func publicJWKS(signers []*signer) ([]byte, error) {
	var keys []jwtauth.VerificationKey
	for _, s := range signers {
		if s.secret == nil {
			keys = append(keys, s.verify)
		}
	}
	return renderJWKS("Key", keys)
}

// JWKSHandler returns a handler that serves the public keys of the active,
// published and retired signing keys as a JWK Set (RFC 7517 §5), for
// "/.well-known/jwks.json". HMAC secrets are never served; an Issuer with
// only secrets serves an empty set. Responses may be cached for five
// minutes; see [Issuer.Publish] for the timing of a rotation. In fleet mode
// it serves the union of the fleet's access keys, never a refresh key, and
// allows caching for at most half of Rotation.Ahead − Poll.
func (i *Issuer) JWKSHandler() http.Handler {
	cache := "public, max-age=300"
	if f := i.fleet; f != nil {
		// A cache must not keep the set for longer than Ahead − Poll, or
		// it could miss a key that has begun to sign.
		cache = "public, max-age=" + strconv.Itoa(int(min(300*time.Second, (f.rot.Ahead-f.rot.Poll)/2)/time.Second))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/jwk-set+json")
		h.Set("Cache-Control", cache)
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(i.state.Load().jwks)
	})
}
