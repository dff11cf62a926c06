package jwtauth_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// TestAttackNilKeys: a Keys interface that holds a nil pointer (a failed
// Discover's *RemoteKeys) is a configuration error, never a panic.
func TestAttackNilKeys(t *testing.T) {
	var remote *jwtauth.RemoteKeys
	var iss *issuer.Issuer
	for name, keys := range map[string]jwtauth.Keys{
		"nil *RemoteKeys":      remote,
		"nil interface":        nil,
		"nil *Issuer's Keys()": iss.Keys(),
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("New panicked: %v", p)
				}
			}()
			_, err := jwtauth.New(jwtauth.Config{Keys: keys})
			if !errors.Is(err, jwtauth.ErrConfig) || !errors.Is(err, jwtauth.ErrNoKeys) {
				t.Fatalf("err = %v, want ErrConfig and ErrNoKeys", err)
			}
		})
	}
}

// TestAttackPublicKeyAsSecret: public key material given as an HMAC secret
// would let anyone who holds the public key forge tokens; it is refused.
func TestAttackPublicKeyAsSecret(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkix, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pkcs1 := x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)
	ecPKIX, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ecPriv, _ := x509.MarshalECPrivateKey(ecKey)
	cert := selfSigned(t, ecKey)
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	jwkOf := func(k any) []byte {
		jk, err := jwk.Import(k)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(jk)
		return b
	}
	for _, c := range []struct {
		name   string
		secret []byte
	}{
		{"PKIX PEM", pemOf("PUBLIC KEY", pkix)},
		{"PKIX PEM without newline", bytes.TrimSpace(pemOf("PUBLIC KEY", pkix))},
		{"PKIX PEM with leading space", append([]byte("  \n"), pemOf("PUBLIC KEY", pkix)...)},
		{"PKCS#1 PEM", pemOf("RSA PUBLIC KEY", pkcs1)},
		{"EC PEM", pemOf("PUBLIC KEY", ecPKIX)},
		{"certificate PEM", pemOf("CERTIFICATE", cert)},
		{"private key PEM", pemOf("PRIVATE KEY", pkcs8)},
		{"PKIX DER", pkix},
		{"PKCS#1 DER", pkcs1},
		{"EC PKIX DER", ecPKIX},
		{"certificate DER", cert},
		{"PKCS#8 DER", pkcs8},
		{"EC private DER", ecPriv},
		{"RSA JWK", jwkOf(&rsaKey.PublicKey)},
		{"EC JWK", jwkOf(&ecKey.PublicKey)},
		{"JWK Set", []byte(`{"keys":[` + string(jwkOf(&ecKey.PublicKey)) + `]}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, keys := range []jwtauth.Keys{jwtauth.HMAC(c.secret), jwtauth.SecretKey("HS384", c.secret), jwtauth.SecretKey("HS512", c.secret)} {
				_, err := jwtauth.New(jwtauth.Config{Keys: keys})
				if !errors.Is(err, jwtauth.ErrWeakSecret) || !errors.Is(err, jwtauth.ErrConfig) {
					t.Errorf("err = %v, want ErrWeakSecret", err)
				}
			}
		})
	}
	// Random secrets, an oct JWK's JSON and text pass.
	for _, s := range []string{strings.Repeat("k", 32), `{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}`, "0123456789abcdef0123456789abcdef-BEGIN"} {
		if _, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC([]byte(s))}); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
}

func selfSigned(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestConfigErrorShape: a config error names its field once, with the
// package prefix once, and matches ErrConfig and its cause.
func TestConfigErrorShape(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   jwtauth.Config
		field string
		cause error
	}{
		{"weak secret", jwtauth.Config{Keys: jwtauth.HMAC([]byte("short"))}, "Keys", jwtauth.ErrWeakSecret},
		{"bad key", jwtauth.Config{Keys: jwtauth.PublicKey("RS256", "not a key")}, "Keys", jwtauth.ErrKeyAlgorithm},
		{"remote options", jwtauth.Config{Keys: jwtauth.Remote(t.Context(), "https://example.com/jwks", jwtauth.RemoteOptions{MinRefresh: -1})}, "Keys", nil},
		{"leeway", jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Leeway: time.Hour}, "Leeway", nil},
		{"required claims", jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), RequiredClaims: []string{""}}, "RequiredClaims", nil},
		{"exclude", jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: []string{"/a/{"}}, "Exclude[0]", nil},
		{"audience twice", jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Audience: "a", InsecureAnyAudience: true}, "InsecureAnyAudience", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := jwtauth.New(c.cfg)
			var ce *jwtauth.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, jwtauth.ErrConfig) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if c.cause != nil && !errors.Is(err, c.cause) {
				t.Errorf("err = %v, does not match %v", err, c.cause)
			}
			msg := err.Error()
			if ce.Field != c.field || !strings.HasPrefix(msg, "jwtauth: invalid config: "+c.field) {
				t.Errorf("field %q, message %q: want field %q", ce.Field, msg, c.field)
			}
			if strings.Count(msg, "jwtauth:") != 1 || strings.Count(msg, "invalid config") != 1 {
				t.Errorf("prefix repeated: %q", msg)
			}
			if strings.Contains(msg, ".go:") || strings.Contains(msg, "/usr/") {
				t.Errorf("message quotes a file path: %q", msg)
			}
		})
	}
}

// TestAttackScopeSeparators: scopes are separated by U+0020 only (RFC 6749
// §3.3); other white space is part of a scope, and empty elements are none.
func TestAttackScopeSeparators(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	admin := jwtauth.RequireScope("admin")
	for _, c := range []struct {
		name   string
		claims []any
		ok     bool
	}{
		{"space", []any{"scope", "read admin"}, true},
		{"double space", []any{"scope", "read  admin"}, true},
		{"leading and trailing space", []any{"scope", " admin "}, true},
		{"NBSP", []any{"scope", "read\u00a0admin"}, false},
		{"tab", []any{"scope", "read\tadmin"}, false},
		{"LF", []any{"scope", "read\nadmin"}, false},
		{"CR", []any{"scope", "read\radmin"}, false},
		{"VT", []any{"scope", "read\vadmin"}, false},
		{"FF", []any{"scope", "read\fadmin"}, false},
		{"U+3000", []any{"scope", "read\u3000admin"}, false},
		{"U+2028", []any{"scope", "read\u2028admin"}, false},
		{"U+0085", []any{"scope", "read\u0085admin"}, false},
		{"U+2003", []any{"scope", "read\u2003admin"}, false},
		{"escaped space", []any{"scope", json.RawMessage(`"read\u0020admin"`)}, true},
		{"escaped NBSP", []any{"scope", json.RawMessage(`"read\u00a0admin"`)}, false},
		{"scp NBSP string", []any{"scp", "read\u00a0admin"}, false},
		{"scp array NBSP element", []any{"scp", []string{"read\u00a0admin"}}, false},
		{"scp array", []any{"scp", []string{"read", "admin"}}, true},
		{"scp array with empty", []any{"scp", []string{"", "admin"}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, body, probe := kitGuarded(t, m, admin, kitClaims("alice", c.claims...))
			if c.ok != (probe.reached == 1) {
				t.Fatalf("reached=%d, want ok=%v (%d %s)", probe.reached, c.ok, res.StatusCode, body)
			}
		})
	}

	// Scopes() agrees with the guard, and empty elements are no scope.
	for _, c := range []struct {
		claims []any
		want   []string
	}{
		{[]any{"scope", "read\u00a0admin  write "}, []string{"read\u00a0admin", "write"}},
		{[]any{"scp", []string{"", "a", ""}}, []string{"a"}},
		{[]any{"scope", "", "scp", []string{""}}, nil},
	} {
		claims, err := m.Verify(t.Context(), kitToken(t, kitClaims("alice", c.claims...)))
		if err != nil {
			t.Fatal(err)
		}
		if got := claims.Scopes(); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("Scopes() = %q, want %q", got, c.want)
		}
	}
}

// TestAttackGuardRequiresNothing: a guard that would require nothing fails
// closed (500) for every request, whatever the token.
func TestAttackGuardRequiresNothing(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	for name, guard := range map[string]func(http.Handler) http.Handler{
		`RequireScope("")`:              jwtauth.RequireScope(""),
		`RequireScope("a", "")`:         jwtauth.RequireScope("a", ""),
		`RequireScope(" ")`:             jwtauth.RequireScope(" "),
		`RequireClaim("")`:              jwtauth.RequireClaim(""),
		`RequireClaim("", "x")`:         jwtauth.RequireClaim("", "x"),
		`RequireClaim("role", "")`:      jwtauth.RequireClaim("role", ""),
		`RequireClaim("\xff")`:          jwtauth.RequireClaim("\xff"),
		`RequireClaim("role", "a", "")`: jwtauth.RequireClaim("role", "a", ""),
	} {
		t.Run(name, func(t *testing.T) {
			for _, claims := range []map[string]any{
				kitClaims("alice"),
				kitClaims("alice", "scope", "a ", "role", "", "", "x"),
			} {
				res, _, probe := kitGuarded(t, m, guard, claims)
				if probe.reached != 0 || res.StatusCode != 500 {
					t.Errorf("status %d reached=%d, want 500 and not reached", res.StatusCode, probe.reached)
				}
			}
			w := httptest.NewRecorder()
			guard(&kitProbe{}).ServeHTTP(w, kitReq("GET", kitTarget, nil))
			if w.Code != 500 {
				t.Errorf("without claims: %d, want 500", w.Code)
			}
		})
	}
}

// TestAttackGuardClaimFoldVariant: a token with a case or Unicode-fold
// variant of the claim a guard reads is refused (401), since Decode would
// read the variant where the guard does not.
func TestAttackGuardClaimFoldVariant(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	admin := jwtauth.RequireClaim("role", "admin")
	present := jwtauth.RequireClaim("role")
	for _, c := range []struct {
		name  string
		extra string
	}{
		{"ROLE only", `"ROLE":"admin"`},
		{"Role only", `"Role":"admin"`},
		{"role and ROLE", `"role":"user","ROLE":"admin"`}, // duplicate under folding: malformed
		{"escaped Role", `"\u0052ole":"admin"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := kitRawHS256(kitSecret, `{"alg":"HS256"}`, `{"sub":"alice","exp":4102444800,`+c.extra+`}`)
			for _, g := range []func(http.Handler) http.Handler{admin, present} {
				probe := &kitProbe{}
				w := httptest.NewRecorder()
				m.Handler(g(probe)).ServeHTTP(w, kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+tok))
				if probe.reached != 0 || w.Code != 401 {
					t.Errorf("status %d reached=%d, want 401", w.Code, probe.reached)
				}
			}
		})
	}
	// Value agrees: a claim with a fold variant beside it is not present.
	tok := kitRawHS256(kitSecret, `{"alg":"HS256"}`, `{"sub":"alice","exp":4102444800,"Role":"admin"}`)
	claims, err := m.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := claims.Value("role"); ok {
		t.Errorf("Value(role) = %s with only Role present", v)
	}
	if v, ok := claims.Value("Role"); !ok || string(v) != `"admin"` {
		t.Errorf("Value(Role) = %s, %v", v, ok)
	}
}

