package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/examples/internal/logbuf"
	"github.com/authkit-go/authkit/examples/users/accounts"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/authkit-go/authkit/password"
)

// TestMain sends go-redis's own log lines, about the connections that fail
// while a test has stopped Redis on purpose, where main sends them: through
// slog, here to nowhere.
func TestMain(m *testing.M) {
	redis.SetLogger(accounts.RedisLogger{Logger: slog.New(slog.DiscardHandler)})
	os.Exit(m.Run())
}

var testSecret = []byte("an example secret of at least thirty-two bytes")

// testServer is the users application over a real HTTP server, with its
// database in a temporary folder.
type testServer struct {
	URL  string
	DB   *sql.DB
	Path string
}

// newTestServer starts the application on a fresh database.
func newTestServer(t *testing.T, cfg accounts.Config) *testServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.db")
	return serveDB(t, path, cfg)
}

func serveDB(t *testing.T, path string, cfg accounts.Config) *testServer {
	t.Helper()
	db, err := accounts.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.DB = db
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	h, err := accounts.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testServer{URL: srv.URL, DB: db, Path: path}
}

type response struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into a map, failing the test when it is not JSON.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body is not a JSON object (%v): %q", err, r.body)
	}
	return m
}

func do(t *testing.T, method, url, contentType, token, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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

const (
	jsonType = "application/json"
	formType = "application/x-www-form-urlencoded"
)

func (s *testServer) register(t *testing.T, username, pw, email string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": pw, "email": email})
	return do(t, "POST", s.URL+"/auth/register", jsonType, "", string(body))
}

func (s *testServer) token(t *testing.T, username, pw string) response {
	t.Helper()
	form := url.Values{"username": {username}, "password": {pw}}
	return do(t, "POST", s.URL+"/auth/token", formType, "", form.Encode())
}

func (s *testServer) refresh(t *testing.T, refreshToken string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"refresh_token": refreshToken})
	return do(t, "POST", s.URL+"/auth/refresh", jsonType, "", string(body))
}

func (s *testServer) secureData(t *testing.T, token string) response {
	t.Helper()
	return do(t, "GET", s.URL+"/secure-data", "", token, "")
}

func (s *testServer) logout(t *testing.T, token string) response {
	t.Helper()
	return do(t, "POST", s.URL+"/auth/logout", "", token, "")
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// pair checks that r is a token response and returns it.
func pair(t *testing.T, r response) tokens {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("token response: %d %s", r.status, r.body)
	}
	var tk tokens
	if err := json.Unmarshal([]byte(r.body), &tk); err != nil {
		t.Fatal(err)
	}
	if tk.AccessToken == "" || tk.RefreshToken == "" || tk.TokenType != "bearer" || tk.ExpiresIn != 900 {
		t.Fatalf("token response: %s", r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("token response headers: %v", r.header)
	}
	return tk
}

// wantStatus checks a response's status and, when code is not empty, the
// "error" member of its JSON body.
func wantStatus(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
		return
	}
	if code != "" {
		if got := r.json(t)["error"]; got != code {
			t.Errorf("%s: error %v, want %q", what, got, code)
		}
	}
}

// wantRejected checks that a protected route refused a token as invalid.
func wantRejected(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("%s: %d %q, want 401 invalid_token", what, r.status, r.header.Get("WWW-Authenticate"))
	}
}

