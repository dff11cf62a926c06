// Package storetest checks that an implementation of [issuer.Store] keeps
// the semantics the Issuer and jwtauth rely on: one record per session
// whatever the number of refreshes, atomic generations, reuse and grace,
// per-subject caps, subject revocation, listing, lifetimes measured by the
// caller's clock, and revocations that never need room. Every Store runs the
// same suite:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			New: func(t *testing.T) issuer.Store { return newStore(t) },
//			Len: func(s issuer.Store) int { return s.(*MyStore).Len() },
//		})
//	}
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// Harness is how the suite makes and measures stores.
type Harness struct {
	// New returns an empty store; every test gets its own. Required.
	New func(t *testing.T) issuer.Store

	// Len returns the number of records (keys) the store holds, live or
	// not yet dropped. Required: the suite checks that refreshes and
	// revocations do not grow a store.
	Len func(s issuer.Store) int

	// Full, when set, returns a store that holds at most n sessions, for
	// the tests of a full store. A store whose bound is not a number of
	// sessions (Redis: maxmemory) tests its own full state instead.
	Full func(t *testing.T, n int) issuer.Store
}

// Expiry is the shortest lifetime the suite gives a record it waits to see
// dropped in real time. Stores must honour deadlines at least this fine.
const Expiry = 300 * time.Millisecond

// Base is the clock of the suite: far from the real time, so that a store
// that reads its own clock rather than the one it is given fails.
var Base = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

func id() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// session returns a new session of subject created at now, living idle
// for an hour and at most a day.
func session(subject string, now time.Time) *issuer.Session {
	return &issuer.Session{
		ID: id(), Subject: subject, Created: now, Refreshed: now,
		Expires: now.Add(time.Hour), Deadline: now.Add(24 * time.Hour), Generation: 1,
		Device: "Firefox on Linux", Address: "192.0.2.1",
		Claims: json.RawMessage(`{"role":"admin","uid":1234567890123456789}`),
	}
}

func ref(s *issuer.Session, now time.Time) jwtauth.TokenRef {
	return jwtauth.TokenRef{ID: id(), Session: s.ID, Subject: s.Subject, IssuedAt: now, Now: now}
}

func mustRevoked(t *testing.T, st issuer.Store, r jwtauth.TokenRef, want bool) {
	t.Helper()
	got, err := st.Revoked(t.Context(), r)
	if err != nil {
		t.Fatalf("Revoked(%+v): %v", r, err)
	}
	if got != want {
		t.Fatalf("Revoked(session %q, subject %q, iat %v, now %v) = %v; want %v", r.Session, r.Subject, r.IssuedAt, r.Now, got, want)
	}
}

func create(t *testing.T, st issuer.Store, s *issuer.Session, max int, now time.Time) {
	t.Helper()
	if err := st.CreateSession(t.Context(), s, max, now); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
}

