package jwtauth

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// DPoP (RFC 9449) binds an access token to a key the client holds: the
// token's cnf.jkt claim is the RFC 7638 thumbprint of the key, and every
// request carries, in a DPoP header, a fresh proof signed by it for that
// request's method and URL. A stolen token is then useless without the key.

// Errors of DPoP. Each matches [ErrInvalidToken] with errors.Is, and their
// messages are fixed strings.
var (
	// ErrDPoPProof: the DPoP proof is missing, malformed, or fails one of
	// the checks of RFC 9449 §4.3 (typ, alg, jwk, signature, htm, htu, iat,
	// jti, ath). The answer is 401 with error="invalid_dpop_proof". The more
	// specific ErrDPoPReplay matches it.
	ErrDPoPProof error = &classError{"jwtauth: invalid DPoP proof", ErrInvalidToken}

	// ErrDPoPReplay: the proof's jti was seen before (RFC 9449 §11.1), or
	// its key has used up its share of the replay cache.
	ErrDPoPReplay error = &chainError{"jwtauth: DPoP proof replayed", ErrDPoPProof}

	// ErrDPoPNonce: the server requires a DPoP nonce and the proof has none,
	// or a stale one (RFC 9449 §8). The answer is 401 with
	// error="use_dpop_nonce" and a fresh nonce in the DPoP-Nonce header.
	ErrDPoPNonce error = &classError{"jwtauth: DPoP nonce required", ErrInvalidToken}

	// ErrDPoPBinding: the token's cnf.jkt is not the proof key's thumbprint,
	// a DPoP-bound token came as a Bearer token (RFC 9449 §7.2), or a token
	// without cnf.jkt came with the DPoP scheme.
	ErrDPoPBinding error = &classError{"jwtauth: token not bound to the DPoP key", ErrInvalidToken}

	// ErrDPoPRequired: DPoPConfig.Required is set and the request used the
	// Bearer scheme (or a cookie).
	ErrDPoPRequired error = &classError{"jwtauth: DPoP required", ErrInvalidToken}

	// ErrReplayCacheFull: the replay cache has no room for the proof. The
	// request fails closed, with 503: a proof that cannot be remembered
	// could be replayed.
	ErrReplayCacheFull = errors.New("jwtauth: DPoP replay cache full")
)

// The specific reasons behind ErrDPoPProof, for logs and tests: fixed text.
var (
	errProofMalformed = &chainError{"jwtauth: DPoP proof malformed", ErrDPoPProof}
	errProofTooLarge  = &chainError{"jwtauth: DPoP proof too large", ErrDPoPProof}
	errProofCount     = &chainError{"jwtauth: not exactly one DPoP proof", ErrDPoPProof}
	errProofType      = &chainError{"jwtauth: DPoP proof typ is not dpop+jwt", ErrDPoPProof}
	errProofAlg       = &chainError{"jwtauth: DPoP proof algorithm not accepted", ErrDPoPProof}
	errProofKey       = &chainError{"jwtauth: DPoP proof jwk not acceptable", ErrDPoPProof}
	errProofSignature = &chainError{"jwtauth: DPoP proof signature invalid", ErrDPoPProof}
	errProofMethod    = &chainError{"jwtauth: DPoP proof htm does not match", ErrDPoPProof}
	errProofURL       = &chainError{"jwtauth: DPoP proof htu does not match", ErrDPoPProof}
	errProofTime      = &chainError{"jwtauth: DPoP proof iat outside the window", ErrDPoPProof}
	errProofID        = &chainError{"jwtauth: DPoP proof jti missing", ErrDPoPProof}
	errProofHash      = &chainError{"jwtauth: DPoP proof ath does not match", ErrDPoPProof}
	errProofHeader    = &chainError{"jwtauth: DPoP proof header unsupported", ErrDPoPProof}
)

// chainError is an error that matches parent and, through it, parent's
// classes.
type chainError struct {
	msg    string
	parent error
}

func (e *chainError) Error() string { return e.msg }
func (e *chainError) Unwrap() error { return e.parent }

