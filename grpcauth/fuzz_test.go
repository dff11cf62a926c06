package grpcauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/authkit-go/authkit/grpcauth"
	"github.com/authkit-go/authkit/jwtauth"
)

// FuzzAuthorization feeds authorization values to Authenticate: it must
// never panic, accept only a value that carries a token the Middleware
// verifies, and answer with one of the fixed messages.
func FuzzAuthorization(f *testing.F) {
	iss := newIssuer(f, nil)
	mw := newMiddleware(f, iss, jwtauth.Config{})
	auth, err := grpcauth.New(mw, grpcauth.Guards{listMethod: grpcauth.RequireScope("items:write")})
	if err != nil {
		f.Fatal(err)
	}
	valid := issue(f, iss, map[string]any{"scope": "items:read"})
	for _, seed := range []string{
		"Bearer " + valid, "bearer  " + valid, "Bearer " + valid + "=", "Bearer " + valid[1:],
		"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "", " Bearer x", "Bearer a.b.c", "Bearer ..",
		"Bearer " + strings.Repeat("a", 9000),
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, value string, list bool) {
		method := checkMethod
		if list {
			method = listMethod
		}
		ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", value))
		got, err := auth.Authenticate(ctx, method)
		if err == nil {
			token, berr := jwtauth.BearerToken(value)
			c, verr := mw.Verify(context.Background(), token)
			if berr != nil || verr != nil {
				t.Fatalf("accepted %q, which does not verify (%v, %v)", value, berr, verr)
			}
			if list {
				t.Fatalf("accepted %q on the guarded method", value)
			}
			if gc, ok := jwtauth.FromContext(got); !ok || gc.Subject() != c.Subject() {
				t.Fatalf("accepted %q without its claims in the context", value)
			}
			return
		}
		s, ok := status.FromError(err)
		if !ok || got != nil {
			t.Fatalf("refusal %v is not a status, or came with a context", err)
		}
		if s.Code() != codes.Unauthenticated && s.Code() != codes.PermissionDenied {
			t.Fatalf("code %v for %q", s.Code(), value)
		}
		if !fixedMessages[s.Message()] {
			t.Fatalf("message %q is not a fixed one", s.Message())
		}
	})
}

// FuzzSkip feeds method names to Skip: New must accept only exact full
// method names, "/" service "/" method, with no pattern characters.
func FuzzSkip(f *testing.F) {
	iss := newIssuer(f, nil)
	mw := newMiddleware(f, iss, jwtauth.Config{})
	for _, seed := range []string{
		checkMethod, "", "/", "/*", "/a/b", "/a.b.C/D_e", "a/b", "/a/b/", "/a//b", "//a/b",
		"/a/*", "/a.*/b", "/a/b c", "/a/b\n", "/1a/b", "/a./b", "/.a/b", "/a/b?", "GET /a",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		_, err := grpcauth.New(mw, grpcauth.Skip(name))
		if err != nil {
			if !errors.Is(err, grpcauth.ErrConfig) {
				t.Fatalf("Skip(%q): %v does not match ErrConfig", name, err)
			}
			return
		}
		if !strings.HasPrefix(name, "/") || strings.Count(name, "/") != 2 || strings.HasSuffix(name, "/") ||
			strings.Contains(name, "//") || strings.ContainsAny(name, "*?[]{}()^$|+\\ \t\r\n") {
			t.Fatalf("Skip(%q) accepted", name)
		}
	})
}
