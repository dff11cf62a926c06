package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix of a Store whose Options.Prefix is empty.
const DefaultPrefix = "authkit:"

// MaxIDLength is the length in bytes of the longest id, session id, subject
// or throttle key a Store or Throttle accepts: [issuer.MaxSubjectLength].
// The ids the issuer makes are 22 bytes long.
const MaxIDLength = issuer.MaxSubjectLength

// ErrInvalidID is returned for an id or subject that is empty where one is
// required, or longer than [MaxIDLength] bytes. Like every Store error it
// makes jwtauth fail closed.
var ErrInvalidID = errors.New("redisstore: id or subject empty or longer than 255 bytes")

// ErrEvictionPolicy is returned by [New] for a Redis whose maxmemory-policy
// is not noeviction: a Redis that evicts keys when full drops the records of
// sessions and revocations, and a logged-out token whose record is evicted
// works again. Set Options.InsecureAllowEviction to accept it anyway.
var ErrEvictionPolicy = errors.New("redisstore: Redis evicts keys (maxmemory-policy is not noeviction)")

// Options configures a [Store] (and the Prefix of a [Throttle]). The zero
// value is the default.
type Options struct {
	// Prefix is put before every key the Store writes, so that several
	// applications, or several issuers that must not see each other's
	// sessions, can share one Redis. Default [DefaultPrefix]. Instances
	// that share sessions must use the same Prefix; Stores that must not
	// must use prefixes of which none begins with another. On a Redis
	// Cluster it must hold a hash tag, such as "{authkit}:", so that
	// every key is in one slot (see the package documentation).
	Prefix string

	// Logger receives the warnings of New: that the maxmemory-policy of
	// Redis could not be read, or that it evicts and InsecureAllowEviction
	// let it. Default slog.Default() at the time of New.
	Logger *slog.Logger

	// InsecureAllowEviction lets New accept a Redis whose maxmemory-policy
	// evicts keys (allkeys-* or volatile-*), with a warning in place of
	// [ErrEvictionPolicy]. Default false. Such a Redis, once full, evicts
	// session and revocation records as it pleases: a session ended by a
	// logout or a reuse comes back to life, a revoked token works again.
	// Only for tests, or a Redis that can never fill up.
	InsecureAllowEviction bool

	// NearCache, when set, gives the Store a near cache: a bounded copy,
	// in this instance's memory, of the records Revoked reads, kept
	// current by Redis, so that a request whose token's session or
	// subject is known answers without a round trip; a revocation on any
	// instance is honoured by this one within NearCacheOptions.MaxLag.
	// Default nil: every Revoked is a round trip. The Store then runs two
	// goroutines, which [Store.Close] stops. Not on a [redis.Ring]. See
	// the package documentation (Near cache).
	NearCache *NearCacheOptions
}

// Store is an [issuer.Store] in Redis: the sessions and revocations of an
// Issuer, shared by every instance of a service. Make one with [New]; it is
// safe for concurrent use, and any number of Stores, in any number of
// processes, that use the same Redis and Prefix share their records.
type Store struct {
	client redis.UniversalClient
	prefix string // Options.Prefix: the scripts build keys from it too
	sess   string // prefix + "s:": one hash per session
	subj   string // prefix + "u:": one hash per subject
	near   *near  // nil without Options.NearCache
}

var _ issuer.Store = (*Store)(nil)