func TestAccountFlow(t *testing.T) {
	s := newTestServer(t, accounts.Config{})

	r := s.register(t, "alice", "correct horse battery", "alice@example.com")
	wantStatus(t, "register", r, http.StatusCreated, "")
	var u accounts.User
	if err := json.Unmarshal([]byte(r.body), &u); err != nil || u.ID == 0 || u.Username != "alice" || u.Email != "alice@example.com" {
		t.Fatalf("register body: %s", r.body)
	}
	if created, err := time.Parse(time.RFC3339, u.CreatedAt); err != nil || time.Since(created) > time.Minute {
		t.Errorf("created_at %q", u.CreatedAt)
	}
	for _, leak := range []string{"password", "hash", "$argon2", "correct horse"} {
		if strings.Contains(r.body, leak) {
			t.Errorf("register body contains %q: %s", leak, r.body)
		}
	}
	wantStatus(t, "duplicate", s.register(t, "alice", "another password", "alice2@example.com"), http.StatusConflict, "username_taken")
	wantStatus(t, "second user", s.register(t, "bob", "bob's password", "bob@example.com"), http.StatusCreated, "")

	// A wrong password and an unknown user get the very same answer.
	wrong := s.token(t, "alice", "wrong horse battery")
	unknown := s.token(t, "mallory", "correct horse battery")
	wantStatus(t, "wrong password", wrong, http.StatusUnauthorized, "invalid_grant")
	if wrong.status != unknown.status || wrong.body != unknown.body || wrong.header.Get("WWW-Authenticate") != unknown.header.Get("WWW-Authenticate") {
		t.Errorf("wrong password %d %q and unknown user %d %q differ", wrong.status, wrong.body, unknown.status, unknown.body)
	}

	first := pair(t, s.token(t, "alice", "correct horse battery"))
	r = s.secureData(t, first.AccessToken)
	if r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"message":"Hello alice, this is secure data","status":"Authorized"}` {
		t.Fatalf("secure-data: %d %s", r.status, r.body)
	}
	r = s.secureData(t, "")
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Errorf("secure-data without token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	wantRejected(t, "refresh token used as access token", s.secureData(t, first.RefreshToken))
	wantStatus(t, "access token used as refresh token", s.refresh(t, first.AccessToken), http.StatusUnauthorized, "invalid_grant")

	// Refresh rotates both tokens; the old access token lives on until it
	// expires or the session is revoked.
	second := pair(t, s.refresh(t, first.RefreshToken))
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatal("refresh returned the same tokens")
	}
	wantStatus(t, "secure-data, refreshed token", s.secureData(t, second.AccessToken), http.StatusOK, "")
	wantStatus(t, "secure-data, first token", s.secureData(t, first.AccessToken), http.StatusOK, "")

	// Presenting the used refresh token again revokes the whole session.
	r = s.refresh(t, first.RefreshToken)
	wantStatus(t, "reused refresh token", r, http.StatusUnauthorized, "invalid_grant")
	if !strings.Contains(r.body, "already used") {
		t.Errorf("reuse response does not say so: %s", r.body)
	}
	wantStatus(t, "refresh token of the revoked session", s.refresh(t, second.RefreshToken), http.StatusUnauthorized, "invalid_grant")
	wantRejected(t, "first access token after reuse", s.secureData(t, first.AccessToken))
	wantRejected(t, "second access token after reuse", s.secureData(t, second.AccessToken))

	// Another login is another session; logging out of one leaves the other.
	third := pair(t, s.token(t, "alice", "correct horse battery"))
	bobs := pair(t, s.token(t, "bob", "bob's password"))
	wantStatus(t, "secure-data, new session", s.secureData(t, third.AccessToken), http.StatusOK, "")
	r = s.logout(t, third.AccessToken)
	if r.status != http.StatusNoContent || r.body != "" {
		t.Fatalf("logout: %d %q", r.status, r.body)
	}
	wantRejected(t, "access token after logout", s.secureData(t, third.AccessToken))
	wantStatus(t, "refresh after logout", s.refresh(t, third.RefreshToken), http.StatusUnauthorized, "invalid_grant")
	wantRejected(t, "second logout", s.logout(t, third.AccessToken))
	wantStatus(t, "another user's session after logout", s.secureData(t, bobs.AccessToken), http.StatusOK, "")
	r = s.logout(t, "")
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Errorf("logout without token: %d", r.status)
	}
	// A refreshed session can log out too, and that ends its refresh token.
	bobs2 := pair(t, s.refresh(t, bobs.RefreshToken))
	wantStatus(t, "logout of refreshed session", s.logout(t, bobs2.AccessToken), http.StatusNoContent, "")
	wantRejected(t, "earlier token of a logged-out session", s.secureData(t, bobs.AccessToken))
	wantStatus(t, "refresh of a logged-out session", s.refresh(t, bobs2.RefreshToken), http.StatusUnauthorized, "invalid_grant")

	// The stored hash is argon2id with current parameters.
	var stored string
	if err := s.DB.QueryRow(`SELECT password_hash FROM users WHERE username = 'alice'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$") || password.NeedsRehash(stored) {
		t.Errorf("stored hash %.20s…", stored)
	}
}

