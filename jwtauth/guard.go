package jwtauth

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// Errors of the guards. Each matches [ErrInsufficientScope] (403
// insufficient_scope) and says in its description what kind of thing the
// token lacks; [ErrNotFresh] is the third kind.
var (
	// ErrMissingScope: the token lacks a scope that [RequireScope] asks for.
	ErrMissingScope error = &classError{"jwtauth: required scope missing", ErrInsufficientScope}
	// ErrClaimValue: the token's claim is absent or has none of the values
	// that [RequireClaim] asks for.
	ErrClaimValue error = &classError{"jwtauth: required claim value missing", ErrInsufficientScope}
)

// ErrGuard means a guard was built to require nothing: [RequireScope] with
// an empty or unquotable scope, [RequireClaim] with an empty name or value.
// Such a guard fails closed: every request it sees gets 500, so the mistake
// shows in the first test instead of letting every token through.
var ErrGuard = errors.New("jwtauth: guard requires nothing (empty scope or claim name)")

// RequireScope returns middleware that lets a request through only when its
// token grants scope and every one of more, in the "scope" claim (a string of
// scopes separated by spaces, U+0020 only: RFC 6749 §3.3) or the "scp" claim
// (an array of strings, or such a string). Otherwise it answers 403
// insufficient_scope naming the scopes (RFC 6750 §3.1), with the realm,
// ErrorHandler and Logger of the [Middleware] in front; a request that
// reached it without verified claims gets 401. Put it inside
// [Middleware.Handler], per route:
//
//	mux.Handle("GET /items", jwtauth.RequireScope("items:read")(items))
//
// A scope must be an RFC 6749 scope-token: not empty, printable ASCII
// without space, '"' or '\'. A guard given anything else requires nothing
// and so fails closed with [ErrGuard] (500) on every request.
func RequireScope(scope string, more ...string) func(http.Handler) http.Handler {
	scopes := append([]string{scope}, more...)
	for _, s := range scopes {
		if !isScopeToken(s) {
			return misconfigured()
		}
	}
	want := strings.Join(scopes, " ")
	return guard(want, ErrMissingScope, func(c *Claims) (bool, error) {
		for _, s := range scopes {
			if !c.hasScope(s) {
				return false, nil
			}
		}
		return true, nil
	})
}

// RequireClaim returns middleware that lets a request through only when the
// token's claim called name is one of values: a string equal to one of them,
// or an array of strings with an element equal to one of them. With no values,
// the claim must merely be present and not null. Otherwise it answers 403
// insufficient_scope; a request without verified claims gets 401.
//
//	mux.Handle("DELETE /users/{id}", jwtauth.RequireClaim("role", "admin")(del))
//
// Names are matched exactly. A token that carries a case or Unicode-fold
// variant of name ("ROLE", "Role", "roĺe" is not one, "ROLE" is) is refused
// with [ErrClaimName] (401): [Claims.Decode] with encoding/json would read it
// as name, and the guard and the handler must never disagree. An empty name
// or value requires nothing, and so fails closed with [ErrGuard] (500).
func RequireClaim(name string, values ...string) func(http.Handler) http.Handler {
	if name == "" || !utf8.ValidString(name) || slices.Contains(values, "") {
		return misconfigured()
	}
	values = slices.Clone(values)
	return guard("", ErrClaimValue, func(c *Claims) (bool, error) {
		raw, ok, err := c.value(name)
		if err != nil {
			return false, err
		}
		if !ok || string(raw) == "null" {
			return false, nil
		}
		if len(values) == 0 {
			return true, nil
		}
		if s, ok := jsonString(raw); ok {
			return slices.Contains(values, s), nil
		}
		found := false
		eachArrayString(raw, func(s []byte, _ bool) bool {
			found = slices.Contains(values, string(s))
			return !found
		})
		return found, nil
	})
}

// misconfigured is the guard of a constructor given nothing to require.
func misconfigured() func(http.Handler) http.Handler {
	return guard("", ErrGuard, func(*Claims) (bool, error) { return false, ErrGuard })
}

// guard lets through requests whose claims allow says yes to, and rejects the
// others with deny, or with allow's error, or with ErrMissingToken when there
// are no claims. The rejection is written by the Middleware that verified the
// claims, or that let the request through without them (Optional, Exclude), so
// it has that Middleware's realm, ErrorHandler and Logger.
func guard(scope string, deny error, allow func(*Claims) (bool, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := FromContext(r.Context())
			var err error
			if ok {
				var allowed bool
				if allowed, err = allow(c); allowed {
					next.ServeHTTP(w, r)
					return
				}
				if err == nil {
					err = deny
				}
			} else {
				err = ErrMissingToken
			}
			if deny == ErrGuard {
				err = ErrGuard
			}
			m := middlewareOf(r, c)
			if m == nil {
				writeProblem(w, defaultRealm, err, scope)
				return
			}
			m.reject(w, r, err, scope)
		})
	}
}

// middlewareOf finds the Middleware whose rules a guard answers by: the one
// that verified c, or the one that passed the request without claims.
func middlewareOf(r *http.Request, c *Claims) *Middleware {
	if c != nil && c.mw != nil {
		return c.mw
	}
	m, _ := r.Context().Value(middlewareKey{}).(*Middleware)
	return m
}

// isScopeToken reports whether s is an RFC 6749 §3.3 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ErrNotFresh means a route that needs a fresh token got one made by a
// refresh. It matches ErrInsufficientScope (403): the client must log in
// again with its password.
var ErrNotFresh error = &classError{"jwtauth: fresh login required", ErrInsufficientScope}

// RequireFresh returns middleware that lets a request through only when its
// token is fresh: it carries "fresh": true, as the issuer package's tokens
// from a login do (after the user gave their password) and its refreshed
// tokens do not. Use it for sensitive routes such as changing the password or
// email address. Otherwise it answers 403 insufficient_scope; a request
// without verified claims gets 401.
func RequireFresh() func(http.Handler) http.Handler {
	return guard("", ErrNotFresh, func(c *Claims) (bool, error) { return c.fresh, nil })
}
