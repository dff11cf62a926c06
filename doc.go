// Package authkit is JWT authentication for net/http servers: a middleware
// that verifies bearer tokens, an issuer that mints them, and password
// hashing and login defence for the login that comes first. This package
// holds only this overview; the work is done by these packages:
//
//   - [github.com/authkit-go/authkit/jwtauth]: the verification middleware
//     (jwtauth.New, jwtauth.Config, jwtauth.FromContext), per-route
//     guards (jwtauth.RequireScope, jwtauth.RequireFresh) and remote key
//     sets (jwtauth.Remote).
//   - [github.com/authkit-go/authkit/jwtauth/issuer]: the token issuer
//     (issuer.New) with key publication and rotation, a JWKS endpoint, and
//     login sessions: rotating refresh tokens with reuse detection, logout,
//     log out everywhere, a user's list of sessions, idle and absolute
//     lifetimes, and a store that one user cannot exhaust.
//   - [github.com/authkit-go/authkit/throttle]: login throttling by account
//     and client.
//   - [github.com/authkit-go/authkit/password]: argon2id hashing with OWASP
//     parameters, verification of argon2 and bcrypt hashes made by passlib,
//     argon2-cffi and python bcrypt, rehash-on-login and bounded concurrency
//     (password.Hash, password.Verify).
//
// # Quick start
//
//	mw, err := jwtauth.New(jwtauth.Config{
//		Keys:    jwtauth.HMAC(secret), // ≥ 32 random bytes
//		Exclude: []string{"GET /{$}", "/login"},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.ListenAndServe(addr, mw.Handler(mux))
//
// and in a handler:
//
//	claims, _ := jwtauth.FromContext(r.Context())
//	fmt.Fprintln(w, "hello", claims.Subject())
//
// # Security considerations
//
// The defaults are the safe choices, and the unsafe ones say Insecure:
// the algorithm is fixed by the key, never read from the token; exp is
// required; tokens are read from the Authorization header (and a cookie only
// when configured, with cross-origin protection), never from the URL; jku,
// x5u, jwk and x5c headers are never followed; HMAC secrets shorter than
// their hash are refused; input sizes are bounded; and no response or log
// line contains a token, a secret or text from the request. See the
// jwtauth and password package documentation for each rule and its reason.
package authkit
