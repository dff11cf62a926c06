package issuer_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
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
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// signers holds one private key per algorithm family, made once per test
// binary (RSA key generation is slow under -race).
var signers = sync.OnceValue(func() map[string]any {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	secret := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
	return map[string]any{
		"HS256": secret(32), "HS384": secret(48), "HS512": secret(64),
		"RS256": rsaKey, "RS384": rsaKey, "RS512": rsaKey,
		"PS256": rsaKey, "PS384": rsaKey, "PS512": rsaKey,
		"ES256": p256, "ES384": p384, "ES512": p521,
		"EdDSA": ed,
	}
})

var allAlgorithms = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func newIssuer(t testing.TB, cfg issuer.Config) *issuer.Issuer {
	t.Helper()
	if cfg.Key.Algorithm == "" {
		cfg.Key = issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}
	}
	iss, err := issuer.New(cfg)
	if err != nil {
		t.Fatalf("NewIssuer: %v", err)
	}
	return iss
}

func TestIssueRoundTripEveryAlgorithm(t *testing.T) {
	for _, alg := range allAlgorithms {
		t.Run(alg, func(t *testing.T) {
			iss := newIssuer(t, issuer.Config{
				Key:      issuer.SigningKey{Algorithm: alg, Key: signers()[alg]},
				Issuer:   "https://auth.example.com",
				Audience: "api",
				TTL:      10 * time.Minute,
			})
			tok, err := iss.Issue(t.Context(), "user-1", map[string]any{"name": "Ada", "roles": []string{"a", "b"}})
			if err != nil {
				t.Fatal(err)
			}
			mw := mustNew(t, jwtauth.Config{Keys: iss.Keys(), Issuer: "https://auth.example.com", Audience: "api"})
			c, err := mw.Verify(t.Context(), tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.Subject() != "user-1" || c.Issuer() != "https://auth.example.com" ||
				!slices.Equal(c.Audience(), []string{"api"}) || c.ID() == "" || c.KeyID() != iss.KeyID() || !c.Fresh() {
				t.Errorf("claims: sub %q iss %q aud %q jti %q kid %q fresh %v", c.Subject(), c.Issuer(), c.Audience(), c.ID(), c.KeyID(), c.Fresh())
			}
			if d := c.ExpiresAt().Sub(c.IssuedAt()); d != 10*time.Minute {
				t.Errorf("exp - iat = %v", d)
			}
			var priv struct {
				Name  string   `json:"name"`
				Roles []string `json:"roles"`
			}
			if err := c.Decode(&priv); err != nil || priv.Name != "Ada" || len(priv.Roles) != 2 {
				t.Errorf("Decode = %+v, %v", priv, err)
			}

			// jwx, as an independent verifier, agrees.
			var verifyKey any = signers()[alg]
			if s, ok := verifyKey.(crypto.Signer); ok {
				verifyKey = s.Public()
			}
			sigAlg, _ := jwa.LookupSignatureAlgorithm(alg)
			if _, err := jwt.Parse([]byte(tok), jwt.WithKey(sigAlg, verifyKey), jwt.WithValidate(true)); err != nil {
				t.Errorf("jwx rejects the token: %v", err)
			}
		})
	}
}

func TestIssueRefusesReservedClaims(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	for _, claims := range []map[string]any{
		{"sub": "admin"}, {"exp": 1}, {"EXP": 1}, {"Iss": "x"}, {"aud": "x"}, {"jti": "x"},
		{"sid": "x"}, {"fresh": true}, {"": 1}, {"a\x00b": 1}, {"bad\xffname": 1},
		{"role": "user", "Role": "admin"},
	} {
		if _, err := iss.Issue(t.Context(), "u", claims); !errors.Is(err, issuer.ErrReservedClaim) {
			t.Errorf("Issue(%q) = %v, want ErrReservedClaim", claims, err)
		}
	}
	if _, err := iss.Issue(t.Context(), "u", map[string]any{"f": func() {}}); err == nil {
		t.Error("a value that does not marshal was accepted")
	}
	// Characters that need escaping in JSON are fine: the token is built
	// by encoding/json, not by concatenation.
	tok, err := iss.Issue(t.Context(), "u", map[string]any{`quote"name`: `"},"admin":true,"x":{"`})
	if err != nil {
		t.Fatal(err)
	}
	c, err := mustNew(t, jwtauth.Config{Keys: iss.Keys()}).Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, injected := c.Value("admin"); injected {
		t.Error("a claim value injected a claim")
	}
}

func TestNewIssuerConfigErrors(t *testing.T) {
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384 := signers()["ES384"]
	for name, cfg := range map[string]issuer.Config{
		"no key":             {},
		"unknown alg":        {Key: issuer.SigningKey{Algorithm: "none", Key: []byte("x")}},
		"short secret":       {Key: issuer.SigningKey{Algorithm: "HS256", Key: make([]byte, 31)}},
		"short HS512":        {Key: issuer.SigningKey{Algorithm: "HS512", Key: make([]byte, 63)}},
		"string secret":      {Key: issuer.SigningKey{Algorithm: "HS256", Key: strings.Repeat("x", 40)}},
		"public key":         {Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"].(crypto.Signer).Public()}},
		"curve mismatch":     {Key: issuer.SigningKey{Algorithm: "ES256", Key: p384}},
		"small RSA":          {Key: issuer.SigningKey{Algorithm: "RS256", Key: rsa1024}},
		"secret for RS":      {Key: issuer.SigningKey{Algorithm: "RS256", Key: make([]byte, 64)}},
		"TTL too long":       {Key: issuer.SigningKey{Algorithm: "HS256", Key: signers()["HS256"]}, TTL: 48 * time.Hour},
		"TTL negative":       {Key: issuer.SigningKey{Algorithm: "HS256", Key: signers()["HS256"]}, TTL: -time.Second},
		"refresh ≤ TTL":      {Key: issuer.SigningKey{Algorithm: "HS256", Key: signers()["HS256"]}, TTL: time.Hour, RefreshTTL: time.Hour},
		"weak RefreshSecret": {Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}, RefreshSecret: []byte("short")},
	} {
		if _, err := issuer.New(cfg); !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%s: NewIssuer = %v, want ErrConfig", name, err)
		}
	}
}

