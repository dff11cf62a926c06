// Package accounts is the users example: registration and login against a
// SQLite table of accounts, with the OAuth 2.0 password grant, rotating
// refresh tokens, logout, the list of one's sessions, a password change, and
// a protected route. It is a package so that the load generator
// (examples/load) can start the very same server in-process; the command is
// examples/users.
//
// Routes:
//
//	POST   /auth/register      JSON {"username","password","email"} → 201 the user; 409 taken
//	POST   /auth/token         form username, password (grant_type=password) → 200 tokens; 401; 429
//	POST   /auth/refresh       JSON {"refresh_token"} → 200 a new pair; 401 (a reused one revokes its session); 429
//	POST   /auth/logout        Bearer → 204; the token and its session stop working
//	POST   /auth/logout-all    Bearer → 204; every session and token of the account stops working
//	GET    /auth/sessions      Bearer → 200 [{"id","created","refreshed","expires","device","address","current"}]
//	DELETE /auth/sessions/{id} Bearer → 204 that session of the caller's ended; 404 no such session of the caller's
//	POST   /auth/password      Bearer, fresh → JSON {"current_password","new_password"} → 204; every other session ends
//	DELETE /auth/account       Bearer, fresh → 204; the account is deleted and all its sessions end
//	GET    /secure-data        Bearer → 200 {"message","status":"Authorized"}
//
// The sub of the tokens is the account's id, which is never given to
// another account, not its username: a session outlives neither its account
// nor a deletion followed by a new registration of the same name.
package accounts

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/otelauth"
	"github.com/authkit-go/authkit/password"
	"github.com/authkit-go/authkit/throttle"
)

// Config configures the server. DB and Secret are required.
type Config struct {
	// DB is the database from Open.
	DB *sql.DB

	// Secret is the HS256 secret, at least 32 bytes. Access tokens that the
	// FastAPI recipe signs with the same secret ({"sub","exp"}, no kid) are
	// accepted too.
	Secret []byte

	// Logger gets server-side failures and rejected tokens. Default: none.
	Logger *slog.Logger

	// AccessTTL is the lifetime of access tokens. Default 15 minutes.
	AccessTTL time.Duration

	// Store keeps the sessions and revocations. Default: an
	// issuer.MemoryStore, for one process. Instances that serve the same
	// users share one, a redisstore.Store of the same Redis (see Run's
	// -redis-addr), so that a login, a refresh or a logout on one holds on
	// all of them.
	Store issuer.Store

	// RefreshSecret is the secret of refresh tokens: at least 32 bytes,
	// not Secret. Default: one the issuer derives from Secret. Instances
	// that share sessions need the same one; Run sets it for -redis-addr.
	RefreshSecret []byte

	// MaxSessionsPerSubject bounds the sessions of one account: a login
	// past it ends the account's oldest session, so that nobody can fill
	// the Store by logging in again and again. Default 32.
	MaxSessionsPerSubject int

	// RefreshGrace lets the refresh token just replaced be presented again
	// for this long (two tabs refreshing at once) without ending the
	// session as a reuse. Default 0: a refresh token works once.
	RefreshGrace time.Duration

	// Metrics, when set, counts verifications, rejections and session
	// operations (logins, refreshes, reuse, logouts) in OpenTelemetry; Run
	// serves them for Prometheus with -metrics-addr. Default: none.
	Metrics *otelauth.Observer

	// Hasher hashes and verifies passwords. Default: the zero Hasher
	// (argon2id, OWASP parameters, GOMAXPROCS computations at once).
	Hasher *password.Hasher

	// HashWait bounds the password work of one request: a computation that
	// has not got one of the Hasher's slots by then is not started, and the
	// request gets 503 with Retry-After. A computation once started runs to
	// its end, so a login whose password checks out late still succeeds, and
	// a hash upgrade that would start too late waits for the next login.
	// Default 2 seconds.
	HashWait time.Duration

	// Logins counts failed logins (a wrong password, an unknown user) per
	// username, in canonical form, and client, and per client; a client that
	// keeps failing waits longer and longer (429 with Retry-After). Only the
	// failing client waits: the real user, from another client, is never
	// locked out. Default: throttle.New's defaults (5 free failures per
	// username and client, 100 per client, waits from 1 s doubling up to 15
	// minutes), in this process's memory. Instances that serve the same
	// users share a Backend (see Run's -redis-addr), or each gives an
	// attacker its own free failures.
	Logins *throttle.Limiter

	// Refreshes counts invalid refresh tokens (expired, forged, reused) per
	// session and client, and per client, the session being the token's sid
	// read before it is verified. Default as Logins, in a memory of its own:
	// refresh failures never spend the login budget of a client.
	Refreshes *throttle.Limiter

	// Registrations counts registrations, taken names included, per client:
	// 20 free, then waits as for Logins. Default in memory.
	Registrations *throttle.Limiter

	// ClientIP names the client of a request for the Limiters. Default
	// throttle.ClientIP: the connection's peer address (an IPv6 /64), which
	// no header can change. Behind a reverse proxy, use
	// throttle.TrustedProxies (Run's -trusted-proxy).
	ClientIP func(*http.Request) string

	// Now returns the current time, for tests. Default time.Now.
	Now func() time.Time
}

