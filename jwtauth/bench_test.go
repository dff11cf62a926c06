package jwtauth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// The benchmarks measure a whole request through Middleware.Handler (header
// extraction, verification, claims in the context) with a ResponseWriter
// that does nothing, next to plain jwx parsing of the same tokens:
//
//	go test -run x -bench . -benchmem ./jwtauth/

// kitNopWriter is a ResponseWriter that keeps only the status.
type kitNopWriter struct {
	h    http.Header
	code int
}

func (w *kitNopWriter) Header() http.Header         { return w.h }
func (w *kitNopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *kitNopWriter) WriteHeader(code int)        { w.code = code }

// kitBenchNext is the protected handler: it reads the claims, as every real
// handler would.
var kitBenchNext = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := jwtauth.FromContext(r.Context())
	if !ok || c.Subject() == "" {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
})

// kitBenchClaims are the claims of the benchmark tokens: what an issuer
// typically puts in an access token.
func kitBenchClaims(i int) map[string]any {
	return kitClaims("user-1234", "iss", "https://auth.example", "aud", "api",
		"jti", fmt.Sprintf("jti-%08d", i), "scope", "items:read items:write")
}

// kitColdPoolSize is the number of distinct tokens of the cold benchmark:
// more than any cache of recent tokens would hold.
const kitColdPoolSize = 4096

func kitBenchRequest(tok string) *http.Request {
	r := httptest.NewRequest("GET", "/items", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// BenchmarkMiddleware: warm is a client presenting the same token again (the
// verified-token cache answers); cold is every request a new token (the full
// pipeline: signature, claims), measured with the cache off.
func BenchmarkMiddleware(b *testing.B) {
	for _, a := range kitAlgs() {
		b.Run(a.name, func(b *testing.B) {
			m := kitNew(b, jwtauth.Config{Keys: a.keys, Issuer: "https://auth.example", Audience: "api"})
			h := m.Handler(kitBenchNext)
			r := kitBenchRequest(kitSign(b, a.alg, a.priv, "", kitBenchClaims(0)))
			w := &kitNopWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
			if w.code != http.StatusNoContent {
				b.Fatalf("status %d", w.code)
			}
		})
		b.Run(a.name+"-cold", func(b *testing.B) {
			m := kitNew(b, jwtauth.Config{Keys: a.keys, Issuer: "https://auth.example", Audience: "api", DisableCache: true})
			h := m.Handler(kitBenchNext)
			reqs := make([]*http.Request, kitColdPoolSize)
			for i := range reqs {
				reqs[i] = kitBenchRequest(kitSign(b, a.alg, a.priv, "", kitBenchClaims(i)))
			}
			w := &kitNopWriter{h: make(http.Header)}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, reqs[i%len(reqs)])
				i++
			}
			if w.code != http.StatusNoContent {
				b.Fatalf("status %d", w.code)
			}
		})
	}
	b.Run("reject-missing", func(b *testing.B) {
		m := kitNew(b, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
		h := m.Handler(kitBenchNext)
		r := httptest.NewRequest("GET", "/items", nil)
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(&kitNopWriter{h: make(http.Header)}, r)
		}
	})
}

// BenchmarkJWXParse is jwx's own parse-and-validate of the same tokens, the
// way a middleware built directly on jwx would call it.
func BenchmarkJWXParse(b *testing.B) {
	for _, a := range kitAlgs() {
		b.Run(a.name, func(b *testing.B) {
			tok := []byte(kitSign(b, a.alg, a.priv, "", kitBenchClaims(0)))
			opts := []jwt.ParseOption{
				jwt.WithKey(a.alg, a.pub),
				jwt.WithValidate(true),
				jwt.WithIssuer("https://auth.example"),
				jwt.WithAudience("api"),
			}
			if _, err := jwt.Parse(tok, opts...); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwt.Parse(tok, opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
