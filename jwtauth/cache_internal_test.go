package jwtauth

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func (c *tokenCache) stats() (entries, bytes int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		entries += len(s.m)
		bytes += s.bytes
		s.mu.RUnlock()
	}
	return
}

func TestTokenCacheBounded(t *testing.T) {
	const size = 64
	c := newTokenCache(size)
	k := &key{alg: "HS256"}
	for i := range 10_000 {
		tok := fmt.Sprintf("token-%d", i)
		c.put(tok, &Claims{raw: `{}`}, nil, k) // noted
		c.put(tok, &Claims{raw: `{}`}, nil, k) // admitted
	}
	entries, bytes := c.stats()
	if entries > size || bytes > size*cacheEntryBytes {
		t.Fatalf("%d entries, %d bytes; want at most %d and %d", entries, bytes, size, size*cacheEntryBytes)
	}
	if c.get("token-9999") == nil {
		t.Error("the newest entry was evicted")
	}
	if c.get("token-0") != nil {
		t.Error("the oldest entry survived 10,000 insertions")
	}

	// Large tokens are bounded by bytes before entries.
	big := newTokenCache(size)
	for i := range 1000 {
		tok := fmt.Sprintf("%d-%s", i, strings.Repeat("x", 3000))
		big.put(tok, &Claims{raw: strings.Repeat("y", 3000)}, nil, k)
		big.put(tok, &Claims{raw: strings.Repeat("y", 3000)}, nil, k)
	}
	if _, bytes := big.stats(); bytes > size*cacheEntryBytes {
		t.Errorf("%d bytes held; budget %d", bytes, size*cacheEntryBytes)
	}

	// remove, and put of the same token twice, keep the accounting right.
	c.remove("token-9999")
	if c.get("token-9999") != nil {
		t.Error("removed entry still found")
	}
	c.put("again", &Claims{raw: `{}`}, nil, k)
	c.put("again", &Claims{raw: `{}`}, nil, k)
	c.put("again", &Claims{raw: `{"a":1}`}, nil, k)
	if e := c.get("again"); e == nil || e.claims.raw != `{"a":1}` {
		t.Error("second put did not replace the entry")
	}
	for i := range c.shards {
		s := &c.shards[i]
		sum := 0
		for _, e := range s.m {
			sum += e.size
		}
		if sum != s.bytes {
			t.Fatalf("shard %d: bytes %d, entries sum to %d", i, s.bytes, sum)
		}
	}
}

// A token is stored on its second put, if that comes before the shard's
// notes are cleared; a flood of tokens put once stores nothing and pushes
// out nothing.
func TestTokenCacheAdmission(t *testing.T) {
	const size = 256 // 16 per shard
	c := newTokenCache(size)
	k := &key{alg: "HS256"}
	c.put("warm", &Claims{raw: `{}`}, nil, k)
	if c.get("warm") != nil {
		t.Fatal("stored on its first put")
	}
	c.put("warm", &Claims{raw: `{}`}, nil, k)
	if c.get("warm") == nil {
		t.Fatal("not stored on its second put")
	}
	for i := range 100_000 {
		c.put(fmt.Sprintf("once-%d", i), &Claims{raw: `{}`}, nil, k)
	}
	if entries, _ := c.stats(); entries != 1 {
		t.Errorf("%d entries after a flood of tokens seen once; want 1", entries)
	}
	if c.get("warm") == nil {
		t.Error("a flood of tokens seen once pushed out the one in use")
	}

	// Seen twice, but with more new tokens between than the shard notes
	// before it clears: not stored. Tokens of one shard only, so the
	// count is exact.
	s0, _ := c.shard("late")
	c.put("late", &Claims{raw: `{}`}, nil, k)
	for i, n := 0, 0; n < size/cacheShards; i++ {
		tok := fmt.Sprintf("other-%d", i)
		if s, _ := c.shard(tok); s == s0 {
			c.put(tok, &Claims{raw: `{}`}, nil, k)
			n++
		}
	}
	c.put("late", &Claims{raw: `{}`}, nil, k)
	if c.get("late") != nil {
		t.Error("stored although its first sighting had been cleared")
	}
}

func TestTokenCacheConcurrent(t *testing.T) {
	c := newTokenCache(128)
	k := &key{alg: "HS256"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				tok := fmt.Sprintf("t-%d", (g*31+i)%300)
				if e := c.get(tok); e != nil && e.token != tok {
					t.Errorf("got the entry of %q for %q", e.token, tok)
				}
				if i%3 == 0 {
					c.put(tok, &Claims{raw: `{}`}, nil, k)
				}
				if i%17 == 0 {
					c.remove(tok)
				}
			}
		})
	}
	wg.Wait()
	if entries, _ := c.stats(); entries > 128 {
		t.Errorf("%d entries", entries)
	}
}

