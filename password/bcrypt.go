package password

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptLen is the length of every bcrypt hash: "$2b$" + 2 cost digits + "$"
// + 22 characters of salt + 31 characters of hash.
const bcryptLen = 60

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// bcryptB64 is bcrypt's own base64 alphabet, unpadded.
var bcryptB64 = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

// parseBcrypt checks that hash is exactly a $2a$, $2b$ or $2y$ bcrypt hash
// with a cost of 4..31 (and at most c.maxBcryptCost) and nothing after its 60
// characters. golang.org/x/crypto/bcrypt alone would accept any minor letter,
// a major version below 2 and trailing garbage.
func parseBcrypt(hash string, c *config, p *parsed) error {
	if len(hash) != bcryptLen || hash[6] != '$' {
		return fmt.Errorf("%w: malformed bcrypt hash", ErrInvalidHash)
	}
	d1, d0 := hash[4], hash[5]
	if d1 < '0' || d1 > '9' || d0 < '0' || d0 > '9' {
		return fmt.Errorf("%w: malformed bcrypt cost", ErrInvalidHash)
	}
	for i := 7; i < bcryptLen; i++ {
		if strings.IndexByte(bcryptAlphabet, hash[i]) < 0 {
			return fmt.Errorf("%w: malformed bcrypt salt or hash", ErrInvalidHash)
		}
	}
	cost := int(d1-'0')*10 + int(d0-'0')
	if cost < bcryptMinCost || cost > bcryptMaxCost {
		return fmt.Errorf("%w: bcrypt cost out of range", ErrInvalidHash)
	}
	if cost > c.maxBcryptCost {
		return fmt.Errorf("%w: bcrypt cost exceeds the configured limit", ErrUnsupported)
	}
	p.cost = cost
	return nil
}

// errBcryptTooLong is returned for a password over 72 bytes bound for bcrypt.
var errBcryptTooLong = fmt.Errorf("%w: %w", ErrPasswordTooLong, bcrypt.ErrPasswordTooLong)

// hashBcrypt hashes pw with bcrypt at c's cost. It refuses passwords that
// bcrypt would truncate (over 72 bytes) or that C implementations would cut
// at a NUL byte.
func (h *Hasher) hashBcrypt(ctx context.Context, c *config, pw string) (string, error) {
	if err := checkBcryptInput(pw); err != nil {
		return "", err
	}
	var hash string
	var err error
	if cerr := h.compute(ctx, func() { hash, err = h.generateBcrypt(c, pw) }); cerr != nil {
		return "", cerr
	}
	return hash, err
}

// checkBcryptInput refuses what hashBcrypt cannot portably hash.
func checkBcryptInput(pw string) error {
	if len(pw) > bcryptMaxInput {
		return errBcryptTooLong
	}
	if strings.IndexByte(pw, 0) >= 0 {
		return fmt.Errorf("%w: bcrypt cannot portably hash a NUL byte", ErrInvalidPassword)
	}
	return nil
}

// generateBcrypt is hashBcrypt for a caller that holds a slot and has
// checked pw with checkBcryptInput.
func (h *Hasher) generateBcrypt(c *config, pw string) (string, error) {
	secret := []byte(pw)
	defer clear(secret)
	out, err := h.bcryptGenerate(secret, c.bcryptCost)
	if err != nil {
		return "", fmt.Errorf("password: bcrypt: %w", err)
	}
	return string(out), nil
}

// verifyBcrypt checks pw against a bcrypt hash that parseBcrypt accepted.
// Passwords over 72 bytes are refused rather than truncated (see the package
// documentation). A NUL byte is hashed like any other byte, so it never
// truncates the comparison.
func (h *Hasher) verifyBcrypt(ctx context.Context, pw, hash string, p *parsed) (bool, error) {
	if len(pw) > bcryptMaxInput {
		return false, errBcryptTooLong
	}
	var ok bool
	var err error
	if cerr := h.compute(ctx, func() { ok, err = h.compareBcrypt(pw, hash, p.cost) }); cerr != nil {
		return false, cerr
	}
	return ok, err
}

// compareBcrypt is verifyBcrypt for a caller that holds a slot and has
// checked the password's length.
func (h *Hasher) compareBcrypt(pw, hash string, cost int) (bool, error) {
	secret := []byte(pw)
	defer clear(secret)
	err := h.bcryptCompare([]byte(hash), secret, cost)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	// Unreachable after parseBcrypt; x/crypto's error may quote the hash.
	return false, fmt.Errorf("%w: rejected by bcrypt", ErrInvalidHash)
}

// bcryptCompare runs one bcrypt verification of a hash at cost and counts
// its work, 2^cost key expansions. The caller holds a slot.
func (h *Hasher) bcryptCompare(hash, secret []byte, cost int) error {
	h.started.Add(1)
	h.bcryptWork.Add(1 << cost)
	return bcrypt.CompareHashAndPassword(hash, secret)
}

// bcryptGenerate runs one bcrypt hashing at cost and counts its work. The
// caller holds a slot.
func (h *Hasher) bcryptGenerate(secret []byte, cost int) ([]byte, error) {
	h.started.Add(1)
	h.bcryptWork.Add(1 << cost)
	return bcrypt.GenerateFromPassword(secret, cost)
}

// dummyBcrypt returns a $2a$ hash at cost with a random salt and a random
// hash value, which no password matches.
func dummyBcrypt(cost int) (string, error) {
	var raw [16 + 23]byte
	if err := randomBytes(raw[:]); err != nil {
		return "", err
	}
	b := make([]byte, 0, bcryptLen)
	b = append(b, "$2a$"...)
	b = append(b, byte('0'+cost/10), byte('0'+cost%10), '$')
	b = bcryptB64.AppendEncode(b, raw[:16])
	b = bcryptB64.AppendEncode(b, raw[16:])
	return string(b), nil
}
