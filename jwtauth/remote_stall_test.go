package jwtauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// hang is a JWKS handler that never answers until the request or the test
// ends: a hung provider.
func hang(t *testing.T) http.HandlerFunc {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
}

// TestRemoteCallerWaitsItsDeadline: with a hung JWKS endpoint and a client
// without a timeout, a request waits at most its own deadline, or MaxWait
// without one, and gets 503 with Retry-After: never a dropped connection.
func TestRemoteCallerWaitsItsDeadline(t *testing.T) {
	srv := newJWKSServer(t, hang(t))
	keys := remote(t, srv.URL, jwtauth.RemoteOptions{Client: srv.Client(), MaxWait: 300 * time.Millisecond, MissRefresh: time.Millisecond})
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	tok, _ := newIssuer(t, issuer.Config{}).Issue(t.Context(), "u", nil)

	for _, deadline := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 0} {
		ctx, cancel := t.Context(), context.CancelFunc(func() {})
		bound := 300 * time.Millisecond // MaxWait
		if deadline > 0 {
			ctx, cancel = context.WithTimeout(t.Context(), deadline)
			bound = deadline
		}
		start := time.Now()
		_, err := mw.Verify(ctx, tok)
		waited := time.Since(start)
		cancel()
		if !errors.Is(err, jwtauth.ErrKeysUnavailable) {
			t.Errorf("deadline %v: %v; want ErrKeysUnavailable", deadline, err)
		}
		if waited > bound+200*time.Millisecond {
			t.Errorf("deadline %v: the request waited %v", deadline, waited)
		}
		t.Logf("hung endpoint: deadline %v (MaxWait 300ms), waited %v", deadline, waited.Round(time.Millisecond))
	}

	// Over HTTP: 503 with Retry-After and no challenge.
	h := mw.Handler(http.NotFoundHandler())
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	start := time.Now()
	h.ServeHTTP(w, r)
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("HTTP with a hung endpoint: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("HTTP answer after %v", d)
	}
}

// TestRemoteHungFetchDoesNotFreeze: a fetch that hangs is cut off by
// FetchTimeout even when the client has no timeout, and the next fetch
// brings the keys.
func TestRemoteHungFetchDoesNotFreeze(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	var hung atomic.Int32
	stuck := hang(t)
	srv := newJWKSServer(t, func(w http.ResponseWriter, r *http.Request) {
		if hung.Add(1) <= 2 {
			stuck(w, r)
			return
		}
		iss.JWKSHandler().ServeHTTP(w, r)
	})
	keys := remote(t, srv.URL, jwtauth.RemoteOptions{Client: srv.Client(), FetchTimeout: 200 * time.Millisecond, MissRefresh: time.Millisecond, MaxWait: 100 * time.Millisecond})
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	start := time.Now()
	waitFor(t, "keys after two hung fetches", func() bool { _, err := mw.Verify(t.Context(), tok); return err == nil })
	t.Logf("keys ready %v after two fetches that hung (FetchTimeout 200ms)", time.Since(start).Round(time.Millisecond))
	if st := keys.Status(); !st.Ready || st.Keys != 1 || st.LastError != "" || st.Fetches < 3 {
		t.Errorf("status after recovery: %+v", st)
	}
}

// TestRemoteClose: after Close, requests get ErrKeysUnavailable at once,
// even for an unknown kid that would otherwise fetch.
func TestRemoteClose(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	srv := newJWKSServer(t, iss.JWKSHandler().ServeHTTP)
	keys := jwtauth.Remote(t.Context(), srv.URL, jwtauth.RemoteOptions{AllowLoopbackHTTP: true, MissRefresh: time.Millisecond})
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mw.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	srv.set(hang(t))
	if err := keys.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{tok, newIssuerWithKID(t, nil, "unknown")} {
		start := time.Now()
		if _, err := mw.Verify(t.Context(), tk); !errors.Is(err, jwtauth.ErrKeysUnavailable) {
			t.Errorf("after Close: %v; want ErrKeysUnavailable", err)
		}
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Errorf("after Close a request waited %v", d)
		}
	}
	if st := keys.Status(); !st.Closed || st.Ready {
		t.Errorf("status after Close: %+v", st)
	}
	if err := keys.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestRemoteOutlivesItsContext: the context given to Remote does not own the
// background refresh; Close does.
func TestRemoteOutlivesItsContext(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	srv := newJWKSServer(t, iss.JWKSHandler().ServeHTTP)
	ctx, cancel := context.WithCancel(t.Context())
	keys := jwtauth.Remote(ctx, srv.URL, jwtauth.RemoteOptions{AllowLoopbackHTTP: true, MissRefresh: time.Millisecond})
	defer keys.Close()
	cancel() // a start-up context, ended
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	waitFor(t, "keys", func() bool { _, err := mw.Verify(t.Context(), tok); return err == nil })
	iss.Rotate(issuer.SigningKey{Algorithm: "ES256", Key: mustECKey()})
	rotated, _ := iss.Issue(t.Context(), "u", nil)
	time.Sleep(2 * time.Millisecond)
	if _, err := mw.Verify(t.Context(), rotated); err != nil {
		t.Fatalf("rotated key after the context ended: %v", err)
	}
}

