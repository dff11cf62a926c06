// Package throttle slows down password guessing: a [Limiter] counts failed
// logins per account and client, and per client, and makes a client that
// keeps failing wait longer and longer before it may try again, without
// ever letting an attacker lock the real user out.
//
// It is a package of its own, not part of package password, because it is
// about clients and accounts, not about hashing: the same Limiter, or a
// second one, guards refresh-token endpoints, API keys or one-time codes,
// anything whose failures an attacker would like to repeat.
//
// # Quick start
//
//	limiter, err := throttle.New(throttle.Config{}) // memory of this process
//	…
//	func login(w http.ResponseWriter, r *http.Request) {
//		account, client := canonical(r.FormValue("username")), throttle.ClientIP(r)
//		wait, err := limiter.Check(r.Context(), account, client)
//		switch {
//		case errors.Is(err, throttle.ErrThrottled):
//			w.Header().Set("Retry-After", throttle.RetryAfter(wait))
//			http.Error(w, "too many failed logins, try again later", http.StatusTooManyRequests)
//			return
//		case err != nil: // the Backend is down: fail closed
//			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
//			return
//		}
//		if !verify(account, r.FormValue("password")) { // unknown accounts too
//			limiter.Failure(r.Context(), account, client)
//			http.Error(w, "wrong username or password", http.StatusUnauthorized)
//			return
//		}
//		limiter.Success(r.Context(), account, client)
//		…
//	}
//
// Several instances of a service share one Backend, or each gives an
// attacker its own free failures: the redisstore module's NewThrottle keeps
// the counters in Redis.
//
// # Design
//
// Failures are counted, not attempts: Check, before the password is
// verified, only reads; Failure, after a wrong password, counts; Success,
// after a right one, clears the counter of that account from that client. A
// refused attempt costs nothing, so the real user who is refused once loses
// nothing by it.
//
// Three counters are kept, under keys that hash the names:
//
//   - (account, client), [Config.AccountClient]: the guesses at one
//     password from one client. Default 5 free failures.
//   - client, [Config.Client]: the failures of one client on all accounts,
//     which stops a client spraying a few common passwords over many
//     accounts. Default 100 free failures. It is read first, so a client
//     that is refused costs one read.
//   - account, [Config.AccountAlarm], off by default: see below.
//
// After a counter's free failures, each failure makes the client wait:
// Delay (default 1s) after the last free failure, doubled after each
// further one, up to MaxDelay (default 15 minutes). After n failures the
// wait from the last one is min(Delay × 2^(n−Free), MaxDelay), so an
// attacker who never stops gets one guess per MaxDelay per counter, and a
// user who mistyped a few times waits seconds. A counter is forgotten after
// [Config.Forget] (default 1 hour) without a failure.
//
// # No lockout by username
//
// There is no counter of an account on its own that refuses logins: with
// one, anyone who knows a username could lock its owner out by failing on
// purpose, which is what the first login throttle of this project's users
// example allowed. An attacker who fails on an account from his client only
// fills the counters of his client. The real user, on another client
// (another IPv4 address, another IPv6 /64), is not slowed down at all.
//
// An attacker with many addresses can guess at one account from each of
// them. [Config.AccountAlarm] is the opt-in answer: once an account has had
// that many failures, from all clients together, every client that has
// failed on it loses its free failures there, so each address gets one
// guess before its waits begin; a client that has not failed on the account
// is still never refused, so the real user can log in from his own device.
// The alarm slows an attack, it never stops a login.
//
// # Clients
//
// [ClientIP] takes the client from r.RemoteAddr, IPv6 addresses by /64;
// [TrustedProxies] reads a forwarding header, only from the proxies it is
// told to trust, and from the right, so that a client cannot name another
// address. A client may be anything that identifies the origin of a
// request better (a device cookie, say), but never a value the attacker can
// change at will from one request to the next.
//
// # Accounts
//
// The Limiter normalises nothing. Pass the account's canonical id: the same
// string for every spelling under which a login finds the account. If
// "Alice", "alice" and "alice " all log in to one account, pass one of
// them (or the user's id), or an attacker gets the free failures of each
// spelling. For an account that does not exist, pass the name as the
// lookup normalised it, and call Failure as for a wrong password.
//
// # Security considerations
//
// The memory [Backend], [NewMemory], holds a bounded number of counters and
// evicts the least recently used when full. It never refuses a client
// because it is full, unlike a table that refuses new keys, which lets a
// flood of made-up names lock everyone out. Eviction only forgets, so it
// can let an attacker try sooner, never the real user later. To make it
// forget his own counters, an attacker must cause as many newer counters
// as the table holds: a client creates them only by failing, and each of
// its failures also counts, and refreshes, its own client counter, which
// refuses it after Client.Free failures; a refused client that keeps
// checking keeps its counter fresh. Flooding the table thus takes about
// maxEntries / Client.Free clients (1000 addresses, or 1000 IPv6 /64s,
// with the defaults): an attacker who has those gets, each time he fills
// the table, the free failures of each of them again. Size the table to the
// traffic, set AccountAlarm, or use the Redis Backend, whose counters
// expire after Forget and are not evicted (give it a Redis with enough
// memory and maxmemory-policy noeviction).
//
// Concurrent attempts let through by Check before any of their failures
// is recorded all go ahead: a burst, once, after which every failure of it
// is counted. Bound concurrent password verifications too
// (password.Hasher's MaxConcurrent).
//
// By default a Backend that fails makes Check return an error wrapping
// [ErrUnavailable], and the login is refused (503): password guessing is
// never unthrottled because Redis is down. [Config.InsecureFailOpen] lets
// logins through instead.
//
// # Refresh tokens
//
// A refresh endpoint is guarded the same way, with the refresh token's
// subject or family, if it can be read before verification, as the
// account, or a fixed name such as "refresh" otherwise: a client that keeps
// presenting invalid refresh tokens is then slowed down like a guesser of
// passwords. Use a Limiter of its own (its own Backend, or its own Redis
// prefix), so that refresh failures do not spend the login budget of a
// client, and the other way round.
package throttle
