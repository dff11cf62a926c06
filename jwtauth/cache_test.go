package jwtauth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// The verified-token cache must never make a token valid that the full
// pipeline would reject now.
func TestCacheRevalidates(t *testing.T) {
	clk := &clock{now: time.Now()}
	iss := newIssuer(t, issuer.Config{Now: clk.Now, TTL: time.Minute})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys(), Now: clk.Now})
	ctx := t.Context()

	t.Run("hit returns the same claims", func(t *testing.T) {
		tok, _ := iss.Issue(ctx, "u", nil)
		// The first Verify notes the token, the second stores it, the
		// third is a hit.
		a, err := mw.Verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		b, err := mw.Verify(ctx, tok)
		if err != nil || a == b {
			t.Fatalf("second Verify: %v (same claims as the first: %v)", err, a == b)
		}
		c, err := mw.Verify(ctx, tok)
		if err != nil || b != c {
			t.Fatalf("third Verify: %v (same claims as the second: %v)", err, b == c)
		}
	})
	t.Run("expiry", func(t *testing.T) {
		tok, _ := iss.Issue(ctx, "u", nil)
		warm(t, mw, tok)
		clk.Add(time.Minute)
		if _, err := mw.Verify(ctx, tok); !errors.Is(err, jwtauth.ErrTokenExpired) {
			t.Errorf("cached token after exp: %v", err)
		}
	})
	t.Run("revocation", func(t *testing.T) {
		tokens, _ := iss.Login(ctx, "u", nil)
		c := warm(t, mw, tokens.AccessToken)
		iss.Logout(ctx, c)
		if _, err := mw.Verify(ctx, tokens.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("cached token after logout: %v", err)
		}
	})
	t.Run("retired key", func(t *testing.T) {
		tok, _ := iss.Issue(ctx, "u", nil)
		warm(t, mw, tok)
		old := iss.KeyID()
		next, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		iss.Rotate(issuer.SigningKey{Algorithm: "ES256", Key: next})
		if _, err := mw.Verify(ctx, tok); err != nil {
			t.Errorf("cached token of a retired but present key: %v", err)
		}
		iss.Retire(old)
		if _, err := mw.Verify(ctx, tok); !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Errorf("cached token after its key was removed: %v", err)
		}
	})
}

// warm verifies tok twice, which puts it in mw's cache (a token is cached
// from its second verification), and returns the claims.
func warm(t *testing.T, mw *jwtauth.Middleware, tok string) *jwtauth.Claims {
	t.Helper()
	var c *jwtauth.Claims
	for range 2 {
		var err error
		if c, err = mw.Verify(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// A key that disappears from a remote set takes its cached tokens with it.
func TestCacheFollowsRemoteKeys(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	srv := newJWKSServer(t, iss.JWKSHandler().ServeHTTP)
	mw := mustNew(t, jwtauth.Config{Keys: remote(t, srv.URL, jwtauth.RemoteOptions{MissRefresh: time.Millisecond})})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	warm(t, mw, tok)
	other := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: mustECKey()}})
	srv.set(other.JWKSHandler().ServeHTTP)
	time.Sleep(2 * time.Millisecond)
	// A miss forces a fetch of the new set, without the old key.
	newTok, _ := other.Issue(t.Context(), "u", nil)
	if _, err := mw.Verify(t.Context(), newTok); err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("cached token whose key left the remote set: %v", err)
	}
}

func TestCacheDisabledAndConcurrent(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	for _, disable := range []bool{false, true} {
		mw := mustNew(t, jwtauth.Config{Keys: iss.Keys(), DisableCache: disable, CacheSize: 8})
		toks := make([]string, 32)
		for i := range toks {
			toks[i], _ = iss.Issue(t.Context(), "u", nil)
		}
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					tok := toks[(g+i)%len(toks)]
					if i%50 == 0 {
						tok = tok[:len(tok)-4] + "AAAA"
					}
					_, err := mw.Verify(t.Context(), tok)
					if (err == nil) == (i%50 == 0) {
						t.Errorf("token %d: %v", i, err)
					}
				}
			})
		}
		wg.Wait()
	}
	if _, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), CacheSize: -1}); !errors.Is(err, jwtauth.ErrConfig) {
		t.Errorf("CacheSize -1: %v", err)
	}
}