// DPoPConfig turns on DPoP (RFC 9449) in [Config.DPoP], or configures a
// standalone [DPoPVerifier] (for a token endpoint). The zero value is usable:
// DPoP optional, the default algorithms, a ±60 s window, an in-memory replay
// cache, no nonces.
type DPoPConfig struct {
	// Required refuses Bearer tokens (and cookie tokens): every request
	// must use the DPoP scheme with a proof. Default false: DPoP requests
	// are verified as DPoP, and Bearer requests are accepted for tokens
	// without cnf.jkt; a DPoP-bound token sent as Bearer is always refused
	// (RFC 9449 §7.2).
	Required bool

	// Algorithms are the proof algorithms accepted, asymmetric only
	// (HMAC and none are refused). Default ES256, ES384, ES512, EdDSA,
	// PS256, PS384, PS512, RS256, RS384, RS512. They are advertised in the
	// algs parameter of the DPoP challenge.
	Algorithms []string

	// Window is how far a proof's iat may be from now, either way. Default
	// 60 s; at most 5 minutes. Replay entries are kept for as long.
	Window time.Duration

	// Replay remembers proof jtis so each proof is accepted once (RFC 9449
	// §11.1). Default: [NewReplayCache](0, 0), which is per process; with
	// several instances use a shared one (the issuer's MemoryStore in one
	// process, the redisstore module across processes), or a proof
	// accepted by one instance can be replayed at another.
	Replay ReplayCache

	// Nonces makes proofs carry a server nonce (RFC 9449 §8): a proof
	// without a current one is answered 401 error="use_dpop_nonce" with a
	// DPoP-Nonce header. Nonces are HMACs of the time, so they cost no
	// storage. Default false.
	Nonces bool

	// NonceSecret keys the nonces: at least 32 bytes, shared by every
	// instance that must accept another's nonces. Default: random, made by
	// New, when Nonces is set.
	NonceSecret []byte

	// NonceLifetime is how long a nonce is handed out; each is accepted for
	// up to twice as long. Default 5 minutes; between 10 s and 1 hour.
	NonceLifetime time.Duration

	// TrustedOrigin is the scheme and host the clients address, such as
	// "https://api.example.com", for a server behind a proxy that
	// terminates TLS or rewrites Host: the proof's htu is compared with it
	// and the request's path. Default: the scheme from the connection
	// (r.TLS set: https) and the host from the request's Host header.
	// X-Forwarded-* headers are never read.
	TrustedOrigin string

	// MaxProofSize bounds the DPoP header in bytes. Default 8192; at most
	// 65536.
	MaxProofSize int

	// Now is the clock of a standalone DPoPVerifier. Default time.Now; a
	// Middleware uses Config.Now.
	Now func() time.Time
}

const (
	defaultDPoPWindow    = 60 * time.Second
	maxDPoPWindow        = 5 * time.Minute
	defaultNonceLifetime = 5 * time.Minute
	defaultMaxProofSize  = 8 << 10
	maxJTILength         = 256
	maxProofMembers      = 32
	maxProofRSABits      = 4096
)

// defaultDPoPAlgorithms are the asymmetric algorithms, in challenge order.
var defaultDPoPAlgorithms = []string{"ES256", "ES384", "ES512", "EdDSA", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}

// DPoPVerifier checks DPoP proofs. Make one with [NewDPoPVerifier]; it is
// immutable and safe for concurrent use. A Middleware with Config.DPoP has
// one; a token endpoint (the issuer package's) uses one directly.
type DPoPVerifier struct {
	cfg    DPoPConfig
	algs   map[string]bool
	algsCh string // the algs parameter: space-separated
	scheme string // of TrustedOrigin; "" without
	host   string

	// keys caches proof keys by their jwk JSON, so that a client's
	// repeated proofs are not parsed and thumbprinted each time. Only keys
	// whose proof verified are added, and it is bounded: a client making
	// a new key per request only empties it.
	keysMu sync.RWMutex
	keys   map[string]proofKeyEntry
}

// proofKeyEntry is a parsed proof key, for one alg.
type proofKeyEntry struct {
	alg   string
	k     *key
	thumb string
}

// maxCachedProofKeys bounds DPoPVerifier.keys.
const maxCachedProofKeys = 4096

// NewDPoPVerifier validates cfg and returns a verifier. Errors match
// [ErrConfig].
func NewDPoPVerifier(cfg DPoPConfig) (*DPoPVerifier, error) {
	return newDPoPVerifier(cfg, nil)
}

