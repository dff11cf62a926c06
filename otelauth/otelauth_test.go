package otelauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/otelauth"
)

// secret is the tests' HS256 secret. No attribute may ever contain it.
var secret = []byte("otelauth test secret, 32 bytes or more, never in a metric")

const iss = "https://auth.example.com"

// observer returns an Observer on an SDK MeterProvider and the reader that
// collects its metrics.
func observer(t testing.TB, opts otelauth.Options) (*otelauth.Observer, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	opts.MeterProvider = mp
	o, err := otelauth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return o, reader
}

// point is one data point: a counter's value or a histogram's count.
type point struct {
	metric string
	attrs  string // attribute.Set encoded: "k=v,k=v", sorted by key
}

// collect returns the value of every data point, and every attribute value
// seen, to check that none is a secret.
func collect(t *testing.T, r *sdkmetric.ManualReader) (map[point]int64, []string) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	points := map[point]int64{}
	var values []string
	note := func(name string, set attribute.Set, n int64) {
		points[point{name, set.Encoded(attribute.DefaultEncoder())}] += n
		for _, kv := range set.ToSlice() {
			values = append(values, kv.Value.Emit())
		}
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelauth.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, otelauth.ScopeName)
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic {
					t.Errorf("%s: not monotonic", m.Name)
				}
				for _, p := range d.DataPoints {
					note(m.Name, p.Attributes, p.Value)
				}
			case metricdata.Histogram[float64]:
				if m.Unit != "s" {
					t.Errorf("%s: unit %q, want s", m.Name, m.Unit)
				}
				for _, p := range d.DataPoints {
					note(m.Name, p.Attributes, int64(p.Count))
					if p.Sum < 0 {
						t.Errorf("%s: negative sum %v", m.Name, p.Sum)
					}
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return points, values
}

// only returns the points of metric name.
func only(points map[point]int64, name string) map[string]int64 {
	out := map[string]int64{}
	for p, v := range points {
		if p.metric == name {
			out[p.attrs] = v
		}
	}
	return out
}

func checkPoints(t *testing.T, points map[point]int64, name string, want map[string]int64) {
	t.Helper()
	if got := only(points, name); !maps.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", name, got, want)
	}
}

// checkSecrets fails if any attribute value contains one of secrets.
func checkSecrets(t *testing.T, values []string, secrets ...string) {
	t.Helper()
	for _, v := range values {
		for _, s := range secrets {
			if s != "" && strings.Contains(v, s) {
				t.Errorf("attribute value %q contains a secret (%.12q…)", v, s)
			}
		}
	}
}

// sign mints an HS256 token of claims with key.
func sign(t testing.TB, key []byte, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

func claims(sub string, exp time.Time, extra ...string) map[string]any {
	c := map[string]any{"iss": iss, "sub": sub, "exp": exp.Unix(), "jti": "jti-" + sub}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i]] = extra[i+1]
	}
	return c
}

