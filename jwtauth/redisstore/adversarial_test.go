package redisstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

// However often a session is refreshed, it is one record: a client that
// refreshes in a loop cannot fill Redis (the old store kept one key per
// refresh token).
func TestRefreshLoopKeepsOneRecord(t *testing.T) {
	t.Parallel() // the longest test: run it beside the others
	c := redistest.Start(t).Client(t)
	st := newStore(t, c)
	ctx, now := t.Context(), storetest.Base
	s := session("mallory", now)
	if err := st.CreateSession(ctx, s, 32, now); err != nil {
		t.Fatal(err)
	}
	before := keys(t, c, st)
	n := 100000
	if testing.Short() {
		n = 10000
	}
	start := time.Now()
	at := now
	for gen := uint64(1); gen <= uint64(n); gen++ {
		at = at.Add(time.Millisecond)
		_, out, err := st.AdvanceSession(ctx, issuer.Advance{ID: s.ID, Subject: s.Subject, Generation: gen, Now: at, Idle: time.Hour})
		if err != nil || out != issuer.Advanced {
			t.Fatalf("refresh %d = %v, %v", gen, out, err)
		}
	}
	t.Logf("%d refreshes in %v", n, time.Since(start))
	if after := keys(t, c, st); len(after) != len(before) {
		t.Fatalf("%d refreshes of one session: %d keys, were %d", n, len(after), len(before))
	}
	size, err := c.MemoryUsage(ctx, st.Prefix()+"s:"+s.ID).Result()
	if err != nil || size > 1024 {
		t.Errorf("MEMORY USAGE of the session record after %d refreshes = %d, %v; want under 1 KiB", n, size, err)
	}
	t.Logf("MEMORY USAGE of the session record: %d bytes", size)
	got, err := st.Session(ctx, s.ID, at)
	if err != nil || got.Generation != uint64(n)+1 {
		t.Fatalf("Session = %+v, %v; want generation %d", got, err, n+1)
	}
}

// One subject that logs in thousands of times keeps at most its cap of
// sessions, and holds up no other subject: their logins and logouts work
// as before.
func TestLoginFloodOfOneSubject(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := newStore(t, c)
	ctx, now := t.Context(), storetest.Base
	const max = 32
	victim := session("alice", now)
	if err := st.CreateSession(ctx, victim, max, now); err != nil {
		t.Fatal(err)
	}
	for k := range 5000 {
		at := now.Add(time.Duration(k) * time.Millisecond)
		if err := st.CreateSession(ctx, session("mallory", at), max, at); err != nil {
			t.Fatalf("login %d: %v", k, err)
		}
	}
	at := now.Add(5 * time.Second)
	list, err := st.Sessions(ctx, "mallory", at)
	if err != nil || len(list) != max {
		t.Fatalf("Sessions of the flooding subject = %d, %v; want %d", len(list), err, max)
	}
	if n := len(keys(t, c, st)); n != max+1+2 {
		t.Errorf("%d keys; want %d sessions and 1 record of the flooding subject, and alice's 2", n, max+1)
	}
	if n, err := c.HLen(ctx, st.Prefix()+"u:mallory").Result(); err != nil || n != max+2 {
		t.Errorf("the flooding subject's record has %d fields, %v; want %d sessions, n and dl", n, err, max)
	}
	mustRevoked(t, st, sessionRef(victim, at), false)
	start := time.Now()
	if ended, err := st.EndSession(ctx, victim.ID, "alice", at); err != nil || !ended {
		t.Fatalf("alice's EndSession during the flood = %v, %v", ended, err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("alice's EndSession took %v", d)
	}
	mustRevoked(t, st, sessionRef(victim, at), true)
	bob := session("bob", at)
	if err := st.CreateSession(ctx, bob, max, at); err != nil {
		t.Fatal(err)
	}
	mustRevoked(t, st, sessionRef(bob, at), false)
	// Revoking the flooder ends all it kept, in one call.
	if err := st.RevokeSubject(ctx, "mallory", at, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if list, err := st.Sessions(ctx, "mallory", at); err != nil || len(list) != 0 {
		t.Fatalf("Sessions after RevokeSubject = %d, %v", len(list), err)
	}
	if n := len(keys(t, c, st)); n != 3 {
		t.Errorf("%d keys after RevokeSubject; want mallory's record and bob's 2", n)
	}
}

// Many subjects each revoking many sessionless tokens stay bounded: at
// most MaxRevokedTokens entries each.
func TestRevokeTokenFloodIsBounded(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := newStore(t, c)
	ctx, now := t.Context(), storetest.Base
	for k := range 10 * issuer.MaxRevokedTokens {
		if err := st.RevokeToken(ctx, "mallory", fmt.Sprint("jti", k), now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.HLen(ctx, st.Prefix()+"u:mallory").Result(); err != nil || n > issuer.MaxRevokedTokens+4 {
		t.Errorf("the subject's record has %d fields, %v; want at most %d entries and a few fields", n, err, issuer.MaxRevokedTokens)
	}
}
