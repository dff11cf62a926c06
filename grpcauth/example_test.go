package grpcauth_test

import (
	"context"
	"errors"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/authkit-go/authkit/grpcauth"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// whoami is the health service, with a List that tells who called it.
type whoami struct{ *health.Server }

func (s whoami) List(ctx context.Context, req *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	claims, _ := jwtauth.FromContext(ctx) // always there: List is not skipped
	fmt.Println("List called by", claims.Subject(), claims.Scopes())
	return s.Server.List(ctx, req)
}

// A server whose health Check needs no token and whose List needs the
// scope health:list, and a client that sends a token.
func Example() {
	ctx := context.Background()
	secret := []byte("an example secret of 32 bytes or more, from the environment")
	iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret}})
	if err != nil {
		panic(err)
	}
	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys()})
	if err != nil {
		panic(err)
	}

	// The server.
	auth, err := grpcauth.New(mw,
		grpcauth.Skip("/grpc.health.v1.Health/Check"),
		grpcauth.Guards{"/grpc.health.v1.Health/List": grpcauth.RequireScope("health:list")},
	)
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(auth.Unary()),
		grpc.ChainStreamInterceptor(auth.Stream()),
	)
	healthpb.RegisterHealthServer(srv, whoami{health.NewServer()})
	if err := auth.CheckMethods(srv); err != nil {
		panic(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(lis)
	defer srv.Stop()

	// The client. Use transport security beyond loopback.
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)

	_, err = client.Check(ctx, &healthpb.HealthCheckRequest{})
	fmt.Println("Check without a token:", status.Code(err))
	_, err = client.List(ctx, &healthpb.HealthListRequest{})
	fmt.Println("List without a token:", status.Code(err), status.Convert(err).Message())

	token, err := iss.Issue(ctx, "user-42", map[string]any{"scope": "health:read"})
	if err != nil {
		panic(err)
	}
	_, err = client.List(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), &healthpb.HealthListRequest{})
	fmt.Println("List without the scope:", status.Code(err))

	token, err = iss.Issue(ctx, "user-42", map[string]any{"scope": "health:read health:list"})
	if err != nil {
		panic(err)
	}
	_, err = client.List(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), &healthpb.HealthListRequest{})
	fmt.Println("List with the scope:", status.Code(err))
	// Output:
	// Check without a token: OK
	// List without a token: Unauthenticated grpcauth: authentication required
	// List without the scope: PermissionDenied
	// List called by user-42 [health:read health:list]
	// List with the scope: OK
}

// New refuses what could skip more than was meant, rather than guess.
func ExampleNew_misconfigured() {
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC([]byte("an example secret of 32 bytes or more, from the environment"))})
	if err != nil {
		panic(err)
	}
	_, err = grpcauth.New(mw, grpcauth.Skip("/grpc.health.v1.Health/*"))
	fmt.Println(err)
	_, err = grpcauth.New(mw, grpcauth.Guards{"/items.v1.Items/Delete": grpcauth.RequireScope("")})
	fmt.Println(err, errors.Is(err, jwtauth.ErrGuard))
	// Output:
	// grpcauth: invalid config: Skip[0]: "/grpc.health.v1.Health/*": not a full method name "/package.Service/Method" (exact names only, no patterns)
	// grpcauth: invalid config: Guards["/items.v1.Items/Delete"]: jwtauth: guard requires nothing (empty scope or claim name) true
}

// A handler checks a rule that depends on the request itself, and answers
// as the interceptors would.
func ExampleGuard_Check() {
	admin := grpcauth.RequireClaim("role", "admin")
	handler := func(ctx context.Context, force bool) error {
		claims, _ := jwtauth.FromContext(ctx)
		if force {
			if err := admin.Check(claims); err != nil {
				return grpcauth.Status(err).Err()
			}
		}
		return nil
	}
	err := handler(context.Background(), true) // a context without claims
	fmt.Println(status.Code(err), status.Convert(err).Message())
	// Output: Unauthenticated grpcauth: authentication required
}
