package jwtauth_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// This file holds the RFC 6750 spec test of the HTTP layer (one table, in the
// style of rs/cors) and the fixtures that http_test.go, exclude_test.go,
// guard_test.go, server_test.go and bench_test.go share. Every fixture name
// starts with "kit" so that it cannot collide with other test files of the
// package.

// kitSecretText is the HMAC secret of most tests. It is printable so that a
// test can look for it in logs and responses.
const kitSecretText = "kit-test-secret-DO-NOT-USE-0123456789abcdefghij"

var kitSecret = []byte(kitSecretText)

// kitMarker is placed in the path, query and headers of requests; it must
// never come back in a response or a log record.
const kitMarker = "ZZMARKERZZ"

// Keys are made once: RSA key generation is slow, under -race especially.
var (
	kitRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	kitECKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
	kitEdKey = sync.OnceValue(func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

// kitAlg is one signing algorithm with its keys.
type kitAlg struct {
	name string
	alg  jwa.SignatureAlgorithm
	priv any          // what jws.Sign takes
	pub  any          // what jwt.Parse takes
	keys jwtauth.Keys // the same key for Config.Keys
	kid  string       // the kid of this key in kitKeySetJSON
}

// kitAlgs returns HS256, RS256, ES256 and EdDSA.
func kitAlgs() []kitAlg {
	rk, ek, dk := kitRSAKey(), kitECKey(), kitEdKey()
	return []kitAlg{
		{"HS256", jwa.HS256(), kitSecret, kitSecret, jwtauth.HMAC(kitSecret), "kit-hs"},
		{"RS256", jwa.RS256(), rk, &rk.PublicKey, jwtauth.PublicKey("RS256", &rk.PublicKey), "kit-rs"},
		{"ES256", jwa.ES256(), ek, &ek.PublicKey, jwtauth.PublicKey("ES256", &ek.PublicKey), "kit-es"},
		{"EdDSA", jwa.EdDSA(), dk, dk.Public(), jwtauth.PublicKey("EdDSA", dk.Public()), "kit-ed"},
	}
}

// kitKeySetJSON is a JWK Set with the four keys of kitAlgs, each with its kid
// and alg, for one Middleware that accepts all four.
var kitKeySetJSON = sync.OnceValue(func() []byte {
	set := jwk.NewSet()
	for _, a := range kitAlgs() {
		k, err := jwk.Import(a.pub)
		if err != nil {
			panic(err)
		}
		if err := k.Set(jwk.KeyIDKey, a.kid); err != nil {
			panic(err)
		}
		if err := k.Set(jwk.AlgorithmKey, a.alg); err != nil {
			panic(err)
		}
		if err := set.AddKey(k); err != nil {
			panic(err)
		}
	}
	data, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return data
})

// kitClaims returns the claims of a valid token for sub, valid for an hour,
// with kv as more claims, in pairs.
func kitClaims(sub string, kv ...any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"sub": sub,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

// kitSign signs claims with jwx, as a third party would mint a token.
func kitSign(tb testing.TB, alg jwa.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	tb.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.TypeKey, "JWT"); err != nil {
		tb.Fatal(err)
	}
	if kid != "" {
		if err := hdr.Set(jws.KeyIDKey, kid); err != nil {
			tb.Fatal(err)
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		tb.Fatal(err)
	}
	return string(tok)
}

// kitToken is an HS256 token signed with kitSecret.
func kitToken(tb testing.TB, claims map[string]any) string {
	tb.Helper()
	return kitSign(tb, jwa.HS256(), kitSecret, "", claims)
}

// kitRawHS256 signs a hand-written header and payload with HMAC-SHA256, for
// tokens that jwx would refuse to make (crit, wrong claim types, ...).
func kitRawHS256(secret []byte, header, payload string) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + enc.EncodeToString(m.Sum(nil))
}

// kitNew calls jwtauth.New and fails the test on an error.
func kitNew(tb testing.TB, cfg jwtauth.Config) *jwtauth.Middleware {
	tb.Helper()
	m, err := jwtauth.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return m
}

// kitReq makes a request whose path, query and headers carry kitMarker, plus
// the headers in hdr (name, value pairs, added, so names may repeat).
func kitReq(method, target string, body io.Reader, hdr ...string) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.Header.Set("User-Agent", kitMarker)
	r.Header.Set("X-Note", kitMarker)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

const kitTarget = "/items/" + kitMarker + "?q=" + kitMarker

// kitProbe is a protected handler that records what reached it.
type kitProbe struct {
	mu      sync.Mutex
	reached int
	claims  *jwtauth.Claims
	hasAuth bool
}

func (p *kitProbe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, ok := jwtauth.FromContext(r.Context())
	p.mu.Lock()
	p.reached++
	p.claims, p.hasAuth = c, ok
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "reached")
}

// kitProblem is the JSON body of an error response.
type kitProblem struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// kitCheckProblem checks an RFC 6750 error response: status, the exact
// challenge ("" when there must be none), the JSON body with exactly error
// and error_description, and the headers that keep it out of caches.
func kitCheckProblem(t *testing.T, res *http.Response, body []byte, status int, challenge, code, desc string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("status = %d, want %d (body %s)", res.StatusCode, status, body)
	}
	got := res.Header.Values("WWW-Authenticate")
	switch {
	case challenge == "" && len(got) != 0:
		t.Errorf("WWW-Authenticate = %q, want none", got)
	case challenge != "" && (len(got) != 1 || got[0] != challenge):
		t.Errorf("WWW-Authenticate = %q, want [%q]", got, challenge)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if n := res.Header.Get("X-Content-Type-Options"); n != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", n)
	}
	var p kitProblem
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Errorf("body %q: %v", body, err)
	}
	if p.Error != code || p.Description != desc {
		t.Errorf("body = {%q, %q}, want {%q, %q}", p.Error, p.Description, code, desc)
	}
}

