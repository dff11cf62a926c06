package issuer

import (
	"context"
	"errors"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// Observer receives the session events of an Issuer (Config.Observer), for
// metrics and traces; the otelauth module has an OpenTelemetry one. Events
// carry no token, secret, subject or session id. Methods are called
// synchronously, so they must be fast and safe for concurrent use.
type Observer interface {
	SessionEvent(ctx context.Context, e Event)
}

// Event is one session operation and how it ended.
type Event struct {
	Kind EventKind
	// Err is nil on success, else the class of the failure, a sentinel:
	// ErrStoreFull, ErrNotReady, jwtauth.ErrStore, ErrRefreshReused, ErrSessionDenied,
	// jwtauth.ErrTokenRevoked, jwtauth.ErrInvalidToken, ErrNoSession,
	// ErrNotRevocable, ErrSubject, ErrReservedClaim, ErrTooLarge,
	// jwtauth.ErrMissingToken (Logout without claims), or context.Canceled /
	// DeadlineExceeded.
	Err      error
	Duration time.Duration
}

// EventKind names a session operation.
type EventKind int

// The session operations.
const (
	EventLogin EventKind = iota + 1
	EventRefresh
	EventLogout
	EventRevokeSession
	EventRevokeSubject
)

func (k EventKind) String() string {
	switch k {
	case EventLogin:
		return "login"
	case EventRefresh:
		return "refresh"
	case EventLogout:
		return "logout"
	case EventRevokeSession:
		return "revoke_session"
	case EventRevokeSubject:
		return "revoke_subject"
	}
	return "unknown"
}

// eventClasses are the sentinels an Event's Err may be, most specific first.
var eventClasses = []error{
	ErrStoreFull, ErrNotReady, jwtauth.ErrStore, ErrRefreshReused, ErrSessionDenied, jwtauth.ErrTokenRevoked,
	ErrNoSession, ErrNotRevocable, ErrSubject, ErrReservedClaim, ErrTooLarge,
	context.Canceled, context.DeadlineExceeded, jwtauth.ErrMissingToken, jwtauth.ErrInvalidToken,
}

var errOther = errors.New("issuer: other error")

// observe tells the Observer how an operation that began at start ended.
func (i *Issuer) observe(ctx context.Context, kind EventKind, start time.Time, err error) {
	o := i.cfg.Observer
	if o == nil {
		return
	}
	e := Event{Kind: kind, Duration: time.Since(start)}
	if err != nil {
		e.Err = errOther
		for _, c := range eventClasses {
			if errors.Is(err, c) {
				e.Err = c
				break
			}
		}
	}
	o.SessionEvent(ctx, e)
}
