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
	// Client fetches the key set. Default: a client that follows no
	// redirects. Redirects are refused whatever the client, and every fetch
	// is bounded by FetchTimeout even when the client has no timeout.
	Client *http.Client

	// FetchTimeout bounds each fetch, from the request to the last byte of
	// the document. Default 10 seconds; at most 1 minute.
	FetchTimeout time.Duration

	// MaxWait is the longest a request waits for a fetch that its token
	// needs (the first fetch, or one for an unknown kid or alg), on top of
	// its own context, which bounds it too; then it gets 503 with
	// Retry-After while the fetch goes on. Default 2 seconds; keep it well
	// under the server's WriteTimeout.
	MaxWait time.Duration

	// MinRefresh is the shortest time between two background fetches,
	// whatever the endpoint's Cache-Control says. Default 5 minutes; at
	// least 1 second.
	MinRefresh time.Duration

	// MaxRefresh is the longest time a fetched set is used before it is
	// fetched again, however long its Cache-Control allows. Default 1 hour.
	MaxRefresh time.Duration

	// MissRefresh is the shortest time between two fetches caused by tokens
	// whose kid (or alg) is not in the set (the issuer may have rotated
	// keys). Tokens with random kids therefore cause at most one fetch per
	// MissRefresh, and concurrent misses share one fetch. Requests that
	// find no usable keys at all (the endpoint down at start-up) have a
	// budget of their own, one fetch per MissRefresh too, so that they
	// never spend the one a rotation needs. Default 30 seconds.
	MissRefresh time.Duration

	// MaxStale bounds how long the last good keys serve when fetches fail:
	// past MaxStale after the last successful fetch, requests get 503
	// rather than trust keys the issuer may have removed long ago. Default
	// 24 hours; at least MaxRefresh.
	MaxStale time.Duration

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

	// Observer, when set, is told of every fetch of the key set
	// (Observer.KeysFetched). Default: none.
	Observer Observer
}

// RemoteKeys is Keys fetched from a JSON Web Key Set URL and kept fresh in
// the background by jwx's jwk.Cache: for tokens minted by an identity
// provider (Auth0, Keycloak, Google, an issuer in another service). Make one
// with [Remote] or [Discover]; Close it when done: the background work lives
// until then, whatever became of the context it was made with.
//
// When a fetch fails — the endpoint is down, slow, hung, answers 500 or
// garbage — the last good keys stay in use, for at most
// RemoteOptions.MaxStale. A set that parses always replaces the one before,
// even an empty one, so keys the issuer removed stop verifying within the
// refresh interval. Until keys are available, requests fail with
// [ErrKeysUnavailable] (503 with Retry-After), not 401, and never wait past
// their context or RemoteOptions.MaxWait. Symmetric keys in a remote set are
// refused, keys for encryption are skipped, and each key is bound to its
// alg. [RemoteKeys.Status] tells a health check where it stands.
type RemoteKeys struct {
	url    string // the JWKS URL; set once, before f
	issuer string // the issuer of Discover, or ""
	opts   RemoteOptions
	err    error // configuration error, reported by New

	bg     context.Context // the background's lifetime, ended by Close
	stop   context.CancelFunc
	closed atomic.Bool
	f      atomic.Pointer[fetcher] // nil until the JWKS URL is known
	done   chan struct{}           // closed when discovery's goroutine ends

	cur atomic.Pointer[remoteSnapshot]
	mu  sync.Mutex // serialises conversion of a new jwk.Set

	missMu   sync.Mutex
	lastMiss time.Time // of the last fetch for a token's unknown key
	// lastEmpty is of the last fetch for a request that found no keys.
	lastEmpty time.Time
	inflight  chan struct{} // closed when the current miss refresh ends

	fetches atomic.Int64 // fetches started
	lastOK  atomic.Int64 // Unix nanoseconds of the last 200 answer

	stMu      sync.Mutex
	lastFetch time.Time
	lastErr   string
}

// fetcher is the jwk.Cache of the JWKS URL.
type fetcher struct {
	cache *jwk.Cache
	res   *httprc.ResourceBase[jwk.Set]
}

// remoteSnapshot is a converted key set and the jwk.Set it came from.
type remoteSnapshot struct {
	src     jwk.Set
	set     *keySet
	keys    int
	fetched time.Time // when the fetch that made src ended, about
}

