package jwtauth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/dpop"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// dpopSecret signs the access tokens of the DPoP tests.
var dpopSecret = []byte("dpop-test-secret-0123456789abcdefghijklmnopqrstuvwxyz")

// dpopKeys are the client keys of the DPoP tests, made once.
var dpopKeys = sync.OnceValue(func() struct {
	p256, other *ecdsa.PrivateKey
	ed          ed25519.PrivateKey
} {
	p, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	o, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	return struct {
		p256, other *ecdsa.PrivateKey
		ed          ed25519.PrivateKey
	}{p, o, ed}
})

// dpopToken mints an HS256 access token, bound to jkt when it is not "".
func dpopToken(t testing.TB, jkt string) string {
	t.Helper()
	b := jwt.NewBuilder().Subject("alice").Expiration(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if jkt != "" {
		b = b.Claim("cnf", map[string]string{"jkt": jkt})
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), dpopSecret))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func mustProver(t testing.TB, key crypto.Signer, alg string) *dpop.Prover {
	t.Helper()
	p, err := dpop.NewProver(key, alg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustProof(t testing.TB, p *dpop.Prover, method, url, token, nonce string) string {
	t.Helper()
	proof, err := p.Proof(method, url, token, nonce)
	if err != nil {
		t.Fatal(err)
	}
	return proof
}

// publicJWK is the JSON object of key's public JWK.
func publicJWK(t testing.TB, key crypto.Signer) map[string]any {
	t.Helper()
	jk, err := jwk.Import(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(jk)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// forgeProof signs any header and claims with key, as an attacker would.
func forgeProof(t testing.TB, key crypto.Signer, alg string, hdr, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(hdr)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	var sig []byte
	switch alg {
	case "none":
	case "HS256":
		s, err := jwsbb.Sign(dpopSecret, alg, []byte(input), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		sig = s
	default:
		s, err := jwsbb.Sign(key, alg, []byte(input), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		sig = s
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

var tlsState tls.ConnectionState

func ath(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func dpopMW(t testing.TB, dc jwtauth.DPoPConfig) *jwtauth.Middleware {
	t.Helper()
	return mustNew(t, jwtauth.Config{Keys: jwtauth.HMAC(dpopSecret), DPoP: &dc})
}

func dpopRequest(method, url, scheme, token string, proofs ...string) *http.Request {
	r := httptest.NewRequest(method, url, nil)
	if token != "" {
		r.Header.Set("Authorization", scheme+" "+token)
	}
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	return r
}

// A bound token with a proof of its key passes, for each key type, and the
// claims say what the token is bound to.
func TestDPoPAccepts(t *testing.T) {
	k := dpopKeys()
	for _, tc := range []struct {
		alg string
		key crypto.Signer
	}{{"ES256", k.p256}, {"EdDSA", k.ed}, {"PS256", signers()["PS256"].(crypto.Signer)}, {"RS256", signers()["RS256"].(crypto.Signer)}} {
		t.Run(tc.alg, func(t *testing.T) {
			mw := dpopMW(t, jwtauth.DPoPConfig{})
			p := mustProver(t, tc.key, tc.alg)
			tok := dpopToken(t, p.Thumbprint())
			for range 3 { // cold, then the cached token: each proof once
				r := dpopRequest("GET", "https://api.example.com/items?page=2", "DPoP", tok,
					mustProof(t, p, "GET", "https://api.example.com/items", tok, ""))
				r.TLS = &tlsState
				c, err := mw.Authenticate(r)
				if err != nil {
					t.Fatal(err)
				}
				if c.Thumbprint() != p.Thumbprint() || c.Subject() != "alice" {
					t.Fatalf("claims: jkt %q sub %q", c.Thumbprint(), c.Subject())
				}
			}
		})
	}
}

// The standalone verifier, as a token endpoint uses it: no access token,
// the jkt returned.
func TestDPoPVerifierStandalone(t *testing.T) {
	v, err := jwtauth.NewDPoPVerifier(jwtauth.DPoPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := mustProver(t, dpopKeys().ed, "EdDSA")
	proof := mustProof(t, p, "POST", "https://auth.example.com/token", "", "")
	jkt, err := v.Verify(t.Context(), proof, "POST", "https://auth.example.com/token", "")
	if err != nil || jkt != p.Thumbprint() {
		t.Fatalf("jkt %q, %v", jkt, err)
	}
	if _, err := v.Verify(t.Context(), proof, "POST", "https://auth.example.com/token", ""); !errors.Is(err, jwtauth.ErrDPoPReplay) || !errors.Is(err, jwtauth.ErrDPoPProof) || !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Fatalf("replay: %v", err)
	}
}

func TestDPoPConfigErrors(t *testing.T) {
	for name, dc := range map[string]jwtauth.DPoPConfig{
		"HMAC alg":      {Algorithms: []string{"HS256"}},
		"none alg":      {Algorithms: []string{"none"}},
		"long window":   {Window: time.Hour},
		"short secret":  {Nonces: true, NonceSecret: []byte("short")},
		"secret alone":  {NonceSecret: make([]byte, 32)},
		"origin path":   {TrustedOrigin: "https://api.example.com/v1"},
		"origin scheme": {TrustedOrigin: "ftp://api.example.com"},
		"huge proof":    {MaxProofSize: 1 << 20},
	} {
		if _, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(dpopSecret), DPoP: &dc}); !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(dpopSecret), ResourceMetadata: "http://example.com/.well-known/oauth-protected-resource"}); !errors.Is(err, jwtauth.ErrConfig) {
		t.Errorf("http ResourceMetadata: %v", err)
	}
}

// The answers over HTTP: challenges, nonces, statuses, and nothing of the
// request in them.
func TestDPoPServer(t *testing.T) {
	k := dpopKeys()
	secret := make([]byte, 32)
	mw := mustNew(t, jwtauth.Config{
		Keys:             jwtauth.HMAC(dpopSecret),
		DPoP:             &jwtauth.DPoPConfig{Nonces: true, NonceSecret: secret, Algorithms: []string{"ES256", "EdDSA"}},
		ResourceMetadata: "https://api.example.com/.well-known/oauth-protected-resource",
	})
	srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.FromContext(r.Context())
		io.WriteString(w, c.Subject())
	})))
	defer srv.Close()
	p := mustProver(t, k.p256, "ES256")
	tok := dpopToken(t, p.Thumbprint())
	do := func(scheme, proof string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/items", nil)
		req.Header.Set("Authorization", scheme+" "+tok)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	const rm = `resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"`

	// No nonce: use_dpop_nonce, and one to use.
	resp := do("DPoP", mustProof(t, p, "GET", srv.URL+"/items", tok, ""))
	ch := resp.Header.Values("WWW-Authenticate")
	nonce := resp.Header.Get("DPoP-Nonce")
	if resp.StatusCode != 401 || nonce == "" || len(ch) != 2 ||
		ch[0] != `Bearer realm="api", `+rm ||
		ch[1] != `DPoP error="use_dpop_nonce", error_description="a DPoP nonce is required", algs="ES256 EdDSA", `+rm {
		t.Fatalf("no nonce: %d %q %q", resp.StatusCode, ch, nonce)
	}
	// With it: 200.
	if resp := do("DPoP", mustProof(t, p, "GET", srv.URL+"/items", tok, nonce)); resp.StatusCode != 200 {
		t.Fatalf("with nonce: %d %q", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
	}
	// A bad proof: invalid_dpop_proof in the DPoP challenge.
	resp = do("DPoP", mustProof(t, p, "POST", srv.URL+"/items", tok, nonce))
	ch = resp.Header.Values("WWW-Authenticate")
	if resp.StatusCode != 401 || len(ch) != 2 || !strings.HasPrefix(ch[1], `DPoP error="invalid_dpop_proof"`) || strings.Contains(ch[0], "error=") {
		t.Fatalf("bad proof: %d %q", resp.StatusCode, ch)
	}
	// The bound token as Bearer: invalid_token in the Bearer challenge.
	resp = do("Bearer", "")
	ch = resp.Header.Values("WWW-Authenticate")
	if resp.StatusCode != 401 || len(ch) != 2 || !strings.HasPrefix(ch[0], `Bearer realm="api", error="invalid_token"`) || strings.Contains(ch[1], "error=") {
		t.Fatalf("bound token as Bearer: %d %q", resp.StatusCode, ch)
	}
	// The nonce of another secret is stale.
	other := mustNew(t, jwtauth.Config{Keys: jwtauth.HMAC(dpopSecret), DPoP: &jwtauth.DPoPConfig{Nonces: true}})
	if resp := do("DPoP", mustProof(t, p, "GET", srv.URL+"/items", tok, other.DPoPNonce())); resp.StatusCode != 401 || resp.Header.Get("DPoP-Nonce") == "" {
		t.Fatalf("foreign nonce: %d", resp.StatusCode)
	}
}

// Required mode: Bearer refused with a DPoP challenge only.
func TestDPoPRequired(t *testing.T) {
	mw := dpopMW(t, jwtauth.DPoPConfig{Required: true})
	w := httptest.NewRecorder()
	mw.Handler(http.NotFoundHandler()).ServeHTTP(w, dpopRequest("GET", "/x", "Bearer", dpopToken(t, "")))
	ch := w.Result().Header.Values("WWW-Authenticate")
	if w.Code != 401 || len(ch) != 1 || !strings.HasPrefix(ch[0], `DPoP error="invalid_token"`) {
		t.Fatalf("%d %q", w.Code, ch)
	}
	w = httptest.NewRecorder()
	mw.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	if ch := w.Result().Header.Values("WWW-Authenticate"); w.Code != 401 || len(ch) != 1 || ch[0] != `DPoP algs="ES256 ES384 ES512 EdDSA PS256 PS384 PS512 RS256 RS384 RS512"` {
		t.Fatalf("no token: %d %q", w.Code, ch)
	}
}

// Optional mode keeps Bearer for unbound tokens.
func TestDPoPOptionalBearer(t *testing.T) {
	mw := dpopMW(t, jwtauth.DPoPConfig{})
	if _, err := mw.Authenticate(dpopRequest("GET", "/x", "Bearer", dpopToken(t, ""))); err != nil {
		t.Fatal(err)
	}
}

// TrustedOrigin: the proof is for the public origin, whatever the Host the
// proxy sends, and X-Forwarded-Host is never read.
func TestDPoPTrustedOrigin(t *testing.T) {
	p := mustProver(t, dpopKeys().p256, "ES256")
	tok := dpopToken(t, p.Thumbprint())
	mw := dpopMW(t, jwtauth.DPoPConfig{TrustedOrigin: "https://api.example.com"})
	r := dpopRequest("GET", "http://10.0.0.7:8080/items", "DPoP", tok, mustProof(t, p, "GET", "https://api.example.com/items", tok, ""))
	if _, err := mw.Authenticate(r); err != nil {
		t.Fatal(err)
	}
	r = dpopRequest("GET", "http://10.0.0.7:8080/items", "DPoP", tok, mustProof(t, p, "GET", "http://10.0.0.7:8080/items", tok, ""))
	if _, err := mw.Authenticate(r); !errors.Is(err, jwtauth.ErrDPoPProof) {
		t.Fatalf("proof for the inner address: %v", err)
	}
}

// The replay cache: once per (jkt, jti), a bounded share per key, and fail
// closed when full.
func TestReplayCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := jwtauth.NewReplayCache(8, 4)
	until := now.Add(time.Minute)
	if first, err := c.Once(t.Context(), "k1", "a", now, until); !first || err != nil {
		t.Fatal(first, err)
	}
	if first, _ := c.Once(t.Context(), "k1", "a", now, until); first {
		t.Fatal("replay accepted")
	}
	if first, _ := c.Once(t.Context(), "k2", "a", now, until); !first {
		t.Fatal("same jti, other key refused")
	}
	for _, id := range []string{"b", "c", "d"} {
		c.Once(t.Context(), "k1", id, now, until)
	}
	// k1 has its 4: its next proofs are refused, k2's are not.
	if first, _ := c.Once(t.Context(), "k1", "e", now, until); first {
		t.Fatal("k1 beyond its share")
	}
	for _, id := range []string{"b", "c", "d"} {
		if first, err := c.Once(t.Context(), "k2", id, now, until); !first || err != nil {
			t.Fatal("k2 refused", err)
		}
	}
	// 8 live entries: full, closed.
	if _, err := c.Once(t.Context(), "k3", "a", now, until); !errors.Is(err, jwtauth.ErrReplayCacheFull) {
		t.Fatalf("full: %v", err)
	}
	// After the window they expire, and room returns.
	if first, err := c.Once(t.Context(), "k3", "a", until, until.Add(time.Minute)); !first || err != nil {
		t.Fatal(first, err)
	}
	if first, _ := c.Once(t.Context(), "k1", "a", until, until.Add(time.Minute)); !first {
		t.Fatal("expired entry still there")
	}
}

func TestResourceMetadata(t *testing.T) {
	h, err := jwtauth.MetadataHandler(jwtauth.ResourceMetadata{
		Resource:             "https://api.example.com",
		AuthorizationServers: []string{"https://auth.example.com"},
		ScopesSupported:      []string{"items:read"},
		DPoPAlgorithms:       []string{"ES256", "EdDSA"},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/oauth-protected-resource", nil))
	want := `{"resource":"https://api.example.com","authorization_servers":["https://auth.example.com"],"scopes_supported":["items:read"],"bearer_methods_supported":["header"],"dpop_signing_alg_values_supported":["ES256","EdDSA"]}` + "\n"
	if w.Code != 200 || w.Body.String() != want || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/.well-known/oauth-protected-resource", nil))
	if w.Code != 405 {
		t.Fatalf("POST: %d", w.Code)
	}
	for _, bad := range []jwtauth.ResourceMetadata{
		{},
		{Resource: "http://api.example.com"},
		{Resource: "https://api.example.com#x"},
		{Resource: "https://api.example.com", AuthorizationServers: []string{"ftp://a"}},
		{Resource: "https://api.example.com", DPoPAlgorithms: []string{"HS256"}},
		{Resource: "https://api.example.com", ScopesSupported: []string{"a b"}},
	} {
		if _, err := jwtauth.MetadataHandler(bad); !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := jwtauth.MetadataHandler(jwtauth.ResourceMetadata{Resource: "http://127.0.0.1:8080"}); err != nil {
		t.Errorf("loopback http: %v", err)
	}
}

// resource_metadata appears in plain Bearer challenges too, and in 403s.
func TestResourceMetadataChallenge(t *testing.T) {
	mw := mustNew(t, jwtauth.Config{Keys: jwtauth.HMAC(dpopSecret), ResourceMetadata: "https://api.example.com/.well-known/oauth-protected-resource"})
	w := httptest.NewRecorder()
	mw.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if got := w.Header().Get("WWW-Authenticate"); got != `Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"` {
		t.Fatal(got)
	}
	mux := http.NewServeMux()
	mux.Handle("/", jwtauth.RequireScope("admin")(http.NotFoundHandler()))
	w = httptest.NewRecorder()
	mw.Handler(mux).ServeHTTP(w, dpopRequest("GET", "/", "Bearer", dpopToken(t, "")))
	if got := w.Header().Get("WWW-Authenticate"); w.Code != 403 || !strings.HasSuffix(got, `resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"`) {
		t.Fatal(w.Code, got)
	}
}

// BenchmarkDPoP: a request through Middleware.Handler with a DPoP-bound
// token and a fresh proof, next to the plain bearer path; warm is the same
// access token again (the verified-token cache answers for the token, the
// proof is verified in full each time), cold has the cache off.
//
//	go test -run x -bench DPoP -benchmem ./jwtauth/
func BenchmarkDPoP(b *testing.B) {
	k := dpopKeys()
	const url = "https://api.example.com/items"
	for _, cache := range []string{"warm", "cold"} {
		cfg := jwtauth.Config{Keys: jwtauth.HMAC(dpopSecret), DisableCache: cache == "cold"}
		b.Run("Bearer/"+cache, func(b *testing.B) {
			h := mustNew(b, cfg).Handler(kitBenchNext)
			r := dpopRequest("GET", url, "Bearer", dpopToken(b, ""))
			w := &kitNopWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
			if w.code != http.StatusNoContent {
				b.Fatal(w.code)
			}
		})
		for _, tc := range []struct {
			alg string
			key crypto.Signer
		}{{"ES256", k.p256}, {"EdDSA", k.ed}} {
			b.Run("DPoP-"+tc.alg+"/"+cache, func(b *testing.B) {
				cfg := cfg
				cfg.DPoP = &jwtauth.DPoPConfig{Replay: jwtauth.NewReplayCache(1<<24, 1<<24)}
				h := mustNew(b, cfg).Handler(kitBenchNext)
				p := mustProver(b, tc.key, tc.alg)
				tok := dpopToken(b, p.Thumbprint())
				reqs := make([]*http.Request, b.N)
				for i := range reqs {
					reqs[i] = dpopRequest("GET", url, "DPoP", tok, mustProof(b, p, "GET", url, tok, ""))
					reqs[i].TLS = &tlsState
				}
				w := &kitNopWriter{h: http.Header{}}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					h.ServeHTTP(w, reqs[i])
					if w.code != http.StatusNoContent {
						b.Fatal(w.code)
					}
				}
			})
		}
	}
}
