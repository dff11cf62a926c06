package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// RemoteOptions configures [Remote] and [Discover]. The zero value is the
// safe default.
type RemoteOptions struct {
	// Client fetches the key set. Default: a client with a 10-second timeout
	// that follows no redirects. A custom client should have a timeout too;
	// redirects are refused either way.
	Client *http.Client

	// MinRefresh is the shortest time between two background fetches,
	// whatever the endpoint's Cache-Control says. Default 5 minutes; at
	// least 1 second.
	MinRefresh time.Duration

	// MaxRefresh is the longest time a fetched set is used before it is
	// fetched again, however long its Cache-Control allows. Default 1 hour.
	MaxRefresh time.Duration

	// MissRefresh is the shortest time between two fetches caused by tokens
	// whose kid is not in the set (the issuer may have rotated keys). Tokens
	// with random kids therefore cause at most one fetch per MissRefresh, and
	// concurrent misses share one fetch. Default 30 seconds.
	MissRefresh time.Duration

	// MaxBytes bounds the size of the key set document. Default 1 MiB.
	MaxBytes int64

	// Algorithm is assigned to keys that carry no "alg", which some
	// providers omit for RSA keys. Default: EC and Ed25519 keys get the only
	// algorithm of their curve, and RSA keys without alg are skipped.
	Algorithm string

	// AllowLoopbackHTTP allows an http:// URL whose host is a loopback
	// address or "localhost", for development and tests. Default: only https.
	AllowLoopbackHTTP bool

	// Logger receives a record for each failed fetch and each key skipped.
	// Default: nothing is logged.
	Logger *slog.Logger
}

// RemoteKeys is Keys fetched from a JSON Web Key Set URL and kept fresh in
// the background by jwx's jwk.Cache: for tokens minted by an identity
// provider (Auth0, Keycloak, Google, an [Issuer] in another service). Make
// one with [Remote] or [Discover]; Close it when done.
//
// When a fetch fails — the endpoint is down, slow, answers 500, garbage or
// an empty set — the last good keys stay in use. Until a first fetch
// succeeds, requests fail with [ErrKeysUnavailable] (503), not 401.
// Symmetric keys in a remote set are refused, keys for encryption are
// skipped, and each key is bound to its alg.
type RemoteKeys struct {
	url   string
	opts  RemoteOptions
	err   error // configuration error, reported by New
	cache *jwk.Cache
	res   *httprc.ResourceBase[jwk.Set]
	stop  context.CancelFunc

	cur atomic.Pointer[remoteSnapshot]
	mu  sync.Mutex // serialises conversion of a new jwk.Set

	missMu   sync.Mutex
	lastMiss time.Time
	inflight chan struct{} // closed when the current miss refresh ends

	fetches atomic.Int64 // number of fetches started, for tests
}

// remoteSnapshot is a converted key set and the jwk.Set it came from.
type remoteSnapshot struct {
	src jwk.Set
	set *keySet
}

const (
	defaultMinRefresh  = 5 * time.Minute
	defaultMaxRefresh  = time.Hour
	defaultMissRefresh = 30 * time.Second
	defaultMaxJWKS     = 1 << 20
	remoteTimeout      = 10 * time.Second
)

// Remote returns Keys fetched from jwksURL, refreshed in the background for
// as long as ctx lives or until [RemoteKeys.Close]. The first fetch starts
// at once and does not block; a bad URL or option is reported by [New].
func Remote(ctx context.Context, jwksURL string, opts RemoteOptions) *RemoteKeys {
	r := &RemoteKeys{url: jwksURL}
	if r.err = r.init(ctx, opts); r.err != nil {
		return r
	}
	return r
}

