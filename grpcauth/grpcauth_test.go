package grpcauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/authkit-go/authkit/grpcauth"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// call makes a unary Check and a streaming Watch with md, and returns their
// statuses; the Watch is ended after its first message.
func call(t *testing.T, client healthpb.HealthClient, md metadata.MD) (check, watch *status.Status) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if md != nil {
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	_, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
	check = status.Convert(err)
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err == nil {
		var resp *healthpb.HealthCheckResponse
		if resp, err = stream.Recv(); err == nil && resp.Status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Watch: got %v, want SERVING", resp.Status)
		}
	}
	return check, status.Convert(err)
}

// tokens are the tests' tokens, valid and not.
type tokens struct {
	valid, expired, notYet, otherKey, spliced, refresh, revoked string
	refreshed, none, typRefresh, jwe, oversized                 string
}

func newTokens(t *testing.T, iss *issuer.Issuer, mw *jwtauth.Middleware) tokens {
	t.Helper()
	ctx := context.Background()
	var tk tokens
	tk.valid = issue(t, iss, map[string]any{"scope": "items:read", "role": "user"})

	past := newIssuer(t, func() time.Time { return time.Now().Add(-time.Hour) })
	tk.expired = issue(t, past, nil)
	future := newIssuer(t, func() time.Time { return time.Now().Add(time.Hour) })
	tk.notYet = issue(t, future, nil)

	other, err := issuer.New(issuer.Config{Key: issuer.SigningKey{
		Algorithm: "HS256", ID: kid, Key: []byte("another secret, also of thirty-two bytes or more"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	tk.otherKey = issue(t, other, nil)

	// The header and claims of one token with the signature of another of
	// the same key: canonical base64url, a wrong MAC.
	a, b := issue(t, iss, map[string]any{"role": "admin"}), issue(t, iss, nil)
	tk.spliced = a[:strings.LastIndexByte(a, '.')] + b[strings.LastIndexByte(b, '.'):]

	login, err := iss.Login(ctx, "user-42", nil)
	if err != nil {
		t.Fatal(err)
	}
	tk.refresh = login.RefreshToken
	next, err := iss.Refresh(ctx, login.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	tk.refreshed = next.AccessToken

	out, err := iss.Login(ctx, "user-7", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mw.Verify(ctx, out.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	tk.revoked = out.AccessToken

	exp := time.Now().Add(time.Hour).Unix()
	none := mint(map[string]any{"alg": "none", "kid": kid}, map[string]any{"sub": "admin", "exp": exp})
	tk.none = none[:strings.LastIndexByte(none, '.')+1]
	tk.typRefresh = mint(map[string]any{"alg": "HS256", "kid": kid, "typ": "refresh+jwt"}, map[string]any{"sub": "user-42", "exp": exp})
	tk.jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aaaa.bbbb.cccc"
	tk.oversized = strings.Repeat("a", 9000) + "." + strings.Repeat("b", 100) + ".c"
	return tk
}

// fixedMessages are every message the interceptors may answer with.
var fixedMessages = map[string]bool{
	"": true, // OK
	"grpcauth: more than one authorization value":             true,
	"grpcauth: malformed authorization value":                 true,
	"grpcauth: authentication required":                       true,
	"grpcauth: the access token expired":                      true,
	"grpcauth: the access token is invalid":                   true,
	"grpcauth: a fresh login is required":                     true,
	"grpcauth: the access token lacks a required claim value": true,
	"grpcauth: the access token lacks a required scope":       true,
	"grpcauth: permission denied":                             true,
	"grpcauth: authentication temporarily unavailable":        true,
	"grpcauth: authentication unavailable":                    true,
}

// checkMessage fails the test unless msg is a fixed message that holds
// none of secrets.
func checkMessage(t *testing.T, what, msg string, secrets ...string) {
	t.Helper()
	if !fixedMessages[msg] {
		t.Errorf("%s: message %q is not one of the fixed messages", what, msg)
	}
	for _, s := range secrets {
		if len(s) >= 8 && strings.Contains(msg, s) {
			t.Errorf("%s: message %q contains %q", what, msg, s)
		}
	}
}

// TestAttacks sends each row's authorization metadata to a unary and a
// streaming method of a real server, and checks the code, that the message
// is fixed text without the token, and that only accepted calls reach the
// handler, with their claims.
func TestAttacks(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	tk := newTokens(t, iss, mw)
	client, seen := serveWith(t, mw)

	auth := func(values ...string) metadata.MD {
		md := metadata.MD{}
		for _, v := range values {
			md.Append("authorization", v)
		}
		return md
	}
	for _, tc := range []struct {
		name string
		md   metadata.MD
		want codes.Code
		msg  string
	}{
		{"valid", auth("Bearer " + tk.valid), codes.OK, ""},
		{"scheme in lower case", auth("bearer " + tk.valid), codes.OK, ""},
		{"scheme in upper case", auth("BEARER " + tk.valid), codes.OK, ""},
		{"two spaces after the scheme", auth("Bearer  " + tk.valid), codes.OK, ""},

		{"no metadata", nil, codes.Unauthenticated, "grpcauth: authentication required"},
		{"no authorization", metadata.Pairs("x-request-id", "1"), codes.Unauthenticated, "grpcauth: authentication required"},
		{"token in another key", metadata.Pairs("x-authorization", "Bearer "+tk.valid), codes.Unauthenticated, "grpcauth: authentication required"},
		{"token in a -bin key", metadata.Pairs("authorization-bin", "Bearer "+tk.valid), codes.Unauthenticated, "grpcauth: authentication required"},
		{"token without scheme", auth(tk.valid), codes.Unauthenticated, "grpcauth: authentication required"},
		{"Basic scheme", auth("Basic dXNlcjpwYXNzd29yZA=="), codes.Unauthenticated, "grpcauth: authentication required"},
		{"Basic scheme with a token", auth("Basic " + tk.valid), codes.Unauthenticated, "grpcauth: authentication required"},
		{"Bearer prefix without space", auth("Bearer" + tk.valid), codes.Unauthenticated, "grpcauth: authentication required"},
		{"empty value", auth(""), codes.Unauthenticated, "grpcauth: authentication required"},

		{"Bearer alone", auth("Bearer"), codes.Unauthenticated, "grpcauth: malformed authorization value"},
		{"Bearer and a space", auth("Bearer "), codes.Unauthenticated, "grpcauth: malformed authorization value"},
		{"two tokens in one value", auth("Bearer " + tk.valid + " " + tk.valid), codes.Unauthenticated, "grpcauth: malformed authorization value"},
		{"comma-joined values", auth("Bearer " + tk.valid + ", Bearer " + tk.valid), codes.Unauthenticated, "grpcauth: malformed authorization value"},
		{"trailing space", auth("Bearer " + tk.valid + " "), codes.Unauthenticated, "grpcauth: malformed authorization value"},
		{"token with padding", auth("Bearer " + tk.valid + "=="), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"quoted token", auth(`Bearer "` + tk.valid + `"`), codes.Unauthenticated, "grpcauth: malformed authorization value"},

		{"two values", auth("Bearer "+tk.valid, "Bearer "+tk.otherKey), codes.Unauthenticated, "grpcauth: more than one authorization value"},
		{"the same value twice", auth("Bearer "+tk.valid, "Bearer "+tk.valid), codes.Unauthenticated, "grpcauth: more than one authorization value"},
		{"a valid value and a Basic one", auth("Basic dXNlcjpwYXNz", "Bearer "+tk.valid), codes.Unauthenticated, "grpcauth: more than one authorization value"},

		{"expired", auth("Bearer " + tk.expired), codes.Unauthenticated, "grpcauth: the access token expired"},
		{"not yet valid", auth("Bearer " + tk.notYet), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"another key, same kid", auth("Bearer " + tk.otherKey), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"spliced signature", auth("Bearer " + tk.spliced), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"refresh token", auth("Bearer " + tk.refresh), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"typ refresh+jwt signed with the access key", auth("Bearer " + tk.typRefresh), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"revoked by logout", auth("Bearer " + tk.revoked), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"alg none", auth("Bearer " + tk.none), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"JWE", auth("Bearer " + tk.jwe), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"oversized", auth("Bearer " + tk.oversized), codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"garbage", auth("Bearer abc"), codes.Unauthenticated, "grpcauth: the access token is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := seen.last()
			check, watch := call(t, client, tc.md)
			after, claims := seen.last()
			var values []string
			for _, v := range tc.md.Get("authorization") {
				values = append(values, v, strings.TrimSpace(strings.TrimPrefix(v, "Bearer ")))
			}
			for _, st := range []struct {
				method string
				s      *status.Status
			}{{"Check", check}, {"Watch", watch}} {
				if st.s.Code() != tc.want {
					t.Errorf("%s: code %v (%q), want %v", st.method, st.s.Code(), st.s.Message(), tc.want)
				}
				if tc.want != codes.OK && st.s.Message() != tc.msg {
					t.Errorf("%s: message %q, want %q", st.method, st.s.Message(), tc.msg)
				}
				checkMessage(t, st.method, st.s.Message(), values...)
			}
			switch {
			case tc.want == codes.OK && after != before+2:
				t.Errorf("handlers ran %d times, want 2", after-before)
			case tc.want == codes.OK && (claims == nil || claims.Subject() != "user-42"):
				t.Errorf("handler saw claims %v, want those of user-42", claims)
			case tc.want != codes.OK && after != before:
				t.Errorf("a refused call reached the handler (%d times)", after-before)
			}
		})
	}
}

// TestGuards checks per-method guards through a real server: a guard
// refuses with PermissionDenied, and a method without one needs only a
// valid token.
func TestGuards(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	ctx := context.Background()
	login, err := iss.Login(ctx, "user-42", map[string]any{"scope": "items:read"})
	if err != nil {
		t.Fatal(err)
	}
	refreshed, err := iss.Refresh(ctx, login.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	reader := issue(t, iss, map[string]any{"scope": "items:read", "role": "user"})
	writer := issue(t, iss, map[string]any{"scp": []string{"items:read", "items:write"}, "role": []string{"user", "admin"}})
	lookalike := issue(t, iss, map[string]any{"scope": "items:write\u00a0items:read", "ROLE": "admin"})

	client, _ := serveWith(t, mw, grpcauth.Guards{
		checkMethod: grpcauth.RequireScope("items:write"),
		listMethod:  grpcauth.RequireClaim("role", "admin"),
		watchMethod: grpcauth.All(grpcauth.RequireScope("items:read"), grpcauth.RequireFresh()),
	})

	type want struct{ check, list, watch codes.Code }
	for _, tc := range []struct {
		name  string
		token string
		want  want
	}{
		{"reader, fresh", login.AccessToken, want{codes.PermissionDenied, codes.PermissionDenied, codes.OK}},
		{"reader, refreshed", refreshed.AccessToken, want{codes.PermissionDenied, codes.PermissionDenied, codes.PermissionDenied}},
		{"reader, issued", reader, want{codes.PermissionDenied, codes.PermissionDenied, codes.OK}},
		{"writer and admin", writer, want{codes.OK, codes.OK, codes.OK}},
		// "items:write\u00a0items:read" is one scope (RFC 6749 §3.3 splits on
		// U+0020 only), and "ROLE" is a case variant of "role": refused
		// (Unauthenticated, jwtauth.ErrClaimName), not read as role.
		{"lookalikes", lookalike, want{codes.PermissionDenied, codes.Unauthenticated, codes.PermissionDenied}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := withAuth(testContext(t), "Bearer "+tc.token)
			_, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
			check := status.Convert(err)
			_, err = client.List(ctx, &healthpb.HealthListRequest{})
			list := status.Convert(err)
			stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
			if err == nil {
				_, err = stream.Recv()
			}
			watch := status.Convert(err)
			got := want{check.Code(), list.Code(), watch.Code()}
			if got != tc.want {
				t.Errorf("codes (Check, List, Watch) = %v, want %v", got, tc.want)
			}
			for _, s := range []*status.Status{check, list, watch} {
				checkMessage(t, "", s.Message(), tc.token)
			}
		})
	}
}

// TestSkip checks that a skipped method passes without a token, and
// untouched with one, while the others still need one.
func TestSkip(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	valid := issue(t, iss, nil)
	client, seen := serveWith(t, mw, grpcauth.Skip(checkMethod, watchMethod), grpcauth.Guards{
		listMethod: grpcauth.RequireScope("admin"),
	})

	for _, tc := range []struct {
		name string
		auth []string
	}{
		{"no token", nil},
		{"valid token", []string{"Bearer " + valid}},
		{"invalid token", []string{"Bearer abc"}},
		{"two values", []string{"Bearer a", "Bearer b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := withAuth(testContext(t), tc.auth...)
			if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				t.Errorf("Check (skipped): %v", err)
			}
			if _, c := seen.last(); c != nil {
				t.Errorf("a skipped method's handler saw claims")
			}
			stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
			if err == nil {
				_, err = stream.Recv()
			}
			if err != nil {
				t.Errorf("Watch (skipped): %v", err)
			}
			_, err = client.List(ctx, &healthpb.HealthListRequest{})
			if got := status.Code(err); got == codes.OK {
				t.Errorf("List (not skipped): OK, want a refusal")
			}
		})
	}
}

// TestMisconfiguration checks that options New refuses make New fail, and
// make the one-expression interceptors answer every call Internal, the
// methods meant to be skipped included.
func TestMisconfiguration(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	valid := issue(t, iss, map[string]any{"scope": "items:write"})

	for _, tc := range []struct {
		name  string
		mw    *jwtauth.Middleware
		opts  []grpcauth.Option
		guard bool // the error matches jwtauth.ErrGuard
	}{
		{"nil middleware", nil, nil, false},
		{"nil option", mw, []grpcauth.Option{nil}, false},
		{"Skip of the empty name", mw, []grpcauth.Option{grpcauth.Skip("")}, false},
		{"Skip of a glob", mw, []grpcauth.Option{grpcauth.Skip("/grpc.health.v1.Health/*")}, false},
		{"Skip of everything", mw, []grpcauth.Option{grpcauth.Skip("/*")}, false},
		{"Skip of a root", mw, []grpcauth.Option{grpcauth.Skip("/")}, false},
		{"Skip of a service", mw, []grpcauth.Option{grpcauth.Skip("/grpc.health.v1.Health")}, false},
		{"Skip of a service prefix", mw, []grpcauth.Option{grpcauth.Skip("/grpc.health.v1.Health/")}, false},
		{"Skip without leading slash", mw, []grpcauth.Option{grpcauth.Skip("grpc.health.v1.Health/Check")}, false},
		{"Skip with a trailing slash", mw, []grpcauth.Option{grpcauth.Skip(checkMethod + "/")}, false},
		{"Skip with a space", mw, []grpcauth.Option{grpcauth.Skip(checkMethod + " ")}, false},
		{"Skip of a regexp", mw, []grpcauth.Option{grpcauth.Skip("/grpc.health.v1.Health/.*")}, false},
		{"Skip with an empty package part", mw, []grpcauth.Option{grpcauth.Skip("/grpc..Health/Check")}, false},
		{"Skip of an HTTP pattern", mw, []grpcauth.Option{grpcauth.Skip("GET /health")}, false},
		{"a valid Skip and an empty one", mw, []grpcauth.Option{grpcauth.Skip(checkMethod, "")}, false},
		{"Guards of the empty name", mw, []grpcauth.Option{grpcauth.Guards{"": grpcauth.RequireScope("a")}}, false},
		{"Guards of a glob", mw, []grpcauth.Option{grpcauth.Guards{"/grpc.health.v1.Health/*": grpcauth.RequireScope("a")}}, false},
		{"skipped and guarded", mw, []grpcauth.Option{grpcauth.Skip(checkMethod), grpcauth.Guards{checkMethod: grpcauth.RequireScope("a")}}, false},
		{"guarded twice", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: grpcauth.RequireScope("a")}, grpcauth.Guards{checkMethod: grpcauth.RequireFresh()}}, false},
		{"empty scope", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: grpcauth.RequireScope("")}}, true},
		{"empty further scope", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: grpcauth.RequireScope("items:write", "")}}, true},
		{"scope with a space", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: grpcauth.RequireScope("items:write items:read")}}, true},
		{"empty claim name", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: grpcauth.RequireClaim("")}}, true},
		{"empty claim value", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: grpcauth.RequireClaim("role", "admin", "")}}, true},
		{"invalid UTF-8 claim name", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: grpcauth.RequireClaim("r\xffle")}}, true},
		{"All of nothing", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: grpcauth.All()}}, true},
		{"All with an empty scope", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: grpcauth.All(grpcauth.RequireFresh(), grpcauth.RequireScope(""))}}, true},
		{"zero Guard", mw, []grpcauth.Option{grpcauth.Guards{checkMethod: {}}}, true},
		// A guard on another method than the one called: the whole
		// configuration is refused, and so every method.
		{"empty scope on another method", mw, []grpcauth.Option{grpcauth.Guards{listMethod: grpcauth.RequireScope("")}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := grpcauth.New(tc.mw, tc.opts...)
			if !errors.Is(err, grpcauth.ErrConfig) {
				t.Fatalf("New: %v, want an error matching ErrConfig", err)
			}
			if tc.guard != errors.Is(err, jwtauth.ErrGuard) {
				t.Errorf("New: %v; matches ErrGuard: %v, want %v", err, !tc.guard, tc.guard)
			}
			if strings.Contains(err.Error(), string(secret)) {
				t.Errorf("New: %v holds the secret", err)
			}

			client, seen := serve(t,
				grpcauth.UnaryServerInterceptor(tc.mw, tc.opts...),
				grpcauth.StreamServerInterceptor(tc.mw, tc.opts...))
			for _, md := range []metadata.MD{nil, metadata.Pairs("authorization", "Bearer "+valid)} {
				check, watch := call(t, client, md)
				for _, s := range []*status.Status{check, watch} {
					if s.Code() != codes.Internal || s.Message() != "grpcauth: authentication unavailable" {
						t.Errorf("got %v %q, want Internal %q", s.Code(), s.Message(), "grpcauth: authentication unavailable")
					}
				}
			}
			if n, _ := seen.last(); n != 0 {
				t.Errorf("a misconfigured interceptor let %d calls through", n)
			}
		})
	}
}

