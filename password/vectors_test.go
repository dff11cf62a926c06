package password_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/password"
)

// vector is one entry of testdata/password_hashes.json.
type vector struct {
	ID            string         `json:"id"`
	Scheme        string         `json:"scheme"`
	Password      string         `json:"password"`
	PasswordHex   string         `json:"password_utf8_hex"`
	PasswordLen   int            `json:"password_utf8_len"`
	Hash          string         `json:"hash"`
	Expected      string         `json:"expected"`
	Params        map[string]any `json:"params"`
	DosGuard      bool           `json:"dos_guard"`
	Informational bool           `json:"informational"`
}

// pw returns the exact password bytes the generating library hashed.
func (v vector) pw(t testing.TB) string {
	b, err := hex.DecodeString(v.PasswordHex)
	if err != nil || len(b) != v.PasswordLen || string(b) != v.Password {
		t.Fatalf("%s: inconsistent password fields", v.ID)
	}
	return string(b)
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/password_hashes.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return file.Vectors
}

// outcome is what Verify must return: ok, or an error matching err.
type outcome struct {
	ok  bool
	err error
}

// policy is the package's documented decision for every accept_or_reject
// vector (see doc.go, "Security considerations"). A vector missing from this
// table fails the test, so that a new one forces a decision.
var policy = map[string]outcome{
	// bcrypt over 72 bytes: refused, never truncated. Must match for all three.
	"bcrypt-long-password-full":       {err: password.ErrPasswordTooLong},
	"bcrypt-long-password-other-tail": {err: password.ErrPasswordTooLong},
	"pybcrypt-100-bytes-full":         {err: password.ErrPasswordTooLong},
	// passlib bcrypt_sha256: out of scope.
	"bcrypt-sha256-long": {err: password.ErrUnsupported},
	// 16384 bytes > default MaxPasswordLen (1024).
	"argon2id-huge-password": {err: password.ErrPasswordTooLong},
	// argon2i v19 is supported for legacy hashes.
	"argon2i-plain":   {ok: true},
	"argon2i-passlib": {ok: true},
	// argon2d and version 16: unsupported.
	"argon2d-plain":       {err: password.ErrUnsupported},
	"argon2id-version-16": {err: password.ErrUnsupported},
}

// rejectErrors lists the reject vectors that must fail with an error, and
// which. Every other reject vector must give false and a nil error (a plain
// mismatch).
var rejectErrors = map[string]error{
	"bcrypt-sha256-long-first-72": password.ErrUnsupported,
	"bcrypt-ident-2x":             password.ErrUnsupported,
	"bcrypt-cost-03":              password.ErrInvalidHash,
	"bcrypt-truncated":            password.ErrInvalidHash,
	"bcrypt-empty-hash":           password.ErrInvalidHash,
	"bcrypt-garbage":              password.ErrInvalidHash,
	"argon2d-plain-wrong":         password.ErrUnsupported,
	"argon2-missing-version":      password.ErrUnsupported,
	"argon2-p-zero":               password.ErrInvalidHash,
	"argon2-m-huge-dos":           password.ErrUnsupported,
	"argon2-hash-truncated":       password.ErrInvalidHash, // non-zero trailing bits
	"argon2-empty":                password.ErrInvalidHash,
}

// want returns the exact outcome the package promises for v.
func want(t *testing.T, v vector) outcome {
	switch v.Expected {
	case "accept":
		return outcome{ok: true}
	case "reject":
		return outcome{err: rejectErrors[v.ID]}
	case "accept_or_reject":
		o, found := policy[v.ID]
		if !found {
			t.Fatalf("%s: accept_or_reject vector without a policy entry", v.ID)
		}
		return o
	}
	t.Fatalf("%s: unknown expectation %q", v.ID, v.Expected)
	return outcome{}
}

// within runs f and fails the test if it does not return within d.
func within(t *testing.T, d time.Duration, f func()) time.Duration {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return time.Since(start)
	case <-time.After(d):
		t.Fatalf("did not return within %v", d)
		return 0
	}
}

