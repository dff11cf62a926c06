package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/examples/internal/logbuf"
)

// start runs the real server, without the client, and returns its URL.
func start(t *testing.T, args ...string) (string, *logbuf.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var log logbuf.Buffer
	addr := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-client=false"}, args...),
			func(string) string { return "" }, slog.New(slog.NewTextHandler(&log, nil)), func(a string) { addr <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a, &log
	case err := <-errc:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	return "", nil
}

func newTestClient(t *testing.T, base string) *dpopClient {
	t.Helper()
	c, err := newClient(base)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustToken(t *testing.T, c *dpopClient) string {
	t.Helper()
	tok, err := c.token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// send sends one request with exactly the headers given, and no retry.
func send(t *testing.T, c *dpopClient, method, path string, headers map[string]string) *answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	a, err := c.send(req)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustProof(t *testing.T, c *dpopClient, method, path, token string) string {
	t.Helper()
	p, err := c.prover.Proof(method, c.base+path, token, c.nonce)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dpopChallenge returns the DPoP challenge of a, "" without one.
func dpopChallenge(a *answer) string {
	for _, c := range a.challenge {
		if strings.HasPrefix(c, "DPoP ") {
			return c
		}
	}
	return ""
}

// The demo as shipped: it serves, runs the client, and exits by itself, with
// every step in the log and no token in it.
func TestDemo(t *testing.T) {
	var log logbuf.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := run(ctx, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, slog.New(slog.NewTextHandler(&log, nil)), nil); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	out := log.String()
	for _, want := range []string{
		"got a DPoP-bound token",
		`GET /me with a proof of the client's key" status=200`,
		`the stolen token with a proof of another key" status=401`,
		`the stolen token as a Bearer token" status=401`,
		`the stolen token with the client's proof, replayed" status=401`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "eyJ") {
		t.Errorf("a token or proof in the log:\n%s", out)
	}
}

func TestHappyPath(t *testing.T) {
	base, _ := start(t, "-nonces=false")
	c := newTestClient(t, base)
	tok := mustToken(t, c)
	a := send(t, c, "GET", "/me", map[string]string{"Authorization": "DPoP " + tok, "DPoP": mustProof(t, c, "GET", "/me", tok)})
	if a.status != 200 {
		t.Fatalf("GET /me: %d %q %s", a.status, a.challenge, a.body)
	}
	var claims struct {
		Sub string `json:"sub"`
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(a.body, &claims); err != nil || claims.Sub != "demo" || claims.Cnf.JKT != c.prover.Thumbprint() {
		t.Fatalf("GET /me: %s (%v); want sub demo bound to %s", a.body, err, c.prover.Thumbprint())
	}

	res, err := http.Get(base + "/.well-known/oauth-protected-resource")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var md map[string]any
	if res.StatusCode != 200 || json.Unmarshal(b, &md) != nil || md["resource"] != base || md["dpop_bound_access_tokens_required"] != true {
		t.Fatalf("metadata: %d %s", res.StatusCode, b)
	}
}

// With nonces, the first proof without one is answered with a nonce, and
// the proof that carries it passes, at the token endpoint and at /me.
func TestNonceFlow(t *testing.T) {
	base, _ := start(t)
	c := newTestClient(t, base)
	a := send(t, c, "POST", "/token", map[string]string{"DPoP": mustProof(t, c, "POST", "/token", "")})
	if a.status != 400 || !strings.Contains(string(a.body), `"use_dpop_nonce"`) || a.nonce == "" {
		t.Fatalf("POST /token without a nonce: %d %s, nonce %q", a.status, a.body, a.nonce)
	}
	c.nonce = a.nonce
	tok := mustToken(t, c)

	a = send(t, c, "GET", "/me", map[string]string{"Authorization": "DPoP " + tok, "DPoP": mustProof(t, c, "GET", "/me", tok)})
	if a.status != 200 {
		t.Fatalf("GET /me with the nonce: %d %q", a.status, a.challenge)
	}
	c.nonce = ""
	a = send(t, c, "GET", "/me", map[string]string{"Authorization": "DPoP " + tok, "DPoP": mustProof(t, c, "GET", "/me", tok)})
	if a.status != 401 || !strings.Contains(dpopChallenge(a), `error="use_dpop_nonce"`) || a.nonce == "" {
		t.Fatalf("GET /me without a nonce: %d %q, nonce %q", a.status, a.challenge, a.nonce)
	}
	c.nonce = a.nonce
	a = send(t, c, "GET", "/me", map[string]string{"Authorization": "DPoP " + tok, "DPoP": mustProof(t, c, "GET", "/me", tok)})
	if a.status != 200 {
		t.Fatalf("GET /me with the new nonce: %d %q", a.status, a.challenge)
	}
}

// The thief's requests: each refused 401 with a DPoP challenge, and the
// token still works for its owner afterwards.
func TestStolenToken(t *testing.T) {
	for _, nonces := range []string{"-nonces=false", "-nonces=true"} {
		t.Run(nonces, func(t *testing.T) {
			base, _ := start(t, nonces)
			c := newTestClient(t, base)
			tok := mustToken(t, c)
			res, proof, err := c.me(t.Context(), tok)
			if err != nil || res.status != 200 {
				t.Fatalf("GET /me: %v %v", res, err)
			}
			thief := newTestClient(t, base)
			thief.nonce = c.nonce
			for _, tc := range []struct {
				name    string
				headers map[string]string
				code    string // in the DPoP challenge
			}{
				{"as Bearer", map[string]string{"Authorization": "Bearer " + tok}, `error="invalid_token"`},
				{"as Bearer with a proof", map[string]string{"Authorization": "Bearer " + tok, "DPoP": mustProof(t, c, "GET", "/me", tok)}, `error="invalid_token"`},
				{"proof of another key", map[string]string{"Authorization": "DPoP " + tok, "DPoP": mustProof(t, thief, "GET", "/me", tok)}, `error="invalid_token"`},
				{"replayed proof", map[string]string{"Authorization": "DPoP " + tok, "DPoP": proof}, `error="invalid_dpop_proof"`},
				{"no proof", map[string]string{"Authorization": "DPoP " + tok}, `error="invalid_dpop_proof"`},
				{"proof for another URL", map[string]string{"Authorization": "DPoP " + tok, "DPoP": mustProof(t, c, "GET", "/token", tok)}, `error="invalid_dpop_proof"`},
				{"the token endpoint's proof", map[string]string{"Authorization": "DPoP " + tok, "DPoP": mustProof(t, c, "POST", "/me", tok)}, `error="invalid_dpop_proof"`},
			} {
				a := send(t, thief, "GET", "/me", tc.headers)
				ch := dpopChallenge(a)
				if a.status != 401 || !strings.Contains(ch, tc.code) || !strings.Contains(ch, `algs="ES256 EdDSA PS256"`) ||
					!strings.Contains(ch, `resource_metadata="`+base+`/.well-known/oauth-protected-resource"`) {
					t.Errorf("%s: %d %q; want 401 with a DPoP challenge %s", tc.name, a.status, a.challenge, tc.code)
				}
				for _, c := range a.challenge {
					if strings.HasPrefix(c, "Bearer") {
						t.Errorf("%s: a Bearer challenge %q from a DPoP-only resource", tc.name, c)
					}
				}
			}
			if res, _, err := c.me(t.Context(), tok); err != nil || res.status != 200 {
				t.Fatalf("GET /me by the owner, after the thief: %v %v", res, err)
			}
		})
	}
}

// The token endpoint refuses token requests without a good proof.
func TestTokenEndpointRefuses(t *testing.T) {
	base, _ := start(t, "-nonces=false")
	c := newTestClient(t, base)
	used := mustProof(t, c, "POST", "/token", "")
	if a := send(t, c, "POST", "/token", map[string]string{"DPoP": used}); a.status != 200 {
		t.Fatalf("POST /token: %d %s", a.status, a.body)
	}
	for _, tc := range []struct {
		name    string
		headers map[string]string
	}{
		{"no proof", nil},
		{"replayed proof", map[string]string{"DPoP": used}},
		{"proof for /me", map[string]string{"DPoP": mustProof(t, c, "POST", "/me", "")}},
		{"proof for GET", map[string]string{"DPoP": mustProof(t, c, "GET", "/token", "")}},
		{"garbage", map[string]string{"DPoP": "a.b.c"}},
	} {
		a := send(t, c, "POST", "/token", tc.headers)
		if a.status != 400 || !strings.Contains(string(a.body), `"invalid_dpop_proof"`) {
			t.Errorf("%s: %d %s", tc.name, a.status, a.body)
		}
	}
}