// TestGuardDescriptions: each kind of 403 says what is missing.
func TestGuardDescriptions(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	claims := kitClaims("alice", "scope", "x", "role", "user")
	for _, c := range []struct {
		guard func(http.Handler) http.Handler
		err   error
		desc  string
	}{
		{jwtauth.RequireScope("admin"), jwtauth.ErrMissingScope, kitScopeDesc},
		{jwtauth.RequireClaim("role", "admin"), jwtauth.ErrClaimValue, kitClaimDesc},
		{jwtauth.RequireFresh(), jwtauth.ErrNotFresh, kitFreshDesc},
	} {
		res, body, _ := kitGuarded(t, m, c.guard, claims)
		var p kitProblem
		if err := json.Unmarshal(body, &p); err != nil || res.StatusCode != 403 || p.Description != c.desc {
			t.Errorf("%d %s, want 403 %q", res.StatusCode, body, c.desc)
		}
		if !errors.Is(c.err, jwtauth.ErrInsufficientScope) || jwtauth.StatusCode(c.err) != 403 {
			t.Errorf("%v does not match ErrInsufficientScope", c.err)
		}
	}
}

// TestGuardOnExcludedAndOptionalRoutes: a guard on a route that the
// Middleware let through without claims answers with the Middleware's
// Realm, ErrorHandler and Logger.
func TestGuardOnExcludedAndOptionalRoutes(t *testing.T) {
	for _, mode := range []string{"Exclude", "Optional"} {
		t.Run(mode, func(t *testing.T) {
			var buf bytes.Buffer
			var handled []error
			cfg := jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Realm: "shop", Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
			if mode == "Exclude" {
				cfg.Exclude = []string{"/open/"}
			} else {
				cfg.Optional = true
			}
			m := kitNew(t, cfg)
			probe := &kitProbe{}
			w := httptest.NewRecorder()
			m.Handler(jwtauth.RequireScope("admin")(probe)).ServeHTTP(w, kitReq("GET", "/open/x", nil))
			if probe.reached != 0 || w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `Bearer realm="shop"`) {
				t.Errorf("%d %q: not the Middleware's answer", w.Code, w.Header().Get("WWW-Authenticate"))
			}
			if !strings.Contains(buf.String(), `"status":401`) {
				t.Errorf("not logged by the Middleware's Logger: %q", buf.String())
			}

			cfg.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
				handled = append(handled, err)
				w.WriteHeader(499)
			}
			m = kitNew(t, cfg)
			w = httptest.NewRecorder()
			m.Handler(jwtauth.RequireClaim("role", "admin")(probe)).ServeHTTP(w, kitReq("GET", "/open/x", nil))
			if w.Code != 499 || len(handled) != 1 || !errors.Is(handled[0], jwtauth.ErrMissingToken) {
				t.Errorf("%d %v: not the Middleware's ErrorHandler", w.Code, handled)
			}
		})
	}
}