// New returns a Store that keeps its records in client, under the keys the
// package documentation describes. The client stays the caller's: the Store
// never closes it.
//
// New first reads the maxmemory-policy of Redis (CONFIG GET), of every node
// of a cluster, within ctx: a policy other than noeviction fails with
// [ErrEvictionPolicy], unless Options.InsecureAllowEviction is set. A Redis
// that refuses CONFIG, as managed services do, cannot be checked: New then
// logs an error-level warning to Options.Logger and goes on, and keeping it
// at noeviction is up to its operator. A Redis that does not answer fails
// New.
func New(ctx context.Context, client redis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: new: nil client")
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	switch client.(type) {
	case *redis.ClusterClient, *redis.Ring:
		if !hasHashTag(prefix) {
			return nil, errors.New(`redisstore: new: on a cluster, Options.Prefix must hold a hash tag such as "{authkit}:", so that every key of the Store is in one slot`)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redisstore: new: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if opts.NearCache != nil {
		if _, ok := client.(*redis.Ring); ok {
			return nil, errors.New("redisstore: new: no near cache on a Ring, which moves keys between shards as they come and go; use a Redis Cluster")
		}
	}
	if err := checkEviction(ctx, client, opts.InsecureAllowEviction, logger); err != nil {
		return nil, err
	}
	s := &Store{client: client, prefix: prefix, sess: prefix + "s:", subj: prefix + "u:"}
	if opts.NearCache != nil {
		n, err := newNear(client, prefix, *opts.NearCache)
		if err != nil {
			return nil, err
		}
		s.near = n
	}
	return s, nil
}

// hasHashTag reports whether prefix holds a Redis Cluster hash tag: a "{"
// followed, later, by a "}", with something in between. The tag of a key is
// its first such, so what follows the prefix cannot change it.
func hasHashTag(prefix string) bool {
	_, rest, ok := strings.Cut(prefix, "{")
	if !ok {
		return false
	}
	end := strings.IndexByte(rest, '}')
	return end > 0
}

// errNoPolicy stands for a CONFIG GET that answered without the parameter,
// as some proxies do.
var errNoPolicy = errors.New("no maxmemory-policy in the reply")

// checkEviction implements New's check of maxmemory-policy.
func checkEviction(ctx context.Context, client redis.UniversalClient, insecure bool, logger *slog.Logger) error {
	var (
		mu       sync.Mutex
		policies []string
		unread   error // why a node could not be checked
	)
	check := func(ctx context.Context, c redis.Cmdable) error {
		m, err := c.ConfigGet(ctx, "maxmemory-policy").Result()
		p, ok := m["maxmemory-policy"]
		if err == nil && !ok {
			err = errNoPolicy
		}
		var reply redis.Error
		if err != nil && !errors.As(err, &reply) && !errors.Is(err, errNoPolicy) {
			return wrap(ctx, "new: reading maxmemory-policy", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			unread = err
		} else {
			policies = append(policies, p)
		}
		return nil
	}
	var err error
	switch c := client.(type) {
	case *redis.ClusterClient:
		err = c.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return check(ctx, n) })
	case *redis.Ring:
		err = c.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return check(ctx, n) })
	default:
		err = check(ctx, client)
	}
	if err != nil {
		return err
	}
	for _, p := range policies {
		if p == "noeviction" {
			continue
		}
		if !insecure {
			return fmt.Errorf("%w: it is %q; set it to noeviction", ErrEvictionPolicy, p)
		}
		logger.LogAttrs(ctx, slog.LevelWarn,
			"redisstore: Redis evicts keys and Options.InsecureAllowEviction accepts it: once full, it evicts session and revocation records, and logged-out tokens work again",
			slog.String("maxmemory-policy", p))
		break
	}
	if unread != nil {
		logger.LogAttrs(ctx, slog.LevelError,
			"redisstore: cannot check the maxmemory-policy of Redis (CONFIG GET refused); it must be noeviction, or a full Redis evicts session and revocation records and logged-out tokens work again",
			slog.String("reply", unread.Error()))
	}
	return nil
}

