package redisstore

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/redis/go-redis/v9"
)

// Defaults of [NearCacheOptions].
const (
	DefaultNearCacheEntries = 100_000
	DefaultNearCacheMaxLag  = 100 * time.Millisecond
)

// minMaxLag is the shortest MaxLag New accepts: a heartbeat every MaxLag/4
// must stay well above a round trip.
const minMaxLag = 10 * time.Millisecond

// NearCacheOptions configures the near cache of a [Store]: a bounded copy,
// in the instance's memory, of the session and subject records that
// [Store.Revoked] reads, kept current by Redis, so that a request whose
// token is known answers from memory, without a round trip. See the
// package documentation (Near cache) for what it guarantees. The zero value
// is the default.
type NearCacheOptions struct {
	// MaxEntries bounds the records the cache holds: sessions, subjects,
	// and the token ids looked up of each subject, each one entry. Past
	// it, the cache drops entries to make room, which costs only a round
	// trip when they are needed again. Default [DefaultNearCacheEntries];
	// an entry takes some 100 bytes plus its ids.
	MaxEntries int

	// MaxLag bounds how old the cache's view of Redis may be: a
	// revocation that completed on any instance is honoured by this one
	// within MaxLag, whatever happens to Redis or the network. The cache
	// checks it with a heartbeat every MaxLag/4 on its subscription, and
	// answers from memory only while the last one came back within
	// MaxLag; otherwise Revoked asks Redis, as without a near cache.
	// Default [DefaultNearCacheMaxLag]; at least 10ms.
	MaxLag time.Duration
}

// NearCacheStats is a snapshot of the counters of a Store's near cache.
type NearCacheStats struct {
	Hits      uint64 // Revoked calls answered from memory
	Misses    uint64 // Revoked calls that read Redis, the cache being fresh
	Fallbacks uint64 // Revoked calls that read Redis, the cache being stale or resynchronising
	Flushes   uint64 // times the cache was emptied: subscription lost, restarted, gap
	Entries   int    // entries held now
	Fresh     bool   // whether the cache answers from memory now
}

// nearShards is the number of shards of a near cache (at most): a power of
// two, so that a hash picks one with a mask.
const nearShards = 64

