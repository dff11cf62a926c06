// Package throttletest checks that a [throttle.Backend] behaves as
// [throttle.Limiter] relies on, by running the attacks that the Limiter
// must withstand against a Limiter on it: spraying many accounts from one
// client, one account from many clients, locking an account out by its
// username, names that try to collide or inject, concurrent failures, and
// forgetting. Every Backend runs the same table:
//
//	func TestThrottleConformance(t *testing.T) {
//		throttletest.Run(t, func(t *testing.T) throttle.Backend { return newBackend(t) })
//	}
//
// Each test controls the Limiter's clock through Config.Now; a Backend must
// take time only from the now it is given.
package throttletest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/throttle"
)

// Clock is a settable clock for Config.Now, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock set to a fixed time.
func NewClock() *Clock { return &Clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Config is the Limiter configuration of the suite, with small limits so
// that each attack is short: 3 free failures per account and client, 10 per
// client, waits of 1s doubling up to 1m, counters forgotten after 10m.
func Config(b throttle.Backend, c *Clock) throttle.Config {
	return throttle.Config{
		Backend:       b,
		AccountClient: throttle.Limit{Free: 3, Delay: time.Second, MaxDelay: time.Minute},
		Client:        throttle.Limit{Free: 10, Delay: time.Second, MaxDelay: time.Minute},
		Forget:        10 * time.Minute,
		Now:           c.Now,
	}
}

// attack is one row of the table: it gets a Limiter made from [Config], on
// a fresh Backend, changed by cfg if not nil.
type attack struct {
	name string
	cfg  func(*throttle.Config)
	run  func(t *testing.T, l *throttle.Limiter, c *Clock)
}

// Run runs the suite against fresh Backends made by newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) throttle.Backend) {
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			c := NewClock()
			cfg := Config(newBackend(t), c)
			if a.cfg != nil {
				a.cfg(&cfg)
			}
			l, err := throttle.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			a.run(t, l, c)
		})
	}

	t.Run("ConcurrentFailuresAllCount", func(t *testing.T) {
		b := newBackend(t)
		now := NewClock().Now()
		const n = 50
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if _, err := b.Add(t.Context(), "p:concurrent", now, time.Hour); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		r, err := b.Load(t.Context(), "p:concurrent")
		if err != nil || r.Failures != n || !r.Last.Equal(now) {
			t.Errorf("after %d concurrent Adds: %+v, %v; want %d failures at %v", n, r, err, n, now)
		}
	})

	t.Run("BackendSemantics", func(t *testing.T) {
		b, ctx := newBackend(t), t.Context()
		now := NewClock().Now()
		if r, err := b.Load(ctx, "c:absent"); err != nil || r != (throttle.Record{}) {
			t.Errorf("Load(absent) = %+v, %v; want the zero Record", r, err)
		}
		if err := b.Delete(ctx, "c:absent"); err != nil {
			t.Errorf("Delete(absent) = %v", err)
		}
		steps := []struct {
			at   time.Duration
			want int
			last time.Duration
		}{
			{0, 1, 0},
			{time.Second, 2, time.Second},
			{0, 3, time.Second}, // an earlier now never moves Last back
			{time.Second + time.Minute, 1, time.Second + time.Minute}, // forgotten after forget
		}
		for i, s := range steps {
			r, err := b.Add(ctx, "c:k", now.Add(s.at), time.Minute)
			if err != nil || r.Failures != s.want || !r.Last.Equal(now.Add(s.last)) {
				t.Errorf("Add %d = %+v, %v; want %d failures, last at +%v", i, r, err, s.want, s.last)
			}
		}
		if err := b.Delete(ctx, "c:k"); err != nil {
			t.Fatal(err)
		}
		if r, err := b.Load(ctx, "c:k"); err != nil || r != (throttle.Record{}) {
			t.Errorf("Load after Delete = %+v, %v", r, err)
		}
	})
}

