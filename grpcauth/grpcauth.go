package grpcauth

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/authkit-go/authkit/jwtauth"
)

// ErrConfig is the class of every error that [New] and
// [Interceptors.CheckMethods] return for a configuration they refuse. The
// message names the option at fault; it holds configuration, never a token.
var ErrConfig = errors.New("grpcauth: invalid config")

// configError returns an error matching ErrConfig, and cause when there is
// one.
func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// An Option configures [New]: [Skip] or [Guards].
type Option interface {
	apply(*config) error
}

// config is what the Options build, before New checks it as a whole.
type config struct {
	skip   map[string]struct{}
	guards map[string]Guard
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// Skip lets calls of the named methods through without authentication:
// their handlers see the context as it came, without claims, whatever
// authorization metadata the call carries. Each name is a full method name
// as gRPC routes it, "/package.Service/Method" (for example
// "/grpc.health.v1.Health/Check"), and is matched exactly. There are no
// patterns: a name with anything but a service and a method made of
// letters, digits, '_' and (in the service) '.' makes [New] fail, and so
// does an empty name, so "/pkg.Svc/*" or "" can never skip everything.
// To skip a whole service, list its methods. Skip with no names skips
// nothing.
func Skip(methods ...string) Option {
	methods = append([]string(nil), methods...)
	return optionFunc(func(c *config) error {
		for i, m := range methods {
			if err := checkMethod(m); err != nil {
				return configError("Skip[%d]: %w", i, err)
			}
			c.skip[m] = struct{}{}
		}
		return nil
	})
}

// errMethodName explains what a full method name is.
var errMethodName = errors.New(`not a full method name "/package.Service/Method" (exact names only, no patterns)`)

// checkMethod reports whether m is a full method name: "/", a service name
// (identifiers separated by '.'), "/", a method name (an identifier), the
// shape of every name that protoc-gen-go-grpc generates. It admits no '*',
// no trailing '/', nothing that could read as a pattern or a prefix.
func checkMethod(m string) error {
	rest, ok := strings.CutPrefix(m, "/")
	if !ok {
		return fmt.Errorf("%q: %w", m, errMethodName)
	}
	service, method, ok := strings.Cut(rest, "/")
	if !ok || !isIdent(method) {
		return fmt.Errorf("%q: %w", m, errMethodName)
	}
	for part := range strings.SplitSeq(service, ".") {
		if !isIdent(part) {
			return fmt.Errorf("%q: %w", m, errMethodName)
		}
	}
	return nil
}

// isIdent reports whether s is a protobuf identifier: a letter or '_', then
// letters, digits and '_'.
func isIdent(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Interceptors authenticate the calls of a gRPC server with a
// [jwtauth.Middleware]. Make them with [New]; they are immutable and safe for
// concurrent use. The zero value, and a nil *Interceptors, answer every call
// with codes.Internal: an interceptor that was never configured lets nothing
// through.
type Interceptors struct {
	mw     *jwtauth.Middleware
	skip   map[string]struct{}
	guards map[string]Guard
}

// New returns the interceptors that authenticate each call with mw: the
// token of the call's "authorization" metadata, "Bearer <token>", is
// verified by [jwtauth.Middleware.Verify], and the handler runs with its
// claims in the context (see [jwtauth.FromContext]). Calls without a valid
// token never reach the handler. Methods listed by [Skip] pass without
// authentication, and those in [Guards] must also satisfy their guard.
//
// New fails, with an error matching [ErrConfig], when mw is nil, when an
// option names something that is not an exact full method name, when a
// method is both skipped and guarded or guarded twice, and when a guard
// requires nothing (the error then matches [jwtauth.ErrGuard] too).
func New(mw *jwtauth.Middleware, opts ...Option) (*Interceptors, error) {
	if mw == nil {
		return nil, configError("Middleware is nil")
	}
	c := config{skip: map[string]struct{}{}, guards: map[string]Guard{}}
	for i, o := range opts {
		if o == nil {
			return nil, configError("option %d is nil", i)
		}
		if err := o.apply(&c); err != nil {
			return nil, err
		}
	}
	for m := range c.guards {
		if _, ok := c.skip[m]; ok {
			return nil, configError("%q is both skipped and guarded; a skipped call has no claims to guard", m)
		}
	}
	return &Interceptors{mw: mw, skip: c.skip, guards: c.guards}, nil
}

// UnaryServerInterceptor returns New(mw, opts...).Unary(), for a server
// set up in one expression:
//
//	grpc.NewServer(grpc.ChainUnaryInterceptor(grpcauth.UnaryServerInterceptor(mw)))
//
// When New would fail, the interceptor answers every call with
// codes.Internal, so a mistake in the options shows on the first call and
// never lets calls through. Use New to see the error at start-up instead.
func UnaryServerInterceptor(mw *jwtauth.Middleware, opts ...Option) grpc.UnaryServerInterceptor {
	in, err := New(mw, opts...)
	if err != nil {
		in = &Interceptors{} // fails closed
	}
	return in.Unary()
}

// StreamServerInterceptor returns New(mw, opts...).Stream(), answering every
// call with codes.Internal when New would fail, as [UnaryServerInterceptor]
// does.
func StreamServerInterceptor(mw *jwtauth.Middleware, opts ...Option) grpc.StreamServerInterceptor {
	in, err := New(mw, opts...)
	if err != nil {
		in = &Interceptors{} // fails closed
	}
	return in.Stream()
}

// Unary returns the interceptor for unary calls. Put it first in
// grpc.ChainUnaryInterceptor, so that no other interceptor sees an
// unauthenticated call.
func (in *Interceptors) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := in.Authenticate(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// Stream returns the interceptor for streaming calls. The handler gets a
// grpc.ServerStream whose Context carries the claims. Put it first in
// grpc.ChainStreamInterceptor.
func (in *Interceptors) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, skipped, err := in.authenticate(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		if !skipped {
			ss = &serverStream{ServerStream: ss, ctx: ctx}
		}
		return handler(srv, ss)
	}
}

// serverStream is a grpc.ServerStream with the claims in its context.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }

// Authenticate decides a call of fullMethod whose incoming context is ctx,
// as the interceptors do, for code that dispatches calls itself: it returns
// ctx with the verified claims (ctx itself for a skipped method), or a
// status error with a fixed message (see [Status]) and a nil context.
func (in *Interceptors) Authenticate(ctx context.Context, fullMethod string) (context.Context, error) {
	ctx, _, err := in.authenticate(ctx, fullMethod)
	return ctx, err
}

func (in *Interceptors) authenticate(ctx context.Context, fullMethod string) (context.Context, bool, error) {
	if in == nil || in.mw == nil {
		return nil, false, Status(errUnconfigured).Err()
	}
	if _, ok := in.skip[fullMethod]; ok {
		return ctx, true, nil
	}
	c, err := in.verify(ctx)
	if err == nil {
		if g, ok := in.guards[fullMethod]; ok {
			err = g.Check(c)
		}
	}
	if err != nil {
		return nil, false, Status(err).Err()
	}
	return jwtauth.NewContext(ctx, c), false, nil
}

// errUnconfigured is the error of Interceptors not made by New.
var errUnconfigured = errors.New("grpcauth: interceptors not configured")

// verify finds the call's one bearer token and verifies it.
func (in *Interceptors) verify(ctx context.Context) (*jwtauth.Claims, error) {
	vals := metadata.ValueFromIncomingContext(ctx, "authorization")
	switch len(vals) {
	case 0:
		return nil, jwtauth.ErrMissingToken
	case 1:
	default:
		return nil, jwtauth.ErrMultipleTokens
	}
	token, err := jwtauth.BearerToken(vals[0])
	if err != nil {
		return nil, err
	}
	return in.mw.Verify(ctx, token)
}

// CheckMethods reports, with an error matching [ErrConfig], every method
// named by [Skip] or [Guards] that srv does not serve: a misspelt guard
// would otherwise leave its method authenticated but unguarded, since a
// guard is looked up by exact name. Call it after registering the services,
// with the *grpc.Server:
//
//	if err := auth.CheckMethods(srv); err != nil {
//		log.Fatal(err)
//	}
func (in *Interceptors) CheckMethods(srv interface {
	GetServiceInfo() map[string]grpc.ServiceInfo
}) error {
	if in == nil || in.mw == nil {
		return configError("Interceptors were not made by New")
	}
	info := srv.GetServiceInfo()
	var missing []string
	for m := range in.skip {
		if !serves(info, m) {
			missing = append(missing, fmt.Sprintf("Skip %q", m))
		}
	}
	for m := range in.guards {
		if !serves(info, m) {
			missing = append(missing, fmt.Sprintf("Guards[%q]", m))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return configError("no such method on the server: %s", strings.Join(missing, ", "))
	}
	return nil
}

// serves reports whether info has the full method name m.
func serves(info map[string]grpc.ServiceInfo, m string) bool {
	service, method, _ := strings.Cut(m[1:], "/")
	for _, mi := range info[service].Methods {
		if mi.Name == method {
			return true
		}
	}
	return false
}
