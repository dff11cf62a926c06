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
	var buf [maxSaltLen]byte
	salt := buf[:c.saltLen]
	if err := randomBytes(salt); err != nil {
		return "", err
	}
	secret := []byte(pw)
	defer clear(secret)
	var key []byte
	err := h.compute(ctx, func() {
		key = argon2.IDKey(secret, salt, c.time, c.memory, c.threads, uint32(c.keyLen))
	})
	if err != nil {
		return "", err
	}
	return encodeArgon2(algArgon2id, c.memory, c.time, c.threads, salt, key), nil
}

// verifyArgon2 recomputes an argon2i or argon2id hash of pw with p's
// parameters, at p's key length, and compares in constant time. parse has
// already bounded every parameter.
func (h *Hasher) verifyArgon2(ctx context.Context, pw string, p *parsed) (bool, error) {
	derive := argon2.IDKey
	if p.alg == algArgon2i {
		derive = argon2.Key
	}
	secret := []byte(pw)
	defer clear(secret)
	var key []byte
	err := h.compute(ctx, func() {
		key = derive(secret, p.salt[:p.saltLen], p.time, p.memory, p.threads, uint32(p.keyLen))
	})
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, p.key[:p.keyLen]) == 1, nil
}

// randomBytes fills b from crypto/rand.
func randomBytes(b []byte) error {
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("password: reading random bytes: %w", err)
	}
	return nil
}