// kitNoEcho fails if a response header or the body contains any of secrets.
func kitNoEcho(t *testing.T, res *http.Response, body []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("body echoes %.40q", s)
		}
		for name, vals := range res.Header {
			for _, v := range vals {
				if strings.Contains(v, s) {
					t.Errorf("header %s echoes %.40q", name, s)
				}
			}
		}
	}
}

// Challenges and bodies of the default error writer.
const (
	kitBare          = `Bearer realm="api"`
	kitInvalidReq    = `Bearer realm="api", error="invalid_request", error_description="malformed authorization header"`
	kitMultiple      = `Bearer realm="api", error="invalid_request", error_description="more than one token in request"`
	kitInvalidTok    = `Bearer realm="api", error="invalid_token", error_description="the access token is invalid"`
	kitExpired       = `Bearer realm="api", error="invalid_token", error_description="the access token expired"`
	kitDescMissing   = "authentication required"
	kitDescMalformed = "malformed authorization header"
	kitDescMultiple  = "more than one token in request"
	kitDescInvalid   = "the access token is invalid"
	kitDescExpired   = "the access token expired"
	kitDescCrossOrig = "cross-origin request refused"
)

// TestHTTPSpec is the RFC 6750 behaviour of Middleware.Handler, one request
// per row.
func TestHTTPSpec(t *testing.T) {
	good := kitToken(t, kitClaims("alice"))
	other := kitToken(t, kitClaims("bob"))
	expired := kitToken(t, map[string]any{"sub": "alice", "exp": time.Now().Add(-time.Hour).Unix()})
	badSig := kitSign(t, jwa.HS256(), []byte(strings.Repeat("x", 32)), "", kitClaims("alice"))
	tampered := good[:strings.LastIndexByte(good, '.')] + "." + strings.Repeat("A", 43)
	noneAlg := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"alice","exp":4102444800}`)) + "."
	hs384 := kitSign(t, jwa.HS384(), []byte(strings.Repeat("k", 48)), "", kitClaims("alice"))
	huge := good + strings.Repeat("A", 9000)

	cookie := func(c *jwtauth.Config) { c.Cookie = "session" }
	optional := func(c *jwtauth.Config) { c.Optional = true }

	type row struct {
		name string
		cfg  func(*jwtauth.Config)
		req  func() *http.Request

		status    int
		challenge string // exact WWW-Authenticate; "" for none
		code      string // body "error"
		desc      string // body "error_description"
		reached   bool   // next handler ran
		sub       string // when reached: the subject in context, "" for no claims
	}
	get := func(hdr ...string) func() *http.Request {
		return func() *http.Request { return kitReq("GET", kitTarget, nil, hdr...) }
	}
	post := func(hdr ...string) func() *http.Request {
		return func() *http.Request { return kitReq("POST", kitTarget, nil, hdr...) }
	}
	ok := func(name string, cfg func(*jwtauth.Config), req func() *http.Request, sub string) row {
		return row{name: name, cfg: cfg, req: req, status: 200, reached: true, sub: sub}
	}
	missing := func(name string, cfg func(*jwtauth.Config), req func() *http.Request) row {
		return row{name, cfg, req, 401, kitBare, "unauthorized", kitDescMissing, false, ""}
	}
	malformed := func(name string, cfg func(*jwtauth.Config), req func() *http.Request) row {
		return row{name, cfg, req, 400, kitInvalidReq, "invalid_request", kitDescMalformed, false, ""}
	}
	multiple := func(name string, cfg func(*jwtauth.Config), req func() *http.Request) row {
		return row{name, cfg, req, 400, kitMultiple, "invalid_request", kitDescMultiple, false, ""}
	}
	invalid := func(name string, cfg func(*jwtauth.Config), req func() *http.Request) row {
		return row{name, cfg, req, 401, kitInvalidTok, "invalid_token", kitDescInvalid, false, ""}
	}
	crossOrigin := func(name string, cfg func(*jwtauth.Config), req func() *http.Request) row {
		return row{name, cfg, req, 403, "", "forbidden", kitDescCrossOrig, false, ""}
	}

	rows := []row{
		// No credentials: a bare challenge, no error information (§3.1).
		missing("no Authorization header", nil, get()),
		missing("empty Authorization header", nil, get("Authorization", "")),
		missing("Basic scheme", nil, get("Authorization", "Basic "+kitMarker)),
		missing("Digest scheme", nil, get("Authorization", `Digest username="`+kitMarker+`"`)),
		missing("scheme Bearerx", nil, get("Authorization", "Bearerx "+good)),
		// RFC 6750 §2.1 separates scheme and token by 1*SP: a tab makes
		// "Bearer\t…" one unknown scheme, so it is no bearer credential.
		missing("tab after scheme", nil, get("Authorization", "Bearer\t"+good)),

		// The scheme is case-insensitive (RFC 9110 §11.1).
		ok("Bearer", nil, get("Authorization", "Bearer "+good), "alice"),
		ok("bearer", nil, get("Authorization", "bearer "+good), "alice"),
		ok("BEARER", nil, get("Authorization", "BEARER "+good), "alice"),
		ok("bEaReR", nil, get("Authorization", "bEaReR "+good), "alice"),
		// Documented choice: the grammar is 1*SP, so two spaces are accepted.
		ok("two spaces", nil, get("Authorization", "Bearer  "+good), "alice"),
		ok("five spaces", nil, get("Authorization", "Bearer     "+good), "alice"),

		// A Bearer header without exactly one b64token.
		malformed("Bearer alone", nil, get("Authorization", "Bearer")),
		malformed("Bearer and a space", nil, get("Authorization", "Bearer ")),
		malformed("Bearer and spaces", nil, get("Authorization", "Bearer    ")),
		malformed("token then extra", nil, get("Authorization", "Bearer "+good+" extra")),
		malformed("token then space", nil, get("Authorization", "Bearer "+good+" ")),
		malformed("two tokens by comma", nil, get("Authorization", "Bearer "+good+", Bearer "+other)),
		malformed("brace in token", nil, get("Authorization", "Bearer "+good[:10]+"{"+good[10:])),
		malformed("space in token", nil, get("Authorization", "Bearer "+good[:10]+" "+good[10:])),
		malformed("JSON serialization", nil, get("Authorization", `Bearer {"payload":"`+kitMarker+`"}`)),
		malformed("quoted token", nil, get("Authorization", `Bearer "`+good+`"`)),
		malformed("padding inside", nil, get("Authorization", "Bearer ab=cd")),
		malformed("only padding", nil, get("Authorization", "Bearer ==")),
		malformed("non-ASCII", nil, get("Authorization", "Bearer "+good+"é")),
		multiple("two Authorization headers", nil, get("Authorization", "Bearer "+good, "Authorization", "Bearer "+good)),
		multiple("Bearer and Basic headers", nil, get("Authorization", "Basic abc", "Authorization", "Bearer "+good)),

		// A b64token that is not a valid token is the token's fault: 401.
		row{"expired", nil, get("Authorization", "Bearer "+expired), 401, kitExpired, "invalid_token", kitDescExpired, false, ""},
		invalid("bad signature", nil, get("Authorization", "Bearer "+badSig)),
		invalid("tampered signature", nil, get("Authorization", "Bearer "+tampered)),
		invalid("alg none", nil, get("Authorization", "Bearer "+noneAlg)),
		invalid("alg not the key's", nil, get("Authorization", "Bearer "+hs384)),
		invalid("not a JWT", nil, get("Authorization", "Bearer "+kitMarker)),
		invalid("b64token alphabet +/=", nil, get("Authorization", "Bearer a+b/c.d+e.f/g==")),
		invalid("oversized token", nil, get("Authorization", "Bearer "+huge)),

		// The realm comes from Config.
		{
			name: "Realm reflected, no token", cfg: func(c *jwtauth.Config) { c.Realm = "shop api" }, req: get(),
			status: 401, challenge: `Bearer realm="shop api"`, code: "unauthorized", desc: kitDescMissing,
		},
		{
			name: "Realm reflected, expired", cfg: func(c *jwtauth.Config) { c.Realm = "shop api" }, req: get("Authorization", "Bearer "+expired),
			status: 401, challenge: `Bearer realm="shop api", error="invalid_token", error_description="the access token expired"`,
			code: "invalid_token", desc: kitDescExpired,
		},

		// Never from the URL or the body (RFC 6750 §2.2, §2.3 are not enabled).
		missing("access_token in query", nil, func() *http.Request {
			return kitReq("GET", kitTarget+"&access_token="+good, nil)
		}),
		missing("access_token in form body", nil, func() *http.Request {
			return kitReq("POST", kitTarget, strings.NewReader("access_token="+good),
				"Content-Type", "application/x-www-form-urlencoded")
		}),
		missing("access_token in form body, cookie mode", cookie, func() *http.Request {
			return kitReq("POST", kitTarget, strings.NewReader("access_token="+good),
				"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
		}),

		// Cookie mode.
		ok("cookie alone on GET", cookie, get("Cookie", "session="+good), "alice"),
		ok("cookie on cross-site GET", cookie, get("Cookie", "session="+good, "Sec-Fetch-Site", "cross-site"), "alice"),
		ok("cookie among others", cookie, get("Cookie", "a=1; session="+good+"; b=2"), "alice"),
		ok("header alone in cookie mode", cookie, get("Authorization", "Bearer "+good), "alice"),
		missing("no token in cookie mode", cookie, get()),
		missing("empty cookie", cookie, get("Cookie", "session=")),
		missing("other cookie name", cookie, get("Cookie", "Session="+good)),
		missing("cookie when Cookie is not configured", nil, get("Cookie", "session="+good)),
		crossOrigin("cookie on cross-site POST", cookie, post("Cookie", "session="+good, "Sec-Fetch-Site", "cross-site")),
		crossOrigin("cookie on same-site POST", cookie, post("Cookie", "session="+good, "Sec-Fetch-Site", "same-site")),
		crossOrigin("cookie on cross-site DELETE", cookie, func() *http.Request {
			return kitReq("DELETE", kitTarget, nil, "Cookie", "session="+good, "Sec-Fetch-Site", "cross-site")
		}),
		crossOrigin("cookie on POST, Origin not Host", cookie, post("Cookie", "session="+good, "Origin", "https://evil.example")),
		ok("cookie on same-origin POST", cookie, post("Cookie", "session="+good, "Sec-Fetch-Site", "same-origin"), "alice"),
		ok("cookie on POST, Origin is Host", cookie, post("Cookie", "session="+good, "Origin", "http://example.com"), "alice"),
		ok("cookie on POST from a non-browser", cookie, post("Cookie", "session="+good), "alice"),
		ok("trusted origin", func(c *jwtauth.Config) {
			c.Cookie = "session"
			c.TrustedOrigins = []string{"https://app.example"}
		}, post("Cookie", "session="+good, "Sec-Fetch-Site", "cross-site", "Origin", "https://app.example"), "alice"),
		crossOrigin("untrusted origin with TrustedOrigins", func(c *jwtauth.Config) {
			c.Cookie = "session"
			c.TrustedOrigins = []string{"https://app.example"}
		}, post("Cookie", "session="+good, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")),
		multiple("header and cookie differ", cookie, get("Authorization", "Bearer "+good, "Cookie", "session="+other)),
		multiple("header and cookie differ, POST", cookie, post("Authorization", "Bearer "+good, "Cookie", "session="+other, "Sec-Fetch-Site", "same-origin")),
		ok("header and cookie the same", cookie, get("Authorization", "Bearer "+good, "Cookie", "session="+good), "alice"),
		// The header is what counts, and a cross-site form cannot set it.
		ok("header and cookie the same, cross-site POST", cookie, post("Authorization", "Bearer "+good, "Cookie", "session="+good, "Sec-Fetch-Site", "cross-site"), "alice"),
		ok("Basic header and a cookie", cookie, get("Authorization", "Basic abc", "Cookie", "session="+good), "alice"),
		multiple("two cookies of the name", cookie, get("Cookie", "session="+good+"; session="+other)),
		multiple("two cookies, same value", cookie, get("Cookie", "session="+good+"; session="+good)),
		multiple("two Cookie headers", cookie, get("Cookie", "session="+good, "Cookie", "session="+other)),
		malformed("cookie not a b64token", cookie, get("Cookie", "session="+good[:10]+"{"+good[10:])),
		row{"expired cookie", cookie, get("Cookie", "session="+expired), 401, kitExpired, "invalid_token", kitDescExpired, false, ""},
		malformed("malformed header before cookie", cookie, get("Authorization", "Bearer", "Cookie", "session="+good)),

		// Optional mode.
		ok("optional, no token", optional, get(), ""),
		ok("optional, Basic", optional, get("Authorization", "Basic abc"), ""),
		ok("optional, valid token", optional, get("Authorization", "Bearer "+good), "alice"),
		invalid("optional, bad token", optional, get("Authorization", "Bearer "+badSig)),
		row{"optional, expired", optional, get("Authorization", "Bearer "+expired), 401, kitExpired, "invalid_token", kitDescExpired, false, ""},
		malformed("optional, malformed header", optional, get("Authorization", "Bearer")),
		multiple("optional, two headers", optional, get("Authorization", "Bearer "+good, "Authorization", "Bearer "+good)),
	}

	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			cfg := jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			m := kitNew(t, cfg)
			probe := &kitProbe{}
			r := tc.req()
			sent := append(r.Header.Values("Authorization"), r.Header.Values("Cookie")...)
			w := httptest.NewRecorder()
			m.Handler(probe).ServeHTTP(w, r)
			res := w.Result()
			body := w.Body.Bytes()

			if got := probe.reached == 1; got != tc.reached {
				t.Fatalf("next handler reached = %v, want %v (status %d, body %s)", got, tc.reached, res.StatusCode, body)
			}
			if tc.reached {
				if res.StatusCode != tc.status || string(body) != "reached" {
					t.Errorf("response = %d %q, want %d from the handler", res.StatusCode, body, tc.status)
				}
				switch {
				case tc.sub == "" && probe.hasAuth:
					t.Errorf("claims in context for %q, want none", probe.claims.Subject())
				case tc.sub != "" && !probe.hasAuth:
					t.Errorf("no claims in context, want subject %q", tc.sub)
				case tc.sub != "" && probe.claims.Subject() != tc.sub:
					t.Errorf("subject = %q, want %q", probe.claims.Subject(), tc.sub)
				}
			} else {
				kitCheckProblem(t, res, body, tc.status, tc.challenge, tc.code, tc.desc)
			}
			// Nothing from the request comes back: not the marker, not
			// the credentials, not even part of them.
			echo := []string{kitMarker, good, other, expired, badSig, tampered, kitSecretText}
			for _, s := range sent {
				if len(s) >= 8 { // longer than "Bearer ", which the challenge names
					echo = append(echo, s)
				}
				for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ';' || r == '=' }) {
					if len(f) >= 8 {
						echo = append(echo, f)
					}
				}
			}
			kitNoEcho(t, res, body, echo...)
		})
	}
}

// TestHTTPSpecHEAD checks that a rejected HEAD request gets the same status
// and headers, and a request that reached nothing has no claims.
func TestHTTPSpecHEAD(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	probe := &kitProbe{}
	r := kitReq("HEAD", kitTarget, nil)
	w := httptest.NewRecorder()
	m.Handler(probe).ServeHTTP(w, r)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != kitBare || probe.reached != 0 {
		t.Errorf("HEAD: %d %q reached=%d", w.Code, w.Header().Get("WWW-Authenticate"), probe.reached)
	}
}

// TestHTTPRequestNotModified checks that the middleware does not change the
// request it is given: it passes a copy with the claims.
func TestHTTPRequestNotModified(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	good := kitToken(t, kitClaims("alice"))
	r := kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+good)
	ctx := r.Context()
	var inner *http.Request
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner = r })).ServeHTTP(httptest.NewRecorder(), r)
	if inner == nil || inner == r {
		t.Fatalf("handler got %p, outer request %p: want a copy", inner, r)
	}
	if r.Context() != ctx {
		t.Error("the caller's request has a new context")
	}
	if _, ok := jwtauth.FromContext(r.Context()); ok {
		t.Error("the caller's request carries claims")
	}
	if got := inner.Header.Get("Authorization"); got != "Bearer "+good {
		t.Errorf("Authorization seen by the handler = %q", got)
	}
}

// kitFailingStore is a Store whose every call fails.
type kitFailingStore struct{}

var errKitStore = errors.New("kit: store is down")

func (kitFailingStore) Revoked(context.Context, jwtauth.TokenRef) (bool, error) {
	return false, errKitStore
}

// idStore is a Store that revokes tokens by jti or sid, and records what it
// was asked.
type idStore struct {
	mu   sync.Mutex
	ids  map[string]bool
	seen []jwtauth.TokenRef
}

func newIDStore(ids ...string) *idStore {
	s := &idStore{ids: map[string]bool{}}
	for _, id := range ids {
		s.revoke(id)
	}
	return s
}

func (s *idStore) revoke(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[id] = true
}

func (s *idStore) Revoked(_ context.Context, t jwtauth.TokenRef) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, t)
	return s.ids[t.ID] || s.ids[t.Session], nil
}

// kitErrorCases are requests with the errors they must give, for the
// ErrorHandler and Logger tests. Each case has its own Config.
type kitErrorCase struct {
	name   string
	cfg    func(*jwtauth.Config)
	req    *http.Request
	want   []error // all must match with errors.Is
	status int     // StatusCode(err)
}

func kitErrorCases(t *testing.T) []kitErrorCase {
	good := kitToken(t, kitClaims("alice"))
	withJTI := kitToken(t, kitClaims("alice", "jti", "kit-jti-1"))
	now := time.Now().Unix()
	raw := func(header, payload string) string { return kitRawHS256(kitSecret, header, payload) }
	bearer := func(tok string) *http.Request { return kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+tok) }
	revoked := newIDStore("kit-jti-1")
	return []kitErrorCase{
		{"missing", nil, kitReq("GET", kitTarget, nil), []error{jwtauth.ErrMissingToken}, 401},
		{"Basic", nil, kitReq("GET", kitTarget, nil, "Authorization", "Basic abc"), []error{jwtauth.ErrMissingToken}, 401},
		{"malformed header", nil, kitReq("GET", kitTarget, nil, "Authorization", "Bearer"),
			[]error{jwtauth.ErrMalformedHeader, jwtauth.ErrInvalidRequest}, 400},
		{"two headers", nil, kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+good, "Authorization", "Bearer "+good),
			[]error{jwtauth.ErrMultipleTokens, jwtauth.ErrInvalidRequest}, 400},
		{"header and cookie", func(c *jwtauth.Config) { c.Cookie = "session" },
			kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+good, "Cookie", "session="+withJTI),
			[]error{jwtauth.ErrMultipleTokens, jwtauth.ErrInvalidRequest}, 400},
		{"cross-origin cookie", func(c *jwtauth.Config) { c.Cookie = "session" },
			kitReq("POST", kitTarget, nil, "Cookie", "session="+good, "Sec-Fetch-Site", "cross-site"),
			[]error{jwtauth.ErrCrossOrigin}, 403},
		{"expired", nil, bearer(kitToken(t, map[string]any{"exp": now - 10})),
			[]error{jwtauth.ErrTokenExpired, jwtauth.ErrInvalidToken}, 401},
		{"bad signature", nil, bearer(kitSign(t, jwa.HS256(), []byte(strings.Repeat("y", 32)), "", kitClaims("alice"))),
			[]error{jwtauth.ErrSignature, jwtauth.ErrInvalidToken}, 401},
		{"not a JWT", nil, bearer("abc"), []error{jwtauth.ErrTokenMalformed, jwtauth.ErrInvalidToken}, 401},
		{"too large", nil, bearer(good + strings.Repeat("A", 9000)), []error{jwtauth.ErrTokenTooLarge, jwtauth.ErrInvalidToken}, 401},
		{"alg HS384", nil, bearer(kitSign(t, jwa.HS384(), []byte(strings.Repeat("k", 48)), "", kitClaims("alice"))),
			[]error{jwtauth.ErrAlgorithm, jwtauth.ErrInvalidToken}, 401},
		{"crit header", nil, bearer(raw(`{"alg":"HS256","crit":["x"],"x":1}`, fmt.Sprintf(`{"exp":%d}`, now+60))),
			[]error{jwtauth.ErrUnsupportedHeader, jwtauth.ErrInvalidToken}, 401},
		{"not yet valid", nil, bearer(kitToken(t, map[string]any{"exp": now + 3600, "nbf": now + 600})),
			[]error{jwtauth.ErrTokenNotYetValid, jwtauth.ErrInvalidToken}, 401},
		{"exp missing", nil, bearer(kitToken(t, map[string]any{"sub": "alice"})),
			[]error{jwtauth.ErrMissingClaim, jwtauth.ErrInvalidToken}, 401},
		{"exp a string", nil, bearer(raw(`{"alg":"HS256"}`, fmt.Sprintf(`{"exp":"%d"}`, now+60))),
			[]error{jwtauth.ErrClaimType, jwtauth.ErrInvalidToken}, 401},
		{"duplicate claim", nil, bearer(raw(`{"alg":"HS256"}`, fmt.Sprintf(`{"exp":%d,"exp":%d}`, now+60, now-60))),
			[]error{jwtauth.ErrTokenMalformed, jwtauth.ErrInvalidToken}, 401},
		{"wrong issuer", func(c *jwtauth.Config) { c.Issuer = "https://auth.example" }, bearer(good),
			[]error{jwtauth.ErrIssuer, jwtauth.ErrInvalidToken}, 401},
		{"wrong audience", func(c *jwtauth.Config) { c.Audience = "api" }, bearer(kitToken(t, kitClaims("alice", "aud", "other"))),
			[]error{jwtauth.ErrAudience, jwtauth.ErrInvalidToken}, 401},
		{"wrong type", func(c *jwtauth.Config) { c.Type = "at+jwt" }, bearer(good),
			[]error{jwtauth.ErrTokenType, jwtauth.ErrInvalidToken}, 401},
		{"revoked", func(c *jwtauth.Config) { c.Store = revoked }, bearer(withJTI),
			[]error{jwtauth.ErrTokenRevoked, jwtauth.ErrInvalidToken}, 401},
		{"store down", func(c *jwtauth.Config) { c.Store = kitFailingStore{} }, bearer(withJTI),
			[]error{jwtauth.ErrStore, errKitStore}, 500},
	}
}

// TestHTTPErrorHandler checks that a replaced ErrorHandler gets every
// rejection, with an error that errors.Is classifies, and that nothing else
// writes to the response.
func TestHTTPErrorHandler(t *testing.T) {
	for _, tc := range kitErrorCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			var got error
			cfg := jwtauth.Config{
				Keys: jwtauth.HMAC(kitSecret),
				ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
					calls++
					got = err
					w.WriteHeader(http.StatusTeapot)
					io.WriteString(w, "custom")
				},
			}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			probe := &kitProbe{}
			w := httptest.NewRecorder()
			kitNew(t, cfg).Handler(probe).ServeHTTP(w, tc.req)
			if probe.reached != 0 {
				t.Fatal("next handler reached")
			}
			if calls != 1 {
				t.Fatalf("ErrorHandler called %d times, want 1", calls)
			}
			for _, want := range tc.want {
				if !errors.Is(got, want) {
					t.Errorf("err = %v, does not match %v", got, want)
				}
			}
			if s := jwtauth.StatusCode(got); s != tc.status {
				t.Errorf("StatusCode(%v) = %d, want %d", got, s, tc.status)
			}
			if w.Code != http.StatusTeapot || w.Body.String() != "custom" {
				t.Errorf("response = %d %q, want the ErrorHandler's", w.Code, w.Body)
			}
			for _, h := range []string{"WWW-Authenticate", "Cache-Control"} {
				if v := w.Header().Get(h); v != "" {
					t.Errorf("%s = %q set besides the ErrorHandler", h, v)
				}
			}
			if strings.Contains(got.Error(), kitMarker) {
				t.Errorf("err %q contains request text", got)
			}
		})
	}
}

// TestHTTPDefaultStatuses sends the same cases through the default writer:
// its status is StatusCode(err).
func TestHTTPDefaultStatuses(t *testing.T) {
	for _, tc := range kitErrorCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			cfg := jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			w := httptest.NewRecorder()
			kitNew(t, cfg).Handler(&kitProbe{}).ServeHTTP(w, tc.req)
			if w.Code != tc.status {
				t.Errorf("status = %d, want %d", w.Code, tc.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
			}
			var p kitProblem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Error == "" || p.Description == "" {
				t.Errorf("body %q: %v", w.Body, err)
			}
			if w.Code == 500 && (strings.Contains(w.Body.String(), "down") || strings.Contains(w.Body.String(), "kit:")) {
				t.Errorf("500 body %q leaks the store's error", w.Body)
			}
			// invalid_request and every 401 carry a challenge; 403
			// cross-origin and 500 do not.
			wantChallenge := w.Code == 401 || w.Code == 400
			if has := w.Header().Get("WWW-Authenticate") != ""; has != wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want present: %v", w.Header().Get("WWW-Authenticate"), wantChallenge)
			}
		})
	}
}

// TestHTTPLogger checks one log record per rejection, with status and reason,
// at Info for the client's errors and Error for the server's, and nothing
// about the request or the token in the log.
func TestHTTPLogger(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cases := kitErrorCases(t)
	var sent []string
	for _, tc := range cases {
		cfg := jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Logger: logger}
		if tc.cfg != nil {
			tc.cfg(&cfg)
		}
		sent = append(sent, tc.req.Header.Values("Authorization")...)
		sent = append(sent, tc.req.Header.Values("Cookie")...)
		kitNew(t, cfg).Handler(&kitProbe{}).ServeHTTP(httptest.NewRecorder(), tc.req)
	}
	// Accepted requests and excluded ones log nothing.
	good := kitToken(t, kitClaims("alice"))
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Logger: logger, Exclude: []string{"/login"}})
	m.Handler(&kitProbe{}).ServeHTTP(httptest.NewRecorder(), kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+good))
	m.Handler(&kitProbe{}).ServeHTTP(httptest.NewRecorder(), kitReq("GET", "/login?"+kitMarker, nil))
	opt := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Logger: logger, Optional: true})
	opt.Handler(&kitProbe{}).ServeHTTP(httptest.NewRecorder(), kitReq("GET", kitTarget, nil))

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != len(cases) {
		t.Fatalf("%d log records, want %d (one per rejection):\n%s", len(lines), len(cases), buf.Bytes())
	}
	for i, line := range lines {
		tc := cases[i]
		var rec struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Status *int   `json:"status"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("record %d: %v: %s", i, err, line)
		}
		if rec.Status == nil || *rec.Status != tc.status {
			t.Errorf("%s: status = %v, want %d", tc.name, rec.Status, tc.status)
		}
		if !strings.HasPrefix(rec.Reason, "jwtauth: ") {
			t.Errorf("%s: reason = %q", tc.name, rec.Reason)
		}
		wantLevel := "INFO"
		if tc.status >= 500 {
			wantLevel = "ERROR"
		}
		if rec.Level != wantLevel {
			t.Errorf("%s: level = %s, want %s", tc.name, rec.Level, wantLevel)
		}
		if rec.Msg == "" {
			t.Errorf("%s: no message", tc.name)
		}
	}
	log := buf.String()
	for _, s := range append([]string{kitMarker, kitSecretText, good}, sent...) {
		if s == "" {
			continue
		}
		if strings.Contains(log, s) {
			t.Errorf("log contains %.40q", s)
		}
		if tok, ok := strings.CutPrefix(s, "Bearer "); ok && len(tok) > 8 && strings.Contains(log, tok) {
			t.Errorf("log contains token %.40q", tok)
		}
		if tok, ok := strings.CutPrefix(s, "session="); ok && len(tok) > 8 && strings.Contains(log, tok) {
			t.Errorf("log contains cookie token %.40q", tok)
		}
	}
}

