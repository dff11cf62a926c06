package issuer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// hungStore blocks every call until its context ends, as a store behind a
// dead network path does.
type hungStore struct{ failingStore }

func wait(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

func (hungStore) Revoked(ctx context.Context, _ jwtauth.TokenRef) (bool, error) {
	return false, wait(ctx)
}
func (hungStore) CreateSession(ctx context.Context, _ *issuer.Session, _ int, _ time.Time) error {
	return wait(ctx)
}
func (hungStore) AdvanceSession(ctx context.Context, _ issuer.Advance) (*issuer.Session, issuer.Outcome, error) {
	return nil, issuer.NotFound, wait(ctx)
}
func (hungStore) EndSession(ctx context.Context, _, _ string, _ time.Time) (bool, error) {
	return false, wait(ctx)
}
func (hungStore) RevokeSubject(ctx context.Context, _ string, _, _ time.Time) error {
	return wait(ctx)
}

// TestAttackSessions is the attack table of the session layer: each row is
// what an attacker with one account (or a few) tries, and what must hold.
func TestAttackSessions(t *testing.T) {
	hs := issuer.SigningKey{Algorithm: "HS256", Key: signers()["HS256"]}
	for _, row := range []struct {
		name   string
		attack func(t *testing.T)
	}{
		{"100,000 refreshes of one session leave the store's size unchanged", func(t *testing.T) {
			st := issuer.NewMemoryStore(0)
			iss := newIssuer(t, issuer.Config{Key: hs, Store: st})
			tokens, err := iss.Login(t.Context(), "mallory", map[string]any{"role": "user"})
			if err != nil {
				t.Fatal(err)
			}
			before := st.Len()
			n := 100_000
			if testing.Short() {
				n = 10_000
			}
			for k := range n {
				if tokens, err = iss.Refresh(t.Context(), tokens.RefreshToken); err != nil {
					t.Fatalf("refresh %d: %v", k, err)
				}
			}
			if after := st.Len(); after != before {
				t.Fatalf("%d refreshes grew the store from %d to %d records", n, before, after)
			}
			list, _ := iss.Sessions(t.Context(), "mallory")
			if len(list) != 1 || list[0].Generation != uint64(n+1) {
				t.Fatalf("sessions after the flood: %+v", list)
			}
		}},
		{"a login flood of one account keeps its cap and cannot fail another user's logout", func(t *testing.T) {
			st := issuer.NewMemoryStore(64) // tiny: the old store filled with 63 refreshes
			iss := newIssuer(t, issuer.Config{Key: hs, Store: st})
			mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
			victim, err := iss.Login(t.Context(), "victim", nil)
			if err != nil {
				t.Fatal(err)
			}
			for k := range 10_000 {
				tokens, err := iss.Login(t.Context(), "mallory", nil)
				if err != nil {
					t.Fatalf("login %d: %v", k, err)
				}
				if k%2 == 0 {
					iss.Refresh(t.Context(), tokens.RefreshToken)
				}
			}
			if list, _ := iss.Sessions(t.Context(), "mallory"); len(list) != 32 {
				t.Fatalf("mallory holds %d sessions; want the cap, 32", len(list))
			}
			c, err := mw.Verify(t.Context(), victim.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if err := iss.Logout(t.Context(), c); err != nil {
				t.Fatalf("victim's logout after the flood: %v", err)
			}
			if _, err := mw.Verify(t.Context(), victim.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
				t.Fatalf("victim's token after logout: %v", err)
			}
			// And the victim can log in again: the flood took no room.
			if _, err := iss.Login(t.Context(), "victim", nil); err != nil {
				t.Fatalf("victim's login after the flood: %v", err)
			}
		}},
		{"many accounts filling the store refuse logins (503), never a revocation", func(t *testing.T) {
			st := issuer.NewMemoryStore(100)
			iss := newIssuer(t, issuer.Config{Key: hs, Store: st, MaxSessionsPerSubject: 10})
			mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
			victim, _ := iss.Login(t.Context(), "victim", nil)
			victim2, _ := iss.Login(t.Context(), "victim2", nil)
			plain, _ := iss.Issue(t.Context(), "victim3", nil)
			var full error
			for k := 0; full == nil; k++ {
				_, full = iss.Login(t.Context(), fmt.Sprintf("sybil%d", k/10), nil)
				if k > 1000 {
					t.Fatal("the store never filled")
				}
			}
			if !errors.Is(full, issuer.ErrStoreFull) || errors.Is(full, jwtauth.ErrStore) {
				t.Fatalf("login into a full store: %v; want ErrStoreFull (503), not ErrStore (500)", full)
			}
			c, _ := mw.Verify(t.Context(), victim.AccessToken)
			if err := iss.Logout(t.Context(), c); err != nil {
				t.Fatalf("logout in a full store: %v", err)
			}
			if err := iss.RevokeSubject(t.Context(), "victim2"); err != nil {
				t.Fatalf("RevokeSubject in a full store: %v", err)
			}
			pc, _ := mw.Verify(t.Context(), plain)
			if err := iss.Logout(t.Context(), pc); err != nil {
				t.Fatalf("logout of an issued token in a full store: %v", err)
			}
			for name, tok := range map[string]string{"logged out": victim.AccessToken, "revoked subject": victim2.AccessToken, "issued": plain} {
				if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrTokenRevoked) {
					t.Errorf("%s token: %v", name, err)
				}
			}
			// Reuse detection works in a full store too.
			sybil, err := iss.Login(t.Context(), "sybil0", nil) // at its cap: ends its oldest, so it fits
			if err != nil {
				t.Fatalf("login at the subject's cap in a full store: %v", err)
			}
			iss.Refresh(t.Context(), sybil.RefreshToken)
			if _, err := iss.Refresh(t.Context(), sybil.RefreshToken); !errors.Is(err, issuer.ErrRefreshReused) {
				t.Fatalf("reuse in a full store: %v", err)
			}
		}},
		{"a replayed refresh token ends the thief's and the user's session", func(t *testing.T) {
			iss := newIssuer(t, issuer.Config{Key: hs})
			mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
			stolen, _ := iss.Login(t.Context(), "alice", nil)
			user, err := iss.Refresh(t.Context(), stolen.RefreshToken) // the user refreshes first
			if err != nil {
				t.Fatal(err)
			}
			if _, err := iss.Refresh(t.Context(), stolen.RefreshToken); !errors.Is(err, issuer.ErrRefreshReused) {
				t.Fatalf("thief's replay: %v", err)
			}
			if _, err := mw.Verify(t.Context(), user.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
				t.Fatalf("user's access token after the replay: %v", err)
			}
			if _, err := iss.Refresh(t.Context(), user.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
				t.Fatalf("user's refresh token after the replay: %v", err)
			}
		}},
		{"a refresh token with its generation or session edited does not verify", func(t *testing.T) {
			iss := newIssuer(t, issuer.Config{Key: hs})
			tokens, _ := iss.Login(t.Context(), "alice", nil)
			p := decodePayload(t, tokens.RefreshToken)
			for _, edit := range []string{`"gen":2`, `"gen":99`, `"sid":"x"`, `"sub":"bob"`} {
				if _, err := iss.Refresh(t.Context(), tamper(t, tokens.RefreshToken, edit)); !errors.Is(err, jwtauth.ErrSignature) {
					t.Errorf("refresh token with %s: %v; want ErrSignature", edit, err)
				}
			}
			if string(p["gen"]) != "1" {
				t.Fatalf("gen of a login's refresh token = %s", p["gen"])
			}
			// The session is intact after the attempts.
			if _, err := iss.Refresh(t.Context(), tokens.RefreshToken); err != nil {
				t.Fatalf("refresh after tampering attempts: %v", err)
			}
		}},
		{"a hung store stalls no caller past its context", func(t *testing.T) {
			iss := newIssuer(t, issuer.Config{Key: hs, Store: hungStore{}})
			mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
			ok := newIssuer(t, issuer.Config{Key: hs})
			tokens, _ := ok.Login(t.Context(), "alice", nil)
			c, _ := mustNew(t, jwtauth.Config{Keys: ok.Keys()}).Verify(t.Context(), tokens.AccessToken)
			calls := map[string]func(ctx context.Context) error{
				"Login":   func(ctx context.Context) error { _, err := iss.Login(ctx, "alice", nil); return err },
				"Refresh": func(ctx context.Context) error { _, err := iss.Refresh(ctx, tokens.RefreshToken); return err },
				"Logout":  func(ctx context.Context) error { return iss.Logout(ctx, c) },
				"RevokeSubject": func(ctx context.Context) error {
					return iss.RevokeSubject(ctx, "alice")
				},
				"Verify": func(ctx context.Context) error { _, err := mw.Verify(ctx, tokens.AccessToken); return err },
			}
			for name, call := range calls {
				ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
				start := time.Now()
				err := call(ctx)
				cancel()
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("%s took %v with a 50ms context", name, d)
				}
				if err == nil || errors.Is(err, jwtauth.ErrInvalidToken) && name != "Refresh" {
					t.Errorf("%s with a hung store: %v; want a store error", name, err)
				}
			}
		}},
		{"a session id cannot be ended by another user", func(t *testing.T) {
			iss := newIssuer(t, issuer.Config{Key: hs})
			alice, _ := iss.Login(t.Context(), "alice", nil)
			for _, sub := range []string{"bob", "Alice", "alice ", ""} {
				if err := iss.RevokeSessionOf(t.Context(), sub, alice.SessionID); !errors.Is(err, issuer.ErrNoSession) {
					t.Errorf("RevokeSessionOf(%q) = %v; want ErrNoSession", sub, err)
				}
			}
			if list, _ := iss.Sessions(t.Context(), "alice"); len(list) != 1 {
				t.Fatal("alice's session was ended by another user")
			}
		}},
	} {
		t.Run(row.name, row.attack)
	}
}

