// Command authserver is an authorization server: it signs tokens with an
// asymmetric key and publishes the public keys, so that other services (see
// ../resource) verify its tokens without sharing a secret.
//
//	go -C examples run ./authserver                 # ES256 key made at start
//	go -C examples run ./authserver -key key.pem    # a PKCS#8 EC, RSA or Ed25519 key
//	kill -HUP <pid>                                 # rotate: reload -key, or make a new key
//
//	# a fleet: every instance on one Redis, each with a key of its own
//	go -C examples run ./authserver -addr localhost:8000 -issuer https://auth.example -redis-addr localhost:6379
//	go -C examples run ./authserver -addr localhost:8001 -issuer https://auth.example -redis-addr localhost:6379
//
// Routes:
//
//	GET  /.well-known/jwks.json                 the public keys (JWK Set)
//	GET  /.well-known/openid-configuration      issuer and jwks_uri, for discovery
//	GET  /readyz                                200 once the instance can sign, else 503
//	POST /token   grant_type=password&username=…&password=…   → token response
//	POST /token   grant_type=refresh_token&refresh_token=…     → a new pair
//	              400 invalid_grant (wrong password, unknown user, bad refresh
//	              token); 429 too_many_requests with Retry-After; 503
//	              temporarily_unavailable with Retry-After
//
// The demo users are admin / 1234 (scope "items:read items:write") and
// reader / 5678 (scope "items:read"). JWT_SECRET, when set, is the secret
// of refresh tokens, so that several instances accept each other's; when
// unset a random one is made and a log line says so. On SIGHUP the old key
// keeps verifying until the longest token it signed has expired.
//
// With -redis-addr, the instances are a fleet (issuer.Rotation): sessions
// and revocations are in Redis (with a near cache: a logout anywhere holds
// everywhere within 100 ms), and each instance makes its own key, publishes
// the public half through Redis -rotate-ahead before it signs with it, and
// makes a new one every -rotate-every; every instance's JWK Set serves the
// keys of all. No private key or secret is shared: refresh tokens are signed
// by a key of each instance's too, and refresh on any. -issuer is then
// required, the same on every instance. A new instance of a running fleet
// answers 503 (and /readyz 503) until its key has been published for
// -rotate-ahead; SIGHUP does nothing, rotation being automatic. -key and
// JWT_SECRET are not used.
//
// Both grants are throttled by package throttle. A wrong password (or an
// unknown user) counts against that username from that client address, and
// against the client: after 5 failures for one user, or 100 on any, the
// client waits 1 s, then twice as long after each further failure, up to 15
// minutes (429 with Retry-After and {"error":"too_many_requests"}). An
// invalid refresh token counts likewise, in counters of its own: per session
// (its sid) and client, and per client. Only the failing client waits, so nobody who knows a username
// can lock its owner out. The client is the connection's peer address (an
// IPv6 /64); behind a reverse proxy, name it with -trusted-proxy CIDR
// (repeatable, or comma-separated) and the client is read from
// X-Forwarded-For, past the trusted proxies only. No proxy is trusted by
// default. A grant that gets no password hashing slot within two seconds
// gets 503 temporarily_unavailable with Retry-After.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/authkit-go/authkit/examples/internal/redisconn"
	"github.com/authkit-go/authkit/examples/internal/serve"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/password"
	"github.com/authkit-go/authkit/throttle"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, logger, hup, nil); err != nil {
		logger.Error("authserver: " + err.Error())
		os.Exit(1)
	}
}

type options struct {
	addr, keyFile, alg, issuer, audience string
	ttl                                  time.Duration
	trustedProxies                       []netip.Prefix   // -trusted-proxy; default none
	hasher                               *password.Hasher // default argon2id, OWASP parameters
	hashWait                             time.Duration    // for a hashing slot; default 2s
	store                                issuer.Store     // sessions; default in memory
	redisAddr                            string           // -redis-addr: a fleet on this Redis
	rotateEvery, rotateAhead, rotatePoll time.Duration    // fleet rotation
}

