package jwtauth

import (
	"net/http"
	"strings"
)

// extract finds the request's one token: from the Authorization header
// (RFC 6750 §2.1) or, when Config.Cookie is set, from that cookie. Never from
// the URL query (RFC 6750 §2.3 "SHOULD NOT") or the body.
//
// The auth-scheme is matched case-insensitively (RFC 9110 §11.1) and may be
// followed by one or more spaces (the grammar is 1*SP). A header with another
// scheme (Basic, say) is not a bearer credential and counts as none. A Bearer
// header that does not hold exactly one b64token (RFC 6750 §2.1) is
// malformed.
//
// With deferCheck, the b64token check of a token from the header is left
// to the caller, which passes it on to verifyObserved: a token the cache
// holds verified is a compact JWS, so a hit need not read it byte by byte
// a second time, and a miss checks it before anything else.
func (m *Middleware) extract(r *http.Request, deferCheck bool) (token string, fromCookie bool, err error) {
	switch vals := r.Header["Authorization"]; len(vals) {
	case 0:
	case 1:
		if deferCheck {
			token, err = bearerCredential(vals[0])
		} else {
			token, err = BearerToken(vals[0])
		}
		switch {
		case err == ErrMissingToken:
			token = ""
		case err != nil:
			return "", false, err
		}
	default:
		return "", false, ErrMultipleTokens
	}
	if m.cfg.Cookie == "" {
		if token == "" {
			return "", false, ErrMissingToken
		}
		return token, false, nil
	}
	cookies := r.CookiesNamed(m.cfg.Cookie)
	switch {
	case len(cookies) > 1:
		return "", false, ErrMultipleTokens
	case len(cookies) == 0 || cookies[0].Value == "":
		if token == "" {
			return "", false, ErrMissingToken
		}
		return token, false, nil
	case token != "":
		if cookies[0].Value != token {
			return "", false, ErrMultipleTokens
		}
		// The same token by both methods: the header is what counts, and a
		// header cannot be set by a cross-site form.
		return token, false, nil
	}
	if !isB64Token(cookies[0].Value) {
		return "", false, ErrMalformedHeader
	}
	return cookies[0].Value, true, nil
}

// BearerToken returns the token of an Authorization header value (RFC 6750
// §2.1), for callers that are not HTTP handlers: gRPC metadata, a WebSocket
// message, a queue's headers. The scheme is matched case-insensitively and
// may be followed by one or more spaces; another scheme (Basic, say), or an
// empty value, gives [ErrMissingToken]; a Bearer value that is not exactly
// one b64token gives [ErrMalformedHeader]. Several header values are the
// caller's to refuse, with [ErrMultipleTokens].
func BearerToken(authorization string) (string, error) {
	token, err := bearerCredential(authorization)
	if err != nil {
		return "", err
	}
	if !isB64Token(token) {
		return "", ErrMalformedHeader
	}
	return token, nil
}

// bearerCredential is BearerToken without the b64token check of what
// follows the scheme, which the caller makes: [ErrMissingToken] for another
// scheme, [ErrMalformedHeader] for nothing after it.
func bearerCredential(authorization string) (string, error) {
	scheme, rest, _ := strings.Cut(authorization, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrMissingToken
	}
	token := strings.TrimLeft(rest, " ")
	if token == "" {
		return "", ErrMalformedHeader
	}
	return token, nil
}

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s) && b64TokenChar[s[i]]; i++ {
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// b64TokenChar holds the characters of RFC 6750's b64token but '='. A table
// rather than comparisons: a token's characters are random, and branching on
// their class costs a mispredicted branch every few bytes.
var b64TokenChar = func() (t [256]bool) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/") {
		t[c] = true
	}
	return t
}()