// The Lua scripts. Each write is one script, which Redis runs atomically.
// ARGV[1] is always the Prefix and ARGV[2] the caller's clock (now, Unix
// milliseconds): every time in a record is in that clock, and every TTL is
// such a time minus now, never a time of Redis's own clock.
//
// A subject record (a hash) has the fields "s:<sid>" (the order of the
// session's login: a sequence number), "t:<jti>" (a revoked token's
// until), n (the last sequence number), dl (the last deadline of the
// sessions listed), b and bu (the subject's tokens issued at or before b
// are revoked until bu), and ru (the end of its last revocation). The
// session record of the field "s:<sid>" is the key Prefix .. field.
const luaLib = `
local prefix = ARGV[1]
local now = tonumber(ARGV[2])

local function int(n)
	return string.format('%d', n)
end

-- inv tells the near caches of every Store that the record k (a session's
-- or a subject's) changed or went away: it publishes k without the prefix,
-- on the Store's invalidation channel. In the script, so that the messages
-- are in the order of the writes.
local function inv(k)
	redis.call('SPUBLISH', prefix .. 'inv', string.sub(k, #prefix + 1))
end

-- record reads the subject record u: the sessions it lists, as {field,
-- seq} in no order, and its ru and dl (or nil).
local function record(u)
	local all = redis.call('HGETALL', u)
	local ss, ru, dl = {}, nil, nil
	for i = 1, #all, 2 do
		local f = all[i]
		if string.sub(f, 1, 2) == 's:' then
			ss[#ss + 1] = {f, tonumber(all[i + 1])}
		elseif f == 'ru' then
			ru = tonumber(all[i + 1])
		elseif f == 'dl' then
			dl = tonumber(all[i + 1])
		end
	end
	return ss, ru, dl
end

-- live returns the sessions of sub that u lists and that are live at now,
-- oldest first. It unlists the others, and deletes those that ended by now.
local function live(u, sub)
	local out = {}
	for _, s in ipairs((record(u))) do
		local k = prefix .. s[1]
		local v = redis.call('HMGET', k, 'sub', 'expires')
		if v[1] == sub and tonumber(v[2]) > now then
			out[#out + 1] = s
		else
			if v[1] == sub then
				redis.call('DEL', k)
				inv(k)
			end
			redis.call('HDEL', u, s[1])
		end
	end
	table.sort(out, function(a, b) return a[2] < b[2] end)
	return out
end

-- settle makes the subject record u of sub expire at the last deadline of
-- its sessions and revocations, and deletes it, with the sessions it
-- lists, once that has passed.
local function settle(u, sub)
	local ss, ru, dl = record(u)
	local till = ru or now
	if #ss > 0 then
		if dl and dl > till then
			till = dl
		end
	else
		redis.call('HDEL', u, 'n', 'dl')
	end
	if till > now then
		redis.call('PEXPIRE', u, int(till - now))
		return
	end
	for _, s in ipairs(ss) do
		local k = prefix .. s[1]
		if redis.call('HGET', k, 'sub') == sub then
			redis.call('DEL', k)
			inv(k)
		end
	end
	redis.call('DEL', u)
	inv(u)
end

-- extend makes the revocations of u last until at least till.
local function extend(u, till)
	local ru = tonumber(redis.call('HGET', u, 'ru'))
	if not ru or till > ru then
		redis.call('HSET', u, 'ru', int(till))
	end
end

-- revokeBefore revokes the sessionless tokens of u issued at or before now,
-- until till, and forgets the jti entries that it covers.
local function revokeBefore(u, till)
	local v = redis.call('HMGET', u, 'b', 'bu')
	if not v[1] or now > tonumber(v[1]) then
		redis.call('HSET', u, 'b', ARGV[2])
	end
	local bu = tonumber(v[2])
	if not bu or till > bu then
		bu = till
		redis.call('HSET', u, 'bu', int(till))
	end
	local all = redis.call('HGETALL', u)
	for i = 1, #all, 2 do
		if string.sub(all[i], 1, 2) == 't:' and tonumber(all[i + 1]) <= bu then
			redis.call('HDEL', u, all[i])
		end
	end
	extend(u, till)
end
`

