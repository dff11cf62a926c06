package password_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/password"
	"golang.org/x/crypto/bcrypt"
)

func TestHasherValidate(t *testing.T) {
	t.Parallel()
	valid := []password.Hasher{
		{},
		{Memory: 47104, Time: 1},
		{Memory: 8, Time: 1}, // the argon2 minimum for p=1
		{Memory: 2040, Parallelism: 255},
		{SaltLen: 48, KeyLen: 64},
		{SaltLen: 16, KeyLen: 16},
		{Scheme: password.Bcrypt, BcryptCost: 4},
		{Scheme: password.Bcrypt, BcryptCost: 31, MaxBcryptCost: 31},
		{MaxPasswordLen: 64},
		{MaxPasswordLen: 1 << 20},
		{Memory: 65536, MaxMemory: 65536, Time: 3, MaxTime: 3},
		{MaxConcurrent: 1},
		{LegacyBcryptCost: 4},
		{LegacyBcryptCost: 16},
		{LegacyBcryptCost: 31, MaxBcryptCost: 31},
	}
	for i := range valid {
		if err := valid[i].Validate(); err != nil {
			t.Errorf("valid[%d]: %v", i, err)
		}
	}

	invalid := []struct {
		name string
		h    *password.Hasher
	}{
		{"unknown scheme", &password.Hasher{Scheme: 7}},
		{"memory below 8*p", &password.Hasher{Memory: 15, Parallelism: 2}},
		{"memory below 8", &password.Hasher{Memory: 4}},
		{"memory over MaxMemory", &password.Hasher{Memory: password.DefaultMaxMemory + 1}},
		{"memory over explicit MaxMemory", &password.Hasher{Memory: 65536, MaxMemory: 32768}},
		{"time over MaxTime", &password.Hasher{Time: 17}},
		{"time over explicit MaxTime", &password.Hasher{Time: 4, MaxTime: 3}},
		{"salt too short", &password.Hasher{SaltLen: 8}},
		{"salt too long", &password.Hasher{SaltLen: 49}},
		{"negative salt", &password.Hasher{SaltLen: -1}},
		{"key too short", &password.Hasher{KeyLen: 12}},
		{"key too long", &password.Hasher{KeyLen: 65}},
		{"bcrypt cost 3", &password.Hasher{Scheme: password.Bcrypt, BcryptCost: 3}},
		{"bcrypt cost 32", &password.Hasher{BcryptCost: 32}},
		{"bcrypt cost over MaxBcryptCost", &password.Hasher{BcryptCost: 17}},
		{"MaxBcryptCost 32", &password.Hasher{MaxBcryptCost: 32}},
		{"MaxBcryptCost below BcryptCost", &password.Hasher{MaxBcryptCost: 10}},
		{"MaxPasswordLen 63", &password.Hasher{MaxPasswordLen: 63}},
		{"MaxPasswordLen huge", &password.Hasher{MaxPasswordLen: 1<<20 + 1}},
		{"negative MaxPasswordLen", &password.Hasher{MaxPasswordLen: -1}},
		{"negative MaxConcurrent", &password.Hasher{MaxConcurrent: -1}},
		{"LegacyBcryptCost 3", &password.Hasher{LegacyBcryptCost: 3}},
		{"negative LegacyBcryptCost", &password.Hasher{LegacyBcryptCost: -1}},
		{"LegacyBcryptCost over MaxBcryptCost", &password.Hasher{LegacyBcryptCost: 17}},
	}
	ctx := context.Background()
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.h
			if err := h.Validate(); !errors.Is(err, password.ErrInvalidConfig) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig", err)
			}
			if _, err := h.Hash(ctx, "pw"); !errors.Is(err, password.ErrInvalidConfig) {
				t.Errorf("Hash err = %v", err)
			}
			if ok, err := h.Verify(ctx, "password", refArgon2id); ok || !errors.Is(err, password.ErrInvalidConfig) {
				t.Errorf("Verify = %v, %v", ok, err)
			}
			if ok, nh, err := h.VerifyAndUpgrade(ctx, "password", refArgon2id); ok || nh != "" || !errors.Is(err, password.ErrInvalidConfig) {
				t.Errorf("VerifyAndUpgrade = %v, %q, %v", ok, nh, err)
			}
			if ok, nh, err := h.Login(ctx, "password", refArgon2id, true); ok || nh != "" || !errors.Is(err, password.ErrInvalidConfig) {
				t.Errorf("Login = %v, %q, %v", ok, nh, err)
			}
			if err := h.DummyVerify(ctx, "pw"); !errors.Is(err, password.ErrInvalidConfig) {
				t.Errorf("DummyVerify err = %v", err)
			}
			if !h.NeedsRehash(refArgon2id) {
				t.Error("NeedsRehash = false with an invalid configuration")
			}
		})
	}
}

