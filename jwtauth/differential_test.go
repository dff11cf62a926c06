package jwtauth_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/lestrrat-go/jwx/v3"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// The differential test: every token of testdata/, every forged token of
// attacks_test.go and a generated corpus go through Middleware.Verify and
// through jwx's jwt.Parse configured with the same key, leeway, clock, issuer,
// audience and required claims. Two properties must hold:
//
//	(a) every token we accept, jwx accepts, with the same claims;
//	(b) every token jwx accepts and we reject breaks one of our documented
//	    stricter rules (diffStricter), and our error is that rule's error.
//
// The only exceptions to (a) are tokens that run into a limitation of jwx
// itself (diffJWXLimits), each recognised independently of both parsers; the
// test logs how often each case and each rule came up.

// diffRule is one of our documented rules that jwx does not apply.
type diffRule struct {
	why string
	err error
}

var diffCompact = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

var diffStrictB64 = base64.RawURLEncoding.Strict()

// diffJSONProblems says why data is not what our strict reader takes: one
// JSON object of RFC 8259, valid UTF-8, no two top-level names equal under
// case folding, values nested at most 32 deep, at most maxMembers members.
func diffJSONProblems(data []byte, maxMembers int) []string {
	var out []string
	if !utf8.Valid(data) {
		out = append(out, "invalid UTF-8 (RFC 8725 §3.7)")
	}
	members, ok := jwtauth.RefMembers(data)
	if !ok {
		return append(out, "not exactly one JSON object")
	}
	if len(members) > maxMembers {
		out = append(out, "more than "+strconv.Itoa(maxMembers)+" members")
	}
	for i, a := range members {
		for _, b := range members[:i] {
			if strings.EqualFold(a.Name, b.Name) {
				if a.Name == b.Name {
					out = append(out, "duplicate member name (RFC 7515 §4, RFC 7519 §4)")
				} else {
					out = append(out, "member names differing only in case")
				}
			}
		}
	}
	if jwtauth.RefValueDepth(data) > 32 {
		out = append(out, "nested deeper than 32")
	}
	return out
}

func diffIsString(raw json.RawMessage) bool {
	var s string
	return len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil
}

func diffIsStringArray(raw json.RawMessage) bool {
	var elems []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
		return false
	}
	for _, e := range elems {
		if !diffIsString(e) {
			return false
		}
	}
	return true
}

// diffNumber reads a JSON number as float64; ok is false for anything else
// and for numbers beyond float64.
func diffNumber(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil && !math.IsInf(f, 0)
}

// diffTypeEq compares typ values as RFC 7515 §4.1.9 says.
func diffTypeEq(got, want string) bool {
	strip := func(s string) string {
		if len(s) > len("application/") && strings.EqualFold(s[:len("application/")], "application/") {
			return s[len("application/"):]
		}
		return s
	}
	return strings.EqualFold(strip(got), strip(want))
}

// diffKeyAlgs lists, for a verifier, the algorithm of each key by kid ("" for
// keys without one).
func diffKeyAlgs(v *secVerifier) (byKID map[string]string, algs []string) {
	byKID = map[string]string{}
	if v.set == nil {
		return byKID, []string{v.alg}
	}
	for i := range v.set.Len() {
		k, _ := v.set.Key(i)
		a, _ := k.Algorithm()
		kid, _ := k.KeyID()
		byKID[kid] = a.String()
		algs = append(algs, a.String())
	}
	return byKID, algs
}

// diffVerifiesWithKID reports whether jwx verifies tok with the key of v's
// set that has kid, and only that key.
func diffVerifiesWithKID(tok string, v *secVerifier, kid, alg string) bool {
	k, ok := v.set.LookupKeyID(kid)
	if !ok {
		return false
	}
	a, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok {
		return false
	}
	_, err := jws.Verify([]byte(tok), jws.WithKey(a, k))
	return err == nil
}

