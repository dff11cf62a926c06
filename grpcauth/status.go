package grpcauth

import (
	"errors"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/authkit-go/authkit/jwtauth"
)

// Status returns the gRPC status that the interceptors answer err with: the
// code of err's class, decided by [jwtauth.StatusCode] so that gRPC and HTTP
// agree, and a fixed message. err is an error of package jwtauth, as
// [jwtauth.Middleware.Verify] and [Guard.Check] return them:
//
//	nil                                    OK
//	ErrMissingToken, ErrInvalidRequest     Unauthenticated  (HTTP 401, 400)
//	ErrInvalidToken (expired, revoked, …)  Unauthenticated  (HTTP 401)
//	ErrInsufficientScope (scope, claim,    PermissionDenied (HTTP 403)
//	  fresh), ErrCrossOrigin
//	ErrKeysUnavailable                     Unavailable      (HTTP 503)
//	ErrStore, ErrGuard, anything else      Internal         (HTTP 500)
//
// The message is one of a fixed set, "grpcauth: the access token expired"
// and the like: never the token, text from the call, or the text of err,
// which for ErrStore carries a custom Store's error (a connection string, a
// token's id). A status that err carries itself (a Store built on a gRPC
// client may return one) is ignored for the same reason: a failing store is
// Internal, whatever it says.
func Status(err error) *status.Status {
	if err == nil {
		return status.New(codes.OK, "")
	}
	code := codeOf(jwtauth.StatusCode(err))
	for _, r := range messages {
		if r.code == code && errors.Is(err, r.err) {
			return status.New(code, r.msg)
		}
	}
	return status.New(code, generic[code])
}

// codeOf maps jwtauth's HTTP statuses to gRPC codes. 400 (a malformed
// authorization value, several of them) is Unauthenticated, not
// InvalidArgument: it is about the credentials, not the request message.
func codeOf(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusOK:
		return codes.OK
	case http.StatusBadRequest, http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	}
	return codes.Internal
}

// messages are the specific messages, the most specific error first. One is
// used only when its code is err's, so a message never contradicts the code.
var messages = []struct {
	err  error
	code codes.Code
	msg  string
}{
	{jwtauth.ErrMultipleTokens, codes.Unauthenticated, "grpcauth: more than one authorization value"},
	{jwtauth.ErrInvalidRequest, codes.Unauthenticated, "grpcauth: malformed authorization value"},
	{jwtauth.ErrMissingToken, codes.Unauthenticated, "grpcauth: authentication required"},
	{jwtauth.ErrTokenExpired, codes.Unauthenticated, "grpcauth: the access token expired"},
	{jwtauth.ErrNotFresh, codes.PermissionDenied, "grpcauth: a fresh login is required"},
	{jwtauth.ErrClaimValue, codes.PermissionDenied, "grpcauth: the access token lacks a required claim value"},
	{jwtauth.ErrInsufficientScope, codes.PermissionDenied, "grpcauth: the access token lacks a required scope"},
}

// generic are the messages of each code when no specific one applies.
var generic = map[codes.Code]string{
	codes.Unauthenticated:  "grpcauth: the access token is invalid",
	codes.PermissionDenied: "grpcauth: permission denied",
	codes.Unavailable:      "grpcauth: authentication temporarily unavailable",
	codes.Internal:         "grpcauth: authentication unavailable",
}