// A token that fails verification is never cached.
func TestTokenCacheOnlySuccesses(t *testing.T) {
	m, err := New(Config{Keys: HMAC([]byte("0123456789abcdef0123456789abcdef"))})
	if err != nil {
		t.Fatal(err)
	}
	bad := "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	if _, err := m.Verify(t.Context(), bad); err == nil {
		t.Fatal("forged token accepted")
	}
	if m.cache.get(bad) != nil {
		t.Error("a rejected token was cached")
	}
}

// Removing entries and putting new ones must neither leak capacity nor
// evict live entries early: after any mix of remove and put, a shard holds
// exactly the newest entries that fit, as a FIFO list would. The cycles
// remove the newest entry, an entry in the middle and the oldest, and put
// back a removed token, each a different way a stale ring slot once
// outlived its entry.
func TestTokenCacheRemovePutCycles(t *testing.T) {
	const size = 256
	per := size / cacheShards
	c := newTokenCache(size)
	k := &key{alg: "HS256"}
	put := func(tok string) {
		c.put(tok, &Claims{raw: `{}`}, nil, k) // noted
		c.put(tok, &Claims{raw: `{}`}, nil, k) // admitted
	}
	// next returns a new token of shard i.
	n := 0
	next := func(i int) string {
		for {
			tok := fmt.Sprintf("tok-%d", n)
			n++
			if s, _ := c.shard(tok); s == &c.shards[i] {
				return tok
			}
		}
	}
	var live []string // every shard's expected entries, for the final check
	for i := range c.shards {
		var want []string // the shard's expected entries, oldest first
		add := func(tok string) {
			put(tok)
			if len(want) == per {
				want = want[1:]
			}
			want = append(want, tok)
		}
		drop := func(j int) string {
			tok := want[j]
			c.remove(tok)
			want = append(want[:j:j], want[j+1:]...)
			return tok
		}
		for range per {
			add(next(i))
		}
		for cycle := range 1000 {
			switch cycle % 4 {
			case 0:
				drop(len(want) - 1)
				add(next(i))
			case 1:
				drop(len(want) / 2)
				add(next(i))
			case 2:
				drop(0)
				add(next(i))
			case 3:
				add(drop(len(want) / 3)) // the same token again
			}
		}
		s := &c.shards[i]
		if len(s.m) != per {
			t.Errorf("shard %d: %d live entries; want %d", i, len(s.m), per)
		}
		for _, tok := range want {
			if c.get(tok) == nil {
				t.Errorf("shard %d: %q, among the %d newest, was evicted", i, tok, per)
			}
		}
		live = append(live, want...)
	}
	if entries, _ := c.stats(); entries != size {
		t.Errorf("%d live entries; want exactly CacheSize = %d", entries, size)
	}
	for _, tok := range live {
		if c.get(tok) == nil {
			t.Fatalf("%q was evicted early", tok)
		}
	}
}

// TestTokenCacheSharedTail: the cache hashes a token's last bytes and its
// length. Tokens that share both, as an attacker can make them share with a
// victim's cached token, collide in one slot: a lookup must compare whole
// tokens, never answer one with the other's entry, and a flood of such
// tokens must not grow the cache.
func TestTokenCacheSharedTail(t *testing.T) {
	c := newTokenCache(64)
	k := &key{alg: "HS256"}
	tail := "." + strings.Repeat("s", hashedBytes)
	victim := "victim-header.victim-payload" + tail
	_, hv := c.shard(victim)
	c.put(victim, &Claims{raw: `{"sub":"victim"}`}, nil, k)
	c.put(victim, &Claims{raw: `{"sub":"victim"}`}, nil, k)
	for i := range 1000 {
		forged := fmt.Sprintf("forged-%06d.attacker-paylo", i) + tail
		if len(forged) != len(victim) {
			t.Fatalf("forged token of %d bytes, victim's %d", len(forged), len(victim))
		}
		if _, h := c.shard(forged); h != hv {
			t.Fatal("tokens with the same tail and length hash apart; the test needs them together")
		}
		if e := c.get(forged); e != nil {
			t.Fatalf("forged token %d got the entry of %q", i, e.token)
		}
	}
	if e := c.get(victim); e == nil || e.claims.raw != `{"sub":"victim"}` {
		t.Fatal("the victim's entry is gone")
	}
	// Verified tokens that collide take turns in the slot.
	other := "other-header.other-payload12" + tail
	c.put(other, &Claims{raw: `{"sub":"other"}`}, nil, k)
	if e := c.get(victim); e != nil {
		t.Error("the victim's entry survived another token's put in its slot")
	}
	if e := c.get(other); e == nil || e.claims.raw != `{"sub":"other"}` {
		t.Error("the other token's entry is missing")
	}
	if entries, _ := c.stats(); entries != 1 {
		t.Errorf("%d entries after colliding puts, want 1", entries)
	}
}
