package password

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Scheme selects the algorithm a [Hasher] uses for new hashes. Verification
// does not depend on it: every Hasher verifies argon2id, argon2i and bcrypt.
type Scheme uint8

const (
	// Argon2id produces argon2id PHC strings (RFC 9106). It is the zero
	// value, the default and the recommendation.
	Argon2id Scheme = iota

	// Bcrypt produces $2a$ bcrypt hashes with Hasher.BcryptCost. Use it only
	// when the hashes must be read by software that knows nothing else; it
	// refuses passwords over 72 bytes and passwords containing NUL.
	Bcrypt
)

// String returns "argon2id" or "bcrypt".
func (s Scheme) String() string {
	switch s {
	case Argon2id:
		return "argon2id"
	case Bcrypt:
		return "bcrypt"
	}
	return fmt.Sprintf("Scheme(%d)", uint8(s))
}

// Default parameters. A zero field of [Hasher] means the matching default.
// The argon2id values are the OWASP Password Storage Cheat Sheet's minimum
// (m=19456 KiB, t=2, p=1); they are constants, never derived from the machine,
// so a hash made on one host verifies identically on another.
const (
	// DefaultMemory is the default argon2id memory cost: 19456 KiB (19 MiB).
	DefaultMemory = 19456
	// DefaultTime is the default argon2id number of passes over memory.
	DefaultTime = 2
	// DefaultParallelism is the default argon2id number of lanes.
	DefaultParallelism = 1
	// DefaultSaltLen is the default salt length in bytes (RFC 9106 §3.1).
	DefaultSaltLen = 16
	// DefaultKeyLen is the default argon2id output length in bytes.
	DefaultKeyLen = 32
	// DefaultBcryptCost is the default bcrypt cost when Scheme is Bcrypt.
	DefaultBcryptCost = 12
	// DefaultMaxPasswordLen is the default longest password, in bytes.
	DefaultMaxPasswordLen = 1024
	// DefaultMaxMemory is the default cap on a stored hash's argon2 memory
	// parameter: 262144 KiB (256 MiB).
	DefaultMaxMemory = 262144
	// DefaultMaxTime is the default cap on a stored hash's argon2 time
	// parameter.
	DefaultMaxTime = 16
	// DefaultMaxBcryptCost is the default cap on a stored hash's bcrypt cost.
	DefaultMaxBcryptCost = 16
)

// Limits on Hasher fields that are checked when the Hasher is first used.
const (
	minSaltLenHash = 16      // RFC 9106 §3.1 recommends 16 bytes for passwords
	minKeyLenHash  = 16      // never emit a shorter tag than argon2-cffi's default
	minPasswordMax = 64      // NIST SP 800-63B: allow at least 64 characters
	maxPasswordMax = 1 << 20 // a bound on the bound
	bcryptMinCost  = 4
	bcryptMaxCost  = 31
	bcryptMaxInput = 72 // bytes bcrypt's key schedule reads
)

