package issuer_test

import (
	"fmt"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// BenchmarkSessions measures the session operations on the MemoryStore,
// with HS256 and ES256 signing keys, in a store that already holds 10,000
// sessions of other users:
//
//	go test -run x -bench Sessions -benchmem ./jwtauth/issuer
//
// The redisstore module has the same benchmark against a real Redis.
func BenchmarkSessions(b *testing.B) {
	for _, alg := range []string{"HS256", "ES256"} {
		st := issuer.NewMemoryStore(0)
		iss := newIssuer(b, issuer.Config{Key: issuer.SigningKey{Algorithm: alg, Key: signers()[alg]}, Store: st})
		mw := mustNew(b, jwtauth.Config{Keys: iss.Keys(), DisableCache: true})
		claims := map[string]any{"scope": "items:read items:write", "name": "Ada Lovelace", "roles": []string{"admin", "user"}}
		for k := range 10_000 {
			if _, err := iss.Login(b.Context(), fmt.Sprintf("user-%d", k), claims); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(alg+"/Login", func(b *testing.B) {
			b.ReportAllocs()
			k := 0
			for b.Loop() {
				k++
				if _, err := iss.Login(b.Context(), fmt.Sprintf("login-%d", k%1000), claims); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/Refresh", func(b *testing.B) {
			tokens, _ := iss.Login(b.Context(), "refresher", claims)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if tokens, err = iss.Refresh(b.Context(), tokens.RefreshToken); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/Logout", func(b *testing.B) {
			// b.N sessions made first: the loop times the logouts alone.
			cs := make([]*jwtauth.Claims, b.N)
			for k := range cs {
				tokens, _ := iss.Login(b.Context(), fmt.Sprintf("leaver-%d", k%1000), claims)
				c, err := mw.Verify(b.Context(), tokens.AccessToken)
				if err != nil {
					b.Fatal(err)
				}
				cs[k] = c
			}
			b.ReportAllocs()
			b.ResetTimer()
			for k := range b.N {
				if err := iss.Logout(b.Context(), cs[k]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/RevokeSubject", func(b *testing.B) {
			// b.N subjects of 4 sessions each made first.
			for k := range b.N {
				for range 4 {
					iss.Login(b.Context(), fmt.Sprintf("everywhere-%d", k), claims)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for k := range b.N {
				if err := iss.RevokeSubject(b.Context(), fmt.Sprintf("everywhere-%d", k)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/VerifyWithStore", func(b *testing.B) {
			tokens, _ := iss.Login(b.Context(), "reader", claims)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := mw.Verify(b.Context(), tokens.AccessToken); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
