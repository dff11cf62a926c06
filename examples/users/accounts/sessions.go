package accounts

import (
	"errors"
	"net/http"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// sessionView is a session as GET /auth/sessions shows it: never its
// tokens or claims.
type sessionView struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`   // the login
	Refreshed time.Time `json:"refreshed"` // the last refresh; created until the first
	Expires   time.Time `json:"expires"`   // unless refreshed before
	Device    string    `json:"device"`    // the User-Agent of the login
	Address   string    `json:"address"`   // the client of the login
	Current   bool      `json:"current"`   // the session of the request's token
}

// sessions lists the caller's live sessions, oldest first.
func (s *server) sessions(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.caller(w, r)
	if !ok {
		return
	}
	list, err := s.issuer.Sessions(r.Context(), c.Subject())
	if err != nil {
		s.issuerError(w, r, err)
		return
	}
	out := make([]sessionView, 0, len(list))
	for _, x := range list {
		out = append(out, sessionView{
			ID: x.ID, Created: x.Created.UTC(), Refreshed: x.Refreshed.UTC(), Expires: x.Expires.UTC(),
			Device: x.Device, Address: x.Address, Current: x.ID == c.SessionID(),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// validSessionID reports whether id can be a session id: the issuer's are
// 22 base64url characters. Anything else is no session, without a lookup.
func validSessionID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// endSession ends one of the caller's sessions: 204, or 404 when the caller
// has no live session of that id. Another account's session is no session
// of the caller's: 404, and it goes on.
func (s *server) endSession(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.caller(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	err := issuer.ErrNoSession
	if validSessionID(id) {
		err = s.issuer.RevokeSessionOf(r.Context(), c.Subject(), id)
	}
	switch {
	case errors.Is(err, issuer.ErrNoSession):
		writeError(w, http.StatusNotFound, "not_found", "no such session")
	case err != nil:
		s.issuerError(w, r, err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// logoutAll ends every session of the caller's account and revokes every
// access token of it issued until now, the request's own included.
func (s *server) logoutAll(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.caller(w, r)
	if !ok {
		return
	}
	if err := s.issuer.RevokeSubject(r.Context(), c.Subject()); err != nil {
		s.issuerError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