func TestValidation(t *testing.T) {
	s := newTestServer(t, accounts.Config{})
	big := `{"username":"alice","email":"alice@example.com","password":"` + strings.Repeat("x", 20<<10) + `"}`
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		fields                  []string // fields named in a 422
	}{
		{"no content type", "", `{"username":"alice","password":"12345678","email":"a@example.com"}`, 400, nil},
		{"text/plain", "text/plain", `{"username":"alice","password":"12345678","email":"a@example.com"}`, 400, nil},
		{"form", formType, "username=alice&password=12345678&email=a%40example.com", 400, nil},
		{"empty body", jsonType, ``, 400, nil},
		{"truncated", jsonType, `{"username":"alice"`, 400, nil},
		{"two objects", jsonType, `{} {}`, 400, nil},
		{"array", jsonType, `[]`, 400, nil},
		{"number field", jsonType, `{"username":12345,"password":"12345678","email":"a@example.com"}`, 400, nil},
		{"unknown field", jsonType, `{"username":"alice","password":"12345678","email":"a@example.com","admin":true}`, 400, nil},
		{"over 16 KiB", jsonType, big, 413, nil},
		{"no fields", jsonType, `{}`, 422, []string{"username", "password", "email"}},
		{"short username", jsonType, `{"username":"al","password":"12345678","email":"a@example.com"}`, 422, []string{"username"}},
		{"long username", jsonType, `{"username":"` + strings.Repeat("a", 33) + `","password":"12345678","email":"a@example.com"}`, 422, []string{"username"}},
		{"space in username", jsonType, `{"username":"al ice","password":"12345678","email":"a@example.com"}`, 422, []string{"username"}},
		{"markup in username", jsonType, `{"username":"<script>","password":"12345678","email":"a@example.com"}`, 422, []string{"username"}},
		{"non-ASCII username", jsonType, `{"username":"élise","password":"12345678","email":"a@example.com"}`, 422, []string{"username"}},
		{"not an email", jsonType, `{"username":"alice","password":"12345678","email":"alice"}`, 422, []string{"email"}},
		{"display name", jsonType, `{"username":"alice","password":"12345678","email":"Alice <a@example.com>"}`, 422, []string{"email"}},
		{"email with spaces", jsonType, `{"username":"alice","password":"12345678","email":" a@example.com"}`, 422, []string{"email"}},
		{"email over 254", jsonType, `{"username":"alice","password":"12345678","email":"` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + `.com"}`, 422, []string{"email"}},
		{"short password", jsonType, `{"username":"alice","password":"1234567","email":"a@example.com"}`, 422, []string{"password"}},
		{"long password", jsonType, `{"username":"alice","password":"` + strings.Repeat("p", 1025) + `","email":"a@example.com"}`, 422, []string{"password"}},
		// The limits themselves are allowed.
		{"shortest", jsonType + "; charset=utf-8", `{"username":"abc","password":"12345678","email":"a@b"}`, 201, nil},
		{"longest", jsonType, `{"username":"` + strings.Repeat("a", 32) + `","password":"` + strings.Repeat("p", 1024) + `","email":"` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + `.com"}`, 201, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "POST", s.URL+"/auth/register", tc.contentType, "", tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if r.header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
			m := r.json(t)
			if tc.status >= 400 {
				if m["error"] == "" || m["error_description"] == "" {
					t.Errorf("error body %s", r.body)
				}
				if strings.Contains(r.body, "<script>") || strings.Contains(r.body, "élise") || strings.Contains(r.body, "12345678") {
					t.Errorf("the response repeats the request: %s", r.body)
				}
			}
			if tc.status == 422 {
				fields, _ := m["fields"].(map[string]any)
				if len(fields) != len(tc.fields) {
					t.Errorf("fields %v, want %v", fields, tc.fields)
				}
				for _, f := range tc.fields {
					if rule, _ := fields[f].(string); rule == "" {
						t.Errorf("no rule for %s: %s", f, r.body)
					}
				}
			}
		})
	}

	if r := s.register(t, "carol", "carol's password", "carol@example.com"); r.status != 201 {
		t.Fatalf("register carol: %d %s", r.status, r.body)
	}
	tokenURL := s.URL + "/auth/token"
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"JSON", jsonType, `{"username":"carol","password":"carol's password"}`, 400, "invalid_request"},
		{"no content type", "", "username=carol&password=x", 400, "invalid_request"},
		{"repeated field", formType, "username=carol&username=dave&password=x", 400, "invalid_request"},
		{"other grant", formType, "grant_type=client_credentials&username=carol&password=x", 400, "unsupported_grant_type"},
		{"no password", formType, "username=carol", 422, "invalid_request"},
		{"no username", formType, "password=x", 422, "invalid_request"},
		{"over 16 KiB", formType, "username=carol&password=" + strings.Repeat("x", 20<<10), 413, "request_too_large"},
		{"password over 1024 bytes", formType, "username=carol&password=" + strings.Repeat("x", 1025), 401, "invalid_grant"},
		{"username no account can have", formType, "username=" + strings.Repeat("c", 200) + "&password=x", 401, "invalid_grant"},
		{"grant_type password", formType, "grant_type=password&username=carol&password=carol%27s+password", 200, ""},
	} {
		t.Run("token/"+tc.name, func(t *testing.T) {
			r := do(t, "POST", tokenURL, tc.contentType, "", tc.body)
			wantStatus(t, tc.name, r, tc.status, tc.code)
		})
	}
	// Credentials are read from the body only, never from the URL.
	r := do(t, "POST", tokenURL+"?username=carol&password=carol%27s+password", formType, "", "")
	wantStatus(t, "credentials in the query", r, 422, "invalid_request")

	for _, tc := range []struct {
		name, contentType, body string
		status                  int
	}{
		{"form", formType, "refresh_token=x", 400},
		{"no token", jsonType, `{}`, 422},
		{"garbage", jsonType, `{"refresh_token":"not a token"}`, 401},
		{"unknown field", jsonType, `{"refresh_token":"x","scope":"admin"}`, 400},
	} {
		t.Run("refresh/"+tc.name, func(t *testing.T) {
			wantStatus(t, tc.name, do(t, "POST", s.URL+"/auth/refresh", tc.contentType, "", tc.body), tc.status, "")
		})
	}
}

