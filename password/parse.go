package password

import "fmt"

// maxEncodedLen bounds the length of an encoded hash. The longest hash this
// package can accept, "$argon2id$v=19$m=4294967295,t=4294967295,p=255$"
// followed by a 48-byte salt and a 64-byte key, is under 200 characters.
const maxEncodedLen = 256

// alg identifies a supported hash algorithm.
type alg uint8

const (
	algArgon2id alg = iota + 1
	algArgon2i
	algBcrypt
)

// parsed is a decoded hash. Salt and key live in fixed arrays, so parsing
// never allocates in proportion to its input.
type parsed struct {
	alg alg

	// argon2
	memory  uint32
	time    uint32
	threads uint8
	saltLen int
	keyLen  int
	salt    [maxSaltLen]byte
	key     [maxKeyLen]byte

	// bcrypt
	cost int
}

// parse decodes hash into p, checking every field and c's cost limits before
// any expensive work can be requested. The errors wrap ErrInvalidHash or
// ErrUnsupported and never quote the input.
func parse(hash string, c *config, p *parsed) error {
	if len(hash) > maxEncodedLen {
		return fmt.Errorf("%w: too long", ErrInvalidHash)
	}
	id, rest, ok := schemeID(hash)
	if !ok {
		return fmt.Errorf("%w: not a PHC or crypt(3) string", ErrInvalidHash)
	}
	switch id {
	case "argon2id":
		p.alg = algArgon2id
		return parseArgon2(rest, c, p)
	case "argon2i":
		p.alg = algArgon2i
		return parseArgon2(rest, c, p)
	case "2a", "2b", "2y":
		p.alg = algBcrypt
		return parseBcrypt(hash, c, p)
	case "argon2d", "argon2ds":
		return fmt.Errorf("%w: argon2d is not supported", ErrUnsupported)
	case "bcrypt-sha256":
		return fmt.Errorf("%w: passlib bcrypt-sha256 is not supported", ErrUnsupported)
	case "2", "2x":
		return fmt.Errorf("%w: only the $2a$, $2b$ and $2y$ bcrypt variants are supported", ErrUnsupported)
	}
	return fmt.Errorf("%w: unknown scheme", ErrUnsupported)
}

// schemeID splits "$<id>$<rest>" and checks that id is a PHC identifier:
// 1 to 32 characters from [a-z0-9-]. A hash that is only "$<id>" yields an
// empty rest.
func schemeID(s string) (id, rest string, ok bool) {
	if len(s) < 2 || s[0] != '$' {
		return "", "", false
	}
	s = s[1:]
	i := 0
	for i < len(s) && s[i] != '$' {
		ch := s[i]
		if !('a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' || ch == '-') {
			return "", "", false
		}
		i++
	}
	if i == 0 || i > 32 {
		return "", "", false
	}
	if i == len(s) {
		return s, "", true
	}
	return s[:i], s[i+1:], true
}