// diffStricter lists every documented rule of ours that tok breaks under v,
// found with encoding/json and regexp only: none of it shares code with the
// package's own reader.
func diffStricter(tok string, v *secVerifier) []diffRule {
	var rules []diffRule
	add := func(why string, err error) { rules = append(rules, diffRule{why, err}) }
	if len(tok) > v.maxSize() {
		add("longer than Config.MaxTokenSize", jwtauth.ErrTokenTooLarge)
	}
	if !diffCompact.MatchString(tok) {
		add("not three base64url segments (padding, +/, whitespace, JSON serialisation, JWE, dots)", jwtauth.ErrTokenMalformed)
		return rules
	}
	var seg [3][]byte
	for i, s := range strings.Split(tok, ".") {
		b, err := diffStrictB64.DecodeString(s)
		if err != nil {
			add("non-canonical base64url (trailing bits, length)", jwtauth.ErrTokenMalformed)
			// Read on as a lenient decoder would: the checks before
			// this segment is decoded still apply.
			if b, err = base64.RawURLEncoding.DecodeString(s); err != nil {
				return rules
			}
		}
		seg[i] = b
	}
	for _, p := range diffJSONProblems(seg[0], 32) {
		add("header: "+p, jwtauth.ErrTokenMalformed)
	}
	hdr, _ := jwtauth.RefMembers(seg[0])
	var alg, kid, typ string
	var hasAlg, hasKid bool
	for _, m := range hdr {
		switch m.Name {
		case "alg":
			hasAlg = diffIsString(m.Raw)
			if !hasAlg {
				add("header: alg not a string", jwtauth.ErrAlgorithm)
			}
			_ = json.Unmarshal(m.Raw, &alg)
		case "kid":
			hasKid = true
			if !diffIsString(m.Raw) {
				add("header: kid not a string", jwtauth.ErrTokenMalformed)
			}
			_ = json.Unmarshal(m.Raw, &kid)
		case "typ":
			if !diffIsString(m.Raw) {
				add("header: typ not a string", jwtauth.ErrTokenMalformed)
			}
			_ = json.Unmarshal(m.Raw, &typ)
		case "crit", "b64", "zip", "enc":
			add("header: "+m.Name+" (never supported)", jwtauth.ErrUnsupportedHeader)
		case "cty":
			var cty string
			if !diffIsString(m.Raw) {
				add("header: cty not a string", jwtauth.ErrUnsupportedHeader)
			} else if _ = json.Unmarshal(m.Raw, &cty); diffTypeEq(cty, "JWT") {
				add("header: cty JWT (nested token)", jwtauth.ErrUnsupportedHeader)
			}
		}
	}
	if len(hdr) > 0 && !hasAlg {
		add("header: no alg", jwtauth.ErrAlgorithm)
	}
	if diffTypeEq(typ, "refresh+jwt") {
		add("typ refresh+jwt", jwtauth.ErrTokenType)
	}
	if v.cfg.Type != "" && !diffTypeEq(typ, v.cfg.Type) {
		add("typ is not Config.Type", jwtauth.ErrTokenType)
	}
	byKID, algs := diffKeyAlgs(v)
	if !slices.Contains(algs, alg) {
		add("alg of no key", jwtauth.ErrAlgorithm)
	}
	if v.set != nil {
		count := 0
		for _, a := range algs {
			if a == alg {
				count++
			}
		}
		keyAlg, known := byKID[kid]
		switch {
		case hasKid && kid != "" && known && keyAlg != alg:
			add("kid names a key of another alg", jwtauth.ErrAlgorithm)
		case hasKid && kid != "" && known && !diffVerifiesWithKID(tok, v, kid, alg):
			// jwx, told not to require a kid, tries every key.
			add("kid names a key that does not verify the token (another key of the set does)", jwtauth.ErrSignature)
		case hasKid && kid != "" && !known:
			add("kid names no key", jwtauth.ErrUnknownKey)
		case (!hasKid || kid == "") && count != 1:
			add("no kid, and not exactly one key of alg", jwtauth.ErrUnknownKey)
		}
	}

	for _, p := range diffJSONProblems(seg[1], 256) {
		add("claims: "+p, jwtauth.ErrTokenMalformed)
	}
	claims, _ := jwtauth.RefMembers(seg[1])
	present := map[string]bool{}
	for _, m := range claims {
		present[m.Name] = true
		switch m.Name {
		case "iss", "sub", "jti":
			if !diffIsString(m.Raw) {
				add("claims: "+m.Name+" not a string", jwtauth.ErrClaimType)
			}
		case "aud":
			if !diffIsString(m.Raw) && !diffIsStringArray(m.Raw) {
				add("claims: aud not a string or array of strings", jwtauth.ErrClaimType)
			}
		case "exp", "nbf", "iat":
			if _, ok := diffNumber(m.Raw); !ok {
				add("claims: "+m.Name+" not a finite JSON number", jwtauth.ErrClaimType)
			}
		}
	}
	if !present["exp"] && !v.cfg.InsecureAllowNoExpiry {
		add("claims: no exp", jwtauth.ErrMissingClaim)
	}
	read := append([]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "fresh", "scope", "scp"}, v.cfg.RequiredClaims...)
	for _, m := range claims {
		for _, n := range read {
			if m.Name != n && strings.EqualFold(m.Name, n) {
				add("claims: "+m.Name+" is a case variant of "+n, jwtauth.ErrClaimName)
			}
		}
		if m.Name == "aud" && v.cfg.Audience == "" && !v.cfg.InsecureAnyAudience {
			var one string
			var list []string
			if json.Unmarshal(m.Raw, &one) == nil && one != "" || json.Unmarshal(m.Raw, &list) == nil && len(list) > 0 {
				add("claims: aud, and no Audience configured", jwtauth.ErrAudience)
			}
		}
	}
	for _, c := range v.cfg.RequiredClaims {
		if !present[c] {
			add("claims: no "+c, jwtauth.ErrMissingClaim)
		}
	}
	return rules
}

