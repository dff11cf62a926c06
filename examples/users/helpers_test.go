package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/examples/users/accounts"
	"github.com/authkit-go/authkit/password"
)

// cheap is a hasher for tests that log in many times.
func cheap() *password.Hasher { return &password.Hasher{Memory: 64, Time: 1} }

// send performs req and reads the whole response.
func send(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

// tokenFrom logs in with the given User-Agent.
func (s *testServer) tokenFrom(t *testing.T, username, pw, userAgent string) response {
	t.Helper()
	form := url.Values{"username": {username}, "password": {pw}}
	req, err := http.NewRequest("POST", s.URL+"/auth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", formType)
	req.Header.Set("User-Agent", userAgent)
	return send(t, req)
}

func (s *testServer) sessions(t *testing.T, token string) response {
	t.Helper()
	return do(t, "GET", s.URL+"/auth/sessions", "", token, "")
}

func (s *testServer) endSession(t *testing.T, token, id string) response {
	t.Helper()
	return do(t, "DELETE", s.URL+"/auth/sessions/"+id, "", token, "")
}

func (s *testServer) logoutAll(t *testing.T, token string) response {
	t.Helper()
	return do(t, "POST", s.URL+"/auth/logout-all", "", token, "")
}

func (s *testServer) changePassword(t *testing.T, token, current, next string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"current_password": current, "new_password": next})
	return do(t, "POST", s.URL+"/auth/password", jsonType, token, string(body))
}

func (s *testServer) deleteAccount(t *testing.T, token string) response {
	t.Helper()
	return do(t, "DELETE", s.URL+"/auth/account", "", token, "")
}

// sessionView is an entry of GET /auth/sessions.
type sessionView struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	Refreshed time.Time `json:"refreshed"`
	Expires   time.Time `json:"expires"`
	Device    string    `json:"device"`
	Address   string    `json:"address"`
	Current   bool      `json:"current"`
}

// listSessions returns the caller's sessions, failing the test unless the
// answer is 200 with a JSON array of exactly the documented members.
func (s *testServer) listSessions(t *testing.T, token string) []sessionView {
	t.Helper()
	r := s.sessions(t, token)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /auth/sessions: %d %s", r.status, r.body)
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.body), &raw); err != nil {
		t.Fatalf("GET /auth/sessions: not a JSON array: %s", r.body)
	}
	for _, m := range raw {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"address", "created", "current", "device", "expires", "id", "refreshed"}; !slices.Equal(keys, want) {
			t.Errorf("session members %v, want %v", keys, want)
		}
	}
	var list []sessionView
	if err := json.Unmarshal([]byte(r.body), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

// sid returns the sid claim of a token, read without verifying it.
func sid(t *testing.T, token string) string {
	t.Helper()
	var c struct {
		Sid string `json:"sid"`
	}
	readPayload(t, token, &c)
	if c.Sid == "" {
		t.Fatal("token without sid")
	}
	return c.Sid
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
