package password_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/password"
	"golang.org/x/crypto/argon2"
)

// Reference strings from SECURITY.md §7 (argon2-cffi, matching the reference
// implementation's tests): password "password", salt "somesalt", t=2,
// m=65536, p=1, 32-byte output.
const (
	refArgon2i    = "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"
	refArgon2id   = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	refArgon2d    = "$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$lV5dWxY6G2C7o1/DbQSWR0+6T2tZrVNihmbwf7L5Pq8"
	refArgon2iV16 = "$argon2i$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ"
)

func TestKnownAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hash string
		pw   string
		want outcome
	}{
		{"argon2id v19", refArgon2id, "password", outcome{ok: true}},
		{"argon2id v19 wrong password", refArgon2id, "Password", outcome{}},
		{"argon2i v19", refArgon2i, "password", outcome{ok: true}},
		{"argon2i v19 wrong password", refArgon2i, "password ", outcome{}},
		{"argon2d", refArgon2d, "password", outcome{err: password.ErrUnsupported}},
		{"argon2i v16", refArgon2iV16, "password", outcome{err: password.ErrUnsupported}},
		// FastAPI's documented demo user.
		{"bcrypt fastapi johndoe", "$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW", "secret", outcome{ok: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := password.Verify(tt.pw, tt.hash)
			if ok != tt.want.ok || !errors.Is(err, tt.want.err) || (tt.want.err == nil && err != nil) {
				t.Fatalf("Verify = %v, %v; want %v, %v", ok, err, tt.want.ok, tt.want.err)
			}
		})
	}
}

// TestKnownAnswerIDKey checks x/crypto's argon2.IDKey against the reference
// string, and that the package encodes exactly that string from the raw key.
func TestKnownAnswerIDKey(t *testing.T) {
	t.Parallel()
	key := argon2.IDKey([]byte("password"), []byte("somesalt"), 2, 65536, 1, 32)
	want, err := base64.RawStdEncoding.DecodeString(refArgon2id[strings.LastIndexByte(refArgon2id, '$')+1:])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key, want) {
		t.Fatalf("argon2.IDKey = %x, want %x", key, want)
	}
	p, err := password.Parse(&password.Hasher{}, refArgon2id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Canonical != refArgon2id {
		t.Fatalf("re-encoded %q, want %q", p.Canonical, refArgon2id)
	}
	if p.Alg != "argon2id" || p.Memory != 65536 || p.Time != 2 || p.Threads != 1 || p.SaltLen != 8 || p.KeyLen != 32 {
		t.Errorf("parsed %+v", p)
	}
	// The 8-byte salt is below the 16 bytes a Hasher produces: stale.
	h := &password.Hasher{Memory: 65536, Time: 2, Parallelism: 1, KeyLen: 32}
	if !h.NeedsRehash(refArgon2id) {
		t.Error("NeedsRehash(8-byte salt) = false")
	}
}

var defaultHashRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

// TestHashFormat recomputes a fresh default hash with argon2.IDKey.
func TestHashFormat(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery staple"
	hash, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	m := defaultHashRE.FindStringSubmatch(hash)
	if m == nil {
		t.Fatalf("Hash = %q, not the default argon2id format", hash)
	}
	salt, err1 := base64.RawStdEncoding.Strict().DecodeString(m[1])
	key, err2 := base64.RawStdEncoding.Strict().DecodeString(m[2])
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if got := argon2.IDKey([]byte(pw), salt, 2, 19456, 1, 32); !bytes.Equal(got, key) {
		t.Fatal("hash does not match argon2.IDKey with the default parameters")
	}
	if password.NeedsRehash(hash) {
		t.Error("NeedsRehash(fresh default hash) = true")
	}
	again, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if again == hash {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	h := &password.Hasher{Memory: 1024, Time: 1}
	ctx := context.Background()
	for _, pw := range []string{
		"", "hunter2", "naïve-café-密码", "nul\x00inside", "\xff\xfe not UTF-8",
		strings.Repeat("x", 72), strings.Repeat("y", 73), strings.Repeat("z", password.DefaultMaxPasswordLen),
	} {
		hash, err := h.Hash(ctx, pw)
		if err != nil {
			t.Fatalf("Hash(%d bytes): %v", len(pw), err)
		}
		if ok, err := h.Verify(ctx, pw, hash); !ok || err != nil {
			t.Fatalf("Verify(own hash, %d bytes) = %v, %v", len(pw), ok, err)
		}
		for _, other := range []string{pw + "x", strings.TrimSuffix(pw, "x") + "\x00"} {
			if len(other) > password.DefaultMaxPasswordLen {
				continue
			}
			if ok, err := h.Verify(ctx, other, hash); ok || err != nil {
				t.Fatalf("Verify(other password) = %v, %v; want false, nil", ok, err)
			}
		}
	}
	long := strings.Repeat("a", password.DefaultMaxPasswordLen+1)
	if _, err := h.Hash(ctx, long); !errors.Is(err, password.ErrPasswordTooLong) {
		t.Errorf("Hash(1025 bytes) err = %v, want ErrPasswordTooLong", err)
	}
	if _, err := h.Verify(ctx, long, refArgon2id); !errors.Is(err, password.ErrPasswordTooLong) {
		t.Errorf("Verify(1025 bytes) err = %v, want ErrPasswordTooLong", err)
	}
}
