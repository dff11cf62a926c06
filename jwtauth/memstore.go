package jwtauth

import (
	"context"
	"errors"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
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
//
// Revoked, which a Middleware calls on every request, writes nothing: an id
// that was never revoked, the common case, costs a hash and an atomic load,
// without taking a lock, so concurrent requests do not contend.
type MemoryStore struct {
	// filter has a bit set for every id in revoked, and perhaps a few
	// more: a clear bit proves an id is not revoked. Revoke sets bits;
	// only a sweep, which rebuilds it from the entries it keeps, clears
	// them.
	filter atomic.Pointer[idFilter]

	mu       sync.RWMutex // Revoked reads under RLock; the rest write
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
	s := &MemoryStore{
		max:      max,
		now:      time.Now,
		revoked:  make(map[string]time.Time),
		consumed: make(map[string]time.Time),
		sweepAt:  min(1024, max),
	}
	s.filter.Store(newIDFilter(s.sweepAt))
	return s
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
		// The bit first: a reader that finds it clear has not seen
		// this revocation, which has not returned yet.
		s.filter.Load().add(id)
		s.revoked[id] = until
	}
	return nil
}

// Revoked implements [Store]. Expired entries read as not revoked; the
// sweeps of Revoke and Consume delete them.
func (s *MemoryStore) Revoked(ctx context.Context, id, sid string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	f := s.filter.Load()
	for _, id := range [2]string{id, sid} {
		if id != "" && f.has(id) && s.revokedNow(id) {
			return true, nil
		}
	}
	return false, nil
}

// revokedNow reports whether id is revoked, reading the clock only when it
// is in the store.
func (s *MemoryStore) revokedNow(id string) bool {
	s.mu.RLock()
	until, ok := s.revoked[id]
	s.mu.RUnlock()
	return ok && s.now().Before(until)
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
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.revoked) + len(s.consumed)
}

// room makes room for one more entry: it sweeps expired entries when the
// store has grown by half since the last sweep (amortised O(1) per insert),
// and fails when the store is full of live entries. s.mu is held for
// writing.
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
		f := newIDFilter(s.sweepAt)
		for id := range s.revoked {
			f.add(id)
		}
		s.filter.Store(f)
	}
	if n >= s.max {
		return ErrStoreFull
	}
	return nil
}

// idFilter is a set of ids that may answer yes for an id not in it (a Bloom
// filter of one hash), but never no for one in it. Its words are read and
// set atomically, so that readers need no lock.
type idFilter struct {
	seed  maphash.Seed
	words []atomic.Uint64
	mask  uint64 // number of bits - 1
}

// newIDFilter returns an empty filter with room for n ids at about one
// false yes in sixteen.
func newIDFilter(n int) *idFilter {
	nbits := uint64(1) << max(bits.Len(uint(16*n)), 16) // at least 8 KiB
	return &idFilter{seed: maphash.MakeSeed(), words: make([]atomic.Uint64, nbits/64), mask: nbits - 1}
}

func (f *idFilter) bit(id string) (word, bit uint64) {
	b := maphash.String(f.seed, id) & f.mask
	return b / 64, 1 << (b % 64)
}

func (f *idFilter) add(id string) {
	w, b := f.bit(id)
	f.words[w].Or(b)
}

func (f *idFilter) has(id string) bool {
	w, b := f.bit(id)
	return f.words[w].Load()&b != 0
}
