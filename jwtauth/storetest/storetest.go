// Package storetest checks that an implementation of [jwtauth.Store]
// behaves as jwtauth relies on: revocations hold until their time, refresh
// tokens are consumed exactly once even under concurrency, entries expire,
// and canceled contexts are honoured. Every Store runs the same suite:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) jwtauth.Store { return newStore(t) })
//	}
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// Expiry is how long the suite waits for entries to expire. Stores must
// honour deadlines at least this fine.
const Expiry = 300 * time.Millisecond

// Run runs the conformance suite against fresh stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) jwtauth.Store) {
	t.Run("RevokeAndRevoked", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a, b := id(), id()
		if rev, err := s.Revoked(ctx, a, b); err != nil || rev {
			t.Fatalf("fresh store: Revoked = %v, %v", rev, err)
		}
		if err := s.Revoke(ctx, a, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, ids := range [][2]string{{a, ""}, {b, a}, {"", a}, {a, b}} {
			if rev, err := s.Revoked(ctx, ids[0], ids[1]); err != nil || !rev {
				t.Errorf("Revoked(%q) = %v, %v; want true", ids, rev, err)
			}
		}
		for _, ids := range [][2]string{{b, ""}, {"", ""}, {"", b}} {
			if rev, err := s.Revoked(ctx, ids[0], ids[1]); err != nil || rev {
				t.Errorf("Revoked(%q) = %v, %v; want false", ids, rev, err)
			}
		}
	})

	t.Run("RevokeInPastIsNoop", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a := id()
		if err := s.Revoke(ctx, a, time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if rev, err := s.Revoked(ctx, a, ""); err != nil || rev {
			t.Errorf("revoked until the past: Revoked = %v, %v", rev, err)
		}
	})

	t.Run("RevocationExpires", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a := id()
		if err := s.Revoke(ctx, a, time.Now().Add(Expiry)); err != nil {
			t.Fatal(err)
		}
		if rev, _ := s.Revoked(ctx, a, ""); !rev {
			t.Fatal("not revoked")
		}
		time.Sleep(Expiry + 100*time.Millisecond)
		if rev, err := s.Revoked(ctx, a, ""); err != nil || rev {
			t.Errorf("after expiry: Revoked = %v, %v", rev, err)
		}
	})

	t.Run("RevokeKeepsLaterDeadline", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a := id()
		if err := s.Revoke(ctx, a, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, a, time.Now().Add(Expiry)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(Expiry + 100*time.Millisecond)
		if rev, err := s.Revoked(ctx, a, ""); err != nil || !rev {
			t.Errorf("a shorter second revocation shortened the first: Revoked = %v, %v", rev, err)
		}
	})

	t.Run("ConsumeOnce", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a, b := id(), id()
		until := time.Now().Add(time.Hour)
		if first, err := s.Consume(ctx, a, until); err != nil || !first {
			t.Fatalf("first Consume = %v, %v", first, err)
		}
		if first, err := s.Consume(ctx, a, until); err != nil || first {
			t.Fatalf("second Consume = %v, %v", first, err)
		}
		if first, err := s.Consume(ctx, b, until); err != nil || !first {
			t.Fatalf("Consume of another id = %v, %v", first, err)
		}
		// Consuming is not revoking.
		if rev, err := s.Revoked(ctx, a, ""); err != nil || rev {
			t.Errorf("consumed id reads as revoked: %v, %v", rev, err)
		}
	})

	t.Run("ConsumeExpires", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a := id()
		if first, err := s.Consume(ctx, a, time.Now().Add(Expiry)); err != nil || !first {
			t.Fatalf("Consume = %v, %v", first, err)
		}
		time.Sleep(Expiry + 100*time.Millisecond)
		if first, err := s.Consume(ctx, a, time.Now().Add(time.Hour)); err != nil || !first {
			t.Errorf("after expiry: Consume = %v, %v; the entry should be forgotten", first, err)
		}
	})

	t.Run("ConcurrentConsumeHasOneWinner", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		for range 20 {
			a := id()
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					first, err := s.Consume(ctx, a, time.Now().Add(time.Hour))
					if err != nil {
						t.Error(err)
					}
					if first {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("%d concurrent Consume calls succeeded; want exactly 1", n)
			}
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Revoke(ctx, id(), time.Now().Add(time.Hour)); err == nil {
			t.Error("Revoke with a canceled context succeeded")
		}
		if _, err := s.Revoked(ctx, id(), ""); err == nil {
			t.Error("Revoked with a canceled context succeeded")
		}
		if _, err := s.Consume(ctx, id(), time.Now().Add(time.Hour)); err == nil {
			t.Error("Consume with a canceled context succeeded")
		}
	})
}

func id() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
