package jwtauthtest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/jwtauthtest"
)

// Valid tokens of every algorithm verify, with the claims asked for.
func TestTokenVerifies(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			kit := jwtauthtest.New(t, jwtauthtest.Options{Algorithm: alg, Issuer: "https://auth.example.com", Audience: "api",
				Claims: map[string]any{"scope": "items:read", "tenant": "t1"}})
			mw := newMiddleware(t, kit.Config())
			c, err := mw.Verify(t.Context(), kit.TokenFor("alice", map[string]any{"tenant": "t2", "role": "admin"}))
			if err != nil {
				t.Fatal(err)
			}
			var priv struct{ Tenant, Role string }
			if err := c.Decode(&priv); err != nil {
				t.Fatal(err)
			}
			if c.Subject() != "alice" || c.Issuer() != "https://auth.example.com" || !slices.Equal(c.Audience(), []string{"api"}) ||
				!c.HasScope("items:read") || priv.Tenant != "t2" || priv.Role != "admin" || c.KeyID() != kit.KeyID() ||
				!c.Fresh() || c.ID() == "" || kit.Algorithm() != alg {
				t.Errorf("claims %s, kid %q (kit %q)", must(c.MarshalJSON()), c.KeyID(), kit.KeyID())
			}
			c, err = mw.Verify(t.Context(), kit.Token(nil))
			if err != nil || c.Subject() != jwtauthtest.DefaultSubject {
				t.Errorf("Token: %v, subject %q", err, c.Subject())
			}
			c, err = mw.Verify(t.Context(), kit.TokenFor("", nil))
			if err != nil || c.Subject() != "" {
				t.Errorf("TokenFor(\"\"): %v", err)
			}
		})
	}
}

func must(b []byte, err error) string {
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// A handler with guards, tested three ways: Claims in a context, a bare
// Request, and the Request through a Middleware.
func TestHandlerTests(t *testing.T) {
	kit := jwtauthtest.New(t, jwtauthtest.Options{Issuer: "https://auth.example.com"})
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := jwtauth.FromContext(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, c.Subject())
	})
	guarded := jwtauth.RequireScope("items:read")(jwtauth.RequireClaim("role", "admin")(me))
	ok := map[string]any{"scope": "items:read items:write", "role": "admin"}

	cases := []struct {
		name   string
		claims map[string]any
		code   int
	}{
		{"allowed", ok, http.StatusOK},
		{"no scope", map[string]any{"role": "admin"}, http.StatusForbidden},
		{"wrong role", map[string]any{"scope": "items:read", "role": "user"}, http.StatusForbidden},
		{"role as array", map[string]any{"scope": "items:read", "role": []string{"user", "admin"}}, http.StatusOK},
		{"scp array", map[string]any{"scp": []string{"items:read"}, "role": "admin"}, http.StatusOK},
	}
	mw := newMiddleware(t, kit.Config())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(how string, r *http.Request, h http.Handler) {
				t.Helper()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != tc.code || tc.code == http.StatusOK && rec.Body.String() != "alice" {
					t.Errorf("%s: %d %q, want %d", how, rec.Code, rec.Body, tc.code)
				}
				if tc.code == http.StatusForbidden && !strings.Contains(rec.Header().Get("WWW-Authenticate"), "insufficient_scope") {
					t.Errorf("%s: challenge %q", how, rec.Header().Get("WWW-Authenticate"))
				}
			}
			ctx := jwtauth.NewContext(t.Context(), kit.Claims(t, "alice", tc.claims))
			check("Claims", httptest.NewRequestWithContext(ctx, "GET", "/me", nil), guarded)
			check("Context", httptest.NewRequestWithContext(kit.Context(t.Context(), "alice", tc.claims), "GET", "/me", nil), guarded)
			check("Request", kit.Request("GET", "/me", "alice", tc.claims), guarded)
			check("Request+Middleware", kit.Request("GET", "/me", "alice", tc.claims), mw.Handler(guarded))
		})
	}

	t.Run("Authorize keeps the request", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/items", strings.NewReader(`{"name":"x"}`))
		r.Header.Set("Content-Type", "application/json")
		ar := kit.Authorize(r, "alice", ok)
		if r.Header.Get("Authorization") != "" {
			t.Error("Authorize modified its argument")
		}
		if _, ok := jwtauth.FromContext(r.Context()); ok {
			t.Error("Authorize put claims in its argument's context")
		}
		body, _ := io.ReadAll(ar.Body)
		if ar.Method != "POST" || ar.Header.Get("Content-Type") != "application/json" || string(body) != `{"name":"x"}` {
			t.Errorf("request %s %v %q", ar.Method, ar.Header, body)
		}
		c, err := mw.Authenticate(ar)
		if err != nil || c.Subject() != "alice" {
			t.Errorf("Authenticate: %v", err)
		}
		c2, _ := jwtauth.FromContext(ar.Context())
		if c2.ID() != c.ID() {
			t.Error("the context's claims are not the header's token's")
		}
	})
}