// TestStatusCode maps every sentinel, and wrapped ones, to its status.
func TestStatusCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{jwtauth.ErrMissingToken, 401},
		{jwtauth.ErrInvalidRequest, 400},
		{jwtauth.ErrMultipleTokens, 400},
		{jwtauth.ErrMalformedHeader, 400},
		{jwtauth.ErrInvalidToken, 401},
		{jwtauth.ErrTokenMalformed, 401},
		{jwtauth.ErrTokenTooLarge, 401},
		{jwtauth.ErrUnsupportedHeader, 401},
		{jwtauth.ErrAlgorithm, 401},
		{jwtauth.ErrUnknownKey, 401},
		{jwtauth.ErrSignature, 401},
		{jwtauth.ErrTokenExpired, 401},
		{jwtauth.ErrTokenNotYetValid, 401},
		{jwtauth.ErrClaimType, 401},
		{jwtauth.ErrMissingClaim, 401},
		{jwtauth.ErrIssuer, 401},
		{jwtauth.ErrAudience, 401},
		{jwtauth.ErrTokenType, 401},
		{jwtauth.ErrTokenRevoked, 401},
		{jwtauth.ErrInsufficientScope, 403},
		{jwtauth.ErrNotFresh, 403},
		{jwtauth.ErrCrossOrigin, 403},
		{jwtauth.ErrKeysUnavailable, 503},
		{jwtauth.ErrStore, 500},
		{fmt.Errorf("%w: %w", jwtauth.ErrStore, errKitStore), 500},
		{fmt.Errorf("context: %w", jwtauth.ErrTokenExpired), 401},
		{fmt.Errorf("context: %w", jwtauth.ErrMultipleTokens), 400},
		{errors.Join(errKitStore, jwtauth.ErrInsufficientScope), 403},
		{jwtauth.ErrConfig, 500},
		{errKitStore, 500},
		{context.Canceled, 500},
	} {
		if got := jwtauth.StatusCode(tc.err); got != tc.want {
			t.Errorf("StatusCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestSentinelMessages checks that every sentinel is package-prefixed and
// that the specific ones match their class.
func TestSentinelMessages(t *testing.T) {
	classes := map[error]error{
		jwtauth.ErrMultipleTokens:    jwtauth.ErrInvalidRequest,
		jwtauth.ErrMalformedHeader:   jwtauth.ErrInvalidRequest,
		jwtauth.ErrTokenMalformed:    jwtauth.ErrInvalidToken,
		jwtauth.ErrTokenTooLarge:     jwtauth.ErrInvalidToken,
		jwtauth.ErrUnsupportedHeader: jwtauth.ErrInvalidToken,
		jwtauth.ErrAlgorithm:         jwtauth.ErrInvalidToken,
		jwtauth.ErrUnknownKey:        jwtauth.ErrInvalidToken,
		jwtauth.ErrSignature:         jwtauth.ErrInvalidToken,
		jwtauth.ErrTokenExpired:      jwtauth.ErrInvalidToken,
		jwtauth.ErrTokenNotYetValid:  jwtauth.ErrInvalidToken,
		jwtauth.ErrClaimType:         jwtauth.ErrInvalidToken,
		jwtauth.ErrMissingClaim:      jwtauth.ErrInvalidToken,
		jwtauth.ErrIssuer:            jwtauth.ErrInvalidToken,
		jwtauth.ErrAudience:          jwtauth.ErrInvalidToken,
		jwtauth.ErrTokenType:         jwtauth.ErrInvalidToken,
		jwtauth.ErrTokenRevoked:      jwtauth.ErrInvalidToken,
		jwtauth.ErrNotFresh:          jwtauth.ErrInsufficientScope,
	}
	for err, class := range classes {
		if !errors.Is(err, class) {
			t.Errorf("%v does not match %v", err, class)
		}
		if !strings.HasPrefix(err.Error(), "jwtauth: ") {
			t.Errorf("%q is not package-prefixed", err)
		}
		// The classes are disjoint.
		for _, other := range []error{jwtauth.ErrInvalidRequest, jwtauth.ErrInvalidToken, jwtauth.ErrInsufficientScope} {
			if other != class && errors.Is(err, other) {
				t.Errorf("%v matches %v as well as %v", err, other, class)
			}
		}
	}
	if errors.Is(jwtauth.ErrStore, jwtauth.ErrInvalidToken) {
		t.Error("ErrStore matches ErrInvalidToken: a store failure is not the token's fault")
	}
}

// TestAuthenticate uses Middleware.Authenticate directly, as a WebSocket
// upgrade would: it writes nothing and ignores Exclude and Optional.
func TestAuthenticate(t *testing.T) {
	good := kitToken(t, kitClaims("alice", "scope", "items:read"))
	m := kitNew(t, jwtauth.Config{
		Keys:     jwtauth.HMAC(kitSecret),
		Exclude:  []string{"/login"},
		Optional: true,
		Cookie:   "session",
	})

	c, err := m.Authenticate(kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+good))
	if err != nil || c.Subject() != "alice" {
		t.Fatalf("Authenticate = %v, %v", c, err)
	}
	if got := c.Scopes(); len(got) != 1 || got[0] != "items:read" {
		t.Errorf("Scopes = %q", got)
	}
	// The claims work with NewContext and the guards.
	r := kitReq("GET", kitTarget, nil)
	r = r.WithContext(jwtauth.NewContext(r.Context(), c))
	w := httptest.NewRecorder()
	jwtauth.RequireScope("items:read")(&kitProbe{}).ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("guard after Authenticate: %d", w.Code)
	}

	for _, tc := range []struct {
		name string
		req  *http.Request
		want error
	}{
		{"excluded path, no token", kitReq("GET", "/login", nil), jwtauth.ErrMissingToken},
		{"optional, no token", kitReq("GET", kitTarget, nil), jwtauth.ErrMissingToken},
		{"malformed", kitReq("GET", kitTarget, nil, "Authorization", "Bearer"), jwtauth.ErrMalformedHeader},
		{"two methods", kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+good, "Cookie", "session=a.b.c"), jwtauth.ErrMultipleTokens},
		{"cross-origin cookie", kitReq("PUT", kitTarget, nil, "Cookie", "session="+good, "Sec-Fetch-Site", "cross-site"), jwtauth.ErrCrossOrigin},
		{"bad token", kitReq("GET", kitTarget, nil, "Authorization", "Bearer a.b.c"), jwtauth.ErrInvalidToken},
	} {
		c, err := m.Authenticate(tc.req)
		if c != nil || !errors.Is(err, tc.want) {
			t.Errorf("%s: Authenticate = %v, %v; want %v", tc.name, c, err, tc.want)
		}
	}
	// A cookie on a safe method is fine.
	if c, err := m.Authenticate(kitReq("GET", kitTarget, nil, "Cookie", "session="+good)); err != nil || c.Subject() != "alice" {
		t.Errorf("cookie: %v, %v", c, err)
	}
}

