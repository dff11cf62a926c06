package password_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/password"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

const benchPW = "correct horse battery staple"

// BenchmarkHash measures password.Hash at the defaults (argon2id m=19456
// KiB, t=2, p=1): about 19 MiB allocated per operation.
func BenchmarkHash(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := password.Hash(benchPW); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures password.Verify of a default hash.
func BenchmarkVerify(b *testing.B) {
	hash, err := password.Hash(benchPW)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := password.Verify(benchPW, hash); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkIDKey is x/crypto's argon2.IDKey alone with the same parameters:
// the floor for Hash and Verify.
func BenchmarkIDKey(b *testing.B) {
	salt := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		argon2.IDKey([]byte(benchPW), salt, password.DefaultTime, password.DefaultMemory, password.DefaultParallelism, password.DefaultKeyLen)
	}
}

// BenchmarkVerifyParallel runs Verify from GOMAXPROCS goroutines through one
// Hasher: throughput with the memory bound in place.
func BenchmarkVerifyParallel(b *testing.B) {
	var h password.Hasher
	ctx := context.Background()
	hash, err := h.Hash(ctx, benchPW)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := h.Verify(ctx, benchPW, hash); !ok || err != nil {
				b.Error(ok, err)
				return
			}
		}
	})
}

// BenchmarkBcrypt measures Verify of legacy bcrypt hashes.
func BenchmarkBcrypt(b *testing.B) {
	for _, bc := range []struct {
		name string
		cost int
	}{{"cost10", 10}, {"cost12", 12}} {
		b.Run(bc.name, func(b *testing.B) {
			raw, err := bcrypt.GenerateFromPassword([]byte(benchPW), bc.cost)
			if err != nil {
				b.Fatal(err)
			}
			hash := string(raw)
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := password.Verify(benchPW, hash); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkRejectHostile measures refusing a hash that asks for 4 TiB.
func BenchmarkRejectHostile(b *testing.B) {
	const hostile = "$argon2id$v=19$m=4294967295,t=2,p=1$p8Z3v9pW2OPt4jEs442t3g$fM2fZ2N4hGJQqA+V7YhW8e54qITgvfMIkiMBB6pT4TI"
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := password.Verify(benchPW, hostile); ok || err == nil {
			b.Fatal("accepted")
		}
	}
}

// failurePaths are the account states whose failed logins an attacker times:
// no account, a wrong password on a current argon2id hash and on legacy
// bcrypt hashes, and a password too long for bcrypt.
func failurePaths(tb testing.TB, h *password.Hasher, lowCost, highCost int) []failurePath {
	tb.Helper()
	current, err := h.Hash(context.Background(), benchPW)
	if err != nil {
		tb.Fatal(err)
	}
	low, high := bcryptHash(tb, benchPW, lowCost), bcryptHash(tb, benchPW, highCost)
	return []failurePath{
		{"unknown-user", "wrong password", "", false},
		{"argon2id-wrong", "wrong password", current, true},
		{fmt.Sprintf("bcrypt%d-wrong", lowCost), "wrong password", low, true},
		{fmt.Sprintf("bcrypt%d-wrong", highCost), "wrong password", high, true},
		{"bcrypt-too-long", strings.Repeat("too long ", 10), low, true},
	}
}

type failurePath struct {
	name, pw, hash string
	found          bool
}

// login runs Login for the path and fails the test if it succeeds.
func (p failurePath) login(tb testing.TB, h *password.Hasher) {
	if ok, _, err := h.Login(context.Background(), p.pw, p.hash, p.found); ok || errors.Is(err, password.ErrBusy) {
		tb.Fatalf("%s: Login = %v, %v", p.name, ok, err)
	}
}

// verify does what a handler built on the unequalised calls does:
// DummyVerify for an unknown user, Verify otherwise.
func (p failurePath) verify(tb testing.TB, h *password.Hasher) {
	if !p.found {
		if err := h.DummyVerify(context.Background(), p.pw); err != nil {
			tb.Fatalf("%s: DummyVerify = %v", p.name, err)
		}
		return
	}
	if ok, err := h.Verify(context.Background(), p.pw, p.hash); ok || errors.Is(err, password.ErrBusy) {
		tb.Fatalf("%s: Verify = %v, %v", p.name, ok, err)
	}
}

// BenchmarkLoginFailure measures a failed Hasher.Login with the defaults for
// each account state, once the Hasher has seen a cost-12 bcrypt hash: the
// sub-benchmarks should all cost about the same.
func BenchmarkLoginFailure(b *testing.B) {
	h := &password.Hasher{MaxConcurrent: 1}
	paths := failurePaths(b, h, 10, 12)
	paths[3].login(b, h) // learn cost 12, as the first cost-12 login does
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.login(b, h)
			}
		})
	}
}

// BenchmarkVerifyFailure is BenchmarkLoginFailure for a handler that uses
// DummyVerify and Verify instead of Login: the costs that Login equalises.
func BenchmarkVerifyFailure(b *testing.B) {
	h := &password.Hasher{MaxConcurrent: 1}
	for _, p := range failurePaths(b, h, 10, 12) {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.verify(b, h)
			}
		})
	}
}