// interopVector returns a token of jwtauth/testdata/interop_tokens.json and
// the secret of its key.
func interopVector(t *testing.T, id string) (token string, secret []byte) {
	t.Helper()
	data, err := os.ReadFile("../../jwtauth/testdata/interop_tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Keys map[string]struct {
			Secret string `json:"secret"`
		} `json:"keys"`
		Tokens []struct {
			ID, Key, Token string
		} `json:"tokens"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Tokens {
		if v.ID == id {
			return v.Token, []byte(f.Keys[v.Key].Secret)
		}
	}
	t.Fatalf("vector %s missing", id)
	return "", nil
}

// An access token that PyJWT minted for the FastAPI recipe, with the same
// secret and only {"sub","exp"} (no kid, no jti), is accepted: issuer.Keys()
// gives a token without kid the one HS256 key. And the recipe's side, which
// knows only the secret, accepts ours.
func TestFastAPIInterop(t *testing.T) {
	token, secret := interopVector(t, "pyjwt-hs256-sub")
	if strings.Contains(token[:strings.IndexByte(token, '.')], "kid") {
		t.Fatal("the vector is supposed to have no kid")
	}
	s := newTestServer(t, accounts.Config{Secret: secret})
	r := s.secureData(t, token)
	if r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"message":"Hello alice, this is secure data","status":"Authorized"}` {
		t.Fatalf("FastAPI token: %d %s", r.status, r.body)
	}
	// Such a token has nothing to revoke it by: logout says so instead of
	// pretending, and the token keeps working until it expires.
	r = s.logout(t, token)
	wantStatus(t, "logout with a FastAPI token", r, http.StatusBadRequest, "invalid_request")
	wantStatus(t, "FastAPI token after refused logout", s.secureData(t, token), http.StatusOK, "")

	other := newTestServer(t, accounts.Config{})
	wantRejected(t, "FastAPI token, other secret", other.secureData(t, token))

	// Our tokens verify where only the secret is known, as PyJWT's
	// jwt.decode(token, SECRET_KEY, algorithms=["HS256"]) does; our refresh
	// tokens do not pass for access tokens there either.
	r = s.register(t, "alice", "alice's password", "alice@example.com")
	wantStatus(t, "register", r, 201, "")
	var u accounts.User
	if err := json.Unmarshal([]byte(r.body), &u); err != nil {
		t.Fatal(err)
	}
	tk := pair(t, s.token(t, "alice", "alice's password"))
	plain, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(secret)})
	if err != nil {
		t.Fatal(err)
	}
	// Our sub is the account's id; the username is the name claim.
	c, err := plain.Verify(t.Context(), tk.AccessToken)
	if err != nil || c.Subject() != strconv.FormatInt(u.ID, 10) || len(c.Audience()) != 0 {
		t.Fatalf("our access token with the bare secret: %v, sub %q, want %d", err, c.Subject(), u.ID)
	}
	if name, _ := c.Value("name"); string(name) != `"alice"` {
		t.Errorf("name claim %s, want \"alice\"", name)
	}
	if _, err := plain.Verify(t.Context(), tk.RefreshToken); err == nil {
		t.Error("our refresh token passes as an access token")
	}
}