func TestHasherFrozenAfterFirstUse(t *testing.T) {
	t.Parallel()
	h := &password.Hasher{Memory: 1024, Time: 1}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	h.Memory = 2048 // ignored: the configuration was read on first use
	hash, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q does not use the frozen parameters", hash)
	}
}

func TestHasherCustomParams(t *testing.T) {
	t.Parallel()
	h := &password.Hasher{Memory: 9216, Time: 4, Parallelism: 2, SaltLen: 24, KeyLen: 48}
	ctx := context.Background()
	hash, err := h.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	p, err := password.Parse(h, hash)
	if err != nil {
		t.Fatal(err)
	}
	if p.Alg != "argon2id" || p.Memory != 9216 || p.Time != 4 || p.Threads != 2 || p.SaltLen != 24 || p.KeyLen != 48 {
		t.Fatalf("parsed %+v", p)
	}
	if p.Canonical != hash {
		t.Fatalf("hash is not canonical")
	}
	if h.NeedsRehash(hash) {
		t.Error("NeedsRehash(own hash) = true")
	}
	if !password.NeedsRehash(hash) {
		t.Error("default NeedsRehash(custom hash) = false")
	}
	if ok, err := password.Verify("pw", hash); !ok || err != nil {
		t.Errorf("default Verify(custom hash) = %v, %v", ok, err)
	}
}

func TestBcryptScheme(t *testing.T) {
	t.Parallel()
	h := &password.Hasher{Scheme: password.Bcrypt, BcryptCost: 4}
	ctx := context.Background()

	hash, err := h.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$2a$04$") || len(hash) != 60 {
		t.Fatalf("Hash = %q, want a $2a$04$ bcrypt hash", hash)
	}
	if ok, err := h.Verify(ctx, "hunter2", hash); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if h.NeedsRehash(hash) {
		t.Error("NeedsRehash(own bcrypt hash) = true")
	}
	if !h.NeedsRehash("$2a$05" + hash[6:]) {
		t.Error("NeedsRehash(other cost) = false")
	}
	if !password.NeedsRehash(hash) {
		t.Error("default NeedsRehash(bcrypt) = false")
	}
	if !h.NeedsRehash(refArgon2id) {
		t.Error("bcrypt Hasher: NeedsRehash(argon2id) = false")
	}

	// 72 bytes is the limit; one more is refused, not truncated.
	pw72 := strings.Repeat("a", 72)
	if _, err := h.Hash(ctx, pw72); err != nil {
		t.Errorf("Hash(72 bytes): %v", err)
	}
	_, err = h.Hash(ctx, pw72+"b")
	if !errors.Is(err, password.ErrPasswordTooLong) || !errors.Is(err, bcrypt.ErrPasswordTooLong) {
		t.Errorf("Hash(73 bytes) err = %v, want ErrPasswordTooLong wrapping bcrypt's", err)
	}
	// NUL bytes are refused for bcrypt hashing.
	if _, err := h.Hash(ctx, "nul\x00inside"); !errors.Is(err, password.ErrInvalidPassword) {
		t.Errorf("Hash(NUL) err = %v, want ErrInvalidPassword", err)
	}
	// The argon2id default hashes NUL bytes like any other.
	if _, err := (&password.Hasher{Memory: 64, Time: 1}).Hash(ctx, "nul\x00inside"); err != nil {
		t.Errorf("argon2id Hash(NUL): %v", err)
	}

	// DummyVerify of a bcrypt Hasher verifies against a current bcrypt hash.
	if err := h.DummyVerify(ctx, "pw"); err != nil {
		t.Fatal(err)
	}
	dummy := password.DummyHash(h)
	if !strings.HasPrefix(dummy, "$2a$04$") || h.NeedsRehash(dummy) {
		t.Errorf("dummy hash %q is not a current bcrypt hash", dummy)
	}
}