// createScript: KEYS session, subject; ARGV prefix, now, sub, sid, created,
// refreshed, expires, deadline, gen, device, addr, claims, max, op. It
// returns 1, or 0 when the id is taken by a live session. Without
// allow-oom: a Redis at maxmemory refuses it, and so refuses logins.
var createScript = redis.NewScript("#!lua\n" + luaLib + `
local s, u, sub = KEYS[1], KEYS[2], ARGV[3]
local cur = redis.call('HMGET', s, 'sub', 'expires', 'op')
if cur[1] then
	if cur[3] == ARGV[14] then
		return 1 -- a retry of this very call, whose reply was lost
	end
	if tonumber(cur[2]) > now then
		return 0
	end
	redis.call('DEL', s)
end
local max = tonumber(ARGV[13])
local ss, _, dl = record(u)
if #ss >= max then
	-- At the cap, counting the sessions that ended: end the oldest live
	-- ones until there is room.
	ss = live(u, sub)
	while #ss >= max and #ss > 0 do
		local old = table.remove(ss, 1)
		redis.call('DEL', prefix .. old[1])
		inv(prefix .. old[1])
		redis.call('HDEL', u, old[1])
	end
end
local expires, deadline = tonumber(ARGV[7]), tonumber(ARGV[8])
if expires > now then
	redis.call('HSET', s, 'sub', sub, 'created', ARGV[5], 'refreshed', ARGV[6], 'expires', ARGV[7],
		'deadline', ARGV[8], 'gen', ARGV[9], 'device', ARGV[10], 'addr', ARGV[11], 'claims', ARGV[12],
		'op', ARGV[14])
	redis.call('PEXPIRE', s, int(expires - now))
	redis.call('HSET', u, 's:' .. ARGV[4], redis.call('HINCRBY', u, 'n', 1))
	deadline = math.max(expires, deadline)
	if not dl or deadline > dl then
		redis.call('HSET', u, 'dl', int(deadline))
	end
end
inv(s)
settle(u, sub)
return 1
`)

// advanceScript: KEYS session, subject; ARGV prefix, now, sub, sid, gen,
// gen+1, now+idle, grace (ms), has claims ("1"), claims, op. It returns
// {outcome} or {outcome, created, refreshed, expires, deadline, gen, device,
// addr, claims}, with the outcomes of issuer.Outcome. It runs at maxmemory
// (allow-oom): it adds no key, only rewrites the fields of its session, and
// its reuse path is a revocation.
var advanceScript = redis.NewScript("#!lua flags=allow-oom\n" + luaLib + `
local s, u, sub = KEYS[1], KEYS[2], ARGV[3]
local v = redis.call('HMGET', s, 'sub', 'expires', 'gen', 'refreshed', 'deadline', 'op', 'created', 'device', 'addr', 'claims')
if v[1] ~= sub or tonumber(v[2]) <= now then
	return {0}
end
local function reply(outcome)
	return {outcome, v[7], v[4], v[2], v[5], v[3], v[8], v[9], v[10]}
end
if v[6] == ARGV[11] and v[3] == ARGV[6] then
	return reply(1) -- a retry of this very call, whose reply was lost
end
if v[3] == ARGV[5] then
	local exp = math.min(tonumber(ARGV[7]), tonumber(v[5]))
	v[2], v[3], v[4] = int(exp), ARGV[6], ARGV[2]
	if ARGV[9] == '1' then
		v[10] = ARGV[10]
		redis.call('HSET', s, 'gen', v[3], 'refreshed', v[4], 'expires', v[2], 'op', ARGV[11], 'claims', v[10])
	else
		redis.call('HSET', s, 'gen', v[3], 'refreshed', v[4], 'expires', v[2], 'op', ARGV[11])
	end
	inv(s)
	if exp > now then
		redis.call('PEXPIRE', s, int(exp - now))
	else
		redis.call('DEL', s)
		redis.call('HDEL', u, 's:' .. ARGV[4])
		settle(u, sub)
	end
	return reply(1)
end
local grace = tonumber(ARGV[8])
if v[3] == ARGV[6] and grace > 0 and now <= tonumber(v[4]) + grace then
	return reply(2)
end
redis.call('DEL', s)
inv(s)
redis.call('HDEL', u, 's:' .. ARGV[4])
settle(u, sub)
return {3}
`)