func newDPoPVerifier(cfg DPoPConfig, now func() time.Time) (*DPoPVerifier, error) {
	if now != nil {
		cfg.Now = now
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = defaultDPoPAlgorithms
	}
	v := &DPoPVerifier{algs: make(map[string]bool), keys: make(map[string]proofKeyEntry)}
	for _, a := range cfg.Algorithms {
		if !asymmetric([]byte(a)) {
			return nil, configError("DPoP.Algorithms: %q is not an asymmetric algorithm: %w", a, ErrKeyAlgorithm)
		}
		v.algs[a] = true
	}
	cfg.Algorithms = slices.Clone(cfg.Algorithms)
	v.algsCh = strings.Join(cfg.Algorithms, " ")
	switch {
	case cfg.Window == 0:
		cfg.Window = defaultDPoPWindow
	case cfg.Window < time.Second || cfg.Window > maxDPoPWindow:
		return nil, configError("DPoP.Window must be between 1s and %v", maxDPoPWindow)
	}
	switch {
	case cfg.MaxProofSize == 0:
		cfg.MaxProofSize = defaultMaxProofSize
	case cfg.MaxProofSize < 256 || cfg.MaxProofSize > maxMaxTokenSize:
		return nil, configError("DPoP.MaxProofSize must be between 256 and %d", maxMaxTokenSize)
	}
	if cfg.Replay == nil {
		cfg.Replay = NewReplayCache(0, 0)
	}
	if cfg.Nonces {
		switch {
		case cfg.NonceLifetime == 0:
			cfg.NonceLifetime = defaultNonceLifetime
		case cfg.NonceLifetime < 10*time.Second || cfg.NonceLifetime > time.Hour:
			return nil, configError("DPoP.NonceLifetime must be between 10s and 1h")
		}
		switch {
		case cfg.NonceSecret == nil:
			cfg.NonceSecret = make([]byte, 32)
			rand.Read(cfg.NonceSecret)
		case len(cfg.NonceSecret) < 32:
			return nil, configError("DPoP.NonceSecret must be at least 32 bytes: %w", ErrWeakSecret)
		default:
			cfg.NonceSecret = slices.Clone(cfg.NonceSecret)
		}
	} else if cfg.NonceSecret != nil {
		return nil, configError("DPoP.NonceSecret applies only with Nonces; set Nonces")
	}
	if cfg.TrustedOrigin != "" {
		u, err := url.Parse(cfg.TrustedOrigin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, configError("DPoP.TrustedOrigin must be scheme://host[:port]")
		}
		v.scheme, v.host = u.Scheme, normalHost(u.Scheme, u.Host)
	}
	v.cfg = cfg
	return v, nil
}

// Algorithms returns the proof algorithms accepted.
func (v *DPoPVerifier) Algorithms() []string { return slices.Clone(v.cfg.Algorithms) }

// Verify checks proof, a DPoP header's value, for a request of method to
// url (absolute; its query and fragment are ignored, RFC 9449 §4.3), and
// returns the RFC 7638 SHA-256 thumbprint of the proof's key, base64url:
// what the cnf.jkt of a token bound to it is. accessToken is the token the
// request presents, whose hash the proof's ath must be; "" at a token
// endpoint, where there is none yet (ath is then not checked).
//
// Each proof verifies once: its jti is recorded in the replay cache, last,
// after every other check passed. Errors match [ErrDPoPProof],
// [ErrDPoPNonce] or [ErrReplayCacheFull], and a failing ReplayCache's
// [ErrStore].
func (v *DPoPVerifier) Verify(ctx context.Context, proof, method, url, accessToken string) (jkt string, err error) {
	scheme, host, path, ok := splitURL(url)
	if !ok {
		return "", errProofURL
	}
	return v.verify(ctx, proof, method, scheme, host, path, accessToken, "")
}

// Nonce returns a current nonce, for a DPoP-Nonce response header; "" when
// DPoPConfig.Nonces is not set.
func (v *DPoPVerifier) Nonce() string {
	if !v.cfg.Nonces {
		return ""
	}
	return v.nonceAt(v.cfg.Now().Unix() / int64(v.cfg.NonceLifetime/time.Second))
}