// near is the near cache of a Store. Its records are a cache of Redis's:
// an entry is only ever installed from a read of Redis, and dropped when
// Redis says the record changed, so that dropping one for room is always
// safe.
//
// Redis publishes, in the script of each write, the changed record's name
// on the channel prefix+"inv" (SPUBLISH: the channel is in the slot of the
// Store's keys). One goroutine (loop) reads the subscription; another
// (beat) PINGs on the same connection every MaxLag/4. Redis answers a PING
// on a connection after every message it queued for it before, so when the
// PING sent at local time T comes back, every write that completed before
// T has been applied here: the cache answers while the last such T is
// within MaxLag of now.
//
// Any trouble with the subscription (an error, a reconnection, a
// confirmation not asked for) starts a new epoch: the cache is emptied and
// answers nothing from memory until the new subscription is confirmed and
// has echoed a heartbeat of the new epoch. A read of Redis installs its
// result only if no invalidation of its shard and no new epoch came
// between its start and its end (the shard's seq), and if it started
// while subscribed, so that no invalidation of what it read can have been
// missed.
type near struct {
	client   redis.UniversalClient
	channel  string
	maxLag   int64 // ns
	interval time.Duration
	dead     int64 // ns without a heartbeat back after which the subscription is dropped
	base     time.Time
	seed     maphash.Seed
	mask     uint64
	perShard int
	shards   []nearShard

	// state is epoch<<1 | 1 while the epoch's subscription is confirmed.
	state atomic.Uint64
	// fresh is the local send time (ns since base) of the last heartbeat
	// of the current epoch that came back; 0 for none.
	fresh atomic.Int64
	// barrier is the local time (ns since base) of the end of this
	// instance's last write whose invalidations it cannot apply itself:
	// the cache answers only once a heartbeat sent after it came back.
	barrier atomic.Int64
	// alive is the time (ns since base) of the last sign of life of the
	// current subscription: its start, its confirmation or a heartbeat.
	alive atomic.Int64

	// sess and subj hold the entries, for reads without a lock:
	// *sessionRec by session id, *subjectRec by subject, never changed
	// once stored. They change only under the lock of the entry's shard,
	// which keeps their keys too, to count and evict them.
	sess, subj sync.Map

	// hits is striped, by the low bits of the clock, so that concurrent
	// hits seldom write the same cache line.
	hits                       [8]paddedCounter
	misses, fallbacks, flushes paddedCounter

	mu     sync.Mutex // guards ps and closed
	ps     *redis.PubSub
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

type paddedCounter struct {
	atomic.Uint64
	_ [56]byte
}

// nearShard is one shard of the cache: the keys of its entries in
// near.sess and near.subj (with the size of each subject's), and the reads
// of Redis in flight.
type nearShard struct {
	mu      sync.Mutex
	seq     uint64 // bumped by every invalidation of the shard and every flush
	n       int    // entries: sessions, subjects, and their token ids
	sess    map[string]struct{}
	subj    map[string]int
	flights map[flightKey]*flight
	_       [40]byte
}

// sessionRec is what Revoked reads of a session record.
type sessionRec struct {
	present bool   // false: no such record, the session ended
	sub     string // the session's subject
	expires int64  // Unix ms
}

func (r sessionRec) revoked(t *jwtauth.TokenRef) bool {
	return !r.present || r.sub != t.Subject || !t.Now.Before(time.UnixMilli(r.expires))
}

// subjectRec is what Revoked reads of a subject record: b and bu, and the
// t:<jti> fields looked up so far (noToken for none). At most
// maxTokensCached of them.
type subjectRec struct {
	hasBU  bool
	b, bu  int64
	tokens map[string]int64
}

// subjectRead is one read of a subject record for a token id.
type subjectRead struct {
	hasBU    bool
	b, bu    int64
	hasUntil bool
	until    int64
}

func (r subjectRead) revoked(t *jwtauth.TokenRef) bool {
	return revokedSubject(t, r.hasBU, r.b, r.bu, r.hasUntil, r.until)
}

// maxTokensCached bounds the token ids a subjectRec holds, so that adding
// one, which copies them, stays cheap.
const maxTokensCached = 64

// noToken is the until of a subjectRec's token id that has no t: field.
const noToken = math.MinInt64

// revokedSubject is the answer of Revoked for a token without a session,
// given the subject's b and bu (if hasBU) and the token's until (if
// hasUntil).
func revokedSubject(t *jwtauth.TokenRef, hasBU bool, b, bu int64, hasUntil bool, until int64) bool {
	if hasBU && t.Now.Before(time.UnixMilli(bu)) && (t.IssuedAt.IsZero() || t.IssuedAt.Unix() <= time.UnixMilli(b).Unix()) {
		return true
	}
	return hasUntil && t.Now.Before(time.UnixMilli(until))
}

// flightKey names a read of Redis: of a session (jti empty) or of a
// subject for a token id.
type flightKey struct {
	session bool
	id, jti string
}

// flight is a read of Redis in flight, which other callers for the same
// record wait for rather than read it again.
type flight struct {
	seq, state uint64 // at its start
	done       chan struct{}
	ok         bool // its result was installed: waiters may use it
	sess       sessionRec
	subj       subjectRead
}

func newNear(client redis.UniversalClient, prefix string, o NearCacheOptions) (*near, error) {
	if o.MaxEntries < 0 || o.MaxLag < 0 {
		return nil, errors.New("redisstore: new: negative NearCacheOptions")
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultNearCacheEntries
	}
	if o.MaxLag == 0 {
		o.MaxLag = DefaultNearCacheMaxLag
	}
	if o.MaxLag < minMaxLag {
		return nil, fmt.Errorf("redisstore: new: NearCacheOptions.MaxLag %v is below %v", o.MaxLag, minMaxLag)
	}
	// Shards of at least 256 entries each: a small cache is one shard,
	// so that one subject's token ids fit.
	shards := nearShards
	for shards > 1 && o.MaxEntries/shards < 256 {
		shards /= 2
	}
	n := &near{
		client:   client,
		channel:  prefix + "inv",
		maxLag:   int64(o.MaxLag),
		interval: o.MaxLag / 4,
		dead:     int64(max(4*o.MaxLag, time.Second)),
		base:     time.Now(),
		seed:     maphash.MakeSeed(),
		mask:     uint64(shards - 1),
		perShard: o.MaxEntries / shards,
		shards:   make([]nearShard, shards),
		stop:     make(chan struct{}),
	}
	for i := range n.shards {
		sh := &n.shards[i]
		sh.sess = make(map[string]struct{})
		sh.subj = make(map[string]int)
		sh.flights = make(map[flightKey]*flight)
	}
	n.state.Store(2) // epoch 1, not subscribed
	n.wg.Add(2)
	go n.loop()
	go n.beat()
	return n, nil
}

// now returns the local monotonic time, in ns since n.base.
func (n *near) now() int64 { return int64(time.Since(n.base)) }

// isFresh reports whether the cache may answer from memory.
func (n *near) isFresh() bool {
	_, ok := n.freshNow()
	return ok
}

// freshNow reports whether the cache may answer from memory, and the time.
func (n *near) freshNow() (now int64, ok bool) {
	if n.state.Load()&1 == 0 {
		return 0, false
	}
	f := n.fresh.Load()
	now = n.now()
	return now, f != 0 && f >= n.barrier.Load() && now-f <= n.maxLag
}

// hit counts a call answered from memory at now.
func (n *near) hit(now int64) { n.hits[now>>4&7].Add(1) }

// wrote tells the cache that this instance made a write that changed the
// session sid and the subject sub (either may be empty), so that its next
// Revoked reads what it wrote, at once: it drops them, and makes the
// reads of Redis in flight for them not be installed. If the write may
// have changed other records (the sessions a login at the cap or a
// RevokeSubject ends), others is set: then the cache answers from memory
// only once a heartbeat sent now has come back, that is, once the
// invalidations of the write have arrived, and sends one at once.
func (n *near) wrote(sid, sub string, others bool) {
	if others {
		t := n.now()
		for {
			b := n.barrier.Load()
			if b >= t || n.barrier.CompareAndSwap(b, t) {
				break
			}
		}
		n.mu.Lock()
		ps := n.ps
		n.mu.Unlock()
		if st := n.state.Load(); ps != nil && st&1 == 1 {
			n.ping(ps, st>>1)
		}
	}
	if sid != "" {
		n.invalidate("s:" + sid)
	}
	if sub != "" {
		n.invalidate("u:" + sub)
	}
}

func (n *near) shard(id string) *nearShard {
	return &n.shards[maphash.String(n.seed, id)&n.mask]
}

// close stops the goroutines and waits for them.
func (n *near) close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	close(n.stop)
	if n.ps != nil {
		n.ps.Close()
	}
	n.mu.Unlock()
	n.wg.Wait()
}

