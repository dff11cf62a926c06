package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/examples/users/accounts"
)

// GET /auth/sessions lists the caller's live sessions with the device and
// address of each login and marks the current one; it never shows a token,
// claims, or another account's sessions.
func TestSessionsList(t *testing.T) {
	s := newTestServer(t, accounts.Config{Hasher: cheap()})
	s.registerID(t, "alice", "alice's password")
	s.registerID(t, "bob", "bob's password")
	before := time.Now().Add(-time.Second)
	laptop := pair(t, s.tokenFrom(t, "alice", "alice's password", "Laptop/1.0"))
	phone := pair(t, s.tokenFrom(t, "alice", "alice's password", "Phone/2.0"))
	bobs := pair(t, s.tokenFrom(t, "bob", "bob's password", "Bob's browser"))

	r := s.sessions(t, laptop.AccessToken)
	wantNoLeak(t, "sessions", r.body, laptop.AccessToken, laptop.RefreshToken, phone.AccessToken, phone.RefreshToken, bobs.AccessToken, "Bob's browser", "$argon2", "password")
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
	}
	list := s.listSessions(t, laptop.AccessToken)
	if len(list) != 2 {
		t.Fatalf("%d sessions, want 2: %+v", len(list), list)
	}
	for i, want := range []struct {
		tk      tokens
		device  string
		current bool
	}{{laptop, "Laptop/1.0", true}, {phone, "Phone/2.0", false}} {
		got := list[i]
		if got.ID != sid(t, want.tk.AccessToken) || got.Device != want.device || got.Address != "127.0.0.1" || got.Current != want.current {
			t.Errorf("session %d: %+v, want device %q, current %v", i, got, want.device, want.current)
		}
		if got.Created.Before(before) || !got.Refreshed.Equal(got.Created) || !got.Expires.After(time.Now().Add(6*24*time.Hour)) {
			t.Errorf("session %d times: %+v", i, got)
		}
	}
	// From the phone, the phone's session is the current one, also after
	// a refresh, which moves its "refreshed".
	phone2 := pair(t, s.refresh(t, phone.RefreshToken))
	list = s.listSessions(t, phone2.AccessToken)
	if len(list) != 2 || list[0].Current || !list[1].Current || !list[1].Refreshed.After(list[1].Created) {
		t.Errorf("after the phone's refresh: %+v", list)
	}
	// Bob sees his own only.
	if list := s.listSessions(t, bobs.AccessToken); len(list) != 1 || list[0].ID != sid(t, bobs.AccessToken) || !list[0].Current {
		t.Errorf("bob's sessions: %+v", list)
	}
	r = s.sessions(t, "")
	if r.status != http.StatusUnauthorized {
		t.Errorf("sessions without a token: %d", r.status)
	}
}

// DELETE /auth/sessions/{id} ends one of the caller's sessions, and only
// one of the caller's: another account's id is 404 and changes nothing.
func TestEndSession(t *testing.T) {
	s := newTestServer(t, accounts.Config{Hasher: cheap()})
	s.registerID(t, "alice", "alice's password")
	s.registerID(t, "bob", "bob's password")
	laptop := pair(t, s.token(t, "alice", "alice's password"))
	phone := pair(t, s.token(t, "alice", "alice's password"))
	bobs := pair(t, s.token(t, "bob", "bob's password"))

	// Bob ends alice's session: no such session of his.
	r := s.endSession(t, bobs.AccessToken, sid(t, phone.AccessToken))
	wantStatus(t, "bob ends alice's session", r, http.StatusNotFound, "not_found")
	wantNoLeak(t, "404", r.body, sid(t, phone.AccessToken))
	wantStatus(t, "alice's phone after bob's attempt", s.secureData(t, phone.AccessToken), http.StatusOK, "")
	phone = pair(t, s.refresh(t, phone.RefreshToken))

	// Alice ends her phone's session from her laptop.
	r = s.endSession(t, laptop.AccessToken, sid(t, phone.AccessToken))
	if r.status != http.StatusNoContent || r.body != "" {
		t.Fatalf("alice ends her phone's session: %d %s", r.status, r.body)
	}
	s.wantSessionDead(t, "the ended session", phone)
	wantStatus(t, "the laptop goes on", s.secureData(t, laptop.AccessToken), http.StatusOK, "")
	wantStatus(t, "bob goes on", s.secureData(t, bobs.AccessToken), http.StatusOK, "")
	if list := s.listSessions(t, laptop.AccessToken); len(list) != 1 || !list[0].Current {
		t.Errorf("after ending the phone's: %+v", list)
	}
	wantStatus(t, "ending it again", s.endSession(t, laptop.AccessToken, sid(t, phone.AccessToken)), http.StatusNotFound, "not_found")
	for _, id := range []string{"x", strings.Repeat("A", 65), "a%2Fb", "%00", "..%2F..%2Fx"} {
		wantStatus(t, "session id "+id, s.endSession(t, laptop.AccessToken, id), http.StatusNotFound, "not_found")
	}
	// Ending one's own current session is a logout.
	wantStatus(t, "ending the current session", s.endSession(t, laptop.AccessToken, sid(t, laptop.AccessToken)), http.StatusNoContent, "")
	s.wantSessionDead(t, "the laptop", laptop)
	wantStatus(t, "bob still", s.secureData(t, bobs.AccessToken), http.StatusOK, "")
}

// POST /auth/logout-all ends every session of the account, the caller's
// too, and nobody else's; a login afterwards works.
func TestLogoutAll(t *testing.T) {
	s := newTestServer(t, accounts.Config{Hasher: cheap()})
	s.registerID(t, "alice", "alice's password")
	s.registerID(t, "bob", "bob's password")
	var alices []tokens
	for range 3 {
		alices = append(alices, pair(t, s.token(t, "alice", "alice's password")))
	}
	alices[1] = pair(t, s.refresh(t, alices[1].RefreshToken))
	bobs := pair(t, s.token(t, "bob", "bob's password"))

	r := s.logoutAll(t, alices[2].AccessToken)
	if r.status != http.StatusNoContent || r.body != "" {
		t.Fatalf("logout-all: %d %s", r.status, r.body)
	}
	for i, tk := range alices {
		s.wantSessionDead(t, "alice's session "+strconv.Itoa(i), tk)
	}
	wantRejected(t, "logout-all again with the same token", s.logoutAll(t, alices[2].AccessToken))
	s.wantHello(t, "bob", bobs.AccessToken, "bob")
	pair(t, s.refresh(t, bobs.RefreshToken))

	// Logging in again starts afresh. The revocation of sessionless tokens
	// counts whole seconds of iat; this login's token has a session.
	again := pair(t, s.token(t, "alice", "alice's password"))
	s.wantHello(t, "alice after logging in again", again.AccessToken, "alice")
	if list := s.listSessions(t, again.AccessToken); len(list) != 1 {
		t.Errorf("sessions after logout-all and a login: %+v", list)
	}
	pair(t, s.refresh(t, again.RefreshToken))
}
