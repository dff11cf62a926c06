// Command basic is the browser login flow of the FastAPI JWT recipe, on
// authkit: a home page, a login page, a JSON login that returns a token, and
// a protected endpoint.
//
//	go -C examples run ./basic            # then open http://localhost:8000
//	JWT_SECRET=… go -C examples run ./basic -addr localhost:9000
//
// The demo user is admin / 1234. The token is kept in the browser's
// localStorage and sent as "Authorization: Bearer", as the original recipe
// does; see the README for the cookie alternative.
//
// Routes:
//
//	GET  /          home page (public): "logged in as NAME", or off to /login
//	GET  /login     login form (public)
//	POST /login     {"name","password"} → 200 {"token"}; 401 wrong name or password;
//	                429 with Retry-After after too many failures; 503 with Retry-After
//	                when the password hasher is busy
//	GET  /user      protected: 200 {"name"}
//	GET  /static/   the pages' scripts and styles (public)
//
// Only exp and the signature are required of a token, so one that PyJWT
// minted with the same JWT_SECRET and claims {"id","name","exp"} is accepted.
//
// Logins are throttled by package throttle: after 5 wrong passwords for a
// name from one client address, that client waits 1 s, then twice as long
// after each further failure (up to 15 minutes), and after 100 failures on
// any names it waits likewise; 429 with Retry-After. Only the client that
// fails waits: the real user, from another address, logs in as usual, so
// nobody can lock him out by guessing. The client is the connection's peer
// address (an IPv6 /64); behind a reverse proxy, name it with
// -trusted-proxy CIDR (repeatable, or comma-separated), and the client is
// read from X-Forwarded-For, from the right, past the trusted proxies only.
// No proxy is trusted by default: a client's own X-Forwarded-For is never
// read.
package main

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/authkit-go/authkit/examples/internal/serve"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/password"
	"github.com/authkit-go/authkit/throttle"
)

//go:embed static
var static embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, logger, nil); err != nil {
		logger.Error("basic: " + err.Error())
		os.Exit(1)
	}
}

// run starts the server and serves until ctx is done. ready, when not nil,
// receives the address it listens on.
func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger, ready func(addr string)) error {
	flags := flag.NewFlagSet("basic", flag.ContinueOnError)
	addr := flags.String("addr", "localhost:8000", "address to listen on")
	var o options
	flags.Func("trusted-proxy", "CIDR of a reverse proxy whose X-Forwarded-For names the client (repeatable or comma-separated; default: none)", cidrs(&o.trustedProxies))
	if err := flags.Parse(args); err != nil {
		return err
	}
	secret, err := secretFrom(getenv, logger)
	if err != nil {
		return err
	}
	app, err := newApp(secret, logger, o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// The server, as one reachable from the internet needs it: every phase of
	// a connection is bounded, so slow or idle clients cannot hold it open.
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 5 * time.Second,  // the request line and headers (slowloris)
		ReadTimeout:       10 * time.Second, // the whole request, body included
		WriteTimeout:      10 * time.Second, // the response, from the end of the headers
		IdleTimeout:       60 * time.Second, // a keep-alive connection between requests
		MaxHeaderBytes:    16 << 10,         // 16 KiB of headers, not net/http's 1 MiB
		// net/http's own errors (bad requests, TLS, panics) in the application's log.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return serve.Run(ctx, srv, ln, logger, ready, "basic")
}

// secretFrom reads JWT_SECRET, or makes a random secret when it is unset.
func secretFrom(getenv func(string) string, logger *slog.Logger) ([]byte, error) {
	if s := getenv("JWT_SECRET"); s != "" {
		return []byte(s), nil
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	logger.Warn("basic: JWT_SECRET is not set; using a random secret, so tokens will not survive a restart")
	return secret, nil
}

// cidrs returns a flag.Func that appends to list each CIDR of its value:
// one, or several separated by commas.
func cidrs(list *[]netip.Prefix) func(string) error {
	return func(s string) error {
		for part := range strings.SplitSeq(s, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(part))
			if err != nil {
				return errors.New("want a CIDR such as 10.0.0.0/8 or fd00::/8")
			}
			*list = append(*list, p.Masked())
		}
		return nil
	}
}

// options are what newApp takes besides the secret. The zero value is the
// command's default.
type options struct {
	// trustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client of a request. Default: none.
	trustedProxies []netip.Prefix
	// hasher hashes and verifies passwords. Default: argon2id with OWASP
	// parameters, GOMAXPROCS computations at once.
	hasher *password.Hasher
	// hashWait bounds how long a login waits for a hashing slot before it
	// gets 503. Default 2 seconds.
	hashWait time.Duration
}

// app is the example's HTTP application.
type app struct {
	issuer    *issuer.Issuer
	hasher    *password.Hasher
	hashWait  time.Duration
	adminHash string // the demo user's password hash, made at start
	logins    *throttle.Limiter
	clientIP  func(*http.Request) string
	logger    *slog.Logger
}

// demoUser and demoPassword are the one account of the example.
const (
	demoUser     = "admin"
	demoPassword = "1234"
)

// newApp returns the whole application: routes, authentication, headers.
func newApp(secret []byte, logger *slog.Logger, o options) (http.Handler, error) {
	// The middleware holds the secret as one HS256 key without a kid. It
	// verifies the tokens of the FastAPI recipe, which carry no kid, and our
	// own, whose kid (derived from the secret by the Issuer) it does not
	// know: a token whose kid no key has is checked against the one key
	// without a kid.
	mw, err := jwtauth.New(jwtauth.Config{
		Keys:    jwtauth.HMAC(secret),
		Exclude: []string{"GET /{$}", "/login", "GET /static/"},
		Logger:  logger,
	})
	if err != nil {
		return nil, fmt.Errorf("JWT_SECRET: %w", err)
	}
	iss, err := issuer.New(issuer.Config{
		Key: issuer.SigningKey{Algorithm: "HS256", Key: secret},
		TTL: 30 * time.Minute,
	})
	if err != nil {
		return nil, err
	}
	// Failed logins are counted per name and client, and per client, in
	// this process's memory (bounded; the least recently used are forgotten
	// first, so a flood of made-up names refuses nobody).
	logins, err := throttle.New(throttle.Config{})
	if err != nil {
		return nil, err
	}
	a := &app{issuer: iss, hasher: o.hasher, hashWait: o.hashWait, logins: logins, logger: logger}
	if a.hasher == nil {
		a.hasher = new(password.Hasher)
	}
	if a.hashWait <= 0 {
		a.hashWait = 2 * time.Second
	}
	// The client is the connection's peer, which no header can change,
	// unless the request comes through a proxy the operator trusts.
	a.clientIP = throttle.ClientIP
	if len(o.trustedProxies) > 0 {
		a.clientIP = throttle.TrustedProxies{CIDRs: o.trustedProxies}.ClientIP
	}
	if a.adminHash, err = a.hasher.Hash(context.Background(), demoPassword); err != nil {
		return nil, err
	}

	pages, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", page(pages, "index.html"))
	mux.Handle("GET /login", page(pages, "login.html"))
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /user", a.user)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(pages)))
	return securityHeaders(mw.Handler(mux)), nil
}

// page serves one embedded HTML page.
func page(pages fs.FS, name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, pages, name)
	})
}

