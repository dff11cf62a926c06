package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/redis/go-redis/v9"
)

// MaxProofsPerKey is how many DPoP proofs of one key a [Store] remembers at
// once, across every instance: past it, the key's further proofs are
// refused as replays (jwtauth.ErrDPoPReplay) until some of its proofs
// leave the window. It is the default share of one key in
// jwtauth.NewReplayCache: a client that holds a bound token, and its key,
// cannot fill Redis with proofs; a well-behaved one, which proves once per
// request, reaches it only past some 4096 requests in two windows (two
// minutes by default).
const MaxProofsPerKey = 4096

// maxReplayJTI is the length in bytes of the longest jti Once accepts: that
// of jwtauth.ReplayCache, whose verifier refuses longer ones first.
const maxReplayJTI = 256

var _ jwtauth.ReplayCache = (*Store)(nil)

// replayScript: KEYS proofs of the key; ARGV now, until (Unix ms, the
// caller's clock), ttl (until−now, ms), hash of the jti, MaxProofsPerKey.
// It returns 1 when the proof is new and now recorded, 0 when it was seen
// or its key has MaxProofsPerKey live proofs. The record is a sorted set of
// the key's proofs by until: the proofs that ended by now leave it first,
// so that it counts, as jwtauth.NewReplayCache does, the live ones only.
// Without allow-oom: a Redis at maxmemory refuses it, and the proof.
var replayScript = redis.NewScript(`#!lua
local k, now = KEYS[1], tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
if redis.call('ZSCORE', k, ARGV[4]) then
	return 0
end
if redis.call('ZCARD', k) >= tonumber(ARGV[5]) then
	return 0
end
redis.call('ZADD', k, ARGV[2], ARGV[4])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', k) < ttl then
	redis.call('PEXPIRE', k, ttl)
end
return 1
`)

// Once implements [jwtauth.ReplayCache], so that every instance of a
// service, and its token endpoint (an [issuer.Issuer] whose Store is this
// Store uses it by default), accepts each DPoP proof once: one script,
// which Redis runs atomically, so of concurrent calls with one proof, on
// any instances, exactly one reports first. jkt is the proof key's
// thumbprint and jti the proof's jti; they are recorded under
// Prefix+"p:"+jkt, a sorted set of the SHA-256 of the key's jtis, until
// until, as measured by now (the TTL is until−now: the caller's clock,
// never Redis's). A key holds at most [MaxProofsPerKey] live proofs; past
// that, Once reports a replay.
//
// jkt must be 1 to [MaxIDLength] base64url characters (an RFC 7638
// thumbprint is 43), and jti 1 to 256 bytes, any bytes; others fail with
// an error matching [ErrInvalidID]. A Redis at maxmemory refuses new proofs
// with an error matching jwtauth.ErrReplayCacheFull, which a Middleware
// answers 503; any other Redis error is wrapped in jwtauth.ErrStore and
// answered 500. Both fail closed: a proof that cannot be recorded is never
// accepted.
func (s *Store) Once(ctx context.Context, jkt, jti string, now, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("redisstore: dpop proof: %w", err)
	}
	if !isThumbprint(jkt) || jti == "" || len(jti) > maxReplayJTI {
		return false, fmt.Errorf("redisstore: dpop proof: %w", ErrInvalidID)
	}
	sum := sha256.Sum256([]byte(jti))
	ttl := until.Sub(now).Milliseconds()
	if ttl < 1 {
		ttl = 1 // already over: remember it for as short as Redis can
	}
	n, err := replayScript.Run(ctx, s.client, []string{s.prefix + "p:" + jkt},
		ms(now), ms(now)+ttl, ttl, base64.RawURLEncoding.EncodeToString(sum[:]), MaxProofsPerKey).Int64()
	switch {
	case redis.IsOOMError(err):
		return false, fmt.Errorf("redisstore: dpop proof: %w: %w", jwtauth.ErrReplayCacheFull, err)
	case err != nil:
		return false, wrap(ctx, "dpop proof", err)
	}
	return n == 1, nil
}

// isThumbprint reports whether jkt is 1 to MaxIDLength base64url
// characters: no ":" or other byte that could make the key of one
// thumbprint that of another, or of another kind of record.
func isThumbprint(jkt string) bool {
	if jkt == "" || len(jkt) > MaxIDLength {
		return false
	}
	for i := 0; i < len(jkt); i++ {
		c := jkt[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
