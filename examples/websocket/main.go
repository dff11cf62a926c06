// Command websocket shows WebSockets authenticated with jwtauth, safely.
//
//	go -C examples run ./websocket          # then see the routes below
//
// A WebSocket handshake is a GET, and browsers attach cookies to it from any
// site: net/http.CrossOriginProtection, which guards the middleware's cookie
// tokens, lets every GET through, so a page on evil.example could open a
// socket to this server with the user's cookie (cross-site WebSocket
// hijacking). This server therefore checks the handshake's Origin itself,
// before anything else, against the origins it serves (-origin). Three ways
// to present the token:
//
//   - "Authorization: Bearer" on the handshake, for clients that can set
//     headers (servers, mobile apps, CLIs);
//   - the "token" cookie, for browsers on an allowed origin;
//   - the first message, {"token": "…"}, for browsers without a cookie: the
//     JavaScript WebSocket API cannot set headers, and the URL query, where a
//     token would end up in logs, is never read.
//
// The socket closes with 1008 (policy violation) when authentication fails,
// when no token arrives within -auth-timeout, and when the token expires.
//
// Routes:
//
//	POST /token   demo login: 200 {"access_token", …} for the user "demo"
//	GET  /ws      the WebSocket: echoes each text message as "SUB: message"
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/authkit-go/authkit/examples/internal/serve"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/coder/websocket"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, logger, nil); err != nil {
		logger.Error("websocket: " + err.Error())
		os.Exit(1)
	}
}

// origins is a repeatable -origin flag.
type origins []string

func (o *origins) String() string { return strings.Join(*o, ",") }
func (o *origins) Set(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
		return errors.New("an origin is scheme://host[:port]")
	}
	*o = append(*o, u.Scheme+"://"+u.Host)
	return nil
}

func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger, ready func(addr string)) error {
	flags := flag.NewFlagSet("websocket", flag.ContinueOnError)
	addr := flags.String("addr", "localhost:8000", "address to listen on")
	authTimeout := flags.Duration("auth-timeout", 5*time.Second, "how long a socket may wait for its token")
	ttl := flags.Duration("ttl", 15*time.Minute, "lifetime of the demo's tokens")
	var allowed origins
	flags.Var(&allowed, "origin", "an origin whose pages may open sockets (repeatable); default: the server's own")
	if err := flags.Parse(args); err != nil {
		return err
	}
	secret := []byte(getenv("JWT_SECRET"))
	if len(secret) == 0 {
		secret = []byte(rand.Text() + rand.Text())
		logger.Info("websocket: JWT_SECRET is not set; using a random secret for this run")
	}
	iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret}, TTL: *ttl})
	if err != nil {
		return fmt.Errorf("JWT_SECRET: %w", err)
	}
	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), Cookie: "token", Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if len(allowed) == 0 {
		allowed = origins{"http://" + ln.Addr().String()}
		if host, port, _ := net.SplitHostPort(*addr); host == "localhost" {
			allowed = append(allowed, "http://localhost:"+port)
		}
	}
	s := &server{mw: mw, iss: iss, origins: allowed, authTimeout: *authTimeout, ttl: *ttl, log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /ws", s.socket)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		// No ReadTimeout or WriteTimeout: they would cut long-lived sockets.
		// Each socket bounds itself: -auth-timeout for its token, the
		// token's exp for its life, and a read limit on each message.
		IdleTimeout:    60 * time.Second,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return serve.Run(ctx, srv, ln, logger, ready, "websocket", "origins", allowed.String())
}

type server struct {
	mw          *jwtauth.Middleware
	iss         *issuer.Issuer
	origins     []string
	authTimeout time.Duration
	ttl         time.Duration
	log         *slog.Logger
}

// token is the demo's login: a real one checks a password first.
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	tok, err := s.iss.Issue(r.Context(), "demo", nil)
	if err != nil {
		http.Error(w, "cannot issue a token", http.StatusInternalServerError)
		return
	}
	issuer.WriteTokens(w, &issuer.Tokens{AccessToken: tok, ExpiresIn: s.ttl})
}

// originAllowed reports whether the handshake may proceed: a browser always
// sends Origin, and it must be one this server serves; a client without
// Origin is not a browser, and sends no cookie it did not mean to.
func (s *server) originAllowed(r *http.Request) bool {
	origin := r.Header.Values("Origin")
	switch len(origin) {
	case 0:
		return true
	case 1:
		return slices.Contains(s.origins, origin[0])
	}
	return false
}

func (s *server) socket(w http.ResponseWriter, r *http.Request) {
	if !s.originAllowed(r) {
		// Before the token is even looked at: a foreign page's handshake
		// carries the user's cookie.
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	claims, err := s.mw.Authenticate(r) // the header, or the cookie
	if err != nil && !errors.Is(err, jwtauth.ErrMissingToken) {
		status := jwtauth.StatusCode(err)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
		}
		http.Error(w, http.StatusText(status), status) // fixed text, never err
		return
	}
	hosts := make([]string, 0, len(s.origins))
	for _, o := range s.origins {
		u, _ := url.Parse(o)
		hosts = append(hosts, u.Host)
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: hosts})
	if err != nil {
		return // Accept has answered
	}
	defer c.CloseNow()
	c.SetReadLimit(4 << 10)
	ctx := r.Context()
	if claims == nil {
		if claims, err = s.firstMessage(ctx, c); err != nil {
			c.Close(websocket.StatusPolicyViolation, "authentication failed")
			return
		}
	}
	// The socket lives as long as its token. (Not a context deadline: a
	// Read whose context ends drops the connection without a close frame.)
	expiry := time.AfterFunc(time.Until(claims.ExpiresAt()), func() {
		c.Close(websocket.StatusPolicyViolation, "token expired")
	})
	defer expiry.Stop()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			c.Close(websocket.StatusUnsupportedData, "text only")
			return
		}
		if err := c.Write(ctx, websocket.MessageText, append([]byte(claims.Subject()+": "), msg...)); err != nil {
			return
		}
	}
}

// firstMessage reads {"token": "…"} within the auth timeout and verifies it.
func (s *server) firstMessage(ctx context.Context, c *websocket.Conn) (*jwtauth.Claims, error) {
	timeout := time.AfterFunc(s.authTimeout, func() {
		c.Close(websocket.StatusPolicyViolation, "no token in time")
	})
	defer timeout.Stop()
	typ, msg, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageText {
		return nil, errors.New("no token message")
	}
	var m struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(msg, &m); err != nil || m.Token == "" {
		return nil, errors.New("not a token message")
	}
	return s.mw.Verify(ctx, m.Token)
}
