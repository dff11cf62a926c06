package issuer

import (
	"errors"

	"github.com/authkit-go/authkit/jwtauth"
)

// classError is an error of its own that also matches a class of jwtauth's
// with errors.Is, so that [jwtauth.StatusCode] maps it.
type classError struct {
	msg   string
	class error
}

func (e *classError) Error() string        { return e.msg }
func (e *classError) Is(target error) bool { return target == e.class }

// Errors of the Issuer. The ones about a presented token match
// jwtauth.ErrInvalidToken (401); store failures wrap jwtauth.ErrStore (500).
var (
	// ErrReservedClaim: a private claim uses a name the Issuer sets itself
	// (iss, sub, aud, exp, nbf, iat, jti, sid, gen, fresh), differs from
	// another claim or one of those only in case, is not a valid claim name,
	// or has a value a verifier would refuse (a number beyond float64,
	// nesting too deep).
	ErrReservedClaim = errors.New("issuer: reserved or invalid claim")

	// ErrSubject: the subject is empty (for Login), longer than
	// [MaxSubjectLength] bytes, not valid UTF-8 or holds a control
	// character. Invalid UTF-8 would be replaced by U+FFFD when encoded,
	// so two users could end up with one sub.
	ErrSubject = errors.New("issuer: invalid subject")

	// ErrTooLarge: the token would be longer than a verifier accepts by
	// default (8 KiB); carry less in the claims.
	ErrTooLarge = errors.New("issuer: token would exceed 8 KiB")

	// ErrUnknownKeyID: Retire was given a kid the Issuer does not hold, or
	// the kid of the active key.
	ErrUnknownKeyID = errors.New("issuer: no such retired or published key")

	// ErrStoreFull: the store has no room for a new session. Login fails
	// with it (answer 503 and retry later); revocations never do.
	ErrStoreFull = errors.New("issuer: session store full")

	// ErrNoSession: no live session has that id (or not for that
	// subject). Nothing was revoked because nothing was live.
	ErrNoSession = errors.New("issuer: no such session")

	// ErrSessionDenied is what an OnRefresh hook returns (or wraps) to
	// refuse a refresh and end the session: the account was deleted or
	// disabled. Refresh then returns an error that matches it and
	// jwtauth.ErrInvalidToken.
	ErrSessionDenied = errors.New("issuer: session denied")

	// ErrRefreshReused: a refresh token older than the session's current
	// one was presented (outside RefreshGrace). The whole session has been
	// ended: whoever holds any token of it, the user or a thief, must log in
	// again (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
	ErrRefreshReused error = &classError{"issuer: refresh token reused; session ended", jwtauth.ErrInvalidToken}

	// ErrNotRevocable: Logout was given a token with neither a sid nor a
	// jti and sub, such as one minted by the FastAPI recipe, or one this
	// Issuer did not make: there is nothing to revoke it by, so it stays
	// valid until it expires. Tell the client so, rather than that it was
	// logged out.
	ErrNotRevocable = errors.New("issuer: token cannot be revoked")
)

type deniedRefresh struct{}

func (deniedRefresh) Error() string { return "issuer: session denied at refresh; session ended" }
func (deniedRefresh) Is(target error) bool {
	return target == jwtauth.ErrInvalidToken || target == ErrSessionDenied
}