// TestZeroInterceptors checks that Interceptors not made by New refuse.
func TestZeroInterceptors(t *testing.T) {
	for _, in := range []*grpcauth.Interceptors{nil, {}} {
		ctx, err := in.Authenticate(context.Background(), checkMethod)
		if status.Code(err) != codes.Internal || ctx != nil {
			t.Errorf("Authenticate: %v, %v; want Internal", ctx, err)
		}
		if err := in.CheckMethods(grpc.NewServer()); !errors.Is(err, grpcauth.ErrConfig) {
			t.Errorf("CheckMethods: %v, want ErrConfig", err)
		}
	}
}

// failingStore fails with text that must never reach a client.
type failingStore struct{ err error }

func (s failingStore) Revoked(context.Context, jwtauth.TokenRef) (bool, error) { return false, s.err }

// TestServerSideFailures checks the codes and messages of errors that are
// not the client's: a failing store (Internal), keys that cannot be had
// (Unavailable), and the classes of a Validate hook.
func TestServerSideFailures(t *testing.T) {
	iss := newIssuer(t, nil)
	valid := issue(t, iss, map[string]any{"scope": "items:read"})
	const leak = "redis://admin:hunter2@10.0.0.7:6379 jti=" // what a store's error may hold

	for _, tc := range []struct {
		name string
		cfg  jwtauth.Config
		want codes.Code
		msg  string
	}{
		{"store error", jwtauth.Config{Store: failingStore{errors.New(leak)}},
			codes.Internal, "grpcauth: authentication unavailable"},
		// A store built on a gRPC client may fail with a status of its own:
		// it is not passed on, neither its code nor its message.
		{"store error carrying a gRPC status", jwtauth.Config{Store: failingStore{status.Error(codes.PermissionDenied, leak)}},
			codes.Internal, "grpcauth: authentication unavailable"},
		{"store error wrapping a deadline", jwtauth.Config{Store: failingStore{fmt.Errorf("%s: %w", leak, context.DeadlineExceeded)}},
			codes.Internal, "grpcauth: authentication unavailable"},
		{"Validate: keys unavailable", jwtauth.Config{Validate: func(context.Context, *jwtauth.Claims) error {
			return fmt.Errorf("%s: %w", leak, jwtauth.ErrKeysUnavailable)
		}}, codes.Unavailable, "grpcauth: authentication temporarily unavailable"},
		{"Validate: missing scope", jwtauth.Config{Validate: func(context.Context, *jwtauth.Claims) error {
			return fmt.Errorf("%s: %w", leak, jwtauth.ErrMissingScope)
		}}, codes.PermissionDenied, "grpcauth: the access token lacks a required scope"},
		{"Validate: an error of no class", jwtauth.Config{Validate: func(context.Context, *jwtauth.Claims) error {
			return errors.New(leak)
		}}, codes.Unauthenticated, "grpcauth: the access token is invalid"},
		{"Validate: a gRPC status", jwtauth.Config{Validate: func(context.Context, *jwtauth.Claims) error {
			return status.Error(codes.PermissionDenied, leak)
		}}, codes.Unauthenticated, "grpcauth: the access token is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, seen := serveWith(t, newMiddleware(t, iss, tc.cfg))
			check, watch := call(t, client, metadata.Pairs("authorization", "Bearer "+valid))
			for _, s := range []*status.Status{check, watch} {
				if s.Code() != tc.want || s.Message() != tc.msg {
					t.Errorf("got %v %q, want %v %q", s.Code(), s.Message(), tc.want, tc.msg)
				}
				checkMessage(t, "", s.Message(), valid, "hunter2", "redis", "10.0.0.7")
			}
			if n, _ := seen.last(); n != 0 {
				t.Errorf("%d calls reached the handler", n)
			}
		})
	}
}

