package jwtauth

import (
	"errors"
	"net/http"
)

// Errors returned by [Middleware.Authenticate], [Middleware.Verify] and passed to
// [Config.ErrorHandler]. Test them with [errors.Is]: every error about the token
// itself also matches [ErrInvalidToken], and every error about the shape of the
// request matches [ErrInvalidRequest]. Their messages are fixed strings; none
// contains text from the request or the token, so they are safe to log.
var (
	// ErrMissingToken means the request carries no bearer token at all
	// (no Authorization header, another scheme such as Basic, no cookie).
	// It becomes 401 with a bare challenge and no error code (RFC 6750 §3.1).
	ErrMissingToken = errors.New("jwtauth: no bearer token")

	// ErrInvalidRequest means the credentials are malformed or sent more than
	// once (RFC 6750 §3.1 invalid_request, 400).
	ErrInvalidRequest = errors.New("jwtauth: invalid request")

	// ErrMultipleTokens means the request carries more than one credential:
	// several Authorization headers, several cookies of the configured name, or a
	// header and a cookie that differ. It matches ErrInvalidRequest.
	ErrMultipleTokens error = &classError{"jwtauth: more than one token in request", ErrInvalidRequest}

	// ErrMalformedHeader means the Authorization header names the Bearer scheme
	// but does not carry exactly one token. It matches ErrInvalidRequest.
	ErrMalformedHeader error = &classError{"jwtauth: malformed Authorization header", ErrInvalidRequest}

	// ErrInvalidToken is the class of every rejected token (RFC 6750 §3.1
	// invalid_token, 401). The errors below are more specific and match it.
	ErrInvalidToken = errors.New("jwtauth: invalid token")

	// ErrTokenMalformed: not a compact JWS of three canonical base64url segments
	// whose header and payload are JSON objects, or a duplicate member name.
	ErrTokenMalformed error = &classError{"jwtauth: malformed token", ErrInvalidToken}
	// ErrTokenTooLarge: longer than Config.MaxTokenSize.
	ErrTokenTooLarge error = &classError{"jwtauth: token too large", ErrInvalidToken}
	// ErrUnsupportedHeader: the header asks for something authkit never does:
	// crit extensions, b64:false, compression, encryption, a nested JWT.
	ErrUnsupportedHeader error = &classError{"jwtauth: unsupported token header", ErrInvalidToken}
	// ErrAlgorithm: the header's alg is missing, not supported, or not the
	// algorithm of the key that the token names.
	ErrAlgorithm error = &classError{"jwtauth: token algorithm not accepted", ErrInvalidToken}
	// ErrUnknownKey: no configured key fits the token's kid and alg.
	ErrUnknownKey error = &classError{"jwtauth: no key for token", ErrInvalidToken}
	// ErrSignature: the signature does not verify.
	ErrSignature error = &classError{"jwtauth: invalid signature", ErrInvalidToken}
	// ErrTokenExpired: now is at or after exp (plus Leeway), or exp is missing
	// when it is required.
	ErrTokenExpired error = &classError{"jwtauth: token expired", ErrInvalidToken}
	// ErrTokenNotYetValid: nbf is in the future, or iat is (beyond Leeway).
	ErrTokenNotYetValid error = &classError{"jwtauth: token not valid yet", ErrInvalidToken}
	// ErrClaimType: a registered claim has the wrong JSON type (exp as a string,
	// aud as a number, …).
	ErrClaimType error = &classError{"jwtauth: claim has wrong type", ErrInvalidToken}
	// ErrMissingClaim: a claim that Config requires is absent.
	ErrMissingClaim error = &classError{"jwtauth: required claim missing", ErrInvalidToken}
	// ErrIssuer: iss is not Config.Issuer.
	ErrIssuer error = &classError{"jwtauth: wrong issuer", ErrInvalidToken}
	// ErrAudience: aud does not contain Config.Audience.
	ErrAudience error = &classError{"jwtauth: wrong audience", ErrInvalidToken}
	// ErrTokenType: typ is not Config.Type.
	ErrTokenType error = &classError{"jwtauth: wrong token type", ErrInvalidToken}
	// ErrClaimName: the token carries a case or Unicode-fold variant ("SUB",
	// "Exp", "ſcope") of a claim name the library or a guard reads, which
	// encoding/json in [Claims.Decode] would take for that claim.
	ErrClaimName error = &classError{"jwtauth: claim name is a case variant of a name read", ErrInvalidToken}
	// ErrRejected: Config.Validate refused the token with an error of no
	// other class.
	ErrRejected error = &classError{"jwtauth: token rejected by the application", ErrInvalidToken}
	// ErrTokenRevoked: the [Store] reports the token revoked: logged out,
	// its session ended or its subject logged out everywhere.
	ErrTokenRevoked error = &classError{"jwtauth: token revoked", ErrInvalidToken}

	// ErrInsufficientScope means the token is valid but lacks a scope or claim
	// value that a guard requires (RFC 6750 §3.1 insufficient_scope, 403).
	ErrInsufficientScope = errors.New("jwtauth: insufficient scope")

	// ErrKeysUnavailable means no verification keys could be had: a remote key
	// set that was never fetched successfully. It is not the client's fault:
	// 503, and the client may retry.
	ErrKeysUnavailable = errors.New("jwtauth: verification keys unavailable")

	// ErrCrossOrigin means a token came from a cookie on a cross-origin unsafe
	// request, which http.CrossOriginProtection refused (403).
	ErrCrossOrigin = errors.New("jwtauth: cross-origin request with cookie token")
)

