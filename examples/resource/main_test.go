package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/jwtauthtest"
)

func TestRoutes(t *testing.T) {
	kit := jwtauthtest.New(t, jwtauthtest.Options{Issuer: "https://auth.example.com"})
	h, err := newApp(kit.Keys(), nil, "https://auth.example.com", "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	withScope := kit.TokenFor("ada", map[string]any{"scope": "items:read"})
	without := kit.TokenFor("bob", nil)

	for _, tc := range []struct {
		path, token string
		code        int
		body        string
	}{
		{"/healthz", "", 200, "ok"},
		{"/readyz", "", 200, `"ready":true`},
		{"/me", "", 401, ""},
		{"/me", withScope, 200, `"sub":"ada"`},
		{"/items", withScope, 200, "apple"},
		{"/items", without, 403, "insufficient_scope"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s: %d %s", tc.path, res.StatusCode, b)
		}
	}
}

// With the authorization server's JWKS endpoint hung, the real server (its
// timeouts included) answers a request 503 with Retry-After within MaxWait,
// never drops the connection; /readyz says not ready, then ready once the
// keys come.
func TestKeysUnavailable(t *testing.T) {
	iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: mustKey(t)}})
	if err != nil {
		t.Fatal(err)
	}
	var up atomic.Bool
	release := make(chan struct{})
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			select { // hung
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		iss.JWKSHandler().ServeHTTP(w, r)
	}))
	defer jwks.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr := make(chan string, 1)
	go run(ctx, []string{"-addr", "127.0.0.1:0", "-jwks-url", jwks.URL}, slog.New(slog.DiscardHandler), func(a string) { addr <- a })
	base := "http://" + <-addr
	tok, _ := iss.Issue(t.Context(), "ada", nil)

	get := func(path string) (*http.Response, time.Duration) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v (a dropped connection)", path, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res, time.Since(start)
	}
	res, took := get("/me")
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || took > 4*time.Second {
		t.Fatalf("/me with the JWKS endpoint hung: %d, Retry-After %q, after %v", res.StatusCode, res.Header.Get("Retry-After"), took)
	}
	t.Logf("/me answered 503 in %v with the JWKS endpoint hung (MaxWait 2s, WriteTimeout 10s)", took.Round(time.Millisecond))
	if res, _ := get("/readyz"); res.StatusCode != 503 {
		t.Fatalf("/readyz while hung: %d", res.StatusCode)
	}
	up.Store(true)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, _ := get("/me")
		if res.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("keys never came: %d", res.StatusCode)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res, _ := get("/readyz"); res.StatusCode != 200 {
		t.Fatalf("/readyz once ready: %d", res.StatusCode)
	}
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Every kind of bad token gets 401 from the real routes.
func TestBadTokens(t *testing.T) {
	kit := jwtauthtest.New(t, jwtauthtest.Options{Issuer: "https://auth.example.com"})
	h, err := newApp(kit.Keys(), nil, "https://auth.example.com", "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range kit.BadTokens() {
		r := httptest.NewRequest("GET", "/me", nil)
		r.Header.Set("Authorization", "Bearer "+bad.Token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d; want 401", bad.Name, w.Code)
		}
	}
}
