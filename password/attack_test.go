package password_test

import (
	"context"
	"encoding/base64"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/password"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

const attackPW = "hunter2"

// attackSalt encodes with '+' and '/' so that alphabet confusions show.
var attackSalt = []byte("\xfb\xef\xffsomesalt12345")

func b64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

// argonParts is a valid cheap argon2id hash of attackPW, in pieces.
type argonParts struct{ id, v, params, salt, key string }

func validArgon() argonParts {
	key := argon2.IDKey([]byte(attackPW), attackSalt, 1, 64, 1, 32)
	return argonParts{"argon2id", "v=19", "m=64,t=1,p=1", b64(attackSalt), b64(key)}
}

func (a argonParts) String() string {
	return "$" + a.id + "$" + a.v + "$" + a.params + "$" + a.salt + "$" + a.key
}

func (a argonParts) with(f func(*argonParts)) string { f(&a); return a.String() }

// flipLastBits sets the unused low bits of the last base64 character.
func flipLastBits(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i|1])
}

type attack struct {
	name string
	hash string
	want error // nil: must verify attackPW as a match (a control)
}

func argonAttacks() []attack {
	a := validArgon()
	p := func(params string) string { return a.with(func(a *argonParts) { a.params = params }) }
	return []attack{
		{"control", a.String(), nil},
		{"argon2i control", a.with(func(a *argonParts) {
			a.id = "argon2i"
			a.key = b64(argon2.Key([]byte(attackPW), attackSalt, 1, 64, 1, 32))
		}), nil},
		{"16-byte key control", a.with(func(a *argonParts) {
			a.key = b64(argon2.IDKey([]byte(attackPW), attackSalt, 1, 64, 1, 16))
		}), nil},

		// Scheme and version.
		{"argon2d", a.with(func(a *argonParts) { a.id = "argon2d" }), password.ErrUnsupported},
		{"argon2ds", a.with(func(a *argonParts) { a.id = "argon2ds" }), password.ErrUnsupported},
		{"upper-case id", a.with(func(a *argonParts) { a.id = "Argon2id" }), password.ErrInvalidHash},
		{"unknown id", a.with(func(a *argonParts) { a.id = "argon3" }), password.ErrUnsupported},
		{"version 16", a.with(func(a *argonParts) { a.v = "v=16" }), password.ErrUnsupported},
		{"version 20", a.with(func(a *argonParts) { a.v = "v=20" }), password.ErrUnsupported},
		{"missing version", "$argon2id$" + a.params + "$" + a.salt + "$" + a.key, password.ErrUnsupported},
		{"version leading zero", a.with(func(a *argonParts) { a.v = "v=019" }), password.ErrInvalidHash},
		{"version empty", a.with(func(a *argonParts) { a.v = "v=" }), password.ErrInvalidHash},
		{"version upper-case", a.with(func(a *argonParts) { a.v = "V=19" }), password.ErrInvalidHash},
		{"version hex", a.with(func(a *argonParts) { a.v = "v=0x13" }), password.ErrInvalidHash},

		// Parameters: order, syntax, ranges.
		{"reordered t,m,p", p("t=1,m=64,p=1"), password.ErrInvalidHash},
		{"reordered p,m,t", p("p=1,m=64,t=1"), password.ErrInvalidHash},
		{"missing p", p("m=64,t=1"), password.ErrInvalidHash},
		{"duplicate m", p("m=64,m=64,t=1,p=1"), password.ErrInvalidHash},
		{"m leading zero", p("m=064,t=1,p=1"), password.ErrInvalidHash},
		{"t leading zero", p("m=64,t=01,p=1"), password.ErrInvalidHash},
		{"p leading zero", p("m=64,t=1,p=01"), password.ErrInvalidHash},
		{"plus sign", p("m=+64,t=1,p=1"), password.ErrInvalidHash},
		{"negative p", p("m=64,t=1,p=-1"), password.ErrInvalidHash},
		{"space", p("m=64, t=1,p=1"), password.ErrInvalidHash},
		{"upper-case M", p("M=64,t=1,p=1"), password.ErrInvalidHash},
		{"m=0", p("m=0,t=1,p=1"), password.ErrInvalidHash},
		{"t=0 (x/crypto panics)", p("m=64,t=0,p=1"), password.ErrInvalidHash},
		{"p=0 (x/crypto panics)", p("m=64,t=1,p=0"), password.ErrInvalidHash},
		{"p=256 (wraps to 0 as uint8)", p("m=4096,t=1,p=256"), password.ErrInvalidHash},
		{"p=257 (wraps to 1 as uint8)", p("m=4096,t=1,p=257"), password.ErrInvalidHash},
		{"p four digits", p("m=64,t=1,p=1000"), password.ErrInvalidHash},
		{"m below 8 KiB per lane", p("m=15,t=1,p=2"), password.ErrInvalidHash},
		{"m over 2^32-1", p("m=4294967296,t=1,p=1"), password.ErrInvalidHash},
		{"m eleven digits", p("m=10000000000,t=1,p=1"), password.ErrInvalidHash},
		{"t over 2^32-1", p("m=64,t=4294967296,p=1"), password.ErrInvalidHash},
		{"keyid parameter", p("m=64,t=1,p=1,keyid=Hj5+dsK0"), password.ErrUnsupported},
		{"data parameter", p("m=64,t=1,p=1,data=sRlHhRmKUGzdOmXn01XmXygd5Kc"), password.ErrUnsupported},
		{"unknown parameter", p("m=64,t=1,p=1,x=1"), password.ErrInvalidHash},
		{"trailing comma", p("m=64,t=1,p=1,"), password.ErrInvalidHash},

		// Cost caps: refused before any allocation.
		{"m=2^32-1 (4 TiB)", p("m=4294967295,t=1,p=1"), password.ErrUnsupported},
		{"m just over MaxMemory", p("m=262145,t=1,p=1"), password.ErrUnsupported},
		{"t=2^32-1", p("m=64,t=4294967295,p=1"), password.ErrUnsupported},
		{"t just over MaxTime", p("m=64,t=17,p=1"), password.ErrUnsupported},
		{"m and t huge, p=255", p("m=4294967295,t=4294967295,p=255"), password.ErrUnsupported},

		// Salt and key encoding.
		{"padded salt", a.with(func(a *argonParts) { a.salt += "==" }), password.ErrInvalidHash},
		{"padded key", a.with(func(a *argonParts) { a.key += "=" }), password.ErrInvalidHash},
		{"URL-alphabet salt", a.with(func(a *argonParts) {
			a.salt = strings.NewReplacer("+", "-", "/", "_").Replace(a.salt)
		}), password.ErrInvalidHash},
		{"newline in salt", a.with(func(a *argonParts) { a.salt = a.salt[:4] + "\n" + a.salt[4:] }), password.ErrInvalidHash},
		{"CRLF in key", a.with(func(a *argonParts) { a.key = a.key[:8] + "\r\n" + a.key[8:] }), password.ErrInvalidHash},
		{"space in key", a.with(func(a *argonParts) { a.key = " " + a.key }), password.ErrInvalidHash},
		{"non-zero trailing bits in salt", a.with(func(a *argonParts) { a.salt = flipLastBits(a.salt) }), password.ErrInvalidHash},
		{"non-zero trailing bits in key", a.with(func(a *argonParts) { a.key = flipLastBits(a.key) }), password.ErrInvalidHash},
		{"salt length 1 mod 4", a.with(func(a *argonParts) { a.salt += "AAA" }), password.ErrInvalidHash},
		{"salt 7 bytes", a.with(func(a *argonParts) { a.salt = b64([]byte("1234567")) }), password.ErrInvalidHash},
		{"salt 49 bytes", a.with(func(a *argonParts) { a.salt = b64(make([]byte, 49)) }), password.ErrInvalidHash},
		{"empty salt", a.with(func(a *argonParts) { a.salt = "" }), password.ErrInvalidHash},
		{"key 11 bytes", a.with(func(a *argonParts) { a.key = b64(make([]byte, 11)) }), password.ErrInvalidHash},
		{"key 65 bytes", a.with(func(a *argonParts) { a.key = b64(make([]byte, 65)) }), password.ErrInvalidHash},
		{"truncated key (shorter tag)", a.with(func(a *argonParts) { a.key = a.key[:24] }), nil /* replaced below */},
		{"no key", "$argon2id$" + a.v + "$" + a.params + "$" + a.salt, password.ErrInvalidHash},
		{"empty key", a.String()[:strings.LastIndexByte(a.String(), '$')+1], password.ErrInvalidHash},
		{"extra field", a.String() + "$" + a.key, password.ErrInvalidHash},
		{"trailing dollar", a.String() + "$", password.ErrInvalidHash},
		{"trailing NUL", a.String() + "\x00", password.ErrInvalidHash},
		{"NUL in params", p("m=64\x00,t=1,p=1"), password.ErrInvalidHash},
		{"over 256 bytes", a.String() + strings.Repeat("A", 300), password.ErrInvalidHash},
		{"1 MB", "$argon2id$v=19$m=64,t=1,p=1$" + strings.Repeat("A", 1<<20), password.ErrInvalidHash},

		// Not a hash at all.
		{"empty", "", password.ErrInvalidHash},
		{"dollar", "$", password.ErrInvalidHash},
		{"two dollars", "$$", password.ErrInvalidHash},
		{"no leading dollar", strings.TrimPrefix(a.String(), "$"), password.ErrInvalidHash},
		{"id only", "$argon2id", password.ErrInvalidHash},
		{"id too long", "$" + strings.Repeat("a", 33) + "$x", password.ErrInvalidHash},
		{"non-ASCII id", "$argon2ïd$" + a.v, password.ErrInvalidHash},
		{"plain text", attackPW, password.ErrInvalidHash},
		{"scrypt", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", password.ErrUnsupported},
		{"pbkdf2-sha256", "$pbkdf2-sha256$29000$N2YMIWQsBWBMae09x1jrPQ$1t8iyB2A.WF/Z5JZv.lfCIhXXN33N23OSgQYThBYRfk", password.ErrUnsupported},
		{"bcrypt-sha256", "$bcrypt-sha256$v=2,t=2b,r=5$F212zQ7hOVGHUC9fmzTy.u$UpZmpm71cCK5QUuxQQRj1Zq3DdQvhee", password.ErrUnsupported},
		{"md5-crypt", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", password.ErrUnsupported},
	}
}

func bcryptAttacks(t *testing.T) []attack {
	raw, err := bcrypt.GenerateFromPassword([]byte(attackPW), 4)
	if err != nil {
		t.Fatal(err)
	}
	valid := string(raw) // $2a$04$…
	ident := func(id string) string { return "$" + id + valid[3:] }
	cost := func(c string) string { return valid[:4] + c + valid[6:] }
	return []attack{
		{"control $2a$", valid, nil},
		{"control $2b$", ident("2b"), nil},
		{"control $2y$", ident("2y"), nil},
		{"$2x$ (crypt_blowfish buggy)", ident("2x"), password.ErrUnsupported},
		{"$2$ (original)", "$2" + valid[3:], password.ErrUnsupported},
		{"$2c$", ident("2c"), password.ErrUnsupported},
		{"$3a$", ident("3a"), password.ErrUnsupported},
		{"$1a$", ident("1a"), password.ErrUnsupported},
		{"$2A$ upper-case", ident("2A"), password.ErrInvalidHash},
		{"$2B$ upper-case", ident("2B"), password.ErrInvalidHash},
		{"cost 03", cost("03"), password.ErrInvalidHash},
		{"cost 00", cost("00"), password.ErrInvalidHash},
		{"cost 32", cost("32"), password.ErrInvalidHash},
		{"cost 99", cost("99"), password.ErrInvalidHash},
		{"cost 4 one digit", valid[:4] + "4" + valid[6:], password.ErrInvalidHash},
		{"cost with sign", cost("+4"), password.ErrInvalidHash},
		{"cost with space", cost(" 4"), password.ErrInvalidHash},
		{"cost 31 (days of work)", cost("31"), password.ErrUnsupported},
		{"cost 17 (over MaxBcryptCost)", cost("17"), password.ErrUnsupported},
		{"trailing garbage", valid + "garbage", password.ErrInvalidHash},
		{"one trailing byte", valid + "x", password.ErrInvalidHash},
		{"trailing newline", valid + "\n", password.ErrInvalidHash},
		{"truncated", valid[:59], password.ErrInvalidHash},
		{"prefix only", valid[:7], password.ErrInvalidHash},
		{"missing separator", valid[:6] + "x" + valid[7:], password.ErrInvalidHash},
		{"standard-base64 char", valid[:10] + "+" + valid[11:], password.ErrInvalidHash},
		{"NUL in salt", valid[:10] + "\x00" + valid[11:], password.ErrInvalidHash},
		{"wrong hash text", valid[:40] + strings.Repeat(".", 20), nil /* mismatch, see below */},
	}
}

// TestAttacks feeds hostile hashes to Verify. Each must give the listed
// error, quickly, with no large allocation, without quoting the input.
func TestAttacks(t *testing.T) {
	h := &password.Hasher{}
	ctx := context.Background()
	rows := append(argonAttacks(), bcryptAttacks(t)...)
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			var ok bool
			var err error
			d := within(t, 5*time.Second, func() { ok, err = h.Verify(ctx, attackPW, tt.hash) })
			switch tt.name {
			case "truncated key (shorter tag)", "wrong hash text":
				// Well-formed but not this password's hash: a mismatch.
				if ok || err != nil {
					t.Fatalf("Verify = %v, %v; want false, nil", ok, err)
				}
				return
			}
			if tt.want == nil {
				if !ok || err != nil {
					t.Fatalf("control: Verify = %v, %v; want true, nil", ok, err)
				}
				return
			}
			if ok || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, %v; want false, %v", ok, err, tt.want)
			}
			if d > 250*time.Millisecond {
				t.Errorf("refusal took %v", d)
			}
			msg := err.Error()
			if strings.Contains(msg, attackPW) {
				t.Errorf("error %q contains the password", msg)
			}
			if len(tt.hash) >= 8 && strings.Contains(msg, tt.hash) {
				t.Errorf("error %q contains the hash", msg)
			}
			for i, field := range strings.Split(tt.hash, "$") {
				// Field 1 is the scheme identifier, which messages may name.
				if i != 1 && len(field) >= 6 && strings.Contains(msg, field) {
					t.Errorf("error %q quotes the hash field %q", msg, field)
				}
			}
			if !strings.HasPrefix(msg, "password: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			if password.NeedsRehash(tt.hash) != true {
				t.Errorf("NeedsRehash(rejected hash) = false")
			}
		})
	}
}

// TestAttacksAllocation checks that refusing the hostile hashes allocates
// almost nothing: no parameter reaches an allocation before it is checked.
func TestAttacksAllocation(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocation")
	}
	h := &password.Hasher{}
	ctx := context.Background()
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	var hostile []string
	for _, a := range argonAttacks() {
		if a.want != nil {
			hostile = append(hostile, a.hash)
		}
	}
	const rounds = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range rounds {
		for _, hash := range hostile {
			if ok, err := h.Verify(ctx, attackPW, hash); ok || err == nil {
				t.Fatal("hostile hash accepted")
			}
		}
	}
	runtime.ReadMemStats(&after)
	perCall := (after.TotalAlloc - before.TotalAlloc) / uint64(rounds*len(hostile))
	t.Logf("%d hostile hashes: %d bytes allocated per refusal", len(hostile), perCall)
	if perCall > 1024 {
		t.Errorf("refusing a hostile hash allocates %d bytes per call, want < 1 KiB", perCall)
	}
}