// The FastAPI docs' johndoe, whose passlib bcrypt hash sits in a table of
// the recipe's shape, logs in; the table gains created_at, and the hash is
// replaced by a current argon2id one.
func TestLegacyBcryptUpgrade(t *testing.T) {
	pw, hash := passwordVector(t, "fastapi-docs-johndoe")
	wrongPW, _ := passwordVector(t, "fastapi-docs-johndoe-wrong-case")
	path := filepath.Join(t.TempDir(), "fastapi.db")
	legacy, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = legacy.Exec(`CREATE TABLE users (
		id INTEGER PRIMARY KEY,
		username TEXT UNIQUE NOT NULL,
		email TEXT NOT NULL,
		password_hash TEXT NOT NULL)`)
	if err == nil {
		_, err = legacy.Exec(`INSERT INTO users (username, email, password_hash) VALUES ('johndoe', 'johndoe@example.com', ?)`, hash)
	}
	if err != nil {
		t.Fatal(err)
	}
	legacy.Close()

	// bcrypt at cost 12 is slow under the race detector (seconds): give the
	// hash upgrade that follows the check time to get its slot.
	s := serveDB(t, path, accounts.Config{HashWait: time.Minute})
	storedHash := func() string {
		t.Helper()
		var h string
		if err := s.DB.QueryRow(`SELECT password_hash FROM users WHERE username = 'johndoe'`).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	var version int
	s.DB.QueryRow(`PRAGMA user_version`).Scan(&version)
	var createdAt string
	if err := s.DB.QueryRow(`SELECT created_at FROM users WHERE username = 'johndoe'`).Scan(&createdAt); err != nil || version != 3 {
		t.Fatalf("migration: user_version %d, created_at: %v", version, err)
	}

	wantStatus(t, "johndoe, wrong case", s.token(t, "johndoe", wrongPW), http.StatusUnauthorized, "invalid_grant")
	if storedHash() != hash {
		t.Fatal("a failed login changed the hash")
	}
	tk := pair(t, s.token(t, "johndoe", pw))
	wantStatus(t, "johndoe's secure-data", s.secureData(t, tk.AccessToken), http.StatusOK, "")
	upgraded := storedHash()
	if !strings.HasPrefix(upgraded, "$argon2id$") || password.NeedsRehash(upgraded) {
		t.Fatalf("hash after login: %.24s…, NeedsRehash %v", upgraded, password.NeedsRehash(upgraded))
	}
	if ok, err := password.Verify(pw, upgraded); !ok || err != nil {
		t.Fatalf("the new hash does not verify: %v", err)
	}
	pair(t, s.token(t, "johndoe", pw))
	if storedHash() != upgraded {
		t.Error("a current hash was replaced again")
	}
	// The migrated table takes new accounts.
	wantStatus(t, "register on a migrated table", s.register(t, "janedoe", "jane's password", "jane@example.com"), 201, "")
}

func passwordVector(t *testing.T, id string) (pw, hash string) {
	t.Helper()
	data, err := os.ReadFile("../../password/testdata/password_hashes.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []struct{ ID, Password, Hash string } `json:"vectors"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Vectors {
		if v.ID == id {
			return v.Password, v.Hash
		}
	}
	t.Fatalf("vector %s missing", id)
	return "", ""
}

// clock is a settable time source.
type clock struct{ ns atomic.Int64 }

func newClock() *clock                   { c := new(clock); c.ns.Store(time.Now().UnixNano()); return c }
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// loginFrom posts a login to h as if from the client at remote (host:port),
// with an X-Forwarded-For header when xff is not empty.
func loginFrom(h http.Handler, remote, xff, username, pw string) *httptest.ResponseRecorder {
	form := url.Values{"username": {username}, "password": {pw}}
	r := httptest.NewRequest("POST", "/auth/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", formType)
	r.RemoteAddr = remote
	if xff != "" {
		r.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func recorded(w *httptest.ResponseRecorder) response {
	return response{w.Code, w.Header(), w.Body.String()}
}

// wantThrottled checks a 429 too_many_requests with a Retry-After of whole
// seconds.
func wantThrottled(t *testing.T, what string, r response) {
	t.Helper()
	wantStatus(t, what, r, http.StatusTooManyRequests, "too_many_requests")
	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 || n > 15*60 {
		t.Errorf("%s: Retry-After %q", what, r.header.Get("Retry-After"))
	}
}

// An attacker who knows a username guesses from his address: after 5 wrong
// passwords he waits, with the right one too and under any spelling of the
// name, and his own X-Forwarded-For changes nothing. The real user, from
// another address, logs in: guessing cannot lock him out.
func TestLoginThrottle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	db, err := accounts.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h, err := accounts.New(accounts.Config{DB: db, Secret: testSecret, Hasher: &password.Hasher{Memory: 64, Time: 1}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := &testServer{URL: srv.URL, DB: db}
	wantStatus(t, "register", s.register(t, "dave", "dave's password", "dave@example.com"), 201, "")

	const attacker, user = "203.0.113.66:4000", "192.0.2.10:5000"
	for i := range 5 {
		wantStatus(t, "guess", recorded(loginFrom(h, attacker, "", "dave", "guess "+strconv.Itoa(i))), 401, "invalid_grant")
	}
	wantThrottled(t, "sixth guess", recorded(loginFrom(h, attacker, "", "dave", "guess 5")))
	wantThrottled(t, "right password from the attacker", recorded(loginFrom(h, attacker, "", "dave", "dave's password")))
	wantThrottled(t, "another spelling", recorded(loginFrom(h, attacker, "", "DAVE", "guess 6")))
	wantThrottled(t, "spoofed X-Forwarded-For", recorded(loginFrom(h, attacker, "192.0.2.10", "dave", "guess 7")))
	if w := loginFrom(h, user, "", "Dave", "dave's password"); w.Code != http.StatusOK {
		t.Fatalf("the real user from his own address: %d %s", w.Code, w.Body)
	}
	// Unknown names count too, per client: after 100 failures on any names
	// the client waits, on every name.
	for i := range 95 {
		wantStatus(t, "spraying", recorded(loginFrom(h, attacker, "", "ghost"+strconv.Itoa(i), "123456")), 401, "invalid_grant")
	}
	wantThrottled(t, "sprayer", recorded(loginFrom(h, attacker, "", "erin", "123456")))

	// Over the real server, from 127.0.0.1, whatever X-Forwarded-For says.
	for i := range 5 {
		form := url.Values{"username": {"dave"}, "password": {"nope"}}.Encode()
		req, _ := http.NewRequest("POST", s.URL+"/auth/token", strings.NewReader(form))
		req.Header.Set("Content-Type", formType)
		req.Header.Set("X-Forwarded-For", "198.51.100."+strconv.Itoa(i))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Fatalf("guess %d over HTTP: %d", i, res.StatusCode)
		}
	}
	wantThrottled(t, "sixth guess over HTTP", s.token(t, "dave", "dave's password"))
}

// Registrations count per client: 20, then 429.
func TestRegistrationThrottle(t *testing.T) {
	s := newTestServer(t, accounts.Config{Hasher: &password.Hasher{Memory: 64, Time: 1}})
	for i := range 20 {
		wantStatus(t, "register", s.register(t, "user"+strconv.Itoa(i), "a good password", "u@example.com"), 201, "")
	}
	wantThrottled(t, "21st registration", s.register(t, "user20", "a good password", "u@example.com"))
	pair(t, s.token(t, "user1", "a good password")) // logins are counted apart
}

// Invalid refresh tokens count per client (and per session, when the token
// names one): a flood gets 429, and a reused token counts too. The
// session of another login from the same client still refreshes.
func TestRefreshThrottle(t *testing.T) {
	s := newTestServer(t, accounts.Config{})
	wantStatus(t, "register", s.register(t, "olga", "olga's password", "olga@example.com"), 201, "")
	first := pair(t, s.token(t, "olga", "olga's password"))
	second := pair(t, s.refresh(t, first.RefreshToken))
	// A stolen token replayed: the session is revoked, and it counts.
	wantStatus(t, "reuse", s.refresh(t, first.RefreshToken), 401, "invalid_grant")
	for range 4 {
		wantStatus(t, "replay", s.refresh(t, second.RefreshToken), 401, "invalid_grant")
	}
	wantThrottled(t, "replays of one session", s.refresh(t, second.RefreshToken))

	other := pair(t, s.token(t, "olga", "olga's password"))
	var n int
	for n = 0; n < 200; n++ {
		r := s.refresh(t, "not.a.token"+strconv.Itoa(n))
		if r.status == http.StatusTooManyRequests {
			wantThrottled(t, "refresh flood", r)
			break
		}
		wantStatus(t, "garbage", r, 401, "invalid_grant")
	}
	if n != 5 {
		t.Errorf("throttled after %d invalid refresh tokens; want 5", n)
	}
	pair(t, s.refresh(t, other.RefreshToken)) // another session of this client
	pair(t, s.token(t, "olga", "olga's password"))
}

// When no hashing slot frees up within HashWait, logins and registrations
// get 503 with Retry-After, for known and unknown users alike.
func TestHasherBusy(t *testing.T) {
	hasher := &password.Hasher{MaxConcurrent: 1, Memory: 64, Time: 1} // cheap, one at a time
	s := newTestServer(t, accounts.Config{Hasher: hasher, HashWait: 50 * time.Millisecond})
	wantStatus(t, "register", s.register(t, "grace", "grace's password", "grace@example.com"), 201, "")

	// Occupy the only slot with an expensive verification: a well-formed
	// argon2id hash of m=128 MiB, t=16 costs its full work whatever the
	// password (a second or more), while each request below gives up after
	// 50 ms.
	salt, key := make([]byte, 16), make([]byte, 32)
	rand.Read(salt)
	rand.Read(key)
	slow := "$argon2id$v=19$m=131072,t=16,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		hasher.Verify(context.Background(), "x", slow)
	}()
	defer wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
		err := hasher.DummyVerify(ctx, "probe")
		cancel()
		if errors.Is(err, password.ErrBusy) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow verification never took the slot")
		}
	}

	for name, r := range map[string]response{
		"known user":   s.token(t, "grace", "grace's password"),
		"unknown user": s.token(t, "heidi", "heidi's password"),
		"register":     s.register(t, "heidi", "heidi's password", "heidi@example.com"),
	} {
		wantStatus(t, name, r, http.StatusServiceUnavailable, "temporarily_unavailable")
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", name)
		}
	}
	wg.Wait()
	pair(t, s.token(t, "grace", "grace's password"))
}

