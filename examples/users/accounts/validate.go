package accounts

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"strings"
)

// Limits of the input.
const (
	maxBody     = 16 << 10 // bytes of a request body
	minUsername = 3
	maxUsername = 32
	maxEmail    = 254 // RFC 5321 §4.5.3.1.3, as a forward-path
	minPassword = 8
	maxPassword = 1024 // password.Hasher's MaxPasswordLen
)

// Field rules, as the 422 response states them. They are fixed text: no
// response repeats what the client sent.
const (
	ruleUsername = "3 to 32 characters: letters, digits, '_', '.', '-'; case does not matter: Ada and ada are one name"
	ruleEmail    = "an email address such as name@example.com, at most 254 characters"
	rulePassword = "8 to 1024 bytes"
	ruleRequired = "required"
)

// validUsername reports whether s follows ruleUsername. Names are unique,
// and log in, whatever the case of their letters (see migrate).
func validUsername(s string) bool {
	if len(s) < minUsername || len(s) > maxUsername {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// canonical returns the form of a username that the database compares
// (lower(username)) and the login throttle counts under: its ASCII letters
// in lower case, the only letters a valid username holds.
func canonical(username string) string { return strings.ToLower(username) }

// validEmail reports whether s is a bare address (no display name, no
// comments, no surrounding spaces) that net/mail reads back unchanged.
func validEmail(s string) bool {
	if len(s) == 0 || len(s) > maxEmail {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// fieldErrors collects the broken rules of a request, by field.
type fieldErrors map[string]string

// check records rule for field unless ok.
func (f fieldErrors) check(field string, ok bool, rule string) {
	if !ok {
		f[field] = rule
	}
}

// requestError is a response to a request that cannot be served as sent.
type requestError struct {
	status      int
	code        string
	description string
}

var (
	errNotJSON     = &requestError{http.StatusBadRequest, "invalid_request", "send a JSON object with Content-Type: application/json"}
	errBadJSON     = &requestError{http.StatusBadRequest, "invalid_request", "the body is not one JSON object with the expected string fields"}
	errNotForm     = &requestError{http.StatusBadRequest, "invalid_request", "send the form with Content-Type: application/x-www-form-urlencoded"}
	errBadForm     = &requestError{http.StatusBadRequest, "invalid_request", "the form cannot be read, or repeats a field"}
	errTooLarge    = &requestError{http.StatusRequestEntityTooLarge, "request_too_large", "the body is larger than 16 KiB"}
	errBadGrant    = &requestError{http.StatusBadRequest, "unsupported_grant_type", "only grant_type=password is supported"}
	errCredentials = &requestError{http.StatusUnauthorized, "invalid_grant", "incorrect username or password"}
)

// hasMediaType reports whether the request's Content-Type is want, with any
// parameters (charset=utf-8).
func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

// decodeJSON reads the request body, at most maxBody bytes, as exactly one
// JSON object into v, refusing unknown fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *requestError {
	if !hasMediaType(r, "application/json") {
		return errNotJSON
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if err = dec.Decode(new(json.RawMessage)); err == io.EOF {
			return nil
		}
	}
	if tooLarge(err) {
		return errTooLarge
	}
	return errBadJSON
}

// parseForm reads the request body, at most maxBody bytes, as a URL-encoded
// form, and returns the single value of each of names ("" when absent). The
// URL query is never read: credentials do not belong in URLs, which end up
// in logs.
func parseForm(w http.ResponseWriter, r *http.Request, names ...string) ([]string, *requestError) {
	if !hasMediaType(r, "application/x-www-form-urlencoded") {
		return nil, errNotForm
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		if tooLarge(err) {
			return nil, errTooLarge
		}
		return nil, errBadForm
	}
	values := make([]string, len(names))
	for i, name := range names {
		switch vs := r.PostForm[name]; len(vs) {
		case 0:
		case 1:
			values[i] = vs[0]
		default:
			return nil, errBadForm
		}
	}
	return values, nil
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
