package jwtauth

import (
	"hash/maphash"
	"sync"
)

// tokenCache remembers tokens that verified, so that a client presenting the
// same access token again — the normal case, until it expires — costs a hash
// and a map lookup instead of a signature check and a claims decode.
//
// What a hit still checks, every time: that the key which verified the token
// is still the one the current key set selects for it (so rotating, retiring
// or re-fetching keys invalidates entries), the time claims against the
// clock, and (in Verify) revocation. Only successes are cached: a forged
// token costs the full pipeline each time, and cannot fill the cache.
//
// A token is admitted on its second verification: the first is only noted,
// in a fixed array of hashes that is cleared after every CacheSize/16 notes
// per shard. A client reusing its access token is cached from its second
// request; a token seen once (most of a flood of new tokens, and a service
// whose clients never repeat) costs a hash and a slot, neither retaining
// memory for the collector to trace nor pushing out the tokens in use.
//
// It is bounded in entries and bytes, sharded to keep lock contention low,
// and evicts first-in first-out (access tokens expire in order anyway).
type tokenCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

const (
	cacheShards      = 16
	defaultCacheSize = 16384
	cacheEntryBytes  = 1024 // bytes budget per entry: CacheSize KiB in all
	entryOverhead    = 256  // Claims, entry and map slot, roughly
)

type cacheShard struct {
	mu       sync.RWMutex
	m        map[uint64]*cacheEntry
	fifo     []uint64 // insertion order, a ring of len maxItems
	head, n  int
	bytes    int
	maxItems int
	maxBytes int

	// seen notes tokens verified once, by hash, direct-mapped; noted
	// counts the notes since it was last cleared.
	seen  []uint64
	noted int
}

// cacheEntry is a verified token. The claims hold its kid, and the key its
// alg: together they select the key again on a hit.
type cacheEntry struct {
	token  string
	claims *Claims
	key    *key
	size   int
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed()}
	per := max(size/cacheShards, 1)
	for i := range c.shards {
		c.shards[i] = cacheShard{
			m:        make(map[uint64]*cacheEntry),
			fifo:     make([]uint64, per),
			seen:     make([]uint64, per),
			maxItems: per,
			maxBytes: per * cacheEntryBytes,
		}
	}
	return c
}

func (c *tokenCache) shard(token string) (*cacheShard, uint64) {
	h := maphash.String(c.seed, token)
	return &c.shards[h%cacheShards], h
}

// get returns the entry for token, or nil.
func (c *tokenCache) get(token string) *cacheEntry {
	s, h := c.shard(token)
	s.mu.RLock()
	e := s.m[h]
	s.mu.RUnlock()
	if e == nil || e.token != token {
		return nil
	}
	return e
}

// put remembers that token verified with k and gave claims.
func (c *tokenCache) put(token string, claims *Claims, k *key) {
	size := len(token) + len(claims.raw) + entryOverhead
	s, h := c.shard(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if size > s.maxBytes {
		return
	}
	if old := s.m[h]; old != nil {
		// Same token again (concurrent misses), or a hash collision: keep
		// the slot in the ring, replace the entry.
		s.bytes += size - old.size
		s.m[h] = &cacheEntry{token: token, claims: claims, key: k, size: size}
		return
	}
	if !s.admit(h) {
		return
	}
	for s.n == s.maxItems || s.bytes+size > s.maxBytes {
		s.evict()
	}
	s.fifo[(s.head+s.n)%s.maxItems] = h
	s.n++
	s.m[h] = &cacheEntry{token: token, claims: claims, key: k, size: size}
	s.bytes += size
}

// admit reports whether the token of hash h was noted since seen was last
// cleared, and notes it otherwise. s.mu is held. The slot comes from the
// hash's high bits: the low ones chose the shard.
func (s *cacheShard) admit(h uint64) bool {
	i := (h >> 32) % uint64(len(s.seen))
	if s.seen[i] == h {
		s.seen[i] = 0
		return true
	}
	// Clear before noting, not after: a token just noted must survive
	// until at least the next note, or its second verification could
	// find it wiped.
	if s.noted == len(s.seen) {
		clear(s.seen)
		s.noted = 0
	}
	s.seen[i] = h
	s.noted++
	return false
}

// evict drops the oldest entry. s.mu is held.
func (s *cacheShard) evict() {
	h := s.fifo[s.head]
	s.head = (s.head + 1) % s.maxItems
	s.n--
	if e := s.m[h]; e != nil {
		s.bytes -= e.size
		delete(s.m, h)
	}
}

// remove forgets token. Its ring slot stays until it is evicted; evicting a
// slot whose entry is gone is a no-op.
func (c *tokenCache) remove(token string) {
	s, h := c.shard(token)
	s.mu.Lock()
	if e := s.m[h]; e != nil && e.token == token {
		s.bytes -= e.size
		delete(s.m, h)
	}
	s.mu.Unlock()
}
