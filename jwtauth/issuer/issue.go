package issuer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
)

// registered are the claim names the Issuer sets itself.
var registered = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "gen", "fresh", "cnf"}

// maxClaims is jwtauth's bound on the claims of a token.
const maxClaims = 256

// Issue returns a signed access token for subject, with the private claims
// in claims (which may be nil). It sets iss and aud as configured, sub, iat
// and nbf to now, exp to now + TTL, a random jti, "fresh": true, and the kid
// header. The subject may be empty (a token without sub); otherwise it must
// be valid UTF-8 of at most [MaxSubjectLength] bytes without control
// characters ([ErrSubject]). Claim names must be non-empty valid UTF-8
// without control characters, must not be one of the names the Issuer sets,
// and must not differ from one another only in case; values must marshal to
// JSON that a verifier accepts ([ErrReservedClaim]). A token that would be
// larger than a verifier's default limit is refused ([ErrTooLarge]).
//
// In fleet mode (Config.Rotation), an Issuer that is not [Issuer.Ready]
// fails with [ErrNotReady].
//
// Issue does no I/O; a ctx already done makes it return ctx.Err() without
// signing, which matters for a signer backed by a KMS.
//
// A token from Issue has no refresh token and no session. [Issuer.Logout]
// revokes it by its jti, and [Issuer.RevokeSubject] with all others of its
// subject; see [Issuer.Login] for the tokens of a login.
func (i *Issuer) Issue(ctx context.Context, subject string, claims map[string]any) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if subject != "" {
		if err := checkSubject(subject); err != nil {
			return "", err
		}
	}
	raw, err := i.encodeClaims(claims)
	if err != nil {
		return "", err
	}
	st, err := i.signing(false)
	if err != nil {
		return "", err
	}
	now := i.cfg.Now()
	return i.signAccess(st, subject, raw, "", now, now.Add(i.cfg.TTL), true, "")
}

// checkSubject enforces the rules on subjects.
func checkSubject(subject string) error {
	if subject == "" || len(subject) > MaxSubjectLength || !utf8.ValidString(subject) || hasControl(subject) {
		return ErrSubject
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) })
}

// signAccess signs an access token of subject with the private claims raw
// (a JSON object, or nil), bound to the DPoP key of thumbprint jkt when it
// is not "".
func (i *Issuer) signAccess(st *state, subject string, raw json.RawMessage, sid string, now, exp time.Time, fresh bool, jkt string) (string, error) {
	p := i.payload(subject, now, exp)
	p = appendMember(p, "jti", randomID())
	if sid != "" {
		p = appendMember(p, "sid", sid)
	}
	p = appendCnf(p, jkt)
	if fresh {
		p = append(p, `,"fresh":true`...)
	}
	return sign(st.active, closePayload(p, raw))
}

// payload starts a payload with the registered claims every token has.
func (i *Issuer) payload(subject string, now, exp time.Time) []byte {
	p := make([]byte, 0, 256)
	p = append(p, `{"iat":`...)
	p = strconv.AppendInt(p, now.Unix(), 10)
	p = append(p, `,"nbf":`...)
	p = strconv.AppendInt(p, now.Unix(), 10)
	p = append(p, `,"exp":`...)
	p = strconv.AppendInt(p, exp.Unix(), 10)
	if i.cfg.Issuer != "" {
		p = appendMember(p, "iss", i.cfg.Issuer)
	}
	if i.cfg.Audience != "" {
		p = appendMember(p, "aud", i.cfg.Audience)
	}
	if subject != "" {
		p = appendMember(p, "sub", subject)
	}
	return p
}

// appendMember appends ,"name":"value", value JSON-encoded.
func appendMember(p []byte, name, value string) []byte {
	v, _ := json.Marshal(value) // a string always marshals
	p = append(p, `,"`...)
	p = append(p, name...)
	p = append(p, `":`...)
	return append(p, v...)
}

// closePayload appends the members of raw (a JSON object, or nil) and
// closes the object.
func closePayload(p []byte, raw json.RawMessage) []byte {
	if inner := bytes.TrimSpace(raw); len(inner) > 2 {
		p = append(p, ',')
		p = append(p, inner[1:len(inner)-1]...)
	}
	return append(p, '}')
}

// encodeClaims checks claims and encodes them as a JSON object, once: from
// then on the session keeps these bytes, so a refresh never changes a value
// (an integer above 2^53 stays exact). nil or empty claims give nil.
func (i *Issuer) encodeClaims(claims map[string]any) (json.RawMessage, error) {
	if len(claims) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(claims))
	for name := range claims {
		if name == "" || !utf8.ValidString(name) || hasControl(name) {
			return nil, ErrReservedClaim
		}
		for _, r := range registered {
			if strings.EqualFold(name, r) {
				return nil, ErrReservedClaim
			}
		}
		for _, prev := range names {
			if strings.EqualFold(prev, name) {
				return nil, ErrReservedClaim
			}
		}
		names = append(names, name)
	}
	if len(names) > maxClaims-len(registered) {
		return nil, ErrReservedClaim
	}
	slices.Sort(names)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	b.WriteByte('{')
	for k, name := range names {
		if k > 0 {
			b.WriteByte(',')
		}
		enc.Encode(name) // a valid string always encodes
		b.Truncate(b.Len() - 1)
		b.WriteByte(':')
		if err := enc.Encode(claims[name]); err != nil {
			return nil, fmt.Errorf("%w: %q does not marshal to JSON: %w", ErrReservedClaim, name, err)
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	raw := json.RawMessage(b.Bytes())
	if base64.RawURLEncoding.EncodedLen(len(raw)) > maxTokenSize {
		return nil, ErrTooLarge // and sign checks the whole token
	}
	// What the verifiers will read, read now: a number beyond float64,
	// nesting too deep, would make every token of the session unusable.
	if _, err := i.checker.Verify(context.Background(), i.checkToken(raw)); err != nil {
		return nil, fmt.Errorf("%w: a verifier would refuse the claims", ErrReservedClaim)
	}
	return raw, nil
}

// checkToken makes a token of raw for i.checker, a verifier with a key of
// its own: what jwtauth's reader accepts of claims, the Issuer mints.
func (i *Issuer) checkToken(raw json.RawMessage) string {
	p := closePayload([]byte(`{"exp":4102444800`), raw)
	tok, _ := sign(i.checkSigner, p)
	return tok
}

// sign signs payload with s.
func sign(s *signer, payload []byte) (string, error) {
	input := make([]byte, 0, len(s.header)+1+base64.RawURLEncoding.EncodedLen(len(payload))+1+700)
	input = append(input, s.header...)
	input = append(input, '.')
	input = base64.RawURLEncoding.AppendEncode(input, payload)
	sig, err := jwsbb.Sign(s.key, s.alg, input, rand.Reader)
	if err != nil {
		return "", fmt.Errorf("issuer: signing failed: %w", err)
	}
	input = append(input, '.')
	input = base64.RawURLEncoding.AppendEncode(input, sig)
	if len(input) > maxTokenSize {
		return "", ErrTooLarge
	}
	return string(input), nil
}

// randomID returns 128 random bits, base64url-encoded.
func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