// secretStore fails with an error whose text must never reach a log.
type secretStore struct{ jwtauth.Store }

func (secretStore) Revoked(context.Context, jwtauth.TokenRef) (bool, error) {
	return false, errors.New("redis://user:hunter2@db:6379 token-id-4711")
}

// TestAttackStoreErrorNotLogged: the log record's reason is fixed text, never
// a custom Store's error.
func TestAttackStoreErrorNotLogged(t *testing.T) {
	var buf bytes.Buffer
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Store: secretStore{}, Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	w := httptest.NewRecorder()
	tok := kitToken(t, kitClaims("alice", "jti", "token-id-4711"))
	m.Handler(&kitProbe{}).ServeHTTP(w, kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+tok))
	if w.Code != 500 {
		t.Fatalf("status %d, want 500", w.Code)
	}
	for _, leak := range []string{"hunter2", "token-id-4711", "redis://"} {
		if strings.Contains(buf.String(), leak) || strings.Contains(w.Body.String(), leak) {
			t.Errorf("%q leaked: log %s body %s", leak, buf.String(), w.Body.String())
		}
	}
	if !strings.Contains(buf.String(), jwtauth.ErrStore.Error()) {
		t.Errorf("log %s: want the fixed reason %q", buf.String(), jwtauth.ErrStore)
	}
}

