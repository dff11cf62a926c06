package jwtauthtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// ProviderOptions configures a [Provider]. The zero value is a provider on
// http://127.0.0.1 that signs ES256 with a key of its own.
type ProviderOptions struct {
	// Algorithm is the signing algorithm: RS256, RS384, RS512, PS256,
	// PS384, PS512, ES256, ES384, ES512 or EdDSA. Default ES256. HMAC is
	// refused: a JWK Set publishes public keys only, and jwtauth.Remote
	// refuses secrets in one.
	Algorithm string

	// Audience is the aud claim of the provider's tokens. Default: none.
	Audience string

	// TTL is the lifetime of the provider's tokens. Default 15 minutes.
	TTL time.Duration

	// Now is the clock of minting, such as a [Clock]'s Now method. Default
	// time.Now. jwtauth.RemoteKeys measures its refresh intervals by the
	// real clock whatever this says.
	Now func() time.Time

	// TLS serves https, with httptest's certificate, which only
	// [Provider.Client] trusts. Default: http, which jwtauth.Remote and
	// jwtauth.Discover accept only with RemoteOptions.AllowLoopbackHTTP.
	// [Provider.RemoteOptions] sets whichever is needed.
	TLS bool

	// Delay is how long [FaultSlow] holds each response. Default 1 second,
	// longer than a test's RemoteOptions.MaxWait should be and shorter than
	// RemoteOptions.FetchTimeout.
	Delay time.Duration
}

// Fault is what a [Provider] does to the requests that [Provider.SetFault]
// (the JWK Set) or [Provider.SetDiscoveryFault] (the discovery document)
// applies it to. Each fault's comment says what the provider does to a
// request for the JWK Set, then what a jwtauth.RemoteKeys that already
// holds keys does about it, as package jwtauth documents.
//
// Before the first good fetch of the JWK Set, requests get
// jwtauth.ErrKeysUnavailable (503) instead, within RemoteOptions.MaxWait.
// A fault of the discovery document makes jwtauth.Discover return keys that
// retry discovery in the background (requests get ErrKeysUnavailable until
// it succeeds), except FaultEmpty, which serves the document {}, and which
// Discover refuses for naming no issuer.
type Fault int

const (
	// FaultNone serves the document. The default.
	FaultNone Fault = iota
	// FaultDown closes each connection without answering, as a server
	// that crashed or is restarting. jwtauth keeps the last good keys.
	FaultDown
	// FaultSlow answers correctly after [ProviderOptions.Delay]. A request
	// whose token needs the fetch waits at most RemoteOptions.MaxWait, and
	// the keys arrive when the answer does (if FetchTimeout allows).
	FaultSlow
	// Fault500 answers 500 Internal Server Error. jwtauth keeps the last
	// good keys.
	Fault500
	// FaultGarbage answers 200 with an HTML page, as a proxy's error page.
	// jwtauth keeps the last good keys.
	FaultGarbage
	// FaultEmpty answers 200 with a JWK Set of no keys, {"keys":[]}: a
	// valid answer, so jwtauth replaces its keys with it and refuses every
	// token (ErrAlgorithm: no key of the token's algorithm).
	FaultEmpty
	// FaultHang never answers, until the client gives up or the provider
	// closes. A request waits at most RemoteOptions.MaxWait, the fetch at
	// most FetchTimeout; jwtauth keeps the last good keys.
	FaultHang

	numFaults = iota
)

var faultNames = [numFaults]string{"none", "down", "slow", "500", "garbage", "empty", "hang"}

// String returns the fault's name, such as "down" or "500".
func (f Fault) String() string {
	if f < 0 || f >= numFaults {
		return "Fault(" + strconv.Itoa(int(f)) + ")"
	}
	return faultNames[f]
}

// Paths of a Provider's documents.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks.json"
)

