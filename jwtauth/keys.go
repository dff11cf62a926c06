package jwtauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Keys is a source of verification keys for [Config.Keys]. Make one with
// [HMAC], [SecretKey], [PublicKey] or [KeySet], or take an issuer's with
// an issuer's (package jwtauth/issuer), or rotate your own with a [KeyRing]. Every key is bound to exactly one algorithm when it is
// made; a token is verified only with a key of the algorithm its header
// names, so the token can never choose how it is checked (RFC 8725 §3.1).
//
// Keys is implemented only by this package.
type Keys interface {
	// keySet returns the keys in force now. Static sources return the same
	// set every time; rotating and remote sources return their current one.
	keySet(ctx context.Context) (*keySet, error)

	// check reports a configuration error, without fetching anything.
	check() error
}

// Supported algorithms and what each needs of its key. none is not here and
// cannot be added: there is no way to make a key for it.
var algorithms = map[string]struct {
	hash    crypto.Hash
	minHMAC int            // HMAC: minimum secret length (RFC 7518 §3.2)
	curve   elliptic.Curve // ECDSA: the one curve of this alg (RFC 7518 §3.4)
	family  string
}{
	"HS256": {crypto.SHA256, 32, nil, "HMAC"},
	"HS384": {crypto.SHA384, 48, nil, "HMAC"},
	"HS512": {crypto.SHA512, 64, nil, "HMAC"},
	"RS256": {crypto.SHA256, 0, nil, "RSA"},
	"RS384": {crypto.SHA384, 0, nil, "RSA"},
	"RS512": {crypto.SHA512, 0, nil, "RSA"},
	"PS256": {crypto.SHA256, 0, nil, "RSA"},
	"PS384": {crypto.SHA384, 0, nil, "RSA"},
	"PS512": {crypto.SHA512, 0, nil, "RSA"},
	"ES256": {crypto.SHA256, 0, elliptic.P256(), "EC"},
	"ES384": {crypto.SHA384, 0, elliptic.P384(), "EC"},
	"ES512": {crypto.SHA512, 0, elliptic.P521(), "EC"},
	"EdDSA": {0, 0, nil, "EdDSA"},
}

// minRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3, §3.5).
const minRSABits = 2048

// publishedSecrets are SHA-256 digests of HMAC secrets printed in tutorials
// that people copy into production. A token signed with one can be forged by
// anyone who has read the tutorial.
var publishedSecrets = [][sha256.Size]byte{
	// FastAPI's "OAuth2 with Password (and hashing), Bearer with JWT tokens":
	// 09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7
	sha256.Sum256([]byte("09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7")),
}

// Errors about keys, returned by [New] (and by issuer.New) when the
// configuration is wrong. They never contain key material.
var (
	// ErrWeakSecret: an HMAC secret shorter than its hash (32 bytes for HS256,
	// 48 for HS384, 64 for HS512), one published in a tutorial, or public key
	// material (PEM, DER, a certificate, a non-oct JWK) given as a secret.
	ErrWeakSecret = errors.New("jwtauth: HMAC secret too weak")
	// ErrKeyAlgorithm: the key does not fit the algorithm it is given, the
	// algorithm is not supported, or (in a JWK Set) cannot be determined.
	ErrKeyAlgorithm = errors.New("jwtauth: key does not fit algorithm")
	// ErrNoKeys: Config.Keys is nil, or a key set holds no signing keys.
	ErrNoKeys = errors.New("jwtauth: no keys")
)

// key is one verification key, bound to one algorithm.
type key struct {
	alg string
	kid string // "" when the key has none
	// material is []byte for HMAC, *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey.
	material any
	hash     crypto.Hash // of alg; 0 for EdDSA
	pss      bool        // PS256, PS384, PS512
	// hmacs holds keyed HMAC states for a secret (nil otherwise), so that
	// verifying does not key a new HMAC, eight allocations, every time.
	hmacs *sync.Pool
}

// hmacState is a keyed HMAC and room for its sum.
type hmacState struct {
	h   hash.Hash
	sum [64]byte
}

// verify checks sig over the signing input. HMACs are compared with
// hmac.Equal, in constant time; a truncated or extended MAC does not match.
// Signatures are checked with crypto/rsa, crypto/ecdsa and crypto/ed25519
// directly, with the key parsed when it was made and the digest on the
// stack, as jwx's per-algorithm primitives (jws/jwsbb) check them: PKCS #1
// v1.5 or PSS with a salt as long as the hash (RFC 7518 §3.3, §3.5), an
// ECDSA signature of exactly twice the curve's size as R||S (§3.4: a DER or
// 63-byte ES256 signature fails), an RSA signature of the modulus' size.
func (k *key) verify(input, sig []byte) error {
	if k.hmacs != nil {
		st := k.hmacs.Get().(*hmacState)
		st.h.Reset()
		st.h.Write(input)
		ok := hmac.Equal(st.h.Sum(st.sum[:0]), sig)
		k.hmacs.Put(st)
		if !ok {
			return ErrSignature
		}
		return nil
	}
	if !k.verifySignature(input, sig) {
		return ErrSignature
	}
	return nil
}

