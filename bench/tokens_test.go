package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
)

// The tokens every contender verifies. They are minted here with the standard
// library alone, so that no contender's own encoder shapes them: a compact JWS
// with {"alg","typ"} (and "kid" for the key-set benchmarks) and the claims of
// an access token as Keycloak or Auth0 issue them, about 870 bytes in HS256,
// 910 in ES256 and EdDSA, and 1170 in RS256 (TestTokenShape keeps them so).

const (
	issuer   = "https://auth.example"
	audience = "api"
	subject  = "8b2f4c1e-6d3a-4e5f-9a7b-0c1d2e3f4a5b"

	// coldPoolSize is the number of distinct tokens the cold benchmarks
	// cycle through. It is above authkit's default cache of 16384 tokens
	// (16 shards of 1024), so that a middleware with that cache on misses
	// on every request too: a token comes back after 24576 others, about
	// 1536 per shard, while a shard forgets a token it saw once after 1024
	// (and a FIFO of 1024 would have evicted it). Every contender gets the
	// same pool, so CPU cache effects of walking it are the same for all.
	coldPoolSize = 24576
)

// secret is the HS256 key: 48 random-looking bytes, above every contender's
// minimum.
var secret = []byte("bench-hs256-secret-9f3a1c7e5b2d4f6081a3c5e7b9d1f")

var b64 = base64.RawURLEncoding

// benchClaims is the payload, 16 claims in the order a Keycloak access token
// has them: the registered claims every contender checks (iss, aud as an
// array of two, exp, iat) or reads (sub), a unique jti, and the private
// claims that make up most of a real token: a scope string of six scopes,
// roles as nested objects and as an array, and a name that is not ASCII.
type benchClaims struct {
	Iss            string             `json:"iss"`
	Sub            string             `json:"sub"`
	Aud            []string           `json:"aud"`
	Exp            int64              `json:"exp"`
	Iat            int64              `json:"iat"`
	AuthTime       int64              `json:"auth_time"`
	Jti            string             `json:"jti"`
	Typ            string             `json:"typ"`
	Azp            string             `json:"azp"`
	Sid            string             `json:"sid"`
	Scope          string             `json:"scope"`
	RealmAccess    roleSet            `json:"realm_access"`
	ResourceAccess map[string]roleSet `json:"resource_access"`
	Roles          []string           `json:"roles"`
	Name           string             `json:"name"`
	Email          string             `json:"email"`
}

// roleSet is Keycloak's {"roles": [...]} object.
type roleSet struct {
	Roles []string `json:"roles"`
}

// claimsFor returns valid claims for the i-th token: issued now, valid for an
// hour, with a jti of its own.
func claimsFor(i int) benchClaims {
	now := time.Now().Unix()
	return benchClaims{
		Iss:         issuer,
		Sub:         subject,
		Aud:         []string{audience, "account"},
		Exp:         now + 3600,
		Iat:         now,
		AuthTime:    now - 10,
		Jti:         fmt.Sprintf("%08x-5c2e-4d7a-9f1b-3a8e6c0d2b4f", i),
		Typ:         "Bearer",
		Azp:         "web-app",
		Sid:         "c7d1e0f2-8a3b-4c5d-9e6f-1a2b3c4d5e6f",
		Scope:       "openid profile email offline_access items:read items:write",
		RealmAccess: roleSet{[]string{"default-roles-bench", "offline_access", "uma_authorization"}},
		ResourceAccess: map[string]roleSet{
			"api": {[]string{"items-reader", "items-writer"}},
		},
		Roles: []string{"admin", "editor", "viewer"},
		Name:  "Zoë Ångström",
		Email: "zoe@example.com",
	}
}

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

// sign returns the JWS signature of input (RFC 7518 §3).
func sign(algName string, priv any, input []byte) []byte {
	switch algName {
	case "HS256":
		m := hmac.New(sha256.New, priv.([]byte))
		m.Write(input)
		return m.Sum(nil)
	case "RS256":
		d := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(nil, priv.(*rsa.PrivateKey), crypto.SHA256, d[:])
		if err != nil {
			panic(err)
		}
		return sig
	case "ES256":
		d := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, priv.(*ecdsa.PrivateKey), d[:])
		if err != nil {
			panic(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	case "EdDSA":
		return ed25519.Sign(priv.(ed25519.PrivateKey), input)
	}
	panic("unknown alg " + algName)
}

// mintWith signs claims (any JSON-marshalable value) as a compact JWS.
func mintWith(algName string, priv any, kid string, claims any) string {
	hdr := map[string]string{"alg": algName, "typ": "JWT"}
	if kid != "" {
		hdr["kid"] = kid
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		panic(err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	return input + "." + b64.EncodeToString(sign(algName, priv, []byte(input)))
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
