package redisstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

// A logged-out token must stay rejected during a verifier's Config.Leeway
// after its exp, with every Store. (Found while writing this module: the
// revocation used to end at exp, so the token worked again until
// exp+Leeway. It matters most for tokens without a session, from
// Issuer.Issue, and for instances whose clocks lag the one that logged out.)
func TestLogoutOutlivesLeeway(t *testing.T) {
	srv := redistest.Start(t)
	stores := map[string]jwtauth.Store{
		"redis":  redisstore.New(srv.Client(t), redisstore.Options{}),
		"memory": jwtauth.NewMemoryStore(0),
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			issuer, err := jwtauth.NewIssuer(jwtauth.IssuerConfig{
				Key:   jwtauth.SigningKey{Algorithm: "HS256", Key: secret()},
				TTL:   time.Second,
				Store: store,
			})
			if err != nil {
				t.Fatal(err)
			}
			mw, err := jwtauth.New(jwtauth.Config{Keys: issuer.Keys(), Leeway: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			token, err := issuer.Issue(ctx, "alice", nil)
			if err != nil {
				t.Fatal(err)
			}
			claims, err := mw.Verify(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			if err := issuer.Logout(ctx, claims); err != nil {
				t.Fatal(err)
			}
			if _, err := mw.Verify(ctx, token); !errors.Is(err, jwtauth.ErrTokenRevoked) {
				t.Fatalf("right after logout: %v; want ErrTokenRevoked", err)
			}
			// Past exp, within Leeway: the token is still accepted by the
			// Middleware's clock, and must still be revoked.
			time.Sleep(time.Until(claims.ExpiresAt()) + 500*time.Millisecond)
			if _, err := mw.Verify(ctx, token); !errors.Is(err, jwtauth.ErrTokenRevoked) {
				t.Errorf("%v after exp, within the 3s Leeway: Verify = %v; want ErrTokenRevoked (the logged-out token is accepted again)",
					time.Since(claims.ExpiresAt()).Round(100*time.Millisecond), err)
			}
		})
	}
}