func advance(t *testing.T, st issuer.Store, a issuer.Advance, want issuer.Outcome) *issuer.Session {
	t.Helper()
	s, out, err := st.AdvanceSession(t.Context(), a)
	if err != nil {
		t.Fatalf("AdvanceSession: %v", err)
	}
	if out != want {
		t.Fatalf("AdvanceSession(gen %d) = %v; want %v", a.Generation, out, want)
	}
	if (s != nil) != (want == issuer.Advanced || want == issuer.InGrace) {
		t.Fatalf("AdvanceSession(gen %d) = %v with session %v", a.Generation, out, s)
	}
	return s
}

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	if h.New == nil || h.Len == nil {
		t.Fatal("storetest: Harness.New and Harness.Len are required")
	}
	now := Base
	adv := func(s *issuer.Session, gen uint64, at time.Time) issuer.Advance {
		return issuer.Advance{ID: s.ID, Subject: s.Subject, Generation: gen, Now: at, Idle: time.Hour}
	}

	t.Run("CreateAndRead", func(t *testing.T) {
		st := h.New(t)
		s := session("alice", now)
		create(t, st, s, 32, now)
		got, err := st.Session(t.Context(), s.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != s.ID || got.Subject != s.Subject || got.Generation != 1 || !got.Created.Equal(s.Created) ||
			!got.Refreshed.Equal(s.Refreshed) || !got.Expires.Equal(s.Expires) || !got.Deadline.Equal(s.Deadline) ||
			got.Device != s.Device || got.Address != s.Address || string(got.Claims) != string(s.Claims) {
			t.Fatalf("Session = %+v\nwant      %+v", got, s)
		}
		if _, err := st.Session(t.Context(), id(), now); !errors.Is(err, issuer.ErrNoSession) {
			t.Fatalf("unknown session: %v; want ErrNoSession", err)
		}
		mustRevoked(t, st, ref(s, now), false)
		// The sid must be the subject's: a token naming another subject
		// with this sid is not of this session.
		r := ref(s, now)
		r.Subject = "mallory"
		mustRevoked(t, st, r, true)
		// A sid that no session has is revoked: its session ended.
		r = ref(s, now)
		r.Session = id()
		mustRevoked(t, st, r, true)
		// No sid, no revocation of the subject: not revoked.
		mustRevoked(t, st, jwtauth.TokenRef{ID: id(), Subject: "alice", IssuedAt: now, Now: now}, false)
		mustRevoked(t, st, jwtauth.TokenRef{Now: now}, false)
	})

	t.Run("Generations", func(t *testing.T) {
		st := h.New(t)
		s := session("alice", now)
		create(t, st, s, 32, now)
		at := now
		for gen := uint64(1); gen <= 5; gen++ {
			at = at.Add(time.Minute)
			a := adv(s, gen, at)
			if gen == 3 {
				a.Claims = json.RawMessage(`{"role":"user","uid":1234567890123456789}`)
			}
			got := advance(t, st, a, issuer.Advanced)
			if got.Generation != gen+1 || !got.Refreshed.Equal(at) || !got.Expires.Equal(at.Add(time.Hour)) || !got.Created.Equal(now) {
				t.Fatalf("after refresh of gen %d: %+v", gen, got)
			}
			want := `{"role":"admin","uid":1234567890123456789}`
			if gen >= 3 {
				want = `{"role":"user","uid":1234567890123456789}`
			}
			if string(got.Claims) != want {
				t.Fatalf("claims after gen %d: %s; want %s", gen, got.Claims, want)
			}
		}
		mustRevoked(t, st, ref(s, at), false)
		// A generation from the future (forged, or another store's) is
		// reuse too.
		advance(t, st, adv(s, 99, at), issuer.Reused)
		mustRevoked(t, st, ref(s, at), true)
		advance(t, st, adv(s, 6, at), issuer.NotFound)
	})

	t.Run("ReuseEndsSession", func(t *testing.T) {
		st := h.New(t)
		s := session("alice", now)
		other := session("alice", now)
		create(t, st, s, 32, now)
		create(t, st, other, 32, now)
		advance(t, st, adv(s, 1, now), issuer.Advanced)
		advance(t, st, adv(s, 2, now), issuer.Advanced)
		advance(t, st, adv(s, 1, now.Add(time.Second)), issuer.Reused)
		mustRevoked(t, st, ref(s, now), true)
		advance(t, st, adv(s, 3, now), issuer.NotFound)
		if _, err := st.Session(t.Context(), s.ID, now); !errors.Is(err, issuer.ErrNoSession) {
			t.Fatalf("Session after reuse: %v", err)
		}
		// The subject's other session is untouched.
		mustRevoked(t, st, ref(other, now), false)
		// The wrong subject cannot advance (or end) a session.
		a := adv(other, 1, now)
		a.Subject = "mallory"
		advance(t, st, a, issuer.NotFound)
		mustRevoked(t, st, ref(other, now), false)
	})

	t.Run("Grace", func(t *testing.T) {
		st := h.New(t)
		s := session("alice", now)
		create(t, st, s, 32, now)
		at := now.Add(time.Minute)
		advance(t, st, adv(s, 1, at), issuer.Advanced)
		a := adv(s, 1, at.Add(10*time.Second))
		a.Grace = 10 * time.Second
		got := advance(t, st, a, issuer.InGrace)
		if got.Generation != 2 || !got.Refreshed.Equal(at) {
			t.Fatalf("in grace: %+v; want generation 2, unchanged", got)
		}
		// Grace does not reach two generations back, nor past its window.
		advance(t, st, adv(s, 2, at.Add(11*time.Second)), issuer.Advanced)
		a = adv(s, 1, at.Add(11*time.Second))
		a.Grace = time.Hour
		advance(t, st, a, issuer.Reused)

		s = session("alice", now)
		create(t, st, s, 32, now)
		advance(t, st, adv(s, 1, at), issuer.Advanced)
		a = adv(s, 1, at.Add(10*time.Second+time.Millisecond))
		a.Grace = 10 * time.Second
		advance(t, st, a, issuer.Reused)
	})

	t.Run("ConcurrentAdvance", func(t *testing.T) {
		st := h.New(t)
		for _, grace := range []time.Duration{0, time.Minute} {
			s := session("alice", now)
			create(t, st, s, 32, now)
			const n = 16
			var advanced, inGrace, reused atomic.Int32
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					a := adv(s, 1, now.Add(time.Second))
					a.Grace = grace
					_, out, err := st.AdvanceSession(context.Background(), a)
					if err != nil {
						t.Error(err)
					}
					switch out {
					case issuer.Advanced:
						advanced.Add(1)
					case issuer.InGrace:
						inGrace.Add(1)
					case issuer.Reused:
						reused.Add(1)
					}
				})
			}
			wg.Wait()
			if advanced.Load() != 1 {
				t.Fatalf("grace %v: %d of %d concurrent refreshes advanced; want exactly 1", grace, advanced.Load(), n)
			}
			if grace > 0 && inGrace.Load() != n-1 {
				t.Fatalf("grace %v: %d in grace, %d reused; want %d in grace", grace, inGrace.Load(), reused.Load(), n-1)
			}
			if grace == 0 && advanced.Load()+reused.Load() == n && reused.Load() > 0 {
				mustRevoked(t, st, ref(s, now), true)
			}
		}
	})

	t.Run("OneRecordPerSession", func(t *testing.T) {
		st := h.New(t)
		s := session("alice", now)
		create(t, st, s, 32, now)
		base := h.Len(st)
		at := now
		for gen := uint64(1); gen <= 1000; gen++ {
			at = at.Add(time.Second)
			advance(t, st, adv(s, gen, at), issuer.Advanced)
		}
		if n := h.Len(st); n != base {
			t.Fatalf("1000 refreshes grew the store from %d to %d records", base, n)
		}
	})

	t.Run("Lifetimes", func(t *testing.T) {
		st := h.New(t)
		s := session("alice", now)
		s.Expires, s.Deadline = now.Add(time.Hour), now.Add(90*time.Minute)
		create(t, st, s, 32, now)
		// Idle: just before Expires live, at Expires ended.
		mustRevoked(t, st, ref(s, now.Add(time.Hour-time.Second)), false)
		mustRevoked(t, st, ref(s, now.Add(time.Hour)), true)
		if _, err := st.Session(t.Context(), s.ID, now.Add(time.Hour)); !errors.Is(err, issuer.ErrNoSession) {
			t.Fatalf("Session at Expires: %v", err)
		}
		// A refresh extends by Idle, but never past Deadline.
		got := advance(t, st, adv(s, 1, now.Add(50*time.Minute)), issuer.Advanced)
		if !got.Expires.Equal(s.Deadline) {
			t.Fatalf("Expires after refresh = %v; want the Deadline %v", got.Expires, s.Deadline)
		}
		advance(t, st, adv(s, 2, now.Add(90*time.Minute)), issuer.NotFound)
		mustRevoked(t, st, ref(s, now.Add(90*time.Minute)), true)
	})

	t.Run("ClockIsTheCallers", func(t *testing.T) {
		// Deadlines are compared with the now passed in, whatever the
		// real time: a store at Base (2001) keeps sessions an hour of
		// Base, not an hour of today.
		st := h.New(t)
		future := time.Now().Add(10 * 365 * 24 * time.Hour)
		for _, at := range []time.Time{now, future} {
			s := session("alice", at)
			create(t, st, s, 32, at)
			mustRevoked(t, st, ref(s, at), false)
			advance(t, st, adv(s, 1, at.Add(time.Minute)), issuer.Advanced)
			advance(t, st, adv(s, 1, at.Add(2*time.Minute)), issuer.Reused)
			mustRevoked(t, st, ref(s, at), true)
			if err := st.RevokeSubject(t.Context(), "bob", at, at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			mustRevoked(t, st, jwtauth.TokenRef{ID: id(), Subject: "bob", IssuedAt: at, Now: at.Add(time.Minute)}, true)
		}
	})

	t.Run("PerSubjectCap", func(t *testing.T) {
		st := h.New(t)
		var ss []*issuer.Session
		for k := range 5 {
			s := session("alice", now.Add(time.Duration(k)*time.Second))
			create(t, st, s, 3, now.Add(time.Duration(k)*time.Second))
			ss = append(ss, s)
		}
		bob := session("bob", now)
		create(t, st, bob, 3, now)
		at := now.Add(10 * time.Second)
		list, err := st.Sessions(t.Context(), "alice", at)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[0].ID != ss[2].ID || list[1].ID != ss[3].ID || list[2].ID != ss[4].ID {
			t.Fatalf("Sessions after 5 logins with cap 3: %d sessions; want the newest 3, oldest first", len(list))
		}
		mustRevoked(t, st, ref(ss[0], at), true)
		mustRevoked(t, st, ref(ss[1], at), true)
		mustRevoked(t, st, ref(ss[4], at), false)
		mustRevoked(t, st, ref(bob, at), false)
	})

	t.Run("EndSession", func(t *testing.T) {
		st := h.New(t)
		s, other := session("alice", now), session("alice", now)
		create(t, st, s, 32, now)
		create(t, st, other, 32, now)
		if ended, err := st.EndSession(t.Context(), s.ID, "mallory", now); err != nil || ended {
			t.Fatalf("EndSession by another subject = %v, %v; want false", ended, err)
		}
		mustRevoked(t, st, ref(s, now), false)
		if ended, err := st.EndSession(t.Context(), s.ID, "alice", now); err != nil || !ended {
			t.Fatalf("EndSession = %v, %v; want true", ended, err)
		}
		mustRevoked(t, st, ref(s, now), true)
		advance(t, st, adv(s, 1, now), issuer.NotFound)
		if ended, err := st.EndSession(t.Context(), s.ID, "", now); err != nil || ended {
			t.Fatalf("EndSession again = %v, %v; want false", ended, err)
		}
		if ended, err := st.EndSession(t.Context(), other.ID, "", now); err != nil || !ended {
			t.Fatalf("EndSession of any subject = %v, %v; want true", ended, err)
		}
		if n := h.Len(st); n != 0 {
			t.Fatalf("store holds %d records after every session ended; want 0", n)
		}
	})

	t.Run("RevokeSubject", func(t *testing.T) {
		st := h.New(t)
		var ss []*issuer.Session
		for range 3 {
			s := session("alice", now)
			create(t, st, s, 32, now)
			ss = append(ss, s)
		}
		bob := session("bob", now)
		create(t, st, bob, 32, now)
		at := now.Add(time.Minute)
		old := jwtauth.TokenRef{ID: id(), Subject: "alice", IssuedAt: at, Now: at}
		if err := st.RevokeSubject(t.Context(), "alice", at, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			mustRevoked(t, st, ref(s, at), true)
			advance(t, st, adv(s, 1, at), issuer.NotFound)
		}
		mustRevoked(t, st, old, true)                                                                                   // sessionless, same second
		mustRevoked(t, st, jwtauth.TokenRef{ID: id(), Subject: "alice", Now: at}, true)                                 // no iat: revoked
		mustRevoked(t, st, jwtauth.TokenRef{ID: id(), Subject: "alice", IssuedAt: at.Add(time.Second), Now: at}, false) // issued after
		mustRevoked(t, st, ref(bob, at), false)
		mustRevoked(t, st, jwtauth.TokenRef{ID: id(), Subject: "bob", IssuedAt: now, Now: at}, false)
		if list, err := st.Sessions(t.Context(), "alice", at); err != nil || len(list) != 0 {
			t.Fatalf("Sessions after RevokeSubject = %d, %v", len(list), err)
		}
		// A new login after it works.
		s := session("alice", at.Add(time.Second))
		create(t, st, s, 32, at.Add(time.Second))
		mustRevoked(t, st, ref(s, at.Add(time.Second)), false)
		// The revocation ends at its until.
		mustRevoked(t, st, jwtauth.TokenRef{ID: id(), Subject: "alice", IssuedAt: at, Now: at.Add(time.Hour)}, false)
		// RevokeSubject of a subject with no record at all writes one.
		if err := st.RevokeSubject(t.Context(), "carol", at, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		mustRevoked(t, st, jwtauth.TokenRef{ID: id(), Subject: "carol", IssuedAt: at, Now: at}, true)
		// Repeating it does not grow the store.
		n := h.Len(st)
		for k := range 100 {
			if err := st.RevokeSubject(t.Context(), "carol", at.Add(time.Duration(k)*time.Second), at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if m := h.Len(st); m != n {
			t.Fatalf("100 RevokeSubject of one subject grew the store from %d to %d", n, m)
		}
	})

	t.Run("RevokeToken", func(t *testing.T) {
		st := h.New(t)
		jti := id()
		tok := jwtauth.TokenRef{ID: jti, Subject: "alice", IssuedAt: now, Now: now}
		if err := st.RevokeToken(t.Context(), "alice", jti, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		mustRevoked(t, st, tok, true)
		mustRevoked(t, st, jwtauth.TokenRef{ID: id(), Subject: "alice", IssuedAt: now, Now: now}, false)
		mustRevoked(t, st, jwtauth.TokenRef{ID: jti, Subject: "bob", IssuedAt: now, Now: now}, false)
		tok.Now = now.Add(time.Hour)
		mustRevoked(t, st, tok, false) // until passed
		// Past MaxRevokedTokens one subject's entries do not grow: the
		// store revokes all its sessionless tokens issued until then.
		n := h.Len(st)
		var last string
		for k := range 3 * issuer.MaxRevokedTokens {
			last = id()
			at := now.Add(time.Duration(k) * time.Millisecond)
			if err := st.RevokeToken(t.Context(), "alice", last, at, now.Add(time.Hour)); err != nil {
				t.Fatalf("RevokeToken %d: %v", k, err)
			}
		}
		if m := h.Len(st); m > n+1 {
			t.Fatalf("%d RevokeToken of one subject grew the store from %d to %d records", 3*issuer.MaxRevokedTokens, n, m)
		}
		mustRevoked(t, st, jwtauth.TokenRef{ID: last, Subject: "alice", IssuedAt: now, Now: now}, true)
		mustRevoked(t, st, jwtauth.TokenRef{ID: id(), Subject: "alice", IssuedAt: now.Add(time.Hour), Now: now}, false)
	})

	t.Run("Listing", func(t *testing.T) {
		st := h.New(t)
		if list, err := st.Sessions(t.Context(), "nobody", now); err != nil || len(list) != 0 {
			t.Fatalf("Sessions of an unknown subject = %v, %v", list, err)
		}
		a := session("alice", now)
		b := session("alice", now.Add(time.Second))
		b.Expires = now.Add(time.Minute)
		create(t, st, a, 32, now)
		create(t, st, b, 32, now.Add(time.Second))
		list, err := st.Sessions(t.Context(), "alice", now.Add(2*time.Second))
		if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
			t.Fatalf("Sessions = %v, %v; want both, oldest first", list, err)
		}
		if list[0].Device != a.Device || list[0].Address != a.Address || !list[0].Created.Equal(a.Created) {
			t.Fatalf("listed session = %+v", list[0])
		}
		list, err = st.Sessions(t.Context(), "alice", now.Add(time.Minute))
		if err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("Sessions after one expired = %v, %v; want the live one", list, err)
		}
	})

	t.Run("RecordsExpire", func(t *testing.T) {
		// Records go away by themselves, in real time: measured from the
		// now given (Base), not from the real clock.
		st := h.New(t)
		s := session("alice", now)
		s.Expires, s.Deadline = now.Add(Expiry), now.Add(Expiry)
		create(t, st, s, 32, now)
		if err := st.RevokeToken(t.Context(), "bob", id(), now, now.Add(Expiry)); err != nil {
			t.Fatal(err)
		}
		if err := st.RevokeSubject(t.Context(), "carol", now, now.Add(Expiry)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * Expiry)
		for h.Len(st) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d records left %v after they expired", h.Len(st), 10*Expiry)
			}
			time.Sleep(Expiry / 4)
			// A write gives a lazy store the chance to drop them.
			st.EndSession(t.Context(), id(), "", now.Add(time.Since(deadline.Add(-10*Expiry))))
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		st := h.New(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		s := session("alice", now)
		checks := map[string]error{}
		checks["CreateSession"] = st.CreateSession(ctx, s, 32, now)
		_, checks["Session"] = st.Session(ctx, s.ID, now)
		_, _, checks["AdvanceSession"] = st.AdvanceSession(ctx, adv(s, 1, now))
		_, checks["EndSession"] = st.EndSession(ctx, s.ID, "", now)
		checks["RevokeSubject"] = st.RevokeSubject(ctx, "alice", now, now.Add(time.Hour))
		checks["RevokeToken"] = st.RevokeToken(ctx, "alice", id(), now, now.Add(time.Hour))
		_, checks["Sessions"] = st.Sessions(ctx, "alice", now)
		_, checks["Revoked"] = st.Revoked(ctx, ref(s, now))
		for name, err := range checks {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled context: %v; want context.Canceled", name, err)
			}
		}
	})

	t.Run("ManySubjects", func(t *testing.T) {
		// Concurrent logins, refreshes and revocations of many subjects:
		// each subject's outcome is its own.
		st := h.New(t)
		var wg sync.WaitGroup
		for k := range 8 {
			wg.Go(func() {
				subject := fmt.Sprintf("user%d", k)
				for range 10 {
					s := session(subject, now)
					if err := st.CreateSession(context.Background(), s, 4, now); err != nil {
						t.Error(err)
						return
					}
					if _, out, err := st.AdvanceSession(context.Background(), adv(s, 1, now)); err != nil || out != issuer.Advanced {
						t.Errorf("advance: %v, %v", out, err)
					}
				}
				list, err := st.Sessions(context.Background(), subject, now)
				if err != nil || len(list) != 4 {
					t.Errorf("%s: %d sessions, %v; want 4", subject, len(list), err)
				}
				if k%2 == 0 {
					if err := st.RevokeSubject(context.Background(), subject, now, now.Add(time.Hour)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		for k := range 8 {
			list, err := st.Sessions(t.Context(), fmt.Sprintf("user%d", k), now)
			want := 4
			if k%2 == 0 {
				want = 0
			}
			if err != nil || len(list) != want {
				t.Errorf("user%d: %d sessions, %v; want %d", k, len(list), err, want)
			}
		}
	})

	if h.Full == nil {
		return
	}
	t.Run("FullStoreRefusesLoginsNeverRevocations", func(t *testing.T) {
		st := h.Full(t, 4)
		var ss []*issuer.Session
		for k := range 4 {
			s := session(fmt.Sprintf("user%d", k), now)
			create(t, st, s, 32, now)
			ss = append(ss, s)
		}
		err := st.CreateSession(t.Context(), session("late", now), 32, now)
		if !errors.Is(err, issuer.ErrStoreFull) {
			t.Fatalf("CreateSession in a full store: %v; want ErrStoreFull", err)
		}
		// A subject at its cap still logs in: its oldest session makes room.
		s := session("user0", now.Add(time.Second))
		create(t, st, s, 1, now.Add(time.Second))
		mustRevoked(t, st, ref(ss[0], now), true)
		// Every revocation works in a full store.
		if ended, err := st.EndSession(t.Context(), ss[1].ID, "", now); err != nil || !ended {
			t.Fatalf("EndSession in a full store = %v, %v", ended, err)
		}
		if err := st.RevokeSubject(t.Context(), "user2", now, now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeSubject in a full store: %v", err)
		}
		create(t, st, session("late", now), 32, now) // room again
		if err := st.RevokeSubject(t.Context(), "norecord", now, now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeSubject in a full store: %v", err)
		}
		if err := st.RevokeToken(t.Context(), "user3", id(), now, now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeToken in a full store: %v", err)
		}
		advance(t, st, adv(ss[3], 1, now), issuer.Advanced)
		advance(t, st, adv(ss[3], 1, now), issuer.Reused)
		// Expired sessions make room.
		if err := st.CreateSession(t.Context(), session("later", now.Add(2*time.Hour)), 32, now.Add(2*time.Hour)); err != nil {
			t.Fatalf("CreateSession once the others expired: %v", err)
		}
	})
}