// diffFloorDiffers reports whether the whole seconds of a plain decimal
// number's text differ from those of its float64 value.
func diffFloorDiffers(raw string, f float64) bool {
	whole, _, frac := strings.Cut(raw, ".")
	if !frac || strings.ContainsAny(raw, "eE") {
		return false
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	return err == nil && n >= 0 && float64(n) != math.Floor(f)
}

// diffJWXLimits lists the known limitations of jwx v3.4.0 that make it reject
// a token that is valid by RFC 7519 (and that we accept).
func diffJWXLimits(tok string) []string {
	segs := strings.Split(tok, ".")
	if len(segs) != 3 {
		return nil
	}
	payload, err := diffStrictB64.DecodeString(segs[1])
	if err != nil {
		return nil
	}
	var out []string
	// jwt.Parse passes the verified payload through jwx.GuessFormat, which
	// matches the names "aud", "kty", "keys", "ciphertext", "signatures" and
	// "payload" case-insensitively, and refuses a claims set that looks
	// like a JWK, a JWK Set, a JWE or a JSON JWS (jwt/jwt.go, parse).
	if f := jwx.GuessFormat(payload); f != jwx.JWT && f != jwx.UnknownFormat {
		out = append(out, "jwx: claims set sniffed as "+f.String())
	}
	members, _ := jwtauth.RefMembers(payload)
	for _, m := range members {
		switch m.Name {
		case "exp", "nbf", "iat":
			f, ok := diffNumber(m.Raw)
			switch {
			case !ok:
			case math.Abs(f) > 9.2e18:
				// types.NumericDate formats the float with %.9f and
				// parses the whole part as int64, and time.Unix
				// overflows near it.
				out = append(out, "jwx: "+m.Name+" beyond int64 seconds")
			case diffFloorDiffers(string(m.Raw), f):
				// jwx v3.4 floors the decimal text to whole seconds
				// (jwt/internal/types/date.go, parseEpochSeconds):
				// 1800000000.9999999999 is 1800000000 there, while
				// float64, like PyJWT's int(float), makes it
				// 1800000001.
				out = append(out, "jwx: "+m.Name+" floored from its decimal text, not its float64")
			case math.Signbit(f):
				// Without WithNumericDateParsePedantic, a value with
				// a character other than digits and '.' is parsed as
				// RFC 3339: the '-' of any negative number (-0 too)
				// makes it fail (jwt/internal/types/date.go).
				out = append(out, "jwx: negative "+m.Name+" taken for an RFC 3339 date")
			}
		case "iss", "sub", "jti", "aud":
		default:
			// Private claims are decoded into any: a number beyond
			// float64 fails.
			var v any
			if json.Unmarshal(m.Raw, &v) != nil {
				out = append(out, "jwx: private claim not decodable into any (number beyond float64)")
			}
		}
	}
	return out
}

// diffSameClaims compares our claims with jwx's, claim by claim.
func diffSameClaims(ours *jwtauth.Claims, theirs jwt.Token) error {
	raw, err := ours.MarshalJSON()
	if err != nil {
		return err
	}
	var mine map[string]json.RawMessage
	if err := json.Unmarshal(raw, &mine); err != nil {
		return fmt.Errorf("our claims are not an object: %v", err)
	}
	theirKeys := theirs.Keys()
	var names []string
	for n := range mine {
		names = append(names, n)
	}
	sort.Strings(names)
	sort.Strings(theirKeys)
	if !slices.Equal(names, theirKeys) {
		return fmt.Errorf("claim names differ: ours %q, jwx %q", names, theirKeys)
	}
	for _, n := range names {
		r := mine[n]
		switch n {
		case "iss", "sub", "jti":
			var s string
			_ = json.Unmarshal(r, &s)
			var got string
			var acc string
			switch n {
			case "iss":
				got, _ = theirs.Issuer()
				acc = ours.Issuer()
			case "sub":
				got, _ = theirs.Subject()
				acc = ours.Subject()
			case "jti":
				got, _ = theirs.JwtID()
				acc = ours.ID()
			}
			if got != s || acc != s {
				return fmt.Errorf("%s: raw %q, ours %q, jwx %q", n, s, acc, got)
			}
		case "aud":
			var list []string
			var s string
			if json.Unmarshal(r, &s) == nil {
				list = []string{s}
			} else {
				_ = json.Unmarshal(r, &list)
			}
			got, _ := theirs.Audience()
			if len(list) == 0 && len(got) == 0 {
				continue
			}
			if !slices.Equal(list, got) || !slices.Equal(ours.Audience(), got) {
				return fmt.Errorf("aud: raw %q, ours %q, jwx %q", list, ours.Audience(), got)
			}
		case "exp", "nbf", "iat":
			f, _ := diffNumber(r)
			var got, acc = theirs.Expiration, ours.ExpiresAt
			switch n {
			case "nbf":
				got, acc = theirs.NotBefore, ours.NotBefore
			case "iat":
				got, acc = theirs.IssuedAt, ours.IssuedAt
			}
			tv, _ := got()
			// jwx truncates to whole seconds toward zero after %.9f
			// rounding; we floor. Both are within a second of the value.
			if math.Abs(float64(tv.Unix())-f) > 1 {
				return fmt.Errorf("%s: raw %v, jwx %v", n, f, tv.Unix())
			}
			if math.Abs(f) < 1e15 && float64(acc().Unix()) != math.Floor(f) {
				return fmt.Errorf("%s: raw %v, ours %v", n, f, acc().Unix())
			}
		default:
			if string(r) == "null" {
				// jwx keeps the name but its Get cannot return a nil.
				continue
			}
			var a, b any
			if err := json.Unmarshal(r, &a); err != nil {
				return fmt.Errorf("%s: %v", n, err)
			}
			if err := theirs.Get(n, &b); err != nil {
				return fmt.Errorf("%s: jwx: %v", n, err)
			}
			if !reflect.DeepEqual(a, b) {
				return fmt.Errorf("%s: ours %#v, jwx %#v", n, a, b)
			}
			if v, ok := ours.Value(n); !ok || !bytes.Equal(v, r) {
				return fmt.Errorf("%s: Value() = %s, %v", n, v, ok)
			}
		}
	}
	return nil
}

// diffTally counts outcomes, for the log.
type diffTally struct {
	mu                    sync.Mutex
	total, accepted, both int
	stricter, jwxLimits   map[string]int
}

func newDiffTally() *diffTally {
	return &diffTally{stricter: map[string]int{}, jwxLimits: map[string]int{}}
}

func (d *diffTally) log(t testing.TB) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t.Logf("%d verifications: %d accepted by both, %d rejected by both", d.total, d.accepted, d.both)
	for _, m := range []struct {
		title string
		m     map[string]int
	}{{"jwx accepts, we reject by a stricter rule", d.stricter}, {"we accept, jwx rejects by a jwx limitation", d.jwxLimits}} {
		var keys []string
		for k := range m.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Logf("%s:", m.title)
		for _, k := range keys {
			t.Logf("  %5d  %s", m.m[k], k)
		}
	}
}

