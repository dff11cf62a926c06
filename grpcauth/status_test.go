package grpcauth_test

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/authkit-go/authkit/grpcauth"
	"github.com/authkit-go/authkit/jwtauth"
)

// TestStatus checks the code and message of every error of package jwtauth,
// bare and wrapped in text that must not reach the client.
func TestStatus(t *testing.T) {
	const (
		invalid = "grpcauth: the access token is invalid"
		down    = "grpcauth: authentication unavailable"
	)
	for _, tc := range []struct {
		err  error
		code codes.Code
		msg  string
	}{
		{jwtauth.ErrMissingToken, codes.Unauthenticated, "grpcauth: authentication required"},
		{jwtauth.ErrInvalidRequest, codes.Unauthenticated, "grpcauth: malformed authorization value"},
		{jwtauth.ErrMalformedHeader, codes.Unauthenticated, "grpcauth: malformed authorization value"},
		{jwtauth.ErrMultipleTokens, codes.Unauthenticated, "grpcauth: more than one authorization value"},
		{jwtauth.ErrInvalidToken, codes.Unauthenticated, invalid},
		{jwtauth.ErrTokenMalformed, codes.Unauthenticated, invalid},
		{jwtauth.ErrTokenTooLarge, codes.Unauthenticated, invalid},
		{jwtauth.ErrUnsupportedHeader, codes.Unauthenticated, invalid},
		{jwtauth.ErrAlgorithm, codes.Unauthenticated, invalid},
		{jwtauth.ErrUnknownKey, codes.Unauthenticated, invalid},
		{jwtauth.ErrSignature, codes.Unauthenticated, invalid},
		{jwtauth.ErrTokenExpired, codes.Unauthenticated, "grpcauth: the access token expired"},
		{jwtauth.ErrTokenNotYetValid, codes.Unauthenticated, invalid},
		{jwtauth.ErrClaimType, codes.Unauthenticated, invalid},
		{jwtauth.ErrMissingClaim, codes.Unauthenticated, invalid},
		{jwtauth.ErrIssuer, codes.Unauthenticated, invalid},
		{jwtauth.ErrAudience, codes.Unauthenticated, invalid},
		{jwtauth.ErrTokenType, codes.Unauthenticated, invalid},
		{jwtauth.ErrClaimName, codes.Unauthenticated, invalid},
		{jwtauth.ErrRejected, codes.Unauthenticated, invalid},
		{jwtauth.ErrTokenRevoked, codes.Unauthenticated, invalid},
		{jwtauth.ErrInsufficientScope, codes.PermissionDenied, "grpcauth: the access token lacks a required scope"},
		{jwtauth.ErrMissingScope, codes.PermissionDenied, "grpcauth: the access token lacks a required scope"},
		{jwtauth.ErrClaimValue, codes.PermissionDenied, "grpcauth: the access token lacks a required claim value"},
		{jwtauth.ErrNotFresh, codes.PermissionDenied, "grpcauth: a fresh login is required"},
		{jwtauth.ErrCrossOrigin, codes.PermissionDenied, "grpcauth: permission denied"},
		{jwtauth.ErrKeysUnavailable, codes.Unavailable, "grpcauth: authentication temporarily unavailable"},
		{jwtauth.ErrStore, codes.Internal, down},
		{jwtauth.ErrGuard, codes.Internal, down},
		{jwtauth.ErrConfig, codes.Internal, down},
		{errors.New("anything else"), codes.Internal, down},
		{status.Error(codes.PermissionDenied, "a status from elsewhere"), codes.Internal, down},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			for _, err := range []error{tc.err, fmt.Errorf("secret=hunter2: %w", tc.err)} {
				s := grpcauth.Status(err)
				if s.Code() != tc.code || s.Message() != tc.msg {
					t.Errorf("Status(%v) = %v %q, want %v %q", err, s.Code(), s.Message(), tc.code, tc.msg)
				}
			}
		})
	}
	if s := grpcauth.Status(nil); s.Code() != codes.OK || s.Err() != nil {
		t.Errorf("Status(nil) = %v", s)
	}
	// A store's error as Verify wraps it.
	err := fmt.Errorf("%w: %w", jwtauth.ErrStore, errors.New("connection refused"))
	if s := grpcauth.Status(err); s.Code() != codes.Internal || s.Message() != down {
		t.Errorf("Status(store error) = %v %q", s.Code(), s.Message())
	}
}
