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
// too. Every wait is bounded by the caller's context.
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
package issuer
