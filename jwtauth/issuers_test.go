package jwtauth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// idp is an identity provider on a real local server: its issuer signs, its
// JWKS endpoint serves the public keys (or a fault), counting fetches.
type idp struct {
	key  issuer.SigningKey
	iss  *issuer.Issuer
	jwks *jwksServer
}

func newIDP(t *testing.T, issuerName, kid, audience string) *idp {
	key := issuer.SigningKey{Algorithm: "ES256", Key: mustECKey(), ID: kid}
	iss := newIssuer(t, issuer.Config{Issuer: issuerName, Audience: audience, Key: key})
	return &idp{key: key, iss: iss, jwks: newJWKSServer(t, iss.JWKSHandler().ServeHTTP)}
}

func (p *idp) token(t *testing.T, sub string) string {
	tok, err := p.iss.Issue(t.Context(), sub, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// forge signs a token claiming iss and aud with key.
func forge(t *testing.T, key issuer.SigningKey, iss, aud string) string {
	tok, err := newIssuer(t, issuer.Config{Issuer: iss, Audience: aud, Key: key}).Issue(t.Context(), "admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestIssuersSelectByIss(t *testing.T) {
	a := newIDP(t, "https://a.example", "k1", "api")
	b := newIDP(t, "https://b.example", "k1", "api") // the same kid, another key
	c := newIDP(t, "https://c.example", "k1", "other-api")
	fetches := func() int64 { return a.jwks.fetches.Load() + b.jwks.fetches.Load() + c.jwks.fetches.Load() }
	opts := jwtauth.RemoteOptions{MissRefresh: time.Hour}
	mw := mustNew(t, jwtauth.Config{
		Audiences: []string{"api", "api2"},
		Issuers: []jwtauth.TrustedIssuer{
			{Issuer: "https://a.example", Keys: remote(t, a.jwks.URL, opts)},
			{Issuer: "https://b.example", Keys: remote(t, b.jwks.URL, opts)},
			{Issuer: "https://c.example", Keys: remote(t, c.jwks.URL, opts), Audience: "other-api"},
		},
	})
	for name, p := range map[string]*idp{"a": a, "b": b, "c": c} {
		cl, err := mw.Verify(t.Context(), p.token(t, "user-"+name))
		if err != nil || cl.Subject() != "user-"+name {
			t.Fatalf("%s's token: %v", name, err)
		}
	}

	// iss B signed with A's key and kid: B's keys check it, and refuse.
	if _, err := mw.Verify(t.Context(), forge(t, a.key, "https://b.example", "api")); !errors.Is(err, jwtauth.ErrSignature) {
		t.Errorf("iss B signed with A's key and kid: %v; want ErrSignature", err)
	}
	// Each issuer's audience: c's token for "api" is refused, a's for "api2"
	// (any of the Config's) passes.
	if _, err := mw.Verify(t.Context(), forge(t, c.key, "https://c.example", "api")); !errors.Is(err, jwtauth.ErrAudience) {
		t.Errorf("c's token for another audience: %v; want ErrAudience", err)
	}
	if _, err := mw.Verify(t.Context(), forge(t, a.key, "https://a.example", "api2")); err != nil {
		t.Errorf("a's token for the second audience: %v", err)
	}

	// A flood of random iss values, and malformed ones: refused before any
	// key is looked up, with no fetch anywhere.
	before := fetches()
	for k := range 300 {
		tok := forge(t, a.key, fmt.Sprintf("https://evil-%d.example", k), "api")
		if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrIssuer) {
			t.Fatalf("unlisted iss: %v; want ErrIssuer", err)
		}
	}
	secret := []byte("not the key of anyone, 32 bytes long")
	for name, payload := range map[string]string{
		"no iss":       `{"sub":"u","exp":4102444800}`,
		"case":         `{"iss":"https://A.EXAMPLE","sub":"u","exp":4102444800}`,
		"slash":        `{"iss":"https://a.example/","sub":"u","exp":4102444800}`,
		"array":        `{"iss":["https://a.example"],"sub":"u","exp":4102444800}`,
		"duplicate":    `{"iss":"https://a.example","iss":"https://a.example","exp":4102444800}`,
		"fold variant": `{"iss":"https://a.example","ISS":"https://b.example","exp":4102444800}`,
		"not json":     `{"iss":"https://a.example",`,
	} {
		tok := kitRawHS256(secret, `{"alg":"ES256","kid":"k1"}`, payload)
		if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Errorf("%s: %v; want refused", name, err)
		}
	}
	if n := fetches() - before; n != 0 {
		t.Errorf("%d fetches for tokens of unlisted or malformed iss; want 0", n)
	}
}

// One provider down (hung) while the other serves: the other's tokens are
// not slowed, and the hung one's get 503 within MaxWait.
func TestIssuersOneProviderDown(t *testing.T) {
	up := newIDP(t, "https://up.example", "", "")
	down := newIDP(t, "https://down.example", "", "")
	down.jwks.set(hang(t))
	mw := mustNew(t, jwtauth.Config{Issuers: []jwtauth.TrustedIssuer{
		{Issuer: "https://up.example", Keys: remote(t, up.jwks.URL, jwtauth.RemoteOptions{})},
		{Issuer: "https://down.example", Keys: remote(t, down.jwks.URL, jwtauth.RemoteOptions{Client: down.jwks.Client(), MaxWait: 200 * time.Millisecond})},
	}})
	good := up.token(t, "u")
	waitFor(t, "the up provider", func() bool { _, err := mw.Verify(t.Context(), good); return err == nil })
	worst := time.Duration(0)
	for range 20 {
		start := time.Now()
		if _, err := mw.Verify(t.Context(), good); err != nil {
			t.Fatalf("up provider's token: %v", err)
		}
		worst = max(worst, time.Since(start))
	}
	start := time.Now()
	_, err := mw.Verify(t.Context(), down.token(t, "u"))
	waited := time.Since(start)
	if !errors.Is(err, jwtauth.ErrKeysUnavailable) || waited > time.Second {
		t.Errorf("hung provider's token: %v after %v; want 503 within MaxWait", err, waited)
	}
	t.Logf("up provider worst verify %v; hung provider's token answered in %v (MaxWait 200ms)", worst, waited.Round(time.Millisecond))
}

// discoveryHost serves OpenID discovery documents for several issuers of one
// host, as Keycloak (realms), Auth0 (issuer with a trailing slash) and Google
// (jwks_uri on another path) publish them.
type discoveryHost struct {
	*httptest.Server
	mux *http.ServeMux
}

func newDiscoveryHost(t *testing.T) *discoveryHost {
	mux := http.NewServeMux()
	h := &discoveryHost{Server: httptest.NewServer(mux), mux: mux}
	t.Cleanup(h.Close)
	return h
}

// add publishes iss at {base}{path}, its discovery document under
// {issuer}/.well-known/openid-configuration, and its keys at jwksPath.
func (h *discoveryHost) add(t *testing.T, issuerPath, jwksPath string) (string, *idp) {
	name := h.URL + issuerPath
	key := issuer.SigningKey{Algorithm: "ES256", Key: mustECKey()}
	iss := newIssuer(t, issuer.Config{Issuer: name, Key: key})
	base := name
	if base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	h.mux.Handle("GET "+jwksPath, iss.JWKSHandler())
	h.mux.HandleFunc("GET "+base[len(h.URL):]+"/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": name, "jwks_uri": h.URL + jwksPath,
			"authorization_endpoint": name + "/authorize", "id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	return name, &idp{key: key, iss: iss}
}

func TestIssuersDiscovery(t *testing.T) {
	h := newDiscoveryHost(t)
	kcA, kcAIss := h.add(t, "/realms/alpha", "/realms/alpha/protocol/openid-connect/certs")
	kcB, kcBIss := h.add(t, "/realms/beta", "/realms/beta/protocol/openid-connect/certs")
	auth0, auth0Iss := h.add(t, "/tenant/", "/tenant/.well-known/jwks.json")
	google, googleIss := h.add(t, "/accounts", "/oauth2/v3/certs")
	var trusted []jwtauth.TrustedIssuer
	for _, name := range []string{kcA, kcB, auth0, google} {
		keys, err := jwtauth.Discover(t.Context(), name, jwtauth.RemoteOptions{AllowLoopbackHTTP: true})
		if err != nil {
			t.Fatalf("Discover(%s): %v", name, err)
		}
		t.Cleanup(func() { keys.Close() })
		trusted = append(trusted, jwtauth.TrustedIssuer{Issuer: name, Keys: keys})
	}
	mw := mustNew(t, jwtauth.Config{Issuers: trusted})
	for name, p := range map[string]*idp{kcA: kcAIss, kcB: kcBIss, auth0: auth0Iss, google: googleIss} {
		tok := p.token(t, "u")
		c, err := mw.Verify(t.Context(), tok)
		if err != nil || c.Issuer() != name {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A realm's token is not another realm's, on the same host.
	if _, err := mw.Verify(t.Context(), forge(t, kcAIss.key, kcB, "")); !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("realm alpha's key claiming realm beta: %v", err)
	}
	// Auth0's issuer has its trailing slash; without it, it is another
	// (unlisted) issuer.
	if _, err := mw.Verify(t.Context(), forge(t, auth0Iss.key, auth0[:len(auth0)-1], "")); !errors.Is(err, jwtauth.ErrIssuer) {
		t.Errorf("Auth0 issuer without its slash: %v", err)
	}
}

func TestIssuersConfig(t *testing.T) {
	k := jwtauth.HMAC([]byte("a secret for this test, 32 bytes or more"))
	for name, cfg := range map[string]jwtauth.Config{
		"Keys too":     {Keys: k, Issuers: []jwtauth.TrustedIssuer{{Issuer: "a", Keys: k}}},
		"Issuer too":   {Issuer: "a", Issuers: []jwtauth.TrustedIssuer{{Issuer: "a", Keys: k}}},
		"empty issuer": {Issuers: []jwtauth.TrustedIssuer{{Keys: k}}},
		"twice":        {Issuers: []jwtauth.TrustedIssuer{{Issuer: "a", Keys: k}, {Issuer: "a", Keys: k}}},
		"no keys":      {Issuers: []jwtauth.TrustedIssuer{{Issuer: "a"}}},
		"weak key":     {Issuers: []jwtauth.TrustedIssuer{{Issuer: "a", Keys: jwtauth.HMAC([]byte("short"))}}},
		"empty aud":    {Audiences: []string{""}, Keys: k},
		"any and list": {Audiences: []string{"x"}, InsecureAnyAudience: true, Keys: k},
	} {
		_, err := jwtauth.New(cfg)
		if !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%s: %v; want ErrConfig", name, err)
		}
	}
	_, err := jwtauth.New(jwtauth.Config{Issuers: []jwtauth.TrustedIssuer{{Issuer: "https://a.example", Keys: jwtauth.HMAC([]byte("short"))}}})
	if err == nil || !strings.Contains(err.Error(), `Issuers[0] ("https://a.example")`) {
		t.Errorf("error does not name the issuer: %v", err)
	}
}
