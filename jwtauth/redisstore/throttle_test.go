package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/authkit-go/authkit/throttle"
	"github.com/authkit-go/authkit/throttle/throttletest"
)

// The attack table of package throttle, on Redis.
func TestThrottleConformance(t *testing.T) {
	c := redistest.Start(t).Client(t)
	throttletest.Run(t, func(t *testing.T) throttle.Backend {
		return redisstore.NewThrottle(c, redisstore.Options{Prefix: "test:" + randomID() + ":"})
	})
}

// Keys are hashes under the prefix, whatever the names hold, and expire
// Forget after the last failure.
func TestThrottleKeys(t *testing.T) {
	c := redistest.Start(t).Client(t)
	l, err := throttle.New(throttle.Config{
		Backend:      redisstore.NewThrottle(c, redisstore.Options{}),
		AccountAlarm: 100,
		Forget:       2 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	names := [][2]string{
		{"alice", "192.0.2.1"},
		{"a:b", "c"}, {"a", "b:c"},
		{"alice\n", "192.0.2.1"}, {"alice\r\n*1\r\n$8\r\nFLUSHALL\r\n", "x"},
		{"') redis.call('FLUSHALL') --", "x"}, {"{slot}", "*"},
		{strings.Repeat("z", 10000), "x"},
	}
	for _, p := range names {
		if err := l.Failure(ctx, p[0], p[1]); err != nil {
			t.Fatalf("Failure(%q, %q): %v", p[0], p[1], err)
		}
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	// One client key per distinct client (192.0.2.1, c, b:c, x, *), one
	// pair and one account key per name.
	if want := 5 + 2*len(names); len(keys) != want {
		t.Errorf("%d keys; want %d: %q", len(keys), want, keys)
	}
	shape := regexp.MustCompile(`^authkit:throttle:[cpa]:[A-Za-z0-9_-]{22}$`)
	for _, k := range keys {
		if !shape.MatchString(k) {
			t.Errorf("key %q is not a hash under the prefix", k)
		}
		if d, err := c.PTTL(ctx, k).Result(); err != nil || !about(d, 2*time.Hour) {
			t.Errorf("PTTL(%q) = %v, %v; want ≈2h", k, d, err)
		}
	}
	// Success deletes the pair's key, and only it.
	if err := l.Success(ctx, "alice", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.DBSize(ctx).Result(); n != int64(len(keys)-1) {
		t.Errorf("DBSIZE after Success = %d; want %d", n, len(keys)-1)
	}
}

// Two instances, two clients, one Redis: the failures on one count on the
// other.
func TestThrottleSharedByInstances(t *testing.T) {
	srv := redistest.Start(t)
	clock := throttletest.NewClock()
	var ls [2]*throttle.Limiter
	for i := range ls {
		l, err := throttle.New(throttletest.Config(redisstore.NewThrottle(srv.Client(t), redisstore.Options{}), clock))
		if err != nil {
			t.Fatal(err)
		}
		ls[i] = l
	}
	ctx := t.Context()
	for i := range 3 {
		if err := ls[i%2].Failure(ctx, "alice", "203.0.113.66"); err != nil {
			t.Fatal(err)
		}
	}
	for i, l := range ls {
		if d, err := l.Check(ctx, "alice", "203.0.113.66"); !errors.Is(err, throttle.ErrThrottled) || d != time.Second {
			t.Errorf("instance %d: Check = %v, %v; want 1s, ErrThrottled", i, d, err)
		}
	}
}

// Redis killed mid-test: logins fail closed, with an error that says the
// throttle is unavailable, and quickly; with InsecureFailOpen they go on.
// A restarted, empty Redis has forgotten every counter.
func TestThrottleRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	clock := throttletest.NewClock()
	closed, err := throttle.New(throttletest.Config(redisstore.NewThrottle(c, redisstore.Options{}), clock))
	if err != nil {
		t.Fatal(err)
	}
	cfg := throttletest.Config(redisstore.NewThrottle(c, redisstore.Options{}), clock)
	cfg.InsecureFailOpen = true
	open, err := throttle.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for range 3 {
		closed.Failure(ctx, "alice", "203.0.113.66")
	}
	if _, err := closed.Check(ctx, "alice", "203.0.113.66"); !errors.Is(err, throttle.ErrThrottled) {
		t.Fatalf("before the crash: %v", err)
	}

	srv.Stop()
	start := time.Now()
	d, err := closed.Check(ctx, "alice", "192.0.2.10")
	if !errors.Is(err, throttle.ErrUnavailable) || errors.Is(err, throttle.ErrThrottled) || d != 0 {
		t.Errorf("Check with Redis down = %v, %v; want ErrUnavailable (fail closed)", d, err)
	} else if !strings.Contains(err.Error(), "redisstore: throttle load: ") {
		t.Errorf("the error does not say what failed: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Check with Redis down took %v", el)
	}
	if err := closed.Failure(ctx, "alice", "192.0.2.10"); !errors.Is(err, throttle.ErrUnavailable) {
		t.Errorf("Failure with Redis down = %v", err)
	}
	if err := closed.Success(ctx, "alice", "192.0.2.10"); !errors.Is(err, throttle.ErrUnavailable) {
		t.Errorf("Success with Redis down = %v", err)
	}
	if d, err := open.Check(ctx, "alice", "203.0.113.66"); err != nil || d != 0 {
		t.Errorf("InsecureFailOpen: Check with Redis down = %v, %v; want 0, nil", d, err)
	}

	srv.Restart()
	if _, err := closed.Check(ctx, "alice", "203.0.113.66"); err != nil {
		t.Errorf("after a restart of an empty Redis: %v; want nil, the counters are gone", err)
	}
	closed.Failure(ctx, "alice", "203.0.113.66")
	if err := closed.Failure(ctx, "alice", "203.0.113.66"); err != nil {
		t.Errorf("Failure after the restart: %v", err)
	}
}

// A Redis that does not answer holds a Check no longer than the caller's
// deadline, and the error says so.
func TestThrottleContextDeadline(t *testing.T) {
	srv := redistest.Start(t)
	c, admin := srv.Client(t), srv.Client(t)
	l, err := throttle.New(throttle.Config{Backend: redisstore.NewThrottle(c, redisstore.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Check(t.Context(), "alice", "192.0.2.1"); err != nil { // connect first
		t.Fatal(err)
	}
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", 2000, "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(ctx context.Context) error{
		"Check": func(ctx context.Context) error {
			_, err := l.Check(ctx, "alice", "192.0.2.1")
			return err
		},
		"Failure": func(ctx context.Context) error { return l.Failure(ctx, "alice", "192.0.2.1") },
		"Success": func(ctx context.Context) error { return l.Success(ctx, "alice", "192.0.2.1") },
	}
	for name, call := range calls {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		elapsed := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, throttle.ErrUnavailable) {
			t.Errorf("%s on a paused Redis: %v; want ErrUnavailable and context.DeadlineExceeded", name, err)
		}
		if elapsed > time.Second {
			t.Errorf("%s took %v with a 200ms deadline", name, elapsed)
		}
	}
}

func TestThrottleRejectsLongKeys(t *testing.T) {
	c := redistest.Start(t).Client(t)
	s := redisstore.NewThrottle(c, redisstore.Options{})
	long := strings.Repeat("k", redisstore.MaxIDLength+1)
	ctx := t.Context()
	if _, err := s.Load(ctx, long); !errors.Is(err, redisstore.ErrInvalidID) {
		t.Errorf("Load(long) = %v", err)
	}
	if _, err := s.Add(ctx, long, time.Now(), time.Hour); !errors.Is(err, redisstore.ErrInvalidID) {
		t.Errorf("Add(long) = %v", err)
	}
	if err := s.Delete(ctx, long); !errors.Is(err, redisstore.ErrInvalidID) {
		t.Errorf("Delete(long) = %v", err)
	}
	if _, err := s.Add(ctx, "k", time.Now(), 0); err == nil {
		t.Error("Add with forget 0 succeeded")
	}
}

// BenchmarkThrottleCheck is a Check that lets a login through, on a Redis
// on the loopback interface: two HMGETs.
func BenchmarkThrottleCheck(b *testing.B) {
	c := redistest.Start(b).Client(b)
	l, err := throttle.New(throttle.Config{Backend: redisstore.NewThrottle(c, redisstore.Options{})})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	for i := range 1000 {
		l.Failure(ctx, fmt.Sprint("user", i), fmt.Sprintf("192.0.2.%d", i%250))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Check(ctx, "user42", "192.0.2.42"); err != nil {
			b.Fatal(err)
		}
	}
}
