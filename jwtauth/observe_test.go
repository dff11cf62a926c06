package jwtauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	verified []jwtauth.VerifiedEvent
	rejected []jwtauth.RejectedEvent
	fetched  []jwtauth.KeysFetchedEvent
}

func (r *recorder) Verified(_ context.Context, e jwtauth.VerifiedEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verified = append(r.verified, e)
}

func (r *recorder) Rejected(_ context.Context, e jwtauth.RejectedEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejected = append(r.rejected, e)
}

func (r *recorder) KeysFetched(_ context.Context, e jwtauth.KeysFetchedEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fetched = append(r.fetched, e)
}

func TestObserver(t *testing.T) {
	rec := &recorder{}
	var logs bytes.Buffer
	mw := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Issuer: "", Observer: rec,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.Handle("GET /items/{id}", jwtauth.RequireScope("items:read")(ok))
	mux.Handle("DELETE /items/{id}", ok)
	h := mw.Handler(mux)

	good := kitToken(t, kitClaims("alice", "scope", "items:read"))
	noScope := kitToken(t, kitClaims("bob"))
	expired := kitToken(t, map[string]any{"sub": "carol", "exp": time.Now().Add(-time.Hour).Unix()})
	do := func(method, target, tok string) int {
		r := httptest.NewRequest(method, target, nil)
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for range 3 {
		if c := do("GET", "/items/1", good); c != 204 {
			t.Fatalf("good token: %d", c)
		}
	}
	do("GET", "/items/"+kitMarker, noScope)
	do("DELETE", "/items/1", expired)
	do("PROPFIND", "/items/1", "")

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.verified) != 4 { // 3 good, 1 without the scope (verified, then refused by the guard)
		t.Fatalf("%d verified events; want 4", len(rec.verified))
	}
	if e := rec.verified[0]; e.CacheHit || e.Algorithm != "HS256" || e.Duration <= 0 {
		t.Errorf("first verification: %+v; want a miss by HS256", e)
	}
	if e := rec.verified[2]; !e.CacheHit || e.Algorithm != "" {
		t.Errorf("third verification: %+v; want a cache hit", e)
	}
	want := []jwtauth.RejectedEvent{
		{Reason: jwtauth.ErrMissingScope, Status: 403, Method: "GET", Pattern: "GET /items/{id}"},
		{Reason: jwtauth.ErrTokenExpired, Status: 401, Method: "DELETE"},
		{Reason: jwtauth.ErrMissingToken, Status: 401, Method: "other"},
	}
	if len(rec.rejected) != len(want) {
		t.Fatalf("rejected events: %+v", rec.rejected)
	}
	for i, w := range want {
		if got := rec.rejected[i]; got != w {
			t.Errorf("rejection %d = %+v; want %+v", i, got, w)
		}
	}
	// The log records name the method and the route pattern, never the
	// path, the token or other request text.
	out := logs.String()
	for _, s := range []string{`"method":"GET"`, `"pattern":"GET /items/{id}"`, `"method":"other"`} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %s:\n%s", s, out)
		}
	}
	for _, s := range []string{kitMarker, good[:20], noScope[:20], "PROPFIND"} {
		if strings.Contains(out, s) {
			t.Errorf("log contains request text %q", s)
		}
	}
}

func TestObserverKeyFetches(t *testing.T) {
	rec := &recorder{}
	iss := newIssuer(t, issuerConfigES())
	srv := newJWKSServer(t, iss.JWKSHandler().ServeHTTP)
	keys := remote(t, srv.URL, jwtauth.RemoteOptions{Observer: rec, MissRefresh: time.Millisecond})
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mw.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	srv.set(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) })
	time.Sleep(2 * time.Millisecond)
	mw.Verify(t.Context(), newIssuerWithKID(t, nil, "unknown"))
	waitFor(t, "two fetch events", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.fetched) >= 2
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	first, last := rec.fetched[0], rec.fetched[len(rec.fetched)-1]
	if first.Err != nil || first.URL != srv.URL || first.Duration <= 0 {
		t.Errorf("first fetch: %+v", first)
	}
	if last.Err == nil || !strings.Contains(last.Err.Error(), "500") {
		t.Errorf("failed fetch: %+v", last)
	}
}

