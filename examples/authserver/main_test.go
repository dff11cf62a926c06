package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
)

func newTestApp(t *testing.T) (*app, *httptest.Server) {
	t.Helper()
	a, err := newApp(options{issuer: "https://auth.example.com", ttl: time.Minute},
		func(string) string { return "" }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return a, srv
}

func TestTokenEndpoint(t *testing.T) {
	_, srv := newTestApp(t)
	for _, tc := range []struct {
		form url.Values
		code int
		err  string
	}{
		{url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"1234"}}, 200, ""},
		{url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"nope"}}, 400, "invalid_grant"},
		{url.Values{"grant_type": {"password"}, "username": {"ghost"}, "password": {"1234"}}, 400, "invalid_grant"},
		{url.Values{"grant_type": {"client_credentials"}}, 400, "unsupported_grant_type"},
		{url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"not.a.token"}}, 400, "invalid_grant"},
	} {
		res, err := http.PostForm(srv.URL+"/token", tc.form)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != tc.code || (tc.err != "" && body["error"] != tc.err) {
			t.Errorf("%v: %d %v", tc.form, res.StatusCode, body)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%v: Cache-Control %q", tc.form, res.Header.Get("Cache-Control"))
		}
	}
}

func TestRefreshGrant(t *testing.T) {
	_, srv := newTestApp(t)
	grant := func(form url.Values) (int, map[string]any) {
		res, err := http.PostForm(srv.URL+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	_, first := grant(url.Values{"grant_type": {"password"}, "username": {"reader"}, "password": {"5678"}})
	rt, _ := first["refresh_token"].(string)
	code, second := grant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if code != 200 || second["access_token"] == nil {
		t.Fatalf("refresh: %d %v", code, second)
	}
	if code, body := grant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}); code != 400 || body["error"] != "invalid_grant" {
		t.Errorf("reused refresh token: %d %v", code, body)
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	a, srv := newTestApp(t)
	res, err := http.Get(srv.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	if doc["issuer"] != "https://auth.example.com" || !strings.HasSuffix(doc["jwks_uri"].(string), "/.well-known/jwks.json") {
		t.Errorf("discovery: %v", doc)
	}
	res, _ = http.Get(srv.URL + "/.well-known/jwks.json")
	var set struct{ Keys []map[string]any }
	json.NewDecoder(res.Body).Decode(&set)
	res.Body.Close()
	if len(set.Keys) != 1 || set.Keys[0]["kid"] != a.issuer.KeyID() || set.Keys[0]["alg"] != "ES256" || set.Keys[0]["d"] != nil {
		t.Errorf("jwks: %v", set)
	}
	if err := a.rotate(); err != nil {
		t.Fatal(err)
	}
	res, _ = http.Get(srv.URL + "/.well-known/jwks.json")
	json.NewDecoder(res.Body).Decode(&set)
	res.Body.Close()
	if len(set.Keys) != 2 {
		t.Errorf("after rotation the set has %d keys", len(set.Keys))
	}
}

func TestKeyFlags(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "EdDSA", "RS256", "PS256"} {
		k, err := loadKey(options{alg: alg})
		if err != nil || k.Algorithm != alg {
			t.Errorf("%s: %v %v", alg, k.Algorithm, err)
		}
	}
	if _, err := loadKey(options{keyFile: "/nonexistent.pem"}); err == nil {
		t.Error("a missing -key file was accepted")
	}
}

// A login's session records the client's User-Agent and address; a store
// with no room for another session answers 503 with Retry-After, and
// says nothing of why.
func TestLoginSessions(t *testing.T) {
	a, err := newApp(options{issuer: "https://auth.example.com", ttl: time.Minute, store: issuer.NewMemoryStore(1)},
		func(string) string { return "" }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	login := func(name, pw string) *http.Response {
		form := url.Values{"grant_type": {"password"}, "username": {name}, "password": {pw}}
		req, _ := http.NewRequest("POST", srv.URL+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "test-agent/1.0")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	if res := login("admin", "1234"); res.StatusCode != 200 {
		t.Fatalf("login: %d", res.StatusCode)
	}
	ss, err := a.issuer.Sessions(t.Context(), "admin")
	if err != nil || len(ss) != 1 {
		t.Fatalf("sessions: %v %v", ss, err)
	}
	if ss[0].Device != "test-agent/1.0" || ss[0].Address != "127.0.0.1" {
		t.Errorf("session device %q, address %q", ss[0].Device, ss[0].Address)
	}
	res := login("reader", "5678")
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" || res.Header.Get("Retry-After") == "" || len(body) != 1 {
		t.Errorf("login with the store full: %d %v Retry-After %q", res.StatusCode, body, res.Header.Get("Retry-After"))
	}
}
