package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/examples/internal/logbuf"
)

var testSecret = []byte("an example secret of at least thirty-two bytes")

func newTestServer(t *testing.T, secret []byte) *httptest.Server {
	t.Helper()
	h, err := newApp(secret, slog.New(slog.DiscardHandler), options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, token, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func login(t *testing.T, url, name, pw string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "password": pw})
	return do(t, "POST", url+"/login", "", string(body))
}

func TestBrowserFlowOverHTTP(t *testing.T) {
	srv := newTestServer(t, testSecret)

	// The public pages and their assets need no token.
	for _, path := range []string{"/", "/login", "/static/home.js", "/static/login.js", "/static/style.css"} {
		r := do(t, "GET", srv.URL+path, "", "")
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, r.status)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	if r := do(t, "GET", srv.URL+"/", "", ""); !strings.Contains(r.body, "/static/home.js") {
		t.Errorf("home page does not load its script: %s", r.body)
	}

	// The API needs one.
	r := do(t, "GET", srv.URL+"/user", "", "")
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Fatalf("GET /user without token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}

	for _, bad := range [][2]string{{"admin", "12345"}, {"admin", ""}, {"root", "1234"}, {"Admin", "1234"}} {
		if r := login(t, srv.URL, bad[0], bad[1]); r.status != http.StatusUnauthorized || strings.Contains(r.body, "token") {
			t.Errorf("login %q/%q: %d %s", bad[0], bad[1], r.status, r.body)
		}
	}
	for _, body := range []string{"", "{", `{"name":"admin","password":"1234"} {}`, strings.Repeat("x", 10<<10)} {
		if r := do(t, "POST", srv.URL+"/login", "", body); r.status != http.StatusBadRequest {
			t.Errorf("login body %.20q: %d", body, r.status)
		}
	}

	r = login(t, srv.URL, "admin", "1234")
	if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(r.body), &tok); err != nil || tok.Token == "" {
		t.Fatalf("login body %s", r.body)
	}

	r = do(t, "GET", srv.URL+"/user", tok.Token, "")
	if r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"name":"admin"}` {
		t.Fatalf("GET /user: %d %s", r.status, r.body)
	}

	// A token changed by one character is refused, and the response says so
	// without repeating it.
	i := len(tok.Token) - 10 // inside the signature
	flip := map[bool]string{true: "B", false: "A"}[tok.Token[i] == 'A']
	tampered := tok.Token[:i] + flip + tok.Token[i+1:]
	r = do(t, "GET", srv.URL+"/user", tampered, "")
	if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("tampered token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	if strings.Contains(r.body, tampered[:20]) {
		t.Errorf("response echoes the token")
	}

	// A token for another secret is refused.
	other := newTestServer(t, []byte("another example secret, also thirty-two bytes"))
	if r := do(t, "GET", other.URL+"/user", tok.Token, ""); r.status != http.StatusUnauthorized {
		t.Errorf("token of another secret: %d", r.status)
	}
}

// A token that PyJWT minted for the FastAPI recipe, with the same secret and
// claims {"id", "name", "exp"}, works here unchanged.
func TestAcceptsFastAPIToken(t *testing.T) {
	data, err := os.ReadFile("../../jwtauth/testdata/interop_tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Keys map[string]struct {
			Secret string `json:"secret"`
		} `json:"keys"`
		Tokens []struct {
			ID, Token string
		} `json:"tokens"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	srv := newTestServer(t, []byte(f.Keys["hs-tutorial"].Secret))
	var token string
	for _, v := range f.Tokens {
		if v.ID == "pyjwt-hs256-tutorial" {
			token = v.Token
		}
	}
	if token == "" {
		t.Fatal("vector pyjwt-hs256-tutorial missing")
	}
	r := do(t, "GET", srv.URL+"/user", token, "")
	if r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"name":"demo"}` {
		t.Fatalf("PyJWT token: %d %s", r.status, r.body)
	}
}

// run starts a real server from the command line, logs that the secret is
// random when JWT_SECRET is unset, and stops when its context ends.
func TestRun(t *testing.T) {
	var logs logbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(t.Context())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, logger, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	if r := do(t, "GET", "http://"+addr+"/", "", ""); r.status != http.StatusOK {
		t.Errorf("GET /: %d", r.status)
	}
	r := login(t, "http://"+addr, "admin", "1234")
	var tok struct{ Token string }
	json.Unmarshal([]byte(r.body), &tok)
	if r := do(t, "GET", "http://"+addr+"/user", tok.Token, ""); r.status != http.StatusOK {
		t.Errorf("GET /user: %d", r.status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	if !strings.Contains(logs.String(), "JWT_SECRET is not set") {
		t.Errorf("no log line about the random secret:\n%s", logs.String())
	}
	if tok.Token != "" && strings.Contains(logs.String(), tok.Token) {
		t.Error("the log contains the token")
	}
}

func TestRunRefusesWeakSecret(t *testing.T) {
	env := func(k string) string {
		if k == "JWT_SECRET" {
			return "changeme"
		}
		return ""
	}
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0"}, env, slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Fatalf("run with an 8-byte secret: %v", err)
	}
	if strings.Contains(err.Error(), "changeme") {
		t.Error("the error repeats the secret")
	}
}
