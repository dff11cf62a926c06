package jwtauth

import "context"

// contextKey is unexported, so no other package can place Claims in a context
// where FromContext would find them.
type contextKey struct{}

// middlewareKey marks a request that an Optional Middleware let through
// without a token, for the guards.
type middlewareKey struct{}

// NewContext returns a copy of ctx that carries c. [Middleware.Handler] does
// this for every authenticated request; call it yourself in tests, or after
// [Middleware.Authenticate].
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, contextKey{}, c)
}

// FromContext returns the verified claims that [Middleware.Handler] stored in
// ctx, and whether there were any. It does no work beyond the lookup.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(contextKey{}).(*Claims)
	return c, ok && c != nil
}

// ClaimsAs decodes the verified claims in ctx into a T, as [Claims.Decode]
// does, for handlers that want typed claims:
//
//	type User struct {
//		Sub   string   `json:"sub"`
//		Roles []string `json:"roles"`
//	}
//	u, err := jwtauth.ClaimsAs[User](r.Context())
//
// It returns [ErrMissingToken] when ctx carries no claims.
func ClaimsAs[T any](ctx context.Context) (T, error) {
	var v T
	c, ok := FromContext(ctx)
	if !ok {
		return v, ErrMissingToken
	}
	err := c.Decode(&v)
	return v, err
}

// DecodeAs decodes c into a T, as [Claims.Decode] does.
func DecodeAs[T any](c *Claims) (T, error) {
	var v T
	err := c.Decode(&v)
	return v, err
}
