package password

import "strings"

// Test hooks. This file is compiled only into the package's tests.

// PeakInFlight returns the largest number of slots h has had in use at once.
func PeakInFlight(h *Hasher) int64 { return h.peak.Load() }

// InFlight returns the number of slots h has in use now.
func InFlight(h *Hasher) int64 { return h.inFlight.Load() }

// Computations returns the number of computations h has started.
func Computations(h *Hasher) int64 { return h.started.Load() }

// Work returns the work of the computations h has started: argon2 KiB
// passes (m×t summed) and bcrypt key expansions (2^cost summed).
func Work(h *Hasher) (argon2, bcrypt int64) { return h.argon2Work.Load(), h.bcryptWork.Load() }

// HoldSlot occupies one of h's computation slots until release is called.
func HoldSlot(h *Hasher) (release func()) {
	if _, err := h.config(); err != nil {
		panic(err)
	}
	h.sem <- struct{}{}
	return func() { <-h.sem }
}

// DummyHash returns the hash DummyVerify verifies against, or "".
func DummyHash(h *Hasher) string { return h.dummy }

// Parsed is the exported view of a parsed hash.
type Parsed struct {
	Alg             string // "argon2id", "argon2i" or "bcrypt"
	Memory, Time    uint32
	Threads         uint8
	SaltLen, KeyLen int
	Cost            int
	// Canonical is the hash re-encoded from its parsed fields (argon2), or
	// the input itself (bcrypt, which is compared as text).
	Canonical string
}

// Parse runs the parser with h's limits.
func Parse(h *Hasher, hash string) (Parsed, error) {
	c, err := h.config()
	if err != nil {
		return Parsed{}, err
	}
	var p parsed
	if err := parse(hash, c, &p); err != nil {
		return Parsed{}, err
	}
	out := Parsed{
		Memory: p.memory, Time: p.time, Threads: p.threads,
		SaltLen: p.saltLen, KeyLen: p.keyLen, Cost: p.cost,
	}
	switch p.alg {
	case algArgon2id:
		out.Alg = "argon2id"
	case algArgon2i:
		out.Alg = "argon2i"
	case algBcrypt:
		out.Alg = "bcrypt"
		out.Canonical = strings.Clone(hash)
		return out, nil
	}
	out.Canonical = encodeArgon2(p.alg, p.memory, p.time, p.threads, p.salt[:p.saltLen], p.key[:p.keyLen])
	return out, nil
}