func (v *DPoPVerifier) nonceAt(epoch int64) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(epoch))
	mac := hmac.New(sha256.New, v.cfg.NonceSecret)
	mac.Write([]byte("authkit dpop nonce\x00"))
	mac.Write(b[:8])
	copy(b[8:], mac.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validNonce reports whether n is the nonce of this epoch or the last.
func (v *DPoPVerifier) validNonce(n string) bool {
	epoch := v.cfg.Now().Unix() / int64(v.cfg.NonceLifetime/time.Second)
	for _, e := range []int64{epoch, epoch - 1} {
		if subtle.ConstantTimeCompare([]byte(n), []byte(v.nonceAt(e))) == 1 {
			return true
		}
	}
	return false
}

// proofClaims are what verify reads of a proof.
type proofClaims struct {
	htm, htu, jti, ath, nonce string
	iat                       float64
	hasIAT, hasATH, hasNonce  bool
}

// verify is Verify with the request's URL already split, and, when wantJKT
// is not "", the thumbprint the proof key must have: checked before the
// jti is recorded, so that a proof for another key never takes room.
func (v *DPoPVerifier) verify(ctx context.Context, proof, method, scheme, host, path, accessToken, wantJKT string) (string, error) {
	if len(proof) > v.cfg.MaxProofSize {
		return "", errProofTooLarge
	}
	h64, p64, s64, ok := splitCompact(proof)
	if !ok {
		return "", errProofMalformed
	}
	hdrJSON, err := b64.DecodeString(h64)
	if err != nil {
		return "", errProofMalformed
	}
	var alg, typ, jwkRaw []byte
	err = objectMembers(hdrJSON, maxHeaderMembers, func(name, value []byte) error {
		var ok bool
		switch string(name) {
		case "alg":
			alg, ok = jsonBytes(value)
		case "typ":
			typ, ok = jsonBytes(value)
		case "jwk":
			jwkRaw, ok = value, len(value) > 0 && value[0] == '{'
		case "crit", "b64", "zip", "enc":
			return errProofHeader
		default:
			ok = true
		}
		if !ok {
			return errProofMalformed
		}
		return nil
	})
	switch {
	case isJSONError(err):
		return "", errProofMalformed
	case err != nil:
		return "", err
	case !sameType(string(typ), "dpop+jwt"):
		return "", errProofType
	case !v.algs[string(alg)]:
		return "", errProofAlg
	case jwkRaw == nil:
		return "", errProofKey
	}
	v.keysMu.RLock()
	e, cached := v.keys[string(jwkRaw)]
	v.keysMu.RUnlock()
	if !cached || e.alg != string(alg) {
		e.alg = string(alg)
		if e.k, e.thumb, err = proofKey(e.alg, jwkRaw); err != nil {
			return "", err
		}
	}
	k, thumb := e.k, e.thumb
	sig, err := b64.DecodeString(s64)
	if err != nil {
		return "", errProofMalformed
	}
	if err := k.verify([]byte(proof[:len(h64)+1+len(p64)]), sig); err != nil {
		return "", errProofSignature
	}
	if !cached {
		v.keysMu.Lock()
		if len(v.keys) >= maxCachedProofKeys {
			clear(v.keys)
		}
		v.keys[string(jwkRaw)] = e
		v.keysMu.Unlock()
	}
	payload, err := b64.DecodeString(p64)
	if err != nil {
		return "", errProofMalformed
	}
	pc, err := readProofClaims(payload)
	if err != nil {
		return "", err
	}
	if pc.htm != method {
		return "", errProofMethod
	}
	ps, ph, pp, ok := splitURL(pc.htu)
	if v.scheme != "" {
		scheme, host = v.scheme, v.host
	}
	if !ok || ps != scheme || ph != host || pp != path {
		return "", errProofURL
	}
	now := v.cfg.Now()
	iat := time.Unix(numericSeconds(pc.iat), 0)
	if !pc.hasIAT || iat.Before(now.Add(-v.cfg.Window)) || iat.After(now.Add(v.cfg.Window)) {
		return "", errProofTime
	}
	if pc.jti == "" || len(pc.jti) > maxJTILength {
		return "", errProofID
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		want := base64.RawURLEncoding.EncodeToString(sum[:])
		if !pc.hasATH || subtle.ConstantTimeCompare([]byte(pc.ath), []byte(want)) != 1 {
			return "", errProofHash
		}
	}
	if wantJKT != "" && subtle.ConstantTimeCompare([]byte(thumb), []byte(wantJKT)) != 1 {
		return "", ErrDPoPBinding
	}
	if v.cfg.Nonces && (!pc.hasNonce || !v.validNonce(pc.nonce)) {
		return "", ErrDPoPNonce
	}
	// Kept until the proof leaves the window, and a second more for the
	// rounding of iat.
	first, err := v.cfg.Replay.Once(ctx, thumb, pc.jti, now, iat.Add(v.cfg.Window+time.Second))
	switch {
	case errors.Is(err, ErrReplayCacheFull):
		return "", ErrReplayCacheFull
	case err != nil:
		return "", fmt.Errorf("%w: %w", ErrStore, err)
	case !first:
		return "", ErrDPoPReplay
	}
	return thumb, nil
}

// privateMembers are the JWK members of private or symmetric keys (RFC 7518
// §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2): a proof's jwk must have none.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// proofKey reads a proof's jwk header: a public EC, OKP or RSA key, fit for
// alg, and its RFC 7638 thumbprint.
func proofKey(alg string, raw []byte) (*key, string, error) {
	kty := ""
	err := objectMembers(raw, maxProofMembers, func(name, value []byte) error {
		if slices.Contains(privateMembers, string(name)) {
			return errProofKey
		}
		if string(name) == "kty" {
			s, ok := jsonString(value)
			if !ok {
				return errProofKey
			}
			kty = s
		}
		return nil
	})
	if err != nil || (kty != "EC" && kty != "OKP" && kty != "RSA") {
		return nil, "", errProofKey
	}
	jk, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, "", errProofKey
	}
	var pub any
	if err := jwk.Export(jk, &pub); err != nil {
		return nil, "", errProofKey
	}
	if rk, ok := pub.(*rsa.PublicKey); ok && rk.N.BitLen() > maxProofRSABits {
		return nil, "", errProofKey // a client's key: bound the cost it can ask for
	}
	k, err := newPublicKey(alg, "", pub)
	if err != nil {
		return nil, "", errProofKey
	}
	tp, err := jk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, "", errProofKey
	}
	return k, base64.RawURLEncoding.EncodeToString(tp), nil
}

