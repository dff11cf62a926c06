package grpcauth

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/authkit-go/authkit/jwtauth"
)

// A Guard is a rule that the verified claims of a call must satisfy, beyond
// a valid token: make one with [RequireScope], [RequireClaim],
// [RequireFresh] or [All], and map it to methods with [Guards]. The rules are
// those of the jwtauth guards of the same names. A Guard built to require
// nothing (an empty scope, an empty claim name or value), and the zero
// Guard, fail closed: [New] refuses them, and [Guard.Check] reports
// [jwtauth.ErrGuard] (codes.Internal) for every call.
type Guard struct {
	check func(*jwtauth.Claims) error
	err   error // jwtauth.ErrGuard when the guard requires nothing
}

// misconfigured is the Guard of a constructor given nothing to require.
var misconfigured = Guard{err: jwtauth.ErrGuard}

// Check reports whether c satisfies the guard: nil, or an error matching
// [jwtauth.ErrInsufficientScope] ([jwtauth.ErrMissingScope],
// [jwtauth.ErrClaimValue], [jwtauth.ErrNotFresh]), [jwtauth.ErrClaimName]
// for a token that carries a case variant of a required claim,
// [jwtauth.ErrMissingToken] for nil claims, or [jwtauth.ErrGuard] for a guard
// that requires nothing. A handler may call it for a rule that depends on
// the request, and answer with [Status]:
//
//	if err := write.Check(claims); err != nil {
//		return nil, grpcauth.Status(err).Err()
//	}
func (g Guard) Check(c *jwtauth.Claims) error {
	switch {
	case g.err != nil:
		return g.err
	case g.check == nil:
		return jwtauth.ErrGuard
	case c == nil:
		return jwtauth.ErrMissingToken
	}
	return g.check(c)
}

// valid reports whether g requires something.
func (g Guard) valid() bool { return g.err == nil && g.check != nil }

// Guards maps full method names ("/package.Service/Method", matched exactly,
// as for [Skip]) to the guard their calls must satisfy. It is an [Option]:
//
//	auth, err := grpcauth.New(mw, grpcauth.Guards{
//		"/items.v1.Items/List":   grpcauth.RequireScope("items:read"),
//		"/items.v1.Items/Delete": grpcauth.RequireScope("items:write"),
//	})
//
// A method without a guard needs only a valid token. A call that fails its
// guard gets codes.PermissionDenied. A method name is checked by [New] as
// Skip's are; a misspelt one leaves its method unguarded, which
// [Interceptors.CheckMethods] finds.
type Guards map[string]Guard

func (gs Guards) apply(c *config) error {
	for m, g := range gs {
		if err := checkMethod(m); err != nil {
			return configError("Guards: %w", err)
		}
		if !g.valid() {
			return configError("Guards[%q]: %w", m, jwtauth.ErrGuard)
		}
		if _, dup := c.guards[m]; dup {
			return configError("Guards[%q]: guarded twice; combine the guards with All", m)
		}
		c.guards[m] = g
	}
	return nil
}

// RequireScope returns a guard that lets a call through only when its token
// grants scope and every one of more, in the "scope" claim (scopes separated
// by U+0020) or the "scp" claim, as [jwtauth.Claims.HasScope] reads them;
// otherwise [jwtauth.ErrMissingScope] (codes.PermissionDenied). A scope must
// be an RFC 6749 §3.3 scope-token: not empty, printable ASCII without space,
// '"' or '\'. A guard given anything else requires nothing and fails closed.
func RequireScope(scope string, more ...string) Guard {
	scopes := append([]string{scope}, more...)
	for _, s := range scopes {
		if !isScopeToken(s) {
			return misconfigured
		}
	}
	return Guard{check: func(c *jwtauth.Claims) error {
		for _, s := range scopes {
			if !c.HasScope(s) {
				return jwtauth.ErrMissingScope
			}
		}
		return nil
	}}
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

// RequireClaim returns a guard that lets a call through only when the
// token's claim called name is one of values: a string equal to one of them,
// or an array with a string element equal to one of them. With no values,
// the claim must merely be present and not null. Otherwise
// [jwtauth.ErrClaimValue] (codes.PermissionDenied). Names are matched
// exactly; a token that carries a case or Unicode-fold variant of name
// ("ROLE" for "role") is refused with [jwtauth.ErrClaimName]
// (codes.Unauthenticated), as jwtauth's RequireClaim refuses it, since
// [jwtauth.Claims.Decode] would read the variant as name. An empty or
// invalid-UTF-8 name, or an empty value, requires nothing and fails closed.
func RequireClaim(name string, values ...string) Guard {
	if name == "" || !utf8.ValidString(name) || slices.Contains(values, "") {
		return misconfigured
	}
	values = slices.Clone(values)
	return Guard{check: func(c *jwtauth.Claims) error {
		raw, ok := c.Value(name)
		if !ok {
			if hasFoldVariant(c, name) {
				return jwtauth.ErrClaimName
			}
			return jwtauth.ErrClaimValue
		}
		if len(raw) == 0 || string(raw) == "null" {
			return jwtauth.ErrClaimValue
		}
		if len(values) == 0 || anyString(raw, values) {
			return nil
		}
		return jwtauth.ErrClaimValue
	}}
}

// anyString reports whether raw, a JSON string or an array, is or holds a
// string in values.
func anyString(raw json.RawMessage, values []string) bool {
	switch raw[0] {
	case '"':
		var s string
		return json.Unmarshal(raw, &s) == nil && slices.Contains(values, s)
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return false
		}
		for _, e := range elems {
			var s string
			if len(e) > 0 && e[0] == '"' && json.Unmarshal(e, &s) == nil && slices.Contains(values, s) {
				return true
			}
		}
	}
	return false
}

// hasFoldVariant reports whether the claims hold a name other than name
// that equals it under Unicode case folding, which is why [jwtauth.Claims.Value]
// did not find name. It decodes the claims, but only for a call that is
// refused anyway.
func hasFoldVariant(c *jwtauth.Claims, name string) bool {
	raw, err := c.MarshalJSON()
	if err != nil {
		return false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return false
	}
	for k := range members {
		if k != name && strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// RequireFresh returns a guard that lets a call through only when its token
// is fresh: it carries "fresh": true, as the tokens of the issuer package's
// Login and Issue do and its refreshed tokens do not. Otherwise
// [jwtauth.ErrNotFresh] (codes.PermissionDenied): the client must log in
// again with its password. Use it for sensitive methods such as changing a
// password.
func RequireFresh() Guard {
	return Guard{check: func(c *jwtauth.Claims) error {
		if !c.Fresh() {
			return jwtauth.ErrNotFresh
		}
		return nil
	}}
}

// All returns a guard that lets a call through only when every one of
// guards does, checked in order; the first refusal is the answer.
//
//	"/users.v1.Users/SetPassword": grpcauth.All(grpcauth.RequireScope("users:write"), grpcauth.RequireFresh()),
//
// All with no guard, or with one that requires nothing, requires nothing and
// fails closed.
func All(guards ...Guard) Guard {
	if len(guards) == 0 {
		return misconfigured
	}
	for _, g := range guards {
		if !g.valid() {
			return misconfigured
		}
	}
	guards = slices.Clone(guards)
	return Guard{check: func(c *jwtauth.Claims) error {
		for _, g := range guards {
			if err := g.check(c); err != nil {
				return err
			}
		}
		return nil
	}}
}