const (
	defaultMinRefresh   = 5 * time.Minute
	defaultMaxRefresh   = time.Hour
	defaultMissRefresh  = 30 * time.Second
	defaultMaxJWKS      = 1 << 20
	defaultFetchTimeout = 10 * time.Second
	maxFetchTimeout     = time.Minute
	defaultMaxWait      = 2 * time.Second
	defaultMaxStale     = 24 * time.Hour
)

// emptyKeySet is the set of a fetched JWKS without usable keys: every token
// is refused (and may cause a rate-limited refetch).
var emptyKeySet = &keySet{byKID: map[string]*key{}, onlyKey: map[string]*key{}, onlyAnon: map[string]*key{}}

// Remote returns Keys fetched from jwksURL and refreshed in the background
// until [RemoteKeys.Close]. ctx is not kept: only Close ends the
// background refresh. The first fetch starts at once and does not block; a
// bad URL or option is reported by [New].
func Remote(ctx context.Context, jwksURL string, opts RemoteOptions) *RemoteKeys {
	r := &RemoteKeys{url: jwksURL}
	if r.err = r.setup(ctx, opts); r.err != nil {
		return r
	}
	if r.err = checkURL(jwksURL, opts.AllowLoopbackHTTP); r.err != nil {
		r.stop()
		return r
	}
	if r.err = r.start(jwksURL); r.err != nil {
		r.stop()
	}
	return r
}

// setup checks opts, fills in defaults and starts the background lifetime.
func (r *RemoteKeys) setup(ctx context.Context, opts RemoteOptions) error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&opts.MinRefresh, defaultMinRefresh)
	def(&opts.MaxRefresh, max(defaultMaxRefresh, opts.MinRefresh))
	def(&opts.MissRefresh, defaultMissRefresh)
	def(&opts.FetchTimeout, defaultFetchTimeout)
	def(&opts.MaxWait, defaultMaxWait)
	def(&opts.MaxStale, max(defaultMaxStale, opts.MaxRefresh))
	if opts.MaxBytes == 0 {
		opts.MaxBytes = defaultMaxJWKS
	}
	switch {
	case opts.MinRefresh < time.Second || opts.MaxRefresh < opts.MinRefresh:
		return configError("RemoteOptions: need 1s ≤ MinRefresh ≤ MaxRefresh, got MinRefresh %v and MaxRefresh %v", opts.MinRefresh, opts.MaxRefresh)
	case opts.MissRefresh < 0 || opts.MaxBytes < 0:
		return configError("RemoteOptions: negative MissRefresh (%v) or MaxBytes (%d)", opts.MissRefresh, opts.MaxBytes)
	case opts.FetchTimeout < 0 || opts.FetchTimeout > maxFetchTimeout:
		return configError("RemoteOptions: FetchTimeout must be between 0 and %v, got %v", maxFetchTimeout, opts.FetchTimeout)
	case opts.MaxWait < 0:
		return configError("RemoteOptions: negative MaxWait (%v)", opts.MaxWait)
	case opts.MaxStale < opts.MaxRefresh:
		return configError("RemoteOptions: MaxStale (%v) must be at least MaxRefresh (%v)", opts.MaxStale, opts.MaxRefresh)
	}
	if opts.Algorithm != "" {
		if a, ok := algorithms[opts.Algorithm]; !ok || a.family == "HMAC" {
			return configError("RemoteOptions: Algorithm must be an asymmetric algorithm")
		}
	}
	opts.Client = noRedirects(opts.Client)
	r.opts = opts
	// The background outlives ctx: Close ends it, not the caller's
	// context (which may be a request's, or canceled at start-up).
	r.bg, r.stop = context.WithCancel(context.WithoutCancel(ctx))
	return nil
}

// start registers url with a jwk.Cache of its own, which fetches it in the
// background from now on.
func (r *RemoteKeys) start(url string) error {
	client := httprc.NewClient(httprc.WithErrorSink(errorSink{r}), httprc.WithWorkers(1))
	cache, err := jwk.NewCache(r.bg, client)
	if err != nil {
		return configError("%w", err)
	}
	err = cache.Register(r.bg, url,
		jwk.WithHTTPClient(fetchClient{r}),
		jwk.WithMinInterval(r.opts.MinRefresh),
		jwk.WithMaxInterval(r.opts.MaxRefresh),
		jwk.WithMaxFetchBodySize(r.opts.MaxBytes),
		jwk.WithIgnoreParseError(true), // one unusable key does not spoil the set
		jwk.WithWaitReady(false),
	)
	var res *httprc.ResourceBase[jwk.Set]
	if err == nil {
		res, err = cache.LookupResource(r.bg, url)
	}
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		cache.Shutdown(ctx)
		cancel()
		return configError("JWKS URL: %w", err)
	}
	r.f.Store(&fetcher{cache: cache, res: res})
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
		nc.Timeout = maxFetchTimeout // FetchTimeout bounds each fetch below this
	}
	nc.CheckRedirect = func(*http.Request, []*http.Request) error {
		return errors.New("jwtauth: JWKS endpoint redirected; redirects are not followed")
	}
	return &nc
}