// TestVerify uses Middleware.Verify on a bare token.
func TestVerify(t *testing.T) {
	ctx := context.Background()
	store := newIDStore()
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Store: store})
	tok := kitToken(t, kitClaims("alice", "jti", "j-1", "sid", "s-1", "name", "Alice"))

	c, err := m.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject() != "alice" || c.ID() != "j-1" || c.SessionID() != "s-1" {
		t.Errorf("claims = %q %q %q", c.Subject(), c.ID(), c.SessionID())
	}
	if v, ok := c.Value("name"); !ok || string(v) != `"Alice"` {
		t.Errorf(`Value("name") = %s, %v`, v, ok)
	}

	for _, tc := range []struct {
		tok  string
		want error
	}{
		{"", jwtauth.ErrTokenMalformed},
		{"Bearer " + tok, jwtauth.ErrTokenMalformed},
		{tok + " ", jwtauth.ErrTokenMalformed},
		{tok[:len(tok)-2], jwtauth.ErrInvalidToken},
		{kitToken(t, map[string]any{"exp": time.Now().Add(-time.Second).Unix()}), jwtauth.ErrTokenExpired},
	} {
		if c, err := m.Verify(ctx, tc.tok); c != nil || !errors.Is(err, tc.want) {
			t.Errorf("Verify(%.30q) = %v, %v; want %v", tc.tok, c, err, tc.want)
		}
	}

	// The store is told the token's jti, sid, sub, iss and iat, and the
	// verifier's time.
	if n := len(store.seen); n == 0 {
		t.Fatal("the store was not asked")
	}
	if r := store.seen[0]; r.ID != "j-1" || r.Session != "s-1" || r.Subject != "alice" || r.IssuedAt.IsZero() || r.Now.IsZero() {
		t.Errorf("store asked about %+v", r)
	}
	// Revoking the session revokes the token.
	store.revoke("s-1")
	if _, err := m.Verify(ctx, tok); !errors.Is(err, jwtauth.ErrTokenRevoked) || !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("revoked session: %v", err)
	}
	// A token with none of jti, sid and sub is not looked up.
	asked := len(store.seen)
	if _, err := m.Verify(ctx, kitToken(t, kitClaims("bob"))); err != nil {
		t.Errorf("token without jti: %v", err)
	}
	if len(store.seen) != asked+1 {
		t.Errorf("a token with a sub was not looked up")
	}
	if _, err := m.Verify(ctx, kitToken(t, map[string]any{"exp": time.Now().Add(time.Hour).Unix()})); err != nil {
		t.Errorf("token without jti, sid and sub: %v", err)
	}
	if len(store.seen) != asked+1 {
		t.Errorf("a token without jti, sid and sub was looked up")
	}

	down := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Store: kitFailingStore{}})
	_, err = down.Verify(ctx, tok)
	if !errors.Is(err, jwtauth.ErrStore) || !errors.Is(err, errKitStore) || errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("failing store: %v", err)
	}
	if jwtauth.StatusCode(err) != 500 {
		t.Errorf("StatusCode(store failure) = %d", jwtauth.StatusCode(err))
	}
}

