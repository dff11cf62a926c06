package jwtauthtest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/jwtauthtest"
)

// eventually fails t unless cond holds within 10 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// remote returns RemoteKeys of p's JWK Set with opts, closed at the end of
// the test, once they are ready.
func remote(t *testing.T, p *jwtauthtest.Provider, opts jwtauth.RemoteOptions) *jwtauth.RemoteKeys {
	t.Helper()
	keys := jwtauth.Remote(t.Context(), p.JWKSURL(), opts)
	t.Cleanup(func() { keys.Close() })
	eventually(t, "keys ready", func() bool { return keys.Status().Ready })
	return keys
}

// fastOptions are RemoteOptions for p that make tests quick: misses
// refetch at once, waits are short.
func fastOptions(p *jwtauthtest.Provider) jwtauth.RemoteOptions {
	opts := p.RemoteOptions()
	opts.MaxWait = 200 * time.Millisecond
	opts.FetchTimeout = time.Second
	opts.MissRefresh = time.Millisecond
	return opts
}

// Discover and Remote against the provider, over http and https.
func TestProviderDiscoverAndRemote(t *testing.T) {
	for _, tls := range []bool{false, true} {
		for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
			name := alg + map[bool]string{false: "/http", true: "/https"}[tls]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{Algorithm: alg, TLS: tls, Audience: "api"})
				if p.URL() != p.Issuer() || p.JWKSURL() != p.URL()+jwtauthtest.JWKSPath {
					t.Errorf("URL %s, Issuer %s, JWKSURL %s", p.URL(), p.Issuer(), p.JWKSURL())
				}
				keys, err := jwtauth.Discover(t.Context(), p.Issuer(), p.RemoteOptions())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { keys.Close() })
				mw := newMiddleware(t, jwtauth.Config{Keys: keys, Issuer: p.Issuer(), Audience: "api"})
				c, err := mw.Verify(t.Context(), p.TokenFor("alice", map[string]any{"scope": "a"}))
				if err != nil {
					t.Fatal(err)
				}
				if c.Subject() != "alice" || c.Issuer() != p.URL() || !c.HasScope("a") || c.KeyID() != p.KeyID() {
					t.Errorf("claims %s", must(c.MarshalJSON()))
				}
				if c, err := mw.Verify(t.Context(), p.Token(nil)); err != nil || c.Subject() != jwtauthtest.DefaultSubject {
					t.Errorf("Token: %v", err)
				}
				if p.DiscoveryFetches() != 1 || p.Fetches() < 1 {
					t.Errorf("%d discoveries, %d fetches", p.DiscoveryFetches(), p.Fetches())
				}

				rk := remote(t, p, p.RemoteOptions())
				mw = newMiddleware(t, jwtauth.Config{Keys: rk, Issuer: p.Issuer(), Audience: "api"})
				if _, err := mw.Verify(t.Context(), p.Token(nil)); err != nil {
					t.Errorf("Remote: %v", err)
				}
			})
		}
	}
}

// The discovery document is an OpenID Connect one.
func TestProviderDiscoveryDocument(t *testing.T) {
	p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{TLS: true})
	res, err := p.Client().Get(p.URL() + jwtauthtest.DiscoveryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != p.Issuer() || doc.JWKSURI != p.JWKSURL() || !slices.Equal(doc.Algs, []string{"ES256"}) {
		t.Errorf("document %+v", doc)
	}
	if res, err := p.Client().Post(p.JWKSURL(), "text/plain", nil); err != nil || res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %v %v", res.StatusCode, err)
	}
}

// jwtauth refuses the provider unless told how to reach it: http needs
// AllowLoopbackHTTP, https the provider's Client.
func TestProviderNeedsRemoteOptions(t *testing.T) {
	p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{})
	if _, err := jwtauth.Discover(t.Context(), p.Issuer(), jwtauth.RemoteOptions{}); !errors.Is(err, jwtauth.ErrConfig) {
		t.Errorf("http without AllowLoopbackHTTP: %v", err)
	}

	p = jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{TLS: true})
	keys := jwtauth.Remote(t.Context(), p.JWKSURL(), jwtauth.RemoteOptions{MaxWait: 100 * time.Millisecond})
	defer keys.Close()
	mw := newMiddleware(t, jwtauth.Config{Keys: keys})
	if _, err := mw.Verify(t.Context(), p.Token(nil)); !errors.Is(err, jwtauth.ErrKeysUnavailable) {
		t.Errorf("https without the provider's Client: %v", err)
	}
}