func (r *RemoteKeys) init(ctx context.Context, opts RemoteOptions) error {
	if err := checkURL(r.url, opts.AllowLoopbackHTTP); err != nil {
		return err
	}
	if opts.MinRefresh == 0 {
		opts.MinRefresh = defaultMinRefresh
	}
	if opts.MaxRefresh == 0 {
		opts.MaxRefresh = max(defaultMaxRefresh, opts.MinRefresh)
	}
	if opts.MissRefresh == 0 {
		opts.MissRefresh = defaultMissRefresh
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = defaultMaxJWKS
	}
	switch {
	case opts.MinRefresh < time.Second || opts.MaxRefresh < opts.MinRefresh:
		return configError("RemoteOptions: need 1s ≤ MinRefresh ≤ MaxRefresh")
	case opts.MissRefresh < 0 || opts.MaxBytes < 0:
		return configError("RemoteOptions: negative MissRefresh or MaxBytes")
	}
	if opts.Algorithm != "" {
		if a, ok := algorithms[opts.Algorithm]; !ok || a.family == "HMAC" {
			return configError("RemoteOptions: Algorithm must be an asymmetric algorithm")
		}
	}
	opts.Client = noRedirects(opts.Client)
	r.opts = opts

	ctx, r.stop = context.WithCancel(ctx)
	client := httprc.NewClient(httprc.WithErrorSink(errorSink{r}), httprc.WithWorkers(1))
	cache, err := jwk.NewCache(ctx, client)
	if err != nil {
		r.stop()
		return configError("%w", err)
	}
	r.cache = cache
	err = cache.Register(ctx, r.url,
		jwk.WithHTTPClient(countingClient{r}),
		jwk.WithMinInterval(opts.MinRefresh),
		jwk.WithMaxInterval(opts.MaxRefresh),
		jwk.WithMaxFetchBodySize(opts.MaxBytes),
		jwk.WithIgnoreParseError(true), // one unusable key does not spoil the set
		jwk.WithWaitReady(false),
	)
	if err == nil {
		r.res, err = cache.LookupResource(ctx, r.url)
	}
	if err != nil {
		r.stop()
		return configError("JWKS URL: %w", err)
	}
	return nil
}

// checkURL requires https, or http to a loopback host when allowed.
func checkURL(raw string, allowLoopbackHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return configError("JWKS URL is not an absolute URL without credentials")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowLoopbackHTTP && isLoopback(u.Hostname()) {
			return nil
		}
		return configError("JWKS URL must be https (http only for loopback hosts, with AllowLoopbackHTTP)")
	}
	return configError("JWKS URL must be https")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// noRedirects returns a copy of c (or a default client) that refuses
// redirects: a JWKS endpoint that redirects is misconfigured or compromised.
func noRedirects(c *http.Client) *http.Client {
	var nc http.Client
	if c != nil {
		nc = *c
	} else {
		nc.Timeout = remoteTimeout
	}
	nc.CheckRedirect = func(*http.Request, []*http.Request) error {
		return errors.New("jwtauth: JWKS endpoint redirected; redirects are not followed")
	}
	return &nc
}

// countingClient counts fetches, and bounds each one by the client timeout
// even when httprc's context has none.
type countingClient struct{ r *RemoteKeys }

func (c countingClient) Do(req *http.Request) (*http.Response, error) {
	c.r.fetches.Add(1)
	return c.r.opts.Client.Do(req)
}

// errorSink logs failed fetches.
type errorSink struct{ r *RemoteKeys }

func (s errorSink) Put(ctx context.Context, err error) {
	if l := s.r.opts.Logger; l != nil {
		l.LogAttrs(ctx, slog.LevelWarn, "jwtauth: JWKS fetch failed; keeping the last good keys",
			slog.String("url", s.r.url), slog.String("error", err.Error()))
	}
}

// Close stops the background refresh. Verification goes on with the keys
// last fetched.
func (r *RemoteKeys) Close() error {
	if r.stop == nil {
		return nil
	}
	r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.cache.Shutdown(ctx)
}

func (r *RemoteKeys) check() error { return r.err }

// keySet returns the current keys, converting a newly fetched set once.
// With no keys yet, it tries one rate-limited fetch.
func (r *RemoteKeys) keySet(ctx context.Context) (*keySet, error) {
	if r.err != nil {
		return nil, r.err
	}
	if s := r.snapshot(); s != nil {
		return s.set, nil
	}
	if set, ok := r.refresh(ctx); ok {
		return set, nil
	}
	return nil, ErrKeysUnavailable
}