// TestInsecureExcludeEverything: a pattern that excludes every request needs
// the option by name; with it, the pattern works as ServeMux says.
func TestInsecureExcludeEverything(t *testing.T) {
	for _, p := range []string{"/", "GET /", "/{p...}"} {
		if _, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: []string{p}}); !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%q accepted without InsecureExcludeEverything: %v", p, err)
		}
		m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: []string{p}, InsecureExcludeEverything: true})
		probe := &kitProbe{}
		w := httptest.NewRecorder()
		m.Handler(probe).ServeHTTP(w, kitReq("GET", "/anything", nil))
		if probe.reached != 1 {
			t.Errorf("%q with InsecureExcludeEverything: %d, not excluded", p, w.Code)
		}
	}
}

// TestTokensMarshalJSON: Tokens marshals as an OAuth 2.0 token response (RFC
// 6749 §5.1) however it reaches json.Marshal: a value, a pointer, or a field
// of a struct.
func TestTokensMarshalJSON(t *testing.T) {
	tk := issuer.Tokens{AccessToken: "a.b.c", RefreshToken: "r.s.t", ExpiresIn: time.Minute}
	const want = `{"access_token":"a.b.c","token_type":"bearer","expires_in":60,"refresh_token":"r.s.t"}`
	for name, v := range map[string]any{"value": tk, "pointer": &tk, "field": struct{ T issuer.Tokens }{tk}} {
		got, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "field" {
			var f struct{ T json.RawMessage }
			if err := json.Unmarshal(got, &f); err != nil {
				t.Fatal(err)
			}
			got = f.T
		}
		if string(got) != want {
			t.Errorf("%s: %s\nwant %s", name, got, want)
		}
	}
}

