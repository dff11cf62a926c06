package main

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/authkit-go/authkit/examples/users/accounts"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// Attacks on sessions, one a row. Each runs on a server of its own.
func TestSessionAttacks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    accounts.Config
		attack func(t *testing.T, s *testServer, cfg accounts.Config)
	}{
		{
			// One account logs in again and again: it keeps at most
			// MaxSessionsPerSubject sessions (its oldest end), and another
			// user's logout still works.
			name: "login flood",
			cfg:  accounts.Config{MaxSessionsPerSubject: 5, Store: issuer.NewMemoryStore(64)},
			attack: func(t *testing.T, s *testServer, cfg accounts.Config) {
				s.registerID(t, "mallory", "mallory's password")
				s.registerID(t, "bob", "bob's password")
				bobs := pair(t, s.token(t, "bob", "bob's password"))
				var all []tokens
				for range 200 {
					all = append(all, pair(t, s.token(t, "mallory", "mallory's password")))
				}
				last := all[len(all)-1]
				list := s.listSessions(t, last.AccessToken)
				if len(list) != 5 {
					t.Errorf("mallory has %d sessions listed, want 5", len(list))
				}
				for i, x := range list {
					if x.ID != sid(t, all[len(all)-5+i].AccessToken) {
						t.Errorf("session %d is not one of the 5 newest", i)
					}
				}
				s.wantSessionDead(t, "mallory's first session", all[0])
				if n := cfg.Store.(*issuer.MemoryStore).Len(); n > 5+1+2 {
					t.Errorf("the store holds %d records after the flood", n)
				}
				wantStatus(t, "bob's logout", s.logout(t, bobs.AccessToken), http.StatusNoContent, "")
				s.wantSessionDead(t, "bob's session after his logout", bobs)
				pair(t, s.token(t, "bob", "bob's password"))
			},
		},
		{
			// One account refreshes 1,000 times, each with the newest
			// token: the store holds as many records as before, and
			// another user's logout works and holds.
			name: "refresh flood",
			cfg:  accounts.Config{Store: issuer.NewMemoryStore(0)},
			attack: func(t *testing.T, s *testServer, cfg accounts.Config) {
				store := cfg.Store.(*issuer.MemoryStore)
				s.registerID(t, "mallory", "mallory's password")
				s.registerID(t, "bob", "bob's password")
				bobs := pair(t, s.token(t, "bob", "bob's password"))
				tk := pair(t, s.token(t, "mallory", "mallory's password"))
				before := store.Len()
				for i := range 1000 {
					r := s.refresh(t, tk.RefreshToken)
					if r.status != http.StatusOK {
						t.Fatalf("refresh %d: %d %s", i, r.status, r.body)
					}
					tk = pair(t, r)
				}
				if after := store.Len(); after != before {
					t.Errorf("store records: %d before the flood, %d after", before, after)
				}
				wantStatus(t, "mallory's newest token", s.secureData(t, tk.AccessToken), http.StatusOK, "")
				wantStatus(t, "bob's logout", s.logout(t, bobs.AccessToken), http.StatusNoContent, "")
				s.wantSessionDead(t, "bob's session after his logout", bobs)
			},
		},
		{
			// Mallory names bob's session: no such session of hers.
			name: "ending another account's session",
			attack: func(t *testing.T, s *testServer, _ accounts.Config) {
				s.registerID(t, "mallory", "mallory's password")
				s.registerID(t, "bob", "bob's password")
				bobs := pair(t, s.token(t, "bob", "bob's password"))
				mal := pair(t, s.token(t, "mallory", "mallory's password"))
				wantStatus(t, "DELETE bob's session", s.endSession(t, mal.AccessToken, sid(t, bobs.AccessToken)), http.StatusNotFound, "not_found")
				if list := s.listSessions(t, mal.AccessToken); len(list) != 1 || list[0].ID == sid(t, bobs.AccessToken) {
					t.Errorf("mallory's list: %+v", list)
				}
				s.wantHello(t, "bob after the attempt", bobs.AccessToken, "bob")
				pair(t, s.refresh(t, bobs.RefreshToken))
			},
		},
		{
			// A token minted with the secret but without a session (as
			// the FastAPI recipe's, whose sub is a username) whose sub
			// reads as bob's id manages none of bob's sessions.
			name: "sessionless token naming an account id",
			attack: func(t *testing.T, s *testServer, _ accounts.Config) {
				id := s.registerID(t, "bob", "bob's password")
				bobs := pair(t, s.token(t, "bob", "bob's password"))
				iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: testSecret}})
				if err != nil {
					t.Fatal(err)
				}
				forged, err := iss.Issue(t.Context(), strconv.FormatInt(id, 10), nil)
				if err != nil {
					t.Fatal(err)
				}
				for name, r := range map[string]response{
					"sessions":   s.sessions(t, forged),
					"end":        s.endSession(t, forged, sid(t, bobs.AccessToken)),
					"logout-all": s.logoutAll(t, forged),
					"password":   s.changePassword(t, forged, "bob's password", "mallory's now"),
					"delete":     s.deleteAccount(t, forged),
				} {
					wantStatus(t, name, r, http.StatusForbidden, "insufficient_scope")
				}
				s.wantHello(t, "bob", bobs.AccessToken, "bob")
				pair(t, s.token(t, "bob", "bob's password"))
			},
		},
		{
			// alice deletes her account and someone registers "alice"
			// again: the old tokens give nothing of the new account.
			name: "account deleted and its name registered again",
			attack: func(t *testing.T, s *testServer, _ accounts.Config) {
				oldID := s.registerID(t, "alice", "alice's password")
				old := pair(t, s.token(t, "alice", "alice's password"))
				refreshed := pair(t, s.token(t, "alice", "alice's password"))
				refreshed = pair(t, s.refresh(t, refreshed.RefreshToken))
				wantStatus(t, "delete with a refreshed token", s.deleteAccount(t, refreshed.AccessToken), http.StatusForbidden, "insufficient_scope")
				wantStatus(t, "delete", s.deleteAccount(t, old.AccessToken), http.StatusNoContent, "")
				s.wantSessionDead(t, "the deleted account's session", old)
				s.wantSessionDead(t, "the deleted account's other session", refreshed)
				newID := s.registerID(t, "alice", "a new alice's password")
				if newID == oldID {
					t.Fatalf("the new alice has the old one's id %d", oldID)
				}
				s.wantSessionDead(t, "the old tokens after the new registration", old)
				wantStatus(t, "the old password", s.token(t, "alice", "alice's password"), http.StatusUnauthorized, "invalid_grant")
				tk := pair(t, s.token(t, "alice", "a new alice's password"))
				s.wantHello(t, "the new alice", tk.AccessToken, "alice")
				if list := s.listSessions(t, tk.AccessToken); len(list) != 1 {
					t.Errorf("the new alice's sessions: %+v", list)
				}
			},
		},
		{
			// The same, with the row deleted straight in the database
			// (no revocation): the next refresh is refused as the id no
			// longer exists, which ends the session and its access token,
			// and the id is not given to the new account.
			name: "account deleted in the database and its name registered again",
			attack: func(t *testing.T, s *testServer, _ accounts.Config) {
				s.registerID(t, "bob", "bob's password")
				oldID := s.registerID(t, "alice", "alice's password") // the highest id
				old := pair(t, s.token(t, "alice", "alice's password"))
				if _, err := s.DB.Exec(`DELETE FROM users WHERE id = ?`, oldID); err != nil {
					t.Fatal(err)
				}
				newID := s.registerID(t, "alice", "a new alice's password")
				if newID == oldID {
					t.Fatalf("the new alice has the old one's id %d", oldID)
				}
				r := s.refresh(t, old.RefreshToken)
				wantStatus(t, "the old refresh token", r, http.StatusUnauthorized, "invalid_grant")
				wantRejected(t, "the old access token after the refused refresh", s.secureData(t, old.AccessToken))
				wantStatus(t, "the old refresh token again", s.refresh(t, old.RefreshToken), http.StatusUnauthorized, "invalid_grant")
			},
		},
		{
			// A stolen refresh token gives tokens that are not fresh: they
			// neither change the password nor delete the account.
			name: "refreshed token changing the password",
			attack: func(t *testing.T, s *testServer, _ accounts.Config) {
				s.registerID(t, "alice", "alice's password")
				stolen := pair(t, s.refresh(t, pair(t, s.token(t, "alice", "alice's password")).RefreshToken))
				wantStatus(t, "password", s.changePassword(t, stolen.AccessToken, "alice's password", "mallory's password"), http.StatusForbidden, "insufficient_scope")
				wantStatus(t, "delete", s.deleteAccount(t, stolen.AccessToken), http.StatusForbidden, "insufficient_scope")
				pair(t, s.token(t, "alice", "alice's password"))
			},
		},
		{
			// A fresh token does not give more guesses of the current
			// password than the login form: they count in its throttle.
			name: "guessing the current password",
			attack: func(t *testing.T, s *testServer, _ accounts.Config) {
				s.registerID(t, "alice", "alice's password")
				tk := pair(t, s.token(t, "alice", "alice's password"))
				for i := range 5 {
					wantStatus(t, "guess", s.changePassword(t, tk.AccessToken, "guess "+strconv.Itoa(i), "mallory's password"), http.StatusForbidden, "invalid_password")
				}
				wantThrottled(t, "sixth guess", s.changePassword(t, tk.AccessToken, "alice's password", "mallory's password"))
				wantThrottled(t, "login from the same client", s.token(t, "alice", "alice's password"))
			},
		},
		{
			// The thief of the other session's tokens replays them after
			// the password change: refused.
			name: "other session's tokens after a password change",
			attack: func(t *testing.T, s *testServer, _ accounts.Config) {
				s.registerID(t, "alice", "alice's password")
				stolen := pair(t, s.token(t, "alice", "alice's password"))
				mine := pair(t, s.token(t, "alice", "alice's password"))
				wantStatus(t, "change", s.changePassword(t, mine.AccessToken, "alice's password", "a better password"), http.StatusNoContent, "")
				s.wantSessionDead(t, "the thief's session", stolen)
				wantStatus(t, "the thief's logout-all", s.logoutAll(t, stolen.AccessToken), http.StatusUnauthorized, "")
				s.wantHello(t, "alice", mine.AccessToken, "alice")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Hasher = cheap()
			s := newTestServer(t, cfg)
			tc.attack(t, s, cfg)
		})
	}
}
