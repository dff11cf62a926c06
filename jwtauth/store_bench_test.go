package jwtauth_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// BenchmarkStore measures what the revocation check adds to a warm
// verification (the verified-token cache answers): an Issuer's access token,
// which has a jti and a sid, verified by Middleware.Verify with no Store,
// with the issuer's MemoryStore, and with an Issuer's Keys (whose store the
// Middleware then consults by default). The stores hold 1,000 sessions of
// other users, as a live one would. The -parallel runs show whether the check
// serialises concurrent requests:
//
//	go test -run x -bench Store -benchmem -count 5 ./jwtauth
func BenchmarkStore(b *testing.B) {
	iss := newIssuer(b, issuer.Config{Issuer: "https://auth.example", Audience: "api"})
	pair, err := iss.Login(b.Context(), "user-1234", map[string]any{"scope": "items:read"})
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	iss.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	jwks, _ := io.ReadAll(rec.Body)

	for i := range 1000 {
		if _, err := iss.Login(b.Context(), fmt.Sprintf("other-%d", i), nil); err != nil {
			b.Fatal(err)
		}
	}
	mem := iss.Store()

	cfg := jwtauth.Config{Issuer: "https://auth.example", Audience: "api"}
	cases := []struct {
		name string
		keys jwtauth.Keys
		s    jwtauth.Store
	}{
		{"none", jwtauth.KeySet(jwks), nil},
		{"memory", jwtauth.KeySet(jwks), mem},
		{"issuer", iss.Keys(), nil},
	}
	for _, c := range cases {
		cfg := cfg
		cfg.Keys, cfg.Store = c.keys, c.s
		m := kitNew(b, cfg)
		tok := pair.AccessToken
		for range 2 { // verified, then admitted to the cache
			if _, err := m.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"-parallel", func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := m.Verify(ctx, tok); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