// endScript: KEYS session; ARGV prefix, now, subject (or ""), sid. It
// returns 1 when it ended a session live at now.
var endScript = redis.NewScript("#!lua flags=allow-oom\n" + luaLib + `
local s = KEYS[1]
local v = redis.call('HMGET', s, 'sub', 'expires')
if not v[1] or (ARGV[3] ~= '' and v[1] ~= ARGV[3]) then
	return 0
end
redis.call('DEL', s)
inv(s)
local u = prefix .. 'u:' .. v[1]
redis.call('HDEL', u, 's:' .. ARGV[4])
settle(u, v[1])
if tonumber(v[2]) > now then
	return 1
end
return 0
`)

// revokeSubjectScript: KEYS subject; ARGV prefix, now, sub, until.
var revokeSubjectScript = redis.NewScript("#!lua flags=allow-oom\n" + luaLib + `
local u, sub, till = KEYS[1], ARGV[3], tonumber(ARGV[4])
for _, s in ipairs((record(u))) do
	local k = prefix .. s[1]
	if redis.call('HGET', k, 'sub') == sub then
		redis.call('DEL', k)
		inv(k)
	end
	redis.call('HDEL', u, s[1])
end
revokeBefore(u, till)
inv(u)
settle(u, sub)
return 1
`)

// revokeTokenScript: KEYS subject; ARGV prefix, now, sub, until, jti,
// issuer.MaxRevokedTokens.
var revokeTokenScript = redis.NewScript("#!lua flags=allow-oom\n" + luaLib + `
local u, sub, till = KEYS[1], ARGV[3], tonumber(ARGV[4])
local f = 't:' .. ARGV[5]
local all = redis.call('HGETALL', u)
local n, have = 0, false
for i = 1, #all, 2 do
	if string.sub(all[i], 1, 2) == 't:' then
		local t = tonumber(all[i + 1])
		if t <= now then
			redis.call('HDEL', u, all[i])
		else
			n = n + 1
			if all[i] == f then
				have = t
			end
		end
	end
end
if not have and n >= tonumber(ARGV[6]) then
	revokeBefore(u, till)
else
	if not have or till > have then
		redis.call('HSET', u, f, ARGV[4])
	end
	extend(u, till)
end
inv(u)
settle(u, sub)
return 1
`)

// sessionsScript: KEYS subject; ARGV prefix, now, sub. It returns, oldest
// first, sid, created, refreshed, expires, deadline, gen, device, addr and
// claims of each live session, in one flat array.
var sessionsScript = redis.NewScript("#!lua flags=no-writes\n" + luaLib + `
local all = redis.call('HGETALL', KEYS[1])
local ss = {}
for i = 1, #all, 2 do
	if string.sub(all[i], 1, 2) == 's:' then
		ss[#ss + 1] = {all[i], tonumber(all[i + 1])}
	end
end
table.sort(ss, function(a, b) return a[2] < b[2] end)
local out = {}
for _, e in ipairs(ss) do
	local v = redis.call('HMGET', prefix .. e[1], 'sub', 'created', 'refreshed', 'expires', 'deadline', 'gen', 'device', 'addr', 'claims')
	if v[1] == ARGV[3] and tonumber(v[4]) > now then
		out[#out + 1] = string.sub(e[1], 3)
		for j = 2, 9 do
			out[#out + 1] = v[j]
		end
	end
end
return out
`)

// checkID refuses an id or subject that is empty (when required) or too
// long.
func checkID(id string, required bool) error {
	if len(id) > MaxIDLength || (required && id == "") {
		return ErrInvalidID
	}
	return nil
}

// ms returns t in Unix milliseconds: the resolution of every time a Store
// keeps.
func ms(t time.Time) int64 { return t.UnixMilli() }

