package jwtauth

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultMemoryStoreSize is the number of entries a [MemoryStore] holds when
// NewMemoryStore is given 0.
const DefaultMemoryStoreSize = 1 << 20

// ErrStoreFull is returned by a [MemoryStore] that holds its maximum number
// of live entries. It wraps nothing secret; it fails closed like any store
// error, so size the store for the revocations and refreshes of one RefreshTTL.
var ErrStoreFull = errors.New("jwtauth: memory store full")

// MemoryStore is a [Store] in the memory of one process: the default of an
// [Issuer]. It is safe for concurrent use and bounded: expired entries are
// forgotten as new ones arrive, and when it holds its maximum of live entries,
// Revoke and Consume fail with [ErrStoreFull] rather than forget a live
// revocation. It does not survive a restart and is not shared between
// processes; for that, use a shared Store.
type MemoryStore struct {
	mu       sync.Mutex
	max      int
	now      func() time.Time
	revoked  map[string]time.Time
	consumed map[string]time.Time
	sweepAt  int // size at which the next sweep of expired entries runs
}

// NewMemoryStore returns an empty MemoryStore holding at most max entries,
// or DefaultMemoryStoreSize when max is 0 or less.
func NewMemoryStore(max int) *MemoryStore {
	if max <= 0 {
		max = DefaultMemoryStoreSize
	}
	return &MemoryStore{
		max:      max,
		now:      time.Now,
		revoked:  make(map[string]time.Time),
		consumed: make(map[string]time.Time),
		sweepAt:  min(1024, max),
	}
}

// Revoke implements [Store].
func (s *MemoryStore) Revoke(ctx context.Context, id string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.revoked[id]; !ok {
		if err := s.room(); err != nil {
			return err
		}
	}
	if cur, ok := s.revoked[id]; !ok || until.After(cur) {
		s.revoked[id] = until
	}
	return nil
}

// Revoked implements [Store].
func (s *MemoryStore) Revoked(ctx context.Context, ids ...string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if until, ok := s.revoked[id]; ok && id != "" && now.Before(until) {
			return true, nil
		}
	}
	return false, nil
}

// Consume implements [Store].
func (s *MemoryStore) Consume(ctx context.Context, id string, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.consumed[id]; ok && now.Before(prev) {
		return false, nil
	}
	if err := s.room(); err != nil {
		return false, err
	}
	s.consumed[id] = until
	return true, nil
}

// Len returns the number of entries held, expired or not.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.revoked) + len(s.consumed)
}

// room makes room for one more entry: it sweeps expired entries when the
// store has grown by half since the last sweep (amortised O(1) per insert),
// and fails when the store is full of live entries. s.mu is held.
func (s *MemoryStore) room() error {
	n := len(s.revoked) + len(s.consumed)
	if n >= s.sweepAt || n >= s.max {
		now := s.now()
		for id, until := range s.revoked {
			if !now.Before(until) {
				delete(s.revoked, id)
			}
		}
		for id, until := range s.consumed {
			if !now.Before(until) {
				delete(s.consumed, id)
			}
		}
		n = len(s.revoked) + len(s.consumed)
		s.sweepAt = min(max(2*n, 1024), s.max)
	}
	if n >= s.max {
		return ErrStoreFull
	}
	return nil
}
