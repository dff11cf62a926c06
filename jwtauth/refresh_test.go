package jwtauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	for _, alg := range []string{"HS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			iss := newIssuer(t, jwtauth.IssuerConfig{Key: jwtauth.SigningKey{Algorithm: alg, Key: signers()[alg]}})
			mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
			ctx := t.Context()

			first, err := iss.Login(ctx, "u1", map[string]any{"name": "Ada"})
			if err != nil {
				t.Fatal(err)
			}
			c, err := mw.Verify(ctx, first.AccessToken)
			if err != nil || c.SessionID() == "" || !c.Fresh() {
				t.Fatalf("login access token: %v, sid %q, fresh %v", err, c.SessionID(), c.Fresh())
			}
			sid := c.SessionID()

			// Neither kind of token passes for the other.
			if _, err := mw.Verify(ctx, first.RefreshToken); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("refresh token accepted as access token: %v", err)
			}
			if _, err := iss.Refresh(ctx, first.AccessToken); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("access token accepted as refresh token: %v", err)
			}

			second, err := iss.Refresh(ctx, first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
				t.Fatal("refresh returned the same tokens")
			}
			c2, err := mw.Verify(ctx, second.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			var priv struct{ Name string }
			c2.Decode(&priv)
			if c2.SessionID() != sid || c2.Subject() != "u1" || c2.Fresh() || priv.Name != "Ada" {
				t.Errorf("refreshed token: sid %q sub %q fresh %v name %q", c2.SessionID(), c2.Subject(), c2.Fresh(), priv.Name)
			}

			// The first refresh token again: reuse. The whole session goes.
			if _, err := iss.Refresh(ctx, first.RefreshToken); !errors.Is(err, jwtauth.ErrRefreshReused) || !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("reused refresh token: %v", err)
			}
			if _, err := iss.Refresh(ctx, second.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
				t.Errorf("descendant refresh token after reuse: %v", err)
			}
			for name, tok := range map[string]string{"first": first.AccessToken, "second": second.AccessToken} {
				if _, err := mw.Verify(ctx, tok); !errors.Is(err, jwtauth.ErrTokenRevoked) {
					t.Errorf("%s access token after reuse: %v", name, err)
				}
			}

			// Another login is a new session, untouched.
			other, _ := iss.Login(ctx, "u1", nil)
			if _, err := mw.Verify(ctx, other.AccessToken); err != nil {
				t.Errorf("new session after reuse: %v", err)
			}
			if _, err := iss.Refresh(ctx, other.RefreshToken); err != nil {
				t.Errorf("new session refresh: %v", err)
			}
		})
	}
}

func TestConcurrentRefreshHasOneWinner(t *testing.T) {
	iss := newIssuer(t, jwtauth.IssuerConfig{})
	for range 10 {
		tokens, err := iss.Login(t.Context(), "u", nil)
		if err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				_, err := iss.Refresh(t.Context(), tokens.RefreshToken)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, jwtauth.ErrRefreshReused), errors.Is(err, jwtauth.ErrTokenRevoked):
				default:
					t.Errorf("Refresh: %v", err)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d of 16 concurrent refreshes succeeded; want 1", n)
		}
	}
}

