package otelauth

import (
	"context"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/authkit-go/authkit/jwtauth"
)

// Attribute keys. The HTTP and server ones are OpenTelemetry's semantic
// conventions; the others are this package's, in its namespace.
const (
	keyCacheHit  = attribute.Key("authkit.cache_hit")
	keyIssuer    = attribute.Key("authkit.issuer")
	keyReason    = attribute.Key("authkit.reason")
	keyResult    = attribute.Key("authkit.result")
	keyOperation = attribute.Key("authkit.operation")
	keyStatus    = attribute.Key("http.response.status_code")
	keyMethod    = attribute.Key("http.request.method")
	keyRoute     = attribute.Key("http.route")
	keyServer    = attribute.Key("server.address")
)

// The names of the span events.
const (
	eventVerified    = "jwtauth.verified"
	eventRejected    = "jwtauth.rejected"
	eventKeysFetched = "jwtauth.keys_fetched"
	eventSession     = "issuer.session"
)

type verifiedKey struct {
	hit    bool
	issuer string
}

func verifiedAttrs(k verifiedKey) *attrs {
	kvs := []attribute.KeyValue{keyCacheHit.Bool(k.hit)}
	if k.issuer != "" {
		kvs = append(kvs, keyIssuer.String(k.issuer))
	}
	return newAttrs(kvs, kvs)
}

// Verified counts a token that verified (authkit.jwtauth.verified) and
// records how long it took (authkit.jwtauth.verify.duration), with whether
// the cache answered and the configured issuer. It implements
// [jwtauth.Observer].
func (o *Observer) Verified(ctx context.Context, e jwtauth.VerifiedEvent) {
	a := o.verifiedSets.get(verifiedKey{e.CacheHit, e.Issuer})
	o.verified.Add(ctx, 1, a.add...)
	o.verifyDuration.Record(ctx, e.Duration.Seconds(), a.rec...)
	o.event(ctx, eventVerified, a)
}

type rejectedKey struct {
	reason  string
	status  int
	method  string
	pattern string
}

func rejectedAttrs(k rejectedKey) *attrs {
	method := k.method
	if method == "other" {
		method = "_OTHER" // the semantic conventions' spelling
	}
	ev := []attribute.KeyValue{keyReason.String(k.reason), keyStatus.Int(k.status)}
	kvs := append(ev[:len(ev):len(ev)], keyMethod.String(method))
	if route := route(k.pattern); route != "" {
		kvs = append(kvs, keyRoute.String(route))
	}
	return newAttrs(kvs, ev)
}

// route is the http.route of a ServeMux pattern: the pattern without its
// method, which http.request.method carries ("GET /items/{id}" is
// "/items/{id}").
func route(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		return strings.TrimLeft(pattern[i:], " \t")
	}
	return pattern
}

// Rejected counts a refused request (authkit.jwtauth.rejected) by reason,
// status, method and route. It implements [jwtauth.Observer].
func (o *Observer) Rejected(ctx context.Context, e jwtauth.RejectedEvent) {
	a := o.rejectedSets.get(rejectedKey{reasonLabel(e.Reason), e.Status, e.Method, e.Pattern})
	o.rejected.Add(ctx, 1, a.add...)
	o.event(ctx, eventRejected, a)
}

type fetchKey struct {
	url    string
	failed bool
}

func fetchAttrs(k fetchKey) *attrs {
	result := "ok"
	if k.failed {
		result = "error"
	}
	kvs := []attribute.KeyValue{keyResult.String(result)}
	// The host only: the URL is configuration, but its path, query or
	// user information could hold a credential.
	if u, err := url.Parse(k.url); err == nil && u.Hostname() != "" {
		kvs = append(kvs, keyServer.String(u.Hostname()))
	}
	return newAttrs(kvs, kvs)
}

// KeysFetched counts a fetch of remote keys (authkit.jwtauth.key_fetches)
// by result, ok or error, and the host fetched from, and records how long
// it took (authkit.jwtauth.key_fetch.duration). The error itself is never
// recorded: it is the transport's, and may echo the URL. It implements
// [jwtauth.Observer].
func (o *Observer) KeysFetched(ctx context.Context, e jwtauth.KeysFetchedEvent) {
	a := o.fetchSets.get(fetchKey{e.URL, e.Err != nil})
	o.keyFetches.Add(ctx, 1, a.add...)
	o.keyFetchDuration.Record(ctx, e.Duration.Seconds(), a.rec...)
	o.event(ctx, eventKeysFetched, a)
}

// event adds the event name with a's attributes to the span of ctx, when
// it is recording.
func (o *Observer) event(ctx context.Context, name string, a *attrs) {
	if !o.spans {
		return
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent(name, a.event...)
	}
}