// TestRemoteKeysUnavailable checks Unavailable for a remote key set that
// was never fetched: the JWKS endpoint, on loopback, answers 500.
func TestRemoteKeysUnavailable(t *testing.T) {
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer jwks.Close()
	keys := jwtauth.Remote(context.Background(), jwks.URL, jwtauth.RemoteOptions{
		AllowLoopbackHTTP: true, MaxWait: 200 * time.Millisecond, FetchTimeout: time.Second,
	})
	defer keys.Close()
	mw, err := jwtauth.New(jwtauth.Config{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	client, _ := serveWith(t, mw)
	token := mint(map[string]any{"alg": "RS256", "kid": "r1"}, map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
	check, watch := call(t, client, metadata.Pairs("authorization", "Bearer "+token))
	for _, s := range []*status.Status{check, watch} {
		if s.Code() != codes.Unavailable || s.Message() != "grpcauth: authentication temporarily unavailable" {
			t.Errorf("got %v %q, want Unavailable", s.Code(), s.Message())
		}
	}
}

// TestClaimsInHandlers checks that handlers read the verified claims, typed
// too, from the call's context or the stream's.
func TestClaimsInHandlers(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	token := issue(t, iss, map[string]any{"tenant": "acme", "scope": "items:read items:write"})

	type user struct {
		Sub    string `json:"sub"`
		Tenant string `json:"tenant"`
	}
	got := make(chan user, 2)
	handle := func(ctx context.Context) {
		u, err := jwtauth.ClaimsAs[user](ctx)
		if err != nil {
			t.Errorf("ClaimsAs: %v", err)
		}
		c, ok := jwtauth.FromContext(ctx)
		if !ok || !c.HasScope("items:write") || c.Subject() != u.Sub {
			t.Errorf("FromContext: %v %v", c, ok)
		}
		got <- u
	}
	auth, err := grpcauth.New(mw)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(auth.Unary(), func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			handle(ctx)
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(auth.Stream(), func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			handle(ss.Context())
			return h(srv, ss)
		}),
	)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	client := start(t, srv)
	check, watch := call(t, client, metadata.Pairs("authorization", "Bearer "+token))
	if check.Code() != codes.OK || watch.Code() != codes.OK {
		t.Fatalf("Check %v, Watch %v", check, watch)
	}
	for range 2 {
		if u := <-got; u != (user{"user-42", "acme"}) {
			t.Errorf("typed claims %+v", u)
		}
	}
}

// TestCheckMethods checks that names the server does not serve are found.
func TestCheckMethods(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	srv, _ := newServer(nil, nil)

	good, err := grpcauth.New(mw, grpcauth.Skip(checkMethod), grpcauth.Guards{watchMethod: grpcauth.RequireFresh()})
	if err != nil {
		t.Fatal(err)
	}
	if err := good.CheckMethods(srv); err != nil {
		t.Errorf("CheckMethods: %v", err)
	}

	bad, err := grpcauth.New(mw, grpcauth.Skip("/grpc.health.v1.Health/Chek"), grpcauth.Guards{
		"/grpc.health.v1.Health/watch": grpcauth.RequireFresh(),
		"/grpc.health.v2.Health/List":  grpcauth.RequireFresh(),
		listMethod:                     grpcauth.RequireFresh(),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.CheckMethods(srv)
	if !errors.Is(err, grpcauth.ErrConfig) {
		t.Fatalf("CheckMethods: %v, want ErrConfig", err)
	}
	for _, name := range []string{"/grpc.health.v1.Health/Chek", "/grpc.health.v1.Health/watch", "/grpc.health.v2.Health/List"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("CheckMethods: %v does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), `"`+listMethod+`"`) {
		t.Errorf("CheckMethods: %v names %s, which is served", err, listMethod)
	}
}

// TestConcurrentCalls runs accepted and refused calls in parallel, for the
// race detector: a bounded number of calls on one loopback connection.
func TestConcurrentCalls(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	valid := issue(t, iss, map[string]any{"scope": "items:read"})
	client, _ := serveWith(t, mw, grpcauth.Guards{listMethod: grpcauth.RequireScope("items:write")})
	ctx := testContext(t)

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				value := "Bearer " + valid
				want := codes.OK
				if (g+i)%3 == 0 {
					value, want = "Bearer "+valid[:len(valid)-2], codes.Unauthenticated
				}
				_, err := client.Check(withAuth(ctx, value), &healthpb.HealthCheckRequest{})
				if got := status.Code(err); got != want {
					t.Errorf("Check: %v, want %v", err, want)
					return
				}
				_, err = client.List(withAuth(ctx, "Bearer "+valid), &healthpb.HealthListRequest{})
				if got := status.Code(err); got != codes.PermissionDenied {
					t.Errorf("List: %v, want PermissionDenied", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestAuthenticate checks Authenticate without a server: Skip of no names
// skips nothing, a skipped method gets its context back as it was, and
// another gets the claims.
func TestAuthenticate(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	auth, err := grpcauth.New(mw, grpcauth.Skip(), grpcauth.Skip(checkMethod))
	if err != nil {
		t.Fatal(err)
	}
	bare := context.Background()
	if _, err := auth.Authenticate(bare, listMethod); status.Code(err) != codes.Unauthenticated {
		t.Errorf("Authenticate(List) without a token: %v, want Unauthenticated", err)
	}
	if ctx, err := auth.Authenticate(bare, checkMethod); err != nil || ctx != bare {
		t.Errorf("Authenticate(Check, skipped) = %v, %v; want the context unchanged", ctx, err)
	}
	in := metadata.NewIncomingContext(bare, metadata.Pairs("authorization", "Bearer "+issue(t, iss, nil)))
	ctx, err := auth.Authenticate(in, listMethod)
	if c, ok := jwtauth.FromContext(ctx); err != nil || !ok || c.Subject() != "user-42" {
		t.Errorf("Authenticate(List) = %v, %v; want user-42's claims", ctx, err)
	}
	// Method names are compared exactly: one that differs in case, or
	// lacks the leading slash, is not skipped (gRPC itself routes neither
	// to Check).
	for _, m := range []string{"/grpc.health.v1.health/Check", "/grpc.health.v1.Health/check", "grpc.health.v1.Health/Check", checkMethod + "/"} {
		if _, err := auth.Authenticate(bare, m); status.Code(err) != codes.Unauthenticated {
			t.Errorf("Authenticate(%q) without a token: %v, want Unauthenticated", m, err)
		}
	}
}
