package jwtauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
)

// The verification pipeline, in the order of ../SECURITY.md: size, shape,
// header, key, signature, claims. Everything before the signature check is
// attacker-controlled and bounded; nothing from the token is used to find a
// key except as an exact map lookup.

// maxHeaderMembers bounds the protected header, which is read before the
// signature is checked.
const maxHeaderMembers = 32

// refreshType is the typ of refresh tokens made by an Issuer; they are never
// accepted as access tokens.
const refreshType = "refresh+jwt"

var b64 = base64.RawURLEncoding.Strict()

// bufPool holds buffers for the signing input, which jwsbb takes as []byte
// while the token arrives as a string.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// header is what the pipeline reads from the protected header. The slices
// point into the decoded header and are valid only during verify.
type header struct {
	alg, kid, typ []byte
	hasAlg        bool
}

func (m *Middleware) verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > m.cfg.MaxTokenSize {
		return nil, ErrTokenTooLarge
	}
	h64, p64, s64, ok := splitCompact(token)
	if !ok {
		return nil, ErrTokenMalformed
	}

	var hbuf [256]byte
	hdrJSON, ok := decodeSegment(hbuf[:], h64)
	if !ok {
		return nil, ErrTokenMalformed
	}
	hdr, err := parseHeader(hdrJSON)
	if err != nil {
		return nil, err
	}
	if m.cfg.Type != "" && !sameType(string(hdr.typ), m.cfg.Type) {
		return nil, ErrTokenType
	}
	if !m.refresh && sameType(string(hdr.typ), refreshType) {
		return nil, ErrTokenType
	}

	set, err := m.cfg.Keys.keySet(ctx)
	if err != nil {
		return nil, err
	}
	k, err := set.find(string(hdr.alg), hdr.kid)
	if err == ErrUnknownKey {
		// A key set that can be refreshed may not have the key yet: the
		// issuer may have rotated. It refreshes at most once per interval,
		// however many tokens name unknown keys.
		if r, ok := m.cfg.Keys.(refresher); ok {
			if set, ok = r.refresh(ctx); ok {
				k, err = set.find(string(hdr.alg), hdr.kid)
			}
		}
	}
	if err != nil {
		return nil, err
	}

	var sbuf [512]byte
	sig, ok := decodeSegment(sbuf[:], s64)
	if !ok {
		return nil, ErrTokenMalformed
	}
	if err := verifySignature(k, token[:len(h64)+1+len(p64)], sig); err != nil {
		return nil, err
	}

	payload := make([]byte, b64.DecodedLen(len(p64)))
	n, err := b64.Decode(payload, []byte(p64))
	if err != nil {
		return nil, ErrTokenMalformed
	}
	c := &Claims{raw: payload[:n], mw: m}
	if len(hdr.typ) > 0 {
		c.typ = string(hdr.typ)
	}
	if len(hdr.kid) > 0 {
		c.kid = string(hdr.kid)
	}
	if err := m.readClaims(c); err != nil {
		return nil, err
	}
	if err := m.checkClaims(c); err != nil {
		return nil, err
	}
	return c, nil
}

// splitCompact splits a compact JWS into its three segments and checks that
// each is non-empty and only of the base64url alphabet, without padding. This
// one pass rejects JWE (five segments), the JSON serialisations, b64:false
// payloads, whitespace, "=" padding, the "+/" alphabet and 100,000 dots.
func splitCompact(token string) (h, p, s string, ok bool) {
	dots := 0
	for i := range len(token) {
		c := token[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.':
			dots++
			if dots > 2 {
				return "", "", "", false
			}
		default:
			return "", "", "", false
		}
	}
	if dots != 2 {
		return "", "", "", false
	}
	h, rest, _ := strings.Cut(token, ".")
	p, s, _ = strings.Cut(rest, ".")
	return h, p, s, h != "" && p != "" && s != ""
}

// decodeSegment decodes one segment strictly (non-zero trailing bits are an
// error) into buf when it fits, or a new buffer otherwise.
func decodeSegment(buf []byte, seg string) ([]byte, bool) {
	n := b64.DecodedLen(len(seg))
	if n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := b64.Decode(buf[:n], []byte(seg))
	return buf[:n], err == nil
}