// The Claims of the kit work with jwtauth's typed accessors.
func TestClaimsAs(t *testing.T) {
	kit := jwtauthtest.New(t, jwtauthtest.Options{})
	type user struct {
		Sub   string   `json:"sub"`
		Roles []string `json:"roles"`
	}
	u, err := jwtauth.ClaimsAs[user](kit.Context(t.Context(), "bob", map[string]any{"roles": []string{"a", "b"}}))
	if err != nil || u.Sub != "bob" || !slices.Equal(u.Roles, []string{"a", "b"}) {
		t.Errorf("%+v, %v", u, err)
	}
}

// Setup errors stop the test with a message; nothing panics.
func TestSetupErrorsStopTheTest(t *testing.T) {
	kit := jwtauthtest.New(t, jwtauthtest.Options{})
	cases := map[string]func(tb testing.TB){
		"unknown algorithm":   func(tb testing.TB) { jwtauthtest.New(tb, jwtauthtest.Options{Algorithm: "none"}) },
		"lowercase algorithm": func(tb testing.TB) { jwtauthtest.New(tb, jwtauthtest.Options{Algorithm: "hs256"}) },
		"weak secret": func(tb testing.TB) {
			jwtauthtest.New(tb, jwtauthtest.Options{Algorithm: "HS256", Key: []byte("short")})
		},
		"key of another alg": func(tb testing.TB) {
			k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			jwtauthtest.New(tb, jwtauthtest.Options{Algorithm: "ES384", Key: k})
		},
		"not a key":            func(tb testing.TB) { jwtauthtest.New(tb, jwtauthtest.Options{Algorithm: "RS256", Key: "secret"}) },
		"reserved claim":       func(tb testing.TB) { jwtauthtest.New(tb, jwtauthtest.Options{Claims: map[string]any{"exp": 1}}) },
		"case variant claim":   func(tb testing.TB) { jwtauthtest.New(tb, jwtauthtest.Options{Claims: map[string]any{"Sub": "x"}}) },
		"ttl too long":         func(tb testing.TB) { jwtauthtest.New(tb, jwtauthtest.Options{TTL: 48 * time.Hour}) },
		"Token reserved claim": func(tb testing.TB) { jwtauthtest.New(tb, jwtauthtest.Options{}).Token(map[string]any{"iss": "x"}) },
		"Claims bad subject":   func(tb testing.TB) { kit.Claims(tb, "a\x00b", nil) },
		"Claims unmarshalable": func(tb testing.TB) { kit.Claims(tb, "a", map[string]any{"f": func() {}}) },
		"Request bad target": func(tb testing.TB) {
			jwtauthtest.New(tb, jwtauthtest.Options{}).Request("GET", "not a target", "a", nil)
		},
		"Request bad method": func(tb testing.TB) {
			jwtauthtest.New(tb, jwtauthtest.Options{}).Request("GET /x HTTP/1.1\r\nX:", "/", "a", nil)
		},
		"Request relative without slash": func(tb testing.TB) {
			jwtauthtest.New(tb, jwtauthtest.Options{}).Request("GET", "me", "a", nil)
		},
		"provider HMAC":    func(tb testing.TB) { jwtauthtest.NewProvider(tb, jwtauthtest.ProviderOptions{Algorithm: "HS256"}) },
		"provider unknown": func(tb testing.TB) { jwtauthtest.NewProvider(tb, jwtauthtest.ProviderOptions{Algorithm: "none"}) },
		"provider retire current": func(tb testing.TB) {
			p := jwtauthtest.NewProvider(tb, jwtauthtest.ProviderOptions{})
			p.Retire(p.KeyID())
		},
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			msg := fatal(t, fn)
			if msg == "" {
				t.Fatal("did not stop the test")
			}
			t.Log(msg)
			if !strings.HasPrefix(msg, "jwtauthtest: ") {
				t.Errorf("message %q lacks the package prefix", msg)
			}
		})
	}
	// And the good forms do not stop it.
	if msg := fatal(t, func(tb testing.TB) {
		kit.Request("", "/", "a", nil)
		kit.Request("GET", "https://api.example.com/me?x=1", "a", nil)
	}); msg != "" {
		t.Errorf("stopped: %s", msg)
	}
}

