package main

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

// Two authserver processes on one Redis are a fleet: each signs with a key
// of its own, a login on one refreshes on the other, a resource server that
// reads the JWK Set of only one accepts the tokens of both, before and
// after their keys rotate, and a refresh token reused on one ends the
// session on the other.
func TestFleetOnRedis(t *testing.T) {
	redisSrv := redistest.Start(t)
	dir := t.TempDir()
	authBin := build(t, dir, "github.com/authkit-go/authkit/examples/authserver")
	resBin := build(t, dir, "github.com/authkit-go/authkit/examples/resource")

	const iss = "https://auth.example"
	fleet := []string{"-addr", "127.0.0.1:0", "-issuer", iss, "-redis-addr", redisSrv.Addr(),
		"-rotate-every", "2s", "-rotate-ahead", "700ms", "-rotate-poll", "50ms", "-ttl", "1m"}
	a := start(t, authBin, fleet...)
	waitReady(t, "http://"+a.addr)
	b := start(t, authBin, fleet...)
	// b joins a running fleet: it waits -rotate-ahead before it signs.
	waitReady(t, "http://"+b.addr)
	res := start(t, resBin, "-addr", "127.0.0.1:0", "-jwks-url", "http://"+a.addr+"/.well-known/jwks.json", "-issuer", iss)
	api := "http://" + res.addr

	grant := func(p *process, form url.Values) map[string]any {
		t.Helper()
		code, body := postForm(t, "http://"+p.addr+"/token", form)
		if code != 200 || body["access_token"] == nil {
			t.Fatalf("%v grant on %s: %d %v", form["grant_type"], p.addr, code, body)
		}
		return body
	}
	onA := grant(a, url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"1234"}})
	onB := grant(b, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {onA["refresh_token"].(string)}})
	tokA, tokB := onA["access_token"].(string), onB["access_token"].(string)
	if kid(t, tokA) == kid(t, tokB) {
		t.Fatal("both instances signed with one key")
	}
	for name, tok := range map[string]string{"A's": tokA, "B's": tokB} {
		if code, body := get(t, api+"/me", tok); code != 200 {
			t.Errorf("%s token at the resource server: %d %s", name, code, body)
		}
	}
	// A's JWK Set holds B's key, and no refresh key.
	_, jwks := get(t, "http://"+a.addr+"/.well-known/jwks.json", "")
	if !strings.Contains(jwks, kid(t, tokB)) || strings.Contains(jwks, kid(t, onB["refresh_token"].(string))) {
		t.Errorf("A's JWK Set: %s", jwks)
	}

	// Past a rotation of both: new kids, and the old tokens still verify.
	time.Sleep(2500 * time.Millisecond)
	again := grant(b, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {onB["refresh_token"].(string)}})
	if kid(t, again["access_token"].(string)) == kid(t, tokB) {
		t.Error("B signs with the same key after -rotate-every")
	}
	for name, tok := range map[string]string{"A's old": tokA, "B's new": again["access_token"].(string)} {
		if code, body := get(t, api+"/me", tok); code != 200 {
			t.Errorf("%s token at the resource server: %d %s", name, code, body)
		}
	}
	// The refresh token just replaced is a reuse on the other instance.
	code, _ := postForm(t, "http://"+a.addr+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {onB["refresh_token"].(string)}})
	if code != http.StatusBadRequest {
		t.Errorf("reused refresh token on A: %d, want 400", code)
	}
	code, _ = postForm(t, "http://"+b.addr+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {again["refresh_token"].(string)}})
	if code != http.StatusBadRequest {
		t.Errorf("refresh token of a session ended by reuse, on B: %d, want 400", code)
	}
	for _, p := range []*process{a, b} {
		if strings.Contains(p.logs(), tokA) || strings.Contains(p.logs(), again["refresh_token"].(string)) {
			t.Error("a log holds a token")
		}
	}
}

// TestFleetNeedsIssuer: instances of a fleet must agree on iss, so
// -redis-addr without -issuer (whose default is the instance's own
// address) is refused.
func TestFleetNeedsIssuer(t *testing.T) {
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-redis-addr", "127.0.0.1:1"}, func(string) string { return "" }, slog.New(slog.DiscardHandler), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "-issuer") {
		t.Fatalf("run: %v", err)
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := get(t, base+"/readyz", ""); code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never ready", base)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