// Rotation: the new key's tokens verify (the unknown kid causes a
// refetch), the old key's too until it is retired and refetched.
func TestProviderRotation(t *testing.T) {
	for _, alg := range []string{"ES384", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{Algorithm: alg})
			opts := fastOptions(p)
			opts.MinRefresh, opts.MaxRefresh = time.Second, time.Second
			mw := newMiddleware(t, jwtauth.Config{Keys: remote(t, p, opts), Issuer: p.Issuer()})
			old, oldKID := p.Token(nil), p.KeyID()
			if _, err := mw.Verify(t.Context(), old); err != nil {
				t.Fatal(err)
			}
			newKID := p.Rotate()
			if newKID == oldKID || p.KeyID() != newKID {
				t.Fatalf("Rotate: %q, then %q → %q", oldKID, p.KeyID(), newKID)
			}
			c, err := mw.Verify(t.Context(), p.Token(nil))
			if err != nil || c.KeyID() != newKID {
				t.Fatalf("new key's token: %v", err)
			}
			if _, err := mw.Verify(t.Context(), old); err != nil {
				t.Errorf("old key's token before Retire: %v", err)
			}
			p.Retire(oldKID)
			eventually(t, "old key's token refused after Retire", func() bool {
				_, err := mw.Verify(t.Context(), old)
				return errors.Is(err, jwtauth.ErrUnknownKey)
			})
			if _, err := mw.Verify(t.Context(), p.Token(nil)); err != nil {
				t.Errorf("new key's token after Retire: %v", err)
			}
		})
	}
}

// Each fault of the JWK Set, after keys were fetched: the documented
// behaviour of jwtauth.RemoteKeys, and requests bounded by MaxWait.
func TestProviderFaults(t *testing.T) {
	faults := []struct {
		fault    jwtauthtest.Fault
		keepsOld bool // the last good keys stay in use
	}{
		{jwtauthtest.FaultDown, true},
		{jwtauthtest.FaultSlow, true},
		{jwtauthtest.Fault500, true},
		{jwtauthtest.FaultGarbage, true},
		{jwtauthtest.FaultHang, true},
		{jwtauthtest.FaultEmpty, false},
	}
	for _, tc := range faults {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{Delay: 500 * time.Millisecond})
			opts := fastOptions(p)
			mw := newMiddleware(t, jwtauth.Config{Keys: remote(t, p, opts), Issuer: p.Issuer()})
			old := p.Token(nil)
			if _, err := mw.Verify(t.Context(), old); err != nil {
				t.Fatal(err)
			}
			before := p.Fetches()

			p.SetFault(tc.fault)
			p.Rotate()
			rotated := p.Token(nil)
			start := time.Now()
			_, err := mw.Verify(t.Context(), rotated)
			if took := time.Since(start); took > opts.MaxWait+500*time.Millisecond {
				t.Errorf("Verify took %v, MaxWait is %v", took, opts.MaxWait)
			}
			if !errors.Is(err, jwtauth.ErrInvalidToken) || jwtauth.StatusCode(err) != http.StatusUnauthorized {
				t.Errorf("new key's token during the fault: %v", err)
			}
			eventually(t, "the fetch reached the provider", func() bool { return p.Fetches() > before })

			if tc.keepsOld {
				if _, err := mw.Verify(t.Context(), old); err != nil {
					t.Errorf("old key's token, last good keys: %v", err)
				}
			} else {
				eventually(t, "every token refused", func() bool {
					_, err := mw.Verify(t.Context(), old)
					return errors.Is(err, jwtauth.ErrAlgorithm)
				})
			}
			if tc.fault != jwtauthtest.FaultSlow {
				p.SetFault(jwtauthtest.FaultNone)
			} // else: the slow answer arrives, with the new key
			eventually(t, "new key's token after the fault", func() bool {
				_, err := mw.Verify(t.Context(), rotated)
				return err == nil
			})
			if _, err := mw.Verify(t.Context(), old); err != nil {
				t.Errorf("old key's token after the fault: %v", err)
			}
		})
	}
}

// A fault before the first good fetch: 503 within MaxWait, then keys once
// the provider recovers.
func TestProviderFaultAtStart(t *testing.T) {
	for _, f := range []jwtauthtest.Fault{jwtauthtest.FaultDown, jwtauthtest.Fault500, jwtauthtest.FaultGarbage, jwtauthtest.FaultHang} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{})
			p.SetFault(f)
			opts := fastOptions(p)
			opts.MinRefresh = time.Second
			keys := jwtauth.Remote(t.Context(), p.JWKSURL(), opts)
			t.Cleanup(func() { keys.Close() })
			mw := newMiddleware(t, jwtauth.Config{Keys: keys})
			tok := p.Token(nil)
			start := time.Now()
			_, err := mw.Verify(t.Context(), tok)
			if took := time.Since(start); took > opts.MaxWait+500*time.Millisecond {
				t.Errorf("Verify took %v, MaxWait is %v", took, opts.MaxWait)
			}
			if !errors.Is(err, jwtauth.ErrKeysUnavailable) || jwtauth.StatusCode(err) != http.StatusServiceUnavailable {
				t.Errorf("during the fault: %v", err)
			}
			p.SetFault(jwtauthtest.FaultNone)
			eventually(t, "token verifies once the provider recovers", func() bool {
				_, err := mw.Verify(t.Context(), tok)
				return err == nil
			})
		})
	}
}