// fetchClient counts fetches, bounds each one by FetchTimeout (up to the
// last byte of the body) whatever the client, and notes the outcome.
type fetchClient struct{ r *RemoteKeys }

func (c fetchClient) Do(req *http.Request) (*http.Response, error) {
	r := c.r
	r.fetches.Add(1)
	start := time.Now()
	ctx, cancel := context.WithTimeout(req.Context(), r.opts.FetchTimeout)
	res, err := r.opts.Client.Do(req.WithContext(ctx))
	if err != nil {
		cancel()
		r.noteFetch(err)
		r.observe(ctx, err, start)
		return nil, err
	}
	var status error
	if res.StatusCode == http.StatusOK {
		r.lastOK.Store(time.Now().UnixNano())
	} else {
		status = fmt.Errorf("jwtauth: JWKS endpoint answered status %d", res.StatusCode)
	}
	res.Body = &cancelBody{ReadCloser: res.Body, done: func() {
		r.observe(ctx, status, start)
		cancel()
	}}
	r.noteFetch(nil)
	return res, nil
}

// observe tells the Observer of a fetch that ended.
func (r *RemoteKeys) observe(ctx context.Context, err error, start time.Time) {
	if o := r.opts.Observer; o != nil {
		o.KeysFetched(ctx, KeysFetchedEvent{URL: r.url, Err: err, Duration: time.Since(start)})
	}
}

// cancelBody ends a fetch once its body is closed.
type cancelBody struct {
	io.ReadCloser
	done func()
	once sync.Once
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// noteFetch records the end of a fetch, for Status.
func (r *RemoteKeys) noteFetch(err error) {
	r.stMu.Lock()
	defer r.stMu.Unlock()
	r.lastFetch = time.Now()
	r.lastErr = ""
	if err != nil {
		r.lastErr = err.Error()
	}
}

// errorSink logs failed fetches, and notes them for Status.
type errorSink struct{ r *RemoteKeys }

func (s errorSink) Put(ctx context.Context, err error) {
	s.r.noteFetch(err)
	if l := s.r.opts.Logger; l != nil {
		l.LogAttrs(ctx, slog.LevelWarn, "jwtauth: JWKS fetch failed; keeping the last good keys",
			slog.String("url", s.r.url), slog.String("error", err.Error()))
	}
}

// Close stops the background refresh and discovery, at once: a fetch in
// flight is abandoned. From then on the keys are unavailable: requests get
// [ErrKeysUnavailable] without waiting.
func (r *RemoteKeys) Close() error {
	if r.stop == nil || !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	r.stop()
	if r.done != nil {
		<-r.done
	}
	if f := r.f.Load(); f != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return f.cache.Shutdown(ctx)
	}
	return nil
}

func (r *RemoteKeys) check() error { return r.err }

// errClosed is the error of Keys after Close.
var errClosed = fmt.Errorf("%w: remote keys closed", ErrKeysUnavailable)

// keySet returns the current keys, converting a newly fetched set once.
// With no keys yet, or only stale ones, it tries one rate-limited fetch.
func (r *RemoteKeys) keySet(ctx context.Context) (*keySet, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.closed.Load() {
		return nil, errClosed
	}
	if s := r.snapshot(); s != nil && !r.stale(s) {
		return s.set, nil
	}
	if set, waited := r.first(ctx); waited {
		if set != nil {
			return set, nil
		}
		return nil, ErrKeysUnavailable // its MaxWait is spent
	}
	if set, ok := r.fetchNow(ctx, &r.lastEmpty); ok && set != nil {
		return set, nil
	}
	return nil, ErrKeysUnavailable
}

