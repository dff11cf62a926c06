package jwtauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"sync"

	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
)

// algorithms are the algorithms of jwtauth, by family.
var algorithms = map[string]string{
	"HS256": "HMAC", "HS384": "HMAC", "HS512": "HMAC",
	"RS256": "RSA", "RS384": "RSA", "RS512": "RSA",
	"PS256": "RSA", "PS384": "RSA", "PS512": "RSA",
	"ES256": "EC", "ES384": "EC", "ES512": "EC",
	"EdDSA": "EdDSA",
}

// rsaKeys are the RSA keys of this process, made on first use: generating
// a 2048-bit key takes a second or more under -race, so every Kit and
// Provider of an RSA algorithm shares these few, each under kids of its own.
// Slot n is made once, by the first caller that needs it.
var rsaKeys struct {
	mu    sync.Mutex
	slots []func() (*rsa.PrivateKey, error)
}

// rsaKey returns the RSA key of slot n.
func rsaKey(n int) (*rsa.PrivateKey, error) {
	rsaKeys.mu.Lock()
	for len(rsaKeys.slots) <= n {
		rsaKeys.slots = append(rsaKeys.slots, sync.OnceValues(func() (*rsa.PrivateKey, error) {
			return rsa.GenerateKey(rand.Reader, 2048)
		}))
	}
	slot := rsaKeys.slots[n]
	rsaKeys.mu.Unlock()
	return slot()
}

// newKey returns a new key for alg: a random secret as long as the hash for
// HS*, a new EC or Ed25519 key, or the RSA key of slot rsaSlot.
func newKey(alg string, rsaSlot int) (any, error) {
	switch alg {
	case "HS256", "HS384", "HS512":
		n := map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[alg]
		secret := make([]byte, n)
		rand.Read(secret)
		return secret, nil
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	if algorithms[alg] == "RSA" {
		return rsaKey(rsaSlot)
	}
	return nil, fmt.Errorf("jwtauthtest: unsupported algorithm %q (want one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)", alg)
}

// otherKey returns a key for alg that is not key: what signs the tokens of
// a key the verifier does not hold.
func otherKey(alg string, key any) (any, error) {
	for slot := 0; ; slot++ {
		k, err := newKey(alg, slot)
		if err != nil {
			return nil, err
		}
		if !sameKey(k, key) {
			return k, nil
		}
	}
}

// sameKey reports whether a and b are the same secret or private key.
func sameKey(a, b any) bool {
	if sa, ok := a.([]byte); ok {
		sb, ok := b.([]byte)
		return ok && string(sa) == string(sb)
	}
	ca, ok := a.(crypto.Signer)
	if !ok {
		return false
	}
	cb, ok := b.(crypto.Signer)
	if !ok {
		return false
	}
	pa, ok := ca.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pa.Equal(cb.Public())
}

// randomKID returns a kid no other key of the process has.
func randomKID() string {
	var b [12]byte
	rand.Read(b[:])
	return "jwtauthtest-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// publicPEM returns the PEM of the public key of signer, as the classic
// algorithm confusion attack uses it for an HMAC secret.
func publicPEM(key any) ([]byte, error) {
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("jwtauthtest: %T is not a private key", key)
	}
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		return nil, fmt.Errorf("jwtauthtest: public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// header encodes a JOSE header as the issuer package writes it.
func header(alg, kid, typ string) string {
	h, _ := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid,omitempty"`
		Typ string `json:"typ,omitempty"`
	}{alg, kid, typ})
	return base64.RawURLEncoding.EncodeToString(h)
}

// sign returns the compact JWS of payload under a header of alg and kid,
// signed with key for alg. Nothing checks that key fits alg: the kit signs
// with a public key as an HMAC secret on purpose.
func sign(alg, kid string, key any, payload []byte) (string, error) {
	input := header(alg, kid, "JWT") + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := jwsbb.Sign(key, alg, []byte(input), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("jwtauthtest: signing with %s: %w", alg, err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