// Faults of the discovery document: Discover returns keys that retry in the
// background, except for an empty document, which names no issuer.
func TestProviderDiscoveryFaults(t *testing.T) {
	for _, f := range []jwtauthtest.Fault{jwtauthtest.FaultDown, jwtauthtest.Fault500, jwtauthtest.FaultGarbage, jwtauthtest.FaultHang, jwtauthtest.FaultSlow} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{Delay: 3 * time.Second})
			p.SetDiscoveryFault(f)
			opts := fastOptions(p)
			keys, err := jwtauth.Discover(t.Context(), p.Issuer(), opts)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			t.Cleanup(func() { keys.Close() })
			mw := newMiddleware(t, jwtauth.Config{Keys: keys, Issuer: p.Issuer()})
			tok := p.Token(nil)
			if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrKeysUnavailable) {
				t.Errorf("during the fault: %v", err)
			}
			if p.DiscoveryFetches() < 1 || p.Fetches() != 0 {
				t.Errorf("%d discoveries, %d fetches", p.DiscoveryFetches(), p.Fetches())
			}
			p.SetDiscoveryFault(jwtauthtest.FaultNone)
			eventually(t, "token verifies once discovery succeeds", func() bool {
				_, err := mw.Verify(t.Context(), tok)
				return err == nil
			})
		})
	}
	t.Run("empty", func(t *testing.T) {
		p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{})
		p.SetDiscoveryFault(jwtauthtest.FaultEmpty)
		if _, err := jwtauth.Discover(t.Context(), p.Issuer(), p.RemoteOptions()); !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("Discover: %v", err)
		}
	})
}

// Fetches counts the requests for the JWK Set: one at start, one for an
// unknown kid, none for a second unknown kid within MissRefresh.
func TestProviderFetches(t *testing.T) {
	p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{})
	opts := p.RemoteOptions()
	opts.MissRefresh = time.Hour
	mw := newMiddleware(t, jwtauth.Config{Keys: remote(t, p, opts)})
	if n := p.Fetches(); n != 1 {
		t.Errorf("%d fetches at start, want 1", n)
	}
	for range 3 {
		if _, err := mw.Verify(t.Context(), p.Token(nil)); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.Fetches(); n != 1 {
		t.Errorf("%d fetches after verifying, want 1", n)
	}
	other := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{})
	for range 2 {
		if _, err := mw.Verify(t.Context(), other.Token(nil)); !errors.Is(err, jwtauth.ErrUnknownKey) {
			t.Errorf("another provider's token: %v", err)
		}
	}
	if n := p.Fetches(); n != 2 {
		t.Errorf("%d fetches after two unknown kids, want 2", n)
	}
	if p.DiscoveryFetches() != 0 || other.Fetches() != 0 {
		t.Errorf("%d discoveries, %d fetches of the other", p.DiscoveryFetches(), other.Fetches())
	}
}

// Close lets go of a request held by FaultHang, and may be called twice.
func TestProviderClose(t *testing.T) {
	p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{})
	p.SetFault(jwtauthtest.FaultHang)
	done := make(chan error, 1)
	go func() {
		res, err := p.Client().Get(p.JWKSURL())
		if err == nil {
			res.Body.Close()
			err = errors.New("answered")
		}
		done <- err
	}()
	eventually(t, "the request arrived", func() bool { return p.Fetches() == 1 })
	start := time.Now()
	p.Close()
	p.Close()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %v", took)
	}
	if err := <-done; err == nil || err.Error() == "answered" {
		t.Errorf("the held request: %v", err)
	}
	if _, err := p.Client().Get(p.JWKSURL()); err == nil {
		t.Error("a closed provider answered")
	}
}

// The provider's tokens follow its clock.
func TestProviderOnClock(t *testing.T) {
	clock := jwtauthtest.NewClock(time.Now().Add(-time.Hour))
	p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{Now: clock.Now, TTL: time.Minute})
	mw := newMiddleware(t, jwtauth.Config{Keys: remote(t, p, p.RemoteOptions()), Now: clock.Now})
	tok := p.Token(nil)
	if _, err := mw.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrTokenExpired) {
		t.Errorf("after TTL: %v", err)
	}
}

func TestFaultNames(t *testing.T) {
	want := []string{"none", "down", "slow", "500", "garbage", "empty", "hang"}
	for i, w := range want {
		if got := jwtauthtest.Fault(i).String(); got != w {
			t.Errorf("Fault(%d) = %q, want %q", i, got, w)
		}
	}
	if got := jwtauthtest.Fault(-1).String(); got != "Fault(-1)" {
		t.Errorf("Fault(-1) = %q", got)
	}
}
