package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix of a Store whose Options.Prefix is empty.
const DefaultPrefix = "authkit:"

// MaxIDLength is the length in bytes of the longest id a Store accepts. The
// ids jwtauth makes are 22 bytes long.
const MaxIDLength = 256

// ErrInvalidID is returned for an id longer than [MaxIDLength] bytes. Like
// every Store error it makes jwtauth fail closed.
var ErrInvalidID = errors.New("redisstore: id too long")

// Options configures a [Store]. The zero value is the default.
type Options struct {
	// Prefix is put before every key the Store writes, so that several
	// applications, or several issuers that must not see each other's
	// revocations, can share one Redis. Default [DefaultPrefix]. Instances
	// that share revocations must use the same Prefix.
	Prefix string
}

// Store is a [jwtauth.Store] in Redis. Make one with [New]; it is safe for
// concurrent use, and any number of Stores, in any number of processes,
// that use the same Redis and Prefix share their entries.
type Store struct {
	client redis.UniversalClient
	rev    string // key prefix of revoked ids
	use    string // key prefix of consumed refresh token ids
}

var _ jwtauth.Store = (*Store)(nil)

// New returns a Store that keeps its entries in client, under the keys
// described in the package documentation. The client stays the caller's: the
// Store never closes it.
func New(client redis.UniversalClient, opts Options) *Store {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{client: client, rev: prefix + "rev:", use: prefix + "use:"}
}

// revokeScript sets KEYS[1] to expire at ARGV[1] (Unix milliseconds), unless
// it is already set to expire at that time or later. The value is the
// deadline itself, so that no newer Redis command is needed to read it back.
var revokeScript = redis.NewScript(`
local t = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= t then
	return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[1])
return 1
`)

// consumeScript sets KEYS[1] to ARGV[1], a random nonce of the call, to
// expire at ARGV[2] (Unix milliseconds), and returns 1, unless the key is
// already set, in which case it returns 0. A key already holding the call's
// own nonce also gives 1: that is a retry of a call whose reply was lost.
var consumeScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
	return 1
end
if cur then
	return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1
`)

// Revoke implements [jwtauth.Store]: id is revoked until until, or later if
// it already was. An until not in the future, and the empty id, which
// Revoked ignores, record nothing.
func (s *Store) Revoke(ctx context.Context, id string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: revoke: %w", err)
	}
	if len(id) > MaxIDLength {
		return ErrInvalidID
	}
	if id == "" || !until.After(time.Now()) {
		return nil
	}
	err := revokeScript.Run(ctx, s.client, []string{s.rev + id}, unixMilli(until)).Err()
	if err != nil {
		return wrap(ctx, "revoke", err)
	}
	return nil
}

// Revoked implements [jwtauth.Store]: it reports whether the jti id or the
// session sid, where not empty, is revoked, in one round trip.
func (s *Store) Revoked(ctx context.Context, id, sid string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("redisstore: revoked: %w", err)
	}
	keys := make([]string, 0, 2)
	for _, id := range [2]string{id, sid} {
		if len(id) > MaxIDLength {
			return false, ErrInvalidID
		}
		if id != "" {
			keys = append(keys, s.rev+id)
		}
	}
	switch len(keys) {
	case 0:
		return false, nil
	case 1:
		n, err := s.client.Exists(ctx, keys[0]).Result()
		if err != nil {
			return false, wrap(ctx, "revoked", err)
		}
		return n > 0, nil
	}
	// One EXISTS per key, pipelined: a single EXISTS of several keys would
	// fail on a Redis Cluster whose slots they straddle.
	cmds, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Exists(ctx, k)
		}
		return nil
	})
	if err != nil {
		return false, wrap(ctx, "revoked", err)
	}
	for _, c := range cmds {
		if c.(*redis.IntCmd).Val() > 0 {
			return true, nil
		}
	}
	return false, nil
}

// Consume implements [jwtauth.Store]: it records id as used until until and
// reports whether this call was the first to do so, atomically across every
// Store of the same Redis. An until not in the future records nothing and
// gives true, since a refresh token expired by then could not be presented
// again.
func (s *Store) Consume(ctx context.Context, id string, until time.Time) (bool, error) {
	nonce := make([]byte, 12)
	rand.Read(nonce)
	return s.consume(ctx, id, until, base64.RawURLEncoding.EncodeToString(nonce))
}

func (s *Store) consume(ctx context.Context, id string, until time.Time, nonce string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("redisstore: consume: %w", err)
	}
	if len(id) > MaxIDLength {
		return false, ErrInvalidID
	}
	if !until.After(time.Now()) {
		return true, nil
	}
	n, err := consumeScript.Run(ctx, s.client, []string{s.use + id}, nonce, unixMilli(until)).Int64()
	if err != nil {
		return false, wrap(ctx, "consume", err)
	}
	return n == 1, nil
}

// unixMilli returns t in Unix milliseconds, rounded up so that an entry
// never expires before t.
func unixMilli(t time.Time) string {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return strconv.FormatInt(ms, 10)
}

// wrap wraps err, from Redis, with the name of the operation, and with the
// context's error when the context ended the call: go-redis reports a
// deadline reached during a command as a network timeout.
func wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("redisstore: %s: %w: %w", op, cerr, err)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}