// nonce returns a random value that tells a retry of a call from another
// call.
func nonce() string {
	var b [12]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Revoked implements [jwtauth.Store], in one round trip: HMGET of the
// session record for a token with a sid, of the subject record for one
// without. With a near cache, it answers from memory when it can (see the
// package documentation).
func (s *Store) Revoked(ctx context.Context, t jwtauth.TokenRef) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("redisstore: revoked: %w", err)
	}
	if t.Session != "" {
		if len(t.Session) > MaxIDLength {
			return false, ErrInvalidID
		}
		if s.near != nil {
			return s.nearRevoked(ctx, &t)
		}
		r, err := s.readSession(ctx, t.Session)
		if err != nil {
			return false, err
		}
		return r.revoked(&t), nil
	}
	if t.Subject == "" {
		return false, nil
	}
	if len(t.Subject) > MaxIDLength || len(t.ID) > MaxIDLength {
		return false, ErrInvalidID
	}
	if s.near != nil {
		return s.nearRevoked(ctx, &t)
	}
	r, err := s.readSubject(ctx, t.Subject, t.ID)
	if err != nil {
		return false, err
	}
	return r.revoked(&t), nil
}

// readSession reads what Revoked needs of the record of session sid.
func (s *Store) readSession(ctx context.Context, sid string) (sessionRec, error) {
	if err := ctx.Err(); err != nil {
		return sessionRec{}, fmt.Errorf("redisstore: revoked: %w", err)
	}
	// Do rather than HMGet: constant arguments need no boxing.
	v, err := s.client.Do(ctx, "hmget", s.sess+sid, "sub", "expires").Slice()
	if err != nil {
		return sessionRec{}, wrap(ctx, "revoked", err)
	}
	if len(v) != 2 {
		return sessionRec{}, errMalformed
	}
	sub, ok := v[0].(string)
	if !ok {
		return sessionRec{}, nil // no such session: it ended
	}
	exp, err := field(v[1])
	if err != nil {
		return sessionRec{}, err
	}
	return sessionRec{present: true, sub: sub, expires: exp}, nil
}

// readSubject reads what Revoked needs of the record of subject sub, for
// the token jti (or none).
func (s *Store) readSubject(ctx context.Context, sub, jti string) (subjectRead, error) {
	if err := ctx.Err(); err != nil {
		return subjectRead{}, fmt.Errorf("redisstore: revoked: %w", err)
	}
	var v []any
	var err error
	if jti == "" {
		v, err = s.client.Do(ctx, "hmget", s.subj+sub, "b", "bu").Slice()
	} else {
		v, err = s.client.Do(ctx, "hmget", s.subj+sub, "b", "bu", "t:"+jti).Slice()
	}
	if err != nil {
		return subjectRead{}, wrap(ctx, "revoked", err)
	}
	if len(v) < 2 {
		return subjectRead{}, errMalformed
	}
	var r subjectRead
	if v[1] != nil {
		before, err1 := field(v[0])
		until, err2 := field(v[1])
		if err := errors.Join(err1, err2); err != nil {
			return subjectRead{}, err
		}
		r.hasBU, r.b, r.bu = true, before, until
	}
	if len(v) > 2 && v[2] != nil {
		until, err := field(v[2])
		if err != nil {
			return subjectRead{}, err
		}
		r.hasUntil, r.until = true, until
	}
	return r, nil
}

var errMalformed = errors.New("redisstore: malformed record")

// field reads a time or a number of a record.
func field(v any) (int64, error) {
	str, _ := v.(string)
	n, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		return 0, errMalformed
	}
	return n, nil
}

// CreateSession implements [issuer.Store]: one script, which Redis runs
// atomically. A Redis at maxmemory refuses it with an error matching
// [issuer.ErrStoreFull]. A retry of the call by the client, after a reply
// lost on the network, succeeds too.
func (s *Store) CreateSession(ctx context.Context, se *issuer.Session, max int, now time.Time) error {
	return s.create(ctx, se, max, now, nonce())
}

