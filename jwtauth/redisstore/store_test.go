package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/redis/go-redis/v9"
)

// newStore returns a Store of c under a prefix of its own, so that it starts
// empty on a shared server.
func newStore(t testing.TB, c redis.UniversalClient) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(context.Background(), c, redisstore.Options{Prefix: "test:" + randomID() + ":"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// keys returns the keys under the Store's prefix.
func keys(t testing.TB, c redis.UniversalClient, s *redisstore.Store) []string {
	t.Helper()
	var out []string
	iter := c.Scan(context.Background(), 0, s.Prefix()+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestConformance(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) issuer.Store { return newStore(t, c) },
		Len: func(s issuer.Store) int { return len(keys(t, c, s.(*redisstore.Store))) },
	})
}

// session returns a session of subject created at now, as storetest makes
// them.
func session(subject string, now time.Time) *issuer.Session {
	return &issuer.Session{
		ID: randomID(), Subject: subject, Created: now, Refreshed: now,
		Expires: now.Add(time.Hour), Deadline: now.Add(24 * time.Hour), Generation: 1,
		Device: "Firefox on Linux", Address: "192.0.2.1",
		Claims: json.RawMessage(`{"role":"admin"}`),
	}
}

func advance(s *issuer.Session, gen uint64, now time.Time) issuer.Advance {
	return issuer.Advance{ID: s.ID, Subject: s.Subject, Generation: gen, Now: now, Idle: time.Hour}
}

func sessionRef(s *issuer.Session, now time.Time) jwtauth.TokenRef {
	return jwtauth.TokenRef{ID: randomID(), Session: s.ID, Subject: s.Subject, IssuedAt: now, Now: now}
}

func mustRevoked(t *testing.T, st *redisstore.Store, r jwtauth.TokenRef, want bool) {
	t.Helper()
	got, err := st.Revoked(t.Context(), r)
	if err != nil {
		t.Fatalf("Revoked: %v", err)
	}
	if got != want {
		t.Fatalf("Revoked(session %q, subject %q) = %v; want %v", r.Session, r.Subject, got, want)
	}
}

// The records are the keys the package documentation describes, with
// lifetimes measured from the caller's clock, however far it is from
// Redis's.
func TestKeysAndLifetimes(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	for _, now := range []time.Time{storetest.Base, time.Now().Add(10 * 365 * 24 * time.Hour), time.Now()} {
		st := newStore(t, c)
		ctx, p := t.Context(), st.Prefix()
		s := session("alice", now)
		s.Expires, s.Deadline = now.Add(2*time.Hour), now.Add(3*time.Hour)
		if err := st.CreateSession(ctx, s, 32, now); err != nil {
			t.Fatal(err)
		}
		if got, want := keys(t, c, st), []string{p + "s:" + s.ID, p + "u:alice"}; !slices.Equal(got, want) {
			t.Fatalf("keys = %q; want %q", got, want)
		}
		if d := pttl(t, c, p+"s:"+s.ID); !about(d, 2*time.Hour) {
			t.Errorf("session PTTL = %v; want ≈2h (Expires - now)", d)
		}
		if d := pttl(t, c, p+"u:alice"); !about(d, 3*time.Hour) {
			t.Errorf("subject PTTL = %v; want ≈3h (the last Deadline of its sessions)", d)
		}
		// A refresh an hour later moves both.
		if _, out, err := st.AdvanceSession(ctx, advance(s, 1, now.Add(time.Hour))); err != nil || out != issuer.Advanced {
			t.Fatalf("AdvanceSession = %v, %v", out, err)
		}
		if d := pttl(t, c, p+"s:"+s.ID); !about(d, time.Hour) {
			t.Errorf("session PTTL after a refresh at now+1h = %v; want ≈1h (Idle)", d)
		}
		if d := pttl(t, c, p+"u:alice"); !about(d, 3*time.Hour) {
			t.Errorf("subject PTTL after a refresh = %v; want ≈3h still", d)
		}
		fields, err := c.HGetAll(ctx, p+"s:"+s.ID).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"sub", "created", "refreshed", "expires", "deadline", "gen", "device", "addr", "claims"} {
			if _, ok := fields[f]; !ok {
				t.Errorf("session record lacks %q: %v", f, fields)
			}
		}
		if fields["gen"] != "2" || fields["created"] != itoa(now.UnixMilli()) {
			t.Errorf("session record = %v", fields)
		}
		// A revocation that outlives the sessions keeps the subject
		// record as long as it lasts.
		if err := st.RevokeToken(ctx, "alice", randomID(), now, now.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if d := pttl(t, c, p+"u:alice"); !about(d, 5*time.Hour) {
			t.Errorf("subject PTTL after RevokeToken(until now+5h) = %v; want ≈5h", d)
		}
		if err := st.RevokeSubject(ctx, "alice", now, now.Add(6*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if d := pttl(t, c, p+"u:alice"); !about(d, 6*time.Hour) {
			t.Errorf("subject PTTL after RevokeSubject(until now+6h) = %v; want ≈6h", d)
		}
		if got, want := keys(t, c, st), []string{p + "u:alice"}; !slices.Equal(got, want) {
			t.Errorf("keys after RevokeSubject = %q; want %q", got, want)
		}
	}
}

// Subjects and ids are arbitrary bytes, up to MaxIDLength: none can reach
// another's record, another kind of record or a command.
func TestHostileNames(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := newStore(t, c)
	ctx, now := t.Context(), storetest.Base
	names := []string{
		"alice", "u:alice", "s:alice", "alice:", ":", "t:x", "b", "bu", "n", "ru", "{alice}", "}{",
		"alice\r\n*1\r\n$8\r\nFLUSHALL\r\n", "') redis.call('FLUSHALL') --", "*", "?", "[a]",
		"ünïcödé ✓", "\x00\xff", strings.Repeat("z", redisstore.MaxIDLength),
	}
	sessions := map[string]*issuer.Session{}
	for _, name := range names {
		s := session(name, now)
		s.ID = name // the sid too
		if err := st.CreateSession(ctx, s, 32, now); err != nil {
			t.Fatalf("CreateSession(%q): %v", name, err)
		}
		sessions[name] = s
	}
	for _, name := range names {
		mustRevoked(t, st, sessionRef(sessions[name], now), false)
		list, err := st.Sessions(ctx, name, now)
		if err != nil || len(list) != 1 || list[0].ID != name {
			t.Fatalf("Sessions(%q) = %v, %v", name, list, err)
		}
	}
	if n := len(keys(t, c, st)); n != 2*len(names) {
		t.Fatalf("%d keys for %d subjects with a session each; want %d", n, len(names), 2*len(names))
	}
	// Revoking each ends its own session and no other.
	for i, name := range names {
		if err := st.RevokeSubject(ctx, name, now, now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeSubject(%q): %v", name, err)
		}
		for j, other := range names {
			mustRevoked(t, st, sessionRef(sessions[other], now), j <= i)
		}
		mustRevoked(t, st, jwtauth.TokenRef{ID: randomID(), Subject: name, IssuedAt: now, Now: now}, true)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != int64(len(names)) {
		t.Errorf("DBSIZE = %d, %v; want %d subject records: nothing else was written or flushed", n, err, len(names))
	}
}

func TestInvalidIDs(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := newStore(t, c)
	ctx, now := t.Context(), storetest.Base
	long := strings.Repeat("x", redisstore.MaxIDLength+1)
	ok := session("alice", now)
	if err := st.CreateSession(ctx, ok, 32, now); err != nil {
		t.Fatal(err)
	}
	s := session(long, now)
	checks := map[string]error{}
	checks["CreateSession long subject"] = st.CreateSession(ctx, s, 32, now)
	s = session("alice", now)
	s.ID = long
	checks["CreateSession long id"] = st.CreateSession(ctx, s, 32, now)
	checks["CreateSession empty subject"] = st.CreateSession(ctx, session("", now), 32, now)
	s = session("alice", now)
	s.ID = ""
	checks["CreateSession empty id"] = st.CreateSession(ctx, s, 32, now)
	_, checks["Session"] = st.Session(ctx, long, now)
	_, _, checks["AdvanceSession"] = st.AdvanceSession(ctx, issuer.Advance{ID: long, Subject: "alice", Generation: 1, Now: now})
	_, _, checks["AdvanceSession subject"] = st.AdvanceSession(ctx, issuer.Advance{ID: ok.ID, Subject: long, Generation: 1, Now: now})
	_, checks["EndSession"] = st.EndSession(ctx, long, "", now)
	_, checks["EndSession subject"] = st.EndSession(ctx, ok.ID, long, now)
	checks["RevokeSubject"] = st.RevokeSubject(ctx, long, now, now.Add(time.Hour))
	checks["RevokeSubject empty"] = st.RevokeSubject(ctx, "", now, now.Add(time.Hour))
	checks["RevokeToken"] = st.RevokeToken(ctx, "alice", long, now, now.Add(time.Hour))
	checks["RevokeToken subject"] = st.RevokeToken(ctx, long, "x", now, now.Add(time.Hour))
	_, checks["Sessions"] = st.Sessions(ctx, long, now)
	_, checks["Revoked sid"] = st.Revoked(ctx, jwtauth.TokenRef{Session: long, Subject: "alice", Now: now})
	_, checks["Revoked sub"] = st.Revoked(ctx, jwtauth.TokenRef{Subject: long, Now: now})
	_, checks["Revoked jti"] = st.Revoked(ctx, jwtauth.TokenRef{ID: long, Subject: "alice", Now: now})
	for name, err := range checks {
		if !errors.Is(err, redisstore.ErrInvalidID) {
			t.Errorf("%s: %v; want ErrInvalidID", name, err)
		}
	}
	if got, want := len(keys(t, c, st)), 2; got != want {
		t.Errorf("%d keys; want %d: an invalid call wrote something", got, want)
	}
	mustRevoked(t, st, sessionRef(ok, now), false)
	// Empty ids where they may be empty: nothing to find.
	if _, err := st.Session(ctx, "", now); !errors.Is(err, issuer.ErrNoSession) {
		t.Errorf("Session(\"\"): %v", err)
	}
	if ended, err := st.EndSession(ctx, "", "", now); ended || err != nil {
		t.Errorf("EndSession(\"\") = %v, %v", ended, err)
	}
	if list, err := st.Sessions(ctx, "", now); list != nil || err != nil {
		t.Errorf("Sessions(\"\") = %v, %v", list, err)
	}
}

// go-redis sends a command again when the connection broke before its
// reply: the retry of the CreateSession or AdvanceSession that won must
// still win, or a network blip would fail a login, or make a legitimate
// refresh look like a reuse and end the session.
func TestRetryGetsTheFirstOutcome(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := newStore(t, c)
	ctx, now := t.Context(), storetest.Base
	s := session("alice", now)
	for i := range 2 {
		if err := st.CreateWithNonce(ctx, s, 32, now, "login-1"); err != nil {
			t.Fatalf("attempt %d of the login: %v", i+1, err)
		}
	}
	if err := st.CreateWithNonce(ctx, s, 32, now, "login-2"); err == nil {
		t.Fatal("another CreateSession with a live session's id succeeded")
	}
	for i := range 2 {
		got, out, err := st.AdvanceWithNonce(ctx, advance(s, 1, now.Add(time.Minute)), "refresh-1")
		if err != nil || out != issuer.Advanced || got.Generation != 2 {
			t.Fatalf("attempt %d of the refresh = %v, %v, %v; want Advanced to generation 2", i+1, got, out, err)
		}
	}
	if _, out, err := st.AdvanceWithNonce(ctx, advance(s, 1, now.Add(time.Minute)), "refresh-2"); err != nil || out != issuer.Reused {
		t.Fatalf("another refresh of generation 1 = %v, %v; want Reused", out, err)
	}
	mustRevoked(t, st, sessionRef(s, now), true)
}

// A Redis that does not answer holds a call no longer than the caller's
// deadline, and the error says so.
func TestContextDeadline(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c, admin := srv.Client(t), srv.Client(t)
	st := newStore(t, c)
	now := storetest.Base
	s := session("alice", now)
	if err := st.CreateSession(t.Context(), s, 32, now); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(ctx context.Context) error{
		"Revoked": func(ctx context.Context) error {
			_, err := st.Revoked(ctx, sessionRef(s, now))
			return err
		},
		"CreateSession": func(ctx context.Context) error {
			return st.CreateSession(ctx, session("bob", now), 32, now)
		},
		"AdvanceSession": func(ctx context.Context) error {
			_, _, err := st.AdvanceSession(ctx, advance(s, 1, now))
			return err
		},
		"EndSession": func(ctx context.Context) error {
			_, err := st.EndSession(ctx, s.ID, "", now)
			return err
		},
		"RevokeSubject": func(ctx context.Context) error {
			return st.RevokeSubject(ctx, "alice", now, now.Add(time.Hour))
		},
	}
	// Five calls of 200ms fit in the pause; CLIENT UNPAUSE would wait for
	// its end too.
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", 3000, "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	for name, call := range calls {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		elapsed := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s on a paused Redis: %v; want an error matching context.DeadlineExceeded", name, err)
		} else if !strings.HasPrefix(err.Error(), "redisstore: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
		if elapsed > time.Second {
			t.Errorf("%s took %v with a 200ms deadline", name, elapsed)
		}
	}
}

// about reports whether the time to live d, read just after a record was
// written to expire want from now, is want: a little less, for the time the
// test took.
func about(d, want time.Duration) bool {
	return d > want-time.Second && d <= want+20*time.Millisecond
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
