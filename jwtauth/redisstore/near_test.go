package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/redis/go-redis/v9"
)

// testLag is the MaxLag of the near caches of the tests.
const testLag = 100 * time.Millisecond

// nearStore returns a Store with a near cache, of its own client of srv,
// under prefix, closed when t ends.
func nearStore(t testing.TB, srv *redistest.Server, prefix string, o redisstore.NearCacheOptions) *redisstore.Store {
	t.Helper()
	if o.MaxLag == 0 {
		o.MaxLag = testLag
	}
	st, err := redisstore.New(context.Background(), srv.Client(t), redisstore.Options{Prefix: prefix, NearCache: &o})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// waitFresh waits until the near cache of st answers from memory.
func waitFresh(t testing.TB, st *redisstore.Store) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !st.NearCacheStats().Fresh; {
		if time.Now().After(deadline) {
			t.Fatalf("the near cache is not fresh after 10s: %+v", st.NearCacheStats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pair returns two instances, A and B, with near caches on one Redis.
func pair(t *testing.T, srv *redistest.Server, o redisstore.NearCacheOptions) (a, b *redisstore.Store) {
	t.Helper()
	prefix := "near:" + randomID() + ":"
	a, b = nearStore(t, srv, prefix, o), nearStore(t, srv, prefix, o)
	waitFresh(t, a)
	waitFresh(t, b)
	return a, b
}

// warm makes st cache r and checks it answers want, from memory. (A
// heartbeat late on a busy machine makes the cache fall back to Redis for
// a moment: warm tries again then.)
func warm(t *testing.T, st *redisstore.Store, r jwtauth.TokenRef, want bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		hits := st.NearCacheStats().Hits
		mustRevoked(t, st, r, want)
		if st.NearCacheStats().Hits > hits {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Revoked was not answered from memory for 5s: %+v", st.NearCacheStats())
		}
		time.Sleep(time.Millisecond)
	}
}

// honoured polls Revoked(r) on st until it is true, and fails if a call
// made more than testLag after since, the end of r's revocation, answers
// false (or errors for 5s). It returns how long after since it first said so.
func honoured(t *testing.T, st *redisstore.Store, r jwtauth.TokenRef, since time.Time) time.Duration {
	t.Helper()
	for {
		start := time.Now()
		revoked, err := st.Revoked(t.Context(), r)
		if err == nil && revoked {
			return time.Since(since)
		}
		// An error fails closed: it may go on for a while after an outage.
		if d := start.Sub(since); (err == nil && d > testLag) || d > 5*time.Second {
			t.Fatalf("Revoked = %v, %v, asked %v after the revocation; want true after MaxLag %v", revoked, err, d, testLag)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// never asks st about r for d, and fails if it answers false to a call
// made more than MaxLag after since, the end of r's revocation; errors
// are failing closed, and allowed.
func never(t *testing.T, st *redisstore.Store, r jwtauth.TokenRef, since time.Time, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		start := time.Now()
		revoked, err := st.Revoked(ctx, r)
		cancel()
		if err == nil && !revoked && start.Sub(since) > testLag {
			t.Fatalf("a revoked token passed: Revoked(session %q, subject %q) = false", r.Session, r.Subject)
		}
		time.Sleep(time.Millisecond)
	}
}

func login(t *testing.T, st *redisstore.Store, subject string) *issuer.Session {
	t.Helper()
	s := session(subject, storetest.Base)
	if err := st.CreateSession(t.Context(), s, 32, storetest.Base); err != nil {
		t.Fatal(err)
	}
	return s
}

func end(t *testing.T, st *redisstore.Store, s *issuer.Session) {
	t.Helper()
	if ended, err := st.EndSession(t.Context(), s.ID, s.Subject, storetest.Base); err != nil || !ended {
		t.Fatalf("EndSession = %v, %v", ended, err)
	}
}

// The storetest suite holds with a near cache on.
func TestNearCacheConformance(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) issuer.Store {
			st := nearStore(t, srv, "test:"+randomID()+":", redisstore.NearCacheOptions{})
			waitFresh(t, st)
			return st
		},
		Len: func(s issuer.Store) int { return len(keys(t, c, s.(*redisstore.Store))) },
	})
}

// What the near cache answers is what Redis answers, for every kind of
// revocation, on the instance that made it and on another.
func TestNearCacheSemantics(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a, b := pair(t, srv, redisstore.NearCacheOptions{})
	ctx, now := t.Context(), storetest.Base
	for _, on := range []*redisstore.Store{a, b} {
		// Logout.
		s := login(t, a, "alice"+randomID())
		r := sessionRef(s, now)
		warm(t, a, r, false)
		warm(t, b, r, false)
		end(t, on, s)
		honoured(t, a, r, time.Now())
		honoured(t, b, r, time.Now())

		// The session's expiry, by the caller's clock, with no write.
		s = login(t, a, "bob"+randomID())
		warm(t, a, sessionRef(s, now), false)
		mustRevoked(t, a, sessionRef(s, s.Expires), true)
		// A session read with another subject.
		wrong := sessionRef(s, now)
		wrong.Subject = "mallory"
		mustRevoked(t, a, wrong, true)

		// A refresh moves expires; a reuse ends the session.
		if _, out, err := on.AdvanceSession(ctx, advance(s, 1, now.Add(30*time.Minute))); err != nil || out != issuer.Advanced {
			t.Fatalf("AdvanceSession = %v, %v", out, err)
		}
		later := sessionRef(s, now.Add(80*time.Minute)) // past the first expires, before the new one
		for deadline := time.Now().Add(testLag + 50*time.Millisecond); ; {
			if revoked, err := a.Revoked(ctx, later); err == nil && !revoked {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the refreshed session's new expiry did not reach A")
			}
			time.Sleep(time.Millisecond)
		}
		warm(t, a, later, false)
		if _, out, err := on.AdvanceSession(ctx, advance(s, 1, now.Add(31*time.Minute))); err != nil || out != issuer.Reused {
			t.Fatalf("reuse = %v, %v", out, err)
		}
		honoured(t, a, later, time.Now())

		// RevokeSubject: its sessions, and its tokens without a session.
		sub := "carol" + randomID()
		s = login(t, a, sub)
		tok := jwtauth.TokenRef{ID: randomID(), Subject: sub, IssuedAt: now, Now: now}
		noJTI := jwtauth.TokenRef{Subject: sub, IssuedAt: now, Now: now}
		warm(t, a, sessionRef(s, now), false)
		warm(t, a, tok, false)
		warm(t, a, noJTI, false)
		if err := on.RevokeSubject(ctx, sub, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		since := time.Now()
		honoured(t, a, sessionRef(s, now), since)
		honoured(t, a, tok, since)
		honoured(t, a, noJTI, since)
		// Until it lapses, by the caller's clock; tokens issued after are
		// not revoked.
		mustRevoked(t, a, jwtauth.TokenRef{ID: tok.ID, Subject: sub, IssuedAt: now, Now: now.Add(time.Hour)}, false)
		warm(t, a, jwtauth.TokenRef{ID: randomID(), Subject: sub, IssuedAt: now.Add(time.Second), Now: now.Add(time.Second)}, false)

		// RevokeToken: that token only.
		sub = "dave" + randomID()
		tok = jwtauth.TokenRef{ID: randomID(), Subject: sub, IssuedAt: now, Now: now}
		other := jwtauth.TokenRef{ID: randomID(), Subject: sub, IssuedAt: now, Now: now}
		warm(t, a, tok, false)
		warm(t, a, other, false)
		if err := on.RevokeToken(ctx, sub, tok.ID, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		honoured(t, a, tok, time.Now())
		warm(t, a, other, false)
		warm(t, a, jwtauth.TokenRef{ID: tok.ID, Subject: sub, IssuedAt: now, Now: now.Add(time.Hour)}, false)

		// The per-subject cap ends the oldest session.
		sub = "erin" + randomID()
		first := login(t, a, sub)
		warm(t, a, sessionRef(first, now), false)
		if err := on.CreateSession(ctx, session(sub, now), 1, now); err != nil {
			t.Fatal(err)
		}
		honoured(t, a, sessionRef(first, now), time.Now())
	}
	if st := a.NearCacheStats(); st.Hits == 0 || st.Misses == 0 || st.Entries == 0 || !st.Fresh {
		t.Errorf("stats %+v; want hits, misses and entries", st)
	}
}

// The attacks and faults of a near cache: in each, a revoked token never
// passes once MaxLag has passed, and the cache comes back into use after.
func TestNearCacheAttacks(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name   string
		config []string
		run    func(t *testing.T, srv *redistest.Server)
	}{
		{"PropagationUnderLoad", nil, propagation},
		{"SubscriptionKilled", nil, subscriptionKilled},
		{"RedisStopped", nil, redisStopped},
		{"RedisKilledNoPersistence", nil, redisKilled(false)},
		{"RedisKilledAppendOnly", []string{"--appendonly", "yes", "--appendfsync", "always"}, redisKilled(true)},
		{"ReadInvalidateRace", nil, readInvalidateRace},
		{"Flood", nil, flood},
		{"CanceledMiss", nil, canceledMiss},
		{"FullRedis", []string{"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"}, fullRedis},
		{"JunkOnTheChannel", nil, junk},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			row.run(t, redistest.Start(t, row.config...))
		})
	}
}

// (a) Revocations on B reach A, whose cache is warm and under load, within
// MaxLag (p99); the test measures how fast.
func propagation(t *testing.T, srv *redistest.Server) {
	a, b := pair(t, srv, redisstore.NearCacheOptions{})
	now := storetest.Base
	const n = 500
	ss := make([]*issuer.Session, n)
	for i := range ss {
		ss[i] = login(t, b, fmt.Sprint("user", i))
		mustRevoked(t, a, sessionRef(ss[i], now), false)
	}
	// Load: goroutines asking A about live sessions meanwhile.
	live := login(t, b, "load")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var loadErr atomic.Value
	for range 2 {
		wg.Go(func() {
			r := sessionRef(live, now)
			for {
				runtime.Gosched() // as a server's goroutines, which wait on the network
				select {
				case <-stop:
					return
				default:
				}
				if revoked, err := a.Revoked(context.Background(), r); err != nil || revoked {
					loadErr.Store(fmt.Sprint(revoked, err))
					return
				}
			}
		})
	}
	hits := a.NearCacheStats().Hits
	delays := make([]time.Duration, n)
	for i, s := range ss {
		r := sessionRef(s, now)
		mustRevoked(t, a, r, false) // from memory
		end(t, b, s)
		delays[i] = honoured(t, a, r, time.Now())
	}
	close(stop)
	wg.Wait()
	if v := loadErr.Load(); v != nil {
		t.Fatalf("load on A: %v", v)
	}
	if got := a.NearCacheStats().Hits - hits; got < n {
		t.Fatalf("A answered %d calls from memory; want at least %d", got, n)
	}
	slices.Sort(delays)
	p50, p99, top := delays[n/2], delays[n*99/100], delays[n-1]
	t.Logf("propagation B→A over %d revocations under load: p50 %v, p99 %v, max %v", n, p50, p99, top)
	if p99 > 100*time.Millisecond {
		t.Errorf("p99 propagation %v; want ≤ 100ms", p99)
	}
}

// (b) A's subscription is killed, and B revokes at once, while A cannot
// hear it: A flushes, never answers false after MaxLag, and resynchronises.
func subscriptionKilled(t *testing.T, srv *redistest.Server) {
	a, b := pair(t, srv, redisstore.NearCacheOptions{})
	now := storetest.Base
	s := login(t, b, "alice")
	r := sessionRef(s, now)
	warm(t, a, r, false)
	flushes := a.NearCacheStats().Flushes
	admin := srv.Client(t)
	if err := admin.Do(t.Context(), "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	end(t, b, s)
	since := time.Now()
	honoured(t, a, r, since)
	never(t, a, r, since, 300*time.Millisecond)
	waitFresh(t, a)
	if got := a.NearCacheStats().Flushes; got <= flushes {
		t.Errorf("flushes %d → %d; want a flush for the lost subscription", flushes, got)
	}
	// The cache is in use again, and hears B.
	s = login(t, b, "alice")
	r = sessionRef(s, now)
	warm(t, a, r, false)
	end(t, b, s)
	honoured(t, a, r, time.Now())
	warm(t, a, r, true)
}

// (c) Redis stalls (SIGSTOP): within MaxLag A stops answering from memory,
// and fails closed; once Redis runs again, A recovers.
func redisStopped(t *testing.T, srv *redistest.Server) {
	a, b := pair(t, srv, redisstore.NearCacheOptions{})
	now := storetest.Base
	s := login(t, b, "alice")
	r := sessionRef(s, now)
	warm(t, a, r, false)
	srv.Pause()
	paused := time.Now()
	defer srv.Resume()
	for a.NearCacheStats().Fresh {
		if d := time.Since(paused); d > testLag+30*time.Millisecond {
			t.Fatalf("A still answers from memory %v into a stall; want at most MaxLag %v", d, testLag)
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("A stopped answering from memory %v into the stall", time.Since(paused))
	for range 3 {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		revoked, err := a.Revoked(ctx, r)
		cancel()
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Revoked on a stalled Redis = %v, %v; want an error matching DeadlineExceeded", revoked, err)
		}
	}
	// Longer than the 1s after which the subscription is dropped.
	time.Sleep(1500 * time.Millisecond)
	srv.Resume()
	waitFresh(t, a)
	warm(t, a, r, false)
	end(t, b, s)
	honoured(t, a, r, time.Now())
	if st := a.NearCacheStats(); st.Fallbacks == 0 || st.Flushes == 0 {
		t.Errorf("stats %+v; want fallbacks and a flush", st)
	}
}

// (d) Redis is killed and restarted on the same port. Without persistence
// every session is gone, and so revoked; with it, the state is back, and a
// session revoked after the restart is revoked on A too. Never does A
// serve a cached "not revoked" from before.
func redisKilled(persistent bool) func(t *testing.T, srv *redistest.Server) {
	return func(t *testing.T, srv *redistest.Server) {
		a, b := pair(t, srv, redisstore.NearCacheOptions{})
		now := storetest.Base
		s := login(t, b, "alice")
		kept := login(t, b, "bob")
		r := sessionRef(s, now)
		warm(t, a, r, false)
		warm(t, a, sessionRef(kept, now), false)
		flushes := a.NearCacheStats().Flushes
		srv.Restart()
		restarted := time.Now()
		if persistent {
			// Revoked after the restart, through B, at once.
			for {
				ended, err := b.EndSession(t.Context(), s.ID, s.Subject, now)
				if err == nil && ended {
					break
				}
				if err == nil || time.Since(restarted) > 5*time.Second {
					t.Fatalf("EndSession after the restart = %v, %v", ended, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		since := time.Now()
		honoured(t, a, r, since)
		never(t, a, r, since, 300*time.Millisecond)
		waitFresh(t, a)
		if got := a.NearCacheStats().Flushes; got <= flushes {
			t.Errorf("flushes %d → %d; want a flush for the restart", flushes, got)
		}
		// bob's session survives with persistence only.
		warm(t, a, sessionRef(kept, now), !persistent)
	}
}

// (e) Many goroutines on A miss on one session, and on one subject's
// token, while B revokes and restores them over and over: a read of Redis
// that an invalidation overtakes must not be installed, so that once B's
// last revocation has landed, A says revoked, for good.
func readInvalidateRace(t *testing.T, srv *redistest.Server) {
	a, b := pair(t, srv, redisstore.NearCacheOptions{})
	ctx, now := t.Context(), storetest.Base
	s := session("alice", now)
	tok := jwtauth.TokenRef{ID: randomID(), Subject: "bob", IssuedAt: now, Now: now}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var calls atomic.Int64
	for i := range 8 {
		wg.Go(func() {
			r := sessionRef(s, now)
			if i%2 == 1 {
				r = tok
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := a.Revoked(ctx, r); err != nil {
					t.Errorf("Revoked: %v", err)
					return
				}
				calls.Add(1)
			}
		})
	}
	for i := range 100 {
		if err := b.CreateSession(ctx, s, 32, now); err != nil {
			t.Fatal(err)
		}
		end(t, b, s)
		// Other tokens of the subject, each an invalidation of its record
		// (fewer than MaxRevokedTokens, which would revoke them all).
		if err := b.RevokeToken(ctx, tok.Subject, fmt.Sprint("other", i%40), now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.RevokeToken(ctx, tok.Subject, tok.ID, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	honoured(t, a, sessionRef(s, now), since)
	honoured(t, a, tok, since)
	never(t, a, sessionRef(s, now), since, 300*time.Millisecond)
	never(t, a, tok, since, 100*time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d concurrent calls on A; %+v", calls.Load(), a.NearCacheStats())
}

// (f) More sessions and tokens than MaxEntries: the cache stays within its
// bound, and every answer is right.
func flood(t *testing.T, srv *redistest.Server) {
	const max = 100
	a, b := pair(t, srv, redisstore.NearCacheOptions{MaxEntries: max})
	now := storetest.Base
	var ss []*issuer.Session
	for i := range 1000 {
		s := login(t, b, fmt.Sprint("user", i%50))
		if i%2 == 0 {
			end(t, b, s)
		}
		ss = append(ss, s)
	}
	for round := range 2 {
		for i, s := range ss {
			mustRevoked(t, a, sessionRef(s, now), i%2 == 0)
			if n := a.NearCacheStats().Entries; n > max {
				t.Fatalf("round %d: %d entries; want at most %d", round, n, max)
			}
		}
	}
	// One subject, many token ids, of which a few revoked (fewer than
	// MaxRevokedTokens, which would revoke them all).
	for i := range 300 {
		tok := jwtauth.TokenRef{ID: fmt.Sprint("jti", i), Subject: "flood", IssuedAt: now, Now: now}
		if i%3 == 0 && i < 150 {
			if err := b.RevokeToken(t.Context(), tok.Subject, tok.ID, now, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 2 {
		for i := range 300 {
			tok := jwtauth.TokenRef{ID: fmt.Sprint("jti", i), Subject: "flood", IssuedAt: now, Now: now}
			mustRevoked(t, a, tok, i%3 == 0 && i < 150)
			if n := a.NearCacheStats().Entries; n > max {
				t.Fatalf("%d entries; want at most %d", n, max)
			}
		}
	}
	// A hot entry is still answered from memory.
	warm(t, a, sessionRef(ss[1], now), false)
	if st, n := a.NearCacheStats(), a.NearCacheCount(); st.Entries != n {
		t.Errorf("the cache counts %d entries, and holds %d", st.Entries, n)
	}
}

// (g) A canceled or expired context on a miss is an error, never an
// answer, also for the callers waiting on another's read.
func canceledMiss(t *testing.T, srv *redistest.Server) {
	a, b := pair(t, srv, redisstore.NearCacheOptions{})
	now := storetest.Base
	s := login(t, b, "alice")
	r := sessionRef(s, now)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if revoked, err := a.Revoked(ctx, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Revoked with a canceled context = %v, %v; want context.Canceled", revoked, err)
	}
	// Cold, with Redis stalled: the first caller's read hangs, and the
	// others wait for it, each within its own context.
	srv.Pause()
	defer srv.Resume()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), time.Duration(10+5*i)*time.Millisecond)
			defer cancel()
			if revoked, err := a.Revoked(ctx, r); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Revoked with a short deadline on a stalled Redis = %v, %v; want DeadlineExceeded", revoked, err)
			}
		})
	}
	wg.Wait()
	srv.Resume()
	waitFresh(t, a)
	warm(t, a, r, false)
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if revoked, err := a.Revoked(ctx, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Revoked with a canceled context, cached = %v, %v; want context.Canceled", revoked, err)
	}
}

// (h) On a full Redis (maxmemory, noeviction) revocations still publish,
// and A honours them.
func fullRedis(t *testing.T, srv *redistest.Server) {
	a, b := pair(t, srv, redisstore.NearCacheOptions{})
	ctx, now := t.Context(), storetest.Base
	claims := json.RawMessage(`{"pad":"` + strings.Repeat("x", 1000) + `"}`)
	var ss []*issuer.Session
	for k := 0; ; k++ {
		if k == 100000 {
			t.Fatal("100000 logins and Redis is not full")
		}
		s := session(fmt.Sprintf("user%d", k), now)
		s.Claims = claims
		if err := b.CreateSession(ctx, s, 32, now); err != nil {
			if !errors.Is(err, issuer.ErrStoreFull) {
				t.Fatal(err)
			}
			break
		}
		ss = append(ss, s)
	}
	c := srv.Client(t)
	if err := c.Eval(ctx, "#!lua flags=allow-oom\nreturn redis.call('SET', KEYS[1], string.rep('x', 262144))", []string{"filler"}).Err(); err != nil {
		t.Fatal(err)
	}
	for _, s := range ss[:3] {
		warm(t, a, sessionRef(s, now), false)
	}
	tok := jwtauth.TokenRef{ID: randomID(), Subject: ss[2].Subject, IssuedAt: now, Now: now}
	warm(t, a, tok, false)

	end(t, b, ss[0])
	honoured(t, a, sessionRef(ss[0], now), time.Now())
	if err := b.RevokeSubject(ctx, ss[1].Subject, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	honoured(t, a, sessionRef(ss[1], now), time.Now())
	if err := b.RevokeToken(ctx, tok.Subject, tok.ID, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	honoured(t, a, tok, time.Now())
	warm(t, a, sessionRef(ss[2], now), false)
	if used, max := memory(t, c); used <= max {
		t.Errorf("used_memory %d ≤ maxmemory %d: Redis was not full", used, max)
	}
}

// (i) Messages of no known form on the invalidation channel (a client of
// Redis that publishes there) empty the cache: they cost round trips,
// never a wrong answer.
func junk(t *testing.T, srv *redistest.Server) {
	a, b := pair(t, srv, redisstore.NearCacheOptions{})
	now := storetest.Base
	s := login(t, b, "alice")
	warm(t, a, sessionRef(s, now), false)
	c := srv.Client(t)
	for _, payload := range []string{"", "x", "s", "zz:" + s.ID, strings.Repeat("s:", 10000)} {
		if err := c.SPublish(t.Context(), a.Prefix()+"inv", payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(time.Second); a.NearCacheStats().Entries != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("entries after junk: %+v", a.NearCacheStats())
		}
		time.Sleep(time.Millisecond)
	}
	warm(t, a, sessionRef(s, now), false)
	end(t, b, s)
	honoured(t, a, sessionRef(s, now), time.Now())
}

// New refuses NearCacheOptions it cannot honour, and Close is idempotent,
// and a no-op without a near cache.
func TestNearCacheOptions(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	ctx := t.Context()
	for _, o := range []redisstore.NearCacheOptions{{MaxEntries: -1}, {MaxLag: -time.Second}, {MaxLag: time.Millisecond}} {
		if st, err := redisstore.New(ctx, c, redisstore.Options{NearCache: &o}); err == nil {
			st.Close()
			t.Errorf("New with %+v succeeded", o)
		}
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": srv.Addr()}})
	defer ring.Close()
	if _, err := redisstore.New(ctx, ring, redisstore.Options{Prefix: "{x}:", NearCache: &redisstore.NearCacheOptions{}}); err == nil || !strings.Contains(err.Error(), "Ring") {
		t.Errorf("New with a near cache on a Ring: %v", err)
	}
	plain := newStore(t, c)
	if err := plain.Close(); err != nil {
		t.Error(err)
	}
	if st := plain.NearCacheStats(); st != (redisstore.NearCacheStats{}) {
		t.Errorf("stats without a near cache: %+v", st)
	}
	st := nearStore(t, srv, "test:"+randomID()+":", redisstore.NearCacheOptions{})
	waitFresh(t, st)
	s := login(t, st, "alice")
	warm(t, st, sessionRef(s, storetest.Base), false)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// After Close, every call reads Redis.
	if stats := st.NearCacheStats(); stats.Fresh || stats.Entries != 0 {
		t.Errorf("stats after Close: %+v", stats)
	}
	mustRevoked(t, st, sessionRef(s, storetest.Base), false)
	if stats := st.NearCacheStats(); stats.Entries != 0 {
		t.Errorf("entries after Close: %+v", stats)
	}
}

// A Redis user without the permission of the invalidation channel cannot
// write: the scripts fail, closed, rather than leave near caches unaware of
// a revocation; with it, everything works.
func TestNearCacheChannelPermission(t *testing.T) {
	t.Parallel()
	const password = "channel-test-password"
	srv := redistest.Start(t,
		"--user", "nochan", "on", ">"+password, "~*", "resetchannels", "+@all",
		"--user", "chan", "on", ">"+password, "~*", "&test:*", "+@all")
	for _, user := range []string{"nochan", "chan"} {
		opts := srv.Options()
		opts.Username, opts.Password = user, password
		c := redis.NewClient(opts)
		t.Cleanup(func() { c.Close() })
		st, err := redisstore.New(t.Context(), c, redisstore.Options{Prefix: "test:" + randomID() + ":"})
		if err != nil {
			t.Fatal(err)
		}
		now := storetest.Base
		s := session("alice", now)
		err = st.CreateSession(t.Context(), s, 32, now)
		if user == "chan" {
			if err != nil {
				t.Fatalf("CreateSession with the channel's permission: %v", err)
			}
			end(t, st, s)
			continue
		}
		if err == nil {
			t.Fatal("CreateSession without the channel's permission succeeded")
		}
		if err := st.RevokeSubject(t.Context(), "alice", now, now.Add(time.Hour)); err == nil {
			t.Fatal("RevokeSubject without the channel's permission succeeded")
		}
		t.Logf("without the permission: %v", err)
	}
}