// parseHeader reads the protected header (RFC 7515 §4.1). alg must be there;
// kid and typ must be strings when present; crit, b64, zip and enc ask for
// processing authkit never does, and cty "JWT" a nested token, so each is
// refused. jku, x5u, jwk and x5c are ignored: keys come from configuration
// only (RFC 8725 §3.10).
func parseHeader(data []byte) (header, error) {
	var hdr header
	err := objectMembers(data, maxHeaderMembers, func(name, value []byte) error {
		var ok bool
		switch string(name) {
		case "alg":
			hdr.alg, ok = jsonBytes(value)
			hdr.hasAlg = ok
			if !ok {
				return ErrAlgorithm
			}
		case "kid":
			if hdr.kid, ok = jsonBytes(value); !ok {
				return ErrTokenMalformed
			}
		case "typ":
			if hdr.typ, ok = jsonBytes(value); !ok {
				return ErrTokenMalformed
			}
		case "cty":
			if cty, ok := jsonBytes(value); !ok || sameType(string(cty), "JWT") {
				return ErrUnsupportedHeader
			}
		case "crit", "b64", "zip", "enc":
			return ErrUnsupportedHeader
		}
		return nil
	})
	switch {
	case err == errJSONSyntax || err == errJSONDuplicate || err == errJSONNotObject || err == errJSONTooMany:
		return hdr, ErrTokenMalformed
	case err != nil:
		return hdr, err
	case !hdr.hasAlg:
		return hdr, ErrAlgorithm
	}
	return hdr, nil
}

// verifySignature checks sig over the signing input with k, by jwx's
// algorithm-specific primitives, which also check signature lengths (a DER or
// 63-byte ES256 signature, an RSA signature with a byte missing or extra).
func verifySignature(k *key, input string, sig []byte) error {
	bp := bufPool.Get().(*[]byte)
	buf := append((*bp)[:0], input...)
	err := jwsbb.Verify(k.material, k.alg, buf, sig)
	*bp = buf
	bufPool.Put(bp)
	if err != nil {
		return ErrSignature
	}
	return nil
}

// readClaims decodes the registered claims of c.raw, checking their types.
func (m *Middleware) readClaims(c *Claims) error {
	var seen uint64 // bit i: RequiredClaims[i] is present
	err := objectMembers(c.raw, maxClaims, func(name, value []byte) error {
		ok := true
		switch string(name) {
		case "iss":
			c.issuer, ok = jsonString(value)
		case "sub":
			c.subject, ok = jsonString(value)
		case "jti":
			c.id, ok = jsonString(value)
		case "sid":
			c.sid, ok = jsonString(value)
		case "fresh":
			c.fresh = string(value) == "true"
		case "aud":
			c.audience, ok = parseAudience(value)
		case "exp":
			c.exp, ok = parseNumericDate(value)
			c.hasExp = true
		case "nbf":
			c.nbf, ok = parseNumericDate(value)
			c.hasNBF = true
		case "iat":
			c.iat, ok = parseNumericDate(value)
			c.hasIAT = true
		case "scope":
			c.scope = value
		case "scp":
			c.scp = value
		}
		if !ok {
			return ErrClaimType
		}
		for i, r := range m.required {
			if string(name) == r {
				seen |= 1 << i
			}
		}
		return nil
	})
	switch {
	case err == errJSONSyntax || err == errJSONDuplicate || err == errJSONNotObject || err == errJSONTooMany:
		return ErrTokenMalformed
	case err != nil:
		return err
	case seen != 1<<len(m.required)-1:
		return ErrMissingClaim
	}
	return nil
}

// checkClaims applies the time, issuer and audience rules. Times compare in
// whole seconds, rounded down, as jwx and PyJWT do: expired when
// now ≥ exp + leeway, not yet valid when now < nbf − leeway or now < iat −
// leeway (RFC 7519 §4.1.4-6).
func (m *Middleware) checkClaims(c *Claims) error {
	now := m.cfg.Now().Unix()
	leeway := int64(m.cfg.Leeway / time.Second)
	switch {
	case !c.hasExp && !m.cfg.InsecureAllowNoExpiry:
		return ErrMissingClaim
	case c.hasExp && now >= numericSeconds(c.exp)+leeway:
		return ErrTokenExpired
	case c.hasNBF && now < numericSeconds(c.nbf)-leeway:
		return ErrTokenNotYetValid
	case c.hasIAT && now < numericSeconds(c.iat)-leeway:
		return ErrTokenNotYetValid
	}
	if m.cfg.Issuer != "" && c.issuer != m.cfg.Issuer {
		return ErrIssuer
	}
	if m.cfg.Audience != "" && !slices.Contains(c.audience, m.cfg.Audience) {
		return ErrAudience
	}
	return nil
}

// sameType compares typ or cty values as RFC 7515 §4.1.9 says: ignoring case
// and an "application/" prefix.
func sameType(got, want string) bool {
	const prefix = "application/"
	if len(got) > len(prefix) && strings.EqualFold(got[:len(prefix)], prefix) {
		got = got[len(prefix):]
	}
	if len(want) > len(prefix) && strings.EqualFold(want[:len(prefix)], prefix) {
		want = want[len(prefix):]
	}
	return strings.EqualFold(got, want)
}

// jsonBytes is jsonString without the string: a sub-slice of raw when the
// string has no escapes.
func jsonBytes(raw []byte) ([]byte, bool) {
	if len(raw) >= 2 && raw[0] == '"' {
		inner := raw[1 : len(raw)-1]
		if bytes.IndexByte(inner, '\\') < 0 {
			return inner, true
		}
	}
	s, ok := jsonString(raw)
	return []byte(s), ok
}