// loop subscribes, applies what the subscription brings, and starts over,
// in a new epoch, whenever it breaks.
func (n *near) loop() {
	defer n.wg.Done()
	backoff := 10 * time.Millisecond
	for {
		ps := n.client.SSubscribe(context.Background(), n.channel)
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			ps.Close()
			return
		}
		n.ps = ps
		n.mu.Unlock()
		n.alive.Store(n.now())
		if n.receive(ps) {
			backoff = 10 * time.Millisecond
		}
		ps.Close()
		n.flush()
		select {
		case <-n.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// receive applies the messages of ps until it breaks, and reports whether
// it was ever confirmed.
func (n *near) receive(ps *redis.PubSub) (confirmed bool) {
	epoch := n.state.Load() >> 1
	for {
		msg, err := ps.Receive(context.Background())
		if err != nil {
			return confirmed
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if confirmed || m.Kind != "ssubscribe" || m.Channel != n.channel {
				return confirmed // a resubscription, or an unsubscription: a gap
			}
			confirmed = true
			n.alive.Store(n.now())
			n.state.Store(epoch<<1 | 1)
			n.ping(ps, epoch) // fresh as soon as it comes back
		case *redis.Message:
			if !confirmed {
				return false
			}
			n.invalidate(m.Payload)
		case *redis.Pong:
			e, sent, ok := strings.Cut(m.Payload, ":")
			if !ok || e != strconv.FormatUint(epoch, 10) {
				continue // of an earlier epoch
			}
			t, err := strconv.ParseInt(sent, 10, 64)
			if err != nil || !confirmed {
				continue
			}
			n.alive.Store(n.now())
			if t > n.fresh.Load() {
				n.fresh.Store(t)
			}
		default:
			return confirmed
		}
	}
}

// ping sends a heartbeat of epoch on ps, stamped with the local time.
func (n *near) ping(ps *redis.PubSub, epoch uint64) {
	payload := strconv.FormatUint(epoch, 10) + ":" + strconv.FormatInt(n.now(), 10)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n.maxLag))
	defer cancel()
	ps.Ping(ctx, payload) // an error breaks the subscription, which loop sees
}