// first waits, at most MaxWait and ctx, for the first fetch when none has
// ended yet: a request that arrives while it runs waits for it rather than
// start another, which would also spend the MissRefresh budget that a
// rotation right after start-up needs. It reports whether it waited, and
// the keys when they came.
func (r *RemoteKeys) first(ctx context.Context) (*keySet, bool) {
	f := r.f.Load()
	r.stMu.Lock()
	ended := !r.lastFetch.IsZero()
	r.stMu.Unlock()
	if f == nil || ended {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.MaxWait)
	defer cancel()
	if f.res.Ready(ctx) != nil {
		return nil, true
	}
	if s := r.snapshot(); s != nil && !r.stale(s) {
		return s.set, true
	}
	return nil, true
}

// stale reports whether s is older than MaxStale.
func (r *RemoteKeys) stale(s *remoteSnapshot) bool {
	return time.Since(s.fetched) > r.opts.MaxStale
}

// snapshot returns the converted form of the set jwk.Cache holds now.
func (r *RemoteKeys) snapshot() *remoteSnapshot {
	f := r.f.Load()
	if f == nil {
		return nil
	}
	src := f.res.Resource()
	cur := r.cur.Load()
	if src == nil || (cur != nil && cur.src == src) {
		return cur
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur = r.cur.Load(); cur != nil && cur.src == src {
		return cur
	}
	set, n := r.convert(src)
	fetched := time.Now()
	if ok := r.lastOK.Load(); ok != 0 {
		fetched = time.Unix(0, ok)
	}
	next := &remoteSnapshot{src: src, set: set, keys: n, fetched: fetched}
	r.cur.Store(next)
	return next
}

// convert turns a fetched set into a keySet, skipping (and logging) keys
// that cannot be used; a set without usable keys gives emptyKeySet.
func (r *RemoteKeys) convert(src jwk.Set) (*keySet, int) {
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
	if len(keys) == 0 {
		r.log("jwtauth: JWKS has no usable keys; every token is refused until it has", ErrNoKeys)
		return emptyKeySet, 0
	}
	set, err := newKeySet(keys...)
	if err != nil {
		r.log("jwtauth: JWKS unusable; every token is refused until it is fixed", err)
		return emptyKeySet, 0
	}
	return set, len(keys)
}

func (r *RemoteKeys) log(msg string, err error) {
	if l := r.opts.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelWarn, msg, slog.String("url", r.url), slog.String("error", err.Error()))
	}
}

// RemoteStatus is the state of [RemoteKeys], for health checks and
// operators.
type RemoteStatus struct {
	URL         string    // the JWKS URL; "" while Discover has not found it
	Ready       bool      // keys are in use: fetched, not stale, not closed
	Keys        int       // usable keys in the current set
	LastFetch   time.Time // when the last fetch (or discovery) ended; zero before the first
	LastSuccess time.Time // when the current set was fetched; zero before the first
	LastError   string    // why the last fetch failed; "" when it did not
	Fetches     int64     // fetches started
	Closed      bool
}

// Status reports the state of r.
func (r *RemoteKeys) Status() RemoteStatus {
	st := RemoteStatus{Fetches: r.fetches.Load(), Closed: r.closed.Load()}
	if r.f.Load() != nil {
		st.URL = r.url
	}
	if s := r.snapshot(); s != nil {
		st.Keys, st.LastSuccess = s.keys, s.fetched
		st.Ready = !st.Closed && !r.stale(s)
	}
	r.stMu.Lock()
	st.LastFetch, st.LastError = r.lastFetch, r.lastErr
	r.stMu.Unlock()
	if r.err != nil {
		st.LastError = r.err.Error()
	}
	return st
}

// refresher is a Keys that can fetch anew when a token names an unknown key.
type refresher interface {
	refresh(ctx context.Context) (*keySet, bool)
}

// refresh fetches the set now, unless a fetch for a miss happened less than
// MissRefresh ago; concurrent callers share one fetch. The fetch runs on its
// own, bounded by FetchTimeout and Close; the caller waits for it at most
// MaxWait and its own context. It reports whether the keys may have changed.
func (r *RemoteKeys) refresh(ctx context.Context) (*keySet, bool) {
	return r.fetchNow(ctx, &r.lastMiss)
}