// readProofClaims reads htm, htu, iat, jti, ath and nonce, with their types.
func readProofClaims(payload []byte) (proofClaims, error) {
	var pc proofClaims
	err := objectMembers(payload, maxClaims, func(name, value []byte) error {
		ok := true
		switch string(name) {
		case "htm":
			pc.htm, ok = jsonString(value)
		case "htu":
			pc.htu, ok = jsonString(value)
		case "jti":
			pc.jti, ok = jsonString(value)
		case "ath":
			pc.ath, ok = jsonString(value)
			pc.hasATH = true
		case "nonce":
			pc.nonce, ok = jsonString(value)
			pc.hasNonce = true
		case "iat":
			pc.iat, ok = parseNumericDate(value)
			pc.hasIAT = true
		}
		if !ok {
			return errProofMalformed
		}
		return nil
	})
	if err != nil {
		return pc, errProofMalformed
	}
	return pc, nil
}

// splitURL returns the normalised scheme, host and path of an absolute
// http(s) URL, without query and fragment (RFC 9449 §4.3): scheme and host
// in lower case, the default port dropped, "" for a path of "/".
func splitURL(s string) (scheme, host, path string, ok bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", "", "", false
	}
	scheme = strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", "", "", false
	}
	return scheme, normalHost(scheme, u.Host), requestPath(u), true
}