// runCommand runs the users command with args and env as a real server,
// waits until it listens, and returns its URL and a function that stops it
// and returns Run's result.
func runCommand(t *testing.T, args []string, env map[string]string, logger *slog.Logger) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- accounts.Run(ctx, newServer(logger), append([]string{"-addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, logger, func(a string) { addrc <- a })
	}()
	stop := sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() { stop() })
	select {
	case addr := <-addrc:
		return "http://" + addr, stop
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return "", nil
}

// run starts a real server from the command line on a database file that it
// creates, logs that the secret is random, and stops when its context ends.
func TestRun(t *testing.T) {
	var logs logbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	dbPath := filepath.Join(t.TempDir(), "users.db")
	url, stop := runCommand(t, []string{"-db", dbPath}, nil, logger)
	s := &testServer{URL: url}
	wantStatus(t, "register", s.register(t, "ivan", "ivan's password", "ivan@example.com"), 201, "")
	tk := pair(t, s.token(t, "ivan", "ivan's password"))
	wantStatus(t, "secure-data", s.secureData(t, tk.AccessToken), 200, "")
	if err := stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	if _, err := os.Stat(dbPath); err != nil {
		t.Errorf("database file: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "JWT_SECRET is not set") {
		t.Errorf("no log line about the random secret:\n%s", out)
	}
	for _, secret := range []string{tk.AccessToken, tk.RefreshToken, "ivan's password"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %.10s…", secret)
		}
	}
}

// Two instances of the command on one database and one Redis (-redis-addr)
// are one service: a refresh on one is seen by the other, a reuse detected
// on one revokes the session on both, a logout on one holds on the other.
// While Redis is down, neither lets a token through; when it is back, both
// recover without a restart.
func TestRunMultiInstance(t *testing.T) {
	redisSrv := redistest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "users.db")
	env := map[string]string{"JWT_SECRET": string(testSecret)}
	args := []string{"-db", dbPath, "-redis-addr", redisSrv.Addr()}
	var logs logbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	urlA, _ := runCommand(t, args, env, logger)
	urlB, _ := runCommand(t, args, env, logger)
	a, b := &testServer{URL: urlA}, &testServer{URL: urlB}
	if !strings.Contains(logs.String(), "revocations=\"redis "+redisSrv.Addr()) {
		t.Errorf("the start log does not say where revocations are kept:\n%s", logs.String())
	}

	wantStatus(t, "register on A", a.register(t, "judy", "judy's password", "judy@example.com"), 201, "")
	first := pair(t, b.token(t, "judy", "judy's password"))
	wantStatus(t, "A serves B's token", a.secureData(t, first.AccessToken), 200, "")

	// A refresh on B, then the same refresh token on A: a reuse, seen
	// across instances, which revokes the session everywhere.
	second := pair(t, b.refresh(t, first.RefreshToken))
	wantStatus(t, "old refresh token on A", a.refresh(t, first.RefreshToken), 401, "invalid_grant")
	for name, s := range map[string]*testServer{"A": a, "B": b} {
		wantRejected(t, "session token on "+name+" after the reuse", s.secureData(t, second.AccessToken))
		wantStatus(t, "descendant refresh on "+name, s.refresh(t, second.RefreshToken), 401, "invalid_grant")
	}

	// A logout on A holds on B.
	third := pair(t, a.token(t, "judy", "judy's password"))
	wantStatus(t, "B before logout", b.secureData(t, third.AccessToken), 200, "")
	wantStatus(t, "logout on A", a.logout(t, third.AccessToken), 204, "")
	wantRejected(t, "B after logout on A", b.secureData(t, third.AccessToken))
	wantStatus(t, "refresh on B after logout on A", b.refresh(t, third.RefreshToken), 401, "invalid_grant")

	// Redis down: fail closed, never open.
	fourth := pair(t, b.token(t, "judy", "judy's password"))
	redisSrv.Stop()
	for name, s := range map[string]*testServer{"A": a, "B": b} {
		wantStatus(t, name+" with Redis down", s.secureData(t, fourth.AccessToken), 500, "internal_server_error")
	}
	// The Redis that comes back is empty (redistest keeps nothing on
	// disk): the sessions it held are gone, so their tokens fail, closed
	// again, rather than pass unchecked. Both instances recover without a
	// restart: a new login works everywhere.
	redisSrv.Restart()
	var r response
	for range 50 { // each client's pool drops the old server's connections
		if r = a.secureData(t, fourth.AccessToken); r.status != http.StatusInternalServerError {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantRejected(t, "A after Redis is back, a session Redis lost", r)
	wantStatus(t, "refresh on B of a session Redis lost", b.refresh(t, fourth.RefreshToken), 401, "invalid_grant")
	fifth := pair(t, a.token(t, "judy", "judy's password"))
	for range 50 {
		if r = b.secureData(t, fifth.AccessToken); r.status == 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantStatus(t, "B after Redis is back", r, 200, "")
	wantStatus(t, "refresh on B after Redis is back", b.refresh(t, fifth.RefreshToken), 200, "")
	for _, secret := range []string{first.AccessToken, first.RefreshToken, fourth.AccessToken, fifth.RefreshToken, "judy's password", string(testSecret)} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log contains %.10s…", secret)
		}
	}
}

// Two instances on one Redis share the throttle: the failures on A count
// on B. While Redis is down, logins are refused with 503 (fail closed),
// never let through unthrottled.
func TestRunSharedThrottle(t *testing.T) {
	redisSrv := redistest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "users.db")
	env := map[string]string{"JWT_SECRET": string(testSecret)}
	args := []string{"-db", dbPath, "-redis-addr", redisSrv.Addr()}
	logger := slog.New(slog.DiscardHandler)
	urlA, _ := runCommand(t, args, env, logger)
	urlB, _ := runCommand(t, args, env, logger)
	a, b := &testServer{URL: urlA}, &testServer{URL: urlB}
	wantStatus(t, "register on A", a.register(t, "kate", "kate's password", "kate@example.com"), 201, "")
	for i := range 5 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wantStatus(t, "guess", s.token(t, "kate", "guess"), 401, "invalid_grant")
	}
	wantThrottled(t, "sixth guess, on B", b.token(t, "Kate", "kate's password"))
	wantThrottled(t, "sixth guess, on A", a.token(t, "kate", "kate's password"))
	for range 5 {
		b.refresh(t, "not.a.token")
	}
	wantThrottled(t, "refresh flood across instances", a.refresh(t, "not.a.token"))

	redisSrv.Stop()
	r := a.token(t, "someone", "a password")
	wantStatus(t, "login with Redis down", r, http.StatusServiceUnavailable, "temporarily_unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	wantStatus(t, "refresh with Redis down", b.refresh(t, "not.a.token"), http.StatusServiceUnavailable, "temporarily_unavailable")
}

