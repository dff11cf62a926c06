package jwtauth_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// The hot path skips work on a cache hit that a miss does: the b64token scan
// of the Authorization header, the hash of the whole token, the key lookup
// when the key set is unchanged. Each row here is a way to try to get a
// request through on the strength of a cached token that the full pipeline
// would refuse, or to get a different answer than the pipeline gives.
func TestHotPathAttacks(t *testing.T) {
	clk := &clock{now: time.Unix(1_900_000_000, 0)}
	now := clk.now.Unix()
	tok := kitRawHS256(kitSecret, `{"alg":"HS256","typ":"JWT"}`,
		fmt.Sprintf(`{"sub":"u","iat":%d,"exp":%d,"aud":["api","account"]}`, now, now+60))
	mw := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Audience: "api", Now: clk.Now, MaxTokenSize: 4096})
	authenticate := func(auth ...string) error {
		r := httptest.NewRequest("GET", "/items", nil)
		for _, a := range auth {
			r.Header.Add("Authorization", a)
		}
		_, err := mw.Authenticate(r)
		return err
	}
	// Cached: noted, admitted, then answered from the cache.
	for range 3 {
		if err := authenticate("Bearer " + tok); err != nil {
			t.Fatalf("valid token: %v", err)
		}
	}
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	for _, c := range []struct {
		name string
		auth []string
		want error
	}{
		{"the cached token", []string{"Bearer " + tok}, nil},
		{"scheme in another case, spaces after it", []string{"bEARER   " + tok}, nil},
		{"cached token and a space", []string{"Bearer " + tok + " "}, jwtauth.ErrMalformedHeader},
		{"cached token and a tab", []string{"Bearer " + tok + "\t"}, jwtauth.ErrMalformedHeader},
		{"cached token, a comma and another", []string{"Bearer " + tok + "," + tok}, jwtauth.ErrMalformedHeader},
		{"cached token and a second credential", []string{"Bearer " + tok + " Bearer " + tok}, jwtauth.ErrMalformedHeader},
		{"cached token and a NUL", []string{"Bearer " + tok + "\x00"}, jwtauth.ErrMalformedHeader},
		{"cached token and padding", []string{"Bearer " + tok + "="}, jwtauth.ErrTokenMalformed},
		{"cached token twice in two headers", []string{"Bearer " + tok, "Bearer " + tok}, jwtauth.ErrMultipleTokens},
		{"nothing after the scheme", []string{"Bearer "}, jwtauth.ErrMalformedHeader},
		{"another scheme with the cached token", []string{"Basic " + tok}, jwtauth.ErrMissingToken},
		{"oversized, not a b64token", []string{"Bearer " + strings.Repeat("a b", 2000)}, jwtauth.ErrMalformedHeader},
		{"oversized b64token", []string{"Bearer " + strings.Repeat("a", 5000)}, jwtauth.ErrTokenTooLarge},
		// The cache hashes the end of a token: tokens that share it with
		// the cached one, and its length, must still be compared whole.
		{"another payload, the cached signature", []string{"Bearer " + swapPayload(tok, `{"sub":"admin","exp":99999999999}`) + "." + sig}, jwtauth.ErrSignature},
		{"the cached token, one byte changed at the start", []string{"Bearer " + "f" + tok[1:]}, jwtauth.ErrTokenMalformed},
		{"the cached token, a payload byte changed", []string{"Bearer " + flipAt(tok, strings.IndexByte(tok, '.')+10)}, jwtauth.ErrSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := authenticate(c.auth...)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("Authenticate: %v, want %v", err, c.want)
			}
		})
	}
	// Expiry on the hit path, second by second, with a leeway that is not
	// a whole number of seconds: expired when now ≥ exp + leeway.
	lw := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Audience: "api", Now: clk.Now, Leeway: 1500 * time.Millisecond})
	for range 3 {
		if _, err := lw.Verify(t.Context(), tok); err != nil {
			t.Fatalf("warming: %v", err)
		}
	}
	for _, c := range []struct {
		at      int64 // seconds after exp
		nanos   int64
		expired bool
	}{
		{-1, 0, false}, {0, 0, false}, {1, 0, false}, {1, 999_999_999, false},
		{2, 0, true}, {3, 0, true}, {1 << 40, 0, true},
	} {
		for _, m := range []*jwtauth.Middleware{mw, lw} {
			clk.now = time.Unix(now+60+c.at, c.nanos)
			_, err := m.Verify(t.Context(), tok)
			want := c.expired
			if m == mw {
				want = c.at >= 0 // no leeway
			}
			if got := errors.Is(err, jwtauth.ErrTokenExpired); got != want || !got && err != nil {
				t.Errorf("exp%+ds+%dns, leeway %v: %v, want expired %v", c.at, c.nanos, m == lw, err, want)
			}
		}
	}
	// iat and nbf in the future, within and beyond the leeway.
	clk.now = time.Unix(now, 0)
	fut := kitRawHS256(kitSecret, `{"alg":"HS256"}`,
		fmt.Sprintf(`{"sub":"u","nbf":%d,"exp":%d,"aud":"api"}`, now+2, now+60))
	for _, c := range []struct {
		m    *jwtauth.Middleware
		at   int64
		want error
	}{
		{mw, 0, jwtauth.ErrTokenNotYetValid}, {mw, 1, jwtauth.ErrTokenNotYetValid}, {mw, 2, nil},
		{lw, 0, jwtauth.ErrTokenNotYetValid}, {lw, 1, nil}, {lw, -(1 << 40), jwtauth.ErrTokenNotYetValid},
	} {
		clk.now = time.Unix(now+c.at, 0)
		for range 3 { // through the cache once it holds the token
			if _, err := c.m.Verify(t.Context(), fut); c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("nbf at +%ds (leeway %v): %v, want %v", c.at, c.m == lw, err, c.want)
			}
		}
	}
}

// swapPayload returns the header segment of tok and payload encoded, as the
// first two segments of a token.
func swapPayload(tok, payload string) string {
	h, _, _ := strings.Cut(tok, ".")
	return h + "." + secB64(payload)
}

// flipAt returns tok with the base64url character at i replaced by another.
func flipAt(tok string, i int) string {
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
