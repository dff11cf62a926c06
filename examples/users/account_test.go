package main

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/authkit-go/authkit/examples/users/accounts"
)

// At each refresh the account is read again: a renamed account's tokens
// carry the new name from the next refresh on, and while the accounts
// cannot be read the refresh fails with 503 without ending the session.
func TestRefreshFollowsAccount(t *testing.T) {
	s := newTestServer(t, accounts.Config{Hasher: cheap()})
	id := s.registerID(t, "alice", "alice's password")
	first := pair(t, s.token(t, "alice", "alice's password"))
	if _, err := s.DB.Exec(`UPDATE users SET username = 'alicia' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	s.wantHello(t, "before the refresh", first.AccessToken, "alice")
	second := pair(t, s.refresh(t, first.RefreshToken))
	s.wantHello(t, "after the refresh", second.AccessToken, "alicia")
	var c struct {
		Sub  string `json:"sub"`
		Name string `json:"name"`
	}
	readPayload(t, second.AccessToken, &c)
	if c.Sub != strconv.FormatInt(id, 10) || c.Name != "alicia" {
		t.Errorf("claims after the rename: %+v", c)
	}

	// The database fails (here: the table is away).
	if _, err := s.DB.Exec(`ALTER TABLE users RENAME TO users_away`); err != nil {
		t.Fatal(err)
	}
	r := s.refresh(t, second.RefreshToken)
	wantStatus(t, "refresh with the accounts unreadable", r, http.StatusServiceUnavailable, "temporarily_unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	wantNoLeak(t, "503", r.body, "users_away", "no such table", "SQL")
	if _, err := s.DB.Exec(`ALTER TABLE users_away RENAME TO users`); err != nil {
		t.Fatal(err)
	}
	third := pair(t, s.refresh(t, second.RefreshToken)) // the session is as it was
	s.wantHello(t, "after the database is back", third.AccessToken, "alicia")
}