// diffJWX runs jwx, turning a panic into an error.
func diffJWX(v *secVerifier, tok string) (tk jwt.Token, err error) {
	defer func() {
		if p := recover(); p != nil {
			tk, err = nil, fmt.Errorf("jwx panicked: %v", p)
		}
	}()
	return v.jwxParse(tok)
}

// diffCheck verifies tok both ways and asserts (a) and (b).
func diffCheck(t testing.TB, v *secVerifier, tok string, tally *diffTally) {
	t.Helper()
	claims, err := v.mw.Verify(t.Context(), tok)
	theirs, jerr := diffJWX(v, tok)
	if tally != nil {
		tally.mu.Lock()
		tally.total++
		switch {
		case err == nil && jerr == nil:
			tally.accepted++
		case err != nil && jerr != nil:
			tally.both++
		}
		tally.mu.Unlock()
	}
	if (err == nil) != (claims != nil) {
		t.Fatalf("%s: Verify returned claims %v with error %v", v.name, claims, err)
	}
	if err != nil && !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("%s: error %v does not match ErrInvalidToken\ntoken %s", v.name, err, secShort(tok))
	}
	switch {
	case err == nil && jerr != nil:
		limits := diffJWXLimits(tok)
		if len(limits) == 0 {
			t.Errorf("(a) %s: we ACCEPT a token jwx rejects (%v), and no known jwx limitation explains it\ntoken %s", v.name, jerr, secShort(tok))
			return
		}
		if tally != nil {
			tally.mu.Lock()
			for _, l := range limits {
				tally.jwxLimits[l]++
			}
			tally.mu.Unlock()
		}
	case err == nil:
		if e := diffSameClaims(claims, theirs); e != nil {
			t.Errorf("(a) %s: claims differ from jwx's: %v\ntoken %s", v.name, e, secShort(tok))
		}
	case jerr == nil:
		rules := diffStricter(tok, v)
		for _, r := range rules {
			if errors.Is(err, r.err) {
				if tally != nil {
					tally.mu.Lock()
					tally.stricter[fmt.Sprintf("%-22s %s", strings.TrimPrefix(r.err.Error(), "jwtauth: "), r.why)]++
					tally.mu.Unlock()
				}
				return
			}
		}
		t.Errorf("(b) %s: jwx accepts, we reject with %q, and no documented stricter rule gives that error (rules that apply: %v)\ntoken %s",
			v.name, err, rules, secShort(tok))
	}
}

