// Package issuer mints tokens and runs login sessions for the jwtauth
// middleware: signing keys and their rotation, the JWK Set endpoint, access
// tokens, and sessions that users can list and end, which an attacker cannot
// exhaust.
//
//	iss, err := issuer.New(issuer.Config{
//		Key:    issuer.SigningKey{Algorithm: "HS256", Key: secret},
//		Issuer: "https://auth.example.com",
//	})
//	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), Issuer: "https://auth.example.com"})
//
// [Issuer.Keys] goes straight into jwtauth.Config.Keys, and brings the
// Issuer's [Store], so that logouts take effect in that Middleware. Package
// jwtauth imports nothing from this one: a resource server that only
// verifies imports jwtauth alone.
//
// # Sessions
//
// [Issuer.Login] starts a session for a subject whose credentials the
// application checked, and returns a fresh access token and a refresh token,
// both naming the session (sid). [Issuer.Refresh] exchanges the refresh
// token for the next pair. A store keeps one record per session, whatever
// the number of refreshes: a refresh token names its session and a
// generation, and the store advances the generation atomically. An older
// generation presented again is reuse: the session ends, and every token of
// it fails at once (RFC 9700 §4.14.2). [Config.RefreshGrace] lets the
// generation just replaced be presented again for a few seconds (two tabs, a
// retry). [Config.RefreshTTL] is the idle limit, [Config.MaxSessionAge] the
// absolute one. [Config.OnRefresh] re-checks the account at every refresh
// and may change the claims.
//
// [Issuer.Logout] ends the session of a token, [Issuer.RevokeSessionOf] a
// session a user picked from [Issuer.Sessions], and [Issuer.RevokeSubject]
// every session and every token of a subject ("log out everywhere").
//
// # What an attacker cannot do
//
//   - Fill the store by refreshing: refreshes rewrite one record.
//   - Fill it by logging in: each subject holds at most
//     [Config.MaxSessionsPerSubject] sessions (32), the oldest ending first.
//     A store full of many accounts' sessions refuses new logins
//     ([ErrStoreFull], answer 503), never a revocation.
//   - Make a revocation fail for want of room: revocations update or remove
//     existing records, or write one bounded record per subject. A store
//     that fails returns the error; no revocation reports success it did
//     not achieve.
//   - Race a refresh: of concurrent refreshes of one token, on any number
//     of instances sharing the store, exactly one advances the session.
//   - Use a refresh token as an access token, or at another issuer
//     configuration: refresh tokens have their own typ, their own keys
//     (derived from the signing secret and the iss and audience, or
//     RefreshSecret, which must differ from every signing secret), and carry
//     the iss and audience they were made for.
//   - Change a claim by refreshing: private claims are kept byte for byte.
//   - Confuse subjects: a subject must be valid UTF-8 without control
//     characters, at most 255 bytes ([ErrSubject]).
//
// Every deadline is measured by [Config.Now], which is the store's clock
// too. Every wait is bounded by the caller's context; the background work
// of fleet mode is owned by [Issuer.Close].
//
// # Stores
//
// [MemoryStore] is the default, for one process. The redisstore module keeps
// sessions in Redis for several instances; it refuses a Redis whose
// maxmemory-policy could evict them. Package storetest checks that a Store
// keeps these semantics.
//
// # Keys
//
// One key signs; [Issuer.Publish] adds the next one to the JWK Set before it
// signs, [Issuer.Rotate] makes it the signing key, and [Issuer.Retire] removes
// an old one once its tokens expired. [Issuer.JWKSHandler] serves the public
// keys; secrets are never served.
//
// # Fleet mode: automatic rotation without shared keys
//
// With [Config.Rotation] in place of Config.Key, no key is configured or
// copied: each instance makes its own private key in memory, publishes the
// public half to the others through a shared [KeyStore] (the
// [MemoryStore], or the redisstore module's Store for several processes),
// and every instance's [Issuer.JWKSHandler] and [Issuer.Keys] serve the
// union of the fleet's live keys. The timing:
//
//   - A new key is published with NotBefore = now + Ahead and signs only
//     from then; the key before it signs until then. Each instance
//     re-reads the union every Poll (and at once after its own publish).
//     A verifier that re-reads the JWK Set at least every Ahead − Poll
//     therefore never meets an unknown kid. The defaults (Ahead 20
//     minutes, Poll 30 seconds) cover the JWK Set's five-minute max-age
//     and jwtauth.Remote at default settings.
//   - Every (default 24 hours) after a key began to sign, the next takes
//     over.
//   - The record of a key expires TTL + 5 minutes (the largest verifier
//     leeway) + 2 × Poll after the last moment it may have signed, and
//     only then leaves the union: no JWK Set ever lacks a key whose tokens
//     may still be valid. An instance extends its active key's record every
//     Poll (a heartbeat), covering Ahead of signing; a crashed instance's
//     key lapses by itself once its tokens have expired. An instance's own
//     keys stay in its own JWK Set and Keys until their records expire,
//     whatever the store does.
//   - Unless Config.RefreshSecret is set, each instance also signs refresh
//     tokens with an EdDSA key of its own, published for refresh only: it
//     is never in the JWK Set nor in Keys, so a refresh token never
//     verifies as an access token, even at a verifier that ignores typ.
//     Its record lives RefreshTTL after its last use. Sessions made on one
//     instance refresh on any other.
//   - The store is trusted with public keys only, and not even those
//     blindly: a record must name an asymmetric algorithm its key fits
//     (checked as jwtauth checks keys), its kid must be the RFC 7638
//     thumbprint of its key, it must hold no private member, be at most
//     [MaxPublicKeySize] bytes, carry the Issuer's iss, and not claim to
//     live for years; others are skipped and logged. A store holds at most
//     [MaxPublicKeys] records ([ErrKeyStoreFull]).
//   - A store that fails or stalls (each call is bounded by
//     Rotation.Timeout) changes nothing served: the last union read stays,
//     the current key keeps signing while its record covers it (Ahead after
//     the last successful heartbeat), and a rotation waits for the store.
//     Past that coverage the instance stops signing ([ErrNotReady]) rather
//     than mint tokens that other instances may drop the key of.
//
// Readiness and rolling deploys: an instance that joins a running fleet
// cannot sign with other instances' keys, and must not sign with its own
// before verifiers have it: it publishes it at start and is not
// [Issuer.Ready] for Ahead; meanwhile Login, Issue and Refresh fail with
// [ErrNotReady], which matches jwtauth.ErrKeysUnavailable (503, with
// Retry-After from jwtauth's error writer). Serve Issuer.Ready as the
// readiness probe, so that the load balancer sends it traffic only then,
// and let a deploy replace instances no faster than Ahead apart (or keep
// the old ones until the new ones are ready). A cold fleet — no live
// access key of any instance in the store — has no verifier to wait for:
// its first instances sign at once. Clocks of the instances must agree to
// within a few seconds; the margin is 2 × Poll beyond the verifier leeway.
// [Issuer.Close] ends the background work. Publish, Rotate and Retire are
// refused in fleet mode.
package issuer