func TestLogout(t *testing.T) {
	iss := newIssuer(t, jwtauth.IssuerConfig{})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	ctx := t.Context()
	a, _ := iss.Login(ctx, "u", nil)
	b, _ := iss.Login(ctx, "u", nil) // another device
	plain, _ := iss.Issue(ctx, "u", nil)

	c, err := mw.Verify(ctx, a.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(ctx, a.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("access token after logout: %v", err)
	}
	if _, err := iss.Refresh(ctx, a.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("refresh token after logout: %v", err)
	}
	if _, err := mw.Verify(ctx, b.AccessToken); err != nil {
		t.Errorf("other session after logout: %v", err)
	}

	// A token from Issue has no session: logout revokes its jti alone.
	pc, _ := mw.Verify(ctx, plain)
	if err := iss.Logout(ctx, pc); err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(ctx, plain); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("issued token after logout: %v", err)
	}
	if err := iss.Logout(ctx, nil); err == nil {
		t.Error("Logout(nil) succeeded")
	}

	// A FastAPI-style token (sub and exp only) cannot be revoked, and
	// Logout says so instead of pretending.
	bare, err := mustNew(t, jwtauth.Config{Keys: jwtauth.HMAC([]byte("0123456789abcdef0123456789abcdef"))}).Verify(ctx,
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwiZXhwIjo0MTAyNDQ0ODAwfQ.4K3qI7TdnHzdiQnqQHWgTz1zLUKLqxxgOCIZmRZiOGk")
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Logout(ctx, bare); !errors.Is(err, jwtauth.ErrNotRevocable) {
		t.Errorf("Logout of a token without jti and sid: %v", err)
	}

	// Over HTTP the revoked token gets 401 invalid_token.
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+a.AccessToken)
	mw.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("revoked token over HTTP: %d", w.Code)
	}
}

func TestRequireFresh(t *testing.T) {
	iss := newIssuer(t, jwtauth.IssuerConfig{})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	h := mw.Handler(jwtauth.RequireFresh()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	login, _ := iss.Login(t.Context(), "u", nil)
	refreshed, _ := iss.Refresh(t.Context(), login.RefreshToken)
	for _, tc := range []struct {
		token string
		want  int
	}{
		{login.AccessToken, http.StatusNoContent},
		{refreshed.AccessToken, http.StatusForbidden},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/password", nil)
		r.Header.Set("Authorization", "Bearer "+tc.token)
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("status %d, want %d (%s)", w.Code, tc.want, w.Header().Get("WWW-Authenticate"))
		}
	}
}

// failingStore fails every call, as an unreachable shared store does.
type failingStore struct{}

var errDown = errors.New("store down")

func (failingStore) Revoke(context.Context, string, time.Time) error          { return errDown }
func (failingStore) Revoked(context.Context, string, string) (bool, error)    { return false, errDown }
func (failingStore) Consume(context.Context, string, time.Time) (bool, error) { return false, errDown }

func TestStoreFailureFailsClosed(t *testing.T) {
	iss := newIssuer(t, jwtauth.IssuerConfig{Store: failingStore{}})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	tokens, err := iss.Login(t.Context(), "u", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(t.Context(), tokens.AccessToken); !errors.Is(err, jwtauth.ErrStore) || errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("Verify with a failing store: %v", err)
	}
	if _, err := iss.Refresh(t.Context(), tokens.RefreshToken); !errors.Is(err, jwtauth.ErrStore) {
		t.Errorf("Refresh with a failing store: %v", err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
	reached := false
	mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })).ServeHTTP(w, r)
	if reached || w.Code != http.StatusInternalServerError {
		t.Errorf("failing store over HTTP: %d, reached %v", w.Code, reached)
	}
	if jwtauth.StatusCode(jwtauth.ErrStore) != 500 {
		t.Error("StatusCode(ErrStore) != 500")
	}

	// A Store set in Config wins over the Issuer's.
	ok := mustNew(t, jwtauth.Config{Keys: iss.Keys(), Store: jwtauth.NewMemoryStore(0)})
	if _, err := ok.Verify(t.Context(), tokens.AccessToken); err != nil {
		t.Errorf("Config.Store: %v", err)
	}
}

