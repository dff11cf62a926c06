// Package redisstore is a [jwtauth.Store] in Redis, shared by every instance
// of a service: a logout or a refresh on one instance is seen by all the
// others, and of concurrent refreshes of the same refresh token, on any
// instances, exactly one succeeds.
//
// It lives in its own module, so that the jwtauth module does not depend on
// a Redis client.
//
// # Usage
//
// Every instance uses the same Redis, the same signing key (an HMAC secret,
// or a private key whose public key every verifier knows) and the same
// [jwtauth.IssuerConfig.RefreshSecret] (derived from an HMAC key when it is
// not set, random per process otherwise), and gives its Issuer a Store of the
// shared Redis:
//
//	rdb := redis.NewClient(&redis.Options{
//		Addr:                  "redis:6379",
//		ContextTimeoutEnabled: true, // let the caller's deadline bound each call
//	})
//	issuer, err := jwtauth.NewIssuer(jwtauth.IssuerConfig{
//		Key:           jwtauth.SigningKey{Algorithm: "EdDSA", Key: privateKey},
//		RefreshSecret: refreshSecret, // the same 32+ bytes on every instance
//		Store:         redisstore.New(rdb, redisstore.Options{}),
//	})
//	if err != nil { … }
//	mw, err := jwtauth.New(jwtauth.Config{Keys: issuer.Keys()}) // consults the Store
//
// A Middleware that verifies tokens without issuing them takes the Store in
// [jwtauth.Config.Store]. Any [redis.UniversalClient] will do: a
// [redis.Client], a failover (Sentinel) client or a [redis.ClusterClient].
//
// # Keys and expiry
//
// A revoked id is kept under Prefix+"rev:"+id, a consumed refresh token id
// under Prefix+"use:"+id (Prefix is "authkit:" by default), so the two never
// meet. Each key expires, by Redis's own expiry (SET … PXAT), at the until
// time its caller gave: the time the token it describes expires. Redis
// therefore holds no more than the revocations and refreshes of one
// RefreshTTL, and needs no cleaning. A second revocation of an id never
// shortens the first: a Lua script only ever moves the deadline later. Times
// are absolute, so the clocks of Redis and of the instances should agree
// (NTP); a Redis clock ahead by d forgets entries d early.
//
// Revoked asks about all its ids in one round trip (one per node of a
// cluster, in parallel). Consume is a Lua script: atomic in Redis, and
// idempotent when the client retries it after a lost reply, so a network
// blip cannot make a legitimate refresh look like a reuse.
//
// Ids longer than [MaxIDLength] bytes are refused with [ErrInvalidID]; ids
// are passed to Redis as arguments, never spliced into a command or script,
// so no id can change what a command does.
//
// Redis 6.2 or later is required (PXAT). The commands used are GET, SET,
// EXISTS, EVALSHA and EVAL. A Redis that loses its data forgets revocations
// and used refresh tokens with it: logged-out tokens work again until they
// expire, and used refresh tokens can be used once more. Run it with
// persistence (appendonly yes) and replication if that matters.
//
// # Testing
//
// Package redistest starts a real redis-server for one test, on a free
// loopback port, and can stop and restart it to test an outage; this
// module's tests, and those of the users example, run on it.
//
// # Errors and timeouts
//
// Every method takes the caller's context and fails, without touching
// Redis, when it is already done. A Redis error is returned wrapped
// ("redisstore: revoked: …", matching the client's error with errors.Is, and
// the context's error when that is what ended the call). jwtauth wraps it in
// [jwtauth.ErrStore], so a request whose revocation status cannot be read
// fails closed with 500, and is never let through; a refresh or logout that
// cannot be recorded fails the same way.
//
// go-redis honours a context's deadline during a command only when the client
// was made with ContextTimeoutEnabled; otherwise its ReadTimeout and
// WriteTimeout bound each call. Set ContextTimeoutEnabled, and keep those
// timeouts short: with the retries (MaxRetries, DialerRetries), they bound how
// long a request waits on a Redis that does not answer. With go-redis's
// defaults a call to a Redis that refuses connections fails after about 2
// seconds.
//
// When a Consume fails after Redis received it (a deadline reached while
// waiting for the reply, say), whether the refresh token was used is
// unknown: jwtauth reports ErrStore, and if the client presents the same
// refresh token again and the first call did land, that is a reuse, which
// ends the session. It fails safe, at the cost of a login.
package redisstore
