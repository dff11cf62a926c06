package jwtauth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
)

// kitBenchExclusions are n Exclude patterns of the kinds ServeMux knows,
// none of which matches /items: subtrees, a method and exact path, exact
// paths and wildcards.
func kitBenchExclusions(n int) []string {
	ps := make([]string, n)
	for i := range ps {
		switch i % 4 {
		case 0:
			ps[i] = fmt.Sprintf("/public/%d/", i)
		case 1:
			ps[i] = fmt.Sprintf("GET /health/%d", i)
		case 2:
			ps[i] = fmt.Sprintf("/login/%d", i)
		case 3:
			ps[i] = fmt.Sprintf("/files/%d/{name}", i)
		}
	}
	return ps
}

// BenchmarkMiddlewareExclude: requests through a Middleware with 1 and 1000
// Exclude patterns. "protected" is a request no pattern matches, with a
// valid token (warm cache); "protected-escaped" is the same with an escaped
// slash in its path; "excluded" and "excluded-escaped" are requests a
// pattern matches, without and with a needless escape in the path (which
// sets URL.RawPath).
func BenchmarkMiddlewareExclude(b *testing.B) {
	tok := kitToken(b, kitClaims("alice"))
	for _, n := range []int{1, 1000} {
		m := kitNew(b, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: kitBenchExclusions(n)})
		h := m.Handler(kitBenchNext)
		for _, tc := range []struct {
			name, target string
			auth         bool
			want         int
		}{
			{"protected", "/items/42", true, http.StatusNoContent},
			{"protected-escaped", "/items/a%2Fb", true, http.StatusNoContent},
			{"excluded", "/public/0/a.txt", false, http.StatusInternalServerError},
			{"excluded-escaped", "/public/0/%41.txt", false, http.StatusInternalServerError},
		} {
			b.Run(fmt.Sprintf("patterns=%d/%s", n, tc.name), func(b *testing.B) {
				r := httptest.NewRequest("GET", tc.target, nil)
				if tc.auth {
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				w := &kitNopWriter{h: make(http.Header)}
				h.ServeHTTP(w, r)
				if w.code != tc.want {
					b.Fatalf("status %d, want %d", w.code, tc.want)
				}
				b.ReportAllocs()
				for b.Loop() {
					h.ServeHTTP(w, r)
				}
			})
		}
	}
}