// traced starts a recording span around each request, as an HTTP
// instrumentation in front of the Middleware would.
func traced(tp trace.TracerProvider, h http.Handler) http.Handler {
	tracer := tp.Tracer("test")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tracer.Start(r.Context(), r.Method+" "+r.URL.Path)
		defer span.End()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// failingStore is a revocation store that is down, with an error that
// carries what a real one might: a connection string with a password.
type failingStore struct{}

const storeSecret = "redis://authkit:hunter2@10.0.0.9:6379"

func (failingStore) Revoked(context.Context, jwtauth.TokenRef) (bool, error) {
	return false, errors.New("dial " + storeSecret + ": connection refused")
}

func get(t *testing.T, c *http.Client, method, url, token string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestMiddleware serves requests through a real Middleware on an
// httptest server and checks every counter and attribute exactly.
func TestMiddleware(t *testing.T) {
	obs, reader := observer(t, otelauth.Options{})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))

	newMW := func(store jwtauth.Store) *jwtauth.Middleware {
		mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(secret), Issuer: iss, Store: store, Observer: obs})
		if err != nil {
			t.Fatal(err)
		}
		return mw
	}
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("GET /admin/{page}", jwtauth.RequireScope("admin")(ok))
	mux.Handle("/", ok)
	root := http.NewServeMux()
	root.Handle("/down/", newMW(failingStore{}).Handler(ok))
	root.Handle("/", newMW(nil).Handler(mux))
	srv := httptest.NewServer(traced(tp, root))
	defer srv.Close()
	c := srv.Client()

	now := time.Now()
	valid := sign(t, secret, claims("alice", now.Add(time.Hour)))
	user := sign(t, secret, claims("bob", now.Add(time.Hour), "scope", "items:read"))
	expired := sign(t, secret, claims("carol", now.Add(-time.Hour)))
	forged := sign(t, []byte("another secret of at least thirty-two bytes"), claims("mallory", now.Add(time.Hour)))

	steps := []struct {
		method, path, token string
		status              int
	}{
		// The cache keeps a token from its second verification, so
		// the third is the first hit.
		{"GET", "/items", valid, 200},
		{"GET", "/items", valid, 200},
		{"GET", "/items", valid, 200},
		{"GET", "/items", expired, 401},
		{"GET", "/items", expired, 401},
		{"DELETE", "/items", forged, 401},
		{"GET", "/items", "", 401},
		{"PROPFIND", "/items", "", 401},
		{"GET", "/admin/users", user, 403},
		{"GET", "/down/x", valid, 500},
	}
	for _, s := range steps {
		if got := get(t, c, s.method, srv.URL+s.path, s.token); got != s.status {
			t.Fatalf("%s %s: status %d, want %d", s.method, s.path, got, s.status)
		}
	}

	points, values := collect(t, reader)
	checkPoints(t, points, "authkit.jwtauth.verified", map[string]int64{
		"authkit.cache_hit=false,authkit.issuer=" + iss: 3, // valid ×2, user; the failing store fails verification
		"authkit.cache_hit=true,authkit.issuer=" + iss:  1,
	})
	checkPoints(t, points, "authkit.jwtauth.verify.duration", map[string]int64{
		"authkit.cache_hit=false,authkit.issuer=" + iss: 3,
		"authkit.cache_hit=true,authkit.issuer=" + iss:  1,
	})
	// The Middlewares run inside root's routes "/" and "/down/", and the
	// guard inside mux's "GET /admin/{page}": http.route is the
	// innermost pattern, without its method.
	checkPoints(t, points, "authkit.jwtauth.rejected", map[string]int64{
		"authkit.reason=expired,http.request.method=GET,http.response.status_code=401,http.route=/":                   2,
		"authkit.reason=signature,http.request.method=DELETE,http.response.status_code=401,http.route=/":              1,
		"authkit.reason=missing_token,http.request.method=GET,http.response.status_code=401,http.route=/":             1,
		"authkit.reason=missing_token,http.request.method=_OTHER,http.response.status_code=401,http.route=/":          1,
		"authkit.reason=missing_scope,http.request.method=GET,http.response.status_code=403,http.route=/admin/{page}": 1,
		"authkit.reason=store,http.request.method=GET,http.response.status_code=500,http.route=/down/":                1,
	})
	checkSecrets(t, values, string(secret), valid, user, expired, forged, "alice", "bob", "carol",
		"mallory", "jti-", "hunter2", storeSecret, "/admin/users", "PROPFIND")

	// Every request had a recording span, which got one event.
	spans := rec.Ended()
	if len(spans) != len(steps) {
		t.Fatalf("%d spans, want %d", len(spans), len(steps))
	}
	var events []string
	for _, s := range spans {
		for _, e := range s.Events() {
			set := attribute.NewSet(e.Attributes...)
			events = append(events, s.Name()+" "+e.Name+" "+set.Encoded(attribute.DefaultEncoder()))
			for _, kv := range e.Attributes {
				values = append(values, kv.Value.Emit())
			}
		}
	}
	want := []string{
		"GET /items jwtauth.verified authkit.cache_hit=false,authkit.issuer=" + iss,
		"GET /items jwtauth.verified authkit.cache_hit=false,authkit.issuer=" + iss,
		"GET /items jwtauth.verified authkit.cache_hit=true,authkit.issuer=" + iss,
		"GET /items jwtauth.rejected authkit.reason=expired,http.response.status_code=401",
		"GET /items jwtauth.rejected authkit.reason=expired,http.response.status_code=401",
		"DELETE /items jwtauth.rejected authkit.reason=signature,http.response.status_code=401",
		"GET /items jwtauth.rejected authkit.reason=missing_token,http.response.status_code=401",
		"PROPFIND /items jwtauth.rejected authkit.reason=missing_token,http.response.status_code=401",
		"GET /admin/users jwtauth.verified authkit.cache_hit=false,authkit.issuer=" + iss,
		"GET /admin/users jwtauth.rejected authkit.reason=missing_scope,http.response.status_code=403",
		"GET /down/x jwtauth.rejected authkit.reason=store,http.response.status_code=500",
	}
	if !slices.Equal(events, want) {
		t.Errorf("span events:\n got %q\nwant %q", events, want)
	}
	checkSecrets(t, values, string(secret), valid, user, expired, forged, "alice", "bob", "carol", "hunter2")
}

