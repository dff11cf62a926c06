package redisstore_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

// instance is one process of a service: its own Redis client, Store, Issuer
// and Middleware, sharing Redis and secrets with the others.
type instance struct {
	issuer *jwtauth.Issuer
	mw     *jwtauth.Middleware
	store  *redisstore.Store
}

// instances returns two instances sharing srv and a signing setup: the same
// Ed25519 key and RefreshSecret, or the same HMAC key from which each derives
// the refresh secret.
func instances(t *testing.T, srv *redistest.Server, hmac bool) [2]*instance {
	t.Helper()
	var key jwtauth.SigningKey
	var refreshSecret []byte
	if hmac {
		key = jwtauth.SigningKey{Algorithm: "HS256", Key: secret()}
	} else {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		key = jwtauth.SigningKey{Algorithm: "EdDSA", Key: priv}
		refreshSecret = secret()
	}
	var out [2]*instance
	for n := range out {
		s := redisstore.New(srv.Client(t), redisstore.Options{})
		issuer, err := jwtauth.NewIssuer(jwtauth.IssuerConfig{Key: key, RefreshSecret: refreshSecret, Store: s})
		if err != nil {
			t.Fatal(err)
		}
		mw, err := jwtauth.New(jwtauth.Config{Keys: issuer.Keys()})
		if err != nil {
			t.Fatal(err)
		}
		out[n] = &instance{issuer, mw, s}
	}
	return out
}

func secret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

func forEachKeySetup(t *testing.T, f func(t *testing.T, inst [2]*instance)) {
	srv := redistest.Start(t)
	for _, hmac := range []bool{false, true} {
		name := "EdDSA+RefreshSecret"
		if hmac {
			name = "HS256"
		}
		t.Run(name, func(t *testing.T) { f(t, instances(t, srv, hmac)) })
	}
}

// Of concurrent refreshes of one refresh token on two instances exactly one
// wins; the reuse revokes the session on both.
func TestConcurrentRefreshAcrossInstances(t *testing.T) {
	forEachKeySetup(t, func(t *testing.T, inst [2]*instance) {
		ctx := t.Context()
		for range 10 {
			login, err := inst[0].issuer.Login(ctx, "alice", map[string]any{"role": "admin"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := inst[1].mw.Verify(ctx, login.AccessToken); err != nil {
				t.Fatalf("instance B rejects A's access token: %v", err)
			}

			const callers = 8
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				winners []*jwtauth.Tokens
			)
			for n := range callers {
				wg.Go(func() {
					tok, err := inst[n%2].issuer.Refresh(ctx, login.RefreshToken)
					switch {
					case err == nil:
						mu.Lock()
						winners = append(winners, tok)
						mu.Unlock()
					case errors.Is(err, jwtauth.ErrRefreshReused), errors.Is(err, jwtauth.ErrTokenRevoked):
					default:
						t.Errorf("Refresh: %v; want success, ErrRefreshReused or ErrTokenRevoked", err)
					}
				})
			}
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("%d of %d concurrent refreshes succeeded; want exactly 1", len(winners), callers)
			}

			// The reuse revoked the session: the winner's tokens and the
			// first access token are refused by both instances.
			for i, in := range inst {
				for _, access := range []string{login.AccessToken, winners[0].AccessToken} {
					if _, err := in.mw.Verify(ctx, access); !errors.Is(err, jwtauth.ErrTokenRevoked) {
						t.Errorf("instance %d: Verify of an access token of the reused session: %v; want ErrTokenRevoked", i, err)
					}
				}
				if _, err := in.issuer.Refresh(ctx, winners[0].RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
					t.Errorf("instance %d: Refresh with the winner's token: %v; want ErrTokenRevoked", i, err)
				}
			}
		}
	})
}

