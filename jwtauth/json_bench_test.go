package jwtauth

import (
	"testing"
)

// keycloakPayload is the payload of the bench module's realistic token: 16
// claims, aud an array of two, six scopes, nested role objects, a non-ASCII
// name.
const keycloakPayload = `{"iss":"https://auth.example","sub":"8b2f4c1e-6d3a-4e5f-9a7b-0c1d2e3f4a5b","aud":["api","account"],"exp":1900003600,"iat":1900000000,"auth_time":1899999990,"jti":"00000001-5c2e-4d7a-9f1b-3a8e6c0d2b4f","typ":"Bearer","azp":"web-app","sid":"c7d1e0f2-8a3b-4c5d-9e6f-1a2b3c4d5e6f","scope":"openid profile email offline_access items:read items:write","realm_access":{"roles":["default-roles-bench","offline_access","uma_authorization"]},"resource_access":{"api":{"roles":["items-reader","items-writer"]}},"roles":["admin","editor","viewer"],"name":"Zoë Ångström","email":"zoe@example.com"}`

// BenchmarkReadClaims: the claims of a realistic token, read as verify
// reads them (objectMembers, the registered claims, the fold check), without
// the signature or the base64.
func BenchmarkReadClaims(b *testing.B) {
	m, err := New(Config{Keys: HMAC([]byte("0123456789abcdef0123456789abcdef")), Audience: "api"})
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(keycloakPayload)
	var w jsonWork
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		c := newClaims(payload)
		c.mw = m
		if err := m.readClaims(&w, c, payload); err != nil {
			b.Fatal(err)
		}
	}
}
