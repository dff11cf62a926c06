package password_test

import (
	"context"
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
