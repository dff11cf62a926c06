package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/examples/internal/logbuf"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

var testSecret = []byte("an example secret of at least thirty-two bytes")

// mint returns a token for sub with claims, signed with secret.
func mint(t *testing.T, secret []byte, now time.Time, sub string, claims map[string]any) string {
	t.Helper()
	iss, err := issuer.New(issuer.Config{
		Key: issuer.SigningKey{Algorithm: "HS256", Key: secret},
		TTL: time.Minute,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	token, err := iss.Issue(t.Context(), sub, claims)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url, token string) response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

// The same checks, through each router.
func TestRouters(t *testing.T) {
	mw, err := newMiddleware(testSecret, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	reader := mint(t, testSecret, now, "alice", map[string]any{"name": "Alice", "scope": "items:read profile"})
	noScope := mint(t, testSecret, now, "bob", map[string]any{"name": "Bob", "scope": "profile"})
	admin := mint(t, testSecret, now, "carol", map[string]any{"role": "admin"})
	expired := mint(t, testSecret, now.Add(-time.Hour), "alice", map[string]any{"scope": "items:read"})
	otherSecret := mint(t, []byte("another example secret, also thirty-two bytes"), now, "alice", map[string]any{"scope": "items:read"})
	i := len(reader) - 10 // inside the signature
	tampered := reader[:i] + map[bool]string{true: "B", false: "A"}[reader[i] == 'A'] + reader[i+1:]

	// What plain net/http sends for each rejection: every router must send
	// exactly this.
	plain := httptest.NewServer(mw.Handler(jwtauth.RequireScope("items:read")(http.NotFoundHandler())))
	defer plain.Close()
	reference := map[string]response{
		"none":     get(t, plain.URL, ""),
		"tampered": get(t, plain.URL, tampered),
		"noScope":  get(t, plain.URL, noScope),
	}

	for _, name := range []string{"chi", "gin", "echo"} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(routers[name](mw))
			defer srv.Close()

			// A valid token: 200 and the claims, as the handler read them
			// from the request's context.
			r := get(t, srv.URL+"/me", reader)
			if r.status != http.StatusOK {
				t.Fatalf("GET /me: %d %s", r.status, r.body)
			}
			var me struct {
				Sub    string
				Scopes []string
				Claims map[string]any
			}
			if err := json.Unmarshal([]byte(r.body), &me); err != nil {
				t.Fatalf("GET /me body %s: %v", r.body, err)
			}
			if me.Sub != "alice" || !slices.Equal(me.Scopes, []string{"items:read", "profile"}) || me.Claims["name"] != "Alice" || me.Claims["exp"] == nil {
				t.Errorf("GET /me: %s", r.body)
			}
			r = get(t, srv.URL+"/items", reader)
			if r.status != http.StatusOK || !strings.Contains(r.body, `"banana"`) {
				t.Errorf("GET /items with scope: %d %s", r.status, r.body)
			}
			if r := get(t, srv.URL+"/healthz", ""); r.status != http.StatusOK || !strings.Contains(r.body, `"ok"`) {
				t.Errorf("GET /healthz: %d %s", r.status, r.body)
			}

			// No token: 401 and the bare challenge.
			for _, path := range []string{"/me", "/items", "/admin", "/no-such-route"} {
				r := get(t, srv.URL+path, "")
				if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Bearer realm="api"` {
					t.Errorf("GET %s without token: %d %q", path, r.status, r.header.Get("WWW-Authenticate"))
				}
				sameAs(t, "no token "+path, r, reference["none"])
			}

			// Bad tokens: 401 invalid_token, and the handler never runs.
			for what, token := range map[string]string{"tampered": tampered, "expired": expired, "other secret": otherSecret, "garbage": "not.a.token"} {
				r := get(t, srv.URL+"/me", token)
				if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
					t.Errorf("%s token: %d %q", what, r.status, r.header.Get("WWW-Authenticate"))
				}
				if strings.Contains(r.body, `"sub"`) {
					t.Errorf("%s token reached the handler: %s", what, r.body)
				}
			}
			sameAs(t, "tampered token", get(t, srv.URL+"/me", tampered), reference["tampered"])

			// A valid token without the scope: 403 insufficient_scope.
			r = get(t, srv.URL+"/items", noScope)
			if r.status != http.StatusForbidden || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) ||
				!strings.Contains(r.header.Get("WWW-Authenticate"), `scope="items:read"`) {
				t.Errorf("GET /items without scope: %d %q", r.status, r.header.Get("WWW-Authenticate"))
			}
			if strings.Contains(r.body, "banana") {
				t.Error("GET /items without scope reached the handler")
			}
			sameAs(t, "missing scope", r, reference["noScope"])

			// RequireClaim: role=admin only.
			if r := get(t, srv.URL+"/admin", admin); r.status != http.StatusOK || !strings.Contains(r.body, `"admin":true`) {
				t.Errorf("GET /admin as admin: %d %s", r.status, r.body)
			}
			if r := get(t, srv.URL+"/admin", reader); r.status != http.StatusForbidden {
				t.Errorf("GET /admin as reader: %d %s", r.status, r.body)
			}
			// Authenticated, but no such route: the router's own 404.
			if r := get(t, srv.URL+"/no-such-route", reader); r.status != http.StatusNotFound {
				t.Errorf("GET /no-such-route: %d", r.status)
			}
		})
	}
}

// sameAs checks that a rejection is what plain net/http sends.
func sameAs(t *testing.T, what string, got, want response) {
	t.Helper()
	for _, h := range []string{"WWW-Authenticate", "Content-Type", "Cache-Control"} {
		if got.header.Get(h) != want.header.Get(h) {
			t.Errorf("%s: %s %q, net/http sends %q", what, h, got.header.Get(h), want.header.Get(h))
		}
	}
	if got.status != want.status || got.body != want.body {
		t.Errorf("%s: %d %q, net/http sends %d %q", what, got.status, got.body, want.status, want.body)
	}
}

// run serves with the chosen router, and -token prints a token it accepts.
func TestRun(t *testing.T) {
	env := func(k string) string {
		if k == "JWT_SECRET" {
			return string(testSecret)
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-token", "-scope", "items:read", "-role", "admin"}, env, &out, slog.New(slog.DiscardHandler), nil); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())

	for _, name := range []string{"chi", "gin", "echo"} {
		t.Run(name, func(t *testing.T) {
			var logs logbuf.Buffer
			ctx, cancel := context.WithCancel(t.Context())
			addrc := make(chan string, 1)
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"-framework", name, "-addr", "127.0.0.1:0"}, env, io.Discard,
					slog.New(slog.NewTextHandler(&logs, nil)), func(a string) { addrc <- a })
			}()
			var addr string
			select {
			case addr = <-addrc:
			case err := <-done:
				t.Fatalf("run: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("server did not start")
			}
			for _, path := range []string{"/me", "/items", "/admin"} {
				if r := get(t, "http://"+addr+path, token); r.status != http.StatusOK {
					t.Errorf("GET %s: %d %s", path, r.status, r.body)
				}
			}
			if r := get(t, "http://"+addr+"/me", ""); r.status != http.StatusUnauthorized {
				t.Errorf("GET /me without token: %d", r.status)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run after cancel: %v", err)
			}
			if !strings.Contains(logs.String(), "framework="+name) {
				t.Errorf("log does not name the router:\n%s", logs.String())
			}
		})
	}
}

func TestRunRefuses(t *testing.T) {
	noEnv := func(string) string { return "" }
	weak := func(k string) string {
		if k == "JWT_SECRET" {
			return "changeme"
		}
		return ""
	}
	for _, tc := range []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"unknown router", []string{"-framework", "fiber"}, noEnv, "chi, gin or echo"},
		{"token without secret", []string{"-token"}, noEnv, "JWT_SECRET"},
		{"weak secret", nil, weak, "JWT_SECRET"},
		{"token with weak secret", []string{"-token"}, weak, "JWT_SECRET"},
		{"extra argument", []string{"serve"}, noEnv, "unexpected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), append([]string{"-addr", "127.0.0.1:0"}, tc.args...), tc.env, &out, slog.New(slog.DiscardHandler), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one about %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "changeme") || out.Len() > 0 {
				t.Errorf("refused, yet printed %q or repeated the secret: %v", out.String(), err)
			}
		})
	}
}
