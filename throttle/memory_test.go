package throttle_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/throttle"
	"github.com/authkit-go/authkit/throttle/throttletest"
)

// A flood of failures from made-up clients and accounts, far past the
// table's size: memory stays bounded, no newcomer is ever refused because
// the table is full, and what happens to the counters that matter is what
// the package documentation says.
func TestMemoryExhaustion(t *testing.T) {
	const size = 1000
	m := throttle.NewMemory(size)
	c := throttletest.NewClock()
	l, err := throttle.New(throttletest.Config(m, c))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	mallory := "203.0.113.66"

	// The attacker's own client is refused after Client.Free failures; as
	// long as he keeps knocking, his counter stays among the most recently
	// used and survives the flood of everyone else.
	for i := range 10 {
		l.Failure(ctx, fmt.Sprint("victim", i), mallory)
	}
	// The real user mistyped twice: one more and her waits begin.
	l.Failure(ctx, "alice", "192.0.2.10")
	l.Failure(ctx, "alice", "192.0.2.10")

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 100 * size {
		client := fmt.Sprintf("2001:db8:%x::/64", i)
		if _, err := l.Check(ctx, fmt.Sprint("user", i), client); err != nil {
			t.Fatalf("a newcomer refused while the table is full: %v", err)
		}
		l.Failure(ctx, fmt.Sprint("user", i), client)
		if i%(size/4) == 0 {
			if _, err := l.Check(ctx, "anyone", mallory); err == nil {
				t.Fatalf("after %d flood failures: the attacker's client counter was evicted", i)
			}
		}
		if n := m.Len(); n > size {
			t.Fatalf("Len = %d > %d", n, size)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
		t.Errorf("the heap grew by %d bytes for a table of %d entries", grown, size)
	}

	// The real user's counter was not touched for 100 tables' worth of
	// failures: it is forgotten, which is in her favour (3 free failures
	// again), never against her.
	for i := range 3 {
		if _, err := l.Check(ctx, "alice", "192.0.2.10"); err != nil {
			t.Fatalf("the real user after the flood, try %d: %v", i, err)
		}
		l.Failure(ctx, "alice", "192.0.2.10")
	}
	if _, err := l.Check(ctx, "alice", "192.0.2.10"); err == nil {
		t.Fatal("the real user's counter counts no more after the flood")
	}
}

// One client flooding distinct accounts to push its own counters out of
// the table trips its own client counter first.
func TestMemoryFloodFromOneClient(t *testing.T) {
	m := throttle.NewMemory(100)
	c := throttletest.NewClock()
	l, err := throttle.New(throttletest.Config(m, c))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	mallory := "203.0.113.66"
	for range 3 {
		l.Failure(ctx, "alice", mallory)
	}
	refused := 0
	for i := range 1000 {
		if _, err := l.Check(ctx, fmt.Sprint("u", i), mallory); err != nil {
			refused++
			continue
		}
		l.Failure(ctx, fmt.Sprint("u", i), mallory)
	}
	if allowed := 1000 - refused; allowed != 7 {
		t.Errorf("the flooding client had %d failures let through; want 7 (Client.Free 10 less the 3 on alice)", allowed)
	}
	if _, err := l.Check(ctx, "alice", mallory); err == nil {
		t.Error("the attacker's counters were reset by his own flood")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := throttle.NewMemory(64)
	l, err := throttle.New(throttle.Config{Backend: m})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				a, cl := fmt.Sprint("a", i%100), fmt.Sprintf("192.0.2.%d", g)
				l.Check(ctx, a, cl)
				switch i % 3 {
				case 0, 1:
					l.Failure(ctx, a, cl)
				case 2:
					l.Success(ctx, a, cl)
				}
			}
		})
	}
	wg.Wait()
	if n := m.Len(); n > 64 {
		t.Errorf("Len = %d > 64", n)
	}
	// A table of one entry: each new key replaces the last.
	one := throttle.NewMemory(1)
	now := time.Now()
	for i := range 10 {
		one.Add(ctx, fmt.Sprint(i), now, time.Hour)
		if one.Len() != 1 {
			t.Fatalf("Len = %d; want 1", one.Len())
		}
	}
	if r, _ := one.Load(ctx, "9"); r.Failures != 1 {
		t.Errorf("the last key is not the one kept: %+v", r)
	}
	one.Delete(ctx, "9")
	if one.Len() != 0 {
		t.Errorf("Len after Delete = %d", one.Len())
	}
}
