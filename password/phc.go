package password

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bounds of the PHC string format for argon2
// (https://github.com/P-H-C/phc-string-format/blob/master/phc-sf-spec.md).
const (
	minSaltLen = 8
	maxSaltLen = 48
	minKeyLen  = 12
	maxKeyLen  = 64
	maxThreads = 255
)

// b64 is the PHC "B64" encoding: the standard alphabet without padding, with
// the unused trailing bits required to be zero.
var b64 = base64.RawStdEncoding.Strict()

// parseArgon2 decodes the part of an argon2 PHC string after "$argon2id$" or
// "$argon2i$":
//
//	v=19$m=<m>,t=<t>,p=<p>$<salt>$<key>
//
// The format is strict: exactly this field order, decimals without leading
// zeros, canonical unpadded base64, no keyid or data parameters. p is checked
// against 1..255 before it is narrowed to a uint8, and m and t against c's
// limits, before the caller computes anything.
func parseArgon2(s string, c *config, p *parsed) error {
	version, s, ok := strings.Cut(s, "$")
	if !ok {
		return fmt.Errorf("%w: missing fields", ErrInvalidHash)
	}
	if strings.HasPrefix(version, "m=") {
		// The reference encoder omits v= for version 0x10; do not assume 0x13.
		return fmt.Errorf("%w: argon2 without a version field means version 16", ErrUnsupported)
	}
	v, tail, ok := parseDecimal(strings.TrimPrefix(version, "v="), 10)
	if !ok || tail != "" || !strings.HasPrefix(version, "v=") {
		return fmt.Errorf("%w: malformed version", ErrInvalidHash)
	}
	if v != 19 {
		return fmt.Errorf("%w: argon2 version other than 19", ErrUnsupported)
	}

	params, s, ok := strings.Cut(s, "$")
	if !ok {
		return fmt.Errorf("%w: missing fields", ErrInvalidHash)
	}
	m, params, okm := parseParam(params, "m=", 10)
	t, params, okt := parseParam(params, ",t=", 10)
	threads, params, okp := parseParam(params, ",p=", 3)
	if !okm || !okt || !okp {
		return fmt.Errorf("%w: malformed parameters", ErrInvalidHash)
	}
	if params != "" {
		if strings.HasPrefix(params, ",keyid=") || strings.HasPrefix(params, ",data=") {
			return fmt.Errorf("%w: argon2 keyid and data parameters are not supported", ErrUnsupported)
		}
		return fmt.Errorf("%w: malformed parameters", ErrInvalidHash)
	}
	switch {
	case m < 1 || m > math.MaxUint32:
		return fmt.Errorf("%w: memory out of range", ErrInvalidHash)
	case t < 1 || t > math.MaxUint32:
		return fmt.Errorf("%w: time out of range", ErrInvalidHash)
	case threads < 1 || threads > maxThreads:
		return fmt.Errorf("%w: parallelism out of range", ErrInvalidHash)
	case m < 8*threads:
		return fmt.Errorf("%w: memory below 8 KiB per lane", ErrInvalidHash)
	case m > uint64(c.maxMemory) || t > uint64(c.maxTime):
		return fmt.Errorf("%w: parameters exceed the configured limits", ErrUnsupported)
	}
	p.memory, p.time, p.threads = uint32(m), uint32(t), uint8(threads)

	salt, key, ok := strings.Cut(s, "$")
	if !ok || strings.IndexByte(key, '$') >= 0 {
		return fmt.Errorf("%w: wrong number of fields", ErrInvalidHash)
	}
	if p.saltLen, ok = decodeB64(p.salt[:], salt, minSaltLen, maxSaltLen); !ok {
		return fmt.Errorf("%w: malformed salt", ErrInvalidHash)
	}
	if p.keyLen, ok = decodeB64(p.key[:], key, minKeyLen, maxKeyLen); !ok {
		return fmt.Errorf("%w: malformed hash value", ErrInvalidHash)
	}
	return nil
}

// parseParam reads name followed by a decimal of at most digits digits.
func parseParam(s, name string, digits int) (v uint64, rest string, ok bool) {
	if !strings.HasPrefix(s, name) {
		return 0, "", false
	}
	return parseDecimal(s[len(name):], digits)
}

// parseDecimal reads a leading decimal number of 1 to digits digits (at most
// 19) without leading zeros, and returns it with the rest of s.
func parseDecimal(s string, digits int) (v uint64, rest string, ok bool) {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		if i == digits {
			return 0, "", false
		}
		v = v*10 + uint64(s[i]-'0')
		i++
	}
	if i == 0 || (s[0] == '0' && i > 1) {
		return 0, "", false
	}
	return v, s[i:], true
}

// decodeB64 decodes src, canonical unpadded standard base64 of min to max
// bytes, into dst and returns the decoded length. It rejects the CR and LF
// characters that encoding/base64 would otherwise skip.
func decodeB64(dst []byte, src string, min, max int) (int, bool) {
	if len(src) < b64.EncodedLen(min) || len(src) > b64.EncodedLen(max) {
		return 0, false
	}
	for i := 0; i < len(src); i++ {
		ch := src[i]
		if !('A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' || ch == '+' || ch == '/') {
			return 0, false
		}
	}
	var buf [128]byte
	n, err := b64.Decode(dst, append(buf[:0], src...))
	if err != nil || n < min || n > max {
		return 0, false
	}
	return n, true
}

// encodeArgon2 returns the PHC string for an argon2 hash at version 19.
func encodeArgon2(a alg, memory, time uint32, threads uint8, salt, key []byte) string {
	b := make([]byte, 0, 64+b64.EncodedLen(len(salt))+b64.EncodedLen(len(key)))
	if a == algArgon2i {
		b = append(b, "$argon2i$v=19$m="...)
	} else {
		b = append(b, "$argon2id$v=19$m="...)
	}
	b = strconv.AppendUint(b, uint64(memory), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(time), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(threads), 10)
	b = append(b, '$')
	b = b64.AppendEncode(b, salt)
	b = append(b, '$')
	b = b64.AppendEncode(b, key)
	return string(b)
}
