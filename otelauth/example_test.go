package otelauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/otelauth"
)

// One Observer for a Middleware and an issuer; here the metrics go to an
// in-memory reader, in a service to an exporter's.
func ExampleNew() {
	reader := sdkmetric.NewManualReader()
	obs, err := otelauth.New(otelauth.Options{
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	if err != nil {
		panic(err)
	}
	iss, err := issuer.New(issuer.Config{
		Key:      issuer.SigningKey{Algorithm: "HS256", Key: secret},
		Observer: obs,
	})
	if err != nil {
		panic(err)
	}
	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), Observer: obs})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", mw.Handler(http.NotFoundHandler()))

	iss.Login(context.Background(), "user-42", nil)
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/7", nil))

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, p := range sum.DataPoints {
				lines = append(lines, fmt.Sprint(m.Name, " ", p.Attributes.Encoded(attribute.DefaultEncoder()), " ", p.Value))
			}
		}
	}
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// authkit.issuer.sessions authkit.operation=login,authkit.result=ok 1
	// authkit.jwtauth.rejected authkit.reason=missing_token,http.request.method=GET,http.response.status_code=401,http.route=/items/{id} 1
}
