package otelauth_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/otelauth"
)

// BenchmarkObserver measures the cost of one event with the OpenTelemetry
// SDK behind the Observer: the SDK's aggregation plus the Observer's
// lookup of its cached attribute set.
func BenchmarkObserver(b *testing.B) {
	obs, _ := observer(b, otelauth.Options{})
	ctx := context.Background()
	v := jwtauth.VerifiedEvent{Issuer: iss, CacheHit: true, Duration: 2 * time.Microsecond}
	r := jwtauth.RejectedEvent{Reason: jwtauth.ErrTokenExpired, Status: 401, Method: "GET", Pattern: "GET /items/{id}"}
	s := issuer.Event{Kind: issuer.EventRefresh, Duration: 40 * time.Microsecond}
	f := jwtauth.KeysFetchedEvent{URL: "https://idp.example.com/.well-known/jwks.json", Duration: 30 * time.Millisecond}

	b.Run("Verified", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			obs.Verified(ctx, v)
		}
	})
	b.Run("Rejected", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			obs.Rejected(ctx, r)
		}
	})
	b.Run("KeysFetched", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			obs.KeysFetched(ctx, f)
		}
	})
	b.Run("SessionEvent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			obs.SessionEvent(ctx, s)
		}
	})
	b.Run("VerifiedParallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				obs.Verified(ctx, v)
			}
		})
	})
	b.Run("RejectedParallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				obs.Rejected(ctx, r)
			}
		})
	})
	// With a recording span in the context, each event is added to it too.
	b.Run("RejectedRecordingSpan", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider()
		b.ReportAllocs()
		for b.Loop() {
			ctx, span := tp.Tracer("bench").Start(ctx, "request")
			obs.Rejected(ctx, r)
			span.End()
		}
	})
	b.Run("RecordingSpanAlone", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider()
		b.ReportAllocs()
		for b.Loop() {
			_, span := tp.Tracer("bench").Start(ctx, "request")
			span.End()
		}
	})
	// The Observer's own part: a provider that records nothing.
	b.Run("VerifiedNoopProvider", func(b *testing.B) {
		obs, err := otelauth.New(otelauth.Options{MeterProvider: noop.NewMeterProvider()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			obs.Verified(ctx, v)
		}
	})
	b.Run("RejectedNoopProvider", func(b *testing.B) {
		obs, err := otelauth.New(otelauth.Options{MeterProvider: noop.NewMeterProvider()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			obs.Rejected(ctx, r)
		}
	})
	// What building the attribute set per event would cost, for
	// comparison: what the Observer's cache saves.
	b.Run("RejectedUncachedBaseline", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		c, _ := mp.Meter("bench").Int64Counter("rejected")
		b.ReportAllocs()
		for b.Loop() {
			c.Add(ctx, 1, metric.WithAttributes(
				attribute.String("authkit.reason", "expired"),
				attribute.Int("http.response.status_code", r.Status),
				attribute.String("http.request.method", r.Method),
				attribute.String("http.route", "/items/{id}"),
			))
		}
	})
}

// BenchmarkMiddlewareVerify puts the Observer's cost next to that of a
// verification it observes: a cache hit, the cheapest.
func BenchmarkMiddlewareVerify(b *testing.B) {
	obs, _ := observer(b, otelauth.Options{})
	tok := sign(b, secret, claims("alice", time.Now().Add(time.Hour)))
	for _, tc := range []struct {
		name string
		obs  jwtauth.Observer
	}{{"NoObserver", nil}, {"Observer", obs}} {
		b.Run(tc.name, func(b *testing.B) {
			mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(secret), Issuer: iss, Observer: tc.obs})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for range 3 {
				mw.Verify(ctx, tok) // into the cache
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := mw.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
