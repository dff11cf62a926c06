// Package redisstore keeps the sessions and revocations of an
// [issuer.Issuer] in Redis, shared by every instance of a service: a login
// on one instance refreshes on another, a logout on any is refused by all,
// and of concurrent refreshes of one refresh token, on any instances,
// exactly one advances the session. [Store] is an [issuer.Store], with the
// semantics of [issuer.MemoryStore], and so a [jwtauth.Store] for
// Middlewares that verify without issuing. Package redisstore also has
// [Throttle], the counters of failed logins of a throttle.Limiter.
//
// It lives in its own module, so that the jwtauth module does not depend on
// a Redis client.
//
// # Usage
//
// Every instance uses the same Redis, the same signing key (an HMAC
// secret, or a private key whose public key every verifier knows) and the
// same issuer.Config.RefreshSecret, and gives its Issuer a Store of the
// shared Redis:
//
//	rdb := redis.NewClient(&redis.Options{
//		Addr:                  "redis:6379",
//		ContextTimeoutEnabled: true, // let the caller's deadline bound each call
//	})
//	store, err := redisstore.New(ctx, rdb, redisstore.Options{})
//	if err != nil { … } // ErrEvictionPolicy: configure Redis with noeviction
//	iss, err := issuer.New(issuer.Config{
//		Key:           issuer.SigningKey{Algorithm: "EdDSA", Key: privateKey},
//		RefreshSecret: refreshSecret, // the same 32+ bytes on every instance
//		Store:         store,
//	})
//	if err != nil { … }
//	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys()}) // consults the Store
//
// A Middleware that verifies tokens without issuing them takes the Store in
// jwtauth.Config.Store. Any [redis.UniversalClient] will do: a
// [redis.Client], a failover (Sentinel) client, or a [redis.ClusterClient]
// or [redis.Ring] with a hash tag in the Prefix (see Redis Cluster below).
//
// # Records
//
// A Store keeps one record per session, however often it is refreshed, and
// one per subject; nothing per token. Under Options.Prefix ("authkit:" by
// default):
//
//   - Prefix+"s:"+sid, a hash: the session's sub, created, refreshed,
//     expires, deadline (times in Unix milliseconds), gen, device, addr and
//     claims (the private claims, byte for byte), and op, which tells a
//     retried call from another. It expires when the session does (Expires,
//     which each refresh moves, up to Deadline).
//   - Prefix+"u:"+subject, a hash: the subject's sessions, by field
//     "s:"+sid, in the order of their logins, so that a login past the
//     per-subject cap ends the oldest and RevokeSubject ends them all;
//     "b" and "bu", the time of its last RevokeSubject and how long it
//     revokes the subject's tokens without a session; and up to
//     [issuer.MaxRevokedTokens] fields "t:"+jti of revoked sessionless
//     tokens (past that, RevokeToken revokes all the subject's sessionless
//     tokens issued until then, as RevokeSubject does). It expires with
//     the last deadline it holds: its sessions' Deadline or its
//     revocations' until.
//
// So a client that refreshes in a loop rewrites one record, a subject that
// logs in in a loop holds at most MaxSessionsPerSubject sessions, and one
// that is revoked over and over holds one record: no user can fill Redis,
// as the per-token keys of earlier versions let them. Each session takes
// some 300 bytes of Redis memory plus its claims, and a few dozen more in
// its subject's record.
//
// Subjects and ids are bytes, any bytes, of at most [MaxIDLength] (255);
// longer ones, and empty ones where one is needed, are refused with
// [ErrInvalidID]. They are passed to Redis as arguments, never spliced into
// a command or a script, and each kind of record has a prefix of its own,
// so no subject or id can name another kind of record, another subject's,
// or change what a command does. Stores that must not see each other's
// records (two issuers, two applications) use prefixes of which none begins
// with another.
//
// # DPoP proofs
//
// A Store is a [jwtauth.ReplayCache] too ([Store.Once]): give it to the
// jwtauth.Config.DPoP.Replay of every resource server, and a DPoP proof
// (RFC 9449) accepted by one instance is a replay at all the others. An
// Issuer whose Store is a Store uses it for the proofs of its token
// requests without being told. Each key's proofs are one record,
// Prefix+"p:"+jkt, a sorted set of the SHA-256 of their jtis (so no jti,
// whatever its bytes, names another record), kept until the proofs leave
// the verifier's window: TTL until−now, by the caller's clock. One key
// holds at most [MaxProofsPerKey] live proofs, past which its proofs are
// refused as replays, so one client with a bound token cannot fill Redis;
// many keys, each with a token, can only fill it up to maxmemory, and a
// full Redis (noeviction) refuses new proofs: Once then fails with
// jwtauth.ErrReplayCacheFull and the Middleware answers 503, and on any
// other Redis error 500 (jwtauth.ErrStore). Either way it fails closed: a
// proof that could not be recorded is never accepted. The script is not
// allow-oom: accepting a proof is not a revocation, and may wait for room.
//
// # Atomicity
//
// Every write — CreateSession, AdvanceSession, EndSession, RevokeSubject,
// RevokeToken — is one Lua script (EVALSHA), which Redis runs atomically:
// of concurrent calls on one session or subject, on any instances, each
// sees the state the other left, so of concurrent refreshes of one
// generation exactly one advances, and the others are reuse (ending the
// session) or, within issuer.Config.RefreshGrace, get the new generation.
// go-redis sends a command again when the connection broke before the
// reply; a retried CreateSession or AdvanceSession recognises its own first
// attempt (by op) and answers as it did, so a network blip neither fails a
// login nor makes a refresh look like a reuse.
//
// A script's work grows with its subject's sessions, which
// MaxSessionsPerSubject bounds: a login or a logout reads the subject's
// record, and a login at the cap, or a RevokeSubject, each of its
// sessions' records too.
//
// Revoked, which a Middleware calls on every request, and Session are one
// HMGET each: one round trip, a handful of allocations (with a near cache,
// Revoked is mostly none: see Near cache). Sessions is a read-only script
// (flags=no-writes), in one round trip too.
//
// # Near cache
//
// Without one, every request whose token has a sid or a sub costs a round
// trip to Redis, even when jwtauth has the verified token cached. With
// Options.NearCache, each Store keeps in memory what Revoked reads of the
// records it has seen — a session's sub and expires (or that it is gone),
// a subject's b and bu and its t:<jti> fields looked up so far — and
// answers from memory, in some tens of nanoseconds, without allocating.
//
// It is a cache of Redis's state, not a list of revocations: an entry
// comes only from a read of Redis, and is dropped when Redis says its
// record changed, so dropping one (for room) only costs a round trip, and
// no flood of tokens can push a revocation out. Every write script
// publishes, in the same atomic script, the name of each session and
// subject record it changes or deletes on the channel Prefix+"inv"
// (SPUBLISH), so that the messages are in the order of the writes. Each
// Store with a near cache subscribes to it (SSUBSCRIBE) on a connection of
// its own, drops what the messages name, and PINGs on that connection
// every MaxLag/4. Redis answers a PING after every message it queued for
// that connection before, so when the PING sent at local time T comes
// back, every write that completed before T has reached the cache. The
// cache answers only while the last such T is within MaxLag of now; the
// rest of the time Revoked reads Redis, as without a near cache. Hence:
//
//   - A revocation that completed, on any instance, is honoured by every
//     instance within NearCacheOptions.MaxLag (default 100ms), whatever
//     happens to Redis or the network; on loopback it takes well under a
//     millisecond (p50), a few at p99 under load. On the instance that
//     made it, it is honoured at once: a write drops the records it names,
//     and after a login or a RevokeSubject (which may end sessions it does
//     not name) the cache answers from Redis until its own messages are
//     back.
//   - A stalled Redis or network (a SIGSTOP, a partition): within MaxLag
//     the cache stops answering, and Revoked waits on Redis, within the
//     request's context, and fails closed (jwtauth answers 500).
//   - Any break of the subscription — an error, a killed connection, a
//     Redis restart or failover, a resubscription or unsubscription that
//     was not asked for, a connection silent for max(4×MaxLag, 1s) —
//     starts a new epoch: the cache is emptied, and answers nothing from
//     memory until it has subscribed again and a PING of the new epoch has
//     come back. A read of Redis is installed only if it started while
//     subscribed and no invalidation of its shard of the cache, and no new
//     epoch, came while it was in flight, so that no message that
//     concerns it can have been missed. No gap lets a revoked token pass.
//
// Concurrent misses on one record make one read of Redis; each waits for
// it within its own context. The cache holds at most MaxEntries entries
// (default 100,000; a session, a subject and each of its token ids is one,
// of some 100 bytes plus its ids, which are at most 255 bytes), and drops
// entries at random to make room. Entries answer by the caller's clock
// (TokenRef.Now), as Redis's records do: a record's expires and untils
// lapse in memory when Redis would let them expire.
//
// What it costs Redis: one SPUBLISH per record a write changes (a
// RevokeSubject one per session it ends), each delivered to every Store
// with a near cache; and each such Store's subscription connection, and
// its 4/MaxLag PINGs a second. A subscriber that falls behind by more than
// Redis's client-output-buffer-limit for pubsub is disconnected, and so
// resynchronises. The messages carry record names (session ids and
// subjects), never tokens. Stores without a near cache publish too, so
// that instances with and without one can share a Redis; the Redis user
// of every Store therefore needs the permission of that channel (ACL
// "&"+Prefix+"inv", or allchannels, which the default user has but a user
// made on Redis 7 with acl-pubsub-default resetchannels does not): without
// it every write fails, closed, rather than leave a near cache unaware.
//
// On a Redis Cluster the channel holds the Prefix's hash tag, so it is in
// the slot of the Store's keys, and SPUBLISH in the scripts and SSUBSCRIBE
// work as on one Redis; a slot that moves unsubscribes the cache, which
// starts a new epoch. A near cache on a [redis.Ring] is refused: a Ring
// moves keys between shards as shards come and go. Call [Store.Close] to
// stop the near cache's goroutines; [Store.NearCacheStats] tells how it
// fares.
//
// # Fleet keys
//
// A Store is also an [issuer.KeyStore], for the fleet mode of an Issuer
// (issuer.Config.Rotation): each instance signs with a key of its own,
// made in its memory, and publishes the public half here ahead of use, so
// that every instance's JWK Set and Keys serve the whole fleet's keys. Only
// public keys are written: PublishKey refuses a JWK with private or secret
// members before anything is sent, and no private key ever reaches Redis.
//
// The keys are one hash, Prefix+"k", with a field "use:kid" per key (use is
// access or refresh) whose value is its expiry in Unix milliseconds, a
// space, and a small JSON record (alg, iss, jwk, nbf). Each write is one
// script that drops expired records, extends a record but never shortens
// it, refuses a record that conflicts with the one held, and refuses a new
// one past [issuer.MaxPublicKeys] live records ([issuer.ErrKeyStoreFull]);
// the hash expires with its last record, by the caller's clock. Reads skip
// values the Store could not have written and refuse a hash of more than
// MaxPublicKeys fields; the Issuer then checks each key (its kid is its
// RFC 7638 thumbprint, its algorithm fits its key type, its issuer is the
// Issuer's) before it verifies anything with it. Instances of one fleet
// share the Prefix; another prefix's keys are never read.
//
// # Clocks
//
// Every time a record holds is the caller's: the now the Issuer passes
// (issuer.Config.Now), to the millisecond. Deadlines are compared with the
// now of each call, never with a clock of Redis's or time.Now, and every
// TTL is set relative to that now (PEXPIRE deadline−now), so a Store works
// the same with a caller clock years off the real time. Redis counts TTLs
// down in real time, so records go away by themselves; nothing needs
// cleaning. The clocks of the instances should agree (NTP): an instance
// whose clock lags by d accepts sessions for d after they expired, as
// MemoryStore would under the same clock. Redis keeps TTLs by its own
// clock, so a jump forward of the Redis host's clock expires records early:
// that ends sessions, but also forgets revocations; keep it on NTP too.
//
// # A full Redis
//
// Give Redis a maxmemory and maxmemory-policy noeviction. With an evicting
// policy (allkeys-* or volatile-*; every record has a TTL, so both kinds
// evict them) a full Redis drops records as it pleases, and a dropped
// session record revives nothing, but a dropped subject record revives
// the revoked tokens it listed, and a session whose subject record is
// gone escapes RevokeSubject. [New] therefore reads the policy (CONFIG
// GET maxmemory-policy, on every node of a cluster) and refuses any other
// than noeviction with [ErrEvictionPolicy], unless
// Options.InsecureAllowEviction is set (then it logs a warning). Managed
// Redis services often refuse CONFIG: New then cannot check, and logs at
// error level, to Options.Logger or slog.Default(), that the policy could
// not be checked and must be noeviction; setting it is then the
// operator's job (on ElastiCache, say, in the parameter group: the
// default there is volatile-lru).
//
// With noeviction, a full Redis refuses new writes with an OOM error. The
// script of CreateSession is declared without flags, so a full Redis
// refuses it before it runs, and CreateSession fails with an error
// matching [issuer.ErrStoreFull]: Login answers 503, and users log in again
// once sessions expire or end. Revocations never need new room: the
// scripts of EndSession, RevokeSubject and RevokeToken are declared
// "#!lua flags=allow-oom" (Redis 7 or later), so they run on a full Redis
// too: they delete records, or write at most one bounded subject record.
// AdvanceSession is allow-oom as well, since its reuse path is a
// revocation that must not fail, and which path it takes is known only
// inside the script; it adds no key and rewrites only its session's
// fields, growing it by no more than a replacement of the claims
// (OnRefresh), which the 8 KiB token limit bounds. A logout, a reuse or an
// account's revocation therefore always lands, however full Redis is.
//
// # Persistence and replication
//
// Run Redis with persistence: appendonly yes and appendfsync everysec (or
// always, to lose no acknowledged write). A Redis that loses its data — a
// restart without persistence, a failover to a replica without it —
// forgets the sessions, which logs everybody out: fail-safe, since a
// session that is gone reads as ended, so no logged-out session comes back
// and every session token is refused until its user logs in again. What it
// also forgets are the revocations of tokens without a session (from
// Issuer.Issue, revoked by Logout or RevokeSubject): those work again until
// they expire, at most issuer.Config.TTL after they were issued. The same
// holds, for the writes of the last second, of everysec after a crash,
// and of a failover to a replica that had not received them yet (Redis
// replicates asynchronously).
//
// # Redis Cluster
//
// A script may only touch keys of one hash slot, and a Store's scripts
// touch a session's record and its subject's together, whose keys differ.
// On a Redis Cluster (and a go-redis Ring) the Prefix must therefore hold
// a hash tag, such as "{authkit}:", which puts every key of the Store in
// one slot: New refuses a [redis.ClusterClient] or [redis.Ring] whose
// Prefix has none. All of one Store's records then live on one shard: the
// cluster brings failover, not more room or throughput for one Store.
// Stores of different prefixes (tenants, applications) spread over the
// shards.
//
// # Errors and timeouts
//
// Every method takes the caller's context and fails, without touching
// Redis, when it is already done, with an error matching the context's. A
// Redis error is returned wrapped with the operation ("redisstore: revoked:
// …", matching the client's error with errors.Is, and the context's error
// when that is what ended the call). The issuer wraps it in
// jwtauth.ErrStore, and a Middleware answers 500: a request whose
// revocation status cannot be read fails closed, and is never let through;
// a refresh or logout that cannot be recorded fails the same way.
//
// go-redis honours a context's deadline during a command only when the
// client was made with ContextTimeoutEnabled; otherwise its ReadTimeout and
// WriteTimeout bound each call. Set ContextTimeoutEnabled, and keep those
// timeouts short: with the retries (MaxRetries, DialerRetries), they bound
// how long a request waits on a Redis that does not answer.
//
// When a refresh fails after Redis received it (a deadline reached while
// waiting for the reply, say), whether it advanced the session is unknown:
// the issuer reports jwtauth.ErrStore, and if the client presents the same
// refresh token again and the first call did land, that is a reuse, which
// ends the session. It fails safe, at the cost of a login.
//
// # Testing
//
// Package redistest starts a real redis-server for one test, on a free
// loopback port, with configuration of the test's own (a small maxmemory,
// an eviction policy, CONFIG renamed away), and can stop and restart it to
// test an outage; this module's tests run on it, and so can those of
// applications that use a Store.
package redisstore
