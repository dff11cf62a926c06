package redisstore_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

// instance is one process of a service: its own Redis client, Store, Issuer
// and Middleware, sharing Redis and secrets with the others.
type instance struct {
	issuer *issuer.Issuer
	mw     *jwtauth.Middleware
	store  *redisstore.Store
}

// instances returns two instances sharing srv, an HS256 key and a
// RefreshSecret, with a refresh grace of grace.
func instances(t *testing.T, srv *redistest.Server, grace time.Duration) [2]*instance {
	t.Helper()
	key, refresh := secret(), secret()
	var out [2]*instance
	for n := range out {
		st, err := redisstore.New(t.Context(), srv.Client(t), redisstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		iss, err := issuer.New(issuer.Config{
			Key: issuer.SigningKey{Algorithm: "HS256", Key: key}, RefreshSecret: refresh,
			RefreshGrace: grace, Store: st,
		})
		if err != nil {
			t.Fatal(err)
		}
		mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys()})
		if err != nil {
			t.Fatal(err)
		}
		out[n] = &instance{iss, mw, st}
	}
	return out
}

func secret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// A login on A, refreshed on B and logged out on A, is refused by B.
func TestLogoutAcrossInstances(t *testing.T) {
	t.Parallel()
	inst := instances(t, redistest.Start(t), 0)
	a, b := inst[0], inst[1]
	ctx := t.Context()
	login, err := a.issuer.Login(ctx, "alice", map[string]any{"role": "admin"}, issuer.WithDevice("Firefox"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.mw.Verify(ctx, login.AccessToken); err != nil {
		t.Fatalf("B refuses A's login: %v", err)
	}
	refreshed, err := b.issuer.Refresh(ctx, login.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh on B of A's login: %v", err)
	}
	claims, err := a.mw.Verify(ctx, refreshed.AccessToken)
	if err != nil {
		t.Fatalf("A refuses B's refresh: %v", err)
	}
	if role, _ := claims.Value("role"); string(role) != `"admin"` {
		t.Errorf("role after refresh = %s", role)
	}
	list, err := b.issuer.Sessions(ctx, "alice")
	if err != nil || len(list) != 1 || list[0].Device != "Firefox" || list[0].Generation != 2 {
		t.Fatalf("B's Sessions = %+v, %v", list, err)
	}
	if err := a.issuer.Logout(ctx, claims); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{login.AccessToken, refreshed.AccessToken} {
		if _, err := b.mw.Verify(ctx, tok); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("B after logout on A: %v; want ErrTokenRevoked", err)
		}
	}
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+refreshed.AccessToken)
	b.mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler reached") })).ServeHTTP(rec, r)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("B's handler after logout on A: %d; want 401", rec.Code)
	}
	if _, err := b.issuer.Refresh(ctx, refreshed.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("Refresh on B after logout on A: %v; want ErrTokenRevoked", err)
	}
}

// RevokeSubject on one instance ends every session, and every sessionless
// token of the subject, on the other.
func TestRevokeSubjectAcrossInstances(t *testing.T) {
	t.Parallel()
	inst := instances(t, redistest.Start(t), 0)
	a, b := inst[0], inst[1]
	ctx := t.Context()
	var tokens []string
	for range 3 {
		login, err := a.issuer.Login(ctx, "alice", nil)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, login.AccessToken)
	}
	issued, err := a.issuer.Issue(ctx, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens = append(tokens, issued)
	bob, err := a.issuer.Login(ctx, "bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.issuer.RevokeSubject(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for i, tok := range tokens {
		if _, err := a.mw.Verify(ctx, tok); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("token %d of alice after RevokeSubject on B: %v; want ErrTokenRevoked", i, err)
		}
	}
	if _, err := a.mw.Verify(ctx, bob.AccessToken); err != nil {
		t.Errorf("bob's token after alice's RevokeSubject: %v", err)
	}
}

