// Package tokens mints the bench module's realistic access tokens, for the
// in-process benchmarks and for the HTTP server of ../http alike: a compact
// JWS with {"alg","typ"} (and "kid" when asked) over the claims of an access
// token as Keycloak or Auth0 issue them, minted with the standard library
// alone so that no contender's encoder shapes them.
//
// The claims are 16, in Keycloak's order: iss, sub, aud (an array of two),
// exp, iat, auth_time, a unique jti, typ, azp, sid, a scope string of six
// scopes, realm_access and resource_access (nested objects of role arrays),
// roles (an array), a non-ASCII name ("Zoë Ångström") and email. A token is
// about 870 bytes in HS256, 910 in ES256 and EdDSA, 1170 in RS256.
package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// The registered claims every token carries, and every contender checks.
const (
	Issuer   = "https://auth.example"
	Audience = "api"
	Subject  = "8b2f4c1e-6d3a-4e5f-9a7b-0c1d2e3f4a5b"
)

// Secret is the HS256 key: 48 random-looking bytes, above every contender's
// minimum.
var Secret = []byte("bench-hs256-secret-9f3a1c7e5b2d4f6081a3c5e7b9d1f")

var b64 = base64.RawURLEncoding

// Claims is the payload, in the order a Keycloak access token has them.
type Claims struct {
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
	RealmAccess    RoleSet            `json:"realm_access"`
	ResourceAccess map[string]RoleSet `json:"resource_access"`
	Roles          []string           `json:"roles"`
	Name           string             `json:"name"`
	Email          string             `json:"email"`
}

// RoleSet is Keycloak's {"roles": [...]} object.
type RoleSet struct {
	Roles []string `json:"roles"`
}

// For returns valid claims for the i-th token: issued now, valid for an
// hour, with a jti of its own.
func For(i int) Claims {
	now := time.Now().Unix()
	return Claims{
		Iss:         Issuer,
		Sub:         Subject,
		Aud:         []string{Audience, "account"},
		Exp:         now + 3600,
		Iat:         now,
		AuthTime:    now - 10,
		Jti:         fmt.Sprintf("%08x-5c2e-4d7a-9f1b-3a8e6c0d2b4f", i),
		Typ:         "Bearer",
		Azp:         "web-app",
		Sid:         "c7d1e0f2-8a3b-4c5d-9e6f-1a2b3c4d5e6f",
		Scope:       "openid profile email offline_access items:read items:write",
		RealmAccess: RoleSet{[]string{"default-roles-bench", "offline_access", "uma_authorization"}},
		ResourceAccess: map[string]RoleSet{
			"api": {[]string{"items-reader", "items-writer"}},
		},
		Roles: []string{"admin", "editor", "viewer"},
		Name:  "Zoë Ångström",
		Email: "zoe@example.com",
	}
}

// Sign returns the JWS signature of input (RFC 7518 §3) for HS256, RS256,
// ES256 or EdDSA; priv is []byte, *rsa.PrivateKey, *ecdsa.PrivateKey or
// ed25519.PrivateKey.
func Sign(alg string, priv any, input []byte) []byte {
	switch alg {
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
	panic("unknown alg " + alg)
}

// Mint signs claims (any JSON-marshalable value) as a compact JWS, with kid
// in the header unless it is "".
func Mint(alg string, priv any, kid string, claims any) string {
	hdr := map[string]string{"alg": alg, "typ": "JWT"}
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
	return input + "." + b64.EncodeToString(Sign(alg, priv, []byte(input)))
}
