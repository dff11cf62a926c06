package issuer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// KeyUse is what a [PublicKey] verifies.
type KeyUse string

// The uses of a published key.
const (
	// UseAccess: the key signs access tokens. It is in the JWK Set and in
	// [Issuer.Keys] of every instance.
	UseAccess KeyUse = "access"
	// UseRefresh: the key signs refresh tokens. Only the instances of the
	// fleet verify it, at [Issuer.Refresh]: it is never in the JWK Set nor
	// in Issuer.Keys, so no refresh token verifies as an access token, even
	// at a verifier that ignores typ.
	UseRefresh KeyUse = "refresh"
)

// PublicKey is the public half of one instance's signing key, as the
// instances of a fleet publish it to one another through a [KeyStore] (see
// [Rotation]). It never holds a private key or a secret.
type PublicKey struct {
	// ID is the kid: the RFC 7638 thumbprint (SHA-256, base64url) of JWK.
	// A key whose ID is not its thumbprint is refused, so no record can
	// claim another key's kid.
	ID string
	// Use is UseAccess or UseRefresh.
	Use KeyUse
	// Algorithm is the one algorithm the key verifies: an asymmetric one
	// (RS*, PS*, ES*, EdDSA). A key of another type is refused.
	Algorithm string
	// Issuer is Config.Issuer of the instance that published it: an
	// Issuer serves only keys published for its own iss.
	Issuer string
	// JWK is the public key as a JSON Web Key (RFC 7517), at most
	// [MaxPublicKeySize] bytes, without any private member.
	JWK []byte
	// NotBefore is when the key may start signing: verifiers have had it
	// for the publish-ahead time (Rotation.Ahead) by then.
	NotBefore time.Time
	// Expires is when the record may be dropped: every token the key
	// signed has expired by then, with the verifiers' leeway. A store keeps
	// the latest Expires published for a key.
	Expires time.Time
}

// KeyStore is where the instances of a fleet publish their public keys to
// one another (see [Rotation]). [MemoryStore] implements it for one
// process; the redisstore module for many. It holds public keys only.
//
// Like [Store], it takes the Issuer's clock as now. Its methods honour ctx:
// every call is bounded by it.
type KeyStore interface {
	// PublishKey records k, or extends the record of the key with the
	// same Use and ID: Expires becomes the later of the two; a record with
	// the same Use and ID but another JWK, Algorithm, Issuer or NotBefore is
	// refused. It drops the records that expired at now. A store holding
	// [MaxPublicKeys] live records refuses a new one with an error matching
	// [ErrKeyStoreFull].
	PublishKey(ctx context.Context, k PublicKey, now time.Time) error

	// PublicKeys returns the records that have not expired at now. The
	// Issuer checks each, and skips those it cannot trust.
	PublicKeys(ctx context.Context, now time.Time) ([]PublicKey, error)
}

// MaxPublicKeys bounds the records of a [KeyStore]: a fleet that restarts
// in a loop, each instance publishing new keys, cannot grow it without
// bound. Three records per instance and rotation are live at a time.
const MaxPublicKeys = 1024

// MaxPublicKeySize bounds PublicKey.JWK, in bytes: an RSA key of 8192 bits
// fits.
const MaxPublicKeySize = 4 << 10

// maxKeyRecordLife bounds how far in the future a record's Expires may be:
// the longest RefreshTTL, the leeway and a day of slack. A record that
// claims more is refused, so no entry lingers for years.
const maxKeyRecordLife = maxRefreshTTL + maxLeeway + 24*time.Hour

// ErrKeyStoreFull: a [KeyStore] holds [MaxPublicKeys] live records and
// refuses another. The Issuer keeps signing with its current key while its
// record is valid, and retries.
var ErrKeyStoreFull = errors.New("issuer: key store full")

// errBadPublicKey is why a record is refused.
var errBadPublicKey = errors.New("issuer: untrusted public key record")