// TestNotRecording: without a recording span, and with span events
// disabled, nothing is added to a span, and the metrics are the same.
func TestNotRecording(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    otelauth.Options
		sampler sdktrace.Sampler
	}{
		{"disabled", otelauth.Options{DisableSpanEvents: true}, sdktrace.AlwaysSample()},
		{"not sampled", otelauth.Options{}, sdktrace.NeverSample()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, reader := observer(t, tc.opts)
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(tc.sampler))
			ctx, span := tp.Tracer("test").Start(t.Context(), "op")
			obs.Rejected(ctx, jwtauth.RejectedEvent{Reason: jwtauth.ErrTokenExpired, Status: 401, Method: "GET"})
			obs.Verified(ctx, jwtauth.VerifiedEvent{CacheHit: true})
			span.End()
			for _, s := range rec.Ended() {
				if len(s.Events()) != 0 {
					t.Errorf("span %s has events %v", s.Name(), s.Events())
				}
			}
			points, _ := collect(t, reader)
			checkPoints(t, points, "authkit.jwtauth.rejected", map[string]int64{
				"authkit.reason=expired,http.request.method=GET,http.response.status_code=401": 1,
			})
			checkPoints(t, points, "authkit.jwtauth.verified", map[string]int64{"authkit.cache_hit=true": 1})
		})
	}
}

