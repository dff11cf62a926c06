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
					"delete": s.deleteAccount(t, forged),
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Hasher = cheap()
			s := newTestServer(t, cfg)
			tc.attack(t, s, cfg)
		})
	}
}
