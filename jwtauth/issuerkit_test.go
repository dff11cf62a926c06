package jwtauth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// signers holds one private key per algorithm family, made once per test
// binary (RSA key generation is slow under -race).
var signers = sync.OnceValue(func() map[string]any {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	secret := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
	return map[string]any{
		"HS256": secret(32), "HS384": secret(48), "HS512": secret(64),
		"RS256": rsaKey, "RS384": rsaKey, "RS512": rsaKey,
		"PS256": rsaKey, "PS384": rsaKey, "PS512": rsaKey,
		"ES256": p256, "ES384": p384, "ES512": p521,
		"EdDSA": ed,
	}
})

// newIssuer returns an issuer of cfg, signing with ES256 when cfg has no key.
func newIssuer(t testing.TB, cfg issuer.Config) *issuer.Issuer {
	t.Helper()
	if cfg.Key.Algorithm == "" {
		cfg.Key = issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}
	}
	iss, err := issuer.New(cfg)
	if err != nil {
		t.Fatalf("issuer.New: %v", err)
	}
	return iss
}

// clock is a settable time source for issuer.Config.Now and Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// issuerConfigES is an issuer configuration signing with ES256.
func issuerConfigES() issuer.Config {
	return issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}}
}