// fetchNow is refresh, rate-limited by *last: lastMiss for tokens that name
// a key or algorithm the set lacks, lastEmpty for requests that find no
// usable keys at all. The two budgets are apart so that requests made
// while the first fetch is still being read (its headers in, its set not
// yet stored) cannot spend the budget of the rotation that follows.
func (r *RemoteKeys) fetchNow(ctx context.Context, last *time.Time) (*keySet, bool) {
	f := r.f.Load()
	if f == nil || r.closed.Load() {
		return nil, false
	}
	r.missMu.Lock()
	ch := r.inflight
	if ch == nil {
		if !last.IsZero() && time.Since(*last) < r.opts.MissRefresh {
			r.missMu.Unlock()
			return nil, false
		}
		*last = time.Now()
		ch = make(chan struct{})
		r.inflight = ch
		go r.missFetch(f, ch)
	}
	r.missMu.Unlock()

	wait := time.NewTimer(r.opts.MaxWait)
	defer wait.Stop()
	select {
	case <-ch:
	case <-ctx.Done():
		return nil, false
	case <-wait.C:
		return nil, false
	}
	s := r.snapshot()
	if s == nil || r.stale(s) {
		return nil, false
	}
	return s.set, true
}

// missFetch fetches the set for a miss and closes ch when done.
func (r *RemoteKeys) missFetch(f *fetcher, ch chan struct{}) {
	ctx, cancel := context.WithTimeout(r.bg, r.opts.FetchTimeout)
	_, err := f.cache.Refresh(ctx, r.url)
	cancel()
	if err != nil && r.bg.Err() == nil {
		r.noteFetch(err)
		r.log("jwtauth: JWKS fetch failed; keeping the last good keys", err)
	}
	r.missMu.Lock()
	r.inflight = nil
	close(ch)
	r.missMu.Unlock()
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
//
// ctx bounds the first attempt only (and FetchTimeout bounds it too). When
// the provider cannot be reached or answers badly, Discover still returns
// the keys, which go on trying in the background until Close (requests get
// 503 until then; see [RemoteKeys.Status]). It fails only on what retrying
// cannot fix: an issuer URL or option that is wrong, or a document that names
// another issuer or an unusable jwks_uri.
func Discover(ctx context.Context, issuer string, opts RemoteOptions) (*RemoteKeys, error) {
	if err := checkURL(issuer, opts.AllowLoopbackHTTP); err != nil {
		return nil, err
	}
	r := &RemoteKeys{issuer: issuer}
	if err := r.setup(ctx, opts); err != nil {
		return nil, err
	}
	actx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(r.bg, cancel)
	jwksURI, err := r.discover(actx)
	stop()
	cancel()
	var ce *ConfigError
	switch {
	case err == nil:
		if err := r.start(jwksURI); err != nil {
			r.stop()
			return nil, err
		}
		return r, nil
	case errors.As(err, &ce):
		r.stop()
		return nil, err
	}
	r.log("jwtauth: discovery failed; retrying in the background", err)
	r.done = make(chan struct{})
	go r.discoverLoop()
	return r, nil
}

// discoverLoop retries discovery, backing off from 1 second to MinRefresh,
// until it succeeds or Close.
func (r *RemoteKeys) discoverLoop() {
	defer close(r.done)
	wait := time.Second
	for {
		select {
		case <-r.bg.Done():
			return
		case <-time.After(wait):
		}
		uri, err := r.discover(r.bg)
		if err == nil {
			if err = r.start(uri); err == nil {
				return
			}
		}
		if r.bg.Err() != nil {
			return
		}
		r.log("jwtauth: discovery failed; retrying in the background", err)
		wait = min(2*wait, r.opts.MinRefresh)
	}
}

// discover fetches and checks the discovery document once, and returns its
// jwks_uri. A *ConfigError means retrying will not help.
func (r *RemoteKeys) discover(ctx context.Context) (string, error) {
	r.fetches.Add(1)
	uri, err := r.discoverOnce(ctx)
	r.noteFetch(err)
	if err == nil {
		r.url = uri
	}
	return uri, err
}

func (r *RemoteKeys) discoverOnce(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(r.issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return "", configError("issuer URL does not make a request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := r.opts.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: discovery: %w", ErrKeysUnavailable, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: discovery: status %d", ErrKeysUnavailable, res.StatusCode)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 256<<10)).Decode(&doc); err != nil {
		return "", fmt.Errorf("%w: discovery document does not parse as JSON", ErrKeysUnavailable)
	}
	if doc.Issuer != r.issuer {
		return "", configError("discovery document is for issuer %q, expected %q", doc.Issuer, r.issuer)
	}
	if doc.JWKSURI == "" {
		return "", configError("discovery document of %q has no jwks_uri", r.issuer)
	}
	if err := checkURL(doc.JWKSURI, r.opts.AllowLoopbackHTTP); err != nil {
		return "", configError("discovery document's jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}