var attacks = []attack{
	{
		// The waits of Limit's documentation, exactly.
		name: "BackoffDoubles",
		cfg:  func(cfg *throttle.Config) { cfg.Client.Free = 100 },
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			for i := range 3 {
				mustPass(t, l, "alice", "198.51.100.1", fmt.Sprint("free failure ", i))
				fail(t, l, "alice", "198.51.100.1")
			}
			for _, want := range []time.Duration{1, 2, 4, 8, 16, 32, 60, 60} {
				want *= time.Second
				mustWait(t, l, "alice", "198.51.100.1", want)
				c.Advance(want - time.Millisecond)
				mustWait(t, l, "alice", "198.51.100.1", time.Millisecond)
				c.Advance(time.Millisecond)
				mustPass(t, l, "alice", "198.51.100.1", "after the wait")
				fail(t, l, "alice", "198.51.100.1")
			}
		},
	},
	{
		name: "SuccessClearsOnlyItsPair",
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			for range 3 {
				fail(t, l, "alice", "198.51.100.1")
			}
			mustWait(t, l, "alice", "198.51.100.1", time.Second)
			c.Advance(time.Second)
			mustPass(t, l, "alice", "198.51.100.1", "after the wait")
			if err := l.Success(t.Context(), "alice", "198.51.100.1"); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				mustPass(t, l, "alice", "198.51.100.1", "after Success")
				fail(t, l, "alice", "198.51.100.1")
			}
			mustWait(t, l, "alice", "198.51.100.1", time.Second)
		},
	},
	{
		// An attacker who logs in to an account of his own between guesses
		// does not reset his client's counter.
		name: "OwnAccountDoesNotResetClient",
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			mallory := "203.0.113.66"
			for i := range 10 {
				fail(t, l, fmt.Sprint("victim", i), mallory)
				if err := l.Success(t.Context(), "mallory", mallory); err != nil {
					t.Fatal(err)
				}
			}
			mustWait(t, l, "victim99", mallory, time.Second)
			mustWait(t, l, "mallory", mallory, time.Second)
		},
	},
	{
		// One client, a few guesses at many accounts: its own counter stops
		// it, on every account, fresh ones too, and on no one else.
		name: "SprayManyAccountsFromOneClient",
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			mallory := "203.0.113.66"
			for i := range 10 {
				mustPass(t, l, fmt.Sprint("user", i), mallory, "spray within Client.Free")
				fail(t, l, fmt.Sprint("user", i), mallory)
			}
			for i := range 200 {
				mustWait(t, l, fmt.Sprint("user", i), mallory, time.Second)
			}
			// Knocking while refused does not lengthen the wait.
			c.Advance(time.Second)
			mustPass(t, l, "user1000", mallory, "after the client's wait")
			fail(t, l, "user1000", mallory)
			mustWait(t, l, "user1001", mallory, 2*time.Second)
			// The users themselves, on their own clients, are not touched.
			for i := range 10 {
				mustPass(t, l, fmt.Sprint("user", i), fmt.Sprintf("192.0.2.%d", i), "a sprayed user, from her own client")
			}
		},
	},
	{
		// Many clients, one account: each runs out of its own free
		// failures; the real user on hers is never refused.
		name: "OneAccountFromManyClients",
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			for i := range 300 {
				bot := fmt.Sprintf("2001:db8:%x::/64", i)
				for range 3 {
					fail(t, l, "alice", bot)
				}
				mustWait(t, l, "alice", bot, time.Second)
			}
			mustPass(t, l, "alice", "192.0.2.10", "the real user, from her client")
			fail(t, l, "alice", "192.0.2.10") // she mistypes once
			mustPass(t, l, "alice", "192.0.2.10", "the real user, after one typo")
			if err := l.Success(t.Context(), "alice", "192.0.2.10"); err != nil {
				t.Fatal(err)
			}
		},
	},
	{
		// The attack of issue 14: failing on purpose, knowing only the
		// username, for as long as the attacker likes.
		name: "LockoutByUsername",
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			mallory := "203.0.113.66"
			for range 24 * 60 { // a day, one try a minute when allowed
				if _, err := l.Check(t.Context(), "alice", mallory); err == nil {
					fail(t, l, "alice", mallory)
				}
				mustPass(t, l, "alice", "192.0.2.10", "the real user while she is attacked")
				c.Advance(time.Minute)
			}
		},
	},
	{
		name: "LockoutByUsernameWithAlarm",
		cfg:  func(cfg *throttle.Config) { cfg.AccountAlarm = 20 },
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			for i := range 100 {
				bot := fmt.Sprintf("2001:db8:%x::/64", i)
				if i < 7 {
					for range 3 {
						fail(t, l, "alice", bot)
					}
				} else {
					mustPass(t, l, "alice", bot, "a new client's first guess, under attack")
					fail(t, l, "alice", bot)
					mustWait(t, l, "alice", bot, time.Second)
				}
			}
			// The alarm is on. The real user still tries from her device,
			// and after a typo only waits the first Delay.
			mustPass(t, l, "alice", "192.0.2.10", "the real user, under attack")
			fail(t, l, "alice", "192.0.2.10")
			mustWait(t, l, "alice", "192.0.2.10", time.Second)
			c.Advance(time.Second)
			mustPass(t, l, "alice", "192.0.2.10", "the real user, after a second")
			// Another account is not under attack.
			fail(t, l, "bob", "192.0.2.10")
			mustPass(t, l, "bob", "192.0.2.10", "another account")
		},
	},
	{
		// Names are hashed apart: no account and client pair, and no
		// separator or line break in them, reaches another's counter.
		name: "HostileNames",
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			pairs := [][2]string{
				{"a:b", "c"}, {"a", "b:c"}, {"a:", "b"}, {"", "a:b"},
				{"alice\n", "192.0.2.1"}, {"alice", "\n192.0.2.1"},
				{"alice\r\nDEL *", "192.0.2.1"}, {"*", "192.0.2.1"},
				{"a\x00", "b"}, {"a", "\x00b"}, {"{tag}", "x"}, {"ключ", "x"},
			}
			for i, p := range pairs {
				// Each pair from a client of its own name fails to its
				// limit; none of the others moves.
				for range 3 {
					fail(t, l, p[0], p[1])
				}
				mustWait(t, l, p[0], p[1], time.Second)
				for _, q := range pairs[i+1:] {
					mustPass(t, l, q[0], q[1], fmt.Sprintf("after failures of %q", p))
				}
			}
		},
	},
	{
		name: "ForgottenAfterForget",
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			for range 6 {
				fail(t, l, "alice", "198.51.100.1")
			}
			mustWait(t, l, "alice", "198.51.100.1", 8*time.Second)
			c.Advance(10*time.Minute - time.Millisecond)
			mustPass(t, l, "alice", "198.51.100.1", "the wait is over")
			c.Advance(time.Millisecond)
			// Forgotten: 3 free failures again.
			for range 3 {
				mustPass(t, l, "alice", "198.51.100.1", "forgotten")
				fail(t, l, "alice", "198.51.100.1")
			}
			mustWait(t, l, "alice", "198.51.100.1", time.Second)
		},
	},
	{
		name: "CanceledContext",
		run: func(t *testing.T, l *throttle.Limiter, c *Clock) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := l.Check(ctx, "alice", "192.0.2.1"); !errors.Is(err, context.Canceled) || !errors.Is(err, throttle.ErrUnavailable) {
				t.Errorf("Check(canceled) = %v; want ErrUnavailable and context.Canceled", err)
			}
			if err := l.Failure(ctx, "alice", "192.0.2.1"); !errors.Is(err, context.Canceled) {
				t.Errorf("Failure(canceled) = %v", err)
			}
			if err := l.Success(ctx, "alice", "192.0.2.1"); !errors.Is(err, context.Canceled) {
				t.Errorf("Success(canceled) = %v", err)
			}
			mustPass(t, l, "alice", "192.0.2.1", "after calls with a canceled context")
		},
	},
}

// fail records a failure.
func fail(t *testing.T, l *throttle.Limiter, account, client string) {
	t.Helper()
	if err := l.Failure(t.Context(), account, client); err != nil {
		t.Fatalf("Failure(%q, %q): %v", account, client, err)
	}
}

// mustPass checks that Check lets a login through.
func mustPass(t *testing.T, l *throttle.Limiter, account, client, what string) {
	t.Helper()
	if d, err := l.Check(t.Context(), account, client); err != nil || d != 0 {
		t.Fatalf("%s: Check(%q, %q) = %v, %v; want 0, nil", what, account, client, d, err)
	}
}

// mustWait checks that Check refuses a login for want.
func mustWait(t *testing.T, l *throttle.Limiter, account, client string, want time.Duration) {
	t.Helper()
	if d, err := l.Check(t.Context(), account, client); !errors.Is(err, throttle.ErrThrottled) || d != want {
		t.Fatalf("Check(%q, %q) = %v, %v; want %v, ErrThrottled", account, client, d, err, want)
	}
}