// A Hasher hashes and verifies passwords with fixed parameters and a bounded
// number of concurrent computations.
//
// The zero value is ready to use and applies the defaults: argon2id with
// m=19456 KiB, t=2, p=1, a 16-byte salt and a 32-byte key. Set fields to
// change them. The fields are read and validated once, on the first call of
// any method; a Hasher must not be modified or copied after that. All methods
// are safe for concurrent use.
//
// Each argon2 computation allocates its memory parameter, so at most
// MaxConcurrent × MaxMemory KiB are ever in use for hashing, whatever the
// stored hashes say.
type Hasher struct {
	// Scheme selects the algorithm for new hashes. Default Argon2id. Bcrypt
	// is for interoperability with bcrypt-only software; it limits passwords
	// to 72 bytes. Verify accepts every supported scheme regardless.
	Scheme Scheme

	// Memory is the argon2id memory cost in KiB. Default 19456 (19 MiB, the
	// OWASP minimum). More memory makes GPU and ASIC cracking more expensive;
	// every concurrent computation allocates this much. It must be at least
	// 8×Parallelism and at most MaxMemory.
	Memory uint32

	// Time is the argon2id number of passes over memory. Default 2 (OWASP,
	// with 19 MiB). It must be between 1 and MaxTime.
	Time uint32

	// Parallelism is the argon2id number of lanes. Default 1 (OWASP). It is
	// part of the hash, so set it to a constant, never to the number of CPUs
	// of the current machine.
	Parallelism uint8

	// SaltLen is the length in bytes of the random salt of new hashes.
	// Default 16, the RFC 9106 recommendation. Allowed: 16 to 48.
	SaltLen int

	// KeyLen is the length in bytes of the argon2id output of new hashes.
	// Default 32. Allowed: 16 to 64.
	KeyLen int

	// BcryptCost is the bcrypt cost (log2 of the number of rounds) of new
	// hashes when Scheme is Bcrypt. Default 12; OWASP asks for at least 10.
	// Allowed: 4 to MaxBcryptCost.
	BcryptCost int

	// MaxPasswordLen is the longest password, in bytes, that Hash and Verify
	// accept; longer ones fail with ErrPasswordTooLong before any hashing.
	// Default 1024. It bounds the work an attacker can request with a huge
	// password (CVE-2013-1443). Allowed: 64 (NIST SP 800-63B's minimum) to
	// 1 MiB. Bcrypt hashes additionally refuse more than 72 bytes.
	MaxPasswordLen int

	// MaxMemory is the largest argon2 memory parameter, in KiB, that Verify
	// accepts in a stored hash. Default 262144 (256 MiB). A hash that asks
	// for more fails with ErrUnsupported before anything is allocated, so a
	// planted hash cannot exhaust memory. It must be at least Memory.
	MaxMemory uint32

	// MaxTime is the largest argon2 time parameter that Verify accepts in a
	// stored hash. Default 16. A hash that asks for more fails with
	// ErrUnsupported before any work. It must be at least Time.
	MaxTime uint32

	// MaxBcryptCost is the largest bcrypt cost that Verify accepts in a
	// stored hash. Default 16 (about 64 times the work of cost 10; cost 31
	// would run for days). Allowed: 4 to 31, and at least BcryptCost.
	MaxBcryptCost int

	// LegacyBcryptCost is the highest bcrypt cost among the stored hashes
	// that Login may meet, or 0 when unknown or when there are none. Every
	// failed Login does the work of a bcrypt verification of at least this
	// cost, so that an account on such a hash cannot be told apart by timing.
	// Login also learns the cost of each bcrypt hash it checks, so the zero
	// value works once the Hasher has seen the costliest one; setting it
	// closes the window before that (passlib and python bcrypt write cost
	// 12). Default 0. Allowed: 0, or 4 to MaxBcryptCost.
	LegacyBcryptCost int

	// MaxConcurrent is the number of argon2 or bcrypt computations that may
	// run at once; further calls wait for a slot, or fail with ErrBusy when
	// their context ends first. Default runtime.GOMAXPROCS(0) at first use
	// (at least 1). Peak hashing memory is at most MaxConcurrent×MaxMemory.
	MaxConcurrent int

	once   sync.Once
	cfg    config
	cfgErr error
	sem    chan struct{}

	dummyOnce sync.Once
	dummy     string
	dummyErr  error

	// The highest bcrypt cost that Login has seen in a stored hash; at most
	// MaxBcryptCost, since parse refuses higher costs.
	seenBcryptCost atomic.Int32

	// Instrumentation read by tests: slots in use now, the most ever in use
	// at once, the number of computations ever started, and their work:
	// argon2 KiB passes (m×t) and bcrypt key expansions (2^cost).
	inFlight   atomic.Int64
	peak       atomic.Int64
	started    atomic.Int64
	argon2Work atomic.Int64
	bcryptWork atomic.Int64
}

// config is a Hasher's validated, immutable parameters.
type config struct {
	scheme         Scheme
	memory         uint32
	time           uint32
	threads        uint8
	saltLen        int
	keyLen         int
	bcryptCost     int
	legacyBcrypt   int
	maxPasswordLen int
	maxMemory      uint32
	maxTime        uint32
	maxBcryptCost  int
	maxConcurrent  int
}

// config validates h's fields on first use and returns the result.
func (h *Hasher) config() (*config, error) {
	h.once.Do(func() {
		h.cfg, h.cfgErr = h.compile()
		if h.cfgErr == nil {
			h.sem = make(chan struct{}, h.cfg.maxConcurrent)
		}
	})
	return &h.cfg, h.cfgErr
}

