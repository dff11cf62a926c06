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
	mu sync.RWMutex
	m  map[uint64]*cacheEntry
	// fifo links the entries in insertion order: fifo.next is the
	// oldest, fifo.prev the newest. An entry leaves the list when it
	// leaves m, so that the list holds exactly the live entries.
	fifo     cacheEntry
	bytes    int
	maxItems int
	maxBytes int

	// seen notes tokens verified once, by hash, direct-mapped; noted
	// counts the notes since it was last cleared.
	seen  []uint64
	noted int
}

// cacheEntry is a verified token. The claims hold its kid, and the key its
// alg: together they select the key again on a hit, unless the key set is
// still set, the one that selected it. Readers get an entry from get and
// read only its first five fields, which never change; the rest belong to
// the shard and are guarded by its lock.
type cacheEntry struct {
	token  string
	claims *Claims
	set    *keySet
	key    *key
	size   int

	hash       uint64
	prev, next *cacheEntry // in the shard's fifo list
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed()}
	per := max(size/cacheShards, 1)
	for i := range c.shards {
		s := &c.shards[i]
		*s = cacheShard{
			m:        make(map[uint64]*cacheEntry),
			seen:     make([]uint64, per),
			maxItems: per,
			maxBytes: per * cacheEntryBytes,
		}
		s.fifo.prev, s.fifo.next = &s.fifo, &s.fifo
	}
	return c
}

// shard returns the shard of token and its hash. The hash is of the
// token's last hashedBytes bytes, its signature's end, and its length: a
// token's signature sets it apart from every other, and hashing all of a
// kilobyte token costs a hit more than the rest of the lookup. Equality is
// always of the whole token (get); two tokens with the same hash take
// turns in one slot (put), and only verified tokens are put, whose
// signatures nobody without the key can choose.
func (c *tokenCache) shard(token string) (*cacheShard, uint64) {
	tail := token[len(token)-min(len(token), hashedBytes):]
	h := maphash.String(c.seed, tail) ^ uint64(len(token))*0x9e3779b97f4a7c15
	return &c.shards[h%cacheShards], h
}

// hashedBytes is how much of a token's end its cache hash reads.
const hashedBytes = 64

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

// put remembers that token verified with k, which set selected, and gave
// claims.
func (c *tokenCache) put(token string, claims *Claims, set *keySet, k *key) {
	size := len(token) + len(claims.raw) + entryOverhead
	s, h := c.shard(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if size > s.maxBytes {
		return
	}
	if old := s.m[h]; old != nil {
		// Same token again (concurrent misses), or a hash collision: a
		// new entry, since readers may hold the old one, in the old
		// one's place in the list.
		e := &cacheEntry{token: token, claims: claims, set: set, key: k, size: size, hash: h}
		s.bytes += size - old.size
		e.prev, e.next = old.prev, old.next
		e.prev.next, e.next.prev = e, e
		old.prev, old.next = nil, nil
		s.m[h] = e
		return
	}
	if !s.admit(h) {
		return
	}
	e := &cacheEntry{token: token, claims: claims, set: set, key: k, size: size, hash: h}
	for len(s.m) >= s.maxItems || s.bytes+size > s.maxBytes {
		s.evict()
	}
	e.prev, e.next = s.fifo.prev, &s.fifo
	e.prev.next, s.fifo.prev = e, e
	s.m[h] = e
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

// evict drops the oldest entry. s.mu is held, and the shard is not empty.
func (s *cacheShard) evict() {
	s.drop(s.fifo.next)
}

// drop removes e from the map, the list and the byte count. s.mu is held.
func (s *cacheShard) drop(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(s.m, e.hash)
	s.bytes -= e.size
}

// remove forgets token, and its place in the eviction order with it: a
// place that outlived its entry would count against the shard's capacity,
// and, were the token put again, evict the new entry on the old one's turn.
func (c *tokenCache) remove(token string) {
	s, h := c.shard(token)
	s.mu.Lock()
	if e := s.m[h]; e != nil && e.token == token {
		s.drop(e)
	}
	s.mu.Unlock()
}
