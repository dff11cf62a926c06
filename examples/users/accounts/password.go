package accounts

import (
	"context"
	"errors"
	"net/http"

	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/password"
)

// changePassword replaces the caller's password, given the current one, and
// ends every other session of the account: whoever learnt the old password,
// or holds the tokens of another login, is out; this session goes on. The
// current password is checked as a login checks it, and wrong guesses count
// in the login throttle, under the account's name: a stolen fresh token
// gives no more guesses than the login form.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request) {
	c, id, ok := s.caller(w, r)
	if !ok {
		return
	}
	var req struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeRequestError(w, e)
		return
	}
	bad := fieldErrors{}
	bad.check("current_password", req.CurrentPassword != "", ruleRequired)
	bad.check("new_password", len(req.NewPassword) >= minPassword && len(req.NewPassword) <= maxPassword, rulePassword)
	if len(bad) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error": "invalid_fields", "error_description": "some fields break their rules", "fields": bad,
		})
		return
	}
	name, stored, err := credentialsByID(r.Context(), s.db, id)
	switch {
	case errors.Is(err, errNoUser):
		writeError(w, http.StatusUnauthorized, "invalid_token", "the account of this token no longer exists")
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	account, client := canonical(name), s.cfg.ClientIP(r)
	if !s.allow(w, r, s.cfg.Logins, account, client) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HashWait)
	defer cancel()
	ok, _, err = s.hasher.Login(ctx, req.CurrentPassword, stored, true)
	if err != nil || !ok {
		if isBusy(err) {
			s.hashError(w, r, err)
			return
		}
		if err != nil && !errors.Is(err, password.ErrPasswordTooLong) {
			s.log.Error("users: stored password hash unusable", "user_id", id, "err", err)
		}
		if err := s.cfg.Logins.Failure(r.Context(), account, client); err != nil {
			s.log.ErrorContext(r.Context(), "users: login throttle", "err", err)
		}
		writeError(w, http.StatusForbidden, "invalid_password", "the current password is wrong")
		return
	}
	if err := s.cfg.Logins.Success(r.Context(), account, client); err != nil {
		s.log.ErrorContext(r.Context(), "users: login throttle", "err", err)
	}
	hash, err := s.hasher.Hash(ctx, req.NewPassword)
	if err != nil {
		s.hashError(w, r, err)
		return
	}
	switch changed, err := setPasswordHash(r.Context(), s.db, id, stored, hash); {
	case err != nil:
		s.serverError(w, r, err)
		return
	case !changed:
		writeError(w, http.StatusConflict, "conflict", "the password was changed meanwhile; nothing was changed")
		return
	}
	s.log.Info("users: password changed", "user_id", id)
	// The new hash is stored first: a login with the old password made
	// after this point fails, and one made before has a session that the
	// list below holds.
	if err := s.endOtherSessions(r.Context(), c.Subject(), c.SessionID()); err != nil {
		s.log.ErrorContext(r.Context(), "users: password changed, but other sessions not ended", "user_id", id, "err", err)
		writeError(w, http.StatusInternalServerError, "server_error", "the password is changed, but other sessions may still be signed in; log out everywhere with POST /auth/logout-all")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// endOtherSessions ends every live session of subject but current.
func (s *server) endOtherSessions(ctx context.Context, subject, current string) error {
	list, err := s.issuer.Sessions(ctx, subject)
	if err != nil {
		return err
	}
	for _, x := range list {
		if x.ID == current {
			continue
		}
		if err := s.issuer.RevokeSessionOf(ctx, subject, x.ID); err != nil && !errors.Is(err, issuer.ErrNoSession) {
			return err
		}
	}
	return nil
}