// verifySignature checks a public-key signature.
func (k *key) verifySignature(input, sig []byte) bool {
	var sum [sha512.Size]byte
	digest := func(h crypto.Hash) []byte {
		switch h {
		case crypto.SHA256:
			d := sha256.Sum256(input)
			return append(sum[:0], d[:]...)
		case crypto.SHA384:
			d := sha512.Sum384(input)
			return append(sum[:0], d[:]...)
		default:
			d := sha512.Sum512(input)
			return append(sum[:0], d[:]...)
		}
	}
	switch pub := k.material.(type) {
	case *rsa.PublicKey:
		if len(sig) != pub.Size() {
			return false
		}
		d := digest(k.hash)
		if k.pss {
			return rsa.VerifyPSS(pub, k.hash, d, sig, &rsa.PSSOptions{Hash: k.hash, SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
		return rsa.VerifyPKCS1v15(pub, k.hash, d, sig) == nil
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		var der [2*(66+3) + 3]byte
		return ecdsa.VerifyASN1(pub, digest(k.hash), ecdsaDER(der[:0], sig[:size], sig[size:]))
	case ed25519.PublicKey:
		return ed25519.Verify(pub, input, sig)
	}
	return false
}

// ecdsaDER appends the ASN.1 DER of the ECDSA signature (r, s), given as
// big-endian bytes, to dst: SEQUENCE { INTEGER r, INTEGER s }. Leading zeros
// are dropped and a zero byte put before a high bit, as DER wants; a zero r
// or s becomes INTEGER 0, which VerifyASN1 refuses, as ecdsa.Verify does.
func ecdsaDER(dst, r, s []byte) []byte {
	integer := func(dst, v []byte) []byte {
		for len(v) > 1 && v[0] == 0 {
			v = v[1:]
		}
		if v[0]&0x80 != 0 {
			dst = append(dst, 0x02, byte(len(v)+1), 0)
		} else {
			dst = append(dst, 0x02, byte(len(v)))
		}
		return append(dst, v...)
	}
	var body [2 * (66 + 3)]byte
	b := integer(integer(body[:0], r), s)
	if len(b) < 0x80 {
		dst = append(dst, 0x30, byte(len(b)))
	} else {
		dst = append(dst, 0x30, 0x81, byte(len(b)))
	}
	return append(dst, b...)
}

// keySet is an immutable collection of keys. Lookups never allocate.
type keySet struct {
	byKID map[string]*key
	// Per algorithm, the one key a token without a usable kid gets, or nil
	// when there are several (see find). A present map entry means some key
	// has the algorithm.
	onlyKey  map[string]*key // among all keys of the algorithm
	onlyAnon map[string]*key // among the keys without a kid
}

func newKeySet(keys ...*key) (*keySet, error) {
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	s := &keySet{byKID: make(map[string]*key), onlyKey: make(map[string]*key), onlyAnon: make(map[string]*key)}
	only := func(m map[string]*key, k *key) {
		if _, seen := m[k.alg]; seen {
			m[k.alg] = nil
		} else {
			m[k.alg] = k
		}
	}
	for _, k := range keys {
		only(s.onlyKey, k)
		if k.kid == "" {
			only(s.onlyAnon, k)
			continue
		}
		if _, dup := s.byKID[k.kid]; dup {
			return nil, fmt.Errorf("%w: two keys with the same kid", ErrKeyAlgorithm)
		}
		s.byKID[k.kid] = k
	}
	return s, nil
}

// find selects the key for a token whose header names alg and kid:
//
//   - a kid that a key has selects that key, which must be of alg;
//   - a kid that no key has selects the one key of alg without a kid;
//   - no kid selects the one key of alg.
//
// Where the rule finds several keys the token is refused rather than checked
// against each, which would let one request cost many verifications.
func (s *keySet) find(alg string, kid []byte) (*key, error) {
	return s.pick(alg, s.byKID[string(kid)], len(kid) > 0)
}

// findByKID is find for a kid held as a string.
func (s *keySet) findByKID(alg, kid string) (*key, error) {
	return s.pick(alg, s.byKID[kid], kid != "")
}

// pick applies find's rules to byKID, the key whose kid the token names
// (nil when none has it).
func (s *keySet) pick(alg string, byKID *key, hasKID bool) (*key, error) {
	only, ok := s.onlyKey[alg]
	if !ok {
		return nil, ErrAlgorithm
	}
	if byKID != nil {
		if byKID.alg != alg {
			return nil, ErrAlgorithm
		}
		return byKID, nil
	}
	if hasKID {
		only = s.onlyAnon[alg]
	}
	if only == nil {
		return nil, ErrUnknownKey
	}
	return only, nil
}

// staticKeys is a Keys that never changes, or the error that making it gave.
type staticKeys struct {
	set *keySet
	err error
}

func (s staticKeys) keySet(context.Context) (*keySet, error) { return s.set, s.err }
func (s staticKeys) check() error                            { return s.err }

func keysOf(k *key, err error) Keys {
	if err != nil {
		return staticKeys{err: err}
	}
	set, err := newKeySet(k)
	return staticKeys{set: set, err: err}
}

// HMAC returns Keys holding one HS256 secret, the shape of the FastAPI
// recipes: the secret is used as bytes, exactly as PyJWT and python-jose use
// the UTF-8 bytes of their SECRET_KEY. It is shorthand for
// SecretKey("HS256", secret). The secret is copied.
//
// The secret must be at least 32 random bytes; [New] refuses a shorter one, or
// one published in a tutorial, with [ErrWeakSecret].
func HMAC(secret []byte) Keys { return SecretKey("HS256", secret) }

// SecretKey returns Keys holding one HMAC secret for alg: "HS256", "HS384" or
// "HS512". The secret must be at least as long as the hash (32, 48 or 64
// bytes), and must not be public key material: a PEM block, a DER key or
// certificate, or a JWK that is not oct ([ErrWeakSecret]). The secret is
// copied.
func SecretKey(alg string, secret []byte) Keys { return keysOf(newSecretKey(alg, "", secret)) }

func newSecretKey(alg, kid string, secret []byte) (*key, error) {
	a, ok := algorithms[alg]
	if !ok || a.family != "HMAC" {
		return nil, fmt.Errorf("%w: not an HMAC algorithm", ErrKeyAlgorithm)
	}
	if len(secret) < a.minHMAC {
		return nil, fmt.Errorf("%w: %s needs a secret of at least %d bytes", ErrWeakSecret, alg, a.minHMAC)
	}
	if isPublicKeyMaterial(secret) {
		return nil, fmt.Errorf("%w: the secret is public key material (PEM, DER, a certificate or a JWK), which anyone can read; verify with PublicKey or KeySet", ErrWeakSecret)
	}
	sum := sha256.Sum256(secret)
	for _, p := range publishedSecrets {
		if subtle.ConstantTimeCompare(sum[:], p[:]) == 1 {
			return nil, fmt.Errorf("%w: the secret is published in a tutorial", ErrWeakSecret)
		}
	}
	secret = append([]byte(nil), secret...)
	newHash := a.hash.New
	pool := &sync.Pool{New: func() any { return &hmacState{h: hmac.New(newHash, secret)} }}
	return &key{alg: alg, kid: kid, material: secret, hmacs: pool}, nil
}

// isPublicKeyMaterial reports whether secret is, or encodes, a public key or
// certificate: PEM of any kind, a DER public key, certificate or private key,
// or a JWK (or JWK Set) of a type other than oct. Used as an HMAC secret, it
// lets anyone who holds the public key forge tokens: the classic RS256/HS256
// confusion, moved from the token to the configuration.
func isPublicKeyMaterial(secret []byte) bool {
	trimmed := bytes.TrimSpace(secret)
	if bytes.Contains(trimmed, []byte("-----BEGIN ")) {
		return true
	}
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var jwkish struct {
			Kty  *string           `json:"kty"`
			Keys []json.RawMessage `json:"keys"`
		}
		if json.Unmarshal(trimmed, &jwkish) == nil {
			if jwkish.Kty != nil && *jwkish.Kty != "oct" || jwkish.Keys != nil {
				return true
			}
		}
	}
	if _, err := x509.ParsePKIXPublicKey(secret); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PublicKey(secret); err == nil {
		return true
	}
	if _, err := x509.ParseCertificate(secret); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS8PrivateKey(secret); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(secret); err == nil {
		return true
	}
	if _, err := x509.ParseECPrivateKey(secret); err == nil {
		return true
	}
	return false
}

// PublicKey returns Keys holding one public key for alg:
//
//   - RS256, RS384, RS512, PS256, PS384, PS512: *rsa.PublicKey of at least
//     2048 bits;
//   - ES256, ES384, ES512: *ecdsa.PublicKey on P-256, P-384, P-521 respectively;
//   - EdDSA: ed25519.PublicKey.
//
// Parse a PEM file with encoding/pem and [crypto/x509.ParsePKIXPublicKey]. A
// key that does not fit alg makes [New] fail with [ErrKeyAlgorithm].
func PublicKey(alg string, pub crypto.PublicKey) Keys { return keysOf(newPublicKey(alg, "", pub)) }

func newPublicKey(alg, kid string, pub crypto.PublicKey) (*key, error) {
	a, ok := algorithms[alg]
	if !ok {
		return nil, fmt.Errorf("%w: unsupported algorithm", ErrKeyAlgorithm)
	}
	bad := func(why string) (*key, error) { return nil, fmt.Errorf("%w: %s: %s", ErrKeyAlgorithm, alg, why) }
	switch a.family {
	case "RSA":
		k, ok := pub.(*rsa.PublicKey)
		if !ok || k == nil || k.N == nil {
			return bad("needs *rsa.PublicKey")
		}
		if k.N.BitLen() < minRSABits {
			return bad("RSA key shorter than 2048 bits")
		}
		if k.E < 3 || k.E&1 == 0 {
			return bad("invalid RSA public exponent")
		}
	case "EC":
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k == nil || k.Curve != a.curve || k.X == nil || k.Y == nil {
			return bad("needs *ecdsa.PublicKey on the algorithm's curve")
		}
		if _, err := k.ECDH(); err != nil { // checks the point is on the curve
			return bad("invalid EC point")
		}
	case "EdDSA":
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return bad("needs ed25519.PublicKey")
		}
		pub = append(ed25519.PublicKey(nil), k...)
	default:
		return bad("needs a secret, see SecretKey")
	}
	return &key{alg: alg, kid: kid, material: pub, hash: a.hash, pss: alg[0] == 'P'}, nil
}

// KeySet returns Keys holding the keys of a JSON Web Key Set (RFC 7517 §5),
// selected by the token's kid. Each key is bound to its "alg"; EC and Ed25519
// keys without one get the only algorithm of their curve, and an RSA or oct
// key without one is an error, since it would fit several. Keys whose "use" is
// "enc" are skipped. Private keys are reduced to their public part; oct keys
// must meet the HMAC length rules. The JSON is parsed once, here.
func KeySet(jwksJSON []byte) Keys {
	set, err := parseKeySet(jwksJSON, true)
	return staticKeys{set: set, err: err}
}

func parseKeySet(jwksJSON []byte, allowSecret bool) (*keySet, error) {
	parsed, err := jwk.Parse(jwksJSON)
	if err != nil {
		return nil, fmt.Errorf("%w: JWK Set does not parse", ErrKeyAlgorithm)
	}
	var keys []*key
	for i := range parsed.Len() {
		jk, _ := parsed.Key(i)
		k, err := fromJWK(jk, allowSecret)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if k != nil {
			keys = append(keys, k)
		}
	}
	return newKeySet(keys...)
}

// fromJWK converts one JWK; it returns nil, nil for a key to skip.
func fromJWK(jk jwk.Key, allowSecret bool) (*key, error) {
	if use, ok := jk.KeyUsage(); ok && use != jwk.ForSignature.String() {
		return nil, nil
	}
	if err := jk.Validate(); err != nil {
		return nil, fmt.Errorf("%w: invalid JWK", ErrKeyAlgorithm)
	}
	kid, _ := jk.KeyID()
	alg := ""
	if a, ok := jk.Algorithm(); ok {
		alg = a.String()
	}
	if _, ok := algorithms[alg]; alg != "" && !ok {
		if _, isSig := jwa.LookupSignatureAlgorithm(alg); !isSig {
			return nil, nil // an encryption algorithm: not ours to use
		}
		return nil, fmt.Errorf("%w: unsupported algorithm", ErrKeyAlgorithm)
	}
	var raw any
	if jk.KeyType() == jwa.OctetSeq() {
		if !allowSecret {
			return nil, fmt.Errorf("%w: symmetric key in a remote key set", ErrKeyAlgorithm)
		}
		if alg == "" {
			return nil, fmt.Errorf("%w: oct key without alg", ErrKeyAlgorithm)
		}
		var secret []byte
		if err := jwk.Export(jk, &secret); err != nil {
			return nil, fmt.Errorf("%w: invalid oct key", ErrKeyAlgorithm)
		}
		return newSecretKey(alg, kid, secret)
	}
	pk, err := jwk.PublicKeyOf(jk)
	if err != nil {
		return nil, fmt.Errorf("%w: no public key", ErrKeyAlgorithm)
	}
	if err := jwk.Export(pk, &raw); err != nil {
		return nil, fmt.Errorf("%w: invalid key", ErrKeyAlgorithm)
	}
	if alg == "" {
		switch k := raw.(type) {
		case *ecdsa.PublicKey:
			for name, a := range algorithms {
				if a.curve != nil && a.curve == k.Curve {
					alg = name
				}
			}
		case ed25519.PublicKey:
			alg = "EdDSA"
		}
		if alg == "" {
			return nil, fmt.Errorf("%w: key without alg", ErrKeyAlgorithm)
		}
	}
	return newPublicKey(alg, kid, raw)
}