func (s *Store) create(ctx context.Context, se *issuer.Session, max int, now time.Time, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: create session: %w", err)
	}
	if err := errors.Join(checkID(se.ID, true), checkID(se.Subject, true)); err != nil {
		return ErrInvalidID
	}
	n, err := createScript.Run(ctx, s.client, []string{s.sess + se.ID, s.subj + se.Subject},
		s.prefix, ms(now), se.Subject, se.ID, ms(se.Created), ms(se.Refreshed), ms(se.Expires),
		ms(se.Deadline), se.Generation, se.Device, se.Address, []byte(se.Claims), max, op).Int64()
	s.wrote(se.ID, "", true) // at the cap, it ends sessions it does not name
	switch {
	case redis.IsOOMError(err):
		return fmt.Errorf("redisstore: create session: %w: %w", issuer.ErrStoreFull, err)
	case err != nil:
		return wrap(ctx, "create session", err)
	case n == 0:
		return errors.New("redisstore: create session: session id already in use")
	}
	return nil
}

// sessionFields are the fields of a session record that make a Session,
// in the order sessionOf reads them.
var sessionFields = []string{"sub", "created", "refreshed", "expires", "deadline", "gen", "device", "addr", "claims"}

// Session implements [issuer.Store], in one round trip.
func (s *Store) Session(ctx context.Context, id string, now time.Time) (*issuer.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redisstore: session: %w", err)
	}
	if err := checkID(id, false); err != nil {
		return nil, err
	}
	if id == "" {
		return nil, issuer.ErrNoSession
	}
	v, err := s.client.HMGet(ctx, s.sess+id, sessionFields...).Result()
	if err != nil {
		return nil, wrap(ctx, "session", err)
	}
	sub, ok := v[0].(string)
	if !ok {
		return nil, issuer.ErrNoSession
	}
	se, err := sessionOf(id, sub, v[1:])
	if err != nil {
		return nil, err
	}
	if !now.Before(se.Expires) {
		return nil, issuer.ErrNoSession
	}
	return se, nil
}

// sessionOf makes the Session id of sub from the values of its record:
// created, refreshed, expires, deadline, gen, device, addr, claims.
func sessionOf(id, sub string, v []any) (*issuer.Session, error) {
	if len(v) != 8 {
		return nil, errMalformed
	}
	var t [4]int64
	for i := range t {
		n, err := field(v[i])
		if err != nil {
			return nil, err
		}
		t[i] = n
	}
	str, _ := v[4].(string)
	gen, err := strconv.ParseUint(str, 10, 64)
	if err != nil {
		return nil, errMalformed
	}
	device, _ := v[5].(string)
	addr, _ := v[6].(string)
	se := &issuer.Session{
		ID: id, Subject: sub,
		Created: time.UnixMilli(t[0]), Refreshed: time.UnixMilli(t[1]),
		Expires: time.UnixMilli(t[2]), Deadline: time.UnixMilli(t[3]),
		Generation: gen, Device: device, Address: addr,
	}
	if claims, _ := v[7].(string); claims != "" {
		se.Claims = json.RawMessage(claims)
	}
	return se, nil
}

// AdvanceSession implements [issuer.Store]: one script, which Redis runs
// atomically. A retry of the call by the client, after a reply lost on
// the network, gets the outcome of the first attempt (Advanced) rather
// than Reused.
func (s *Store) AdvanceSession(ctx context.Context, a issuer.Advance) (*issuer.Session, issuer.Outcome, error) {
	return s.advance(ctx, a, nonce())
}

