package jwtauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// jwksServer is a JWKS endpoint whose answer a test controls, counting the
// fetches it serves.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64
	mu      sync.Mutex
	handler http.HandlerFunc
}

func newJWKSServer(t *testing.T, h http.HandlerFunc) *jwksServer {
	s := &jwksServer{handler: h}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		h := s.handler
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(h http.HandlerFunc) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

func serveBody(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}
}

func remote(t *testing.T, url string, opts jwtauth.RemoteOptions) *jwtauth.RemoteKeys {
	t.Helper()
	opts.AllowLoopbackHTTP = true
	r := jwtauth.Remote(t.Context(), url, opts)
	t.Cleanup(func() { r.Close() })
	return r
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRemoteVerifiesVectors(t *testing.T) {
	var f interopFile
	loadJSON(t, "interop_tokens.json", &f)
	srv := newJWKSServer(t, serveBody(string(f.JWKS)))
	// The vectors have several audiences; TestInteropVectors checks them.
	mw := mustNew(t, jwtauth.Config{Keys: remote(t, srv.URL, jwtauth.RemoteOptions{}), InsecureAnyAudience: true})
	accepted := 0
	for _, v := range f.Tokens {
		k := f.Keys[v.Key]
		c, err := mw.Verify(t.Context(), v.Token)
		switch {
		case k.Kty == "oct":
			// Symmetric keys are never taken from a remote set.
			if err == nil {
				t.Errorf("%s: an HMAC token verified through a remote set", v.ID)
			}
		case err != nil:
			t.Errorf("%s: %v", v.ID, err)
		default:
			accepted++
			sameClaims(t, c, v.ExpectedClaims)
		}
	}
	if accepted < 5 {
		t.Errorf("only %d vectors verified remotely", accepted)
	}
}

func TestRemoteFollowsIssuerRotation(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	srv := newJWKSServer(t, iss.JWKSHandler().ServeHTTP)
	keys := remote(t, srv.URL, jwtauth.RemoteOptions{MissRefresh: time.Millisecond})
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	before, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mw.Verify(t.Context(), before); err != nil {
		t.Fatal(err)
	}
	next, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err := iss.Rotate(issuer.SigningKey{Algorithm: "ES256", Key: next}); err != nil {
		t.Fatal(err)
	}
	after, _ := iss.Issue(t.Context(), "u", nil)
	time.Sleep(2 * time.Millisecond) // past MissRefresh
	// The new kid is unknown: one refresh fetches it, no restart needed.
	if _, err := mw.Verify(t.Context(), after); err != nil {
		t.Fatalf("token of the rotated key: %v", err)
	}
	if _, err := mw.Verify(t.Context(), before); err != nil {
		t.Errorf("token of the retired key: %v", err)
	}
}

func TestRemoteUnknownKidFloodIsRateLimited(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	srv := newJWKSServer(t, iss.JWKSHandler().ServeHTTP)
	mw := mustNew(t, jwtauth.Config{Keys: remote(t, srv.URL, jwtauth.RemoteOptions{MissRefresh: time.Hour})})
	good, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mw.Verify(t.Context(), good); err != nil {
		t.Fatal(err)
	}
	start := srv.fetches.Load()

	// Tokens naming random kids, from many goroutines at once.
	attacker := newIssuer(t, issuer.Config{})
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 20 {
				bad := newIssuerWithKID(t, attacker, fmt.Sprintf("kid-%d-%d", g, i))
				if _, err := mw.Verify(t.Context(), bad); !errors.Is(err, jwtauth.ErrUnknownKey) {
					t.Errorf("random kid: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if n := srv.fetches.Load() - start; n > 1 {
		t.Errorf("%d fetches for 640 unknown kids; want at most 1 per MissRefresh", n)
	}
	if _, err := mw.Verify(t.Context(), good); err != nil {
		t.Errorf("good token after the flood: %v", err)
	}
}

// newIssuerWithKID signs a token whose header names kid, with the attacker's
// key.
var kidTokens sync.Map

func newIssuerWithKID(t *testing.T, _ *issuer.Issuer, kid string) string {
	key, _ := kidTokens.LoadOrStore("key", mustECKey())
	iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: key, ID: kid}})
	if err != nil {
		t.Error(err)
		return ""
	}
	tok, _ := iss.Issue(context.Background(), "u", nil)
	return tok
}

