package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/authkit-go/authkit/jwtauth/storetest"
)

func TestConformance(t *testing.T) {
	c := redistest.Start(t).Client(t)
	storetest.Run(t, func(t *testing.T) jwtauth.Store {
		// A prefix of its own per store: each subtest starts empty.
		return redisstore.New(c, redisstore.Options{Prefix: "test:" + randomID() + ":"})
	})
}

func TestKeysExpireWithTheirEntries(t *testing.T) {
	c := redistest.Start(t).Client(t)
	s := redisstore.New(c, redisstore.Options{})
	ctx := t.Context()
	a, b := randomID(), randomID()

	if err := s.Revoke(ctx, a, time.Now().Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if d := pttl(t, c, "authkit:rev:"+a); !about(d, 2*time.Second) {
		t.Errorf("after Revoke(now+2s): PTTL = %v; want ≈2s", d)
	}
	// A shorter revocation leaves the deadline alone; a longer one moves it.
	if err := s.Revoke(ctx, a, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if d := pttl(t, c, "authkit:rev:"+a); !about(d, 2*time.Second) {
		t.Errorf("after a shorter Revoke: PTTL = %v; want ≈2s still", d)
	}
	if err := s.Revoke(ctx, a, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d := pttl(t, c, "authkit:rev:"+a); !about(d, time.Hour) {
		t.Errorf("after a longer Revoke: PTTL = %v; want ≈1h", d)
	}

	if first, err := s.Consume(ctx, b, time.Now().Add(3*time.Second)); err != nil || !first {
		t.Fatalf("Consume = %v, %v", first, err)
	}
	if d := pttl(t, c, "authkit:use:"+b); !about(d, 3*time.Second) {
		t.Errorf("after Consume(now+3s): PTTL = %v; want ≈3s", d)
	}
	// A second Consume changes nothing.
	if first, err := s.Consume(ctx, b, time.Now().Add(time.Hour)); err != nil || first {
		t.Fatalf("second Consume = %v, %v", first, err)
	}
	if d := pttl(t, c, "authkit:use:"+b); !about(d, 3*time.Second) {
		t.Errorf("after a second Consume: PTTL = %v; want ≈3s still", d)
	}

	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	if want := []string{"authkit:rev:" + a, "authkit:use:" + b}; !slices.Equal(keys, want) {
		t.Errorf("keys = %q; want %q", keys, want)
	}
}

func TestPastUntilStoresNothing(t *testing.T) {
	c := redistest.Start(t).Client(t)
	s := redisstore.New(c, redisstore.Options{})
	ctx, a := t.Context(), randomID()
	past := time.Now().Add(-time.Second)
	if err := s.Revoke(ctx, a, past); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if first, err := s.Consume(ctx, a, past); err != nil || !first {
			t.Errorf("Consume(past) = %v, %v; want true: nothing is remembered", first, err)
		}
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Errorf("DBSIZE = %v, %v; want 0", n, err)
	}
	// An empty id is never read, so it is not written either.
	if err := s.Revoke(ctx, "", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Errorf("after Revoke(\"\"): DBSIZE = %v, %v; want 0", n, err)
	}
}

func TestPrefixesAreSeparate(t *testing.T) {
	c := redistest.Start(t).Client(t)
	ctx, a := t.Context(), randomID()
	s1 := redisstore.New(c, redisstore.Options{Prefix: "app1:"})
	s2 := redisstore.New(c, redisstore.Options{Prefix: "app2:"})
	until := time.Now().Add(time.Hour)
	if err := s1.Revoke(ctx, a, until); err != nil {
		t.Fatal(err)
	}
	if rev, err := s2.Revoked(ctx, a, ""); err != nil || rev {
		t.Errorf("revoked under another prefix: %v, %v", rev, err)
	}
	if first, _ := s1.Consume(ctx, a, until); !first {
		t.Error("a revoked id reads as consumed")
	}
	if first, _ := s2.Consume(ctx, a, until); !first {
		t.Error("consumed under another prefix")
	}
	if n, err := c.Exists(ctx, "app1:rev:"+a, "app1:use:"+a, "app2:use:"+a).Result(); err != nil || n != 3 {
		t.Errorf("EXISTS of the expected keys = %v, %v; want 3", n, err)
	}
}

// Ids are data, never code: whatever they hold, they name one key and
// nothing else.
func TestHostileIDs(t *testing.T) {
	c := redistest.Start(t).Client(t)
	s := redisstore.New(c, redisstore.Options{})
	ctx, until := t.Context(), time.Now().Add(time.Hour)
	hostile := []string{
		"*",
		"a b",
		"x\r\n*1\r\n$8\r\nFLUSHALL\r\n",
		"') redis.call('FLUSHALL') --",
		"]] redis.call('FLUSHALL') --[[",
		"{slot}tag",
		"rev:x",
		"\x00\xff",
		"ключ",
		strings.Repeat("z", redisstore.MaxIDLength),
	}
	bystander := randomID()
	if err := s.Revoke(ctx, bystander, until); err != nil {
		t.Fatal(err)
	}
	for _, id := range hostile {
		if rev, err := s.Revoked(ctx, id, ""); err != nil || rev {
			t.Errorf("Revoked(%q) before Revoke = %v, %v", id, rev, err)
		}
		if err := s.Revoke(ctx, id, until); err != nil {
			t.Errorf("Revoke(%q): %v", id, err)
		}
		if rev, err := s.Revoked(ctx, id, ""); err != nil || !rev {
			t.Errorf("Revoked(%q) = %v, %v; want true", id, rev, err)
		}
		if first, err := s.Consume(ctx, id, until); err != nil || !first {
			t.Errorf("Consume(%q) = %v, %v; want true", id, first, err)
		}
	}
	if rev, err := s.Revoked(ctx, bystander, ""); err != nil || !rev {
		t.Errorf("the bystander's revocation is gone: %v, %v", rev, err)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != int64(1+2*len(hostile)) {
		t.Errorf("DBSIZE = %v, %v; want %d", n, err, 1+2*len(hostile))
	}

	long := strings.Repeat("z", redisstore.MaxIDLength+1)
	if err := s.Revoke(ctx, long, until); !errors.Is(err, redisstore.ErrInvalidID) {
		t.Errorf("Revoke(long id) = %v; want ErrInvalidID", err)
	}
	if _, err := s.Revoked(ctx, bystander, long); !errors.Is(err, redisstore.ErrInvalidID) {
		t.Errorf("Revoked(long id) = %v; want ErrInvalidID", err)
	}
	if _, err := s.Consume(ctx, long, until); !errors.Is(err, redisstore.ErrInvalidID) {
		t.Errorf("Consume(long id) = %v; want ErrInvalidID", err)
	}
	if err := s.Revoke(ctx, long, until); err == nil || strings.Contains(err.Error(), long) {
		t.Errorf("the error echoes the id: %v", err)
	}
}

// go-redis retries a command whose reply was lost; the retry of the Consume
// that won must still win, or a network blip would make a legitimate refresh
// look like a reuse and end the session.
func TestConsumeRetryStillWins(t *testing.T) {
	c := redistest.Start(t).Client(t)
	s := redisstore.New(c, redisstore.Options{})
	ctx, a, until := t.Context(), randomID(), time.Now().Add(time.Hour)
	for i, want := range []bool{true, true} {
		if first, err := s.ConsumeWithNonce(ctx, a, until, "call-1"); err != nil || first != want {
			t.Fatalf("attempt %d of call 1 = %v, %v; want %v", i+1, first, err, want)
		}
	}
	if first, err := s.ConsumeWithNonce(ctx, a, until, "call-2"); err != nil || first {
		t.Fatalf("call 2 = %v, %v; want false", first, err)
	}
	if first, err := s.Consume(ctx, a, until); err != nil || first {
		t.Fatalf("Consume = %v, %v; want false", first, err)
	}
}

// A Redis that does not answer holds a call no longer than the caller's
// deadline, and the error says so.
func TestContextDeadline(t *testing.T) {
	srv := redistest.Start(t)
	c, admin := srv.Client(t), srv.Client(t)
	s := redisstore.New(c, redisstore.Options{})
	// Connect first, so that the deadline is spent waiting on a command.
	if _, err := s.Revoked(t.Context(), randomID(), ""); err != nil {
		t.Fatal(err)
	}
	// Three calls of 200ms fit in the pause; CLIENT UNPAUSE would wait for
	// its end too.
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", 2000, "ALL").Err(); err != nil {
		t.Fatal(err)
	}

	calls := map[string]func(ctx context.Context) error{
		"Revoke": func(ctx context.Context) error {
			return s.Revoke(ctx, randomID(), time.Now().Add(time.Hour))
		},
		"Revoked": func(ctx context.Context) error {
			_, err := s.Revoked(ctx, randomID(), randomID())
			return err
		},
		"Consume": func(ctx context.Context) error {
			_, err := s.Consume(ctx, randomID(), time.Now().Add(time.Hour))
			return err
		},
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

// about reports whether the time to live d, read just after an entry was
// written to expire want from now, is want: a little less, for the time the
// test took, or a millisecond more, since deadlines are rounded up to one.
func about(d, want time.Duration) bool {
	return d > want-300*time.Millisecond && d <= want+20*time.Millisecond
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
