package password_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/password"
	"golang.org/x/crypto/bcrypt"
)

// work is what one call added to a Hasher's counters.
type work struct{ argon2, bcrypt int64 }

func measure(h *password.Hasher, f func()) work {
	a0, b0 := password.Work(h)
	f()
	a1, b1 := password.Work(h)
	return work{a1 - a0, b1 - b0}
}

func bcryptHash(t testing.TB, pw string, cost int) string {
	t.Helper()
	raw, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestLoginFailureWork: every failed Login does exactly the same argon2 and
// bcrypt work as an unknown user, whatever the stored hash. The rows are
// the account states an attacker would like to tell apart.
func TestLoginFailureWork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := &password.Hasher{Memory: 1024, Time: 1}
	current, err := h.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	bcrypt4, bcrypt5 := bcryptHash(t, "hunter2", 4), bcryptHash(t, "hunter2", 5)
	prefix := strings.Repeat("p", 72)
	bcryptLong := bcryptHash(t, prefix, 4)

	// Before Login has seen a bcrypt hash, a failure costs one argon2id
	// computation with the Hasher's parameters, as DummyVerify does. Verify
	// teaches Login nothing.
	if _, err := h.Verify(ctx, "wrong", bcrypt5); err != nil {
		t.Fatal(err)
	}
	unknown := func() {
		if ok, nh, err := h.Login(ctx, "guess", "", false); ok || nh != "" || err != nil {
			t.Fatalf("Login(unknown) = %v, %q, %v", ok, nh, err)
		}
	}
	if w, want := measure(h, unknown), (work{1024, 0}); w != want {
		t.Fatalf("unknown user before any bcrypt hash: %+v, want %+v", w, want)
	}

	// The first bcrypt hash Login sees raises the work of every failure,
	// that first one included.
	var w work
	if w = measure(h, func() { h.Login(ctx, "wrong", bcrypt5, true) }); w != (work{1024, 1 << 5}) {
		t.Fatalf("first bcrypt login: %+v", w)
	}
	want := measure(h, unknown)
	if want != (work{1024, 1 << 5}) {
		t.Fatalf("unknown user after a cost-5 hash: %+v", want)
	}

	tests := []struct {
		name  string
		pw    string
		hash  string
		found bool
		err   error
	}{
		{"unknown user", "guess", "", false, nil},
		{"unknown user, a hash passed anyway", "hunter2", current, false, nil},
		{"argon2id, wrong password", "hunter3", current, true, nil},
		{"bcrypt cost 4, wrong password", "hunter3", bcrypt4, true, nil},
		{"bcrypt cost 5, wrong password", "hunter3", bcrypt5, true, nil},
		{"bcrypt, 73 bytes", strings.Repeat("x", 73), bcrypt4, true, password.ErrPasswordTooLong},
		{"bcrypt, 72-byte prefix matches", prefix + "tail", bcryptLong, true, bcrypt.ErrPasswordTooLong},
		{"bcrypt, MaxPasswordLen bytes", strings.Repeat("x", password.DefaultMaxPasswordLen), bcrypt5, true, password.ErrPasswordTooLong},
		{"empty stored hash", "hunter2", "", true, password.ErrInvalidHash},
		{"malformed stored hash", "hunter2", "$argon2id$v=19$m=0,t=1,p=1$c29tZXNhbHQ$c29tZXNhbHRzb21lc2FsdA", true, password.ErrInvalidHash},
		{"argon2d", "password", refArgon2d, true, password.ErrUnsupported},
		{"bcrypt over MaxBcryptCost", "hunter2", "$2b$17" + bcrypt4[6:], true, password.ErrUnsupported},
		{"hostile argon2 memory", "hunter2", "$argon2id$v=19$m=4294967295,t=2,p=1$p8Z3v9pW2OPt4jEs442t3g$fM2fZ2N4hGJQqA+V7YhW8e54qITgvfMIkiMBB6pT4TI", true, password.ErrUnsupported},
	}
	for _, tt := range tests {
		var ok bool
		var nh string
		var err error
		w := measure(h, func() { ok, nh, err = h.Login(ctx, tt.pw, tt.hash, tt.found) })
		if ok || nh != "" || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("%s: Login = %v, %q, %v; want false, \"\", %v", tt.name, ok, nh, err, tt.err)
		}
		if w != want {
			t.Errorf("%s: work %+v, want %+v as for an unknown user", tt.name, w, want)
		}
	}

	// A password over MaxPasswordLen is refused before any work, for every
	// account alike: it depends on the input alone.
	long := strings.Repeat("x", password.DefaultMaxPasswordLen+1)
	for _, found := range []bool{false, true} {
		var err error
		if w := measure(h, func() { _, _, err = h.Login(ctx, long, bcrypt5, found) }); w != (work{}) || !errors.Is(err, password.ErrPasswordTooLong) {
			t.Errorf("Login(over MaxPasswordLen, found %v) = %v, work %+v", found, err, w)
		}
	}
}