// TestBcryptLongPasswordPolicy pins the documented policy: verifying a
// bcrypt hash with a password over 72 bytes is an error, where
// x/crypto/bcrypt alone silently compares the first 72 bytes.
func TestBcryptLongPasswordPolicy(t *testing.T) {
	t.Parallel()
	prefix := strings.Repeat("p", 72)
	raw, err := bcrypt.GenerateFromPassword([]byte(prefix), 4)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(raw)
	if err := bcrypt.CompareHashAndPassword(raw, []byte(prefix+"anything")); err != nil {
		t.Fatalf("x/crypto no longer truncates (%v): revisit the policy", err)
	}
	if ok, err := password.Verify(prefix, hash); !ok || err != nil {
		t.Fatalf("Verify(72 bytes) = %v, %v", ok, err)
	}
	for _, tail := range []string{"x", "anything", strings.Repeat("z", 100)} {
		ok, err := password.Verify(prefix+tail, hash)
		if ok || !errors.Is(err, password.ErrPasswordTooLong) || !errors.Is(err, bcrypt.ErrPasswordTooLong) {
			t.Errorf("Verify(72+%d bytes) = %v, %v; want false, ErrPasswordTooLong", len(tail), ok, err)
		}
	}
}

// TestBcryptNUL: a NUL never truncates verification. A C implementation
// hashes "abc" for "abc\x00def"; this package does not match them.
func TestBcryptNUL(t *testing.T) {
	t.Parallel()
	raw, err := bcrypt.GenerateFromPassword([]byte("abc"), 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"abc\x00", "abc\x00def"} {
		if ok, err := password.Verify(pw, string(raw)); ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
	raw, err = bcrypt.GenerateFromPassword([]byte("abc\x00def"), 4)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := password.Verify("abc\x00def", string(raw)); !ok || err != nil {
		t.Errorf("Verify(x/crypto hash with NUL) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := password.Verify("abc", string(raw)); ok || err != nil {
		t.Errorf("Verify(prefix before NUL) = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyAndUpgrade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cheap := &password.Hasher{Memory: 1024, Time: 1}
	current, err := cheap.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := bcrypt.GenerateFromPassword([]byte("hunter2"), 4)
	if err != nil {
		t.Fatal(err)
	}
	const staleArgon = "$argon2id$v=19$m=1024,t=2,p=1$of25iefdJxPuaHHpKwFEQQ$2o7dC/xmt1nQxhoRIjpT056QTsYPFcGoirPxbIIvjYY"
	const staleArgonPW = "The quick brown fox jumps over the lazy dog, then naps in the sun 123456...and-more"

	tests := []struct {
		name    string
		pw      string
		hash    string
		ok      bool
		upgrade bool
		err     error
	}{
		{"bcrypt to argon2id", "hunter2", string(legacy), true, true, nil},
		{"stale argon2id params", staleArgonPW, staleArgon, true, true, nil},
		{"argon2i to argon2id", "password", refArgon2i, true, true, nil},
		{"current hash", "hunter2", current, true, false, nil},
		{"wrong password, stale hash", "hunter3", string(legacy), false, false, nil},
		{"wrong password, current hash", "hunter3", current, false, false, nil},
		{"invalid hash", "hunter2", "$argon2id$v=19$m=0,t=1,p=1$c29tZXNhbHQ$c29tZXNhbHRzb21lc2FsdA", false, false, password.ErrInvalidHash},
		{"unsupported hash", "password", refArgon2d, false, false, password.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, newHash, err := cheap.VerifyAndUpgrade(ctx, tt.pw, tt.hash)
			if ok != tt.ok || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("VerifyAndUpgrade = %v, %q, %v; want %v, %v", ok, newHash, err, tt.ok, tt.err)
			}
			if (newHash != "") != tt.upgrade {
				t.Fatalf("newHash = %q, want upgrade %v", newHash, tt.upgrade)
			}
			if newHash == "" {
				return
			}
			if cheap.NeedsRehash(newHash) {
				t.Error("the new hash is stale itself")
			}
			if !strings.HasPrefix(newHash, "$argon2id$v=19$m=1024,t=1,p=1$") {
				t.Errorf("new hash %q does not use the Hasher's parameters", newHash)
			}
			if ok, err := cheap.Verify(ctx, tt.pw, newHash); !ok || err != nil {
				t.Errorf("Verify(new hash) = %v, %v", ok, err)
			}
		})
	}
}

// TestVerifyAndUpgradeBestEffort: when the new hash cannot be computed the
// login still succeeds, without a new hash.
func TestVerifyAndUpgradeBestEffort(t *testing.T) {
	t.Parallel()
	h := &password.Hasher{Scheme: password.Bcrypt, BcryptCost: 4}
	const pw = "The quick brown fox jumps over the lazy dog, then naps in the sun 123456...and-more"
	const hash = "$argon2id$v=19$m=1024,t=2,p=1$of25iefdJxPuaHHpKwFEQQ$2o7dC/xmt1nQxhoRIjpT056QTsYPFcGoirPxbIIvjYY"
	ok, newHash, err := h.VerifyAndUpgrade(context.Background(), pw, hash)
	if !ok || newHash != "" || err != nil {
		t.Fatalf("VerifyAndUpgrade = %v, %q, %v; want true, \"\", nil", ok, newHash, err)
	}
}

func TestDummyVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := &password.Hasher{Memory: 4096, Time: 2}
	if err := h.DummyVerify(ctx, "anything"); err != nil {
		t.Fatal(err)
	}
	dummy := password.DummyHash(h)
	if h.NeedsRehash(dummy) {
		t.Errorf("dummy hash %q does not have the current parameters", dummy)
	}
	if ok, err := h.Verify(ctx, "anything", dummy); ok || err != nil {
		t.Errorf("dummy hash matched: %v, %v", ok, err)
	}
	// One DummyVerify is exactly one computation, like one Verify.
	before := password.Computations(h)
	a0, b0 := password.Work(h)
	if err := h.DummyVerify(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if n := password.Computations(h) - before; n != 1 {
		t.Errorf("DummyVerify ran %d computations, want 1", n)
	}
	if a, b := password.Work(h); a-a0 != 4096*2 || b != b0 {
		t.Errorf("DummyVerify work: %d argon2 KiB passes, %d bcrypt expansions; want %d, 0", a-a0, b-b0, 4096*2)
	}
	if password.DummyHash(h) != dummy {
		t.Error("dummy hash recomputed")
	}
	// The same errors as a real Verify for the same input.
	long := strings.Repeat("x", password.DefaultMaxPasswordLen+1)
	if err := h.DummyVerify(ctx, long); !errors.Is(err, password.ErrPasswordTooLong) {
		t.Errorf("DummyVerify(too long) = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := h.DummyVerify(cancelled, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("DummyVerify(cancelled) = %v", err)
	}
	if err := password.DummyVerify("x"); err != nil {
		t.Errorf("package DummyVerify: %v", err)
	}
}

// TestDummyVerifyTiming compares the fastest of a few runs: DummyVerify and
// Verify of a current hash must cost about the same.
func TestDummyVerifyTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	ctx := context.Background()
	h := &password.Hasher{MaxConcurrent: 1}
	hash, err := h.Hash(ctx, "real password")
	if err != nil {
		t.Fatal(err)
	}
	fastest := func(f func()) time.Duration {
		best := time.Duration(1 << 62)
		for range 5 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	real := fastest(func() { _, _ = h.Verify(ctx, "wrong password", hash) })
	dummy := fastest(func() { _ = h.DummyVerify(ctx, "wrong password") })
	t.Logf("Verify %v, DummyVerify %v", real, dummy)
	if dummy < real/3 || dummy > real*3 {
		t.Errorf("DummyVerify %v vs Verify %v: not the same cost", dummy, real)
	}
}
