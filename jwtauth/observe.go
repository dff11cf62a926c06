package jwtauth

import (
	"context"
	"time"
)

// Observer receives what a Middleware (Config.Observer) and remote keys
// (RemoteOptions.Observer) do, for metrics and traces: see the otelauth
// module for an OpenTelemetry one. The events carry fixed text, numbers and
// configuration — never a token, a secret or text from the request. Methods
// are called synchronously on the request's goroutine, so they must be fast
// and safe for concurrent use. A nil Observer costs nothing.
type Observer interface {
	// Verified is called for each token that verified, cached or not.
	Verified(ctx context.Context, e VerifiedEvent)
	// Rejected is called for each request the Middleware refuses.
	Rejected(ctx context.Context, e RejectedEvent)
	// KeysFetched is called when a fetch of remote keys ends.
	KeysFetched(ctx context.Context, e KeysFetchedEvent)
}

// VerifiedEvent describes a token that verified.
type VerifiedEvent struct {
	Issuer    string        // the Config's (or TrustedIssuer's) Issuer; "" when not set
	Algorithm string        // the key's algorithm; "" on a cache hit
	CacheHit  bool          // the verified-token cache answered
	Duration  time.Duration // the time Verify took, store check included
}

// RejectedEvent describes a refused request.
type RejectedEvent struct {
	// Reason is the package error the refusal matches, the most specific
	// one (ErrTokenExpired, ErrSignature, ErrMissingScope, ErrStore, …):
	// a sentinel with fixed text, never the error itself.
	Reason error
	Status int    // the status the default error writer answers ([StatusCode]); an ErrorHandler may send another
	Method string // the request's method, when it is a standard one; else "other"
	// Pattern is the ServeMux pattern that matched the request, when the
	// Middleware runs inside a mux route (a guard) or the request was
	// routed before it; "" otherwise. It is configuration, never the path.
	Pattern string
}

// KeysFetchedEvent describes a fetch of remote keys.
type KeysFetchedEvent struct {
	URL string // the JWKS URL: configuration
	// Err is why the fetch failed: the transport's error, or the status
	// when it was not 200; nil when a document arrived (whether it parses
	// is logged, and shows in RemoteKeys.Status).
	Err      error
	Duration time.Duration // from the request to the end of the body
}

// standardMethod returns m when it is a method of RFC 9110 or PATCH, and
// "other" otherwise: a method is request text and could be anything.
func standardMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE":
		return m
	}
	return "other"
}
