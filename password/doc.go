// Package password hashes and verifies passwords: argon2id by default, with
// verification of the argon2i and bcrypt hashes that other software (passlib,
// argon2-cffi, python bcrypt, PHP, x/crypto) has stored.
//
// # Quick start
//
//	hash, err := password.Hash(pw) // "$argon2id$v=19$m=19456,t=2,p=1$…"
//	…
//	ok, err := password.Verify(pw, hash)
//	if err != nil || !ok {
//		// reject the login
//	}
//
// For a login handler, use a [Hasher] and [Hasher.Login], which takes the
// request's context, makes every failure cost the same work whatever the
// account, and replaces stale hashes:
//
//	var hasher password.Hasher // zero value: the defaults
//
//	user, found := lookup(name)
//	ok, newHash, err := hasher.Login(r.Context(), pw, user.Hash, found)
//	if errors.Is(err, password.ErrBusy) { … } // 503
//	if !ok { … } // one response for every other failure
//	if newHash != "" { user.Hash = newHash; save(user) }
//
// # Hashes
//
// New hashes are argon2id (RFC 9106) in the PHC string format,
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// where salt and key are standard base64 without padding. The default
// parameters are the OWASP Password Storage Cheat Sheet's: m=19456 KiB
// (19 MiB), t=2, p=1, with a 16-byte random salt and a 32-byte key. They are
// constants, never derived from the machine. A [Hasher] can change them, or
// produce bcrypt hashes instead (Scheme: [Bcrypt]).
//
// Verify accepts:
//
//   - argon2id and argon2i, version 19 only, any key length from 12 to 64
//     bytes (passlib and argon2-cffi write 16-byte keys), salts of 8 to 48
//     bytes;
//   - bcrypt with the $2a$, $2b$ or $2y$ prefix and a cost from 4 to
//     MaxBcryptCost (default 16); the three prefixes compute the same value
//     for every input this package accepts.
//
// It refuses with [ErrUnsupported]: argon2d (x/crypto has no argon2d),
// argon2 version 16 and argon2 hashes without a "v=" field (which means
// version 16, not 19), the $2$ and $2x$ bcrypt variants and every other
// identifier ($1$, $2c$, …), passlib's $bcrypt-sha256$, and argon2 keyid or
// data parameters. Anything malformed — a wrong field order, a leading zero,
// padded or non-canonical base64, an upper-case bcrypt prefix, bytes after a
// bcrypt hash's 60 characters — fails with [ErrInvalidHash].
//
// # Rehashing
//
// [NeedsRehash] reports whether a stored hash differs from what the Hasher
// would produce now: another scheme (every bcrypt and argon2i hash), another
// version, or different m, t, p, key length or salt length. After a
// successful Verify the password is known, so that is the moment to store a
// new hash; [VerifyAndUpgrade] does both.
//
// # Security considerations
//
// Stored hashes are input. Before any memory is allocated or any hashing
// starts, the argon2 parameters are bounded by the Hasher's MaxMemory
// (default 256 MiB) and MaxTime (default 16), and the bcrypt cost by
// MaxBcryptCost (default 16); p must be between 1 and 255 and t at least 1.
// A hash beyond the limits fails with [ErrUnsupported] in microseconds, so a
// planted "m=4294967295" cannot exhaust memory, and no input can reach the
// panics of golang.org/x/crypto/argon2 (t=0, p=0). Encoded hashes over 256
// bytes are refused unread. Keys are compared in constant time.
//
// Passwords are bounded too: more than MaxPasswordLen bytes (default 1024)
// fails with [ErrPasswordTooLong] before any work (CVE-2013-1443 was a
// denial of service with 1 MB passwords).
//
// Bcrypt reads only the first 72 bytes of a password. This package never
// truncates silently: hashing with bcrypt refuses more than 72 bytes, and
// so does verifying a bcrypt hash, with [ErrPasswordTooLong], even though
// passlib and python bcrypt 3 truncated when they created the hash. A user
// who registered such a password through them gets an error instead of a
// match and needs a password reset; in exchange, no password is ever accepted
// because its first 72 bytes happen to match. Argon2 has no such limit.
//
// Hashing with bcrypt refuses passwords containing a NUL byte
// ([ErrInvalidPassword]), because C implementations stop at the first NUL.
// Verification hashes a NUL like any other byte, which never widens what
// matches. Argon2 hashes every byte, NUL included.
//
// Passwords are compared as bytes, without Unicode normalisation, as passlib,
// argon2-cffi and bcrypt do: "naïve" typed in NFC and in NFD are different
// passwords. Normalise before calling Hash and Verify if your system needs it,
// and then do it consistently.
//
// Each argon2 computation allocates its memory parameter. A Hasher runs at
// most MaxConcurrent computations at once (default GOMAXPROCS); other calls
// wait for a slot and fail with [ErrBusy], which also wraps the context's
// error, when their context ends first. Peak hashing memory is therefore at
// most MaxConcurrent × MaxMemory, whatever the requests or the stored hashes
// say. Answer ErrBusy with 503 and combine with rate limiting.
//
// Errors never contain the password or the hash text. The package-level
// functions use [context.Background]; on request paths use a [Hasher] and
// pass the request's context. Nothing in the package can be reassigned by
// another package to weaken hashing: the defaults are constants and the
// default Hasher is unexported.
//
// # Login timing
//
// Answer an unknown user and a wrong password the same way and in the same
// time, or response times tell which accounts exist. [Hasher.Login] does the
// same work for every failed login: one argon2id computation with the
// Hasher's parameters, plus the bcrypt work of the highest bcrypt cost the
// Hasher knows of — LegacyBcryptCost, the costliest bcrypt hash Login has
// checked, and BcryptCost when the Scheme is Bcrypt. A wrong password against
// an argon2id hash adds the bcrypt work, one against a cost-10 hash when cost
// 12 is known adds the argon2id computation and bcrypt at costs 10 and 11
// (2¹⁰ + 2¹⁰ + 2¹¹ = 2¹² expansions), and an unknown user, a password over
// 72 bytes for a bcrypt hash (still refused, never truncated) or an unusable
// stored hash do all of it on inputs whose result is discarded. The work
// runs in one computation slot, so MaxConcurrent and the context bound it as
// they bound Verify.
//
// The price is that a failure costs the sum: with the defaults and cost-12
// bcrypt hashes, about ten times a plain argon2id verification. Upgrading
// the legacy hashes (Login does it at each successful login) and forcing a
// reset of those left over removes the bcrypt part: set LegacyBcryptCost
// back to 0 and restart.
//
// What remains unequal:
//
//   - Success and failure. A successful login returns after its own
//     verification, plus the new hash for a stale one; a success is visible
//     in the response anyway.
//   - Before the Hasher has seen the costliest bcrypt hash, unless
//     LegacyBcryptCost says it: the learned cost starts at zero in each
//     process, so after a restart the first failures are cheaper than a
//     bcrypt account's, which gives that account away. Set LegacyBcryptCost
//     when legacy bcrypt hashes exist.
//   - Argon2 hashes with parameters other than the Hasher's (argon2i,
//     argon2-cffi's m=102400 or older parameters) cost what their parameters
//     say, as with Verify.
//   - The work is equal, not the time: padding runs as a few separate
//     computations, argon2 allocates its memory, and other load on the CPU,
//     garbage collection and the wait for a slot add noise.
//   - The errors. A password over 72 bytes fails with [ErrPasswordTooLong]
//     for a bcrypt account only, and an unusable stored hash with
//     [ErrInvalidHash] or [ErrUnsupported]: log them, but answer them as any
//     other failure. A password over MaxPasswordLen is refused before any
//     work, for every account alike.
//
// [Hasher.Verify], [Hasher.VerifyAndUpgrade] and [Hasher.DummyVerify] keep
// their cost: a failure costs what the stored hash costs, and DummyVerify
// what a current hash costs. Handlers built on them leak legacy bcrypt
// accounts; use Login instead.
package password
