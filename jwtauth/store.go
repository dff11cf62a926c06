package jwtauth

import (
	"context"
	"errors"
	"time"
)

// Store records what must outlive a single request: revoked token and
// session IDs, and refresh tokens that have been used. Implementations must
// be safe for concurrent use, and for use by several processes when they are
// shared (see the redisstore module). Every entry may be forgotten after its
// until time: by then the token it describes has expired anyway.
//
// Errors make authentication fail closed: the Middleware answers 500 rather
// than let a possibly revoked token through.
type Store interface {
	// Revoke records id as revoked until the given time.
	Revoke(ctx context.Context, id string, until time.Time) error

	// Revoked reports whether id (a token's jti) or sid (its session's) is
	// revoked. An empty one is ignored. It is called for every authenticated
	// request whose token has either, so it takes two strings rather than a
	// slice, which an interface call would put on the heap.
	Revoked(ctx context.Context, id, sid string) (bool, error)

	// Consume records that the refresh token id has been used, until the
	// given time, and reports whether this call was the first to do so.
	// It must be atomic: of concurrent calls with the same id, exactly one
	// returns true.
	Consume(ctx context.Context, id string, until time.Time) (first bool, err error)
}

// ErrStore wraps an error from a Store. The Middleware answers it with 500;
// it does not match ErrInvalidToken, since the token may well be valid.
var ErrStore = errors.New("jwtauth: revocation store failed")
