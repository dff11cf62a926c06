package password

import (
	"context"
	"strconv"
	"strings"
)

// Login checks a password at login, so that a failed login costs the same
// work whatever the state of the account. Pass the stored hash and found =
// true for an existing account, or found = false (hash is then ignored) for
// an unknown user.
//
// When pw matches, ok is true and, if NeedsRehash reports the stored hash as
// stale, newHash is a hash of pw with h's current parameters, to store in
// place of the old one; as with VerifyAndUpgrade, computing it is best effort
// and a failure leaves newHash empty with ok true and a nil error.
//
// Every failure does the same work: one argon2id computation with h's
// parameters and bcrypt work of the highest bcrypt cost that h knows of
// (LegacyBcryptCost, the costliest bcrypt hash Login has seen, and BcryptCost
// when Scheme is Bcrypt). A wrong password against an argon2id or a bcrypt
// hash, an unknown user, a password over 72 bytes for a bcrypt hash and a
// stored hash that cannot be used all add what their own verification
// did not do, in the same computation slot, before returning. See the package
// documentation for what remains unequal.
//
// The errors are Verify's: for a failure, nil (a wrong password, an unknown
// user), ErrPasswordTooLong (over MaxPasswordLen bytes, refused before any
// work whatever the account, or over 72 bytes for a bcrypt hash: never
// accepted, never truncated), ErrInvalidHash or ErrUnsupported (the stored
// hash, worth logging), ErrBusy when ctx ends while waiting for a slot, and
// ErrInvalidConfig. Give every failure the same response, except ErrBusy
// (503): the errors describe the account, and showing them would tell
// accounts apart as surely as timing does.
func (h *Hasher) Login(ctx context.Context, pw, hash string, found bool) (ok bool, newHash string, err error) {
	c, err := h.config()
	if err != nil {
		return false, "", err
	}
	if len(pw) > c.maxPasswordLen {
		// The length alone decides, whatever the account.
		return false, "", ErrPasswordTooLong
	}
	var p parsed
	var failErr error // why the stored hash is not computed, if it is not
	checked := false  // whether the stored hash is computed
	if found {
		failErr = parse(hash, c, &p)
		if failErr == nil && p.alg == algBcrypt {
			h.seeBcryptCost(p.cost)
			if len(pw) > bcryptMaxInput {
				failErr = errBcryptTooLong
			}
		}
		checked = failErr == nil
	}
	target := h.loginBcryptCost(c)

	cerr := h.compute(ctx, func() {
		if checked {
			if p.alg == algBcrypt {
				ok, failErr = h.compareBcrypt(pw, hash, p.cost)
			} else {
				ok = h.compareArgon2(pw, &p)
			}
			if ok {
				if c.needsRehash(&p) {
					newHash, _ = h.generate(c, pw)
				}
				return
			}
		}
		h.padFailure(c, pw, &p, checked, target)
	})
	if cerr != nil {
		return false, "", cerr
	}
	if !ok {
		return false, "", failErr
	}
	return true, newHash, nil
}

// generate is Hash for a caller that holds a slot.
func (h *Hasher) generate(c *config, pw string) (string, error) {
	if c.scheme == Bcrypt {
		if err := checkBcryptInput(pw); err != nil {
			return "", err
		}
		return h.generateBcrypt(c, pw)
	}
	return h.generateArgon2id(c, pw)
}

// seeBcryptCost raises the highest bcrypt cost seen to cost.
func (h *Hasher) seeBcryptCost(cost int) {
	for {
		seen := h.seenBcryptCost.Load()
		if int32(cost) <= seen || h.seenBcryptCost.CompareAndSwap(seen, int32(cost)) {
			return
		}
	}
}

// loginBcryptCost is the bcrypt cost of a failed Login's work, or 0 for no
// bcrypt work.
func (h *Hasher) loginBcryptCost(c *config) int {
	cost := max(c.legacyBcrypt, int(h.seenBcryptCost.Load()))
	if c.scheme == Bcrypt {
		cost = max(cost, c.bcryptCost)
	}
	return cost
}

// padFailure completes the work of a failed login: one argon2id computation
// with c's parameters, unless the stored hash was an argon2 hash that has
// been computed (checked), and bcrypt work of 2^target expansions in all,
// counting the stored bcrypt hash's if computed. From a computed cost k below
// target it adds costs k, k+1, …, target-1, which sum with k's to exactly
// 2^target. Results are discarded; pw reaches only the argon2 computation,
// whose input hashing depends on its length.
func (h *Hasher) padFailure(c *config, pw string, p *parsed, checked bool, target int) {
	if !checked || p.alg == algBcrypt {
		d := parsed{
			alg: algArgon2id, memory: c.memory, time: c.time, threads: c.threads,
			saltLen: c.saltLen, keyLen: c.keyLen,
		}
		h.compareArgon2(pw, &d)
	}
	if target == 0 {
		return
	}
	from := target
	if checked && p.alg == algBcrypt {
		from = p.cost
	} else {
		h.padBcrypt(target)
	}
	for cost := from; cost < target; cost++ {
		h.padBcrypt(cost)
	}
}

// padBcrypt runs one bcrypt verification at cost against a fixed hash that
// nothing is expected to match, and discards the result.
func (h *Hasher) padBcrypt(cost int) {
	hash := fixedBcrypt(cost)
	_ = h.bcryptCompare(hash, []byte("authkit/password: padding"), cost)
}

// fixedBcrypt returns a $2a$ hash at cost with an all-zero salt and hash
// value. It needs no randomness: what it matches does not matter, since
// padBcrypt ignores the result.
func fixedBcrypt(cost int) []byte {
	b := make([]byte, 0, bcryptLen)
	b = append(b, "$2a$"...)
	if cost < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(cost), 10)
	b = append(b, '$')
	return append(b, strings.Repeat(".", bcryptLen-len(b))...)
}