// run serves until ctx is done; a value on rotate rotates the signing key.
// ready, when not nil, receives the listening address.
func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger, rotate <-chan os.Signal, ready func(string)) error {
	var o options
	flags := flag.NewFlagSet("authserver", flag.ContinueOnError)
	flags.StringVar(&o.addr, "addr", "localhost:8000", "address to listen on")
	flags.StringVar(&o.keyFile, "key", "", "PKCS#8 PEM private key file (default: a new key at start)")
	flags.StringVar(&o.alg, "alg", "", "signing algorithm (default: ES256, or the key's: RS256 for RSA, EdDSA for Ed25519)")
	flags.StringVar(&o.issuer, "issuer", "", `iss of the tokens (default "http://ADDR")`)
	flags.StringVar(&o.audience, "audience", "", "aud of the tokens (default: none)")
	flags.DurationVar(&o.ttl, "ttl", 15*time.Minute, "access token lifetime")
	flags.StringVar(&o.redisAddr, "redis-addr", "", "Redis host:port: sessions there, and fleet-wide key rotation, each instance with a key of its own (default: none; password from REDIS_PASSWORD)")
	flags.DurationVar(&o.rotateEvery, "rotate-every", 24*time.Hour, "with -redis-addr: how long each key signs")
	flags.DurationVar(&o.rotateAhead, "rotate-ahead", 20*time.Minute, "with -redis-addr: how long a key is published before it signs")
	flags.DurationVar(&o.rotatePoll, "rotate-poll", 30*time.Second, "with -redis-addr: how often the fleet's keys are re-read")
	flags.Func("trusted-proxy", "CIDR of a reverse proxy whose X-Forwarded-For names the client (repeatable or comma-separated; default: none)", cidrs(&o.trustedProxies))
	if err := flags.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if o.issuer == "" {
		if o.redisAddr != "" {
			return errors.New("-redis-addr needs -issuer, the same on every instance")
		}
		o.issuer = "http://" + ln.Addr().String()
	}
	if o.redisAddr != "" {
		rdb, err := redisconn.Dial(ctx, o.redisAddr, getenv("REDIS_PASSWORD"))
		if err != nil {
			return err
		}
		defer rdb.Close()
		store, err := redisstore.New(ctx, rdb, redisstore.Options{Logger: logger, NearCache: &redisstore.NearCacheOptions{}})
		if err != nil {
			return fmt.Errorf("redis at %s: %w", o.redisAddr, err)
		}
		defer store.Close()
		o.store = store
	}
	a, err := newApp(o, getenv, logger)
	if err != nil {
		return err
	}
	defer a.issuer.Close() // ends fleet rotation
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the rotation loop when the server stops
	go func() {
		for {
			select {
			case <-rotate:
				if a.o.redisAddr != "" {
					logger.Info("authserver: SIGHUP ignored: the fleet rotates its keys by itself")
					continue
				}
				if err := a.rotate(); err != nil {
					logger.Error("authserver: rotation failed; the current key stays", "error", err.Error())
				} else {
					logger.Info("authserver: rotated the signing key", "kid", a.issuer.KeyID())
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	// The server, as one reachable from the internet needs it: every phase of
	// a connection is bounded, so slow or idle clients cannot hold it open.
	srv := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,  // the request line and headers (slowloris)
		ReadTimeout:       10 * time.Second, // the whole request, body included
		WriteTimeout:      10 * time.Second, // the response, from the end of the headers
		IdleTimeout:       60 * time.Second, // a keep-alive connection between requests
		MaxHeaderBytes:    16 << 10,         // 16 KiB of headers, not net/http's 1 MiB
		// net/http's own errors (bad requests, TLS, panics) in the application's log.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return serve.Run(ctx, srv, ln, logger, ready, "authserver", "issuer", o.issuer, "kid", a.issuer.KeyID())
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

// app is the authorization server.
type app struct {
	o      options
	issuer *issuer.Issuer
	hasher *password.Hasher
	users  map[string]user
	logger *slog.Logger

	// logins counts failed password grants per username and client, and
	// per client; refreshes counts invalid refresh tokens per session and
	// client, and per client. Both
	// in this process's memory, bounded.
	logins, refreshes *throttle.Limiter
	clientIP          func(*http.Request) string
}

type user struct {
	hash  string
	scope string
}

func newApp(o options, getenv func(string) string, logger *slog.Logger) (*app, error) {
	if o.redisAddr != "" {
		return newFleetApp(o, logger)
	}
	key, err := loadKey(o)
	if err != nil {
		return nil, err
	}
	refreshSecret := []byte(getenv("JWT_SECRET"))
	if len(refreshSecret) == 0 {
		logger.Warn("authserver: JWT_SECRET is not set; refresh tokens use a random secret and will not survive a restart")
		refreshSecret = make([]byte, 32)
		rand.Read(refreshSecret)
	}
	iss, err := issuer.New(issuer.Config{
		Key:           key,
		Issuer:        o.issuer,
		Audience:      o.audience,
		TTL:           o.ttl,
		RefreshSecret: refreshSecret,
		Store:         o.store,
	})
	if err != nil {
		return nil, fmt.Errorf("JWT_SECRET or key: %w", err)
	}
	return setUp(&app{o: o, issuer: iss, hasher: o.hasher, logger: logger, users: map[string]user{}})
}

// newFleetApp makes the app of one instance of a fleet (-redis-addr): the
// Issuer rotates keys through o.store, with a key of its own.
func newFleetApp(o options, logger *slog.Logger) (*app, error) {
	ks, ok := o.store.(issuer.KeyStore)
	if !ok {
		return nil, errors.New("-redis-addr: the store keeps no keys")
	}
	alg := o.alg
	if alg == "" {
		alg = "ES256"
	}
	iss, err := issuer.New(issuer.Config{
		Rotation: &issuer.Rotation{Store: ks, Algorithm: alg, Every: o.rotateEvery, Ahead: o.rotateAhead, Poll: o.rotatePoll, Logger: logger},
		Issuer:   o.issuer,
		Audience: o.audience,
		TTL:      o.ttl,
		Store:    o.store,
	})
	if err != nil {
		return nil, fmt.Errorf("fleet rotation: %w", err)
	}
	a, err := setUp(&app{o: o, issuer: iss, hasher: o.hasher, logger: logger, users: map[string]user{}})
	if err != nil {
		iss.Close()
	}
	return a, err
}

// setUp completes a: hasher, throttles, client address, demo users.
func setUp(a *app) (*app, error) {
	o, err := a.o, error(nil)
	if a.hasher == nil {
		a.hasher = new(password.Hasher)
	}
	if a.o.hashWait <= 0 {
		a.o.hashWait = 2 * time.Second
	}
	if a.logins, err = throttle.New(throttle.Config{}); err != nil {
		return nil, err
	}
	if a.refreshes, err = throttle.New(throttle.Config{}); err != nil {
		return nil, err
	}
	// The client is the connection's peer, which no header can change,
	// unless the request comes through a proxy the operator trusts.
	a.clientIP = throttle.ClientIP
	if len(o.trustedProxies) > 0 {
		a.clientIP = throttle.TrustedProxies{CIDRs: o.trustedProxies}.ClientIP
	}
	for name, u := range map[string][2]string{"admin": {"1234", "items:read items:write"}, "reader": {"5678", "items:read"}} {
		h, err := a.hasher.Hash(context.Background(), u[0])
		if err != nil {
			return nil, err
		}
		a.users[name] = user{hash: h, scope: u[1]}
	}
	return a, nil
}

// loadKey reads -key, or makes a new key of -alg.
func loadKey(o options) (issuer.SigningKey, error) {
	var signer crypto.Signer
	if o.keyFile != "" {
		data, err := os.ReadFile(o.keyFile)
		if err != nil {
			return issuer.SigningKey{}, err
		}
		block, _ := pem.Decode(data)
		if block == nil {
			return issuer.SigningKey{}, errors.New("-key: no PEM block")
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return issuer.SigningKey{}, fmt.Errorf("-key: not a PKCS#8 private key: %w", err)
		}
		var ok bool
		if signer, ok = k.(crypto.Signer); !ok {
			return issuer.SigningKey{}, errors.New("-key: unsupported key type")
		}
	}
	alg := o.alg
	if alg == "" {
		switch signer.(type) {
		case *rsa.PrivateKey:
			alg = "RS256"
		case ed25519.PrivateKey:
			alg = "EdDSA"
		case *ecdsa.PrivateKey:
			alg = map[string]string{"P-384": "ES384", "P-521": "ES512"}[signer.(*ecdsa.PrivateKey).Curve.Params().Name]
		}
		if alg == "" {
			alg = "ES256"
		}
	}
	if signer == nil {
		var err error
		switch {
		case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
			signer, err = rsa.GenerateKey(rand.Reader, 3072)
		case alg == "EdDSA":
			_, signer, err = ed25519.GenerateKey(rand.Reader)
		case alg == "ES384":
			signer, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		case alg == "ES512":
			signer, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		default:
			signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		if err != nil {
			return issuer.SigningKey{}, err
		}
	}
	return issuer.SigningKey{Algorithm: alg, Key: signer}, nil
}

// rotate makes a new active key (from -key again, or a new one). The old
// one verifies until the longest token it signed has expired, then is
// retired.
func (a *app) rotate() error {
	key, err := loadKey(a.o)
	if err != nil {
		return err
	}
	old := a.issuer.KeyID()
	if err := a.issuer.Rotate(key); err != nil {
		return err
	}
	time.AfterFunc(a.o.ttl+time.Minute, func() { a.issuer.Retire(old) })
	return nil
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", a.issuer.JWKSHandler())
	mux.HandleFunc("GET /.well-known/openid-configuration", a.discovery)
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.HandleFunc("POST /token", a.token)
	return mux
}

// readyz is the readiness probe: 503 while the Issuer has no key it may
// sign with (an instance joining a fleet, a key store unreachable for
// longer than -rotate-ahead), so that a load balancer sends it no logins.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
	if !a.issuer.Ready() {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

func (a *app) discovery(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                a.o.issuer,
		"jwks_uri":                              a.o.issuer + "/.well-known/jwks.json",
		"token_endpoint":                        a.o.issuer + "/token",
		"grant_types_supported":                 []string{"password", "refresh_token"},
		"id_token_signing_alg_values_supported": []string{a.issuer.Algorithm()},
	})
}

// token is the OAuth 2.0 token endpoint (RFC 6749 §4.3 and §6).
func (a *app) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	var tokens *issuer.Tokens
	var err error
	client := a.clientIP(r)
	switch r.PostForm.Get("grant_type") {
	case "password":
		// Usernames are matched exactly, so the name is the throttle's
		// account.
		name, pw := r.PostForm.Get("username"), r.PostForm.Get("password")
		if !a.allow(w, r, a.logins, name, client) {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), a.o.hashWait)
		defer cancel()
		// Every failure does the same work, whatever the account (see
		// password.Hasher.Login).
		u, known := a.users[name]
		var ok bool
		ok, _, err = a.hasher.Login(ctx, pw, u.hash, known)
		if errors.Is(err, password.ErrBusy) {
			// Not checked, so not a failure.
			w.Header().Set("Retry-After", "1")
			oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable")
			return
		}
		if !ok {
			a.record(r, a.logins.Failure, name, client)
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		a.record(r, a.logins.Success, name, client)
		// The session records the client's device and address, for a
		// "your devices" list (Issuer.Sessions); both are cleaned and cut
		// to 200 bytes by the issuer.
		tokens, err = a.issuer.Login(r.Context(), name, map[string]any{"scope": u.scope},
			issuer.WithDevice(r.UserAgent()), issuer.WithAddress(client))
	case "refresh_token":
		// Failures count per session (the token's sid, read before it is
		// verified) and client, and per client.
		refresh := r.PostForm.Get("refresh_token")
		session := sessionOf(refresh)
		if !a.allow(w, r, a.refreshes, session, client) {
			return
		}
		tokens, err = a.issuer.Refresh(r.Context(), refresh)
		if errors.Is(err, jwtauth.ErrInvalidToken) {
			a.record(r, a.refreshes.Failure, session, client)
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	switch {
	case errors.Is(err, issuer.ErrNotReady):
		// A fleet instance whose key verifiers do not know yet.
		w.Header().Set("Retry-After", "5")
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable")
		return
	case errors.Is(err, issuer.ErrStoreFull):
		// The session store has no room for another login: retry later
		// (revocations never need room, so logouts still work).
		a.logger.Warn("authserver: session store full")
		w.Header().Set("Retry-After", "5")
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable")
		return
	case err != nil:
		a.logger.Error("authserver: token endpoint", "error", err.Error())
		oauthError(w, http.StatusInternalServerError, "server_error")
		return
	}
	issuer.WriteTokens(w, tokens)
}

// allow asks lim whether account may be tried from client now. When not, it
// answers 429 with Retry-After, or 503 when the throttle cannot tell (fail
// closed), and returns false.
func (a *app) allow(w http.ResponseWriter, r *http.Request, lim *throttle.Limiter, account, client string) bool {
	wait, err := lim.Check(r.Context(), account, client)
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		w.Header().Set("Retry-After", throttle.RetryAfter(wait))
		oauthError(w, http.StatusTooManyRequests, "too_many_requests")
		return false
	case err != nil:
		a.logger.ErrorContext(r.Context(), "authserver: throttle unavailable", "error", err.Error())
		w.Header().Set("Retry-After", "1")
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable")
		return false
	}
	return true
}

// record reports a failure or a success to the throttle; its error, which
// changes nothing in the response, is logged.
func (a *app) record(r *http.Request, f func(context.Context, string, string) error, account, client string) {
	if err := f(r.Context(), account, client); err != nil {
		a.logger.ErrorContext(r.Context(), "authserver: throttle", "error", err.Error())
	}
}

// oauthError writes an RFC 6749 §5.2 error response.
func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// sessionOf returns the account that a refresh token's failures count under:
// its session (the sid claim), read before the token is verified, or
// "refresh" when none can be read. A forger can write any sid there, but that
// only chooses which of his own client's counters a failure goes to: the
// counters of a session from another client, and the client's own counter of
// all its failures, are not his to choose.
func sessionOf(refreshToken string) string {
	_, rest, ok := strings.Cut(refreshToken, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(payload) > 4096 {
		return "refresh"
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "refresh"
	}
	var c struct {
		Sid string `json:"sid"`
	}
	if json.Unmarshal(b, &c) != nil || c.Sid == "" || len(c.Sid) > 128 {
		return "refresh"
	}
	return "sid:" + c.Sid
}