func TestValidateHook(t *testing.T) {
	errDisabled := errors.New("account 4711 disabled: secret reason")
	var calls int
	var mu sync.Mutex
	mw := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Validate: func(ctx context.Context, c *jwtauth.Claims) error {
		mu.Lock()
		calls++
		mu.Unlock()
		azp, _ := c.Value("azp")
		switch string(azp) {
		case `"web"`:
			return nil
		case `"disabled"`:
			return errDisabled
		case `"tenant"`:
			return fmt.Errorf("wrong tenant: %w", jwtauth.ErrInsufficientScope)
		case `"db-down"`:
			return fmt.Errorf("%w: users database", jwtauth.ErrStore)
		case `"keys"`:
			return jwtauth.ErrKeysUnavailable
		}
		return errors.New("no azp")
	}})
	for _, tc := range []struct {
		azp    string
		status int
		is     error
	}{
		{"web", 200, nil},
		{"disabled", 401, jwtauth.ErrRejected},
		{"tenant", 403, jwtauth.ErrInsufficientScope},
		{"db-down", 500, jwtauth.ErrStore},
		{"keys", 503, jwtauth.ErrKeysUnavailable},
		{"", 401, jwtauth.ErrInvalidToken},
	} {
		tok := kitToken(t, kitClaims("alice", "azp", tc.azp))
		for range 3 { // the third is a cache hit: the hook runs on it too
			mu.Lock()
			before := calls
			mu.Unlock()
			_, err := mw.Verify(t.Context(), tok)
			mu.Lock()
			ran := calls == before+1
			mu.Unlock()
			if !ran {
				t.Fatalf("azp %q: Validate not called", tc.azp)
			}
			if tc.is == nil && err != nil || tc.is != nil && !errors.Is(err, tc.is) || jwtauth.StatusCode(err) != tc.status && tc.is != nil {
				t.Fatalf("azp %q: %v (status %d); want %v, %d", tc.azp, err, jwtauth.StatusCode(err), tc.is, tc.status)
			}
		}
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("azp %q over HTTP: %d; want %d", tc.azp, w.Code, tc.status)
		}
		if strings.Contains(w.Body.String(), "secret reason") || strings.Contains(w.Header().Get("WWW-Authenticate"), "secret") {
			t.Errorf("the hook's error text reached the response")
		}
	}
}

func TestClaimsAs(t *testing.T) {
	mw := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	c, err := mw.Verify(t.Context(), kitToken(t, kitClaims("alice", "roles", []string{"admin"}, "uid", 1234567890123456789)))
	if err != nil {
		t.Fatal(err)
	}
	type user struct {
		Sub   string   `json:"sub"`
		Roles []string `json:"roles"`
		UID   int64    `json:"uid"`
	}
	u, err := jwtauth.ClaimsAs[user](jwtauth.NewContext(t.Context(), c))
	if err != nil || u.Sub != "alice" || len(u.Roles) != 1 || u.UID != 1234567890123456789 {
		t.Fatalf("ClaimsAs = %+v, %v", u, err)
	}
	if d, err := jwtauth.DecodeAs[user](c); err != nil || d.Sub != "alice" {
		t.Fatalf("DecodeAs = %+v, %v", d, err)
	}
	if _, err := jwtauth.ClaimsAs[user](t.Context()); !errors.Is(err, jwtauth.ErrMissingToken) {
		t.Fatalf("ClaimsAs without claims: %v", err)
	}
	if _, err := jwtauth.ClaimsAs[struct{ Sub int }](jwtauth.NewContext(t.Context(), c)); err == nil {
		t.Fatal("ClaimsAs into a mismatched type succeeded")
	}
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		in, tok string
		err     error
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", nil},
		{"bearer abc", "abc", nil},
		{"BEARER   abc==", "abc==", nil},
		{"", "", jwtauth.ErrMissingToken},
		{"Basic dXNlcjpwdw==", "", jwtauth.ErrMissingToken},
		{"Bearer", "", jwtauth.ErrMalformedHeader},
		{"Bearer ", "", jwtauth.ErrMalformedHeader},
		{"Bearer a b", "", jwtauth.ErrMalformedHeader},
		{"Bearer a\tb", "", jwtauth.ErrMalformedHeader},
		{"Bearer =abc", "", jwtauth.ErrMalformedHeader},
		{"Bearer abc\r\n", "", jwtauth.ErrMalformedHeader},
		{"Bearerabc", "", jwtauth.ErrMissingToken},
	} {
		tok, err := jwtauth.BearerToken(tc.in)
		if tok != tc.tok || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tc.in, tok, err, tc.tok, tc.err)
		}
	}
}

// BenchmarkObserver measures what an Observer costs on a warm request: none
// (the default), and one that does nothing.
//
//	go test -run x -bench Observer -benchmem ./jwtauth
func BenchmarkObserver(b *testing.B) {
	tok := kitToken(b, kitClaims("alice", "scope", "items:read"))
	for _, tc := range []struct {
		name string
		o    jwtauth.Observer
	}{{"none", nil}, {"noop", noopObserver{}}} {
		mw := kitNew(b, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Observer: tc.o})
		for range 2 {
			mw.Verify(b.Context(), tok)
		}
		b.Run(tc.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := mw.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type noopObserver struct{}

func (noopObserver) Verified(context.Context, jwtauth.VerifiedEvent)       {}
func (noopObserver) Rejected(context.Context, jwtauth.RejectedEvent)       {}
func (noopObserver) KeysFetched(context.Context, jwtauth.KeysFetchedEvent) {}
