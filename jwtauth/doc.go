// Package jwtauth authenticates net/http requests with JSON Web Tokens
// (RFC 7519) sent as OAuth 2.0 bearer tokens (RFC 6750), and mints them.
//
// # Verifying
//
// [New] compiles a [Config] into a [Middleware]; its [Middleware.Handler]
// wraps any http.Handler:
//
//	mw, err := jwtauth.New(jwtauth.Config{
//		Keys:     jwtauth.HMAC(secret),           // or PublicKey, KeySet, Remote, issuer.Keys()
//		Issuer:   "https://auth.example.com",     // checked when set
//		Audience: "api",                          // checked when set; unset: a token with aud is refused
//		Exclude:  []string{"GET /{$}", "/login"}, // ServeMux patterns
//	})
//	if err != nil {
//		return err // a weak secret, an unfit key, a bad pattern…
//	}
//	http.ListenAndServe(addr, mw.Handler(mux))
//
// Handlers read the verified claims with [FromContext]; private claims decode
// into a struct with [Claims.Decode]. [RequireScope], [RequireClaim] and
// [RequireFresh] guard single routes. [Middleware.Authenticate] and
// [Middleware.Verify] decide without writing a response, for WebSockets and
// gRPC gateways.
//
// A rejected request gets the RFC 6750 §3 response: 401 with a bare
// `WWW-Authenticate: Bearer realm="api"` when it has no token; 401
// error="invalid_token" for a bad, expired or revoked token; 400
// error="invalid_request" for a malformed header or more than one token;
// 403 error="insufficient_scope" from a guard. The body is JSON
// {"error", "error_description"} with fixed text. [Config.ErrorHandler]
// replaces the writer; the errors match the package's sentinels with
// errors.Is.
//
// # Issuing
//
// Package jwtauth/issuer mints tokens and runs login sessions: access
// tokens, sessions of rotating refresh tokens with reuse detection, logout,
// log out everywhere, a list of a user's sessions, and key rotation with a
// JWK Set endpoint. This package imports nothing from it: an issuer plugs in
// through [KeyRing] and [StoreKeys], its Keys going straight into
// [Config.Keys] with its [Store], so that its revocations take effect in the
// Middleware. A resource server that only verifies imports jwtauth alone.
//
// # Sender-constrained tokens
//
// With [Config.DPoP], a request may (or must) present its token as
// "Authorization: DPoP" with a proof in the DPoP header (RFC 9449): signed by
// the key that the token's cnf.jkt names, for this request's method and URL,
// recent, bound to the token by ath, and accepted once ([ReplayCache]). A
// DPoP-bound token sent as Bearer is refused. [MetadataHandler] serves the
// RFC 9728 protected-resource metadata, and [Config.ResourceMetadata] names
// it in challenges. Package jwtauth/dpop makes proofs for clients.
//
// # Observability and your own checks
//
// [Config.Observer] hears of every verification and rejection, and
// [RemoteOptions.Observer] of every key fetch (the otelauth module exports
// them to OpenTelemetry); [Config.Validate] refuses what only the
// application knows, on cache hits too. [ClaimsAs] decodes the claims into a
// type of yours. [BearerToken] is the RFC 6750 parser for other transports
// (the grpcauth module has gRPC interceptors), and package jwtauth/jwtauthtest
// mints good and bad tokens for tests.
//
// # Security considerations
//
// The verification pipeline runs in this order, and each step refuses
// before the next does any work:
//
//  1. One credential: an Authorization header with the Bearer scheme (any
//     case) and one b64token, or the configured cookie; several, or a header
//     and a cookie that differ, are refused (400). The URL query is never
//     read. A cookie token on a cross-origin unsafe request is refused by
//     [net/http.CrossOriginProtection], since browsers attach cookies to
//     cross-site requests.
//  2. Size and shape: at most [Config.MaxTokenSize] bytes (8 KiB), exactly
//     three non-empty segments of the base64url alphabet, decoded strictly
//     (no padding, canonical trailing bits). JWE, the JSON serialisations,
//     b64:false and 100,000-dot tokens stop here.
//  3. Header: a JSON object with no duplicate names (nor names equal but
//     for case) and a string alg. crit, b64, zip, enc and cty "JWT" are
//     refused; jku, x5u, jwk and x5c are ignored, never fetched or trusted.
//  4. Key: by exact kid lookup in memory; the key's own algorithm must be
//     the header's alg (RFC 8725 §3.1). There is no way to configure "none",
//     and an HMAC secret is never taken from a public key, so alg "none" and
//     HS256-with-the-RSA-key forgeries have nothing to verify with.
//  5. Signature, by crypto/hmac, crypto/rsa, crypto/ecdsa and crypto/ed25519
//     with the key parsed once, checking signature lengths as jwx does (an
//     ES256 signature is exactly 64 bytes of R||S); r or s of zero fail.
//  6. Claims, read once: a JSON object, valid UTF-8, no duplicate or
//     case-variant names, and no case or Unicode-fold variant ("SUB", "ſub")
//     of a name the library or a guard reads ([ErrClaimName]), so
//     [Claims.Decode] and the accessors never disagree; no number beyond
//     float64 anywhere; exp, nbf and iat as JSON numbers, iss, sub and jti as
//     strings, aud as a string or array of strings. exp is required unless
//     [Config.InsecureAllowNoExpiry]; times compare in whole seconds with at
//     most five minutes of [Config.Leeway]; iss and aud match exactly when
//     configured, and without [Config.Audience] a token that carries an aud
//     is refused, as PyJWT does, unless [Config.InsecureAnyAudience].
//  7. Revocation, when a [Store] is configured (an issuer's Keys bring
//     theirs): the store is asked about the token's jti, sid, sub and iat in
//     one call, a revoked token is refused (401), and a failing store fails
//     closed (500).
//
// Keys are checked when they are configured: HMAC secrets of at least the
// hash length (not the FastAPI tutorial's published one, and not public key
// material such as a PEM public key), RSA keys of at least 2048 bits, EC
// keys on their algorithm's curve. Exclusion patterns that would turn
// authentication off everywhere, or that are another router's syntax, are
// refused; a guard built to require nothing fails closed. No error message or
// log line contains a token, a secret or text copied from the request.
package jwtauth
