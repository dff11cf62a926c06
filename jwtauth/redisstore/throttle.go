package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/authkit-go/authkit/throttle"
	"github.com/redis/go-redis/v9"
)

// Throttle is a [throttle.Backend] in Redis: the counters of failed logins
// of a [throttle.Limiter], shared by every instance of a service, so that an
// attacker does not get the free failures of each instance. Make one with
// [NewThrottle]; it is safe for concurrent use.
//
// # Keys and expiry
//
// A counter is a hash of two fields, n (failures) and t (the last one, in
// Unix milliseconds), under Prefix+"throttle:"+key, where key is the
// Limiter's: a kind and a hash of the account and client names, 24 bytes
// that no name can lengthen, collide or inject anything with, and that
// reveal neither usernames nor addresses to whoever reads Redis. Each
// failure is one Lua script (atomic: concurrent failures, on any instances,
// all count) that also sets the key to expire Forget later (PEXPIRE), so
// that Redis holds only the counters of failures of the last Forget and
// needs no cleaning. Give Redis the memory for them (a counter takes about
// 100 bytes) and maxmemory-policy noeviction, or a flood of failures makes
// it evict the counters that matter. Times come from the Limiter
// (Config.Now), so the clocks of the instances should agree (NTP); a Last
// in the future never makes a wait longer than its limit.
//
// # Errors
//
// Every method takes the caller's context, fails without touching Redis
// when it is already done, and returns Redis errors wrapped
// ("redisstore: throttle add: …"). The Limiter wraps them in
// [throttle.ErrUnavailable]: by default a login whose counters cannot be
// read is refused (fail closed, 503), unless the Limiter's
// Config.InsecureFailOpen says otherwise. Use a client with
// ContextTimeoutEnabled and short timeouts, as for a [Store]: they bound
// how long a login waits on a Redis that does not answer.
type Throttle struct {
	client redis.UniversalClient
	prefix string
}

var _ throttle.Backend = (*Throttle)(nil)

// NewThrottle returns a Throttle that keeps its counters in client, under
// opts.Prefix+"throttle:" (Prefix is [DefaultPrefix] when empty), apart from
// the keys of a [Store] of the same Prefix. Limiters that must not share
// counters, such as those of logins and of refreshes, use different
// Prefixes. The client stays the caller's: the Throttle never closes it.
func NewThrottle(client redis.UniversalClient, opts Options) *Throttle {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Throttle{client: client, prefix: prefix + "throttle:"}
}

// addScript counts a failure at ARGV[1] (Unix milliseconds) in the hash
// KEYS[1], starting again from zero when its last failure is ARGV[2]
// milliseconds or more before it, keeps the later of the two times, sets
// the key to expire ARGV[2] milliseconds from now, and returns the count
// and the time.
var addScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local forget = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'n', 't')
local n = tonumber(v[1]) or 0
local t = tonumber(v[2]) or 0
if now - t >= forget then
	n = 0
end
n = n + 1
if t > now then
	now = t
end
redis.call('HSET', KEYS[1], 'n', n, 't', now)
redis.call('PEXPIRE', KEYS[1], forget)
return {n, now}
`)

var errBadForget = errors.New("redisstore: throttle add: forget shorter than a millisecond")

// Load implements [throttle.Backend].
func (s *Throttle) Load(ctx context.Context, key string) (throttle.Record, error) {
	if err := ctx.Err(); err != nil {
		return throttle.Record{}, fmt.Errorf("redisstore: throttle load: %w", err)
	}
	if len(key) > MaxIDLength {
		return throttle.Record{}, ErrInvalidID
	}
	v, err := s.client.HMGet(ctx, s.prefix+key, "n", "t").Result()
	if err != nil {
		return throttle.Record{}, wrap(ctx, "throttle load", err)
	}
	n, _ := v[0].(string)
	t, _ := v[1].(string)
	if n == "" {
		return throttle.Record{}, nil
	}
	return record(n, t)
}

// Add implements [throttle.Backend].
func (s *Throttle) Add(ctx context.Context, key string, now time.Time, forget time.Duration) (throttle.Record, error) {
	if err := ctx.Err(); err != nil {
		return throttle.Record{}, fmt.Errorf("redisstore: throttle add: %w", err)
	}
	if len(key) > MaxIDLength {
		return throttle.Record{}, ErrInvalidID
	}
	ms := forget.Milliseconds()
	if ms < 1 {
		return throttle.Record{}, errBadForget
	}
	v, err := addScript.Run(ctx, s.client, []string{s.prefix + key}, now.UnixMilli(), ms).Int64Slice()
	if err != nil {
		return throttle.Record{}, wrap(ctx, "throttle add", err)
	}
	if len(v) != 2 {
		return throttle.Record{}, errors.New("redisstore: throttle add: unexpected reply")
	}
	return throttle.Record{Failures: int(v[0]), Last: time.UnixMilli(v[1])}, nil
}

// Delete implements [throttle.Backend].
func (s *Throttle) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: throttle delete: %w", err)
	}
	if len(key) > MaxIDLength {
		return ErrInvalidID
	}
	if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
		return wrap(ctx, "throttle delete", err)
	}
	return nil
}

// record reads the fields of a counter.
func record(n, t string) (throttle.Record, error) {
	failures, err1 := strconv.Atoi(n)
	last, err2 := strconv.ParseInt(t, 10, 64)
	if err1 != nil || err2 != nil || failures < 0 {
		return throttle.Record{}, errors.New("redisstore: throttle load: malformed counter")
	}
	return throttle.Record{Failures: failures, Last: time.UnixMilli(last)}, nil
}