// A refresh token used on one instance is used on all: presenting it again
// on the other is a reuse.
func TestRefreshReuseAcrossInstances(t *testing.T) {
	forEachKeySetup(t, func(t *testing.T, inst [2]*instance) {
		ctx := t.Context()
		login, err := inst[0].issuer.Login(ctx, "alice", nil)
		if err != nil {
			t.Fatal(err)
		}
		next, err := inst[0].issuer.Refresh(ctx, login.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inst[1].mw.Verify(ctx, next.AccessToken); err != nil {
			t.Fatalf("instance B rejects the refreshed access token: %v", err)
		}
		if _, err := inst[1].issuer.Refresh(ctx, login.RefreshToken); !errors.Is(err, jwtauth.ErrRefreshReused) {
			t.Fatalf("reuse on instance B: %v; want ErrRefreshReused", err)
		}
		if _, err := inst[0].mw.Verify(ctx, next.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("instance A after the reuse on B: %v; want ErrTokenRevoked", err)
		}
	})
}

// A logout on one instance is a logout on all.
func TestLogoutAcrossInstances(t *testing.T) {
	forEachKeySetup(t, func(t *testing.T, inst [2]*instance) {
		ctx := t.Context()
		login, err := inst[0].issuer.Login(ctx, "alice", nil)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := inst[0].mw.Verify(ctx, login.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inst[1].mw.Verify(ctx, login.AccessToken); err != nil {
			t.Fatalf("instance B before logout: %v", err)
		}
		if err := inst[0].issuer.Logout(ctx, claims); err != nil {
			t.Fatal(err)
		}
		if _, err := inst[1].mw.Verify(ctx, login.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("instance B after logout on A: %v; want ErrTokenRevoked", err)
		}
		if _, err := inst[1].issuer.Refresh(ctx, login.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("Refresh on B after logout on A: %v; want ErrTokenRevoked", err)
		}

		// A token without a session (Issue) is revoked by its jti alone.
		token, err := inst[1].issuer.Issue(ctx, "bob", nil)
		if err != nil {
			t.Fatal(err)
		}
		claims, err = inst[1].mw.Verify(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if err := inst[1].issuer.Logout(ctx, claims); err != nil {
			t.Fatal(err)
		}
		if _, err := inst[0].mw.Verify(ctx, token); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("instance A after logout on B: %v; want ErrTokenRevoked", err)
		}
	})
}

// While Redis is down, nothing is let through: the Middleware answers 500,
// refreshes and logouts fail with ErrStore. When Redis is back on the same
// address, the same client recovers.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	store := redisstore.New(srv.Client(t), redisstore.Options{})
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	issuer, err := jwtauth.NewIssuer(jwtauth.IssuerConfig{
		Key:   jwtauth.SigningKey{Algorithm: "EdDSA", Key: priv},
		Store: store,
	})
	if err != nil {
		t.Fatal(err)
	}
	// A verifier that does not issue: the Store comes from Config.Store.
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.PublicKey("EdDSA", pub), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	login, err := issuer.Login(ctx, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := mw.Verify(ctx, login.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	reached := false
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	get := func() int {
		reached = false
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+login.AccessToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if code := get(); code != http.StatusOK || !reached {
		t.Fatalf("with Redis up: %d", code)
	}

	srv.Stop()
	down := time.Now()

	if c, err := mw.Verify(ctx, login.AccessToken); !errors.Is(err, jwtauth.ErrStore) || c != nil {
		t.Errorf("Verify with Redis down = %v, %v; want nil, ErrStore", c, err)
	} else if errors.Is(err, jwtauth.ErrInvalidToken) || !strings.Contains(err.Error(), "redisstore: revoked: ") {
		t.Errorf("Verify with Redis down: %v; want a wrapped redisstore error, not an invalid token", err)
	} else {
		t.Logf("Verify with Redis down: %v", err)
	}
	if code := get(); code != http.StatusInternalServerError || reached {
		t.Errorf("with Redis down: status %d, handler reached %v; want 500, false", code, reached)
	}
	if _, err := issuer.Refresh(ctx, login.RefreshToken); !errors.Is(err, jwtauth.ErrStore) {
		t.Errorf("Refresh with Redis down: %v; want ErrStore", err)
	}
	if err := issuer.Logout(ctx, claims); !errors.Is(err, jwtauth.ErrStore) {
		t.Errorf("Logout with Redis down: %v; want ErrStore", err)
	}

	t.Logf("down phase: %v", time.Since(down))
	srv.Restart()
	up := time.Now()

	// The client reconnects by itself; give its pool a moment to drop the
	// connections of the old server.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = mw.Verify(ctx, login.AccessToken)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Verify after Redis came back: %v", err)
	}
	t.Logf("recovered after %v", time.Since(up))
	if code := get(); code != http.StatusOK || !reached {
		t.Errorf("after Redis came back: %d", code)
	}
	if err := issuer.Logout(ctx, claims); err != nil {
		t.Fatalf("Logout after Redis came back: %v", err)
	}
	if code := get(); code != http.StatusUnauthorized || reached {
		t.Errorf("after logout: %d, reached %v; want 401", code, reached)
	}
}