// With -trusted-proxy, the client is the address the proxy (here the
// test's loopback client) appended to X-Forwarded-For: the attacker waits,
// the real user behind the same proxy logs in.
func TestRunTrustedProxy(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "users.db")
	base, _ := runCommand(t, []string{"-db", dbPath, "-trusted-proxy", "127.0.0.0/8", "-trusted-proxy", "::1/128"}, nil, slog.New(slog.DiscardHandler))
	s := &testServer{URL: base}
	wantStatus(t, "register", s.register(t, "lena", "lena's password", "lena@example.com"), 201, "")
	post := func(xff, pw string) response {
		form := url.Values{"username": {"lena"}, "password": {pw}}.Encode()
		req, _ := http.NewRequest("POST", base+"/auth/token", strings.NewReader(form))
		req.Header.Set("Content-Type", formType)
		req.Header.Set("X-Forwarded-For", xff)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return response{res.StatusCode, res.Header, string(b)}
	}
	for range 5 {
		wantStatus(t, "guess", post("203.0.113.66", "guess"), 401, "invalid_grant")
	}
	wantThrottled(t, "attacker naming another address", post("192.0.2.10, 203.0.113.66", "lena's password"))
	wantStatus(t, "the real user through the proxy", post("192.0.2.10", "lena's password"), 200, "")
}

func TestRunRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, secret string
		args         []string
		want         string
	}{
		{"short secret", "changeme", nil, "JWT_SECRET"},
		{"the FastAPI tutorial's secret", "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7", nil, "JWT_SECRET"},
		{"extra argument", "", []string{"serve"}, "unexpected"},
		{"in-memory database", "", []string{"-db", ":memory:"}, "plain file"},
		{"URI database", "", []string{"-db", "x.db?mode=ro"}, "plain file"},
		{"Redis address without a port", "", []string{"-redis-addr", "localhost"}, "host:port"},
		{"Redis that does not answer", "", []string{"-redis-addr", closedAddr(t)}, "redis at"},
		{"trusted proxy that is not a CIDR", "", []string{"-trusted-proxy", "10.0.0.1"}, "CIDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := func(k string) string {
				if k == "JWT_SECRET" {
					return tc.secret
				}
				return ""
			}
			dbPath := filepath.Join(dir, "refused.db")
			args := append([]string{"-addr", "127.0.0.1:0", "-db", dbPath}, tc.args...)
			err := accounts.Run(t.Context(), newServer(slog.New(slog.DiscardHandler)), args, env, slog.New(slog.DiscardHandler), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one about %s", err, tc.want)
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Error("the error repeats the secret")
			}
			if _, err := os.Stat(dbPath); !errors.Is(err, os.ErrNotExist) {
				t.Error("a refused configuration created the database")
			}
		})
	}
}

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Usernames are one whatever their case: "ADA" after "Ada" is taken, and
// any spelling logs in to the account, whose tokens name it as registered.
func TestUsernameCase(t *testing.T) {
	s := newTestServer(t, accounts.Config{})
	wantStatus(t, "register Ada", s.register(t, "Ada", "ada's password", "ada@example.com"), 201, "")
	for _, name := range []string{"ada", "ADA", "Ada"} {
		wantStatus(t, "register "+name+" again", s.register(t, name, "another password", "x@example.com"), 409, "username_taken")
	}
	for _, name := range []string{"ada", "ADA", "aDa"} {
		tk := pair(t, s.token(t, name, "ada's password"))
		r := s.secureData(t, tk.AccessToken)
		wantStatus(t, "secure-data as "+name, r, 200, "")
		if msg, _ := r.json(t)["message"].(string); !strings.Contains(msg, "Hello Ada,") {
			t.Errorf("login as %s: %q; want the subject Ada", name, msg)
		}
	}
	var n int
	if err := s.DB.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d accounts, %v; want 1", n, err)
	}
}
