// Command dpop shows DPoP (RFC 9449): access tokens bound to a key the
// client holds, so that a stolen token is useless without the key.
//
//	go -C examples run ./dpop            # serve, run the client, exit
//	go -C examples run ./dpop -serve     # and keep serving
//
// One server plays both parts: an authorization server's token endpoint
// and a resource server that accepts DPoP-bound tokens only. Then a client
// (package jwtauth/dpop, with a fresh ES256 key) gets a bound token, calls
// /me with a proof of its key, and plays the thief: the same token with a
// proof of another key, as a Bearer token, and with a replayed proof, each
// refused 401. It logs each step.
//
// Routes:
//
//	POST /token   demo login of the user "demo": a DPoP header required;
//	              200 {"access_token", "token_type": "DPoP", …}, or 400
//	              {"error": "invalid_dpop_proof"} or "use_dpop_nonce" with
//	              a DPoP-Nonce header
//	GET  /me      protected, DPoP only: 200, the token's claims as JSON; 401
//	              with a DPoP challenge (and DPoP-Nonce when a nonce is due)
//	GET  /.well-known/oauth-protected-resource
//	              public: the RFC 9728 metadata of /me's resource
//
// Flags: -addr (default localhost:8002), -nonces (default true: proofs
// must carry a server nonce, RFC 9449 §8), -serve (keep serving after the
// client's run), -client (default true). JWT_SECRET, when set, is the
// HS256 key of the tokens; otherwise a random one for this run.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authkit-go/authkit/examples/internal/serve"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, logger, nil); err != nil {
		logger.Error("dpop: " + err.Error())
		os.Exit(1)
	}
}

// run serves until ctx is done, or, without -serve, until the client's run
// ends. ready, when not nil, receives the address.
func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger, ready func(addr string)) error {
	flags := flag.NewFlagSet("dpop", flag.ContinueOnError)
	addr := flags.String("addr", "localhost:8002", "address to listen on")
	nonces := flags.Bool("nonces", true, "require server nonces in proofs (RFC 9449 §8)")
	keep := flags.Bool("serve", false, "keep serving after the client's run")
	client := flags.Bool("client", true, "run the client against the server")
	if err := flags.Parse(args); err != nil {
		return err
	}
	secret := []byte(getenv("JWT_SECRET"))
	if len(secret) == 0 {
		secret = []byte(rand.Text() + rand.Text())
		logger.Info("dpop: JWT_SECRET is not set; using a random secret for this run")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	origin := "http://" + ln.Addr().String()
	h, err := newApp(origin, secret, *nonces, logger)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,  // the request line and headers (slowloris)
		ReadTimeout:       10 * time.Second, // the whole request, body included
		WriteTimeout:      10 * time.Second, // the response, from the end of the headers
		IdleTimeout:       60 * time.Second, // a keep-alive connection between requests
		MaxHeaderBytes:    16 << 10,         // 16 KiB of headers: a token and a proof fit
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	started := func(a string) {
		if ready != nil {
			ready(a)
		}
		if !*client {
			done <- nil
			return
		}
		go func() {
			err := runClient(ctx, "http://"+a, logger)
			done <- err
			if !*keep {
				cancel()
			}
		}()
	}
	err = serve.Run(ctx, srv, ln, logger, started, "dpop", "nonces", *nonces)
	if cerr := <-done; cerr != nil && err == nil {
		err = fmt.Errorf("client: %w", cerr)
	}
	return err
}

// newApp returns the routes of the server at origin (scheme://host:port,
// as clients address it): the token endpoint, the resource and its
// metadata. The issuer and the resource share one MemoryStore, which is
// also their record of the DPoP proofs seen: a proof is accepted once, at
// either. Several instances would share a redisstore.Store instead.
func newApp(origin string, secret []byte, nonces bool, logger *slog.Logger) (http.Handler, error) {
	store := issuer.NewMemoryStore(0)
	dc := jwtauth.DPoPConfig{
		Algorithms: []string{"ES256", "EdDSA", "PS256"}, // advertised in the challenge and the metadata
		Nonces:     nonces,
		Replay:     store,
	}
	if nonces {
		// One nonce secret for both parts, so that a nonce of either is
		// good at both.
		dc.NonceSecret = []byte(rand.Text() + rand.Text())
	}
	iss, err := issuer.New(issuer.Config{
		Key:             issuer.SigningKey{Algorithm: "HS256", Key: secret},
		Issuer:          origin,
		AccessTokenType: "at+jwt",
		TTL:             15 * time.Minute,
		Store:           store,
		DPoP:            &dc,
	})
	if err != nil {
		return nil, fmt.Errorf("JWT_SECRET: %w", err)
	}
	rc := dc
	rc.Required = true // the resource refuses Bearer tokens
	metadata := origin + "/.well-known/oauth-protected-resource"
	mw, err := jwtauth.New(jwtauth.Config{
		Keys:             iss.Keys(),
		Issuer:           origin,
		Type:             "at+jwt", // an access token, never another JWT of the same key
		Store:            store,    // revocations: a logged-out session's tokens are refused
		DPoP:             &rc,
		ResourceMetadata: metadata,
		Exclude:          []string{"POST /token", "GET /.well-known/oauth-protected-resource"},
		Logger:           logger,
	})
	if err != nil {
		return nil, err
	}
	md, err := jwtauth.MetadataHandler(jwtauth.ResourceMetadata{
		Resource:                origin,
		AuthorizationServers:    []string{origin},
		DPoPAlgorithms:          rc.Algorithms,
		DPoPBoundTokensRequired: true,
		ResourceName:            "authkit DPoP example",
	})
	if err != nil {
		return nil, err
	}
	t := &tokenEndpoint{iss: iss, url: origin + "/token", log: logger}
	mux := http.NewServeMux()
	mux.Handle("POST /token", t)
	mux.Handle("GET /.well-known/oauth-protected-resource", md)
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtauth.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		body, _ := claims.MarshalJSON()
		w.Write(body)
	})
	return mw.Handler(mux), nil
}

