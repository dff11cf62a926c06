package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/examples/users/accounts"
	"github.com/authkit-go/authkit/password"
)

// cheap is a hasher for tests that log in many times.
func cheap() *password.Hasher { return &password.Hasher{Memory: 64, Time: 1} }

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

// wantNoLeak checks that body holds none of secrets.
func wantNoLeak(t *testing.T, what, body string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("%s: the response contains %.12s…", what, s)
		}
	}
}
