// Package grpcauth authenticates the calls of a gRPC server with the bearer
// tokens of package [jwtauth]: one [jwtauth.Middleware] verifies the tokens of
// both an HTTP API and a gRPC service, with the same keys, rules, store and
// cache.
//
// # Quick start
//
//	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(secret), Issuer: "https://auth.example.com"})
//	if err != nil {
//		return err
//	}
//	auth, err := grpcauth.New(mw,
//		grpcauth.Skip("/grpc.health.v1.Health/Check"),
//		grpcauth.Guards{"/items.v1.Items/Delete": grpcauth.RequireScope("items:write")},
//	)
//	if err != nil {
//		return err // a pattern where a method name belongs, an empty scope…
//	}
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(auth.Unary()),
//		grpc.ChainStreamInterceptor(auth.Stream()),
//	)
//	itemspb.RegisterItemsServer(srv, items)
//	if err := auth.CheckMethods(srv); err != nil {
//		return err // a misspelt method name
//	}
//
// A client sends the token in the "authorization" metadata, as an HTTP
// client sends the header, with per-RPC credentials or with
//
//	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
//
// Over anything but a loopback connection, use transport security: a bearer
// token is a password for as long as it lives (RFC 6750 §5.3).
//
// # Claims in handlers
//
// A handler reads the verified claims with [jwtauth.FromContext], or decodes
// them into a struct of its own with [jwtauth.ClaimsAs]; in a streaming
// handler the context is the stream's:
//
//	func (s *items) Delete(ctx context.Context, req *itemspb.DeleteRequest) (*itemspb.DeleteResponse, error) {
//		claims, _ := jwtauth.FromContext(ctx) // there unless the method is skipped
//		acct, err := jwtauth.ClaimsAs[Account](ctx) // type Account struct{ Tenant string `json:"tenant"` }
//		if err != nil {
//			return nil, status.Error(codes.Internal, "unreadable claims")
//		}
//		return s.delete(ctx, claims.Subject(), acct.Tenant, req)
//	}
//
//	func (s *items) Watch(req *itemspb.WatchRequest, stream itemspb.Items_WatchServer) error {
//		claims, _ := jwtauth.FromContext(stream.Context())
//		…
//	}
//
// The claims there are those the interceptors verified for this call; a
// skipped method's handler gets none, even when the call carries a token.
//
// # Status codes
//
// A refused call never reaches its handler. It gets the code of its
// error's class, as [Status] maps it: Unauthenticated for a missing,
// malformed, repeated, invalid, expired or revoked token; PermissionDenied
// when a guard refuses; Unavailable when the keys cannot be had (a remote
// key set never fetched); Internal for a failing revocation store and for a
// guard or interceptor configured to require nothing. The messages are
// fixed text.
//
// # Security considerations
//
//   - The Middleware decides everything about the token: algorithms, keys,
//     issuer, audience, typ (refresh tokens of the issuer package are never
//     access tokens), expiry, revocation by its [jwtauth.Store], the
//     Validate hook. Its HTTP-only settings (Exclude, Optional, Cookie,
//     Realm, ErrorHandler, Logger) have no effect here: [Skip] is the only
//     way past authentication, and a call without a valid token is always
//     refused.
//   - A call must carry exactly one "authorization" value, with the Bearer
//     scheme (any case) and one RFC 6750 b64token, as parsed by
//     [jwtauth.BearerToken]; two values are refused even when they are
//     equal. No other metadata key is read ("authorization-bin" is not
//     "authorization").
//   - Method names in [Skip] and [Guards] are exact full method names as gRPC
//     routes them, "/package.Service/Method", compared byte for byte with the
//     call's. There are no patterns, prefixes or wildcards, and [New] refuses
//     anything shaped like one, and the empty name, rather than skip more
//     than was meant. A misspelt name cannot skip a real method, but it can
//     leave one unguarded: call [Interceptors.CheckMethods].
//   - A guard that requires nothing ([RequireScope] with an empty scope,
//     [RequireClaim] with an empty name or value, [All] of nothing) makes
//     [New] fail; through [UnaryServerInterceptor] and
//     [StreamServerInterceptor], which cannot return the error, every call
//     is answered Internal instead. A misconfiguration never lets calls
//     through.
//   - A failing store fails closed (Internal). The status message never holds
//     the token, text from the call, or the store's error, which may hold a
//     connection string or a token's id; a status carried by the store's
//     error is not passed on.
//   - The Middleware's Store and Validate hook get the call's context, where
//     metadata.FromIncomingContext and peer.FromContext work. Its Observer is
//     told of verified tokens, but not of refused calls: those are the
//     HTTP Middleware's to report. Count them with an interceptor of your
//     own outside these, by status code.
//   - Put the interceptors first in the chain, so that no other interceptor
//     (logging metadata, say) handles a call before it is authenticated.
package grpcauth