// diffCase is one token for one verifier.
type diffCase struct {
	v     *secVerifier
	token string
}

type diffVectorFile struct {
	Keys map[string]struct {
		Kty       string `json:"kty"`
		Secret    string `json:"secret"`
		PublicPEM string `json:"public_pem"`
	} `json:"keys"`
	Tokens []struct {
		Alg           string `json:"alg"`
		Key           string `json:"key"`
		Token         string `json:"token"`
		VerifyOptions struct {
			Leeway   int    `json:"leeway_seconds"`
			Issuer   string `json:"expected_issuer"`
			Audience string `json:"expected_audience"`
		} `json:"verify_options"`
	} `json:"tokens"`
	Configs map[string]struct {
		Algorithms []string        `json:"algorithms"`
		Secret     string          `json:"secret"`
		PublicPEM  string          `json:"public_pem"`
		JWKS       json.RawMessage `json:"jwks"`
		Issuer     string          `json:"expected_issuer"`
		Audience   string          `json:"expected_audience"`
	} `json:"verifier_configs"`
	Controls []struct {
		Config string `json:"config"`
		Token  string `json:"token"`
	} `json:"controls"`
	Attacks []struct {
		Config string `json:"config"`
		Token  string `json:"token"`
	} `json:"attacks"`
}

// diffVerifierOf builds a verifier (with the fixed clock) for testdata.
func diffVerifierOf(name, alg, secret, publicPEM string, jwks []byte, iss, aud string, leeway int) (*secVerifier, error) {
	v := &secVerifier{name: name, alg: alg}
	v.cfg = jwtauth.Config{Issuer: iss, Audience: aud, Leeway: secSeconds(leeway), Now: secClock}
	switch {
	case len(jwks) > 0:
		v.cfg.Keys = jwtauth.KeySet(jwks)
		set, err := jwk.Parse(jwks)
		if err != nil {
			return nil, err
		}
		v.set, v.alg = set, ""
	case secret != "":
		v.cfg.Keys = jwtauth.SecretKey(alg, []byte(secret))
		v.key = []byte(secret)
	default:
		block, _ := pem.Decode([]byte(publicPEM))
		if block == nil {
			return nil, errors.New("no PEM")
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		v.cfg.Keys = jwtauth.PublicKey(alg, pub)
		v.key = pub
	}
	m, err := jwtauth.New(v.cfg)
	if err != nil {
		return nil, err
	}
	v.mw = m
	return v, nil
}

// diffVectors returns the tokens of testdata/ with their verifiers.
var diffVectors = sync.OnceValues(func() ([]diffCase, error) {
	var cases []diffCase
	var interop, attacks diffVectorFile
	for name, dst := range map[string]*diffVectorFile{"interop_tokens.json": &interop, "attack_tokens.json": &attacks} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, dst); err != nil {
			return nil, err
		}
	}
	for i, tk := range interop.Tokens {
		k := interop.Keys[tk.Key]
		v, err := diffVerifierOf("interop-"+strconv.Itoa(i), tk.Alg, k.Secret, k.PublicPEM, nil,
			tk.VerifyOptions.Issuer, tk.VerifyOptions.Audience, tk.VerifyOptions.Leeway)
		if err != nil {
			return nil, fmt.Errorf("interop token %d: %w", i, err)
		}
		cases = append(cases, diffCase{v, tk.Token})
	}
	verifiers := map[string]*secVerifier{}
	for name, c := range attacks.Configs {
		v, err := diffVerifierOf("vectors-"+name, c.Algorithms[0], c.Secret, c.PublicPEM, c.JWKS, c.Issuer, c.Audience, 0)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", name, err)
		}
		verifiers[name] = v
	}
	for _, c := range attacks.Controls {
		cases = append(cases, diffCase{verifiers[c.Config], c.Token})
	}
	for _, a := range attacks.Attacks {
		cases = append(cases, diffCase{verifiers[a.Config], a.Token})
	}
	return cases, nil
})