// beat sends the heartbeats, and drops a subscription that has shown no
// sign of life for n.dead, so that loop starts over.
func (n *near) beat() {
	defer n.wg.Done()
	tick := time.NewTicker(n.interval)
	defer tick.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-tick.C:
		}
		n.mu.Lock()
		ps := n.ps
		n.mu.Unlock()
		if ps == nil {
			continue
		}
		if n.now()-n.alive.Load() > n.dead {
			ps.Close() // loop sees an error, flushes and subscribes again
			continue
		}
		if st := n.state.Load(); st&1 == 1 {
			n.ping(ps, st>>1)
		}
	}
}

// flush empties the cache and starts a new epoch, not subscribed.
func (n *near) flush() {
	epoch := n.state.Load()>>1 + 1
	n.state.Store(epoch << 1)
	n.fresh.Store(0)
	n.flushes.Add(1)
	for i := range n.shards {
		n.clearShard(&n.shards[i])
	}
}

func (n *near) clearShard(sh *nearShard) {
	sh.mu.Lock()
	for k := range sh.sess {
		n.sess.Delete(k)
	}
	for k := range sh.subj {
		n.subj.Delete(k)
	}
	clear(sh.sess)
	clear(sh.subj)
	sh.n = 0
	sh.seq++
	sh.mu.Unlock()
}

// dropSession and dropSubject drop an entry of sh, if there. The caller
// holds sh.mu.
func (n *near) dropSession(sh *nearShard, id string) {
	if _, ok := sh.sess[id]; ok {
		delete(sh.sess, id)
		n.sess.Delete(id)
		sh.n--
	}
}

func (n *near) dropSubject(sh *nearShard, id string) {
	if size, ok := sh.subj[id]; ok {
		delete(sh.subj, id)
		n.subj.Delete(id)
		sh.n -= size
	}
}

// invalidate drops the record that payload names ("s:"+sid or "u:"+sub).
// A payload of no known form empties the cache.
func (n *near) invalidate(payload string) {
	kind, id, _ := strings.Cut(payload, ":")
	switch kind {
	case "s":
		sh := n.shard(id)
		sh.mu.Lock()
		n.dropSession(sh, id)
		sh.seq++
		sh.mu.Unlock()
	case "u":
		sh := n.shard(id)
		sh.mu.Lock()
		n.dropSubject(sh, id)
		sh.seq++
		sh.mu.Unlock()
	default:
		for i := range n.shards {
			n.clearShard(&n.shards[i])
		}
	}
}

