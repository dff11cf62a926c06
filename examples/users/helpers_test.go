package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/examples/users/accounts"
	"github.com/authkit-go/authkit/password"
)

// cheap is a hasher for tests that log in many times.
func cheap() *password.Hasher { return &password.Hasher{Memory: 64, Time: 1} }

func (s *testServer) deleteAccount(t *testing.T, token string) response {
	t.Helper()
	return do(t, "DELETE", s.URL+"/auth/account", "", token, "")
}

// readPayload decodes a token's payload, unverified, into v.
func readPayload(t *testing.T, token string, v any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %.10s…", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// registerID registers an account and returns its id.
func (s *testServer) registerID(t *testing.T, username, pw string) int64 {
	t.Helper()
	r := s.register(t, username, pw, username+"@example.com")
	wantStatus(t, "register "+username, r, http.StatusCreated, "")
	var u accounts.User
	if err := json.Unmarshal([]byte(r.body), &u); err != nil || u.ID == 0 {
		t.Fatalf("register %s: %s", username, r.body)
	}
	return u.ID
}

// wantHello checks that secure-data greets name with token.
func (s *testServer) wantHello(t *testing.T, what, token, name string) {
	t.Helper()
	r := s.secureData(t, token)
	wantStatus(t, what, r, http.StatusOK, "")
	if msg, _ := r.json(t)["message"].(string); msg != "Hello "+name+", this is secure data" {
		t.Errorf("%s: message %q, want Hello %s", what, msg, name)
	}
}

// wantSessionDead checks that every token of a session fails.
func (s *testServer) wantSessionDead(t *testing.T, what string, tk tokens) {
	t.Helper()
	wantRejected(t, what+": access token", s.secureData(t, tk.AccessToken))
	wantStatus(t, what+": refresh token", s.refresh(t, tk.RefreshToken), http.StatusUnauthorized, "invalid_grant")
}

// wantNoLeak checks that body holds none of secrets.
func wantNoLeak(t *testing.T, what, body string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("%s: the response contains %.12s…", what, s)
		}
	}
}
