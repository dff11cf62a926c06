// Command resource is an API that accepts the tokens of an authorization
// server it shares no secret with (see ../authserver): it verifies them
// against the server's published keys, fetched and kept fresh in the
// background, and picks up a rotated key without a restart.
//
//	go -C examples run ./authserver &
//	go -C examples run ./resource -issuer http://localhost:8000
//
// Flags: -addr (default localhost:8001, so that it runs beside authserver
// on its default port), -jwks-url (default
// http://localhost:8000/.well-known/jwks.json; http:// only for loopback
// hosts), -issuer and -audience (checked when given). It holds no secret, so
// JWT_SECRET is not read.
//
// Routes:
//
//	GET /me        protected: 200, the token's claims as JSON
//	GET /items     protected, scope items:read: 200 ["…"]
//	GET /healthz   public: 200 "ok" while the process runs (liveness)
//	GET /readyz    public: 200 {"ready":true,"keys":N,"fetched":…} when the
//	               authorization server's keys are in use, 503 with
//	               Retry-After otherwise (readiness: route no traffic here)
//
// When the keys cannot be had (the JWKS endpoint is down or hangs and no
// good keys are left), a request gets 503 with Retry-After within
// RemoteOptions.MaxWait (2 s), well inside the server's WriteTimeout, never a
// dropped connection.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authkit-go/authkit/examples/internal/serve"
	"github.com/authkit-go/authkit/jwtauth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], logger, nil); err != nil {
		logger.Error("resource: " + err.Error())
		os.Exit(1)
	}
}

// run serves until ctx is done. ready, when not nil, receives the address.
func run(ctx context.Context, args []string, logger *slog.Logger, ready func(string)) error {
	flags := flag.NewFlagSet("resource", flag.ContinueOnError)
	addr := flags.String("addr", "localhost:8001", "address to listen on")
	jwksURL := flags.String("jwks-url", "http://localhost:8000/.well-known/jwks.json", "the authorization server's JWK Set")
	issuer := flags.String("issuer", "", "required iss of tokens (default: not checked)")
	audience := flags.String("audience", "", "required aud of tokens (default: not checked)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	keys := jwtauth.Remote(ctx, *jwksURL, jwtauth.RemoteOptions{
		AllowLoopbackHTTP: true, // refused for any host but loopback
		MissRefresh:       10 * time.Second,
		MaxWait:           2 * time.Second, // well under WriteTimeout below
		Logger:            logger,
	})
	defer keys.Close()
	h, err := newApp(keys, keys.Status, *issuer, *audience, logger)
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
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,  // the request line and headers (slowloris)
		ReadTimeout:       10 * time.Second, // the whole request, body included
		WriteTimeout:      10 * time.Second, // the response, from the end of the headers
		IdleTimeout:       60 * time.Second, // a keep-alive connection between requests
		MaxHeaderBytes:    16 << 10,         // 16 KiB of headers, not net/http's 1 MiB
		// net/http's own errors (bad requests, TLS, panics) in the application's log.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return serve.Run(ctx, srv, ln, logger, ready, "resource", "jwks", *jwksURL)
}

// newApp returns the routes; status reports the state of the keys, for
// /readyz (nil: always ready, for static keys).
func newApp(keys jwtauth.Keys, status func() jwtauth.RemoteStatus, issuer, audience string, logger *slog.Logger) (http.Handler, error) {
	mw, err := jwtauth.New(jwtauth.Config{
		Keys:     keys,
		Issuer:   issuer,
		Audience: audience,
		Exclude:  []string{"GET /healthz", "GET /readyz"},
		Logger:   logger,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		st := jwtauth.RemoteStatus{Ready: true}
		if status != nil {
			st = status()
		}
		if !st.Ready {
			// The reason is in the log (LastError); a public endpoint
			// says only that the keys are not ready.
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		body := map[string]any{"ready": st.Ready, "keys": st.Keys}
		if !st.LastSuccess.IsZero() {
			body["fetched"] = st.LastSuccess.UTC().Format(time.RFC3339)
		}
		json.NewEncoder(w).Encode(body)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtauth.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(claims)
	})
	mux.Handle("GET /items", jwtauth.RequireScope("items:read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode([]string{"apple", "pear"})
	})))
	return mw.Handler(mux), nil
}