func TestRotateAndRetire(t *testing.T) {
	for _, alg := range []string{"HS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			iss := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: alg, Key: signers()[alg]}})
			mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
			oldKID := iss.KeyID()
			old, _ := iss.Issue(t.Context(), "u", nil)
			oldSession, _ := iss.Login(t.Context(), "u", nil)

			var next any
			if alg == "HS256" {
				b := make([]byte, 32)
				rand.Read(b)
				next = b
			} else {
				next, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			}
			if err := iss.Rotate(issuer.SigningKey{Algorithm: alg, Key: next, ID: "k2"}); err != nil {
				t.Fatal(err)
			}
			if iss.KeyID() != "k2" || oldKID == "k2" {
				t.Fatalf("KeyID = %q after rotation", iss.KeyID())
			}
			fresh, _ := iss.Issue(t.Context(), "u", nil)
			for name, tok := range map[string]string{"old": old, "new": fresh} {
				if _, err := mw.Verify(t.Context(), tok); err != nil {
					t.Errorf("%s token after rotation: %v", name, err)
				}
			}
			// A session that began before the rotation still refreshes.
			if _, err := iss.Refresh(t.Context(), oldSession.RefreshToken); err != nil {
				t.Errorf("refresh across rotation: %v", err)
			}

			if err := iss.Retire("k2"); !errors.Is(err, issuer.ErrUnknownKeyID) {
				t.Errorf("Retire(active) = %v", err)
			}
			if err := iss.Retire("nope"); !errors.Is(err, issuer.ErrUnknownKeyID) {
				t.Errorf("Retire(unknown) = %v", err)
			}
			if err := iss.Retire(oldKID); err != nil {
				t.Fatal(err)
			}
			if _, err := mw.Verify(t.Context(), old); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("token of a retired key: %v", err)
			}
			if _, err := mw.Verify(t.Context(), fresh); err != nil {
				t.Errorf("token of the active key after Retire: %v", err)
			}
		})
	}
}