// requestPath is the escaped path of u, "/" for none.
func requestPath(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// normalHost lowercases host and drops the scheme's default port.
func normalHost(scheme, host string) string {
	host = strings.ToLower(host)
	if scheme == "https" {
		return strings.TrimSuffix(host, ":443")
	}
	return strings.TrimSuffix(host, ":80")
}

// DPoPNonce returns a current DPoP nonce, for a DPoP-Nonce header on any
// response (RFC 9449 §8.2: a server may send a new nonce at any time); ""
// when Config.DPoP.Nonces is not set.
func (m *Middleware) DPoPNonce() string {
	if m.dpop == nil {
		return ""
	}
	return m.dpop.Nonce()
}

// Thumbprint returns the token's cnf.jkt claim (RFC 9449 §6.1): the RFC
// 7638 thumbprint of the key it is bound to, or "" for a token not bound by
// DPoP.
func (c *Claims) Thumbprint() string {
	jkt, _ := c.thumbprint()
	return jkt
}

// thumbprint returns cnf.jkt, and false when cnf is present but not an
// object with a string jkt: such a token is treated as bound.
func (c *Claims) thumbprint() (string, bool) {
	v, found, err := c.value("cnf")
	if err != nil {
		return "", false
	}
	if !found {
		return "", true
	}
	jkt, bad := "", false
	err = objectMembers(v, maxProofMembers, func(name, value []byte) error {
		if string(name) == "jkt" {
			jkt, bad = "", true
			if s, ok := jsonString(value); ok && s != "" {
				jkt, bad = s, false
			}
		}
		return nil
	})
	if err != nil || bad {
		return "", false
	}
	return jkt, true
}

// authenticateDPoP is Authenticate for a Middleware with Config.DPoP.
func (m *Middleware) authenticateDPoP(r *http.Request) (*Claims, error) {
	auth := r.Header["Authorization"]
	token, isDPoP := "", false
	if len(auth) == 1 {
		scheme, rest, _ := strings.Cut(auth[0], " ")
		if strings.EqualFold(scheme, "DPoP") {
			isDPoP = true
			token = strings.TrimLeft(rest, " ")
			if !isB64Token(token) {
				return nil, ErrMalformedHeader
			}
		}
	}
	if !isDPoP {
		token, fromCookie, err := m.extract(r, false)
		if err != nil {
			return nil, err
		}
		if m.dpop.cfg.Required {
			return nil, ErrDPoPRequired
		}
		if fromCookie && m.cop.Check(r) != nil {
			return nil, ErrCrossOrigin
		}
		c, err := m.Verify(r.Context(), token)
		if err != nil {
			return nil, err
		}
		if jkt, ok := c.thumbprint(); !ok || jkt != "" {
			return nil, ErrDPoPBinding // RFC 9449 §7.2
		}
		return c, nil
	}
	if m.cfg.Cookie != "" && len(r.CookiesNamed(m.cfg.Cookie)) > 0 {
		return nil, ErrMultipleTokens
	}
	proofs := r.Header["Dpop"]
	if len(proofs) != 1 {
		return nil, errProofCount
	}
	c, err := m.Verify(r.Context(), token)
	if err != nil {
		return nil, err
	}
	jkt, ok := c.thumbprint()
	if !ok || jkt == "" {
		return nil, ErrDPoPBinding
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := requestPath(r.URL)
	if _, err := m.dpop.verify(r.Context(), proofs[0], r.Method, scheme, normalHost(scheme, r.Host), path, token, jkt); err != nil {
		return nil, err
	}
	return c, nil
}

// setChallenges sets the WWW-Authenticate challenges (and DPoP-Nonce) of an
// answer p to r, for a Middleware with DPoP or ResourceMetadata: the error
// goes to the scheme the request used; the other scheme's challenge is bare.
func (m *Middleware) setChallenges(h http.Header, r *http.Request, p problem, err error, scope string) {
	rm := m.cfg.ResourceMetadata
	if m.dpop == nil {
		h.Set("WWW-Authenticate", challenge(m.cfg.Realm, p, scope)+resourceParam(rm))
		return
	}
	usedDPoP := false
	if auth := r.Header["Authorization"]; len(auth) == 1 {
		scheme, _, _ := strings.Cut(auth[0], " ")
		usedDPoP = strings.EqualFold(scheme, "DPoP")
	}
	if errors.Is(err, ErrDPoPRequired) {
		usedDPoP = true // the DPoP challenge says what to do instead
	}
	// A bound token sent as Bearer gets invalid_token in the Bearer
	// challenge, and the DPoP one says how to send it.
	bare := problem{status: p.status}
	bp, dp := p, bare
	if usedDPoP {
		bp, dp = bare, p
	}
	h.Del("WWW-Authenticate")
	if !m.dpop.cfg.Required {
		h.Add("WWW-Authenticate", challenge(m.cfg.Realm, bp, scope)+resourceParam(rm))
	}
	var b strings.Builder
	b.WriteString("DPoP ")
	if dp.code != "" {
		b.WriteString(`error="`)
		b.WriteString(dp.code)
		b.WriteString(`", error_description="`)
		b.WriteString(dp.description)
		b.WriteString(`", `)
	}
	if scope != "" && dp.code == "insufficient_scope" && isScopeList(scope) {
		b.WriteString(`scope="`)
		b.WriteString(scope)
		b.WriteString(`", `)
	}
	b.WriteString(`algs="`)
	b.WriteString(m.dpop.algsCh)
	b.WriteByte('"')
	b.WriteString(resourceParam(rm))
	h.Add("WWW-Authenticate", b.String())
	if errors.Is(err, ErrDPoPNonce) {
		h.Set("DPoP-Nonce", m.dpop.Nonce())
	}
}

// resourceParam is the RFC 9728 §5.1 resource_metadata parameter, or "".
func resourceParam(u string) string {
	if u == "" {
		return ""
	}
	return `, resource_metadata="` + u + `"`
}

// ReplayCache remembers the proofs a [DPoPVerifier] accepted, so that each
// is accepted once (RFC 9449 §11.1). jkt is the proof key's thumbprint (43
// base64url characters) and jti the proof's jti (at most 256 bytes, any
// text: hash it before using it in a key). Once records the pair until
// until and reports whether it was new. now is the verifier's clock.
// Implementations must be atomic (of concurrent calls with one pair, one
// sees first) and safe for concurrent use. An error fails the request
// closed; one matching [ErrReplayCacheFull] is answered 503.
//
// [NewReplayCache] is the in-memory default; the issuer package's
// MemoryStore and the redisstore module's Store implement it too, to share
// it between a token endpoint and resource servers, or between instances.
type ReplayCache interface {
	Once(ctx context.Context, jkt, jti string, now, until time.Time) (first bool, err error)
}

const (
	defaultReplaySize = 1 << 18
	maxReplaySize     = 1 << 24
)

// NewReplayCache returns an in-memory [ReplayCache] of at most size entries
// (default 262144, some 30 MiB), of which one key may hold at most perKey
// (default size/64, at least 1): a client that holds one bound token, and
// its key, can then use only its share, and one that proves with more than
// perKey proofs within the window has its further proofs refused as
// replays, while the others' still pass. When the whole cache is full of
// live entries, proofs fail with [ErrReplayCacheFull] (fail closed): it takes
// size/perKey keys, each with a valid token, to get there.
func NewReplayCache(size, perKey int) ReplayCache {
	if size <= 0 {
		size = defaultReplaySize
	}
	size = min(size, maxReplaySize)
	if perKey <= 0 {
		perKey = max(size/64, 1)
	}
	return &memReplay{seen: make(map[[16]byte]struct{}), perKey: make(map[string]int), max: size, maxPerKey: perKey}
}

// memReplay is the in-memory ReplayCache: a set of hashes of (jkt, jti), a
// count per jkt, and a queue in insertion order from which expired entries
// leave. Entries are put in nearly in order of expiry (now + window, give
// or take the iat), so the queue's front is nearly the oldest.
type memReplay struct {
	mu        sync.Mutex
	seen      map[[16]byte]struct{}
	perKey    map[string]int
	queue     []replayEntry
	head      int
	max       int
	maxPerKey int
}

type replayEntry struct {
	id    [16]byte
	jkt   string
	until time.Time
}

func (c *memReplay) Once(ctx context.Context, jkt, jti string, now, until time.Time) (bool, error) {
	h := sha256.New()
	h.Write([]byte(jkt))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	var id [16]byte
	copy(id[:], h.Sum(nil))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if _, dup := c.seen[id]; dup {
		return false, nil
	}
	if c.perKey[jkt] >= c.maxPerKey {
		return false, nil
	}
	if len(c.seen) >= c.max {
		return false, ErrReplayCacheFull
	}
	c.seen[id] = struct{}{}
	c.perKey[jkt]++
	c.queue = append(c.queue, replayEntry{id, jkt, until})
	return true, nil
}

// expire drops the entries at the front of the queue that expired. c.mu is
// held.
func (c *memReplay) expire(now time.Time) {
	for c.head < len(c.queue) && !c.queue[c.head].until.After(now) {
		e := &c.queue[c.head]
		delete(c.seen, e.id)
		if n := c.perKey[e.jkt] - 1; n > 0 {
			c.perKey[e.jkt] = n
		} else {
			delete(c.perKey, e.jkt)
		}
		*e = replayEntry{}
		c.head++
	}
	// Compact when the dead front is half the queue.
	if c.head > 1024 && c.head*2 > len(c.queue) {
		n := copy(c.queue, c.queue[c.head:])
		clear(c.queue[n:])
		c.queue = c.queue[:n]
		c.head = 0
	}
}