// TestLoginLegacyBcryptCost: with LegacyBcryptCost set, the very first
// failure already costs the bcrypt work, and a cheaper stored hash is padded
// up to it.
func TestLoginLegacyBcryptCost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := &password.Hasher{Memory: 1024, Time: 1, LegacyBcryptCost: 5}
	want := work{1024, 1 << 5}
	if w := measure(h, func() { h.Login(ctx, "guess", "", false) }); w != want {
		t.Errorf("first unknown user: %+v, want %+v", w, want)
	}
	if w := measure(h, func() { h.Login(ctx, "wrong", bcryptHash(t, "pw", 4), true) }); w != want {
		t.Errorf("bcrypt cost 4: %+v, want %+v", w, want)
	}
	// A costlier hash raises the work above the configured floor.
	if w := measure(h, func() { h.Login(ctx, "wrong", bcryptHash(t, "pw", 6), true) }); w != (work{1024, 1 << 6}) {
		t.Errorf("bcrypt cost 6: %+v", w)
	}
	if w := measure(h, func() { h.Login(ctx, "guess", "", false) }); w != (work{1024, 1 << 6}) {
		t.Errorf("unknown user after cost 6: %+v", w)
	}
}

// TestLoginBcryptScheme: a Hasher that writes bcrypt counts its own cost
// from the start, and still pads with argon2id for argon2 hashes it meets.
func TestLoginBcryptScheme(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := &password.Hasher{Scheme: password.Bcrypt, BcryptCost: 5, Memory: 1024, Time: 1}
	current, err := h.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	argon, err := (&password.Hasher{Memory: 1024, Time: 1}).Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	want := work{1024, 1 << 5}
	for name, f := range map[string]func(){
		"unknown user":   func() { h.Login(ctx, "guess", "", false) },
		"bcrypt, wrong":  func() { h.Login(ctx, "hunter3", current, true) },
		"argon2, wrong":  func() { h.Login(ctx, "hunter3", argon, true) },
		"bcrypt, 100 B":  func() { h.Login(ctx, strings.Repeat("x", 100), current, true) },
		"invalid stored": func() { h.Login(ctx, "hunter2", "hunter2", true) },
	} {
		if w := measure(h, f); w != want {
			t.Errorf("%s: work %+v, want %+v", name, w, want)
		}
	}
	ok, nh, err := h.Login(ctx, "hunter2", argon, true)
	if !ok || err != nil || !strings.HasPrefix(nh, "$2a$05$") {
		t.Errorf("Login(argon2 hash) = %v, %q, %v; want an upgrade to bcrypt", ok, nh, err)
	}
}

// TestLoginSuccess: Login accepts what VerifyAndUpgrade accepts and upgrades
// stale hashes in the same slot.
func TestLoginSuccess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := &password.Hasher{Memory: 1024, Time: 1}
	current, err := h.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	legacy := bcryptHash(t, "hunter2", 4)
	pw72 := strings.Repeat("p", 72)
	legacy72 := bcryptHash(t, pw72, 4)

	tests := []struct {
		name, pw, hash string
		upgrade        bool
		work           work
	}{
		{"current argon2id", "hunter2", current, false, work{1024, 0}},
		{"argon2i", "password", refArgon2i, true, work{65536*2 + 1024, 0}},
		{"bcrypt", "hunter2", legacy, true, work{1024, 1 << 4}},
		{"bcrypt, 72 bytes", pw72, legacy72, true, work{1024, 1 << 4}},
	}
	for _, tt := range tests {
		var ok bool
		var nh string
		var err error
		w := measure(h, func() { ok, nh, err = h.Login(ctx, tt.pw, tt.hash, true) })
		if !ok || err != nil || (nh != "") != tt.upgrade {
			t.Errorf("%s: Login = %v, %q, %v; want true, upgrade %v", tt.name, ok, nh, err, tt.upgrade)
			continue
		}
		if w != tt.work {
			t.Errorf("%s: work %+v, want %+v", tt.name, w, tt.work)
		}
		if nh == "" {
			continue
		}
		if h.NeedsRehash(nh) {
			t.Errorf("%s: new hash %q is stale", tt.name, nh)
		}
		if ok, err := h.Verify(ctx, tt.pw, nh); !ok || err != nil {
			t.Errorf("%s: Verify(new hash) = %v, %v", tt.name, ok, err)
		}
	}
	if ok, nh, err := (&password.Hasher{Memory: 1024, Time: 1}).Login(ctx, "x", "", false); ok || nh != "" || err != nil {
		t.Errorf("Login(unknown user) = %v, %q, %v", ok, nh, err)
	}
}