// login checks {"name","password"} and answers {"token"}.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	if err := dec.Decode(&req); err != nil || dec.Decode(new(json.RawMessage)) != io.EOF {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "send JSON {\"name\", \"password\"}"})
		return
	}
	// Names are matched exactly, so the name is the throttle's account.
	account, client := req.Name, a.clientIP(r)
	wait, err := a.logins.Check(r.Context(), account, client)
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		w.Header().Set("Retry-After", throttle.RetryAfter(wait))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too_many_requests", "error_description": "too many failed logins; retry later"})
		return
	case err != nil: // the throttle cannot tell: refuse rather than let guesses through
		a.logger.ErrorContext(r.Context(), "basic: login throttle unavailable", "err", err)
		unavailable(w)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.hashWait)
	defer cancel()
	// Login costs the same for an unknown name as for a wrong password, so
	// the response time does not tell which names exist.
	known := req.Name == demoUser
	stored := ""
	if known {
		stored = a.adminHash
	}
	ok, _, err := a.hasher.Login(ctx, req.Password, stored, known)
	if errors.Is(err, password.ErrBusy) {
		// No hashing slot freed up in time: the password was not checked,
		// so this is not a failure.
		unavailable(w)
		return
	}
	if !ok {
		if err := a.logins.Failure(r.Context(), account, client); err != nil {
			a.logger.ErrorContext(r.Context(), "basic: login throttle", "err", err)
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_credentials", "error_description": "wrong name or password"})
		return
	}
	if err := a.logins.Success(r.Context(), account, client); err != nil {
		a.logger.ErrorContext(r.Context(), "basic: login throttle", "err", err)
	}
	token, err := a.issuer.Issue(r.Context(), req.Name, map[string]any{"id": 1, "name": req.Name})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

// user answers the name in the verified token.
func (a *app) user(w http.ResponseWriter, r *http.Request) {
	claims, _ := jwtauth.FromContext(r.Context())
	var c struct {
		Name string `json:"name"`
	}
	if err := claims.Decode(&c); err != nil || c.Name == "" {
		c.Name = claims.Subject()
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": c.Name})
}

// unavailable answers 503 with Retry-After: the login could not be checked
// now.
func unavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable", "error_description": "the server is busy; retry shortly"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// securityHeaders sets the headers every response of the example carries: the
// pages load only their own scripts and cannot be framed.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
