package issuer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

var _ KeyStore = (*MemoryStore)(nil)

// PublishKey implements [KeyStore], for the Issuers of one process.
func (m *MemoryStore) PublishKey(ctx context.Context, k PublicKey, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(k.JWK) > MaxPublicKeySize {
		return fmt.Errorf("%w: JWK larger than %d bytes", errBadPublicKey, MaxPublicKeySize)
	}
	if !k.Expires.After(now) {
		return nil // expired already: nothing to record
	}
	k.JWK = slices.Clone(k.JWK)
	name := string(k.Use) + "\x00" + k.ID
	m.mu.Lock()
	defer m.mu.Unlock()
	for n, old := range m.pubKeys {
		if !old.Expires.After(now) {
			delete(m.pubKeys, n)
		}
	}
	old, ok := m.pubKeys[name]
	switch {
	case ok && !sameRecord(old, k):
		return errKeyConflict
	case ok && old.Expires.After(k.Expires):
		return nil // the later Expires stays
	case !ok && len(m.pubKeys) >= MaxPublicKeys:
		return ErrKeyStoreFull
	}
	if m.pubKeys == nil {
		m.pubKeys = make(map[string]PublicKey)
	}
	m.pubKeys[name] = k
	return nil
}

// PublicKeys implements [KeyStore].
func (m *MemoryStore) PublicKeys(ctx context.Context, now time.Time) ([]PublicKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]PublicKey, 0, len(m.pubKeys))
	for _, k := range m.pubKeys {
		if k.Expires.After(now) {
			k.JWK = slices.Clone(k.JWK)
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b PublicKey) int { return strings.Compare(string(a.Use)+a.ID, string(b.Use)+b.ID) })
	return out, nil
}
