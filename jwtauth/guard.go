package jwtauth

import (
	"net/http"
	"slices"
	"strings"
)

// RequireScope returns middleware that lets a request through only when its
// token grants every one of scopes, in the "scope" claim (a space-separated
// string) or the "scp" claim (an array of strings, or a space-separated
// string). Otherwise it answers 403 insufficient_scope naming the scopes
// (RFC 6750 §3.1); a request that reached it without verified claims gets 401.
// Put it inside [Middleware.Handler], per route:
//
//	mux.Handle("GET /items", jwtauth.RequireScope("items:read")(items))
func RequireScope(scopes ...string) func(http.Handler) http.Handler {
	scopes = slices.Clone(scopes)
	want := strings.Join(scopes, " ")
	return guard(want, ErrInsufficientScope, func(c *Claims) bool {
		for _, s := range scopes {
			if !c.hasScope(s) {
				return false
			}
		}
		return true
	})
}

// RequireClaim returns middleware that lets a request through only when the
// token's claim called name is one of values: a string equal to one of them,
// or an array of strings with an element equal to one of them. With no values,
// the claim must merely be present and not null. Otherwise it answers 403
// insufficient_scope; a request without verified claims gets 401.
//
//	mux.Handle("DELETE /users/{id}", jwtauth.RequireClaim("role", "admin")(del))
func RequireClaim(name string, values ...string) func(http.Handler) http.Handler {
	values = slices.Clone(values)
	return guard("", ErrInsufficientScope, func(c *Claims) bool {
		raw, ok := c.Value(name)
		if !ok || string(raw) == "null" {
			return false
		}
		if len(values) == 0 {
			return true
		}
		if s, ok := jsonString(raw); ok {
			return slices.Contains(values, s)
		}
		list, _ := stringArray(raw)
		return slices.ContainsFunc(list, func(s string) bool { return slices.Contains(values, s) })
	})
}

// guard lets through requests whose claims allow says yes to, and rejects the
// others with deny (or ErrMissingToken when there are no claims).
func guard(scope string, deny error, allow func(*Claims) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := FromContext(r.Context())
			switch {
			case ok && allow(c):
				next.ServeHTTP(w, r)
			case !ok:
				if m, _ := r.Context().Value(middlewareKey{}).(*Middleware); m != nil {
					m.reject(w, r, ErrMissingToken, "")
				} else {
					writeProblem(w, defaultRealm, ErrMissingToken, "")
				}
			case c.mw != nil:
				c.mw.reject(w, r, deny, scope)
			default:
				writeProblem(w, defaultRealm, deny, scope)
			}
		})
	}
}