// classError is a specific error that also matches its class with errors.Is.
type classError struct {
	msg   string
	class error
}

func (e *classError) Error() string        { return e.msg }
func (e *classError) Is(target error) bool { return target == e.class }

// problem is what the default error writer sends for an error.
type problem struct {
	status      int
	code        string // RFC 6750 error code; "" for a bare challenge
	description string // fixed text, RFC 6750 §3 charset
}

// problemFor maps any error from this package to its RFC 6750 response. It is
// the only place that decides statuses, so Handler, the guards and custom
// ErrorHandlers that call it agree.
func problemFor(err error) problem {
	switch {
	case err == nil:
		return problem{http.StatusOK, "", ""}
	case errors.Is(err, ErrStore):
		// First: a store's own error may wrap anything, ErrMissingToken
		// or ErrInvalidToken included, and a failing store is 500.
		return problem{http.StatusInternalServerError, "", "authentication unavailable"}
	case errors.Is(err, ErrMissingToken):
		return problem{http.StatusUnauthorized, "", "authentication required"}
	case errors.Is(err, ErrMultipleTokens):
		return problem{http.StatusBadRequest, "invalid_request", "more than one token in request"}
	case errors.Is(err, ErrInvalidRequest):
		return problem{http.StatusBadRequest, "invalid_request", "malformed authorization header"}
	case errors.Is(err, ErrDPoPNonce):
		return problem{http.StatusUnauthorized, "use_dpop_nonce", "a DPoP nonce is required"}
	case errors.Is(err, ErrDPoPProof):
		return problem{http.StatusUnauthorized, "invalid_dpop_proof", "the DPoP proof is invalid"}
	case errors.Is(err, ErrReplayCacheFull):
		return problem{http.StatusServiceUnavailable, "", "authentication temporarily unavailable"}
	case errors.Is(err, ErrTokenExpired):
		return problem{http.StatusUnauthorized, "invalid_token", "the access token expired"}
	case errors.Is(err, ErrInvalidToken):
		return problem{http.StatusUnauthorized, "invalid_token", "the access token is invalid"}
	case errors.Is(err, ErrNotFresh):
		return problem{http.StatusForbidden, "insufficient_scope", "a fresh login is required"}
	case errors.Is(err, ErrClaimValue):
		return problem{http.StatusForbidden, "insufficient_scope", "the access token lacks a required claim value"}
	case errors.Is(err, ErrInsufficientScope):
		return problem{http.StatusForbidden, "insufficient_scope", "the access token lacks a required scope"}
	case errors.Is(err, ErrCrossOrigin):
		return problem{http.StatusForbidden, "", "cross-origin request refused"}
	case errors.Is(err, ErrKeysUnavailable):
		return problem{http.StatusServiceUnavailable, "", "authentication temporarily unavailable"}
	default:
		return problem{http.StatusInternalServerError, "", "authentication unavailable"}
	}
}

// StatusCode reports the HTTP status that the default error writer uses for
// err: 200 for nil; 400, 401 or 403 for errors about the request; 503 for
// [ErrKeysUnavailable]; 500 for any other error, which is not about the
// request (a failing revocation store, say).
func StatusCode(err error) int { return problemFor(err).status }