// server is the application behind New.
type server struct {
	cfg    Config
	db     *sql.DB
	issuer *issuer.Issuer
	hasher *password.Hasher
	log    *slog.Logger
}

// The throttle configurations of the Limiters, without a Backend: New makes
// them in memory, Run in Redis for -redis-addr.
func loginThrottle() throttle.Config { return throttle.Config{} } // 5 free failures per username and client, 100 per client

func refreshThrottle() throttle.Config { return throttle.Config{} } // the same, for invalid refresh tokens

// registrationThrottle allows 20 registrations per client before the waits
// begin; every registration counts under one account name.
func registrationThrottle() throttle.Config {
	return throttle.Config{AccountClient: throttle.Limit{Free: 20}, Client: throttle.Limit{Free: 20}}
}

// New returns the application: its routes behind the authentication
// middleware, with security headers on every response.
func New(cfg Config) (http.Handler, error) {
	if cfg.DB == nil {
		return nil, errors.New("accounts: Config.DB is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Hasher == nil {
		cfg.Hasher = new(password.Hasher)
	}
	if err := cfg.Hasher.Validate(); err != nil {
		return nil, err
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for _, l := range []struct {
		lim **throttle.Limiter
		cfg throttle.Config
	}{
		{&cfg.Logins, loginThrottle()},
		{&cfg.Refreshes, refreshThrottle()},
		{&cfg.Registrations, registrationThrottle()},
	} {
		if *l.lim != nil {
			continue
		}
		l.cfg.Now = cfg.Now
		lim, err := throttle.New(l.cfg)
		if err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		*l.lim = lim
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = throttle.ClientIP
	}
	s := &server{
		cfg:    cfg,
		db:     cfg.DB,
		hasher: cfg.Hasher,
		log:    cfg.Logger,
	}
	icfg := issuer.Config{
		Key:                   issuer.SigningKey{Algorithm: "HS256", Key: cfg.Secret},
		TTL:                   cfg.AccessTTL,
		RefreshSecret:         cfg.RefreshSecret,
		RefreshGrace:          cfg.RefreshGrace,
		MaxSessionsPerSubject: cfg.MaxSessionsPerSubject,
		Store:                 cfg.Store,
		OnRefresh:             s.onRefresh,
		Now:                   cfg.Now,
	}
	if cfg.Metrics != nil { // never a typed nil in the interface
		icfg.Observer = cfg.Metrics
	}
	iss, err := issuer.New(icfg)
	if err != nil {
		return nil, fmt.Errorf("accounts: secret: %w", err)
	}
	s.issuer = iss
	// issuer.Keys() verifies the issuer's tokens and, for a token without a
	// kid (the FastAPI recipe's), uses the one HS256 key it holds: the same
	// secret. It also brings the issuer's revocation store, so a logout
	// takes effect here. No audience: see the README's interop note.
	mcfg := jwtauth.Config{
		Keys:    iss.Keys(),
		Exclude: []string{"/auth/register", "/auth/token", "/auth/refresh"},
		Logger:  cfg.Logger,
		Now:     cfg.Now,
	}
	if cfg.Metrics != nil {
		mcfg.Observer = cfg.Metrics
	}
	mw, err := jwtauth.New(mcfg)
	if err != nil {
		return nil, fmt.Errorf("accounts: secret: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/register", s.register)
	mux.HandleFunc("POST /auth/token", s.token)
	mux.HandleFunc("POST /auth/refresh", s.refresh)
	mux.HandleFunc("POST /auth/logout", s.logout)
	mux.HandleFunc("POST /auth/logout-all", s.logoutAll)
	mux.HandleFunc("GET /auth/sessions", s.sessions)
	mux.HandleFunc("DELETE /auth/sessions/{id}", s.endSession)
	// Changing the password and deleting the account need a token from a
	// login, not a refresh (403 insufficient_scope otherwise): whoever
	// stole a refresh token cannot lock the owner out.
	mux.Handle("POST /auth/password", jwtauth.RequireFresh()(http.HandlerFunc(s.changePassword)))
	mux.Handle("DELETE /auth/account", jwtauth.RequireFresh()(http.HandlerFunc(s.deleteAccount)))
	mux.HandleFunc("GET /secure-data", s.secureData)
	return headers(mw.Handler(mux)), nil
}

// register creates an account: 201 with the user, 409 when the username is
// taken, 422 when a field breaks its rule.
func (s *server) register(w http.ResponseWriter, r *http.Request) {
	client := s.cfg.ClientIP(r)
	if !s.allow(w, r, s.cfg.Registrations, "register", client) {
		return
	}
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Email    string `json:"email"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeRequestError(w, e)
		return
	}
	bad := fieldErrors{}
	bad.check("username", validUsername(req.Username), ruleUsername)
	bad.check("email", validEmail(req.Email), ruleEmail)
	bad.check("password", len(req.Password) >= minPassword && len(req.Password) <= maxPassword, rulePassword)
	if len(bad) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error": "invalid_fields", "error_description": "some fields break their rules", "fields": bad,
		})
		return
	}
	// Every registration that gets this far counts, a taken name too: each
	// answer tells whether a name exists.
	if err := s.cfg.Registrations.Failure(r.Context(), "register", client); err != nil {
		s.log.ErrorContext(r.Context(), "users: registration throttle", "err", err)
	}
	// Checking first spares a hash computation; the UNIQUE constraint still
	// decides when two registrations race.
	switch taken, err := userExists(r.Context(), s.db, req.Username); {
	case err != nil:
		s.serverError(w, r, err)
		return
	case taken:
		writeError(w, http.StatusConflict, "username_taken", "the username is taken")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HashWait)
	defer cancel()
	hash, err := s.hasher.Hash(ctx, req.Password)
	if err != nil {
		s.hashError(w, r, err)
		return
	}
	u, err := createUser(r.Context(), s.db, req.Username, req.Email, hash, s.cfg.Now())
	switch {
	case errors.Is(err, errDuplicate):
		writeError(w, http.StatusConflict, "username_taken", "the username is taken")
	case err != nil:
		s.serverError(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, u)
	}
}

// token is the OAuth 2.0 password grant (RFC 6749 §4.3): 200 with an access
// and a refresh token, or 401. An unknown username and a wrong password get
// the same response after the same work.
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	f, e := parseForm(w, r, "grant_type", "username", "password")
	if e != nil {
		writeRequestError(w, e)
		return
	}
	grant, username, pw := f[0], f[1], f[2]
	if grant != "" && grant != "password" {
		writeRequestError(w, errBadGrant)
		return
	}
	bad := fieldErrors{}
	bad.check("username", username != "", ruleRequired)
	bad.check("password", pw != "", ruleRequired)
	if len(bad) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error": "invalid_request", "error_description": "username and password are required", "fields": bad,
		})
		return
	}

	// Before the password is looked at: has this client failed too often,
	// on this account or on all? The account is the canonical username,
	// the one every spelling of it logs in to.
	account, client := canonical(username), s.cfg.ClientIP(r)
	if !s.allow(w, r, s.cfg.Logins, account, client) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HashWait)
	defer cancel()
	// Hasher.Login makes every failure do the same work, for an unknown
	// name as for a wrong password on argon2id or on a legacy bcrypt hash.
	found := false
	var id int64
	var name, stored string
	if validUsername(username) {
		var err error
		id, name, stored, err = credentials(r.Context(), s.db, username)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, errNoUser):
			s.serverError(w, r, err)
			return
		}
	}
	ok, newHash, err := s.hasher.Login(ctx, pw, stored, found)
	if err != nil || !ok {
		if err != nil && !errors.Is(err, password.ErrPasswordTooLong) && !isBusy(err) {
			// The stored hash cannot be read: the account needs attention.
			s.log.Error("users: stored password hash unusable", "user_id", id, "err", err)
		}
		s.rejectLogin(w, r, account, client, err)
		return
	}
	if err := s.cfg.Logins.Success(r.Context(), account, client); err != nil {
		s.log.ErrorContext(r.Context(), "users: login throttle", "err", err)
	}
	if newHash != "" {
		// A legacy hash (bcrypt from passlib, older parameters) is replaced
		// now that the password is known. A failure is retried next login.
		if err := replaceHash(r.Context(), s.db, id, stored, newHash); err != nil {
			s.log.Error("users: password hash upgrade failed", "user_id", id, "err", err)
		} else {
			s.log.Info("users: password hash upgraded", "user_id", id)
		}
	}
	// The subject is the account's id, which no other account will ever
	// have; the name as registered, whatever case the login used, is a
	// private claim that OnRefresh keeps up to date. The session records
	// the client's User-Agent and address for GET /auth/sessions.
	tokens, err := s.issuer.Login(r.Context(), strconv.FormatInt(id, 10), map[string]any{"name": name},
		issuer.WithDevice(r.UserAgent()), issuer.WithAddress(client))
	if err != nil {
		s.issuerError(w, r, err)
		return
	}
	issuer.WriteTokens(w, tokens)
}

// rejectLogin answers a failed login: 503 when no hashing slot was free in
// time, which is no failure since the password was not checked; otherwise
// 401, whatever the reason, after counting the failure.
func (s *server) rejectLogin(w http.ResponseWriter, r *http.Request, account, client string, err error) {
	if isBusy(err) {
		s.hashError(w, r, err)
		return
	}
	if err := s.cfg.Logins.Failure(r.Context(), account, client); err != nil {
		s.log.ErrorContext(r.Context(), "users: login throttle", "err", err)
	}
	writeRequestError(w, errCredentials)
}

// refresh exchanges a refresh token for a new pair. A refresh token works
// once: presenting it again revokes its whole session (every access and
// refresh token of the same login). The session of a deleted account ends
// at its next refresh (see onRefresh).
func (s *server) refresh(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if e := decodeJSON(w, r, &req); e != nil {
		writeRequestError(w, e)
		return
	}
	if req.RefreshToken == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error": "invalid_request", "error_description": "refresh_token is required", "fields": fieldErrors{"refresh_token": ruleRequired},
		})
		return
	}
	session, client := sessionOf(req.RefreshToken), s.cfg.ClientIP(r)
	if !s.allow(w, r, s.cfg.Refreshes, session, client) {
		return
	}
	tokens, err := s.issuer.Refresh(r.Context(), req.RefreshToken)
	if errors.Is(err, jwtauth.ErrInvalidToken) {
		if err := s.cfg.Refreshes.Failure(r.Context(), session, client); err != nil {
			s.log.ErrorContext(r.Context(), "users: refresh throttle", "err", err)
		}
	}
	switch {
	case errors.Is(err, issuer.ErrRefreshReused):
		s.log.Warn("users: refresh token reused; session revoked")
		writeError(w, http.StatusUnauthorized, "invalid_grant", "the refresh token was already used; its session is revoked, log in again")
	case errors.Is(err, issuer.ErrSessionDenied):
		s.log.Info("users: refresh for a deleted account; session ended")
		writeError(w, http.StatusUnauthorized, "invalid_grant", "the refresh token is invalid, expired or revoked")
	case errors.Is(err, jwtauth.ErrInvalidToken):
		writeError(w, http.StatusUnauthorized, "invalid_grant", "the refresh token is invalid, expired or revoked")
	case errors.Is(err, errAccountsUnavailable):
		// The accounts could not be read: the session is left as it was,
		// and the same refresh token works once the database answers.
		s.log.ErrorContext(r.Context(), "users: refresh: accounts unavailable", "err", err)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the server cannot check this account now; retry shortly")
	case err != nil:
		s.issuerError(w, r, err)
	default:
		if err := s.cfg.Refreshes.Success(r.Context(), session, client); err != nil {
			s.log.ErrorContext(r.Context(), "users: refresh throttle", "err", err)
		}
		issuer.WriteTokens(w, tokens)
	}
}

// sessionOf returns the account that a refresh token's failures count
// under: its session (the sid claim), read before the token is verified,
// or "refresh" when none can be read. A forger can write any sid there, but
// that only chooses which of his own client's counters a failure goes to:
// the counters of a session from another client, and the client's own
// counter of all its failures, are not his to choose.
//
// Valid refreshes are not limited: each retires the token presented, so a
// session refreshes one at a time, and concurrent use of one token is a
// reuse, which revokes the session and counts as failures. A limit per
// client of valid refreshes would slow every user behind one NAT.
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

// logout revokes the presented access token and its session.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	claims, _ := jwtauth.FromContext(r.Context())
	switch err := s.issuer.Logout(r.Context(), claims); {
	case errors.Is(err, issuer.ErrNotRevocable):
		// A token minted elsewhere (the FastAPI recipe's has only sub and
		// exp) has nothing to revoke it by. Say so, rather than answer 204
		// and leave it working.
		writeError(w, http.StatusBadRequest, "invalid_request", "this token has no jti or sid and cannot be revoked; it stays valid until it expires")
		return
	case err != nil:
		s.issuerError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// secureData is the protected resource.
func (s *server) secureData(w http.ResponseWriter, r *http.Request) {
	claims, _ := jwtauth.FromContext(r.Context())
	writeJSON(w, http.StatusOK, map[string]string{
		"message": "Hello " + displayName(claims) + ", this is secure data",
		"status":  "Authorized",
	})
}

// displayName returns the username a token is for: its "name" claim, or for
// a token of the FastAPI recipe, whose sub is the username, its sub.
func displayName(c *jwtauth.Claims) string {
	var v struct {
		Name string `json:"name"`
	}
	if err := c.Decode(&v); err == nil && v.Name != "" {
		return v.Name
	}
	return c.Subject()
}

// allow asks lim whether account may be tried from client now. When not, it
// answers 429 with the seconds to wait (RFC 6585 §4), or 503 when the
// throttle's Backend cannot answer (fail closed: guessing is never
// unthrottled because Redis is down), and returns false.
func (s *server) allow(w http.ResponseWriter, r *http.Request, lim *throttle.Limiter, account, client string) bool {
	wait, err := lim.Check(r.Context(), account, client)
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		w.Header().Set("Retry-After", throttle.RetryAfter(wait))
		writeError(w, http.StatusTooManyRequests, "too_many_requests", "too many failed attempts; retry later")
		return false
	case err != nil:
		s.log.ErrorContext(r.Context(), "users: throttle unavailable", "route", r.Pattern, "err", err)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the server cannot check this request now; retry shortly")
		return false
	}
	return true
}

// isBusy reports whether a password computation did not start because no
// slot freed up in time (or the client went away meanwhile).
func isBusy(err error) bool {
	return errors.Is(err, password.ErrBusy) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// hashError answers an error from hashing: 503 when the hasher is busy, 500
// otherwise.
func (s *server) hashError(w http.ResponseWriter, r *http.Request, err error) {
	if isBusy(err) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the server is busy; retry shortly")
		return
	}
	s.serverError(w, r, err)
}

// issuerError answers an error of the issuer that is not about the
// request: 503 with Retry-After when the session store has no room for
// another session (a login can succeed later; revocations never need
// room), 500 when the store failed, or for anything else. The response text
// is fixed; the error goes to the log only.
func (s *server) issuerError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, issuer.ErrStoreFull):
		s.log.WarnContext(r.Context(), "users: session store full", "route", r.Pattern)
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "no room for another session now; retry later")
	case errors.Is(err, jwtauth.ErrStore):
		s.log.ErrorContext(r.Context(), "users: session store failed", "method", r.Method, "route", r.Pattern, "err", err)
		writeError(w, http.StatusInternalServerError, "server_error", "internal error")
	default:
		s.serverError(w, r, err)
	}
}

// serverError logs err, which never holds a password or a token, and
// answers 500 without details.
func (s *server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "users: request failed", "method", r.Method, "route", r.Pattern, "err", err)
	writeError(w, http.StatusInternalServerError, "server_error", "internal error")
}

func writeRequestError(w http.ResponseWriter, e *requestError) {
	writeError(w, e.status, e.code, e.description)
}

func writeError(w http.ResponseWriter, status int, code, description string) {
	if status == http.StatusUnauthorized {
		// RFC 9110 §15.5.2: a 401 names the scheme to authenticate with.
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// headers sets what every response carries: nothing is cached, nothing is
// sniffed, nothing is framed.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