func mustECKey() *ecdsa.PrivateKey {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return k
}

func TestRemoteFaultsKeepLastGoodKeys(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	good := iss.JWKSHandler().ServeHTTP
	srv := newJWKSServer(t, good)
	keys := remote(t, srv.URL, jwtauth.RemoteOptions{
		MissRefresh: time.Millisecond,
		MaxBytes:    4096,
		Client:      &http.Client{Timeout: 300 * time.Millisecond},
	})
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mw.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	unknown := newIssuerWithKID(t, nil, "not-in-the-set")

	// Failures keep the last good keys (for MaxStale).
	faults := map[string]http.HandlerFunc{
		"500":      func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) },
		"garbage":  serveBody("<html>not json"),
		"huge":     serveBody(`{"keys":[],"pad":"` + strings.Repeat("x", 8192) + `"}`),
		"redirect": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) },
		"slow": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		},
		"down": func(w http.ResponseWriter, r *http.Request) {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		},
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			srv.set(fault)
			before := srv.fetches.Load()
			time.Sleep(2 * time.Millisecond) // past MissRefresh
			start := time.Now()
			// An unknown kid forces a fetch, which fails.
			if _, err := mw.Verify(t.Context(), unknown); !errors.Is(err, jwtauth.ErrUnknownKey) {
				t.Errorf("unknown kid during fault: %v", err)
			}
			if d := time.Since(start); d > 1500*time.Millisecond {
				t.Errorf("a request waited %v for a failing endpoint", d)
			}
			waitFor(t, "a fetch", func() bool { return srv.fetches.Load() > before })
			// The last good keys stay in use.
			if _, err := mw.Verify(t.Context(), tok); err != nil {
				t.Errorf("known token during fault: %v", err)
			}
		})
	}
	srv.set(good)
}

