package jwtauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// The verification pipeline, in the order of ../SECURITY.md: size, shape,
// header, key, signature, claims. Everything before the signature check is
// attacker-controlled and bounded; nothing from the token is used to find a
// key except as an exact map lookup.

// maxHeaderMembers bounds the protected header, which is read before the
// signature is checked.
const maxHeaderMembers = 32

// RefreshTokenType is the typ header of the refresh tokens the issuer
// package makes. A Middleware refuses a token of this type unless its
// Config.Type is exactly this, as only the issuer's own refresh verifier's
// is, so a refresh token is never accepted as an access token.
const RefreshTokenType = "refresh+jwt"

var b64 = base64.RawURLEncoding.Strict()

// scratch is the working memory of one verification, pooled: room to decode
// the three segments, and the JSON reader's. Tokens larger than it fits fall
// back to allocating.
type scratch struct {
	header  [4096]byte // a header of escaped names, or many, as an attacker sends it, too
	sig     [512]byte
	payload [2048]byte
	json    jsonWork
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// header is what the pipeline reads from the protected header. The slices
// point into the decoded header and are valid only during verify.
type header struct {
	alg, kid, typ []byte
	hasAlg        bool
}

// verify runs the pipeline for token, through the cache. fromHeader: token
// is an Authorization header's credential that extract has not checked to be
// a b64token; a cache hit is one (it verified), anything else is checked
// here, before the size, as extract would have.
func (m *Middleware) verify(ctx context.Context, token string, fromHeader bool) (*Claims, bool, error) {
	if len(token) > m.cfg.MaxTokenSize {
		if fromHeader && !isB64Token(token) {
			return nil, false, ErrMalformedHeader
		}
		return nil, false, ErrTokenTooLarge
	}
	if m.cache != nil {
		if e := m.cache.get(token); e != nil {
			c, err := m.cached(ctx, e)
			if err == nil {
				return c, true, nil
			}
			m.cache.remove(token)
			if err != errStaleKey {
				return nil, true, err
			}
			// The key changed since: verify afresh.
		}
	}
	// The token's own bytes, not a copy: the signing input must be []byte,
	// and nothing here writes to it.
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	buf := unsafeBytes(token)
	input, hdrJSON, sig, payload, sseg, pseg, ok := sc.segments(buf)
	if !ok {
		if fromHeader && !isB64Token(token) {
			return nil, false, ErrMalformedHeader
		}
		return nil, false, ErrTokenMalformed
	}
	hdr, err := parseHeader(&sc.json, hdrJSON)
	if err != nil {
		return nil, false, err
	}
	if m.cfg.Type != "" {
		if !sameType(string(hdr.typ), m.cfg.Type) {
			return nil, false, ErrTokenType
		}
	} else if sameType(string(hdr.typ), RefreshTokenType) {
		return nil, false, ErrTokenType
	}

	set, err := m.cfg.Keys.keySet(ctx)
	if err != nil {
		return nil, false, err
	}
	k, err := set.find(string(hdr.alg), hdr.kid)
	if err == ErrUnknownKey || (err == ErrAlgorithm && asymmetric(hdr.alg)) {
		// A key set that can be refreshed may not have the key yet: the
		// issuer may have rotated, to a new kid or a new algorithm (RS256
		// to ES256). It refreshes at most once per interval, however many
		// tokens name unknown keys.
		if r, ok := m.cfg.Keys.(refresher); ok {
			if set, ok = r.refresh(ctx); ok {
				k, err = set.find(string(hdr.alg), hdr.kid)
			}
		}
	}
	if err != nil {
		return nil, false, err
	}

	if sig == nil {
		if sig, ok = decodeSegment(sc.sig[:], sseg); !ok {
			return nil, false, ErrTokenMalformed
		}
	}
	if err := k.verify(input, sig); err != nil {
		return nil, false, err
	}
	if payload == nil {
		// Too large for the scratch, or not decodable: decoded only now
		// that it is signed.
		if payload, ok = decodeSegment(sc.payload[:], pseg); !ok {
			return nil, false, ErrTokenMalformed
		}
	}
	c := newClaims(payload)
	c.mw, c.alg = m, k.alg
	switch {
	case string(hdr.typ) == "JWT": // nearly every token: no allocation
		c.typ = "JWT"
	case len(hdr.typ) > 0:
		c.typ = string(hdr.typ)
	}
	if len(hdr.kid) > 0 {
		c.kid = string(hdr.kid)
	}
	if err := m.readClaims(&sc.json, c, payload); err != nil {
		return nil, false, err
	}
	if err := m.checkClaims(c); err != nil {
		return nil, false, err
	}
	if m.cache != nil {
		m.cache.put(token, c, set, k)
	}
	return c, false, nil
}

// errStaleKey: a cached token's key is no longer the one its kid and alg
// select.
var errStaleKey = errors.New("jwtauth: cached token's key changed")

// cached revalidates a cache hit: the same key must still be in force, and
// the time claims are checked against the clock again.
func (m *Middleware) cached(ctx context.Context, e *cacheEntry) (*Claims, error) {
	set, err := m.cfg.Keys.keySet(ctx)
	if err != nil {
		return nil, errStaleKey
	}
	// The set that selected the key, unchanged (sets are immutable), still
	// selects it; another set must select the same key again.
	if set != e.set {
		if k, err := set.findByKID(e.key.alg, e.claims.kid); err != nil || k != e.key {
			return nil, errStaleKey
		}
	}
	if err := m.checkClaims(e.claims); err != nil {
		return nil, err
	}
	return e.claims, nil
}

// segments splits tok, a compact JWS, and decodes its segments: it returns
// the signing input, the header's JSON, the signature and the payload, with
// the signature's and the payload's segments. Decoding checks the
// characters (base64url, strictly: no padding, no non-zero trailing bits)
// and the shape: exactly three non-empty segments, since a dot does not
// decode. So this one pass refuses JWE (five segments), the JSON
// serialisations, b64:false payloads, whitespace, "=" padding, the "+/"
// alphabet and 100,000 dots, at no cost beyond the decoding the pipeline
// needs anyway.
//
// A signature or payload that is of the alphabet but does not decode (its
// length, its trailing bits), or a payload too large for the scratch, comes
// back nil, to be decoded where the pipeline needs it, so that every token
// fails with the error it always has: the header's first.
func (sc *scratch) segments(tok []byte) (input, hdr, sig, payload, sseg, pseg []byte, ok bool) {
	i := bytes.IndexByte(tok, '.')
	j := bytes.LastIndexByte(tok, '.')
	if i <= 0 || j <= i+1 || j == len(tok)-1 {
		return nil, nil, nil, nil, nil, nil, false
	}
	input, pseg, sseg = tok[:j], tok[i+1:j], tok[j+1:]
	if hdr, ok = decodeExact(sc.header[:], tok[:i]); !ok {
		return nil, nil, nil, nil, nil, nil, false
	}
	if sig, ok = decodeExact(sc.sig[:], sseg); !ok {
		if !isBase64URL(sseg) {
			return nil, nil, nil, nil, nil, nil, false
		}
		sig = nil
	}
	if b64.DecodedLen(len(pseg)) > len(sc.payload) {
		return input, hdr, sig, nil, sseg, pseg, isBase64URL(pseg)
	}
	if payload, ok = decodeExact(sc.payload[:], pseg); !ok {
		if !isBase64URL(pseg) {
			return nil, nil, nil, nil, nil, nil, false
		}
		payload = nil
	}
	return input, hdr, sig, payload, sseg, pseg, true
}

// decodeExact decodes seg strictly into buf, or a new buffer when it does not
// fit, and reports whether seg was base64url and only that: the decoder
// skips CR and LF, so a segment with one decodes to fewer bytes than its
// length says, or has a length no base64url text has (4k+1).
func decodeExact(buf, seg []byte) ([]byte, bool) {
	if len(seg)%4 == 1 {
		return nil, false
	}
	n := b64.DecodedLen(len(seg))
	if n > len(buf) {
		buf = make([]byte, n)
	}
	got, err := b64.Decode(buf[:n], seg)
	return buf[:got], err == nil && got == n
}

// isBase64URL reports whether seg is only of the base64url alphabet.
func isBase64URL(seg []byte) bool {
	for _, c := range seg {
		if compactChar[c] != b64Char {
			return false
		}
	}
	return true
}

// splitCompact splits a compact JWS into its three segments and checks that
// each is non-empty and only of the base64url alphabet, without padding. This
// one pass rejects JWE (five segments), the JSON serialisations, b64:false
// payloads, whitespace, "=" padding, the "+/" alphabet and 100,000 dots.
func splitCompact(token string) (h, p, s string, ok bool) {
	dots := 0
	for i := range len(token) {
		switch compactChar[token[i]] {
		case b64Char:
		case dotChar:
			dots++
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

// compactChar classifies the bytes of a compact serialization: base64url
// characters, the dot, and everything else (zero). A table rather than
// comparisons: a token's characters are random, and branching on their class
// costs a mispredicted branch every few bytes, microseconds per RS256 token.
var compactChar = func() (t [256]uint8) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") {
		t[c] = b64Char
	}
	t['.'] = dotChar
	return t
}()

const (
	b64Char = 1 + iota
	dotChar
)

// decodeSegment decodes one segment strictly (non-zero trailing bits are an
// error) into buf when it fits, or a new buffer otherwise.
func decodeSegment(buf []byte, seg []byte) ([]byte, bool) {
	n := b64.DecodedLen(len(seg))
	if n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := b64.Decode(buf[:n], seg)
	return buf[:n], err == nil
}

// parseHeader reads the protected header (RFC 7515 §4.1). alg must be there;
// kid and typ must be strings when present; crit, b64, zip and enc ask for
// processing authkit never does, and cty "JWT" a nested token, so each is
// refused. jku, x5u, jwk and x5c are ignored: keys come from configuration
// only (RFC 8725 §3.10). It reads in w's memory.
func parseHeader(w *jsonWork, data []byte) (header, error) {
	var hdr header
	defer w.release()
	err := w.objectMembers(data, maxHeaderMembers, func(name, value []byte) error {
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
	case isJSONError(err):
		return hdr, ErrTokenMalformed
	case err != nil:
		return hdr, err
	case !hdr.hasAlg:
		return hdr, ErrAlgorithm
	}
	return hdr, nil
}

// readClaims decodes the registered claims of payload into c, checking
// their types, in w's memory. c.raw must be a copy of payload (newClaims
// makes one); the string claims become substrings of it.
func (m *Middleware) readClaims(w *jsonWork, c *Claims, payload []byte) error {
	defer w.release()
	str := func(value []byte) (string, bool) {
		if len(value) >= 2 && value[0] == '"' && bytes.IndexByte(value, '\\') < 0 {
			off := cap(payload) - cap(value) // value is a sub-slice of payload
			return c.raw[off+1 : off+len(value)-1], true
		}
		return jsonString(value)
	}
	rawOf := func(value []byte) string {
		off := cap(payload) - cap(value)
		return c.raw[off : off+len(value)]
	}
	var seen uint64 // bit i: RequiredClaims[i] is present
	err := w.objectMembers(payload, maxClaims, func(name, value []byte) error {
		ok := true
		switch string(name) {
		case "iss":
			c.issuer, ok = str(value)
		case "sub":
			c.subject, ok = str(value)
		case "jti":
			c.id, ok = str(value)
		case "sid":
			c.sid, ok = str(value)
		case "fresh":
			c.fresh = string(value) == "true"
		case "aud":
			if value[0] == '"' {
				c.aud, ok = str(value)
				c.hasAud = true
			} else {
				c.auds, ok = m.audArray(c, payload, value)
			}
		case "exp":
			c.exp, ok = parseNumericDate(value)
			c.expSec, c.hasExp = numericSeconds(c.exp), true
		case "nbf":
			c.nbf, ok = parseNumericDate(value)
			c.nbfSec, c.hasNBF = numericSeconds(c.nbf), true
		case "iat":
			c.iat, ok = parseNumericDate(value)
			c.iatSec, c.hasIAT = numericSeconds(c.iat), true
		case "scope":
			c.scope = rawOf(value)
		case "scp":
			c.scp = rawOf(value)
		default:
			if m.isFoldVariant(name, w.d.last()) {
				return ErrClaimName
			}
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
	case isJSONError(err):
		return ErrTokenMalformed
	case err != nil:
		return err
	case seen != 1<<len(m.required)-1:
		return ErrMissingClaim
	}
	return nil
}

// checkClaims applies the time, issuer and audience rules. The claims and
// the clock are rounded down to whole seconds, as jwx and PyJWT do: expired
// when now ≥ exp + leeway, not yet valid when now < nbf − leeway or
// now < iat − leeway (RFC 7519 §4.1.4-6).
func (m *Middleware) checkClaims(c *Claims) error {
	// Whole seconds, as int64: the clock clamped far beyond any date a
	// claim can hold (±10^15 s, see numericSeconds), so that differences
	// cannot overflow.
	now := max(min(m.cfg.Now().Unix(), 1e17), -1e17)
	leeway := m.cfg.Leeway
	switch {
	case !c.hasExp && !m.cfg.InsecureAllowNoExpiry:
		return ErrMissingClaim
	case c.hasExp && atLeast(now-c.expSec, leeway):
		return ErrTokenExpired
	case c.hasNBF && !atLeast(now-c.nbfSec, -leeway):
		return ErrTokenNotYetValid
	case c.hasIAT && !atLeast(now-c.iatSec, -leeway):
		return ErrTokenNotYetValid
	}
	if m.cfg.Issuer != "" && c.issuer != m.cfg.Issuer {
		return ErrIssuer
	}
	switch {
	case len(m.auds) > 0:
		if !slices.ContainsFunc(m.auds, c.hasAudience) {
			return ErrAudience
		}
	case !m.cfg.InsecureAnyAudience && (c.aud != "" || len(c.auds) > 0):
		// A verifier that names no audience refuses a token minted for one,
		// as PyJWT does: it may be another service's (RFC 8725 §3.9).
		return ErrAudience
	}
	return nil
}

// atLeast reports whether d seconds are at least l: d ≥ l, exactly, for a
// leeway of up to ±Config's maximum and any d.
func atLeast(d int64, l time.Duration) bool {
	d = max(min(d, 1<<30), -(1 << 30))
	return time.Duration(d)*time.Second >= l
}

// isJSONError reports whether err is one of the JSON reader's errors, which
// all mean a malformed token.
func isJSONError(err error) bool {
	switch err {
	case errJSONSyntax, errJSONDuplicate, errJSONNotObject, errJSONTooMany, errJSONNumber:
		return true
	}
	return false
}

// audArray reads an aud array: its unescaped elements become substrings of
// c.raw, in c.audBuf while they fit, so an array of up to len(c.audBuf)
// costs no allocation at all. An empty array is present, not absent.
func (m *Middleware) audArray(c *Claims, payload, value []byte) ([]string, bool) {
	list := c.audBuf[:0]
	sc := scanner{data: value}
	if !sc.consume('[') {
		return nil, false
	}
	sc.skipSpace()
	if sc.consume(']') {
		return list, sc.pos == len(value)
	}
	for {
		sc.skipSpace()
		start := sc.pos
		escaped, ok := sc.str()
		if !ok {
			return nil, false
		}
		raw := value[start:sc.pos]
		if escaped {
			s, ok := jsonString(raw)
			if !ok {
				return nil, false
			}
			list = append(list, s)
		} else {
			off := cap(payload) - cap(raw) // raw is a sub-slice of payload
			list = append(list, c.raw[off+1:off+len(raw)-1])
		}
		sc.skipSpace()
		if sc.consume(',') {
			continue
		}
		return list, sc.consume(']') && sc.pos == len(value)
	}
}

// readNames are the claims that the library reads by name. A token that
// carries a case or Unicode-fold variant of one ("SUB", "ſub", "Exp") is
// refused: encoding/json, in [Claims.Decode], matches names that way, and
// the accessors and guards must never disagree with Decode.
var readNames = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "fresh", "scope", "scp"}

// isFoldVariant reports whether name, which is not one of the names read by
// the switch of readClaims, equals one of m.foldNames under Unicode case
// folding without being it. h is foldHash(name), which the duplicate check
// computed already: names equal under folding hash alike, so comparing
// hashes first keeps the cost of an ordinary claim to a few integer
// comparisons.
func (m *Middleware) isFoldVariant(name []byte, h uint32) bool {
	for i, fh := range m.foldHashes {
		if fh == h && bytes.EqualFold(name, []byte(m.foldNames[i])) && string(name) != m.foldNames[i] {
			return true
		}
	}
	return false
}

// foldTable returns the names whose fold variants are refused, and their
// foldHash values.
func foldTable(required []string) (names []string, hashes []uint32) {
	names = append(slices.Clone(readNames), required...)
	for _, n := range names {
		hashes = append(hashes, foldHash([]byte(n)))
	}
	return names, hashes
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

// asymmetric reports whether alg is a supported asymmetric algorithm: one a
// remote key set may come to have.
func asymmetric(alg []byte) bool {
	a, ok := algorithms[string(alg)]
	return ok && a.family != "HMAC"
}