// private are the members of a JWK that carry private or secret material.
var private = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// checkPublicKey checks a record read from a KeyStore, and returns the key
// that verifies its tokens. It never panics on hostile input.
func checkPublicKey(k PublicKey, issuer string, now time.Time) (jwtauth.VerificationKey, error) {
	var vk jwtauth.VerificationKey
	switch {
	case k.Use != UseAccess && k.Use != UseRefresh:
		return vk, fmt.Errorf("%w: unknown use", errBadPublicKey)
	case k.Issuer != issuer:
		return vk, fmt.Errorf("%w: another issuer's", errBadPublicKey)
	case len(k.JWK) == 0 || len(k.JWK) > MaxPublicKeySize:
		return vk, fmt.Errorf("%w: JWK empty or larger than %d bytes", errBadPublicKey, MaxPublicKeySize)
	case k.ID == "" || len(k.ID) > 64:
		return vk, fmt.Errorf("%w: bad kid", errBadPublicKey)
	case !k.Expires.After(now) || k.Expires.After(now.Add(maxKeyRecordLife)) || k.NotBefore.After(k.Expires):
		return vk, fmt.Errorf("%w: expired or implausible lifetime", errBadPublicKey)
	}
	switch k.Algorithm {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA":
	default:
		return vk, fmt.Errorf("%w: algorithm not an asymmetric one", errBadPublicKey)
	}
	var members map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(k.JWK))
	if err := dec.Decode(&members); err != nil || dec.More() {
		return vk, fmt.Errorf("%w: JWK is not a JSON object", errBadPublicKey)
	}
	for _, m := range private {
		if _, ok := members[m]; ok {
			return vk, fmt.Errorf("%w: JWK holds private material", errBadPublicKey)
		}
	}
	jk, err := jwk.ParseKey(k.JWK)
	if err != nil {
		return vk, fmt.Errorf("%w: JWK does not parse", errBadPublicKey)
	}
	if a, ok := jk.Algorithm(); ok && a.String() != k.Algorithm {
		return vk, fmt.Errorf("%w: JWK alg differs", errBadPublicKey)
	}
	if u, ok := jk.KeyUsage(); ok && u != jwk.ForSignature.String() {
		return vk, fmt.Errorf("%w: JWK not for signatures", errBadPublicKey)
	}
	var raw any
	if err := jwk.Export(jk, &raw); err != nil {
		return vk, fmt.Errorf("%w: JWK does not export", errBadPublicKey)
	}
	switch raw.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		return vk, fmt.Errorf("%w: not a public key", errBadPublicKey)
	}
	tp, err := jk.Thumbprint(crypto.SHA256)
	if err != nil || base64.RawURLEncoding.EncodeToString(tp) != k.ID {
		return vk, fmt.Errorf("%w: kid is not the key's thumbprint", errBadPublicKey)
	}
	vk = jwtauth.VerificationKey{Algorithm: k.Algorithm, ID: k.ID, Key: raw}
	// jwtauth's checks: the key fits the algorithm (an RSA key is not
	// taken for ES256), RSA keys have 2048 bits or more.
	if _, err := jwtauth.NewKeyRing(nil, vk); err != nil {
		return jwtauth.VerificationKey{}, fmt.Errorf("%w: key does not fit its algorithm", errBadPublicKey)
	}
	return vk, nil
}

// publicJWK renders the public key of s as a JWK, for a PublicKey.
func publicJWK(s *signer) ([]byte, error) {
	jk, err := jwk.Import(s.verify.Key)
	if err != nil {
		return nil, configError("Rotation: %w: unusable public key", jwtauth.ErrKeyAlgorithm)
	}
	return json.Marshal(jk)
}

// sameRecord reports whether a and b are records of one key, which may
// differ only in Expires.
func sameRecord(a, b PublicKey) bool {
	return a.ID == b.ID && a.Use == b.Use && a.Algorithm == b.Algorithm && a.Issuer == b.Issuer &&
		a.NotBefore.Equal(b.NotBefore) && bytes.Equal(a.JWK, b.JWK)
}

// errKeyConflict: a record with the same Use and ID but other contents.
var errKeyConflict = errors.New("issuer: key store: another record with this kid")