// makeRoom drops entries of sh until it has room for need more. The
// caller holds sh.mu.
func (n *near) makeRoom(sh *nearShard, need int) {
	for sh.n+need > n.perShard && sh.n > 0 {
		// Map iteration starts at a random entry.
		for k := range sh.sess {
			n.dropSession(sh, k)
			break
		}
		if sh.n+need <= n.perShard {
			return
		}
		for k := range sh.subj {
			n.dropSubject(sh, k)
			break
		}
	}
}

// nearRevoked is Store.Revoked with a near cache, for a token with a session
// or a subject, whose ids have been checked.
func (s *Store) nearRevoked(ctx context.Context, t *jwtauth.TokenRef) (bool, error) {
	n := s.near
	now, fresh := n.freshNow()
	if t.Session != "" {
		if fresh {
			if r, ok := n.sess.Load(t.Session); ok {
				n.hit(now)
				return r.(*sessionRec).revoked(t), nil
			}
		}
		sh := n.shard(t.Session)
		k := flightKey{session: true, id: t.Session}
		f, leader, err := n.join(ctx, sh, k, fresh)
		if err != nil {
			return false, err
		}
		if !leader {
			if f.ok && n.isFresh() {
				return f.sess.revoked(t), nil
			}
			f = nil // do a read of one's own
		}
		r, err := s.readSession(ctx, t.Session)
		n.land(sh, k, f, func(f *flight) bool {
			if err != nil {
				return false
			}
			f.sess = r
			// Copies of the ids: those of a token share the memory of
			// its whole payload.
			id := strings.Clone(t.Session)
			if _, had := sh.sess[id]; !had {
				n.makeRoom(sh, 1)
				sh.sess[id] = struct{}{}
				sh.n++
			}
			stored := r
			stored.sub = strings.Clone(r.sub)
			n.sess.Store(id, &stored)
			return true
		})
		if err != nil {
			return false, err
		}
		return r.revoked(t), nil
	}

	if fresh {
		if v, ok := n.subj.Load(t.Subject); ok {
			rec := v.(*subjectRec)
			until, known := int64(noToken), true
			if t.ID != "" {
				until, known = rec.tokens[t.ID]
			}
			if known {
				n.hit(now)
				return revokedSubject(t, rec.hasBU, rec.b, rec.bu, until != noToken, until), nil
			}
		}
	}
	sh := n.shard(t.Subject)
	k := flightKey{id: t.Subject, jti: t.ID}
	f, leader, err := n.join(ctx, sh, k, fresh)
	if err != nil {
		return false, err
	}
	if !leader {
		if f.ok && n.isFresh() {
			return f.subj.revoked(t), nil
		}
		f = nil
	}
	r, err := s.readSubject(ctx, t.Subject, t.ID)
	n.land(sh, k, f, func(f *flight) bool {
		if err != nil {
			return false
		}
		f.subj = r
		// A new record, never changed once stored: of r, and of the
		// token ids the old one had, as many as fit.
		rec := &subjectRec{hasBU: r.hasBU, b: r.b, bu: r.bu}
		if t.ID != "" {
			jti := strings.Clone(t.ID) // not sharing the token's memory
			rec.tokens = map[string]int64{jti: noToken}
			if r.hasUntil {
				rec.tokens[jti] = r.until
			}
		}
		// The entry of t.Subject changes only under sh.mu: the one there
		// is current too, since no invalidation came since this read
		// started.
		if v, ok := n.subj.Load(t.Subject); ok {
			for k, u := range v.(*subjectRec).tokens {
				if rec.size() >= min(n.perShard, maxTokensCached+1) {
					break
				}
				if k != t.ID {
					if rec.tokens == nil {
						rec.tokens = make(map[string]int64)
					}
					rec.tokens[k] = u
				}
			}
		}
		n.dropSubject(sh, t.Subject)
		if rec.size() > n.perShard {
			return false
		}
		n.makeRoom(sh, rec.size())
		sub := strings.Clone(t.Subject)
		sh.subj[sub] = rec.size()
		sh.n += rec.size()
		n.subj.Store(sub, rec)
		return true
	})
	if err != nil {
		return false, err
	}
	return r.revoked(t), nil
}