// TestHTTPConfigErrors: the HTTP fields of Config that New must refuse,
// with an error matching ErrConfig and no panic.
func TestHTTPConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(*jwtauth.Config)
	}{
		{"Realm with a quote", func(c *jwtauth.Config) { c.Realm = `a"b` }},
		{"Realm with a backslash", func(c *jwtauth.Config) { c.Realm = `a\b` }},
		{"Realm with CRLF", func(c *jwtauth.Config) { c.Realm = "a\r\nX-Injected: 1" }},
		{"Realm not ASCII", func(c *jwtauth.Config) { c.Realm = "café" }},
		{"Cookie with a space", func(c *jwtauth.Config) { c.Cookie = "my session" }},
		{"Cookie with =", func(c *jwtauth.Config) { c.Cookie = "a=b" }},
		{"Cookie with ;", func(c *jwtauth.Config) { c.Cookie = "a;b" }},
		{"TrustedOrigins not an origin", func(c *jwtauth.Config) {
			c.Cookie = "session"
			c.TrustedOrigins = []string{"not an origin"}
		}},
		{"TrustedOrigins with a path", func(c *jwtauth.Config) {
			c.Cookie = "session"
			c.TrustedOrigins = []string{"https://app.example/path"}
		}},
		{"no Keys", func(c *jwtauth.Config) { c.Keys = nil }},
		{"short secret", func(c *jwtauth.Config) { c.Keys = jwtauth.HMAC([]byte("short")) }},
		{"MaxTokenSize negative", func(c *jwtauth.Config) { c.MaxTokenSize = -1 }},
		{"Leeway an hour", func(c *jwtauth.Config) { c.Leeway = time.Hour }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)}
			tc.cfg(&cfg)
			m, err := jwtauth.New(cfg)
			if m != nil || !errors.Is(err, jwtauth.ErrConfig) {
				t.Fatalf("New = %v, %v; want an ErrConfig error", m, err)
			}
		})
	}
}
