package throttle_test

import (
	"fmt"
	"testing"

	"github.com/authkit-go/authkit/throttle"
)

// BenchmarkThrottleCheck is the cost of a Check that lets a login through,
// with the table holding 10000 counters.
func BenchmarkThrottleCheck(b *testing.B) {
	l, err := throttle.New(throttle.Config{Backend: throttle.NewMemory(throttle.DefaultMaxEntries)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	for i := range 5000 {
		l.Failure(ctx, fmt.Sprint("user", i), fmt.Sprintf("192.0.2.%d", i%250))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Check(ctx, "user42", "192.0.2.42"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkThrottleCheckParallel(b *testing.B) {
	l, err := throttle.New(throttle.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Check(ctx, "alice", "192.0.2.1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkThrottleFailure(b *testing.B) {
	l, err := throttle.New(throttle.Config{Backend: throttle.NewMemory(1000)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		l.Failure(ctx, "user", fmt.Sprint(i)) // a new client each time: evictions
	}
}
