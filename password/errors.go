package password

import "errors"

// Sentinel errors. Test for them with [errors.Is]: the errors the package
// returns wrap them with a short explanation. No error message ever contains
// the password or the text of the encoded hash.
var (
	// ErrInvalidHash is returned when an encoded hash cannot be read: it is
	// not a PHC or bcrypt string, a field is malformed or out of range, or its
	// base64 is not canonical.
	ErrInvalidHash = errors.New("password: invalid hash")

	// ErrUnsupported is returned for a well-formed hash that this package
	// does not verify: argon2d, argon2 version 16 (including a hash without a
	// "v=" field), bcrypt variants other than $2a$, $2b$ and $2y$, passlib's
	// $bcrypt-sha256$, any other scheme identifier, and hashes whose cost
	// parameters exceed the Hasher's limits (MaxMemory, MaxTime,
	// MaxBcryptCost).
	ErrUnsupported = errors.New("password: unsupported hash")

	// ErrPasswordTooLong is returned when a password is longer than
	// Hasher.MaxPasswordLen bytes, or longer than 72 bytes and bound for
	// bcrypt (hashing or verifying). In the bcrypt case the error also wraps
	// [golang.org/x/crypto/bcrypt.ErrPasswordTooLong].
	ErrPasswordTooLong = errors.New("password: password too long")

	// ErrInvalidPassword is returned when a Hasher whose Scheme is Bcrypt is
	// asked to hash a password that contains a NUL byte: C implementations
	// of bcrypt stop at the first NUL, so such a hash would not be portable.
	ErrInvalidPassword = errors.New("password: invalid password")

	// ErrBusy is returned when the context ends while the call waits for one
	// of the Hasher's MaxConcurrent computation slots. The error also wraps
	// the context's error, so errors.Is(err, context.DeadlineExceeded) works.
	// A server would typically answer 503 Service Unavailable.
	ErrBusy = errors.New("password: too many hash computations in progress")

	// ErrInvalidConfig is returned by every Hasher method when the Hasher's
	// fields are out of range.
	ErrInvalidConfig = errors.New("password: invalid Hasher configuration")
)