// diffHeaders and diffPayloads are the JSON texts of the generated corpus:
// each header with each payload, HMAC-signed with the real secret.
func diffHeaders() []string {
	f := secFix()
	attJWK := string(secMust(json.Marshal(secMust(jwk.Import(&f.k.p256Attacker.PublicKey)))))
	var m32, m33 strings.Builder
	for i := range 31 {
		fmt.Fprintf(&m32, `,"h%d":%d`, i, i)
	}
	for i := range 32 {
		fmt.Fprintf(&m33, `,"h%d":%d`, i, i)
	}
	return []string{
		`{"alg":"HS256"}`, `{"alg":"HS256","typ":"JWT"}`, `{"typ":"JWT","alg":"HS256"}`, ` {"alg" : "HS256"} `,
		`{"alg":"HS256","typ":"at+jwt"}`, `{"alg":"HS256","typ":"application/at+jwt"}`, `{"alg":"HS256","typ":"AT+JWT"}`,
		`{"alg":"HS256","typ":"refresh+jwt"}`, `{"alg":"HS256","typ":"application/refresh+jwt"}`,
		`{"alg":"HS256","typ":1}`, `{"alg":"HS256","typ":null}`, `{"alg":"HS256","typ":""}`,
		`{"alg":"HS256","kid":"k1"}`, `{"alg":"HS256","kid":""}`, `{"alg":"HS256","kid":5}`, `{"alg":"HS256","kid":null}`,
		`{"alg":"HS256","cty":"JWT"}`, `{"alg":"HS256","cty":"application/jwt"}`, `{"alg":"HS256","cty":"json"}`, `{"alg":"HS256","cty":null}`,
		`{"alg":"HS256","crit":["exp"],"exp":1}`, `{"alg":"HS256","crit":["b64"],"b64":true}`, `{"alg":"HS256","crit":[]}`,
		`{"alg":"HS256","b64":true}`, `{"alg":"HS256","zip":"DEF"}`, `{"alg":"HS256","enc":"A128GCM"}`,
		`{"alg":"HS256","CRIT":["x"],"Zip":"DEF","B64":false}`,
		`{"alg":"HS256","alg":"HS256"}`, `{"alg":"HS256","ALG":"HS256"}`, `{"alg":"HS256","Typ":"JWT","typ":"JWT"}`,
		`{"alg":"HS256","alg":"none"}`, `{"alg":"none","alg":"HS256"}`,
		`{"\u0061lg":"HS256"}`, `{"alg":"HS\u0032\u00356"}`, `{"alg":"HS256","\u0061lg":"HS256"}`,
		`{"alg":"HS256","jwk":` + attJWK + `}`, `{"alg":"HS256","jku":"http://127.0.0.1:9/"}`, `{"alg":"HS256","x5c":["AAAA"]}`,
		`{"alg":"HS256","x":"` + "\xff" + `"}`, `{"alg":"HS256","x":"\ud800"}`,
		`{"alg":"HS256","x":` + strings.Repeat("[", 33) + strings.Repeat("]", 33) + `}`,
		`{"alg":"HS256","x":` + strings.Repeat("[", 33) + "0" + strings.Repeat("]", 33) + `}`,
		`{"alg":"HS256","x":` + strings.Repeat("[", 32) + "0" + strings.Repeat("]", 32) + `}`,
		`{"alg":"HS256"` + m32.String() + `}`, `{"alg":"HS256"` + m33.String() + `}`,
		`{"alg":"HS256"}x`, `{"alg":"HS256"}{}`, `["HS256"]`, `{"alg":"none"}`, `{"alg":"HS384"}`, `{"alg":"hs256"}`, `{}`,
		`{"alg":["HS256"]}`, `{"alg":null}`,
	}
}

