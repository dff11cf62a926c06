package jwtauth

import (
	"context"
	"crypto"
	"fmt"
	"sync/atomic"
)

// VerificationKey is one key of a [KeyRing]: a secret or a public key bound
// to one algorithm, with the kid that selects it.
type VerificationKey struct {
	// Algorithm is one of HS256, HS384, HS512, RS256, RS384, RS512, PS256,
	// PS384, PS512, ES256, ES384, ES512, EdDSA. Required.
	Algorithm string

	// ID is the kid that tokens verified by this key name. Optional, as in
	// [KeySet]: a token without a kid, or with one no key has, is verified
	// by the one key of its algorithm without a kid.
	ID string

	// Key is the secret ([]byte) for HS*, or the public key for the others,
	// as [SecretKey] and [PublicKey] take them. A secret is copied.
	Key any
}

// KeyRing is Keys whose contents can be replaced while Middlewares use them:
// the keys of an issuer that rotates them, or of a configuration reloaded
// from a secret manager. A replacement is atomic: every token is verified
// against either the old set or the new one, never a mix. A KeyRing is safe
// for concurrent use; verifying takes no lock.
//
// A KeyRing may carry the [Store] its tokens are checked against (see
// [StoreKeys]): an issuer hands out its keys and its revocations together.
type KeyRing struct {
	cur   atomic.Pointer[keySet]
	store Store
}

// StoreKeys is implemented by Keys that come with the Store their tokens must
// be checked against, such as the [KeyRing] of an issuer. A Middleware whose
// Config.Keys implements it, and whose Config.Store is nil, consults the
// Store that Store returns, when that is not nil.
type StoreKeys interface {
	Keys
	Store() Store
}

var _ StoreKeys = (*KeyRing)(nil)

// NewKeyRing returns a KeyRing holding keys, with store (which may be nil) as
// its Store. It fails, with an error that matches [ErrConfig], on a key that
// [SecretKey], [PublicKey] or [New] would refuse, on two keys with the same
// kid, and on no keys at all.
func NewKeyRing(store Store, keys ...VerificationKey) (*KeyRing, error) {
	r := &KeyRing{store: store}
	if err := r.Set(keys...); err != nil {
		return nil, err
	}
	return r, nil
}

// Set replaces the keys of r with keys, atomically. On error r keeps its
// keys.
func (r *KeyRing) Set(keys ...VerificationKey) error {
	made := make([]*key, 0, len(keys))
	for i, vk := range keys {
		k, err := vk.key()
		if err != nil {
			return configError("Keys[%d]: %w", i, err)
		}
		made = append(made, k)
	}
	set, err := newKeySet(made...)
	if err != nil {
		return configError("Keys: %w", err)
	}
	r.cur.Store(set)
	return nil
}

// Store returns the Store given to [NewKeyRing].
func (r *KeyRing) Store() Store {
	if r == nil {
		return nil
	}
	return r.store
}

func (r *KeyRing) keySet(context.Context) (*keySet, error) { return r.cur.Load(), nil }

func (r *KeyRing) check() error {
	if r == nil || r.cur.Load() == nil {
		return fmt.Errorf("%w: nil or empty *KeyRing", ErrNoKeys)
	}
	return nil
}

func (vk VerificationKey) key() (*key, error) {
	a, ok := algorithms[vk.Algorithm]
	if !ok {
		return nil, fmt.Errorf("%w: unsupported algorithm", ErrKeyAlgorithm)
	}
	if a.family == "HMAC" {
		secret, ok := vk.Key.([]byte)
		if !ok {
			return nil, fmt.Errorf("%w: %s needs a []byte secret", ErrKeyAlgorithm, vk.Algorithm)
		}
		return newSecretKey(vk.Algorithm, vk.ID, secret)
	}
	pub, ok := vk.Key.(crypto.PublicKey)
	if !ok || pub == nil {
		return nil, fmt.Errorf("%w: %s needs a public key", ErrKeyAlgorithm, vk.Algorithm)
	}
	return newPublicKey(vk.Algorithm, vk.ID, pub)
}
