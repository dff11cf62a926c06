package redisstore

import (
	"context"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// CreateWithNonce is CreateSession with a chosen nonce, and AdvanceWithNonce
// AdvanceSession, to replay a call as the client does when it retries after
// a lost reply.
func (s *Store) CreateWithNonce(ctx context.Context, se *issuer.Session, max int, now time.Time, nonce string) error {
	return s.create(ctx, se, max, now, nonce)
}

func (s *Store) AdvanceWithNonce(ctx context.Context, a issuer.Advance, nonce string) (*issuer.Session, issuer.Outcome, error) {
	return s.advance(ctx, a, nonce)
}

// Prefix returns the Store's key prefix.
func (s *Store) Prefix() string { return s.prefix }

// NearCacheCount counts the entries of the Store's near cache one by one
// (each session, subject and token id), to check the count its shards
// keep.
func (s *Store) NearCacheCount() int {
	if s.near == nil {
		return 0
	}
	n := 0
	s.near.sess.Range(func(any, any) bool { n++; return true })
	s.near.subj.Range(func(_, v any) bool { n += v.(*subjectRec).size(); return true })
	return n
}