// snapshot returns the converted form of the set jwk.Cache holds now.
func (r *RemoteKeys) snapshot() *remoteSnapshot {
	src := r.res.Resource()
	cur := r.cur.Load()
	if src == nil || (cur != nil && cur.src == src) {
		return cur
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur = r.cur.Load(); cur != nil && cur.src == src {
		return cur
	}
	set := r.convert(src)
	if set == nil {
		// Nothing usable in the new set: keep the last good keys, and do
		// not convert this set again.
		if cur == nil {
			return nil
		}
		set = cur.set
	}
	next := &remoteSnapshot{src: src, set: set}
	r.cur.Store(next)
	return next
}

// convert turns a fetched set into a keySet, skipping (and logging) keys
// that cannot be used; nil when none can.
func (r *RemoteKeys) convert(src jwk.Set) *keySet {
	var keys []*key
	for i := range src.Len() {
		jk, ok := src.Key(i)
		if !ok {
			continue
		}
		if _, ok := jk.Algorithm(); !ok && r.opts.Algorithm != "" {
			if _, rsa := jk.(jwk.RSAPublicKey); rsa {
				// A key left without the alg it was meant to get would be
				// refused below anyway; say why.
				if err := jk.Set(jwk.AlgorithmKey, r.opts.Algorithm); err != nil {
					r.log("jwtauth: JWKS key skipped", fmt.Errorf("%w: cannot set alg: %w", ErrKeyAlgorithm, err))
					continue
				}
			}
		}
		k, err := fromJWK(jk, false)
		if err != nil {
			r.log("jwtauth: JWKS key skipped", err)
			continue
		}
		if k != nil {
			keys = append(keys, k)
		}
	}
	set, err := newKeySet(keys...)
	if err != nil {
		r.log("jwtauth: JWKS has no usable keys; keeping the last good keys", err)
		return nil
	}
	return set
}

func (r *RemoteKeys) log(msg string, err error) {
	if l := r.opts.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelWarn, msg, slog.String("url", r.url), slog.String("error", err.Error()))
	}
}

// refresher is a Keys that can fetch anew when a token names an unknown key.
type refresher interface {
	refresh(ctx context.Context) (*keySet, bool)
}

// refresh fetches the set now, unless a fetch for a miss happened less than
// MissRefresh ago; concurrent callers share one fetch. It reports whether
// the keys may have changed.
func (r *RemoteKeys) refresh(ctx context.Context) (*keySet, bool) {
	r.missMu.Lock()
	if ch := r.inflight; ch != nil {
		r.missMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, false
		}
		s := r.snapshot()
		return s.setOrNil(), s != nil
	}
	if !r.lastMiss.IsZero() && time.Since(r.lastMiss) < r.opts.MissRefresh {
		r.missMu.Unlock()
		return nil, false
	}
	r.lastMiss = time.Now()
	ch := make(chan struct{})
	r.inflight = ch
	r.missMu.Unlock()

	// The fetch outlives a canceled request, so that the others waiting
	// for it are not cut short; the client timeout bounds it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), remoteTimeout)
	_, err := r.cache.Refresh(fctx, r.url)
	cancel()
	if err != nil {
		r.log("jwtauth: JWKS fetch failed; keeping the last good keys", err)
	}
	r.missMu.Lock()
	r.inflight = nil
	close(ch)
	r.missMu.Unlock()
	s := r.snapshot()
	return s.setOrNil(), s != nil
}

func (s *remoteSnapshot) setOrNil() *keySet {
	if s == nil {
		return nil
	}
	return s.set
}

// Discover reads the OpenID Connect discovery document of issuer
// ({issuer}/.well-known/openid-configuration, OpenID Connect Discovery 1.0
// §4), checks that it names the same issuer, and returns [Remote] keys for
// its jwks_uri. Set Config.Issuer to the same issuer.
func Discover(ctx context.Context, issuer string, opts RemoteOptions) (*RemoteKeys, error) {
	if err := checkURL(issuer, opts.AllowLoopbackHTTP); err != nil {
		return nil, err
	}
	client := noRedirects(opts.Client)
	ctx2, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx2, http.MethodGet, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, configError("issuer URL")
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery: %w", ErrKeysUnavailable, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: discovery: status %d", ErrKeysUnavailable, res.StatusCode)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 256<<10)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: discovery document does not parse", ErrKeysUnavailable)
	}
	if doc.Issuer != issuer {
		return nil, configError("discovery document is for another issuer")
	}
	r := Remote(ctx, doc.JWKSURI, opts)
	if r.err != nil {
		return nil, r.err
	}
	return r, nil
}