func diffPayloads() []string {
	far := strconv.Itoa(secFar)
	now := int(secNow.Unix())
	n := func(d int) string { return strconv.Itoa(now + d) }
	iss := `"iss":"` + secIss + `","aud":"` + secAud + `"`
	var c256, c257 strings.Builder
	for i := range 254 {
		fmt.Fprintf(&c256, `,"c%d":%d`, i, i)
	}
	for i := range 255 {
		fmt.Fprintf(&c257, `,"c%d":%d`, i, i)
	}
	p := []string{
		`{"sub":"alice","exp":` + far + `}`,
		`{` + iss + `,"sub":"alice","exp":` + far + `}`,
		`{"iss":"` + secIss + `","aud":["x","` + secAud + `"],"exp":` + far + `}`,
		`{"iss":"` + secIss + `","aud":["x"],"exp":` + far + `}`,
		`{"iss":"` + secIss + `","aud":[],"exp":` + far + `}`,
		`{"iss":"` + strings.ToUpper(secIss) + `","aud":"` + secAud + `","exp":` + far + `}`,
		`{"iss":null,"aud":"` + secAud + `","exp":` + far + `}`,
		`{"iss":"` + secIss + `","aud":null,"exp":` + far + `}`,
		`{"iss":"` + secIss + `","aud":["` + secAud + `",null],"exp":` + far + `}`,
		`{"iss":"` + secIss + `","aud":1,"exp":` + far + `}`,
		`{` + iss + `,"exp":` + far + `,"nbf":` + n(0) + `,"iat":` + n(0) + `,"jti":"j1"}`,
		`{"exp":` + n(0) + `}`, `{"exp":` + n(1) + `}`, `{"exp":` + n(-1) + `}`, `{"exp":` + n(-29) + `}`, `{"exp":` + n(-30) + `}`,
		`{"exp":` + n(0) + `.5}`, `{"exp":` + n(1) + `.0001}`, `{"exp":` + n(0) + `.9999999999}`,
		`{"exp":0}`, `{"exp":-1}`, `{"exp":-0}`, `{"exp":-0.5}`, `{"exp":0.9999999999}`, `{"exp":1.5e9}`, `{"exp":4.1e9}`, `{"exp":4.1E+9}`,
		`{"exp":1e300}`, `{"exp":9.3e18}`, `{"exp":1e19}`, `{"exp":9223372036854775807}`, `{"exp":1e400}`, `{"exp":-1e400}`, `{"exp":1e-400}`,
		`{"exp":"` + far + `"}`, `{"exp":"2100-01-01T00:00:00Z"}`, `{"exp":true}`, `{"exp":null}`, `{"exp":[` + far + `]}`, `{"exp":{}}`,
		`{"sub":"alice"}`, `{}`,
		`{"exp":` + far + `,"nbf":` + n(1) + `}`, `{"exp":` + far + `,"nbf":` + n(30) + `}`, `{"exp":` + far + `,"nbf":` + n(31) + `}`,
		`{"exp":` + far + `,"nbf":` + n(0) + `.5}`, `{"exp":` + far + `,"nbf":-1e19}`, `{"exp":` + far + `,"nbf":-1.5}`,
		`{"exp":` + far + `,"nbf":"` + n(-10) + `"}`, `{"exp":` + far + `,"nbf":"2001-01-01T00:00:00Z"}`, `{"exp":` + far + `,"nbf":null}`,
		`{"exp":` + far + `,"iat":` + n(1) + `}`, `{"exp":` + far + `,"iat":` + n(30) + `}`, `{"exp":` + far + `,"iat":"` + n(0) + `"}`,
		`{"exp":` + far + `,"exp":` + n(-1) + `}`, `{"exp":` + n(-1) + `,"EXP":` + far + `}`, `{"exp":` + n(-1) + `,"\u0065xp":` + far + `}`,
		`{"\u0065xp":` + far + `}`, `{"EXP":` + far + `}`,
		`{"exp":` + far + `,"sub":"a","Sub":"b"}`, `{"exp":` + far + `,"sub":"a","ſub":"b"}`, `{"exp":` + far + `,"role":"a","ROLE":"b"}`,
		`{"exp":` + far + `,"sub":1}`, `{"exp":` + far + `,"sub":null}`, `{"exp":` + far + `,"jti":{}}`, `{"exp":` + far + `,"jti":null}`,
		`{"exp":` + far + `}x`, `{"exp":` + far + `}{}`, `{"exp":` + far + `} `, `[{"exp":` + far + `}]`, `"x"`, `null`,
		`{"exp":` + far + `,"x":` + strings.Repeat("[", 32) + "1" + strings.Repeat("]", 32) + `}`,
		`{"exp":` + far + `,"x":` + strings.Repeat("[", 33) + "1" + strings.Repeat("]", 33) + `}`,
		`{"exp":` + far + `,"x":` + strings.Repeat("[", 33) + strings.Repeat("]", 33) + `}`,
		`{"sub":"a","exp":` + far + c256.String() + `}`, `{"sub":"a","exp":` + far + c257.String() + `}`,
		`{"exp":` + far + `,"x":"` + "\xff" + `"}`, `{"exp":` + far + `,"x":"\ud800"}`, "\ufeff" + `{"exp":` + far + `}`,
		`{"exp":` + far + `,"aud":""}`, `{"exp":` + far + `,"aud":[""]}`, `{"exp":` + far + `,"iss":"","sub":"","jti":""}`,
		`{"exp":` + far + `,"sub":"a\u0062c","iss":"\"q\"","jti":"\ud83d\ude00"}`,
		`{"exp":` + far + `,"x":null}`, `{"exp":` + far + `,"x":1e400}`, `{"exp":` + far + `,"x":[1e400]}`, `{"exp":` + far + `,"x":12345678901234567890}`,
		`{"exp":` + far + `,"kty":"RSA"}`, `{"exp":` + far + `,"keys":[]}`, `{"exp":` + far + `,"ciphertext":"x"}`,
		`{"exp":` + far + `,"signatures":[],"payload":"x"}`, `{"exp":` + far + `,"KTY":1}`, `{"exp":` + far + `,"kty":"RSA","aud":"x"}`,
		`{"exp":` + far + `,"scope":"a b","scp":["c"],"obj":{"a":{"b":[true,false,null,1.5,"s"]}},"s":"\u00e9\ud83d\ude00\u0000"}`,
		"{\n\t\"exp\" : " + far + " ,\r\n \"aud\" : [ \"a\" , \"b\" ] }",
	}
	return p
}

