package jwtauth

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"
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
	sid                 string    // session ID (OpenID Connect "sid"), set by the issuer's Login
	fresh               bool      // "fresh": true, set by the issuer's Login and Issue
	aud                 string    // aud when it is a single string
	auds                []string  // aud when it is an array
	audBuf              [4]string // room for auds
	hasAud              bool
	exp, nbf, iat       float64
	expSec, nbfSec      int64 // numericSeconds of exp, nbf, iat
	iatSec              int64
	hasExp, hasNBF      bool
	hasIAT              bool
	typ                 string // the header's typ, as sent
	kid                 string // the header's kid, as sent
	alg                 string // the verifying key's algorithm

	scope, scp string // raw JSON of the scope and scp claims, if present

	mw *Middleware // the middleware that verified it; nil from NewContext
}

// newClaims returns Claims whose raw is a copy of payload, in the same
// allocation as the Claims while it fits one of the boxes below: one
// allocation per verified token instead of two. The boxes are sized so that
// each, with the 344 bytes of Claims, fills a size class of Go's allocator
// (1024 bytes for the 587-byte payload of a Keycloak-like token), so that a
// box wastes no more than two allocations would; a change of Claims' size
// costs a few bytes, not correctness. raw, in the box, is never written
// again: Claims are immutable.
func newClaims(payload []byte) *Claims {
	switch n := len(payload); {
	case n <= 424:
		return boxClaims[[424]byte](payload)
	case n <= 552:
		return boxClaims[[552]byte](payload)
	case n <= 680:
		return boxClaims[[680]byte](payload)
	case n <= 808:
		return boxClaims[[808]byte](payload)
	case n <= 1064:
		return boxClaims[[1064]byte](payload)
	case n <= 1448:
		return boxClaims[[1448]byte](payload)
	case n <= 1704:
		return boxClaims[[1704]byte](payload)
	}
	return &Claims{raw: string(payload)}
}

// boxClaims allocates Claims and a T, an array of bytes at least as long as
// payload, together, and copies payload into the array as raw.
func boxClaims[T any](payload []byte) *Claims {
	b := new(struct {
		c   Claims
		raw T
	})
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&b.raw)), unsafe.Sizeof(b.raw))
	n := copy(buf, payload)
	b.c.raw = unsafe.String(&buf[0], n)
	return &b.c
}

// Issuer returns the iss claim, or "".
func (c *Claims) Issuer() string { return c.issuer }

// Subject returns the sub claim, or "".
func (c *Claims) Subject() string { return c.subject }

// ID returns the jti claim, or "".
func (c *Claims) ID() string { return c.id }

// SessionID returns the sid claim: the login session that the issuer
// package's Login started and its Refresh continues, or "".
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

// Scopes returns the token's scopes: the "scope" claim (RFC 8693 §4.2, RFC
// 9068 §2.2.3) and the "scp" claim, as an array of strings or a string, in
// that order. A string is split on U+0020 only (RFC 6749 §3.3), so
// "read\u00a0admin" is one scope, not "read" and "admin"; empty elements are
// no scope.
func (c *Claims) Scopes() []string {
	var out []string
	for _, raw := range []string{c.scope, c.scp} {
		eachScope(raw, func(s string) bool {
			out = append(out, s)
			return true
		})
	}
	return out
}

// eachScope calls fn for each scope of one scope or scp claim's raw JSON,
// until fn returns false. It allocates only for scopes written with escapes.
func eachScope(raw string, fn func(string) bool) {
	if raw == "" {
		return
	}
	split := func(list string) bool {
		for s := range strings.SplitSeq(list, " ") {
			if s != "" && !fn(s) {
				return false
			}
		}
		return true
	}
	if raw[0] == '"' {
		if strings.IndexByte(raw, '\\') < 0 {
			split(raw[1 : len(raw)-1])
		} else if s, ok := jsonString([]byte(raw)); ok {
			split(s)
		}
		return
	}
	eachArrayString([]byte(raw), func(s []byte, _ bool) bool {
		return len(s) == 0 || fn(string(s))
	})
}

// HasScope reports whether the token grants scope, in its "scope" claim (a
// string of scopes separated by U+0020) or its "scp" claim (an array of
// strings, or such a string), as [RequireScope] checks it.
func (c *Claims) HasScope(scope string) bool { return isScopeToken(scope) && c.hasScope(scope) }

// hasScope reports whether the token grants scope, without allocating in
// the common case of claims written without escapes.
func (c *Claims) hasScope(scope string) bool {
	found := false
	for _, raw := range []string{c.scope, c.scp} {
		eachScope(raw, func(s string) bool {
			found = s == scope
			return !found
		})
		if found {
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
// match), and whether it is present. A token that also carries a case or
// Unicode-fold variant of name ("ROLE" for "role") gives false: Decode would
// read the variant as name, and the two must not disagree (see
// [RequireClaim], which refuses such a token).
func (c *Claims) Value(name string) (json.RawMessage, bool) {
	v, ok, err := c.value(name)
	if err != nil || !ok {
		return nil, false
	}
	return bytes.Clone(v), true
}

// value looks name up in the payload, which was validated when the token was
// verified: a walk of its members, without allocating. A fold variant of name
// is ErrClaimName.
func (c *Claims) value(name string) ([]byte, bool, error) {
	v, found, variant := lookupMember(unsafeBytes(c.raw), name)
	if variant {
		return nil, false, ErrClaimName
	}
	return v, found, nil
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

// stringArray reads a JSON array whose elements are all strings (encoding/json
// alone would turn a null element into ""). Elements written without escapes
// are substrings of within, when raw is a sub-slice of within's bytes; only
// the list itself is allocated then.
func stringArray(raw []byte) ([]string, bool) {
	n := 0
	if !eachArrayString(raw, func([]byte, bool) bool { n++; return true }) {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	list := make([]string, 0, n)
	eachArrayString(raw, func(s []byte, _ bool) bool {
		list = append(list, string(s))
		return true
	})
	return list, true
}

// unsafeBytes returns the bytes of s without copying; they must not be
// modified.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
