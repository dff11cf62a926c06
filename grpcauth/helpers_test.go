package grpcauth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/authkit-go/authkit/grpcauth"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// The health service's methods: Check and List are unary, Watch streams.
const (
	checkMethod = "/grpc.health.v1.Health/Check"
	listMethod  = "/grpc.health.v1.Health/List"
	watchMethod = "/grpc.health.v1.Health/Watch"
)

// secret is the tests' HS256 key; kid is its key ID.
var secret = []byte("grpcauth test secret of at least thirty-two bytes")

const kid = "k1"

// newIssuer returns an issuer of secret whose clock is now.
func newIssuer(t testing.TB, now func() time.Time) *issuer.Issuer {
	t.Helper()
	iss, err := issuer.New(issuer.Config{
		Key: issuer.SigningKey{Algorithm: "HS256", Key: secret, ID: kid},
		Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// newMiddleware returns a Middleware that verifies iss's tokens, with cfg's
// other fields.
func newMiddleware(t testing.TB, iss *issuer.Issuer, cfg jwtauth.Config) *jwtauth.Middleware {
	t.Helper()
	cfg.Keys = iss.Keys()
	mw, err := jwtauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

// issue mints an access token for user-42 with claims.
func issue(t testing.TB, iss *issuer.Issuer, claims map[string]any) string {
	t.Helper()
	tok, err := iss.Issue(context.Background(), "user-42", claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// mint signs header and claims by hand with secret, for tokens the issuer
// would never make.
func mint(header, claims any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + b64(m.Sum(nil))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// seen is what the handlers of the test service saw.
type seen struct {
	mu     sync.Mutex
	calls  int
	claims *jwtauth.Claims // of the last call; nil when it had none
}

func (s *seen) record(ctx context.Context) {
	c, _ := jwtauth.FromContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.claims = c
}

func (s *seen) last() (int, *jwtauth.Claims) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, s.claims
}

// healthService is grpc's health service, recording the claims that each
// call's handler finds in its context.
type healthService struct {
	*health.Server
	seen *seen
}

func (h *healthService) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	h.seen.record(ctx)
	return h.Server.Check(ctx, req)
}

func (h *healthService) List(ctx context.Context, req *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	h.seen.record(ctx)
	return h.Server.List(ctx, req)
}

func (h *healthService) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	h.seen.record(stream.Context())
	return h.Server.Watch(req, stream)
}

// serve starts a gRPC server on a loopback port with the interceptors and
// the health service, and returns a client of it and what its handlers see.
func serve(t testing.TB, unary grpc.UnaryServerInterceptor, stream grpc.StreamServerInterceptor) (healthpb.HealthClient, *seen) {
	t.Helper()
	srv, s := newServer(unary, stream)
	return start(t, srv), s
}

func newServer(unary grpc.UnaryServerInterceptor, stream grpc.StreamServerInterceptor) (*grpc.Server, *seen) {
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream))
	s := &seen{}
	healthpb.RegisterHealthServer(srv, &healthService{Server: health.NewServer(), seen: s})
	return srv, s
}

func start(t testing.TB, srv *grpc.Server) healthpb.HealthClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		<-done
	})
	return healthpb.NewHealthClient(conn)
}

// serveWith serves with the interceptors of New(mw, opts...).
func serveWith(t testing.TB, mw *jwtauth.Middleware, opts ...grpcauth.Option) (healthpb.HealthClient, *seen) {
	t.Helper()
	auth, err := grpcauth.New(mw, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, auth.Unary(), auth.Stream())
}

// withAuth returns a context whose outgoing metadata has the authorization
// values.
func withAuth(ctx context.Context, values ...string) context.Context {
	kv := make([]string, 0, 2*len(values))
	for _, v := range values {
		kv = append(kv, "authorization", v)
	}
	return metadata.NewOutgoingContext(ctx, metadata.Pairs(kv...))
}

// testContext is a context that ends with the test, bounded.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