// diffMutations returns variants of tok: each byte replaced by one of a few
// others or case-flipped, every third byte deleted, and a few additions.
func diffMutations(tok string) []string {
	var out []string
	repl := []byte{'A', '_', '-', '.', '=', '+', ' '}
	for i := range len(tok) {
		if c := repl[i%len(repl)]; tok[i] != c {
			out = append(out, tok[:i]+string(c)+tok[i+1:])
		}
		out = append(out, tok[:i]+string(tok[i]^0x20)+tok[i+1:])
		if i%3 == 0 {
			out = append(out, tok[:i]+tok[i+1:])
		}
	}
	return append(out, tok+"=", tok+"\n", " "+tok, tok+".", tok+"A")
}

// diffCorpus is every token of the differential test: testdata/, the
// attacks and controls, mutations of valid tokens, and HMAC-signed
// combinations of diffHeaders and diffPayloads (every header with a few
// payloads, every payload with a few headers).
func diffCorpus(t testing.TB) []diffCase {
	f := secFix()
	var cases []diffCase
	vectors, err := diffVectors()
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, vectors...)
	for _, a := range secAttacks("http://127.0.0.1:9/.well-known/jwks.json") {
		cases = append(cases, diffCase{f.v[a.v], a.token})
	}
	for _, c := range secValids() {
		cases = append(cases, diffCase{f.v[c.v], c.token})
	}
	for _, name := range []string{"hs", "es", "ed"} {
		var tok string
		for _, c := range secValids() {
			if c.v == name {
				tok = c.token
				break
			}
		}
		for _, m := range diffMutations(tok) {
			cases = append(cases, diffCase{f.v[name], m})
		}
	}
	headers, payloads := diffHeaders(), diffPayloads()
	others := []string{"hsIssAud", "hsLeeway", "hsAt", "jwks"}
	n := 0
	pair := func(h, p string) {
		tok := secHS(h, p)
		cases = append(cases, diffCase{f.v["hs"], tok}, diffCase{f.v[others[n%len(others)]], tok})
		n++
	}
	for i, h := range headers {
		for j := range 6 {
			pair(h, payloads[(i*7+j*13)%len(payloads)])
		}
		pair(h, payloads[0])
		pair(h, payloads[1])
	}
	for i, p := range payloads {
		for j := range 5 {
			pair(headers[(i*5+j*11)%len(headers)], p)
		}
		pair(headers[0], p)
		pair(headers[1], p)
	}
	return cases
}

func TestDifferential(t *testing.T) {
	tally := newDiffTally()
	cases := diffCorpus(t)
	// Two workers: the corpus is large and every case is independent.
	var wg sync.WaitGroup
	ch := make(chan diffCase)
	for range 2 {
		wg.Go(func() {
			for c := range ch {
				diffCheck(t, c.v, c.token, tally)
			}
		})
	}
	for _, c := range cases {
		ch <- c
	}
	close(ch)
	wg.Wait()
	tally.log(t)
	if tally.accepted < 100 {
		t.Errorf("only %d tokens accepted by both: the corpus is not exercising valid tokens", tally.accepted)
	}
}

// FuzzDifferential: arbitrary token strings, seeded with valid tokens and the
// forged ones, against the HS256, ES256 and JWK Set verifiers. Property (a)
// and (b) must hold for every input.
func FuzzDifferential(f *testing.F) {
	for _, c := range secValids() {
		f.Add(c.token)
	}
	vectors, err := diffVectors()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range vectors {
		f.Add(c.token)
	}
	for _, a := range secAttacks("http://127.0.0.1:9/") {
		if len(a.token) < 4096 {
			f.Add(a.token)
		}
	}
	fx := secFix()
	f.Fuzz(func(t *testing.T, tok string) {
		for _, name := range []string{"hs", "es", "jwks", "hsIssAud"} {
			diffCheck(t, fx.v[name], tok, nil)
		}
	})
}

// FuzzDifferentialSigned: arbitrary header and claims JSON, signed with the
// real HS256 secret, so the fuzzer explores how the two parsers read JSON
// behind a valid signature.
func FuzzDifferentialSigned(f *testing.F) {
	hs := diffHeaders()
	ps := diffPayloads()
	for i, p := range ps {
		f.Add(hs[i%len(hs)], p)
	}
	for i, h := range hs {
		f.Add(h, ps[i%len(ps)])
	}
	fx := secFix()
	f.Fuzz(func(t *testing.T, header, payload string) {
		tok := secHS(header, payload)
		for _, name := range []string{"hs", "hsIssAud", "hsLeeway", "hsAt", "jwks"} {
			diffCheck(t, fx.v[name], tok, nil)
		}
	})
}

func secSeconds(n int) time.Duration { return time.Duration(n) * time.Second }