// tamper replaces, in tok's payload, the member that edit (`"name":value`)
// names with edit, keeping the signature: a forgery attempt.
func tamper(t *testing.T, tok, edit string) string {
	t.Helper()
	name, _, _ := strings.Cut(strings.TrimPrefix(edit, `"`), `"`)
	var members []string
	for n, v := range decodePayload(t, tok) {
		if n == name {
			members = append(members, edit)
		} else {
			members = append(members, fmt.Sprintf("%q:%s", n, v))
		}
	}
	parts := strings.Split(tok, ".")
	return parts[0] + "." + jwtB64.EncodeToString([]byte("{"+strings.Join(members, ",")+"}")) + "." + parts[2]
}

// A LoginOption can set only the client's device and address: the subject,
// claims and lifetimes Login checked stay as checked. (It was a
// func(*Session), which could replace the claims with {"sub":"admin"}.)
func TestLoginOptionsSetOnlyTheClient(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	tokens, err := iss.Login(t.Context(), "alice", map[string]any{"role": "user"},
		issuer.WithDevice("phone"), nil, issuer.WithAddress("192.0.2.1"))
	if err != nil {
		t.Fatal(err)
	}
	p := decodePayload(t, tokens.AccessToken)
	if string(p["sub"]) != `"alice"` || string(p["role"]) != `"user"` {
		t.Fatalf("payload %v", p)
	}
	list, _ := iss.Sessions(t.Context(), "alice")
	if len(list) != 1 || list[0].Device != "phone" || list[0].Address != "192.0.2.1" {
		t.Fatalf("sessions %+v", list)
	}
}