func TestJWKSHandler(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	srv := httptest.NewServer(iss.JWKSHandler())
	defer srv.Close()

	get := func() (*http.Response, []byte) {
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	res, body := get()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/jwk-set+json" ||
		!strings.Contains(res.Header.Get("Cache-Control"), "max-age=") {
		t.Fatalf("GET: %d %v", res.StatusCode, res.Header)
	}
	set, err := jwk.Parse(body)
	if err != nil || set.Len() != 1 {
		t.Fatalf("jwx parses %d keys, %v: %s", set.Len(), err, body)
	}
	k, _ := set.Key(0)
	if kid, _ := k.KeyID(); kid != iss.KeyID() {
		t.Errorf("kid %q, want %q", kid, iss.KeyID())
	}
	if alg, _ := k.Algorithm(); alg.String() != "ES256" {
		t.Errorf("alg %v", alg)
	}
	if strings.Contains(string(body), `"d"`) {
		t.Fatal("the JWK Set contains a private key")
	}

	// A resource server configured from the set verifies the issuer's tokens,
	// before and after a rotation.
	tok, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mustNew(t, jwtauth.Config{Keys: jwtauth.KeySet(body)}).Verify(t.Context(), tok); err != nil {
		t.Errorf("token via published JWKS: %v", err)
	}
	next, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err := iss.Rotate(issuer.SigningKey{Algorithm: "ES256", Key: next}); err != nil {
		t.Fatal(err)
	}
	_, body = get()
	if set, err := jwk.Parse(body); err != nil || set.Len() != 2 {
		t.Fatalf("after rotation: %v, %s", err, body)
	}
	tok2, _ := iss.Issue(t.Context(), "u", nil)
	mw := mustNew(t, jwtauth.Config{Keys: jwtauth.KeySet(body)})
	for _, tk := range []string{tok, tok2} {
		if _, err := mw.Verify(t.Context(), tk); err != nil {
			t.Errorf("after rotation: %v", err)
		}
	}

	// Secrets are never published.
	hs := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: signers()["HS256"]}})
	w := httptest.NewRecorder()
	hs.JWKSHandler().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if strings.TrimSpace(w.Body.String()) != `{"keys":[]}` {
		t.Errorf("HMAC issuer publishes %s", w.Body)
	}
	w = httptest.NewRecorder()
	iss.JWKSHandler().ServeHTTP(w, httptest.NewRequest("POST", "/", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}

// clock is a settable time source for IssuerConfig.Now and Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestTokensExpire(t *testing.T) {
	clk := &clock{now: time.Now()}
	iss := newIssuer(t, issuer.Config{Now: clk.Now, TTL: time.Minute, RefreshTTL: time.Hour})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys(), Now: clk.Now})
	tokens, err := iss.Login(t.Context(), "u", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tokens.ExpiresIn != time.Minute {
		t.Errorf("ExpiresIn = %v", tokens.ExpiresIn)
	}
	clk.Add(time.Minute)
	if _, err := mw.Verify(t.Context(), tokens.AccessToken); !errors.Is(err, jwtauth.ErrTokenExpired) {
		t.Errorf("access token after TTL: %v", err)
	}
	if _, err := iss.Refresh(t.Context(), tokens.RefreshToken); err != nil {
		t.Errorf("refresh within RefreshTTL: %v", err)
	}
	clk.Add(time.Hour)
	if _, err := iss.Refresh(t.Context(), tokens.RefreshToken); !errors.Is(err, jwtauth.ErrTokenExpired) {
		t.Errorf("refresh after RefreshTTL: %v", err)
	}
}

func TestWriteTokens(t *testing.T) {
	w := httptest.NewRecorder()
	issuer.WriteTokens(w, &issuer.Tokens{AccessToken: "a.b.c", RefreshToken: "d.e.f", ExpiresIn: 15 * time.Minute})
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
		t.Errorf("%d %v", w.Code, w.Header())
	}
	var got map[string]any
	json.Unmarshal(w.Body.Bytes(), &got)
	want := map[string]any{"access_token": "a.b.c", "token_type": "bearer", "expires_in": 900.0, "refresh_token": "d.e.f"}
	if len(got) != len(want) {
		t.Fatalf("body %s", w.Body)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func mustNew(t testing.TB, cfg jwtauth.Config) *jwtauth.Middleware {
	t.Helper()
	m, err := jwtauth.New(cfg)
	if err != nil {
		t.Fatalf("jwtauth.New: %v", err)
	}
	return m
}