// A set that parses replaces the one before, even without usable keys: a
// key the issuer removed stops verifying, rather than being trusted forever.
func TestRemoteValidSetReplaces(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	good := iss.JWKSHandler().ServeHTTP
	for name, body := range map[string]string{
		"empty":    `{"keys":[]}`,
		"oct only": `{"keys":[{"kty":"oct","kid":"h","alg":"HS256","k":"` + strings.Repeat("A", 43) + `"}]}`,
		"enc only": `{"keys":[{"kty":"EC","use":"enc","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newJWKSServer(t, good)
			keys := remote(t, srv.URL, jwtauth.RemoteOptions{MissRefresh: time.Millisecond})
			mw := mustNew(t, jwtauth.Config{Keys: keys})
			tok, _ := iss.Issue(t.Context(), "u", nil)
			if _, err := mw.Verify(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
			srv.set(serveBody(body))
			time.Sleep(2 * time.Millisecond)
			// The issuer's new set: an unknown kid refetches it.
			mw.Verify(t.Context(), newIssuerWithKID(t, nil, "rotated"))
			waitFor(t, "the new set", func() bool { return keys.Status().Keys == 0 })
			if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("token of a removed key: %v; want refused", err)
			}
			srv.set(good)
			time.Sleep(2 * time.Millisecond)
			waitFor(t, "the key back", func() bool { _, err := mw.Verify(t.Context(), tok); return err == nil })
		})
	}
}

func TestRemoteNeverLoaded(t *testing.T) {
	srv := newJWKSServer(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) })
	var logs syncBuf
	keys := remote(t, srv.URL, jwtauth.RemoteOptions{MissRefresh: time.Hour, Logger: newTextLogger(&logs)})
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	tok, _ := newIssuer(t, issuer.Config{}).Issue(t.Context(), "u", nil)
	_, err := mw.Verify(t.Context(), tok)
	if !errors.Is(err, jwtauth.ErrKeysUnavailable) || errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Fatalf("no keys ever loaded: %v", err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	mw.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("status %d, challenge %q; want 503 without challenge", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	waitFor(t, "a logged fetch failure", func() bool { return strings.Contains(logs.String(), "JWKS fetch failed") })
	if strings.Contains(logs.String(), tok[:20]) {
		t.Error("the log contains the token")
	}
}

func TestRemoteKeyRules(t *testing.T) {
	rsaKey := signers()["RS256"]
	ecKey := signers()["ES256"]
	jwkOf := func(priv any, extra map[string]any) map[string]any {
		m := privateJWK(t, priv)
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			delete(m, private)
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	sign := func(alg, kid string, key any) string {
		iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: alg, Key: key, ID: kid}})
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := iss.Issue(t.Context(), "u", nil)
		return tok
	}
	set := func(keys ...map[string]any) string {
		b, _ := json.Marshal(map[string]any{"keys": keys})
		return string(b)
	}
	for _, tc := range []struct {
		name  string
		jwks  string
		opts  jwtauth.RemoteOptions
		token string
		want  error // nil: accepted
	}{
		{"rsa with alg", set(jwkOf(rsaKey, map[string]any{"kid": "r", "alg": "RS256"})), jwtauth.RemoteOptions{}, sign("RS256", "r", rsaKey), nil},
		{"rsa without alg is skipped", set(jwkOf(rsaKey, map[string]any{"kid": "r"}), jwkOf(ecKey, map[string]any{"kid": "e"})), jwtauth.RemoteOptions{}, sign("RS256", "r", rsaKey), jwtauth.ErrAlgorithm},
		{"rsa without alg, Algorithm set", set(jwkOf(rsaKey, map[string]any{"kid": "r"})), jwtauth.RemoteOptions{Algorithm: "RS256"}, sign("RS256", "r", rsaKey), nil},
		{"Algorithm does not override alg", set(jwkOf(rsaKey, map[string]any{"kid": "r", "alg": "PS256"})), jwtauth.RemoteOptions{Algorithm: "RS256"}, sign("RS256", "r", rsaKey), jwtauth.ErrAlgorithm},
		{"ec without alg gets its curve's", set(jwkOf(ecKey, map[string]any{"kid": "e"})), jwtauth.RemoteOptions{}, sign("ES256", "e", ecKey), nil},
		{"use enc is ignored", set(jwkOf(ecKey, map[string]any{"kid": "e", "alg": "ES256", "use": "enc"}), jwkOf(rsaKey, map[string]any{"kid": "r", "alg": "RS256"})), jwtauth.RemoteOptions{}, sign("ES256", "e", ecKey), jwtauth.ErrAlgorithm},
		{"token alg must be the key's", set(jwkOf(rsaKey, map[string]any{"kid": "r", "alg": "RS256"})), jwtauth.RemoteOptions{}, sign("PS256", "r", rsaKey), jwtauth.ErrAlgorithm},
		{"oct keys refused, others kept", set(map[string]any{"kty": "oct", "kid": "h", "alg": "HS256", "k": strings.Repeat("A", 43)}, jwkOf(ecKey, map[string]any{"kid": "e", "alg": "ES256"})), jwtauth.RemoteOptions{}, sign("ES256", "e", ecKey), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, serveBody(tc.jwks))
			mw := mustNew(t, jwtauth.Config{Keys: remote(t, srv.URL, tc.opts)})
			_, err := mw.Verify(t.Context(), tc.token)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRemoteConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		url  string
		opts jwtauth.RemoteOptions
	}{
		"http, not loopback":       {"http://example.com/jwks.json", jwtauth.RemoteOptions{AllowLoopbackHTTP: true}},
		"http loopback, not asked": {"http://127.0.0.1:1/jwks.json", jwtauth.RemoteOptions{}},
		"relative":                 {"/jwks.json", jwtauth.RemoteOptions{}},
		"credentials":              {"https://user:pw@example.com/jwks", jwtauth.RemoteOptions{}},
		"ftp":                      {"ftp://example.com/jwks", jwtauth.RemoteOptions{}},
		"MinRefresh < 1s":          {"https://example.com/jwks", jwtauth.RemoteOptions{MinRefresh: time.Millisecond}},
		"Max < Min":                {"https://example.com/jwks", jwtauth.RemoteOptions{MinRefresh: time.Hour, MaxRefresh: time.Minute}},
		"HMAC Algorithm":           {"https://example.com/jwks", jwtauth.RemoteOptions{Algorithm: "HS256"}},
	} {
		k := jwtauth.Remote(t.Context(), tc.url, tc.opts)
		if _, err := jwtauth.New(jwtauth.Config{Keys: k}); !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%s: New = %v, want ErrConfig", name, err)
		}
		k.Close()
	}
	for _, u := range []string{"http://localhost:1/jwks", "http://[::1]:1/jwks", "http://127.0.0.9:1/jwks"} {
		k := jwtauth.Remote(t.Context(), u, jwtauth.RemoteOptions{AllowLoopbackHTTP: true})
		if _, err := jwtauth.New(jwtauth.Config{Keys: k}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
		k.Close()
	}
}

func TestRemoteHTTPS(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	srv := httptest.NewTLSServer(iss.JWKSHandler())
	defer srv.Close()
	keys := jwtauth.Remote(t.Context(), srv.URL, jwtauth.RemoteOptions{Client: srv.Client()})
	defer keys.Close()
	tok, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mustNew(t, jwtauth.Config{Keys: keys}).Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
}

func TestRemoteBackgroundRefresh(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	srv := newJWKSServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=1")
		iss.JWKSHandler().ServeHTTP(w, r)
	})
	keys := remote(t, srv.URL, jwtauth.RemoteOptions{MinRefresh: time.Second, MaxRefresh: time.Second, MissRefresh: time.Hour})
	mustNew(t, jwtauth.Config{Keys: keys})
	// With no request at all, the set is fetched again after its max-age.
	waitFor(t, "background refreshes", func() bool { return srv.fetches.Load() >= 3 })

	next, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss.Rotate(issuer.SigningKey{Algorithm: "ES256", Key: next})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	mw := mustNew(t, jwtauth.Config{Keys: keys})
	// MissRefresh is an hour, so only the background refresh can bring the
	// new key.
	waitFor(t, "the rotated key", func() bool { _, err := mw.Verify(t.Context(), tok); return err == nil })
}

func TestDiscover(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	issuerURL := srv.URL
	mux.Handle("GET /jwks.json", iss.JWKSHandler())
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": issuerURL, "jwks_uri": srv.URL + "/jwks.json"})
	})
	keys, err := jwtauth.Discover(t.Context(), issuerURL, jwtauth.RemoteOptions{AllowLoopbackHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	tok, _ := iss.Issue(t.Context(), "u", nil)
	if _, err := mustNew(t, jwtauth.Config{Keys: keys}).Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}

	issuerURL = srv.URL + "/other"
	_, err = jwtauth.Discover(t.Context(), srv.URL, jwtauth.RemoteOptions{AllowLoopbackHTTP: true})
	if !errors.Is(err, jwtauth.ErrConfig) || !strings.Contains(err.Error(), `for issuer "`+srv.URL+`/other", expected "`+srv.URL+`"`) {
		t.Errorf("discovery document of another issuer: %v", err)
	}
	// No document yet: not an error, but keys that are not ready and keep
	// trying (TestDiscoverProviderDown).
	missing, err := jwtauth.Discover(t.Context(), srv.URL+"/missing", jwtauth.RemoteOptions{AllowLoopbackHTTP: true})
	if err != nil {
		t.Fatalf("no discovery document: %v", err)
	}
	defer missing.Close()
	if st := missing.Status(); st.Ready || st.URL != "" || !strings.Contains(st.LastError, "status 404") {
		t.Errorf("status with no discovery document: %+v", st)
	}
	if _, err := mustNew(t, jwtauth.Config{Keys: missing}).Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrKeysUnavailable) {
		t.Errorf("Verify before discovery: %v", err)
	}
}

func TestRemoteConcurrentVerify(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	srv := newJWKSServer(t, iss.JWKSHandler().ServeHTTP)
	mw := mustNew(t, jwtauth.Config{Keys: remote(t, srv.URL, jwtauth.RemoteOptions{MissRefresh: time.Millisecond})})
	tok, _ := iss.Issue(t.Context(), "u", nil)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				if g%4 == 0 && i%10 == 0 {
					mw.Verify(t.Context(), newIssuerWithKID(t, nil, "x"))
					continue
				}
				if _, err := mw.Verify(t.Context(), tok); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// syncBuf is a goroutine-safe log buffer.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTextLogger(w *syncBuf) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
