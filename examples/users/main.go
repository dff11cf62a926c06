// Command users is the register-and-login recipe of the FastAPI JWT tutorials,
// on authkit: accounts in SQLite (pure Go, no cgo), passwords hashed with
// argon2id, the OAuth 2.0 password grant, rotating refresh tokens, logout,
// and the sessions of an account: listing them, ending one or all, and a
// password change that ends all but the current one.
//
//	go -C examples run ./users                      # http://localhost:8000, users.db
//	JWT_SECRET=… go -C examples run ./users -addr localhost:9000 -db /var/lib/app/users.db
//
// Without JWT_SECRET the secret is random (a log line says so), and tokens do
// not survive a restart. Try it:
//
//	curl -s localhost:8000/auth/register -H 'Content-Type: application/json' \
//	     -d '{"username":"alice","password":"correct horse","email":"alice@example.com"}'
//	curl -s localhost:8000/auth/token -d username=alice -d 'password=correct horse'
//	curl -s localhost:8000/secure-data -H "Authorization: Bearer $ACCESS_TOKEN"
//
// Routes:
//
//	POST /auth/register  JSON {"username","password","email"} → 201 {"id","username","email","created_at"}
//	                     409 username taken; 422 a field breaks its rule; 400 not JSON; 413 over 16 KiB
//	POST /auth/token     form username, password (OAuth 2.0 password grant)
//	                     → 200 {"access_token","token_type":"bearer","expires_in","refresh_token"}; 401
//	POST /auth/refresh   JSON {"refresh_token"} → 200 a new pair; 401 invalid, or reused: the
//	                     whole session (every token of that login) is then revoked
//	                     all three: 429 with Retry-After when throttled (below); 503 with
//	                     Retry-After when no hashing slot is free, or the throttle cannot answer
//	POST /auth/logout    Bearer → 204; that access token and its session stop working
//	GET  /secure-data    Bearer → 200 {"message","status":"Authorized"}
//
// The account's own routes take an access token from a login here (any
// other gets 403 insufficient_scope):
//
//	GET    /auth/sessions       → 200 [{"id","created","refreshed","expires","device","address","current"}]:
//	                              the account's live sessions (each login is one, which its
//	                              refreshes continue); device is the login's User-Agent, address
//	                              its client, current marks the session of the request's token
//	DELETE /auth/sessions/{id}  → 204 that session ended; 404 the caller has no such live session
//	POST   /auth/logout-all     → 204 every session and token of the account ended, this one too
//	POST   /auth/password       JSON {"current_password","new_password"} → 204: the new password
//	                              holds, every other session ended, this one goes on; 403
//	                              invalid_password; 422; 429 after wrong guesses, as logins
//	DELETE /auth/account        → 204 the account deleted, all its sessions ended
//
// Changing the password and deleting the account need a fresh token, one
// from the password grant rather than a refresh (403 insufficient_scope
// otherwise), so that a stolen refresh token can do neither.
//
// A session store with no room for another login gives 503 with Retry-After
// (logouts always work); a failing one 500.
//
// The table is users(id, username UNIQUE, email, password_hash, created_at),
// created or migrated at start; a table of the FastAPI recipe's shape gains
// created_at. Usernames (3 to 32 letters, digits, '_', '.', '-') are unique
// whatever their case, by a UNIQUE index on lower(username): "Ada" and
// "ada" are one account, which logs in by either spelling and keeps the one
// it registered with; registering "ADA" after "ada" is 409. A database
// holding names that differ only in case is refused at start until they are
// renamed. Passwords stored as bcrypt (passlib) or with older argon2
// parameters are rehashed with argon2id at the next successful login.
//
// The sub of an account's tokens is its id, as a decimal string, and its
// username is their "name" claim. Ids are AUTOINCREMENT, never given twice
// (a table from before is rebuilt so at start), so a session never passes
// to a new account that took a deleted one's name. At every refresh the
// account is read again: a deleted account's session ends, and a changed
// name shows in the new tokens; while the database cannot be read, refreshes
// fail with 503 and sessions stay as they were.
//
// Every credential endpoint is throttled by package throttle, which counts
// failures, not attempts. A wrong password or an unknown username counts
// against that username (its lower-case form) from that client, and against
// the client: after 5 failures for one username, or 100 on any, the client
// waits 1 s, then twice as long after each further failure, up to 15
// minutes (429 with Retry-After); a right password clears the first
// counter. Only the failing client waits, so nobody who knows a username
// can lock its owner out: the real user, from another address, logs in. An
// invalid or reused refresh token counts likewise against its session (the
// sid it claims) from that client, and against the client, in counters of
// their own; valid refreshes are not limited, since each retires its token.
// Registrations count per client: 20, then waits. Logins wait at most two
// seconds for a hashing slot (503 with Retry-After), and an unknown username
// costs the same work as a wrong password, so timing does not reveal
// accounts.
//
// The client is the connection's peer address (an IPv6 /64). Behind a
// reverse proxy every request would come from the proxy: name it with
// -trusted-proxy CIDR (repeatable, or comma-separated), and the client is
// read from X-Forwarded-For, from the right, past the trusted proxies only.
// No proxy is trusted by default, so a client's own X-Forwarded-For is
// never read.
//
// Access tokens that the FastAPI recipe mints with the same JWT_SECRET
// ({"sub","exp"}, HS256, no kid) are accepted, and the recipe accepts ours:
// no audience is set. Refresh tokens carry typ refresh+jwt and are never
// accepted as access tokens.
//
// Sessions, revocations and the throttle's counters live in memory, for one
// process. Run several instances behind a load balancer with the same
// JWT_SECRET, the same database and -redis-addr host:port (REDIS_PASSWORD if
// Redis wants one): they then share them, so a login on one refreshes on
// another, a logout on one holds on all, and failures on one count on all
// (no free guesses per instance). Their refresh tokens are signed with
// JWT_REFRESH_SECRET, or when it is unset a secret derived from JWT_SECRET,
// the same on every instance. While Redis is unreachable, requests with tokens
// fail with 500 rather than let a revoked token through, and logins and
// refreshes with 503 rather than go unthrottled. The sessions are in Redis
// only: one that restarts without persistence has logged everyone out, and
// one whose maxmemory-policy evicts keys is refused at start (it would bring
// ended sessions back).
//
//	JWT_SECRET=… go -C examples run ./users -addr :8000 -redis-addr localhost:6379
//	JWT_SECRET=… go -C examples run ./users -addr :8001 -redis-addr localhost:6379
//
// With -metrics-addr host:port, the authentication metrics of package
// otelauth (verifications, rejections by reason, logins, refreshes, reuse
// detected, logouts) are served for Prometheus at http://host:port/metrics,
// on a listener of their own, off the public port.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/authkit-go/authkit/examples/users/accounts"
	"github.com/redis/go-redis/v9"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	redis.SetLogger(accounts.RedisLogger{Logger: logger})
	err := accounts.Run(ctx, newServer(logger), os.Args[1:], os.Getenv, logger, nil)
	if errors.Is(err, flag.ErrHelp) {
		return // the usage is printed
	}
	if err != nil {
		logger.Error("users: " + err.Error())
		os.Exit(1)
	}
}

// newServer returns the server, as one reachable from the internet needs it:
// every phase of a connection is bounded, so slow or idle clients cannot
// hold it open. accounts.Run sets its Handler.
func newServer(logger *slog.Logger) *http.Server {
	return &http.Server{
		ReadHeaderTimeout: 5 * time.Second,  // the request line and headers (slowloris)
		ReadTimeout:       10 * time.Second, // the whole request, body included
		WriteTimeout:      10 * time.Second, // the response, from the end of the headers
		IdleTimeout:       60 * time.Second, // a keep-alive connection between requests
		MaxHeaderBytes:    16 << 10,         // 16 KiB of headers, not net/http's 1 MiB
		// net/http's own errors (bad requests, TLS, panics) in the application's log.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
