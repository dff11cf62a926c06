package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

// BenchmarkNearCache measures the near cache against a real redis-server
// on the loopback interface: Revoked of a warm session with and without a
// near cache, and a whole warm request (the verified-token cache answers)
// through a Middleware with no Store and with a near-cached Store. Each
// runs on as many goroutines as -cpu says:
//
//	go test -run '^$' -bench NearCache -benchmem -cpu 1,2 -count 3
func BenchmarkNearCache(b *testing.B) {
	srv := redistest.Start(b)
	ctx, now := context.Background(), storetest.Base
	plain := newStore(b, srv.Client(b))
	near := nearStore(b, srv, plain.Prefix(), redisstore.NearCacheOptions{})
	waitFresh(b, near)
	s := session("alice", now)
	if err := plain.CreateSession(ctx, s, 32, now); err != nil {
		b.Fatal(err)
	}
	ref := jwtauth.TokenRef{ID: "jti", Session: s.ID, Subject: s.Subject, IssuedAt: now, Now: now}
	for name, st := range map[string]*redisstore.Store{"Revoked/Redis": plain, "Revoked/Near": near} {
		b.Run(name, func(b *testing.B) {
			if revoked, err := st.Revoked(ctx, ref); err != nil || revoked {
				b.Fatal(revoked, err)
			}
			if st == near {
				before := near.NearCacheStats().Fallbacks
				defer func() {
					b.ReportMetric(float64(near.NearCacheStats().Fallbacks-before)/float64(b.N), "fallbacks/op")
				}()
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if revoked, err := st.Revoked(ctx, ref); err != nil || revoked {
						b.Error(revoked, err)
						return
					}
				}
			})
		})
	}

	// A warm request: an Issuer's access token (jti and sid), verified
	// from the Middleware's cache, with the revocation check or not.
	key := secret()
	iss, err := issuer.New(issuer.Config{
		Key:   issuer.SigningKey{Algorithm: "HS256", Key: key},
		Store: near, Issuer: "https://auth.example", Audience: "api",
	})
	if err != nil {
		b.Fatal(err)
	}
	pair, err := iss.Login(ctx, "user-1234", map[string]any{"scope": "items:read"})
	if err != nil {
		b.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := jwtauth.FromContext(r.Context()); !ok || c.Subject() == "" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	for _, c := range []struct {
		name  string
		store jwtauth.Store
	}{{"Request/NoStore", nil}, {"Request/Near", near}} {
		mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(key), Issuer: "https://auth.example", Audience: "api", Store: c.store})
		if err != nil {
			b.Fatal(err)
		}
		h := mw.Handler(next)
		req := httptest.NewRequest("GET", "/items", nil)
		req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		for range 2 { // verified, then admitted to the cache
			if _, err := mw.Verify(ctx, pair.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			before := near.NearCacheStats().Fallbacks // none without the Store
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := httptest.NewRecorder()
				for pb.Next() {
					h.ServeHTTP(w, req)
					if w.Code != http.StatusNoContent {
						b.Errorf("status %d", w.Code)
						return
					}
				}
			})
			// Calls the cache sent to Redis, its heartbeat being late (on
			// a busy machine): they cost a round trip each.
			b.ReportMetric(float64(near.NearCacheStats().Fallbacks-before)/float64(b.N), "fallbacks/op")
		})
	}
}
