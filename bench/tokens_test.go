package bench

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"runtime"
	"strings"
	"sync"

	"github.com/authkit-go/authkit/bench/tokens"
)

// The tokens every contender verifies are package tokens': the claims of a
// Keycloak-like access token (see there), about 870 bytes in HS256, 910 in
// ES256 and EdDSA, and 1170 in RS256 (TestTokenShape keeps them so).

const (
	issuer   = tokens.Issuer
	audience = tokens.Audience
	subject  = tokens.Subject

	// coldPoolSize is the number of distinct tokens the cold benchmarks
	// cycle through. It is above authkit's default cache of 16384 tokens
	// (16 shards of 1024), so that a middleware with that cache on misses
	// on every request too: a token comes back after 24576 others, about
	// 1536 per shard, while a shard forgets a token it saw once after 1024
	// (and a FIFO of 1024 would have evicted it). Every contender gets the
	// same pool, so CPU cache effects of walking it are the same for all.
	coldPoolSize = 24576
)

// secret is the HS256 key.
var secret = tokens.Secret

var b64 = base64.RawURLEncoding

// benchClaims is the payload, 16 claims (see package tokens).
type benchClaims = tokens.Claims

// claimsFor returns valid claims for the i-th token: issued now, valid for an
// hour, with a jti of its own.
func claimsFor(i int) benchClaims { return tokens.For(i) }

// alg is one signing algorithm with its key pair.
type alg struct {
	name string
	priv any // []byte, *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey
	pub  any // []byte, *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey

	pool    func() []string // coldPoolSize distinct valid tokens, minted once
	bearers func() []string // "Bearer " + each token of pool
}

// algs returns HS256, RS256, ES256 and EdDSA; the keys are made once.
var algs = sync.OnceValue(newAlgs)

// newAlgs makes HS256 (with secret), RS256, ES256 and EdDSA keys.
func newAlgs() []*alg {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	dpub, dk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	list := []*alg{
		{name: "HS256", priv: secret, pub: secret},
		{name: "RS256", priv: rk, pub: &rk.PublicKey},
		{name: "ES256", priv: ek, pub: &ek.PublicKey},
		{name: "EdDSA", priv: dk, pub: dpub},
	}
	for _, a := range list {
		a.pool = sync.OnceValue(func() []string { return mintPool(a, "", coldPoolSize) })
		a.bearers = sync.OnceValue(func() []string { return bearers(a.pool()) })
	}
	return list
}

// algByName returns the alg called name.
func algByName(name string) *alg {
	for _, a := range algs() {
		if a.name == name {
			return a
		}
	}
	panic("no alg " + name)
}

// mintWith signs claims (any JSON-marshalable value) as a compact JWS.
func mintWith(algName string, priv any, kid string, claims any) string {
	return tokens.Mint(algName, priv, kid, claims)
}

func (a *alg) mint(kid string, c benchClaims) string { return mintWith(a.name, a.priv, kid, c) }

// mintPool mints n distinct valid tokens, on all CPUs (RSA signing is slow).
func mintPool(a *alg, kid string, n int) []string {
	toks := make([]string, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				toks[i] = a.mint(kid, claimsFor(i))
			}
		})
	}
	wg.Wait()
	return toks
}

// tamper flips one character in the middle of the signature: the token keeps
// its shape and decodes, but no longer verifies.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	j := i + (len(tok)-i)/2
	c := byte('A')
	if tok[j] == 'A' {
		c = 'B'
	}
	return tok[:j] + string(c) + tok[j+1:]
}