// TestLoginSlots: Login's work, padding included, goes through the Hasher's
// slots: a held slot makes it wait and give up with ErrBusy when ctx ends,
// without computing anything, for known and unknown users alike; and
// concurrent logins never exceed MaxConcurrent.
func TestLoginSlots(t *testing.T) {
	t.Parallel()
	h := &password.Hasher{Memory: 1024, Time: 1, MaxConcurrent: 1, LegacyBcryptCost: 4}
	hash, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	release := password.HoldSlot(h)
	for _, found := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		var ok bool
		w := measure(h, func() { ok, _, err = h.Login(ctx, "pw", hash, found) })
		cancel()
		if ok || !errors.Is(err, password.ErrBusy) || !errors.Is(err, context.DeadlineExceeded) || w != (work{}) {
			t.Errorf("Login(found %v) with the slot held = %v, %v, work %+v; want ErrBusy, no work", found, ok, err, w)
		}
	}
	//lint:ignore SA1012 a nil context on purpose
	if ok, _, err := h.Login(nil, "pw", hash, true); ok || err == nil {
		t.Error("Login(nil context) succeeded")
	}
	release()

	var wg sync.WaitGroup
	legacy := bcryptHash(t, "pw", 5)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stored := []string{hash, legacy, ""}[i%3]
			if ok, _, err := h.Login(context.Background(), "wrong", stored, stored != ""); ok || err != nil {
				t.Errorf("Login = %v, %v", ok, err)
			}
		}()
	}
	wg.Wait()
	if p := password.PeakInFlight(h); p != 1 {
		t.Errorf("peak in flight %d, want 1", p)
	}
	if n := password.InFlight(h); n != 0 {
		t.Errorf("%d slots still in use", n)
	}
}

// TestLoginFailureTiming times each failed-login path, interleaved, and logs
// the ratio of its median to the unknown user's, for Login and for a handler
// built on DummyVerify and Verify. TestLoginFailureWork asserts the equal
// work; the timing bound here is loose, so that it cannot flake.
func TestLoginFailureTiming(t *testing.T) {
	runs := 15
	if raceEnabled {
		runs = 3
	}
	h := &password.Hasher{Memory: 4096, Time: 2, MaxConcurrent: 1}
	paths := failurePaths(t, h, 6, 8)
	paths[3].login(t, h) // learn cost 8
	for _, login := range []bool{false, true} {
		times := make([][]time.Duration, len(paths))
		for r := range runs * len(paths) {
			// Rotate the order each round, so that no path always runs
			// first (the first after a round runs measurably slower).
			i := (r + r/len(paths)) % len(paths)
			start := time.Now()
			if login {
				paths[i].login(t, h)
			} else {
				paths[i].verify(t, h)
			}
			times[i] = append(times[i], time.Since(start))
		}
		name := "DummyVerify/Verify"
		if login {
			name = "Login"
		}
		base := median(times[0])
		for i, p := range paths {
			m := median(times[i])
			ratio := float64(m) / float64(base)
			t.Logf("%-18s %-16s median %8v  ratio %.2f", name, p.name, m.Round(time.Microsecond), ratio)
			if login && (ratio < 0.5 || ratio > 2) {
				t.Errorf("Login %s: median %v is %.2f× the unknown user's %v", p.name, m, ratio, base)
			}
		}
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
