package jwtauth

import (
	"context"
	"errors"
	"time"
)

// Store is what a Middleware asks, for every verified token, whether the
// token has been revoked since it was issued: by a logout, the end of its
// session, or a "log out everywhere" of its subject. The issuer package's
// stores implement it (an issuer's Keys bring theirs, see [StoreKeys]), and so
// can anything else that revokes tokens. Implementations must be safe for
// concurrent use.
//
// Errors make authentication fail closed: the Middleware answers 500 rather
// than let a possibly revoked token through.
type Store interface {
	// Revoked reports whether the token t describes is revoked. It is
	// called once per authenticated request, so it should answer in one
	// round trip, and it takes t by value, which does not allocate.
	Revoked(ctx context.Context, t TokenRef) (bool, error)
}

// TokenRef is what a [Store] is told of a verified token. The strings are
// empty, and IssuedAt zero, when the token lacks the claim.
type TokenRef struct {
	ID       string    // jti
	Session  string    // sid
	Subject  string    // sub
	Issuer   string    // iss
	IssuedAt time.Time // iat

	// Now is the verifier's current time (Config.Now): a store that keeps
	// deadlines compares them with it, not with its own clock.
	Now time.Time
}

// ErrStore wraps an error from a Store. The Middleware answers it with 500;
// it does not match ErrInvalidToken, since the token may well be valid.
var ErrStore = errors.New("jwtauth: revocation store failed")