func orDefault[T uint32 | uint8 | int](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// compile applies the defaults to h's fields and checks the result.
func (h *Hasher) compile() (config, error) {
	c := config{
		scheme:         h.Scheme,
		memory:         orDefault(h.Memory, DefaultMemory),
		time:           orDefault(h.Time, DefaultTime),
		threads:        orDefault(h.Parallelism, DefaultParallelism),
		saltLen:        orDefault(h.SaltLen, DefaultSaltLen),
		keyLen:         orDefault(h.KeyLen, DefaultKeyLen),
		bcryptCost:     orDefault(h.BcryptCost, DefaultBcryptCost),
		legacyBcrypt:   h.LegacyBcryptCost,
		maxPasswordLen: orDefault(h.MaxPasswordLen, DefaultMaxPasswordLen),
		maxMemory:      orDefault(h.MaxMemory, DefaultMaxMemory),
		maxTime:        orDefault(h.MaxTime, DefaultMaxTime),
		maxBcryptCost:  orDefault(h.MaxBcryptCost, DefaultMaxBcryptCost),
		maxConcurrent:  orDefault(h.MaxConcurrent, max(1, runtime.GOMAXPROCS(0))),
	}
	bad := func(msg string) (config, error) {
		return config{}, fmt.Errorf("%w: %s", ErrInvalidConfig, msg)
	}
	switch {
	case c.scheme != Argon2id && c.scheme != Bcrypt:
		return bad("unknown Scheme")
	case uint64(c.memory) < 8*uint64(c.threads):
		return bad("Memory must be at least 8*Parallelism KiB")
	case c.memory > c.maxMemory:
		return bad("Memory exceeds MaxMemory")
	case c.time > c.maxTime:
		return bad("Time exceeds MaxTime")
	case c.saltLen < minSaltLenHash || c.saltLen > maxSaltLen:
		return bad("SaltLen must be between 16 and 48")
	case c.keyLen < minKeyLenHash || c.keyLen > maxKeyLen:
		return bad("KeyLen must be between 16 and 64")
	case c.maxBcryptCost < bcryptMinCost || c.maxBcryptCost > bcryptMaxCost:
		return bad("MaxBcryptCost must be between 4 and 31")
	case c.bcryptCost < bcryptMinCost || c.bcryptCost > c.maxBcryptCost:
		return bad("BcryptCost must be between 4 and MaxBcryptCost")
	case c.legacyBcrypt != 0 && (c.legacyBcrypt < bcryptMinCost || c.legacyBcrypt > c.maxBcryptCost):
		return bad("LegacyBcryptCost must be 0 or between 4 and MaxBcryptCost")
	case c.maxPasswordLen < minPasswordMax || c.maxPasswordLen > maxPasswordMax:
		return bad("MaxPasswordLen must be between 64 and 1048576")
	case c.maxConcurrent < 1:
		return bad("MaxConcurrent must not be negative")
	}
	return c, nil
}

// Validate reports whether h's fields are valid, as an error wrapping
// ErrInvalidConfig. Like every method, it freezes the configuration on its
// first call. Call it at start-up to fail fast.
func (h *Hasher) Validate() error {
	_, err := h.config()
	return err
}

// Hash returns an encoded hash of pw for storage: with the default Scheme, an
// argon2id PHC string such as
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with a fresh random salt. It fails with ErrPasswordTooLong for passwords
// over MaxPasswordLen bytes, and with the context's error (wrapped in
// ErrBusy) if ctx ends while waiting for a computation slot. The computation
// itself is not interrupted by ctx. With the Bcrypt Scheme it returns a $2a$
// hash and refuses passwords over 72 bytes (ErrPasswordTooLong) or containing
// a NUL byte (ErrInvalidPassword) instead of letting bcrypt truncate them.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	c, err := h.config()
	if err != nil {
		return "", err
	}
	if len(pw) > c.maxPasswordLen {
		return "", ErrPasswordTooLong
	}
	if c.scheme == Bcrypt {
		return h.hashBcrypt(ctx, c, pw)
	}
	return h.hashArgon2id(ctx, c, pw)
}

// Verify reports whether pw matches the encoded hash. It reads argon2id and
// argon2i PHC strings (version 19, with the key length taken from the stored
// key, 12 to 64 bytes) and bcrypt hashes with the $2a$, $2b$ or $2y$ prefix,
// whatever h's Scheme. Keys are compared in constant time.
//
// A wrong password gives false and a nil error. An error means that the hash
// could not be checked: ErrInvalidHash (unreadable), ErrUnsupported (another
// scheme or version, or costs above MaxMemory, MaxTime or MaxBcryptCost —
// refused before any work), ErrPasswordTooLong (over MaxPasswordLen, or over
// 72 bytes for a bcrypt hash: see the package documentation), or a context
// error wrapped in ErrBusy. Treat every error as a failed login.
func (h *Hasher) Verify(ctx context.Context, pw, hash string) (bool, error) {
	c, err := h.config()
	if err != nil {
		return false, err
	}
	if len(pw) > c.maxPasswordLen {
		return false, ErrPasswordTooLong
	}
	var p parsed
	if err := parse(hash, c, &p); err != nil {
		return false, err
	}
	if p.alg == algBcrypt {
		return h.verifyBcrypt(ctx, pw, hash, &p)
	}
	return h.verifyArgon2(ctx, pw, &p)
}

