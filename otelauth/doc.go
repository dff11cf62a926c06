// Package otelauth records what authkit's jwtauth Middlewares, remote key
// sets and issuers do as OpenTelemetry metrics and span events: tokens
// verified and refused, by reason; cache hits; fetches of remote keys; and
// the logins, refreshes and logouts of an issuer, by result.
//
// It lives in its own module, so that the jwtauth module does not depend
// on OpenTelemetry.
//
// # Usage
//
// [New] makes an [Observer], which is both a [jwtauth.Observer] and an
// [issuer.Observer]: one value goes everywhere.
//
//	obs, err := otelauth.New(otelauth.Options{MeterProvider: mp}) // default: otel.GetMeterProvider()
//	if err != nil { … }
//	keys := jwtauth.Remote(ctx, jwksURL, jwtauth.RemoteOptions{Observer: obs})
//	mw, err := jwtauth.New(jwtauth.Config{Keys: keys, Issuer: iss, Observer: obs})
//	is, err := issuer.New(issuer.Config{Key: key, Observer: obs})
//
// Put the Middleware inside the routes of a [net/http.ServeMux], or a
// guard such as [jwtauth.RequireScope] inside them, and rejections carry
// the route.
//
// # Metrics
//
// The meter's instrumentation scope is [ScopeName]. Durations are in
// seconds.
//
//	authkit.jwtauth.verified             counter   {token}     authkit.cache_hit, authkit.issuer
//	authkit.jwtauth.verify.duration      histogram s           authkit.cache_hit, authkit.issuer
//	authkit.jwtauth.rejected             counter   {request}   authkit.reason, http.response.status_code,
//	                                                           http.request.method, http.route
//	authkit.jwtauth.key_fetches          counter   {fetch}     authkit.result, server.address
//	authkit.jwtauth.key_fetch.duration   histogram s           authkit.result, server.address
//	authkit.issuer.sessions              counter   {operation} authkit.operation, authkit.result
//	authkit.issuer.session.duration      histogram s           authkit.operation, authkit.result
//
// authkit.jwtauth.verified counts every token that verified, through the
// Middleware's Handler, Authenticate or Verify: authkit.cache_hit says
// whether the verified-token cache answered, and authkit.issuer is the
// configured issuer (the TrustedIssuer's, with several), absent when none
// is. A token that verified but whose store check failed is not counted.
// authkit.jwtauth.verify.duration is the time of those verifications,
// revocation check included; its count equals the counter's. Its buckets
// run from 1 µs (a cache hit takes about that) to 2.5 s (a request that
// waited for remote keys).
//
// authkit.jwtauth.rejected counts every request the Middleware or a guard
// refused. http.request.method is the request's method when it is a
// standard one, else "_OTHER"; http.route is the [net/http.Request.Pattern]
// of the innermost ServeMux route the request was in, without its method
// ("/items/{id}" for "GET /items/{id}"), and absent outside any route.
// authkit.reason is the most specific class of the refusal, one of:
//
//	missing_token        no bearer token (401)
//	invalid_request      malformed_header  multiple_tokens   (400)
//	malformed_token      token_too_large   unsupported_header  algorithm
//	unknown_key          signature         expired             not_yet_valid
//	claim_type           missing_claim     issuer              audience
//	token_type           claim_name        revoked             rejected (Config.Validate)
//	invalid_token        (401)
//	missing_scope        claim_value       not_fresh           insufficient_scope  cross_origin (403)
//	keys_unavailable     (503)
//	store                the revocation store failed (500)
//	guard_misconfigured  a guard that requires nothing (500)
//	other                an error of no class above
//
// authkit.jwtauth.key_fetches counts the fetches of remote keys, with
// authkit.result "ok" (a document arrived: whether it parsed shows in
// [jwtauth.RemoteKeys.Status]) or "error" (the transport failed, or the
// status was not 200), and server.address, the host of the JWKS URL.
//
// authkit.issuer.sessions counts the session operations of an issuer:
// authkit.operation is login, refresh, logout, revoke_session or
// revoke_subject, and authkit.result is "ok" or the class of the failure:
// store_full (the store had no room: 503), store (the store failed),
// refresh_reused (an old refresh token was presented: the session was
// ended), session_denied (OnRefresh refused), revoked, invalid_token,
// no_session, not_revocable, invalid_subject, reserved_claim, too_large,
// canceled, deadline_exceeded or other.
//
// # Queries
//
// An exporter to Prometheus turns the dots into underscores and appends
// the unit and _total. The ratio of verifications the cache answered:
//
//	sum(rate(authkit_jwtauth_verified_total{authkit_cache_hit="true"}[5m]))
//	  / sum(rate(authkit_jwtauth_verified_total[5m]))
//
// Refusals by reason, the 99th percentile of verification time, failing
// key fetches and reused refresh tokens (a token theft, or a client that
// lost an answer):
//
//	sum by (authkit_reason) (rate(authkit_jwtauth_rejected_total[5m]))
//	histogram_quantile(0.99, sum by (le) (rate(authkit_jwtauth_verify_duration_seconds_bucket[5m])))
//	increase(authkit_jwtauth_key_fetches_total{authkit_result="error"}[15m]) > 0
//	increase(authkit_issuer_sessions_total{authkit_result="refresh_reused"}[1h])
//
// # Span events
//
// Each event is also added to the span of its context when that span is
// recording, as an event named jwtauth.verified (authkit.cache_hit,
// authkit.issuer), jwtauth.rejected (authkit.reason,
// http.response.status_code), jwtauth.keys_fetched or issuer.session, with
// the metric's attributes; so the span of an HTTP request that an
// instrumentation such as otelhttp started in front of the Middleware
// tells why the request was refused. [Options].DisableSpanEvents turns
// them off. The Observer starts no spans.
//
// # Cost
//
// Instruments are made once, in New, and each combination of attribute
// values is turned into an attribute set and measurement options once, on
// first use, then found by a map lookup that takes no lock: an event costs
// the SDK's measurements and nothing more, with no allocation (about 0.1
// µs of the Observer's own with a no-op provider, 0.6 to 0.8 µs with the
// SDK, on a 2-core Xeon). Combinations come from configuration and fixed
// labels (routes, methods, reasons, issuers), so they are few; past 4096
// of one kind, sets are still made, but per event, and not kept.
//
// # Security considerations
//
// Attributes hold only fixed labels, numbers and configuration: never a
// token, a secret, a subject, a session id, a request's path or the text
// of an error, which may come from a store or a transport and carry a
// connection string or a token's id. Reasons and results are derived from
// the identity of the package sentinels, not from error text. Of the JWKS
// URL only the host is recorded, not its user information, path or query.
// authkit.issuer is the configured issuer, never a token's iss.
//
// Each attribute is bounded by configuration, so the metrics' cardinality
// is too: an attacker's requests can only add to counts. An http.route
// comes from the ServeMux's patterns, never from the path requested.
package otelauth
