package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/examples/users/accounts"
)

// POST /auth/password needs a fresh token and the current password; it
// ends every other session and keeps the current one.
func TestPasswordChange(t *testing.T) {
	s := newTestServer(t, accounts.Config{Hasher: cheap()})
	s.registerID(t, "alice", "old password")
	s.registerID(t, "bob", "bob's password")
	here := pair(t, s.token(t, "alice", "old password"))
	other := pair(t, s.token(t, "alice", "old password"))
	refreshed := pair(t, s.refresh(t, other.RefreshToken))
	bobs := pair(t, s.token(t, "bob", "bob's password"))

	r := s.changePassword(t, refreshed.AccessToken, "old password", "new password")
	wantStatus(t, "with a refreshed token", r, http.StatusForbidden, "insufficient_scope")
	if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	r = s.changePassword(t, here.AccessToken, "wrong password", "new password")
	wantStatus(t, "with a wrong current password", r, http.StatusForbidden, "invalid_password")
	wantNoLeak(t, "wrong password", r.body, "wrong password", "new password")
	for name, body := range map[string]string{
		"no current password": `{"new_password":"new password"}`,
		"short new password":  `{"current_password":"old password","new_password":"short"}`,
		"long new password":   `{"current_password":"old password","new_password":"` + strings.Repeat("p", 1025) + `"}`,
	} {
		wantStatus(t, name, do(t, "POST", s.URL+"/auth/password", jsonType, here.AccessToken, body), http.StatusUnprocessableEntity, "invalid_fields")
	}
	wantStatus(t, "unknown field", do(t, "POST", s.URL+"/auth/password", jsonType, here.AccessToken, `{"current_password":"old password","new_password":"new password","user":"bob"}`), http.StatusBadRequest, "invalid_request")
	wantStatus(t, "form", do(t, "POST", s.URL+"/auth/password", formType, here.AccessToken, "current_password=old+password&new_password=new+password"), http.StatusBadRequest, "invalid_request")
	// Nothing changed so far.
	wantStatus(t, "the other session before", s.secureData(t, refreshed.AccessToken), http.StatusOK, "")

	r = s.changePassword(t, here.AccessToken, "old password", "new password")
	if r.status != http.StatusNoContent || r.body != "" {
		t.Fatalf("password change: %d %s", r.status, r.body)
	}
	s.wantSessionDead(t, "the other session", refreshed)
	s.wantHello(t, "the current session", here.AccessToken, "alice")
	here2 := pair(t, s.refresh(t, here.RefreshToken))
	s.wantHello(t, "the current session, refreshed", here2.AccessToken, "alice")
	s.wantHello(t, "bob", bobs.AccessToken, "bob")
	wantStatus(t, "the old password", s.token(t, "alice", "old password"), http.StatusUnauthorized, "invalid_grant")
	fresh := pair(t, s.token(t, "alice", "new password"))
	if list := s.listSessions(t, fresh.AccessToken); len(list) != 2 || list[0].ID != sid(t, here.AccessToken) {
		t.Errorf("sessions after the change and a new login: %+v", list)
	}
	// The old password no longer changes it either.
	wantStatus(t, "the old password again", s.changePassword(t, fresh.AccessToken, "old password", "third password"), http.StatusForbidden, "invalid_password")
}
