// Command frameworks mounts the same authkit middleware and route guards in
// three routers: chi, gin and echo. Each router serves the same routes, and a
// rejected request gets the very same RFC 6750 response from each, because
// each runs the net/http middleware itself rather than a re-implementation.
//
//	export JWT_SECRET=$(openssl rand -base64 48)
//	go -C examples run ./frameworks -token                  # prints a token (scope items:read) and exits
//	go -C examples run ./frameworks -framework gin          # serves on http://localhost:8000
//	curl -H "Authorization: Bearer $TOKEN" localhost:8000/items
//
// Flags: -framework chi|gin|echo (default chi), -addr (default
// localhost:8000); -token prints a one-hour token for subject "demo" with the
// scopes of -scope (default "items:read") and the role of -role (default
// none), and exits: it needs JWT_SECRET, since a random secret would not be
// the server's. Without JWT_SECRET the server uses a random secret (a log
// line says so).
//
// Routes, in every router:
//
//	GET /healthz  public (excluded): 200 {"status":"ok"}
//	GET /me       any valid token: 200 {"sub","scopes","claims"}
//	GET /items    scope items:read (jwtauth.RequireScope): 200 {"items"}, else 403 insufficient_scope
//	GET /admin    claim role=admin (jwtauth.RequireClaim): 200 {"admin":true}, else 403
//
// A request without a token gets 401 with `WWW-Authenticate: Bearer
// realm="api"`; a bad, expired or tampered token 401 error="invalid_token".
//
// How each router takes the middleware (see chi.go, gin.go, echo.go):
//
//	chi:  r.Use(mw.Handler); r.With(jwtauth.RequireScope("items:read")).Get(…)
//	gin:  e.Use(ginMiddleware(mw.Handler)); e.GET(…, ginMiddleware(jwtauth.RequireScope("items:read")), …)
//	echo: e.Use(echo.WrapMiddleware(mw.Handler)); e.GET(…, h, echo.WrapMiddleware(jwtauth.RequireScope("items:read")))
//
// Handlers read the claims with jwtauth.FromContext on the request's context
// in all three.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/authkit-go/authkit/examples/internal/serve"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, logger, nil); err != nil {
		logger.Error("frameworks: " + err.Error())
		os.Exit(1)
	}
}

// routers are the routers this example can serve with.
var routers = map[string]func(*jwtauth.Middleware) http.Handler{
	"chi":  newChi,
	"gin":  newGin,
	"echo": newEcho,
}

// run serves with the chosen router until ctx is done, or with -token prints
// a token to stdout and returns. ready, when not nil, receives the address
// the server listens on.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, logger *slog.Logger, ready func(addr string)) error {
	flags := flag.NewFlagSet("frameworks", flag.ContinueOnError)
	addr := flags.String("addr", "localhost:8000", "address to listen on")
	framework := flags.String("framework", "chi", "router: chi, gin or echo")
	token := flags.Bool("token", false, "print a one-hour token for JWT_SECRET and exit")
	scope := flags.String("scope", "items:read", "with -token: the token's scopes, space-separated")
	role := flags.String("role", "", "with -token: the token's role claim")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return errors.New("unexpected arguments")
	}
	if *token {
		return printToken(ctx, getenv, stdout, *scope, *role)
	}
	newRouter, ok := routers[*framework]
	if !ok {
		return errors.New("-framework must be chi, gin or echo")
	}
	secret := []byte(getenv("JWT_SECRET"))
	if len(secret) == 0 {
		secret = make([]byte, 32)
		rand.Read(secret)
		logger.Warn("frameworks: JWT_SECRET is not set; using a random secret, so no token made elsewhere will verify")
	}
	mw, err := newMiddleware(secret, logger)
	if err != nil {
		return fmt.Errorf("JWT_SECRET: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// The server, as one reachable from the internet needs it: every phase of
	// a connection is bounded, so slow or idle clients cannot hold it open.
	srv := &http.Server{
		Handler:           newRouter(mw),
		ReadHeaderTimeout: 5 * time.Second,  // the request line and headers (slowloris)
		ReadTimeout:       10 * time.Second, // the whole request, body included
		WriteTimeout:      10 * time.Second, // the response, from the end of the headers
		IdleTimeout:       60 * time.Second, // a keep-alive connection between requests
		MaxHeaderBytes:    16 << 10,         // 16 KiB of headers, not net/http's 1 MiB
		// net/http's own errors (bad requests, TLS, panics) in the application's log.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return serve.Run(ctx, srv, ln, logger, ready, "frameworks", "framework", *framework)
}

// newMiddleware is the one Middleware that every router mounts.
func newMiddleware(secret []byte, logger *slog.Logger) (*jwtauth.Middleware, error) {
	return jwtauth.New(jwtauth.Config{
		Keys:    jwtauth.HMAC(secret),
		Exclude: []string{"GET /healthz"},
		Logger:  logger,
	})
}

// printToken writes a token signed with JWT_SECRET, for trying the server.
func printToken(ctx context.Context, getenv func(string) string, stdout io.Writer, scope, role string) error {
	secret := getenv("JWT_SECRET")
	if secret == "" {
		return errors.New("-token needs JWT_SECRET: the server must have the same secret")
	}
	iss, err := issuer.New(issuer.Config{
		Key: issuer.SigningKey{Algorithm: "HS256", Key: []byte(secret)},
		TTL: time.Hour,
	})
	if err != nil {
		return fmt.Errorf("JWT_SECRET: %w", err)
	}
	claims := map[string]any{"name": "Demo"}
	if scope = strings.Join(strings.Fields(scope), " "); scope != "" {
		claims["scope"] = scope
	}
	if role != "" {
		claims["role"] = role
	}
	token, err := iss.Issue(ctx, "demo", claims)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}

// The bodies of the routes, the same for every router.

func healthBody() map[string]string { return map[string]string{"status": "ok"} }

func meBody(c *jwtauth.Claims) map[string]any {
	scopes := c.Scopes()
	if scopes == nil {
		scopes = []string{}
	}
	return map[string]any{"sub": c.Subject(), "scopes": scopes, "claims": c}
}

func itemsBody() map[string]any {
	return map[string]any{"items": []string{"apple", "banana", "cherry"}}
}

func adminBody() map[string]bool { return map[string]bool{"admin": true} }