// A kit of fixed keys signs what a verifier configured with the same key,
// elsewhere, accepts: a JWT_SECRET, a public key.
func TestFixedKeys(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	kit := jwtauthtest.New(t, jwtauthtest.Options{Algorithm: "HS256", Key: secret})
	mw := newMiddleware(t, jwtauth.Config{Keys: jwtauth.HMAC(secret)})
	if _, err := mw.Verify(t.Context(), kit.Token(nil)); err != nil {
		t.Errorf("HMAC: %v", err)
	}
	if kit.PublicKey() != nil {
		t.Error("an HMAC kit has a public key")
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	kit = jwtauthtest.New(t, jwtauthtest.Options{Algorithm: "ES384", Key: ec, KeyID: "k1"})
	mw = newMiddleware(t, jwtauth.Config{Keys: jwtauth.PublicKey("ES384", &ec.PublicKey)})
	c, err := mw.Verify(t.Context(), kit.Token(nil))
	if err != nil || c.KeyID() != "k1" || kit.KeyID() != "k1" {
		t.Errorf("ES384: %v, kid %q", err, c.KeyID())
	}
	// Bad tokens of a fixed key are bad too.
	for _, b := range kit.BadTokens() {
		if _, err := newMiddleware(t, kit.Config()).Verify(t.Context(), b.Token); !errors.Is(err, b.Err) {
			t.Errorf("%s: %v, want %v", b.Name, err, b.Err)
		}
	}
}

// Two kits never accept each other's tokens, RSA kits (which share the
// process's RSA keys) included.
func TestKitsAreIsolated(t *testing.T) {
	for _, alg := range []string{"RS256", "PS512", "ES256", "HS256", "EdDSA"} {
		a := jwtauthtest.New(t, jwtauthtest.Options{Algorithm: alg})
		b := jwtauthtest.New(t, jwtauthtest.Options{Algorithm: alg})
		if a.KeyID() == b.KeyID() {
			t.Errorf("%s: two kits with kid %q", alg, a.KeyID())
		}
		_, err := newMiddleware(t, a.Config()).Verify(t.Context(), b.Token(nil))
		if !errors.Is(err, jwtauth.ErrUnknownKey) {
			t.Errorf("%s: another kit's token: %v", alg, err)
		}
	}
}

// The kit's Issuer is the one behind its tokens and Keys: a logout through
// it refuses the session's tokens.
func TestKitIssuer(t *testing.T) {
	kit := jwtauthtest.New(t, jwtauthtest.Options{})
	mw := newMiddleware(t, kit.Config())
	tokens, err := kit.Issuer().Login(t.Context(), "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mw.Verify(t.Context(), tokens.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := kit.Issuer().Logout(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(t.Context(), tokens.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("after logout: %v", err)
	}
}

// A kit on a Clock mints tokens that expire when the clock says, for a
// Middleware on the same clock.
func TestKitOnClock(t *testing.T) {
	clock := new(jwtauthtest.Clock)
	kit := jwtauthtest.New(t, jwtauthtest.Options{Now: clock.Now, TTL: time.Minute})
	mw := newMiddleware(t, kit.Config())
	tok := kit.Token(nil)
	c, err := mw.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IssuedAt().Equal(clock.Now()) || !c.ExpiresAt().Equal(clock.Now().Add(time.Minute)) {
		t.Errorf("iat %v exp %v, clock %v", c.IssuedAt(), c.ExpiresAt(), clock.Now())
	}
	clock.Add(59 * time.Second)
	if _, err := mw.Verify(t.Context(), tok); err != nil {
		t.Errorf("before exp: %v", err)
	}
	clock.Add(time.Second)
	if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrTokenExpired) {
		t.Errorf("at exp: %v", err)
	}
	// Bad tokens follow the clock: minted now, they are bad now.
	for _, b := range kit.BadTokens() {
		if _, err := mw.Verify(t.Context(), b.Token); !errors.Is(err, b.Err) {
			t.Errorf("%s: %v, want %v", b.Name, err, b.Err)
		}
	}
	// A verifier on the real clock refuses the tokens of a zero Clock (2030).
	if _, err := newMiddleware(t, jwtauth.Config{Keys: kit.Keys()}).Verify(t.Context(), kit.Token(nil)); !errors.Is(err, jwtauth.ErrTokenNotYetValid) {
		t.Errorf("real clock: %v", err)
	}
	// Claims verifies on the kit's clock, whatever it reads.
	if c := kit.Claims(t, "a", nil); !c.IssuedAt().Equal(clock.Now()) {
		t.Errorf("Claims iat %v, clock %v", c.IssuedAt(), clock.Now())
	}
}

