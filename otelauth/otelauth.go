package otelauth

import (
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// ScopeName is the instrumentation scope of the Observer's meter.
const ScopeName = "github.com/authkit-go/authkit/otelauth"

// Options configures [New]. The zero value is the default: the global
// MeterProvider, and span events on.
type Options struct {
	// MeterProvider makes the instruments. Default: otel.GetMeterProvider(),
	// which until otel.SetMeterProvider is called forwards to nothing, and
	// after it to the provider set.
	MeterProvider metric.MeterProvider

	// DisableSpanEvents stops the Observer from adding events to the span
	// of the event's context (see the package documentation). Default
	// false: each event is added to that span when it is recording, and
	// costs nothing when it is not.
	DisableSpanEvents bool
}

// Observer records what jwtauth Middlewares, remote keys and issuers do as
// OpenTelemetry metrics and span events. It is a [jwtauth.Observer] and an
// [issuer.Observer]: one Observer goes into jwtauth.Config.Observer,
// jwtauth.RemoteOptions.Observer and issuer.Config.Observer alike. Make one
// with [New]; it is safe for concurrent use.
type Observer struct {
	verified, rejected, keyFetches, sessions      metric.Int64Counter
	verifyDuration, keyFetchDuration, sessionTime metric.Float64Histogram
	spans                                         bool

	verifiedSets setCache[verifiedKey]
	rejectedSets setCache[rejectedKey]
	fetchSets    setCache[fetchKey]
	sessionSets  setCache[sessionKey]
}

var (
	_ jwtauth.Observer = (*Observer)(nil)
	_ issuer.Observer  = (*Observer)(nil)
)

// The instruments' names, units and bucket boundaries (seconds). The
// package documentation lists them with their attributes.
const (
	nameVerified         = "authkit.jwtauth.verified"
	nameRejected         = "authkit.jwtauth.rejected"
	nameVerifyDuration   = "authkit.jwtauth.verify.duration"
	nameKeyFetches       = "authkit.jwtauth.key_fetches"
	nameKeyFetchDuration = "authkit.jwtauth.key_fetch.duration"
	nameSessions         = "authkit.issuer.sessions"
	nameSessionDuration  = "authkit.issuer.session.duration"
)

var (
	// verifyBuckets span a cache hit (about a microsecond) to a request
	// that waited for remote keys (RemoteOptions.MaxWait, 2 s by default).
	verifyBuckets = []float64{
		0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005,
		0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
		0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
	}
	// fetchBuckets are OpenTelemetry's HTTP client buckets, up to
	// RemoteOptions.FetchTimeout's maximum of a minute.
	fetchBuckets = []float64{
		0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75,
		1, 2.5, 5, 7.5, 10, 30, 60,
	}
	// sessionBuckets span an HMAC-signed login in memory (tens of
	// microseconds) to one with RSA keys and a remote store.
	sessionBuckets = []float64{
		0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
		0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
		0.1, 0.25, 0.5, 1, 2.5, 5,
	}
)

// New returns an Observer whose instruments come from opts.MeterProvider.
// It fails only when the provider refuses to make an instrument.
func New(opts Options) (*Observer, error) {
	mp := opts.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(ScopeName)
	o := &Observer{spans: !opts.DisableSpanEvents}
	var err error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		if err == nil {
			*dst, err = m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
	}
	histogram := func(dst *metric.Float64Histogram, name, desc string, buckets []float64) {
		if err == nil {
			*dst, err = m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
				metric.WithExplicitBucketBoundaries(buckets...))
		}
	}
	counter(&o.verified, nameVerified, "{token}", "Tokens that verified, cached or not.")
	counter(&o.rejected, nameRejected, "{request}", "Requests the middleware refused, by reason.")
	histogram(&o.verifyDuration, nameVerifyDuration, "Time to verify a token that verified, revocation check included.", verifyBuckets)
	counter(&o.keyFetches, nameKeyFetches, "{fetch}", "Fetches of remote verification keys.")
	histogram(&o.keyFetchDuration, nameKeyFetchDuration, "Time of a fetch of remote keys, to the end of the body.", fetchBuckets)
	counter(&o.sessions, nameSessions, "{operation}", "Session operations of an issuer, by result.")
	histogram(&o.sessionTime, nameSessionDuration, "Time of a session operation of an issuer.", sessionBuckets)
	if err != nil {
		return nil, fmt.Errorf("otelauth: %w", err)
	}
	o.verifiedSets.make = verifiedAttrs
	o.rejectedSets.make = rejectedAttrs
	o.fetchSets.make = fetchAttrs
	o.sessionSets.make = sessionAttrs
	return o, nil
}

// attrs are the options of one attribute combination, made once: for the
// counters, the histograms and the span event.
type attrs struct {
	add   []metric.AddOption
	rec   []metric.RecordOption
	event []trace.EventOption
}

// newAttrs makes the options of the metric attributes kvs and the span
// event attributes ev.
func newAttrs(kvs, ev []attribute.KeyValue) *attrs {
	opt := metric.WithAttributeSet(attribute.NewSet(kvs...))
	return &attrs{
		add:   []metric.AddOption{opt},
		rec:   []metric.RecordOption{opt},
		event: []trace.EventOption{trace.WithAttributes(ev...)},
	}
}