func TestVectors(t *testing.T) {
	vectors := loadVectors(t)
	if len(vectors) != 55 {
		t.Errorf("got %d vectors, want 55", len(vectors))
	}
	var mu sync.Mutex
	tally := map[string]int{}
	t.Cleanup(func() {
		t.Logf("vector results (expectation/result): %v", tally)
	})
	for _, v := range vectors {
		t.Run(v.ID, func(t *testing.T) {
			t.Parallel()
			w := want(t, v)
			pw := v.pw(t)
			var ok bool
			var err error
			limit := 60 * time.Second // bcrypt cost 12 under -race on 2 cores
			if v.DosGuard {
				limit = time.Second
			}
			d := within(t, limit, func() { ok, err = password.Verify(pw, v.Hash) })

			if v.Expected == "reject" && ok {
				t.Fatalf("reject vector verified as a match")
			}
			if v.DosGuard && err == nil {
				t.Errorf("dos_guard vector: got no error (after %v)", d)
			}
			if w.err != nil {
				if !errors.Is(err, w.err) || ok {
					t.Fatalf("Verify = %v, %v; want false, %v", ok, err, w.err)
				}
			} else if err != nil || ok != w.ok {
				t.Fatalf("Verify = %v, %v; want %v, nil", ok, err, w.ok)
			}

			result := "false"
			switch {
			case err != nil:
				result = "error"
			case ok:
				result = "true"
			}
			mu.Lock()
			tally[v.Expected+"/"+result]++
			mu.Unlock()
		})
	}
}

// TestVectorsOtherPolicies shows the alternatives the policy table rules out
// are configuration, not accident: a larger MaxPasswordLen accepts the
// 16384-byte argon2id vector.
func TestVectorsOtherPolicies(t *testing.T) {
	t.Parallel()
	h := &password.Hasher{MaxPasswordLen: 16384}
	for _, v := range loadVectors(t) {
		if v.ID != "argon2id-huge-password" {
			continue
		}
		ok, err := h.Verify(context.Background(), v.pw(t), v.Hash)
		if !ok || err != nil {
			t.Fatalf("with MaxPasswordLen 16384: Verify = %v, %v; want true, nil", ok, err)
		}
		return
	}
	t.Fatal("vector argon2id-huge-password not found")
}

// TestVectorsNeedsRehash uses each vector's params: only argon2id v19 with
// exactly the default parameters is current, and a Hasher configured with a
// vector's parameters considers that vector current.
func TestVectorsNeedsRehash(t *testing.T) {
	t.Parallel()
	num := func(v vector, k string) int {
		f, ok := v.Params[k].(float64)
		if !ok {
			t.Fatalf("%s: params.%s missing", v.ID, k)
		}
		return int(f)
	}
	checked := 0
	for _, v := range loadVectors(t) {
		if v.Params == nil {
			continue
		}
		checked++
		switch v.Scheme {
		case "bcrypt":
			if !password.NeedsRehash(v.Hash) {
				t.Errorf("%s: NeedsRehash(bcrypt) = false", v.ID)
			}
			h := &password.Hasher{Scheme: password.Bcrypt, BcryptCost: num(v, "cost")}
			if h.NeedsRehash(v.Hash) {
				t.Errorf("%s: a bcrypt Hasher with cost %d: NeedsRehash = true", v.ID, num(v, "cost"))
			}
		case "argon2id":
			m, tm, p := num(v, "m"), num(v, "t"), num(v, "p")
			keyLen, saltLen, ver := num(v, "hash_len"), num(v, "salt_len"), num(v, "v")
			current := ver == 19 && m == password.DefaultMemory && tm == password.DefaultTime &&
				p == password.DefaultParallelism && keyLen == password.DefaultKeyLen &&
				saltLen == password.DefaultSaltLen
			if got := password.NeedsRehash(v.Hash); got == current {
				t.Errorf("%s: NeedsRehash = %v, want %v", v.ID, got, !current)
			}
			h := &password.Hasher{
				Memory: uint32(m), Time: uint32(tm), Parallelism: uint8(p),
				KeyLen: keyLen, SaltLen: saltLen,
			}
			if err := h.Validate(); err != nil {
				t.Fatalf("%s: %v", v.ID, err)
			}
			if h.NeedsRehash(v.Hash) {
				t.Errorf("%s: Hasher with the vector's params: NeedsRehash = true", v.ID)
			}
		default:
			t.Errorf("%s: params for unexpected scheme %s", v.ID, v.Scheme)
		}
	}
	if checked == 0 {
		t.Fatal("no vectors with params")
	}
	// Every vector that is not current argon2id needs a rehash.
	for _, v := range loadVectors(t) {
		if v.Scheme != "argon2id" && !password.NeedsRehash(v.Hash) {
			t.Errorf("%s: NeedsRehash = false for scheme %s", v.ID, v.Scheme)
		}
	}
}