func TestClock(t *testing.T) {
	var zero jwtauthtest.Clock
	if want := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC); !zero.Now().Equal(want) {
		t.Errorf("zero Clock at %v", zero.Now())
	}
	if got := zero.Add(time.Hour); !got.Equal(time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC)) || !zero.Now().Equal(got) {
		t.Errorf("Add: %v", got)
	}
	at := time.Date(2020, 2, 2, 2, 2, 2, 2, time.UTC)
	c := jwtauthtest.NewClock(at)
	if !c.Now().Equal(at) {
		t.Errorf("NewClock: %v", c.Now())
	}
	c.Add(-time.Minute)
	if !c.Now().Equal(at.Add(-time.Minute)) {
		t.Errorf("Add(-1m): %v", c.Now())
	}
	c.Set(at)
	if !c.Now().Equal(at) {
		t.Errorf("Set: %v", c.Now())
	}

	// Concurrent use, for -race: 100 goroutines add 1s 100 times each.
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			for range 100 {
				c.Add(time.Second)
				c.Now()
			}
		})
	}
	wg.Wait()
	if got := c.Now().Sub(at); got != 10000*time.Second {
		t.Errorf("after concurrent Adds: %v", got)
	}
}

// A Kit is safe for concurrent use: parallel minting and verifying.
func TestKitConcurrent(t *testing.T) {
	kit := jwtauthtest.New(t, jwtauthtest.Options{Algorithm: "EdDSA"})
	mw := newMiddleware(t, kit.Config())
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Go(func() {
			ctx := context.Background()
			for range 8 {
				if _, err := mw.Verify(ctx, kit.Token(map[string]any{"n": i})); err != nil {
					errs <- err
				}
				c, _ := jwtauth.FromContext(kit.Context(ctx, "x", nil))
				if c.Subject() != "x" {
					errs <- errors.New("wrong subject")
				}
				if _, err := mw.Verify(ctx, kit.Bad(jwtauthtest.Expired)); !errors.Is(err, jwtauth.ErrTokenExpired) {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The JSON of the kit's claims is what the handler sees.
func TestClaimsJSON(t *testing.T) {
	kit := jwtauthtest.New(t, jwtauthtest.Options{Audience: "api"})
	c := kit.Claims(t, "alice", map[string]any{"n": 1})
	var m map[string]any
	if err := json.Unmarshal(must2(c.MarshalJSON()), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"iat", "nbf", "exp", "aud", "sub", "jti", "fresh", "n"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s in %v", k, m)
		}
	}
}

func must2(b []byte, _ error) []byte { return b }