// Of concurrent refreshes of one refresh token on two instances exactly one
// wins. Without grace the others are reuse, which ends the session on
// both; with grace they get the winner's generation.
func TestConcurrentRefreshAcrossInstances(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	for _, grace := range []time.Duration{0, 30 * time.Second} {
		inst := instances(t, srv, grace)
		ctx := t.Context()
		for round := range 20 {
			login, err := inst[0].issuer.Login(ctx, "alice", nil)
			if err != nil {
				t.Fatal(err)
			}
			const perInstance = 4
			var won, reused, inGrace atomic.Int32
			var wg sync.WaitGroup
			var winner atomic.Pointer[issuer.Tokens]
			for n := range 2 * perInstance {
				wg.Go(func() {
					tok, err := inst[n%2].issuer.Refresh(ctx, login.RefreshToken)
					switch {
					case errors.Is(err, issuer.ErrRefreshReused), errors.Is(err, jwtauth.ErrTokenRevoked):
						reused.Add(1)
					case err != nil:
						t.Error(err)
					case grace == 0 || winner.CompareAndSwap(nil, tok):
						won.Add(1)
					default:
						inGrace.Add(1)
					}
				})
			}
			wg.Wait()
			switch {
			case grace == 0 && won.Load() != 1:
				t.Fatalf("round %d: %d of %d concurrent refreshes won; want exactly 1", round, won.Load(), 2*perInstance)
			case grace > 0 && (reused.Load() != 0 || won.Load()+inGrace.Load() != 2*perInstance):
				t.Fatalf("round %d with grace: %d reused; want none", round, reused.Load())
			}
			list, err := inst[1].issuer.Sessions(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if grace == 0 {
				// The losers' reuse ended the session: on both.
				for _, in := range inst {
					if _, err := in.mw.Verify(ctx, login.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
						t.Fatalf("round %d: after reuse, the login's token: %v; want ErrTokenRevoked", round, err)
					}
				}
				for _, s := range list {
					if s.ID == login.SessionID {
						t.Fatalf("round %d: session listed after its reuse", round)
					}
				}
			} else {
				for _, s := range list {
					if s.ID == login.SessionID && s.Generation != 2 {
						t.Fatalf("round %d: generation %d after one winning refresh; want 2", round, s.Generation)
					}
				}
			}
		}
	}
}

// Two Stores on one Redis, through two clients, AdvanceSession the same
// session and generation at once: exactly one Advanced, the others Reused
// (no grace) or InGrace.
func TestConcurrentAdvanceAcrossStores(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	prefix := "test:" + randomID() + ":"
	var stores [2]*redisstore.Store
	for n := range stores {
		st, err := redisstore.New(t.Context(), srv.Client(t), redisstore.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		stores[n] = st
	}
	now := storetest.Base
	for _, grace := range []time.Duration{0, time.Minute} {
		for round := range 100 {
			s := session("alice", now)
			if err := stores[0].CreateSession(t.Context(), s, 1024, now); err != nil {
				t.Fatal(err)
			}
			const n = 8
			var count [4]atomic.Int32
			var wg sync.WaitGroup
			for k := range n {
				wg.Go(func() {
					a := advance(s, 1, now.Add(time.Second))
					a.Grace = grace
					_, out, err := stores[k%2].AdvanceSession(context.Background(), a)
					if err != nil {
						t.Error(err)
					}
					count[out].Add(1)
				})
			}
			wg.Wait()
			adv, inGrace, reused := count[issuer.Advanced].Load(), count[issuer.InGrace].Load(), count[issuer.Reused].Load()
			if adv != 1 {
				t.Fatalf("grace %v, round %d: %d advanced; want exactly 1", grace, round, adv)
			}
			if grace > 0 && inGrace != n-1 {
				t.Fatalf("grace %v, round %d: %d in grace, %d reused; want %d in grace", grace, round, inGrace, reused, n-1)
			}
			if grace == 0 && reused < 1 {
				t.Fatalf("round %d: %d reused; want at least 1 (then not found)", round, reused)
			}
		}
	}
}

// A logged-out token must stay rejected during a verifier's Config.Leeway
// after its exp. (The revocation used to end at exp, so the token worked
// again until exp+Leeway. It matters most for tokens without a session,
// from Issuer.Issue, and for instances whose clocks lag the one that logged
// out.)
func TestLogoutOutlivesLeeway(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st, err := redisstore.New(t.Context(), srv.Client(t), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	iss, err := issuer.New(issuer.Config{
		Key:   issuer.SigningKey{Algorithm: "HS256", Key: secret()},
		TTL:   time.Second,
		Store: st,
	})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), Leeway: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	token, err := iss.Issue(ctx, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := mw.Verify(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Logout(ctx, claims); err != nil {
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
}

// While Redis is down, nothing is let through: the Middleware answers 500,
// logins, refreshes and logouts fail with ErrStore. When Redis is back on
// the same address, the same client recovers; the sessions, which a Redis
// without persistence lost, are ended: fail-safe.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st, err := redisstore.New(t.Context(), srv.Client(t), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	iss, err := issuer.New(issuer.Config{
		Key:   issuer.SigningKey{Algorithm: "EdDSA", Key: priv},
		Store: st,
	})
	if err != nil {
		t.Fatal(err)
	}
	// A verifier that does not issue: the Store comes from Config.Store.
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.PublicKey("EdDSA", pub), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	login, err := iss.Login(ctx, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := mw.Verify(ctx, login.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	reached := false
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	get := func(token string) int {
		reached = false
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if code := get(login.AccessToken); code != http.StatusOK || !reached {
		t.Fatalf("with Redis up: %d", code)
	}

	srv.Stop()
	if c, err := mw.Verify(ctx, login.AccessToken); !errors.Is(err, jwtauth.ErrStore) || c != nil {
		t.Errorf("Verify with Redis down = %v, %v; want nil, ErrStore", c, err)
	} else if errors.Is(err, jwtauth.ErrInvalidToken) || !strings.Contains(err.Error(), "redisstore: revoked: ") {
		t.Errorf("Verify with Redis down: %v; want a wrapped redisstore error, not an invalid token", err)
	}
	if code := get(login.AccessToken); code != http.StatusInternalServerError || reached {
		t.Errorf("with Redis down: status %d, handler reached %v; want 500, false", code, reached)
	}
	if _, err := iss.Login(ctx, "bob", nil); !errors.Is(err, jwtauth.ErrStore) {
		t.Errorf("Login with Redis down: %v; want ErrStore", err)
	}
	if _, err := iss.Refresh(ctx, login.RefreshToken); !errors.Is(err, jwtauth.ErrStore) {
		t.Errorf("Refresh with Redis down: %v; want ErrStore", err)
	}
	if err := iss.Logout(ctx, claims); !errors.Is(err, jwtauth.ErrStore) {
		t.Errorf("Logout with Redis down: %v; want ErrStore", err)
	}

	srv.Restart()
	// The client reconnects by itself; give its pool a moment to drop the
	// connections of the old server.
	var again *issuer.Tokens
	deadline := time.Now().Add(5 * time.Second)
	for {
		again, err = iss.Login(ctx, "alice", nil)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Login after Redis came back: %v", err)
	}
	if code := get(again.AccessToken); code != http.StatusOK || !reached {
		t.Errorf("new login after Redis came back: %d", code)
	}
	// The restarted Redis had no persistence: the old session is gone, so
	// its tokens are revoked, never let through.
	if code := get(login.AccessToken); code != http.StatusUnauthorized || reached {
		t.Errorf("a session lost with Redis's data: %d; want 401", code)
	}
	if _, err := iss.Refresh(ctx, login.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("Refresh of a session lost with Redis's data: %v; want ErrTokenRevoked", err)
	}
}