// NeedsRehash reports whether hash should be replaced by a new hash of the
// same password, computed after a successful Verify: true when hash is not
// h's Scheme with h's exact parameters. For the default argon2id Scheme that
// means any bcrypt or argon2i hash, and any argon2id hash whose m, t, p, key
// length or salt length differ from the Hasher's. It is also true for a hash
// that cannot be parsed and when h's configuration is invalid.
func (h *Hasher) NeedsRehash(hash string) bool {
	c, err := h.config()
	if err != nil {
		return true
	}
	var p parsed
	if parse(hash, c, &p) != nil {
		return true
	}
	return c.needsRehash(&p)
}

// needsRehash is NeedsRehash for a parsed hash.
func (c *config) needsRehash(p *parsed) bool {
	if c.scheme == Bcrypt {
		return p.alg != algBcrypt || p.cost != c.bcryptCost
	}
	return p.alg != algArgon2id ||
		p.memory != c.memory ||
		p.time != c.time ||
		p.threads != c.threads ||
		p.keyLen != c.keyLen ||
		p.saltLen != c.saltLen
}

// VerifyAndUpgrade is Verify for a login: when pw matches and NeedsRehash
// reports the stored hash as stale, it also returns newHash, a hash of pw with
// h's current parameters, to be stored in place of the old one. newHash is
// empty when ok is false or the hash is current.
//
// The upgrade is best effort: if computing newHash fails (the context ends, or
// the Bcrypt Scheme cannot hash this password), ok is still true, newHash is
// empty and err is nil, and the next login tries again.
//
// A failure costs what the stored hash costs. Login also makes every failure,
// unknown users included, cost the same: prefer it in login handlers.
func (h *Hasher) VerifyAndUpgrade(ctx context.Context, pw, hash string) (ok bool, newHash string, err error) {
	ok, err = h.Verify(ctx, pw, hash)
	if err != nil || !ok {
		return false, "", err
	}
	if !h.NeedsRehash(hash) {
		return true, "", nil
	}
	newHash, err = h.Hash(ctx, pw)
	if err != nil {
		return true, "", nil
	}
	return true, newHash, nil
}

// DummyVerify performs the same work as a Verify of pw against a hash made
// with h's current parameters, and discards the result. Call it when the
// user does not exist, so that "unknown user" and "wrong password" take the
// same time and an attacker cannot enumerate accounts by timing.
//
// It returns nil, or the error that Verify would return for a wrong password
// against a real current hash (ErrPasswordTooLong, or ErrBusy with the
// context's error), so that both paths can produce the same response.
//
// It does not cost what a legacy hash costs: a bcrypt account still takes
// longer than an unknown user. [Hasher.Login] equalises both, and every
// other failure, and is the better choice for a login handler.
func (h *Hasher) DummyVerify(ctx context.Context, pw string) error {
	c, err := h.config()
	if err != nil {
		return err
	}
	h.dummyOnce.Do(func() { h.dummy, h.dummyErr = dummyHash(c) })
	if h.dummyErr != nil {
		return h.dummyErr
	}
	_, err = h.Verify(ctx, pw, h.dummy)
	return err
}

// dummyHash returns an encoded hash with c's parameters, a random salt and a
// random key: verifying any password against it costs exactly one real
// computation, and it matches no password.
func dummyHash(c *config) (string, error) {
	if c.scheme == Bcrypt {
		return dummyBcrypt(c.bcryptCost)
	}
	var buf [maxSaltLen + maxKeyLen]byte
	salt, key := buf[:c.saltLen], buf[c.saltLen:c.saltLen+c.keyLen]
	if err := randomBytes(buf[:c.saltLen+c.keyLen]); err != nil {
		return "", err
	}
	return encodeArgon2(algArgon2id, c.memory, c.time, c.threads, salt, key), nil
}
