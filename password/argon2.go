package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// hashArgon2id hashes pw with c's argon2id parameters and a fresh salt.
func (h *Hasher) hashArgon2id(ctx context.Context, c *config, pw string) (string, error) {
	var hash string
	var err error
	if cerr := h.compute(ctx, func() { hash, err = h.generateArgon2id(c, pw) }); cerr != nil {
		return "", cerr
	}
	return hash, err
}

// generateArgon2id is hashArgon2id for a caller that holds a slot.
func (h *Hasher) generateArgon2id(c *config, pw string) (string, error) {
	var buf [maxSaltLen]byte
	salt := buf[:c.saltLen]
	if err := randomBytes(salt); err != nil {
		return "", err
	}
	secret := []byte(pw)
	defer clear(secret)
	key := h.argon2(algArgon2id, secret, salt, c.time, c.memory, c.threads, c.keyLen)
	return encodeArgon2(algArgon2id, c.memory, c.time, c.threads, salt, key), nil
}

// verifyArgon2 recomputes an argon2i or argon2id hash of pw with p's
// parameters, at p's key length, and compares in constant time. parse has
// already bounded every parameter.
func (h *Hasher) verifyArgon2(ctx context.Context, pw string, p *parsed) (bool, error) {
	var ok bool
	err := h.compute(ctx, func() { ok = h.compareArgon2(pw, p) })
	if err != nil {
		return false, err
	}
	return ok, nil
}

// compareArgon2 is verifyArgon2 for a caller that holds a slot.
func (h *Hasher) compareArgon2(pw string, p *parsed) bool {
	secret := []byte(pw)
	defer clear(secret)
	key := h.argon2(p.alg, secret, p.salt[:p.saltLen], p.time, p.memory, p.threads, p.keyLen)
	return subtle.ConstantTimeCompare(key, p.key[:p.keyLen]) == 1
}

// argon2 runs one argon2id or argon2i computation and counts its work, m×t
// KiB passes. The caller holds a slot.
func (h *Hasher) argon2(a alg, secret, salt []byte, time, memory uint32, threads uint8, keyLen int) []byte {
	h.started.Add(1)
	h.argon2Work.Add(int64(memory) * int64(time))
	if a == algArgon2i {
		return argon2.Key(secret, salt, time, memory, threads, uint32(keyLen))
	}
	return argon2.IDKey(secret, salt, time, memory, threads, uint32(keyLen))
}

// randomBytes fills b from crypto/rand.
func randomBytes(b []byte) error {
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("password: reading random bytes: %w", err)
	}
	return nil
}
