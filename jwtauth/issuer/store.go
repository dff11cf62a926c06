package issuer

import (
	"context"
	"encoding/json"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// Session is one login: what [Issuer.Login] starts, [Issuer.Refresh]
// continues and the revocations end. A store keeps one record per session,
// however often it is refreshed.
type Session struct {
	ID      string // the sid claim of its tokens
	Subject string // the sub claim

	Created   time.Time // the login (OpenID Connect auth_time)
	Refreshed time.Time // the last refresh; Created until the first
	// Expires is when the session ends unless refreshed before:
	// Refreshed + RefreshTTL, but never after Deadline.
	Expires time.Time
	// Deadline is Created + MaxSessionAge: no refresh extends the session
	// past it.
	Deadline time.Time

	// Generation counts the refreshes, from 1 at login. Only a refresh
	// token of the current generation (or, within RefreshGrace, the one
	// before) refreshes; an older one is reuse.
	Generation uint64

	// Device and Address are what the application passed to Login (see
	// [WithDevice], [WithAddress]), for a "your devices" page.
	Device, Address string

	// Claims are the private claims of the session's access tokens: a JSON
	// object, kept byte for byte as Login or OnRefresh made it.
	Claims json.RawMessage

	// Thumbprint is the DPoP key the session is bound to ([Issuer.LoginDPoP]),
	// or "". Its refresh tokens carry it too (cnf.jkt), which is what
	// Refresh checks, so a store need not keep it.
	Thumbprint string
}

// Store keeps sessions and revocations for an Issuer, and answers a
// Middleware's revocation checks ([jwtauth.Store]). [MemoryStore] is the
// default; the redisstore module keeps them in Redis for several instances.
// Package storetest checks an implementation.
//
// Every method takes the Issuer's clock (Config.Now) as now and compares its
// deadlines with it, never with a clock of its own. Writes are atomic: of
// concurrent calls on one session, each sees the state the other left.
// Revocations (EndSession, RevokeSubject, RevokeToken and the end of a
// session in AdvanceSession) only update or remove existing records, or
// write one bounded record per subject: they never fail for want of room,
// and when they fail for any other reason they return the error.
//
// Revoked answers for a token with a sid whether its session is live (and is
// the subject's); for a token without one, whether its subject was revoked
// at or after its iat, or its jti was revoked.
type Store interface {
	jwtauth.Store

	// CreateSession records s, a new session. When s.Subject already has
	// max sessions, its oldest end first, so it has at most max. A store
	// with no room for it fails with an error matching [ErrStoreFull].
	CreateSession(ctx context.Context, s *Session, max int, now time.Time) error

	// Session returns the live session id, or [ErrNoSession].
	Session(ctx context.Context, id string, now time.Time) (*Session, error)

	// AdvanceSession refreshes a session atomically; see [Advance].
	AdvanceSession(ctx context.Context, a Advance) (*Session, Outcome, error)

	// EndSession ends the live session id, when subject is "" or its
	// subject. It reports whether one ended.
	EndSession(ctx context.Context, id, subject string, now time.Time) (bool, error)

	// RevokeSubject ends every session of subject, and revokes its tokens
	// without a session issued at or before now (by whole seconds of iat),
	// until until.
	RevokeSubject(ctx context.Context, subject string, now, until time.Time) error

	// RevokeToken revokes the token id (a jti) of subject that has no
	// session, until until. A subject keeps at most [MaxRevokedTokens] such
	// entries; past that, the store revokes every sessionless token of the
	// subject issued at or before now, as RevokeSubject does for them,
	// which revokes more, never less, and needs no room.
	RevokeToken(ctx context.Context, subject, id string, now, until time.Time) error

	// Sessions returns the live sessions of subject, oldest first.
	Sessions(ctx context.Context, subject string, now time.Time) ([]Session, error)
}

// MaxRevokedTokens is how many sessionless tokens of one subject a Store
// revokes one by one (see Store.RevokeToken).
const MaxRevokedTokens = 64

// Advance asks a Store to refresh session ID, on presentation of a refresh
// token of generation Generation for Subject. Atomically:
//
//   - no live session ID of Subject: [NotFound];
//   - Generation is the current one: the generation advances by one,
//     Refreshed becomes Now, Expires becomes Now + Idle but at most the
//     session's Deadline, Claims are replaced when not nil: [Advanced];
//   - Generation is the one before, Grace is positive, and Now is at most
//     Grace after Refreshed: nothing changes: [InGrace];
//   - any other generation: the session ends: [Reused].
type Advance struct {
	ID, Subject string
	Generation  uint64
	Now         time.Time
	Idle        time.Duration
	Grace       time.Duration
	Claims      json.RawMessage
}

// Outcome is what AdvanceSession did.
type Outcome int

// The outcomes of AdvanceSession; the Session it returns is the updated one
// for Advanced, the current one for InGrace, and nil otherwise.
const (
	NotFound Outcome = iota
	Advanced
	InGrace
	Reused
)

func (o Outcome) String() string {
	switch o {
	case Advanced:
		return "advanced"
	case InGrace:
		return "in grace"
	case Reused:
		return "reused"
	}
	return "not found"
}