// TestRemote counts the fetches of remote keys from an httptest JWKS
// endpoint: one that serves an issuer's keys, and one that fails.
func TestRemote(t *testing.T) {
	pk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: pk}, Issuer: iss})
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(is.JWKSHandler())
	defer jwks.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer down.Close()

	obs, reader := observer(t, otelauth.Options{})
	opts := jwtauth.RemoteOptions{AllowLoopbackHTTP: true, Observer: obs}
	good := jwtauth.Remote(t.Context(), jwks.URL+"/.well-known/jwks.json?tenant=a", opts)
	defer good.Close()
	bad := jwtauth.Remote(t.Context(), down.URL+"/jwks", opts)
	defer bad.Close()

	// A request that came before the first fetch ended would start one
	// of its own: wait, so that the fetches are counted exactly.
	deadline := time.Now().Add(10 * time.Second)
	for !good.Status().Ready {
		if time.Now().After(deadline) {
			t.Fatalf("remote keys not ready: %+v", good.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	mw, err := jwtauth.New(jwtauth.Config{Keys: good, Issuer: iss, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := is.Issue(t.Context(), "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	var points map[point]int64
	var values []string
	for {
		points, values = collect(t, reader)
		if bad.Status().Fetches > 0 && len(only(points, "authkit.jwtauth.key_fetches")) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key fetches not observed: %v", points)
		}
		time.Sleep(10 * time.Millisecond)
	}
	fetches := only(points, "authkit.jwtauth.key_fetches")
	if n := fetches["authkit.result=ok,server.address=127.0.0.1"]; n != 1 {
		t.Errorf("ok fetches: %d, want 1 (%v)", n, fetches)
	}
	if n := fetches["authkit.result=error,server.address=127.0.0.1"]; n < 1 {
		t.Errorf("failed fetches: %d, want at least 1 (%v)", n, fetches)
	}
	if got, want := only(points, "authkit.jwtauth.key_fetch.duration"), fetches; len(got) != 2 {
		t.Errorf("fetch durations %v, want the points of %v", got, want)
	}
	checkPoints(t, points, "authkit.jwtauth.verified", map[string]int64{
		"authkit.cache_hit=false,authkit.issuer=" + iss: 1,
	})
	checkSecrets(t, values, tok, "alice", "/.well-known", "tenant", "/jwks")
}

// TestKeysFetchedURL: only the host of the URL is recorded, never its
// user information, path or query, and a transport error only as
// result=error.
func TestKeysFetchedURL(t *testing.T) {
	obs, reader := observer(t, otelauth.Options{})
	ctx := t.Context()
	obs.KeysFetched(ctx, jwtauth.KeysFetchedEvent{URL: "https://user:pa55word@idp.example.com:8443/keys?token=abc", Duration: time.Millisecond})
	obs.KeysFetched(ctx, jwtauth.KeysFetchedEvent{URL: "https://idp.example.com/keys",
		Err: errors.New("Get https://idp.example.com/keys: secret-detail"), Duration: time.Second})
	obs.KeysFetched(ctx, jwtauth.KeysFetchedEvent{URL: "%%not a url", Duration: time.Second})
	points, values := collect(t, reader)
	checkPoints(t, points, "authkit.jwtauth.key_fetches", map[string]int64{
		"authkit.result=ok,server.address=idp.example.com":    1,
		"authkit.result=error,server.address=idp.example.com": 1,
		"authkit.result=ok": 1,
	})
	checkSecrets(t, values, "pa55word", "user", "token", "abc", "secret-detail", "8443", "/keys", "%")
}

// TestIssuer counts an issuer's session operations by operation and
// result, the class of each failure.
func TestIssuer(t *testing.T) {
	obs, reader := observer(t, otelauth.Options{})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, span := tp.Tracer("test").Start(t.Context(), "sessions")

	is, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret}, Issuer: iss, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := jwtauth.New(jwtauth.Config{Keys: is.Keys(), Issuer: iss})
	if err != nil {
		t.Fatal(err)
	}
	first, err := is.Login(ctx, "alice@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	next, err := is.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := is.Refresh(ctx, first.RefreshToken); !errors.Is(err, issuer.ErrRefreshReused) {
		t.Fatalf("reused refresh: %v", err)
	}
	if _, err := is.Refresh(ctx, "not.a.token"); err == nil {
		t.Fatal("garbage refreshed")
	}
	second, err := is.Login(ctx, "alice@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mw.Verify(ctx, second.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := is.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := is.RevokeSession(ctx, second.SessionID); !errors.Is(err, issuer.ErrNoSession) {
		t.Fatalf("RevokeSession of an ended session: %v", err)
	}
	if err := is.RevokeSubject(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := is.RevokeSubject(ctx, ""); !errors.Is(err, issuer.ErrSubject) {
		t.Fatalf("RevokeSubject(\"\"): %v", err)
	}

	full, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret},
		Store: issuer.NewMemoryStore(1), Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	bobs, err := full.Login(ctx, "bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := full.Login(ctx, "carol", nil); !errors.Is(err, issuer.ErrStoreFull) {
		t.Fatalf("login into a full store: %v", err)
	}
	span.End()

	points, values := collect(t, reader)
	want := map[string]int64{
		"authkit.operation=login,authkit.result=ok":                       3,
		"authkit.operation=login,authkit.result=store_full":               1,
		"authkit.operation=refresh,authkit.result=ok":                     1,
		"authkit.operation=refresh,authkit.result=refresh_reused":         1,
		"authkit.operation=refresh,authkit.result=invalid_token":          1,
		"authkit.operation=logout,authkit.result=ok":                      1,
		"authkit.operation=revoke_session,authkit.result=no_session":      1,
		"authkit.operation=revoke_subject,authkit.result=ok":              1,
		"authkit.operation=revoke_subject,authkit.result=invalid_subject": 1,
	}
	checkPoints(t, points, "authkit.issuer.sessions", want)
	checkPoints(t, points, "authkit.issuer.session.duration", want)
	var n int
	for _, s := range rec.Ended() {
		for _, e := range s.Events() {
			n++
			if e.Name != "issuer.session" {
				t.Errorf("event %q", e.Name)
			}
			for _, kv := range e.Attributes {
				values = append(values, kv.Value.Emit())
			}
		}
	}
	if n != 11 {
		t.Errorf("%d span events, want 11", n)
	}
	var secrets []string
	for _, tk := range []*issuer.Tokens{first, next, second, bobs} {
		secrets = append(secrets, tk.AccessToken, tk.RefreshToken, tk.SessionID)
	}
	checkSecrets(t, values, append(secrets, string(secret), "alice", "bob", "carol", "not.a.token")...)
}

// TestReasons: events of the same reason share one set, whatever
// reaches the Observer; an error that is not jwtauth's is "other".
func TestReasons(t *testing.T) {
	obs, reader := observer(t, otelauth.Options{})
	ctx := t.Context()
	for _, reason := range []error{
		jwtauth.ErrTokenExpired,
		errors.New("custom: user 42 has token eyJ..."),
		nil,
	} {
		obs.Rejected(ctx, jwtauth.RejectedEvent{Reason: reason, Status: 401, Method: "POST", Pattern: "POST api.example.com/items"})
	}
	points, values := collect(t, reader)
	checkPoints(t, points, "authkit.jwtauth.rejected", map[string]int64{
		"authkit.reason=expired,http.request.method=POST,http.response.status_code=401,http.route=api.example.com/items": 1,
		"authkit.reason=other,http.request.method=POST,http.response.status_code=401,http.route=api.example.com/items":   2,
	})
	checkSecrets(t, values, "custom", "42", "eyJ")
}

// TestZeroAllocs: with a provider that records nothing, an event costs
// the Observer no allocation once its attribute set is cached.
func TestZeroAllocs(t *testing.T) {
	obs, err := otelauth.New(otelauth.Options{MeterProvider: noop.NewMeterProvider()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v := jwtauth.VerifiedEvent{Issuer: iss, Algorithm: "HS256", Duration: 3 * time.Microsecond}
	r := jwtauth.RejectedEvent{Reason: jwtauth.ErrSignature, Status: 401, Method: "GET", Pattern: "GET /items/{id}"}
	s := issuer.Event{Kind: issuer.EventRefresh, Err: issuer.ErrRefreshReused, Duration: time.Millisecond}
	f := jwtauth.KeysFetchedEvent{URL: "https://idp.example.com/keys", Duration: time.Millisecond}
	for name, fn := range map[string]func(){
		"Verified":     func() { obs.Verified(ctx, v) },
		"Rejected":     func() { obs.Rejected(ctx, r) },
		"SessionEvent": func() { obs.SessionEvent(ctx, s) },
		"KeysFetched":  func() { obs.KeysFetched(ctx, f) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations per event", name, n)
		}
	}
}

// TestNew: the global provider is the default, and a provider that
// refuses an instrument makes New fail.
func TestNew(t *testing.T) {
	if _, err := otelauth.New(otelauth.Options{}); err != nil {
		t.Errorf("New with the global provider: %v", err)
	}
	_, err := otelauth.New(otelauth.Options{MeterProvider: refusing{}})
	if err == nil || !strings.HasPrefix(err.Error(), "otelauth: ") || !errors.Is(err, errRefused) {
		t.Errorf("New with a refusing provider: %v", err)
	}
}

var errRefused = errors.New("refused")

type refusing struct{ noop.MeterProvider }

func (refusing) Meter(string, ...metric.MeterOption) metric.Meter { return refusingMeter{} }

type refusingMeter struct{ noop.Meter }

func (refusingMeter) Float64Histogram(string, ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	return nil, errRefused
}