// TestRefreshTypeByName: a refresh token (typ refresh+jwt, in any of its
// spellings) verifies only where Config.Type names that type, as the issuer's
// own refresh verifier does; there, an access token does not.
func TestRefreshTypeByName(t *testing.T) {
	secret := []byte("a secret for this test, 32 bytes or more")
	exp := time.Now().Add(time.Hour).Unix()
	payload := fmt.Sprintf(`{"sub":"alice","exp":%d}`, exp)
	rt := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(secret), Type: jwtauth.RefreshTokenType})
	at := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(secret)})
	for _, typ := range []string{"refresh+jwt", "application/refresh+jwt", "REFRESH+JWT"} {
		tok := kitRawHS256(secret, `{"alg":"HS256","typ":"`+typ+`"}`, payload)
		if _, err := rt.Verify(t.Context(), tok); err != nil {
			t.Errorf("typ %q at the refresh verifier: %v", typ, err)
		}
		if _, err := at.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrTokenType) {
			t.Errorf("typ %q at an access verifier: %v; want ErrTokenType", typ, err)
		}
	}
	for _, h := range []string{`{"alg":"HS256","typ":"JWT"}`, `{"alg":"HS256"}`} {
		if _, err := rt.Verify(t.Context(), kitRawHS256(secret, h, payload)); !errors.Is(err, jwtauth.ErrTokenType) {
			t.Errorf("%s at the refresh verifier: %v; want ErrTokenType", h, err)
		}
	}
}

// wrappingStore fails with an error that wraps another package error, as a
// custom Store may: the answer must still be the store's 500, and an
// Optional Middleware must not let the request through as anonymous.
type wrappingStore struct{ err error }

func (s wrappingStore) Revoked(context.Context, jwtauth.TokenRef) (bool, error) { return false, s.err }

func TestAttackStoreErrorWrappingAnotherClass(t *testing.T) {
	tok := kitToken(t, kitClaims("alice", "jti", "j-1"))
	for _, inner := range []error{jwtauth.ErrMissingToken, jwtauth.ErrTokenRevoked, jwtauth.ErrKeysUnavailable, jwtauth.ErrMissingScope, jwtauth.ErrInvalidToken} {
		for _, optional := range []bool{false, true} {
			m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Optional: optional,
				Store: wrappingStore{fmt.Errorf("redis said: %w", inner)}})
			reached := false
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })).ServeHTTP(w, r)
			if reached || w.Code != 500 {
				t.Errorf("store error wrapping %v (Optional %v): %d, reached %v; want 500", inner, optional, w.Code, reached)
			}
		}
	}
	// A Validate hook returning ErrMissingToken does not make an Optional
	// request anonymous either.
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Optional: true,
		Validate: func(context.Context, *jwtauth.Claims) error { return jwtauth.ErrMissingToken }})
	reached := false
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })).ServeHTTP(w, r)
	if reached || w.Code != 401 {
		t.Errorf("Validate returning ErrMissingToken under Optional: %d, reached %v; want 401", w.Code, reached)
	}
}