// Provider is a fake OpenID Connect identity provider on a loopback port,
// in the manner of httptest.Server, for tests of jwtauth.Remote and
// jwtauth.Discover setups: it serves a discovery document (issuer = its
// URL) and a JWK Set, mints tokens with its current key, rotates keys, and
// fails on demand. Make one with [NewProvider]. A Provider is safe for
// concurrent use.
//
//	p := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{})
//	keys, err := jwtauth.Discover(ctx, p.Issuer(), p.RemoteOptions())
//	…
//	mw, err := jwtauth.New(jwtauth.Config{Keys: keys, Issuer: p.Issuer()})
//	_, err = mw.Verify(ctx, p.Token(nil))
type Provider struct {
	t     testing.TB
	opts  ProviderOptions
	srv   *httptest.Server
	url   string
	iss   *issuer.Issuer
	alg   string
	rsaMu sync.Mutex
	rsa   int // the next RSA slot

	fault, discoveryFault atomic.Int32
	fetches, discoveries  atomic.Int64

	closing   chan struct{}
	closeOnce sync.Once
}

// NewProvider starts a Provider on 127.0.0.1 and registers its Close with
// t.Cleanup; a setup error stops the test. Keys are made as [New] makes
// them: RSA keys once per process.
func NewProvider(t testing.TB, opts ProviderOptions) *Provider {
	t.Helper()
	if opts.Algorithm == "" {
		opts.Algorithm = "ES256"
	}
	switch family, ok := algorithms[opts.Algorithm]; {
	case !ok:
		t.Fatalf("jwtauthtest: ProviderOptions.Algorithm %q is not one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA", opts.Algorithm)
	case family == "HMAC":
		t.Fatalf("jwtauthtest: ProviderOptions.Algorithm %s: a JWK Set publishes no secrets; use an asymmetric algorithm", opts.Algorithm)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Delay <= 0 {
		opts.Delay = time.Second
	}
	p := &Provider{t: t, opts: opts, alg: opts.Algorithm, closing: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DiscoveryPath, p.serveDiscovery)
	mux.HandleFunc("GET "+JWKSPath, p.serveJWKS)
	p.srv = httptest.NewUnstartedServer(mux)
	scheme := "http://"
	if opts.TLS {
		scheme = "https://"
	}
	// The URL is known before the server starts, so that the issuer is in
	// place before any request.
	p.url = scheme + p.srv.Listener.Addr().String()
	key, kid, err := p.newKey()
	if err != nil {
		p.srv.Close()
		t.Fatal(err)
	}
	p.iss, err = issuer.New(issuer.Config{
		Key:    issuer.SigningKey{Algorithm: p.alg, Key: key, ID: kid},
		Issuer: p.url, Audience: opts.Audience, TTL: opts.TTL, Now: opts.Now,
	})
	if err != nil {
		p.srv.Close()
		t.Fatalf("jwtauthtest: ProviderOptions: %v", err)
	}
	if opts.TLS {
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	t.Cleanup(p.Close)
	return p
}

// newKey makes the provider's next key.
func (p *Provider) newKey() (any, string, error) {
	p.rsaMu.Lock()
	slot := p.rsa
	if algorithms[p.alg] == "RSA" {
		p.rsa++
	}
	p.rsaMu.Unlock()
	key, err := newKey(p.alg, slot)
	return key, randomKID(), err
}

// URL returns the base URL of the provider, http://127.0.0.1:port (https
// with TLS).
func (p *Provider) URL() string { return p.url }

// Issuer returns the provider's issuer identifier: its URL, the iss of its
// tokens and the issuer of its discovery document, for jwtauth.Discover and
// jwtauth.Config.Issuer.
func (p *Provider) Issuer() string { return p.url }

// JWKSURL returns the URL of the provider's JWK Set, for jwtauth.Remote.
func (p *Provider) JWKSURL() string { return p.url + JWKSPath }

// Client returns an HTTP client for the provider, which trusts its TLS
// certificate, for RemoteOptions.Client.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

// RemoteOptions returns the jwtauth.RemoteOptions that reach the provider:
// its Client, and AllowLoopbackHTTP when it serves http. Set the other
// fields (MaxWait, MinRefresh, …) as your test needs.
func (p *Provider) RemoteOptions() jwtauth.RemoteOptions {
	return jwtauth.RemoteOptions{Client: p.Client(), AllowLoopbackHTTP: !p.opts.TLS}
}

// Token returns a valid token of [DefaultSubject] with the private claims
// claims (which may be nil), as [Provider.TokenFor] does.
func (p *Provider) Token(claims map[string]any) string {
	p.t.Helper()
	return p.TokenFor(DefaultSubject, claims)
}

// TokenFor returns a valid token of subject (none when subject is ""), signed by the provider's
// current key, as an issuer.Issuer mints it: iss the provider's URL, aud
// as configured, iat, nbf, exp, jti and the kid. A claim the issuer refuses
// stops the test.
func (p *Provider) TokenFor(subject string, claims map[string]any) string {
	p.t.Helper()
	tok, err := p.iss.Issue(context.Background(), subject, claims)
	if err != nil {
		p.t.Fatalf("jwtauthtest: Provider.TokenFor: %v", err)
	}
	return tok
}

// KeyID returns the kid of the provider's current key.
func (p *Provider) KeyID() string { return p.iss.KeyID() }

// Rotate makes a new key the provider's current key and returns its kid.
// The new key joins the JWK Set; the keys before it stay there, and their
// tokens keep verifying, until [Provider.Retire]. A verifier meets the new
// kid in the next token, and refetches the set for it.
func (p *Provider) Rotate() string {
	p.t.Helper()
	key, kid, err := p.newKey()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.iss.Rotate(issuer.SigningKey{Algorithm: p.alg, Key: key, ID: kid}); err != nil {
		p.t.Fatalf("jwtauthtest: Provider.Rotate: %v", err)
	}
	return kid
}

// Retire removes the key kid, which must not be the current one, from the
// JWK Set. Verifiers refuse its tokens once they have fetched the set anew.
func (p *Provider) Retire(kid string) {
	p.t.Helper()
	if err := p.iss.Retire(kid); err != nil {
		p.t.Fatalf("jwtauthtest: Provider.Retire: %v", err)
	}
}

// SetFault makes the provider apply f to every request for its JWK Set
// that arrives from now on, until another SetFault; FaultNone ends it.
// Requests already being answered are not affected.
func (p *Provider) SetFault(f Fault) { p.fault.Store(int32(f)) }

// SetDiscoveryFault is SetFault for the discovery document.
func (p *Provider) SetDiscoveryFault(f Fault) { p.discoveryFault.Store(int32(f)) }

// Fetches returns the number of requests for the JWK Set the provider has
// received, served or faulted. An HTTP client may resend a request once
// when a kept-alive connection closes under it (FaultDown).
func (p *Provider) Fetches() int { return int(p.fetches.Load()) }

// DiscoveryFetches returns the number of requests for the discovery
// document the provider has received.
func (p *Provider) DiscoveryFetches() int { return int(p.discoveries.Load()) }

// Close stops the provider: requests that FaultSlow or FaultHang hold are
// let go at once, and later ones fail to connect. It is registered with
// t.Cleanup by NewProvider; calling it again does nothing.
func (p *Provider) Close() {
	p.closeOnce.Do(func() {
		close(p.closing)
		p.srv.Close()
	})
}

func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	p.discoveries.Add(1)
	p.serve(w, r, Fault(p.discoveryFault.Load()), "{}", func() {
		doc, _ := json.Marshal(map[string]any{
			"issuer":                                p.url,
			"jwks_uri":                              p.JWKSURL(),
			"id_token_signing_alg_values_supported": []string{p.iss.Algorithm()},
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
		})
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	})
}

func (p *Provider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	p.fetches.Add(1)
	p.serve(w, r, Fault(p.fault.Load()), `{"keys":[]}`, func() { p.iss.JWKSHandler().ServeHTTP(w, r) })
}

// serve answers r as fault says: ok writes the document, empty is the
// body of FaultEmpty.
func (p *Provider) serve(w http.ResponseWriter, r *http.Request, fault Fault, empty string, ok func()) {
	switch fault {
	case FaultDown:
		p.drop(w)
	case FaultSlow:
		t := time.NewTimer(p.opts.Delay)
		defer t.Stop()
		select {
		case <-t.C:
			ok()
		case <-r.Context().Done():
		case <-p.closing:
			p.drop(w)
		}
	case Fault500:
		http.Error(w, "internal server error", http.StatusInternalServerError)
	case FaultGarbage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>502 Bad Gateway</title><h1>Bad Gateway</h1>\n"))
	case FaultEmpty:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(empty))
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-p.closing:
		}
		p.drop(w)
	default:
		ok()
	}
}

// drop closes the connection of w without an answer.
func (p *Provider) drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not HTTP/1: the nearest thing to a dead server.
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	conn.Close()
}
