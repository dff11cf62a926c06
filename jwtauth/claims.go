package jwtauth

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxClaims bounds the number of top-level claims in a token.
const maxClaims = 256

// Claims is the verified payload of a token. The registered claims (RFC 7519
// §4.1) are decoded once, when the token is verified; private claims stay as
// the token's JSON until [Claims.Decode] or [Claims.Value] asks for them.
//
// A Claims is immutable and may be shared by concurrent requests that present
// the same token, so its accessors return copies.
type Claims struct {
	// raw is the payload: a JSON object, valid UTF-8, no duplicate names.
	// The string claims below are substrings of it where they had no JSON
	// escapes, so decoding a token allocates one string for all of them.
	raw string

	issuer, subject, id string
	sid                 string   // session ID (OpenID Connect "sid"), set by Issuer.Login
	fresh               bool     // "fresh": true, set by Issuer.Login and Issue
	aud                 string   // aud when it is a single string
	auds                []string // aud when it is an array
	hasAud              bool
	exp, nbf, iat       float64
	hasExp, hasNBF      bool
	hasIAT              bool
	typ                 string // the header's typ, as sent
	kid                 string // the header's kid, as sent

	scope, scp string // raw JSON of the scope and scp claims, if present

	mw *Middleware // the middleware that verified it; nil from NewContext
}

// Issuer returns the iss claim, or "".
func (c *Claims) Issuer() string { return c.issuer }

// Subject returns the sub claim, or "".
func (c *Claims) Subject() string { return c.subject }

// ID returns the jti claim, or "".
func (c *Claims) ID() string { return c.id }

// SessionID returns the sid claim: the login session that [Issuer.Login]
// started and [Issuer.Refresh] continues, or "".
func (c *Claims) SessionID() string { return c.sid }

// Fresh reports whether the token carries "fresh": true, which an [Issuer]
// sets on tokens made right after a password login (see [RequireFresh]).
func (c *Claims) Fresh() bool { return c.fresh }

// Audience returns the aud claim as a list (a single string becomes a list of
// one), or nil.
func (c *Claims) Audience() []string {
	switch {
	case c.auds != nil:
		return slices.Clone(c.auds)
	case c.hasAud:
		return []string{c.aud}
	}
	return nil
}

// hasAudience reports whether aud is the token's audience or one of them.
func (c *Claims) hasAudience(aud string) bool {
	return c.hasAud && c.aud == aud || slices.Contains(c.auds, aud)
}

// ExpiresAt returns the exp claim, or the zero Time when there is none.
func (c *Claims) ExpiresAt() time.Time { return numericTime(c.exp, c.hasExp) }

// NotBefore returns the nbf claim, or the zero Time when there is none.
func (c *Claims) NotBefore() time.Time { return numericTime(c.nbf, c.hasNBF) }

// IssuedAt returns the iat claim, or the zero Time when there is none.
func (c *Claims) IssuedAt() time.Time { return numericTime(c.iat, c.hasIAT) }

// Type returns the typ header parameter of the token, or "".
func (c *Claims) Type() string { return c.typ }

// KeyID returns the kid header parameter of the token, or "".
func (c *Claims) KeyID() string { return c.kid }

// Scopes returns the token's scopes: the space-separated "scope" claim
// (RFC 8693 §4.2, RFC 9068 §2.2.3) and the "scp" claim, as an array of
// strings or a space-separated string, in that order.
func (c *Claims) Scopes() []string {
	var out []string
	for _, raw := range []string{c.scope, c.scp} {
		out = appendScopes(out, raw)
	}
	return out
}

func appendScopes(out []string, raw string) []string {
	if raw == "" {
		return out
	}
	if s, ok := jsonString([]byte(raw)); ok {
		return append(out, strings.Fields(s)...)
	}
	if list, ok := stringArray([]byte(raw)); ok {
		return append(out, list...)
	}
	return out
}

// hasScope reports whether the token grants scope, without allocating in
// the common case of a plain string claim.
func (c *Claims) hasScope(scope string) bool {
	for _, raw := range []string{c.scope, c.scp} {
		if len(raw) > 2 && raw[0] == '"' && strings.IndexByte(raw, '\\') < 0 {
			for f := range strings.FieldsSeq(raw[1 : len(raw)-1]) {
				if f == scope {
					return true
				}
			}
			continue
		}
		if slices.Contains(appendScopes(nil, raw), scope) {
			return true
		}
	}
	return false
}

// Decode unmarshals the whole payload into v with encoding/json, for typed
// access to private claims:
//
//	var c struct {
//		Name string `json:"name"`
//		Role string `json:"role"`
//	}
//	err := claims.Decode(&c)
//
// The payload has been checked to hold no two names that differ only in case,
// so encoding/json's case-insensitive field matching cannot be steered by a
// token that carries both "role" and "Role".
func (c *Claims) Decode(v any) error { return json.Unmarshal([]byte(c.raw), v) }

// Value returns the raw JSON of the claim called name (exact, case-sensitive
// match), and whether it is present.
func (c *Claims) Value(name string) (json.RawMessage, bool) {
	var found []byte
	_ = objectMembers([]byte(c.raw), maxClaims, func(n, v []byte) error {
		if string(n) == name {
			found = v
		}
		return nil
	})
	if found == nil {
		return nil, false
	}
	return bytes.Clone(found), true
}

// MarshalJSON returns the payload exactly as the token carried it.
func (c *Claims) MarshalJSON() ([]byte, error) { return []byte(c.raw), nil }

// numericTime converts a NumericDate. Values beyond ±10^15 s (some 31 million
// years) are clamped; they mean "never" and "always" all the same.
func numericTime(v float64, ok bool) time.Time {
	if !ok {
		return time.Time{}
	}
	v = max(min(v, 1e15), -1e15)
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// numericSeconds is the whole second of a NumericDate, rounded down, as jwx
// and PyJWT compare them.
func numericSeconds(v float64) int64 {
	return int64(math.Floor(max(min(v, 1e15), -1e15)))
}

// parseNumericDate reads a JSON number (RFC 7519 §2): not a string, not a
// boolean, not null, and finite.
func parseNumericDate(raw []byte) (float64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') {
		return 0, false
	}
	// The common case, a positive integer of up to 15 digits, without strconv.
	if len(raw) <= 15 {
		var n int64
		for _, c := range raw {
			if c < '0' || c > '9' {
				goto general
			}
			n = n*10 + int64(c-'0')
		}
		return float64(n), true
	}
general:
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// stringArray reads a JSON array whose elements are all strings; encoding/json
// alone would turn a null element into "".
func stringArray(raw []byte) ([]string, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return nil, false
	}
	list := make([]string, len(elems))
	for i, e := range elems {
		s, ok := jsonString(e)
		if !ok {
			return nil, false
		}
		list[i] = s
	}
	return list, true
}
