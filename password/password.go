package password

import "context"

// std is the Hasher behind the package-level functions: the zero value, so
// the defaults. It is unexported so that no other package can weaken it.
var std Hasher

// Hash returns an argon2id PHC string for pw with the default parameters
// (m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte key). It is
// [Hasher.Hash] on a zero Hasher with [context.Background]: on a request
// path, prefer a Hasher and the request's context.
func Hash(pw string) (string, error) {
	return std.Hash(context.Background(), pw)
}

// Verify reports whether pw matches hash, an argon2id or argon2i PHC string
// or a $2a$, $2b$ or $2y$ bcrypt hash. A wrong password gives false and a nil
// error; see [Hasher.Verify] for the errors. It uses the default Hasher and
// [context.Background].
func Verify(pw, hash string) (bool, error) {
	return std.Verify(context.Background(), pw, hash)
}

// NeedsRehash reports whether hash is anything other than an argon2id hash
// with the default parameters, and so should be replaced after the next
// successful Verify. See [Hasher.NeedsRehash].
func NeedsRehash(hash string) bool {
	return std.NeedsRehash(hash)
}

// VerifyAndUpgrade verifies pw against hash and, when it matches and hash is
// stale, also returns a new default argon2id hash to store. See
// [Hasher.VerifyAndUpgrade]. It uses [context.Background].
func VerifyAndUpgrade(pw, hash string) (ok bool, newHash string, err error) {
	return std.VerifyAndUpgrade(context.Background(), pw, hash)
}

// DummyVerify costs the same as a Verify against a default hash and discards
// the result; call it for unknown users. See [Hasher.DummyVerify], and
// [Hasher.Login], which also equalises legacy hashes. It uses
// [context.Background].
func DummyVerify(pw string) error {
	return std.DummyVerify(context.Background(), pw)
}
