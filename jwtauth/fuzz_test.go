package jwtauth_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
)

// Fuzz targets for the request and token parsers. Their seed corpora (the
// tokens of testdata/ and of attacks_test.go) run as ordinary tests.

// fuzzSeedTokens are the tokens every target starts from.
func fuzzSeedTokens(f *testing.F) []string {
	var out []string
	for _, c := range secValids() {
		out = append(out, c.token)
	}
	for _, a := range secAttacks("http://127.0.0.1:9/") {
		if len(a.token) < 2048 {
			out = append(out, a.token)
		}
	}
	vectors, err := diffVectors()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range vectors {
		if len(c.token) < 2048 {
			out = append(out, c.token)
		}
	}
	return out
}

// fuzzChallenge is the grammar of every WWW-Authenticate the package may
// send: fixed codes, and descriptions in the RFC 6750 §3 charset.
var fuzzChallenge = regexp.MustCompile(`^Bearer realm="api"(, error="(invalid_request|invalid_token|insufficient_scope)", error_description="[\x20\x21\x23-\x5b\x5d-\x7e]*")?(, scope="[\x20\x21\x23-\x5b\x5d-\x7e]*")?$`)

var fuzzDescription = regexp.MustCompile(`^[\x20\x21\x23-\x5b\x5d-\x7e]{1,100}$`)

// FuzzAuthorizationHeader drives Authenticate and Handler with arbitrary
// Authorization and Cookie headers. Properties: no panic; claims if and only
// if no error; every error is one of the package's; its status is 400, 401
// or 403; the response carries nothing but fixed text.
func FuzzAuthorizationHeader(f *testing.F) {
	for i, tok := range fuzzSeedTokens(f) {
		f.Add("Bearer "+tok, "", uint8(i))
		if i%4 == 0 {
			f.Add("", tok, uint8(i))
			f.Add("bearer  "+tok, tok, uint8(i))
		}
	}
	for _, h := range []string{"", "Bearer", "Bearer ", "Bearer  ", "bearer x", "BEARER a.b.c", "Bearer a.b.c extra", "Basic dXNlcjpwYXNz",
		"Bearer\ta.b.c", "Bearer a.b.c=", "Bearer ~+/=", "Bearer ====", "Bearer =a", "Token a.b.c", "Bearer\x00", "Bearer é", " Bearer a.b.c"} {
		f.Add(h, "", uint8(0))
		f.Add(h, "a.b.c", uint8(0x20))
	}
	fx := secFix()
	plain := fx.v["hs"].mw
	withCookie, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(secTestKeys().hs256), Now: secClock, Cookie: "at"})
	if err != nil {
		f.Fatal(err)
	}
	methods := []string{"GET", "POST", "PUT", "HEAD"}
	f.Fuzz(func(t *testing.T, authz, cookie string, flags uint8) {
		newRequest := func() *http.Request {
			r := httptest.NewRequest(methods[flags&3], "/", nil)
			if flags&4 == 0 {
				r.Header["Authorization"] = []string{authz}
				if flags&8 != 0 {
					r.Header["Authorization"] = append(r.Header["Authorization"], authz)
				}
			}
			if flags&16 != 0 {
				r.Header.Set("Sec-Fetch-Site", "cross-site")
			}
			if flags&32 == 0 {
				r.Header["Cookie"] = []string{"at=" + cookie}
				if flags&64 != 0 {
					r.Header["Cookie"] = append(r.Header["Cookie"], "at="+cookie)
				}
			}
			return r
		}
		for _, m := range []*jwtauth.Middleware{plain, withCookie} {
			claims, err := m.Authenticate(newRequest())
			if (err == nil) != (claims != nil) {
				t.Fatalf("Authenticate: claims %v, error %v", claims, err)
			}
			status := http.StatusNoContent
			if err != nil {
				if !secAllowed(err) {
					t.Fatalf("error %q matches none of the package's errors", err)
				}
				status = jwtauth.StatusCode(err)
				if status != http.StatusBadRequest && status != http.StatusUnauthorized && status != http.StatusForbidden {
					t.Fatalf("StatusCode(%q) = %d", err, status)
				}
			}

			var reached *jwtauth.Claims
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached, _ = jwtauth.FromContext(r.Context())
				if reached == nil {
					t.Error("handler reached without claims")
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, newRequest())
			if w.Code != status {
				t.Fatalf("Handler status %d, Authenticate said %d (%v)", w.Code, status, err)
			}
			if err == nil {
				continue
			}
			if reached != nil {
				t.Fatal("handler reached for a rejected request")
			}
			if c := w.Header().Get("WWW-Authenticate"); (c != "" || status == http.StatusUnauthorized) && !fuzzChallenge.MatchString(c) {
				t.Fatalf("WWW-Authenticate %q", c)
			}
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if !fuzzDescription.MatchString(body.Description) || strings.ContainsAny(body.Error, " \"\\") {
				t.Fatalf("body %q", w.Body)
			}
			for _, in := range []string{authz, cookie} {
				// (Input made only of the letters of the fixed messages
				// could match them by chance.)
				fixedAlphabet := strings.Trim(in, "abcdefghijklmnopqrstuvwxyz _-") == ""
				if len(in) >= 12 && !fixedAlphabet && strings.Contains(w.Body.String()+w.Header().Get("WWW-Authenticate"), in) {
					t.Fatalf("response echoes request input %q: %q", in, w.Body)
				}
			}
		}
	})
}

// FuzzVerify feeds arbitrary strings to Verify under every verifier of the
// fixture. Properties: no panic; an error comes with nil claims and is a
// token error; accepted claims are a JSON object whose accessors work.
func FuzzVerify(f *testing.F) {
	for _, tok := range fuzzSeedTokens(f) {
		f.Add(tok)
	}
	fx := secFix()
	names := []string{"hs", "hs384", "rs", "ps", "es", "ed", "jwks", "hsIssAud", "hsLeeway", "hsBig", "hsAt", "hsReq"}
	f.Fuzz(func(t *testing.T, tok string) {
		for _, name := range names {
			claims, err := fx.v[name].mw.Verify(t.Context(), tok)
			if err != nil {
				if claims != nil {
					t.Fatalf("%s: claims with error %v", name, err)
				}
				if !errors.Is(err, jwtauth.ErrInvalidToken) {
					t.Fatalf("%s: error %q does not match ErrInvalidToken", name, err)
				}
				matched := false
				for _, s := range secSentinels {
					matched = matched || errors.Is(err, s)
				}
				if !matched {
					t.Fatalf("%s: error %q is not one of the specific token errors", name, err)
				}
				continue
			}
			if claims == nil {
				t.Fatalf("%s: nil claims without error", name)
			}
			raw, err := claims.MarshalJSON()
			var m map[string]json.RawMessage
			if err != nil || json.Unmarshal(raw, &m) != nil {
				t.Fatalf("%s: claims are not a JSON object: %q", name, raw)
			}
			for n, v := range m {
				if got, ok := claims.Value(n); !ok || string(got) != string(v) {
					t.Fatalf("%s: Value(%q) = %q, %v; want %q", name, n, got, ok, v)
				}
			}
			var anyMap map[string]any
			_ = claims.Decode(&anyMap)
			_ = claims.Scopes()
			_ = claims.Audience()
			if claims.ExpiresAt().IsZero() {
				t.Fatalf("%s: accepted without exp", name)
			}
			if !claims.ExpiresAt().After(secNow.Add(-fx.v[name].cfg.Leeway)) {
				t.Fatalf("%s: accepted expired token, exp %v", name, claims.ExpiresAt())
			}
		}
	})
}
