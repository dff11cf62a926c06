package password_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/password"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// seedHashes returns the hashes of testdata/password_hashes.json, the
// SECURITY.md references and the attack tables.
func seedHashes(t testing.TB) []string {
	var seeds []string
	for _, v := range loadVectors(t) {
		seeds = append(seeds, v.Hash)
	}
	seeds = append(seeds, refArgon2i, refArgon2id, refArgon2d, refArgon2iV16)
	for _, a := range argonAttacks() {
		seeds = append(seeds, a.hash)
	}
	return seeds
}

// FuzzParsePHC: the parser never panics; whatever it accepts is within the
// format's ranges and the Hasher's caps, and re-encodes to exactly the input
// (the format is strict, so there is one encoding per hash).
func FuzzParsePHC(f *testing.F) {
	for _, s := range seedHashes(f) {
		f.Add(s)
	}
	h := &password.Hasher{}
	f.Fuzz(func(t *testing.T, hash string) {
		p, err := password.Parse(h, hash)
		if err != nil {
			if !errors.Is(err, password.ErrInvalidHash) && !errors.Is(err, password.ErrUnsupported) {
				t.Fatalf("unexpected error class: %v", err)
			}
			if !password.NeedsRehash(hash) {
				t.Fatal("NeedsRehash(unparsable) = false")
			}
			return
		}
		if p.Canonical != hash {
			t.Fatalf("accepted a non-canonical encoding:\n in  %q\n out %q", hash, p.Canonical)
		}
		switch p.Alg {
		case "argon2id", "argon2i":
			if p.Memory < 8*uint32(p.Threads) || p.Memory > password.DefaultMaxMemory ||
				p.Time < 1 || p.Time > password.DefaultMaxTime || p.Threads < 1 ||
				p.SaltLen < 8 || p.SaltLen > 48 || p.KeyLen < 12 || p.KeyLen > 64 {
				t.Fatalf("accepted out-of-range parameters %+v", p)
			}
			if !strings.HasPrefix(hash, "$"+p.Alg+"$v=19$") {
				t.Fatalf("accepted %q as %s", hash, p.Alg)
			}
		case "bcrypt":
			if len(hash) != 60 || p.Cost < 4 || p.Cost > password.DefaultMaxBcryptCost ||
				!(strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") || strings.HasPrefix(hash, "$2y$")) {
				t.Fatalf("accepted bcrypt hash %q", hash)
			}
		default:
			t.Fatalf("unknown algorithm %q", p.Alg)
		}
	})
}

// cheap is a Hasher whose caps keep every accepted hash fast to verify, so
// that the fuzzer can run full verifications.
func cheap() *password.Hasher {
	return &password.Hasher{Memory: 64, Time: 1, MaxMemory: 256, MaxTime: 2, MaxBcryptCost: 5, BcryptCost: 4}
}

// FuzzVerifyBcrypt: Verify never panics, returns only the documented errors,
// and on every bcrypt hash it accepts agrees with x/crypto/bcrypt.
func FuzzVerifyBcrypt(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.Password, v.Hash)
	}
	for _, pw := range []string{"", "hunter2", "nul\x00", strings.Repeat("x", 72)} {
		raw, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pw, string(raw))
		f.Add(pw, "$2y"+string(raw[3:]))
	}
	h := cheap()
	f.Fuzz(func(t *testing.T, pw, hash string) {
		ok, p, verified := fuzzVerify(t, h, pw, hash)
		if !verified {
			return
		}
		if p.Alg != "bcrypt" {
			return
		}
		if len(pw) > 72 {
			t.Fatal("verified a bcrypt hash with a password over 72 bytes")
		}
		xok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
		if ok != xok {
			t.Fatalf("Verify = %v, x/crypto/bcrypt = %v", ok, xok)
		}
	})
}

// FuzzVerifyArgon2: with low caps every accepted argon2 hash verifies
// quickly; a result of true must be a real argon2 match.
func FuzzVerifyArgon2(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.Password, v.Hash)
	}
	salt := []byte("somesaltsomesalt")
	for _, pw := range []string{"", "password", "nul\x00inside"} {
		f.Add(pw, "$argon2id$v=19$m=64,t=1,p=1$"+b64(salt)+"$"+b64(argon2.IDKey([]byte(pw), salt, 1, 64, 1, 32)))
		f.Add(pw, "$argon2i$v=19$m=64,t=2,p=2$"+b64(salt)+"$"+b64(argon2.Key([]byte(pw), salt, 2, 64, 2, 16)))
	}
	h := cheap()
	f.Fuzz(func(t *testing.T, pw, hash string) {
		ok, p, verified := fuzzVerify(t, h, pw, hash)
		if !verified {
			return
		}
		if p.Memory > 256 || p.Time > 2 {
			t.Fatalf("verified beyond the caps: %+v", p)
		}
		if p.Alg == "bcrypt" {
			return
		}
		// Differential check against x/crypto/argon2 called directly.
		fields := strings.Split(hash, "$")
		salt, err1 := base64.RawStdEncoding.DecodeString(fields[4])
		want, err2 := base64.RawStdEncoding.DecodeString(fields[5])
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		derive := argon2.IDKey
		if p.Alg == "argon2i" {
			derive = argon2.Key
		}
		got := derive([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
		if ok != bytes.Equal(got, want) {
			t.Fatalf("Verify = %v, argon2 = %v", ok, !ok)
		}
	})
}

// fuzzVerify runs h.Verify and checks what holds for every hash: an error
// is one of the documented classes and never comes with true, and a hash
// that Verify could check is one Parse accepts. verified is false when
// Verify returned an error; p is the parsed hash otherwise.
func fuzzVerify(t *testing.T, h *password.Hasher, pw, hash string) (ok bool, p password.Parsed, verified bool) {
	t.Helper()
	ok, err := h.Verify(context.Background(), pw, hash)
	if err != nil {
		if ok {
			t.Fatal("ok with an error")
		}
		if !errors.Is(err, password.ErrInvalidHash) && !errors.Is(err, password.ErrUnsupported) &&
			!errors.Is(err, password.ErrPasswordTooLong) {
			t.Fatalf("unexpected error class: %v", err)
		}
		return false, p, false
	}
	p, err = password.Parse(h, hash)
	if err != nil {
		t.Fatalf("Verify succeeded on a hash Parse refuses: %v", err)
	}
	return ok, p, true
}
