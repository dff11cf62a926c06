package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// errAccountsUnavailable: the accounts could not be read (the database
// failed, or the request ended meanwhile). A refresh fails with 503, and its
// session is left as it was.
var errAccountsUnavailable = errors.New("accounts: accounts unavailable")

// parseID returns the account id that a token's sub names: the decimal
// form of a positive id, exactly as Login wrote it ("007", "+7" and "7.0"
// name no account).
func parseID(sub string) (int64, bool) {
	id, err := strconv.ParseInt(sub, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != sub {
		return 0, false
	}
	return id, true
}

// onRefresh is the issuer's OnRefresh hook, run at every refresh under the
// request's context before the session advances. A session goes on only
// while its account exists: for a deleted one it returns
// issuer.ErrSessionDenied, and the issuer ends the session (401). Since ids
// are never given twice, a new account of the same name does not revive it.
// When the accounts cannot be read, the refresh fails and the session stays
// as it was (503). It also brings the name claim up to date, so that a
// renamed account's tokens carry its new name from its next refresh on.
func (s *server) onRefresh(ctx context.Context, sess *issuer.Session) (map[string]any, error) {
	id, ok := parseID(sess.Subject)
	if !ok {
		return nil, issuer.ErrSessionDenied
	}
	name, err := account(ctx, s.db, id)
	switch {
	case errors.Is(err, errNoUser):
		return nil, fmt.Errorf("%w: the account was deleted", issuer.ErrSessionDenied)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", errAccountsUnavailable, err)
	}
	var current struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(sess.Claims, &current) == nil && current.Name == name {
		return nil, nil // unchanged: the session keeps its claims
	}
	return map[string]any{"name": name}, nil
}

// caller returns the claims of the request's token and the account they
// belong to. Only the tokens of a login here name an account by its id and
// have a session; any other token, such as the FastAPI recipe's (whose sub
// is a username, which could read as another account's id), gets 403
// insufficient_scope and false.
func (s *server) caller(w http.ResponseWriter, r *http.Request) (*jwtauth.Claims, int64, bool) {
	c, ok := jwtauth.FromContext(r.Context())
	if ok && c.SessionID() != "" {
		if id, ok := parseID(c.Subject()); ok {
			return c, id, true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="insufficient_scope", error_description="a token from a login at /auth/token is required"`)
	writeError(w, http.StatusForbidden, "insufficient_scope", "this route needs an access token from a login at /auth/token")
	return nil, 0, false
}

// deleteAccount deletes the caller's account, then ends every session and
// token of it on every instance. Should that fail, the account's sessions
// still end at their next refresh (onRefresh), and its access tokens within
// their lifetime.
func (s *server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	c, id, ok := s.caller(w, r)
	if !ok {
		return
	}
	if _, err := deleteUser(r.Context(), s.db, id); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("users: account deleted", "user_id", id)
	if err := s.issuer.RevokeSubject(r.Context(), c.Subject()); err != nil {
		s.log.ErrorContext(r.Context(), "users: account deleted, but its sessions not ended", "user_id", id, "err", err)
		writeError(w, http.StatusInternalServerError, "server_error", "the account is deleted, but its sessions may go on until their next refresh")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