// size is the number of entries rec counts for.
func (rec *subjectRec) size() int { return 1 + len(rec.tokens) }

// join returns the flight of k: a new one, of which the caller is the
// leader and must land, or one in flight, which join waits for, within
// ctx. It counts the call as a miss, or a fallback if the cache was not
// fresh. A leader's flight is nil when the cache could not install what
// it reads (not subscribed).
func (n *near) join(ctx context.Context, sh *nearShard, k flightKey, fresh bool) (f *flight, leader bool, err error) {
	if fresh {
		n.misses.Add(1)
	} else {
		n.fallbacks.Add(1)
	}
	sh.mu.Lock()
	// The state is read under the shard's lock: a flush that changes it
	// later bumps sh.seq after, so that land installs nothing.
	st := n.state.Load()
	if st&1 == 0 {
		sh.mu.Unlock()
		return nil, true, nil // a read that may not be installed
	}
	if f := sh.flights[k]; f != nil && f.seq == sh.seq && f.state == st {
		sh.mu.Unlock()
		select {
		case <-f.done:
			return f, false, nil
		case <-ctx.Done():
			return nil, false, fmt.Errorf("redisstore: revoked: %w", ctx.Err())
		}
	}
	f = &flight{seq: sh.seq, state: st, done: make(chan struct{})}
	sh.flights[k] = f
	sh.mu.Unlock()
	return f, true, nil
}

// land ends the flight f of its leader: install (under the shard's lock)
// installs the read and reports whether it did, called only if no
// invalidation of the shard and no new epoch came since f started.
func (n *near) land(sh *nearShard, k flightKey, f *flight, install func(*flight) bool) {
	if f == nil {
		return
	}
	sh.mu.Lock()
	if f.seq == sh.seq && f.state == n.state.Load() {
		f.ok = install(f)
	}
	if sh.flights[k] == f {
		delete(sh.flights, k)
	}
	sh.mu.Unlock()
	close(f.done)
}

// stats returns the counters.
func (n *near) stats() NearCacheStats {
	st := NearCacheStats{
		Misses: n.misses.Load(), Fallbacks: n.fallbacks.Load(),
		Flushes: n.flushes.Load(), Fresh: n.isFresh(),
	}
	for i := range n.hits {
		st.Hits += n.hits[i].Load()
	}
	for i := range n.shards {
		sh := &n.shards[i]
		sh.mu.Lock()
		st.Entries += sh.n
		sh.mu.Unlock()
	}
	return st
}

// NearCacheStats returns the counters of the Store's near cache, and
// whether it answers from memory now; the zero NearCacheStats for a Store
// without one. It is cheap: the counters are atomic, and Entries takes
// each shard's lock once.
func (s *Store) NearCacheStats() NearCacheStats {
	if s.near == nil {
		return NearCacheStats{}
	}
	return s.near.stats()
}

// Close stops the goroutines of the Store's near cache and waits for them;
// a Store without a near cache has none, and Close does nothing. After
// Close, Revoked reads Redis on every call, as without a near cache. The
// client stays the caller's: Close does not close it, and should come
// before the client's Close (until then the near cache keeps trying to
// subscribe). Close returns nil.
func (s *Store) Close() error {
	if s.near != nil {
		s.near.close()
	}
	return nil
}