func (s *Store) advance(ctx context.Context, a issuer.Advance, op string) (*issuer.Session, issuer.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return nil, issuer.NotFound, fmt.Errorf("redisstore: advance session: %w", err)
	}
	if err := errors.Join(checkID(a.ID, false), checkID(a.Subject, false)); err != nil {
		return nil, issuer.NotFound, ErrInvalidID
	}
	if a.ID == "" || a.Subject == "" {
		return nil, issuer.NotFound, nil
	}
	hasClaims := "0"
	if a.Claims != nil {
		hasClaims = "1"
	}
	v, err := advanceScript.Run(ctx, s.client, []string{s.sess + a.ID, s.subj + a.Subject},
		s.prefix, ms(a.Now), a.Subject, a.ID, a.Generation, a.Generation+1, ms(a.Now.Add(a.Idle)),
		a.Grace.Milliseconds(), hasClaims, []byte(a.Claims), op).Slice()
	s.wrote(a.ID, "", false)
	if err != nil {
		return nil, issuer.NotFound, wrap(ctx, "advance session", err)
	}
	out, ok := v[0].(int64)
	if !ok {
		return nil, issuer.NotFound, errMalformed
	}
	switch o := issuer.Outcome(out); o {
	case issuer.Advanced, issuer.InGrace:
		se, err := sessionOf(a.ID, a.Subject, v[1:])
		if err != nil {
			return nil, issuer.NotFound, err
		}
		return se, o, nil
	case issuer.NotFound, issuer.Reused:
		return nil, o, nil
	}
	return nil, issuer.NotFound, errMalformed
}

// EndSession implements [issuer.Store]: one script, which runs even when
// Redis is at maxmemory.
func (s *Store) EndSession(ctx context.Context, id, subject string, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("redisstore: end session: %w", err)
	}
	if err := errors.Join(checkID(id, false), checkID(subject, false)); err != nil {
		return false, ErrInvalidID
	}
	if id == "" {
		return false, nil
	}
	n, err := endScript.Run(ctx, s.client, []string{s.sess + id}, s.prefix, ms(now), subject, id).Int64()
	s.wrote(id, "", false)
	if err != nil {
		return false, wrap(ctx, "end session", err)
	}
	return n == 1, nil
}

// RevokeSubject implements [issuer.Store]: one script, which runs even
// when Redis is at maxmemory.
func (s *Store) RevokeSubject(ctx context.Context, subject string, now, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: revoke subject: %w", err)
	}
	if err := checkID(subject, true); err != nil {
		return err
	}
	err := revokeSubjectScript.Run(ctx, s.client, []string{s.subj + subject}, s.prefix, ms(now), subject, ms(until)).Err()
	s.wrote("", subject, true) // and the subject's sessions
	if err != nil {
		return wrap(ctx, "revoke subject", err)
	}
	return nil
}

// RevokeToken implements [issuer.Store]: one script, which runs even when
// Redis is at maxmemory.
func (s *Store) RevokeToken(ctx context.Context, subject, id string, now, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: revoke token: %w", err)
	}
	if err := errors.Join(checkID(subject, true), checkID(id, true)); err != nil {
		return ErrInvalidID
	}
	err := revokeTokenScript.Run(ctx, s.client, []string{s.subj + subject}, s.prefix, ms(now), subject,
		ms(until), id, issuer.MaxRevokedTokens).Err()
	s.wrote("", subject, false)
	if err != nil {
		return wrap(ctx, "revoke token", err)
	}
	return nil
}

// Sessions implements [issuer.Store], in one round trip: a read-only
// script, consistent with the writes around it.
func (s *Store) Sessions(ctx context.Context, subject string, now time.Time) ([]issuer.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redisstore: sessions: %w", err)
	}
	if err := checkID(subject, false); err != nil {
		return nil, err
	}
	if subject == "" {
		return nil, nil
	}
	v, err := sessionsScript.Run(ctx, s.client, []string{s.subj + subject}, s.prefix, ms(now), subject).Slice()
	if err != nil {
		return nil, wrap(ctx, "sessions", err)
	}
	if len(v)%9 != 0 {
		return nil, errMalformed
	}
	var out []issuer.Session
	for i := 0; i < len(v); i += 9 {
		id, _ := v[i].(string)
		se, err := sessionOf(id, subject, v[i+1:i+9])
		if err != nil {
			return nil, err
		}
		out = append(out, *se)
	}
	return out, nil
}

// wrote tells the near cache, if any, of a write of this Store, whether or
// not it succeeded (a call that failed may have landed): see near.wrote.
func (s *Store) wrote(sid, sub string, others bool) {
	if s.near != nil {
		s.near.wrote(sid, sub, others)
	}
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