// TestRemoteUnknownAlgRefetches: an issuer moving to a new algorithm (RS256
// to ES256, say) is followed at the first token of it, at most one fetch per
// MissRefresh however many tokens name algorithms the set lacks.
func TestRemoteUnknownAlgRefetches(t *testing.T) {
	iss := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: "RS256", Key: signers()["RS256"]}})
	srv := newJWKSServer(t, iss.JWKSHandler().ServeHTTP)
	keys := remote(t, srv.URL, jwtauth.RemoteOptions{MissRefresh: time.Hour})
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	old, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mw.Verify(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	// MissRefresh is an hour, but no miss has happened yet.
	iss.Rotate(issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]})
	before := srv.fetches.Load()
	moved, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mw.Verify(t.Context(), moved); err != nil {
		t.Fatalf("token of the new algorithm: %v", err)
	}
	if n := srv.fetches.Load() - before; n != 1 {
		t.Errorf("%d fetches for the new algorithm; want 1", n)
	}
	// A flood of other algorithms causes no more fetches (rate limit),
	// and HMAC never any: a remote set has no secrets.
	before = srv.fetches.Load()
	ed := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: "EdDSA", Key: signers()["EdDSA"]}})
	hs := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: signers()["HS256"]}})
	for range 50 {
		for _, i := range []*issuer.Issuer{ed, hs} {
			tk, _ := i.Issue(t.Context(), "u", nil)
			if _, err := mw.Verify(t.Context(), tk); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("foreign algorithm: %v", err)
			}
		}
	}
	if n := srv.fetches.Load() - before; n != 0 {
		t.Errorf("%d fetches for 100 tokens of algorithms the set lacks; want 0 within MissRefresh", n)
	}
}

// TestRemoteMaxStale: the last good keys serve at most MaxStale past the
// last successful fetch; then 503, until a fetch succeeds again.
func TestRemoteMaxStale(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	good := iss.JWKSHandler().ServeHTTP
	srv := newJWKSServer(t, good)
	keys := remote(t, srv.URL, jwtauth.RemoteOptions{MinRefresh: time.Second, MaxRefresh: time.Second, MaxStale: time.Second, MissRefresh: time.Millisecond, MaxWait: 50 * time.Millisecond})
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	waitFor(t, "keys", func() bool { _, err := mw.Verify(t.Context(), tok); return err == nil })
	srv.set(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) })
	waitFor(t, "the keys to go stale", func() bool {
		_, err := mw.Verify(t.Context(), tok)
		return errors.Is(err, jwtauth.ErrKeysUnavailable)
	})
	if st := keys.Status(); st.Ready || time.Since(st.LastSuccess) < time.Second || st.LastError == "" {
		t.Errorf("status when stale: %+v", st)
	}
	srv.set(good)
	waitFor(t, "fresh keys", func() bool { _, err := mw.Verify(t.Context(), tok); return err == nil })
}

// TestDiscoverProviderDown: Discover returns at once when the provider is
// down, without failing; the keys become ready in the background once it is
// up, after the context given to Discover has ended.
func TestDiscoverProviderDown(t *testing.T) {
	var up atomic.Bool
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	iss := newIssuer(t, issuer.Config{Issuer: srv.URL})
	mux.Handle("GET /jwks.json", iss.JWKSHandler())
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"` + srv.URL + `","jwks_uri":"` + srv.URL + `/jwks.json"}`))
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	start := time.Now()
	keys, err := jwtauth.Discover(ctx, srv.URL, jwtauth.RemoteOptions{AllowLoopbackHTTP: true})
	cancel()
	if err != nil {
		t.Fatalf("Discover with the provider down: %v", err)
	}
	defer keys.Close()
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Discover took %v with the provider answering 503", d)
	}
	mw := mustNew(t, jwtauth.Config{Keys: keys, Issuer: srv.URL})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrKeysUnavailable) {
		t.Fatalf("before discovery: %v", err)
	}
	if st := keys.Status(); st.Ready || !strings.Contains(st.LastError, "503") {
		t.Errorf("status while down: %+v", st)
	}
	up.Store(true)
	waitFor(t, "discovery in the background", func() bool { return keys.Status().Ready })
	if _, err := mw.Verify(t.Context(), tok); err != nil {
		t.Fatalf("after discovery: %v", err)
	}
	if st := keys.Status(); st.URL != srv.URL+"/jwks.json" || st.Keys != 1 {
		t.Errorf("status when ready: %+v", st)
	}
}