// Two instances of a service with the same keys, the same RefreshSecret and a
// shared store continue each other's sessions; without a RefreshSecret an
// asymmetric issuer's refresh tokens are its own.
func TestRefreshAcrossInstances(t *testing.T) {
	store := jwtauth.NewMemoryStore(0)
	secret := []byte("refresh secret shared by every instance!")
	key := jwtauth.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}
	a := newIssuer(t, jwtauth.IssuerConfig{Key: key, RefreshSecret: secret, Store: store})
	b := newIssuer(t, jwtauth.IssuerConfig{Key: key, RefreshSecret: secret, Store: store})
	tokens, _ := a.Login(t.Context(), "u", nil)
	next, err := b.Refresh(t.Context(), tokens.RefreshToken)
	if err != nil {
		t.Fatalf("instance b refreshing a's token: %v", err)
	}
	if _, err := a.Refresh(t.Context(), tokens.RefreshToken); !errors.Is(err, jwtauth.ErrRefreshReused) {
		t.Errorf("reuse on the other instance: %v", err)
	}
	if _, err := a.Refresh(t.Context(), next.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("after reuse: %v", err)
	}

	lone := newIssuer(t, jwtauth.IssuerConfig{Key: key})
	other := newIssuer(t, jwtauth.IssuerConfig{Key: key})
	tokens, _ = lone.Login(t.Context(), "u", nil)
	if _, err := other.Refresh(t.Context(), tokens.RefreshToken); !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("refresh without a shared RefreshSecret: %v", err)
	}
}

func TestMemoryStoreBounded(t *testing.T) {
	s := jwtauth.NewMemoryStore(100)
	ctx := t.Context()
	soon := time.Now().Add(200 * time.Millisecond)
	for i := range 100 {
		if err := s.Revoke(ctx, string(rune('a'+i%26))+time.Duration(i).String(), soon); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	if err := s.Revoke(ctx, "one too many", time.Now().Add(time.Hour)); !errors.Is(err, jwtauth.ErrStoreFull) {
		t.Fatalf("full store: %v", err)
	}
	if _, err := s.Consume(ctx, "one too many", time.Now().Add(time.Hour)); !errors.Is(err, jwtauth.ErrStoreFull) {
		t.Fatalf("full store Consume: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	// The expired entries are forgotten to make room.
	if err := s.Revoke(ctx, "after expiry", time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := s.Len(); n != 1 {
		t.Errorf("Len = %d after the sweep, want 1", n)
	}
}

// recordingStore remembers how long each revocation was asked to last.
type recordingStore struct {
	jwtauth.Store
	mu    sync.Mutex
	until map[string]time.Time
}

func (s *recordingStore) Revoke(ctx context.Context, id string, until time.Time) error {
	s.mu.Lock()
	s.until[id] = until
	s.mu.Unlock()
	return s.Store.Revoke(ctx, id, until)
}

// A Middleware accepts a token until exp+Leeway, so every revocation must
// last at least that long (Leeway can be at most 5 minutes), or a
// logged-out token works again for a while after its exp.
func TestRevocationsOutlastLeeway(t *testing.T) {
	const maxLeeway = 5 * time.Minute
	store := &recordingStore{Store: jwtauth.NewMemoryStore(0), until: map[string]time.Time{}}
	iss := newIssuer(t, jwtauth.IssuerConfig{Store: store, TTL: time.Minute, RefreshTTL: time.Hour})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys(), Leeway: maxLeeway})
	ctx := t.Context()

	login, _ := iss.Login(ctx, "u", nil)
	c, err := mw.Verify(ctx, login.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, want := store.until[c.ID()], c.ExpiresAt().Add(maxLeeway); got.Before(want) {
		t.Errorf("jti revoked until %v; want at least exp+5m = %v", got, want)
	}
	// The session's refresh tokens expire at most RefreshTTL from now.
	if got, want := store.until[c.SessionID()], time.Now().Add(time.Hour+maxLeeway); got.Before(want.Add(-time.Minute)) {
		t.Errorf("session revoked until %v; want about now+RefreshTTL+5m = %v", got, want)
	}

	// Reuse detection revokes the session for as long.
	second, _ := iss.Login(ctx, "u", nil)
	sc, _ := mw.Verify(ctx, second.AccessToken)
	if _, err := iss.Refresh(ctx, second.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Refresh(ctx, second.RefreshToken); !errors.Is(err, jwtauth.ErrRefreshReused) {
		t.Fatalf("reuse: %v", err)
	}
	if got, want := store.until[sc.SessionID()], time.Now().Add(time.Hour+maxLeeway); got.Before(want.Add(-time.Minute)) {
		t.Errorf("reused session revoked until %v; want about now+RefreshTTL+5m = %v", got, want)
	}
}