// tokenEndpoint is the demo's login: a real one checks the user's
// credentials (or an authorization code) first.
type tokenEndpoint struct {
	iss *issuer.Issuer
	url string // as published: what the proofs' htu must be
	log *slog.Logger
}

func (t *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	proofs := r.Header.Values("DPoP")
	if len(proofs) != 1 {
		tokenError(w, "invalid_dpop_proof", "exactly one DPoP proof is required")
		return
	}
	toks, err := t.iss.LoginDPoP(r.Context(), "demo", map[string]any{"name": "Demo User"},
		issuer.DPoPProof{Proof: proofs[0], Method: r.Method, URL: t.url})
	switch {
	case errors.Is(err, jwtauth.ErrDPoPNonce):
		w.Header().Set("DPoP-Nonce", t.iss.DPoPNonce())
		tokenError(w, "use_dpop_nonce", "a DPoP nonce is required")
		return
	case errors.Is(err, jwtauth.ErrDPoPProof):
		tokenError(w, "invalid_dpop_proof", "the DPoP proof is invalid")
		return
	case err != nil:
		t.log.LogAttrs(r.Context(), slog.LevelError, "dpop: login failed", slog.String("error", err.Error()))
		http.Error(w, "cannot issue a token", http.StatusInternalServerError)
		return
	}
	if n := t.iss.DPoPNonce(); n != "" {
		w.Header().Set("DPoP-Nonce", n) // the next proof's nonce (RFC 9449 §8.2)
	}
	issuer.WriteTokens(w, toks)
}

// tokenError writes an RFC 6749 §5.2 error, 400, with fixed text.
func tokenError(w http.ResponseWriter, code, description string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "{\"error\":%q,\"error_description\":%q}\n", code, description)
}
