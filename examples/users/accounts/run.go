package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/authkit-go/authkit/examples/internal/redisconn"
	"github.com/authkit-go/authkit/examples/internal/serve"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/throttle"
)

// Run is the users command: it parses args (-addr, -db, -redis-addr,
// -trusted-proxy), reads JWT_SECRET (and, with -redis-addr,
// JWT_REFRESH_SECRET and REDIS_PASSWORD) with getenv, opens and migrates the
// database, connects to Redis when asked, and serves with srv, whose Handler
// it sets, until ctx is done. ready, when not nil, receives the address it
// listens on.
func Run(ctx context.Context, srv *http.Server, args []string, getenv func(string) string, logger *slog.Logger, ready func(addr string)) error {
	if srv == nil {
		return errors.New("accounts: Run needs an http.Server")
	}
	flags := flag.NewFlagSet("users", flag.ContinueOnError)
	addr := flags.String("addr", "localhost:8000", "address to listen on")
	dbPath := flags.String("db", "users.db", "SQLite database file; created and migrated at start")
	redisAddr := flags.String("redis-addr", "", "Redis host:port that keeps sessions, revocations and the throttle's counters, shared by every instance (default: in memory, for one process); password from REDIS_PASSWORD")
	metricsAddr := flags.String("metrics-addr", "", "address to serve OpenTelemetry metrics on, for Prometheus at /metrics (default: none); keep it off the public network")
	var proxies []netip.Prefix
	flags.Func("trusted-proxy", "CIDR of a reverse proxy whose X-Forwarded-For names the client (repeatable or comma-separated; default: none)", cidrs(&proxies))
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return errors.New("unexpected arguments")
	}
	secret, err := secretFrom(getenv, logger)
	if err != nil {
		return err
	}
	cfg := Config{Secret: secret, Logger: logger}
	// The client of a request is the connection's peer, which no header can
	// change, unless the request comes through a proxy the operator trusts.
	if len(proxies) > 0 {
		cfg.ClientIP = throttle.TrustedProxies{CIDRs: proxies}.ClientIP
	}
	if *redisAddr != "" {
		if getenv("JWT_SECRET") == "" {
			logger.Warn("users: -redis-addr without JWT_SECRET: other instances cannot verify this one's tokens")
		}
		rdb, err := redisconn.Dial(ctx, *redisAddr, getenv("REDIS_PASSWORD"))
		if err != nil {
			return err
		}
		defer rdb.Close()
		// Sessions and revocations in Redis, shared by every instance: a
		// login on one refreshes on another, and a logout anywhere holds
		// everywhere.
		// With a near cache: each instance answers the revocation check of
		// a request from memory, and honours a logout made on any other
		// within 100 ms (redisstore's package documentation).
		store, err := redisstore.New(ctx, rdb, redisstore.Options{Logger: logger, NearCache: &redisstore.NearCacheOptions{}})
		if err != nil {
			return fmt.Errorf("redis at %s: %w", *redisAddr, err)
		}
		defer store.Close()
		cfg.Store = store
		// And the same refresh secret, so that each verifies the refresh
		// tokens of the others.
		if cfg.RefreshSecret, err = refreshSecretFrom(getenv, secret); err != nil {
			return err
		}
		// The throttle's counters in the same Redis, so that limits hold
		// across instances: an attacker gets no free failures per instance.
		// Each Limiter has a prefix of its own, so they count apart.
		for _, l := range []struct {
			lim    **throttle.Limiter
			cfg    throttle.Config
			prefix string
		}{
			{&cfg.Logins, loginThrottle(), "login:"},
			{&cfg.Refreshes, refreshThrottle(), "refresh:"},
			{&cfg.Registrations, registrationThrottle(), "register:"},
		} {
			l.cfg.Backend = redisstore.NewThrottle(rdb, redisstore.Options{Prefix: redisstore.DefaultPrefix + "users:" + l.prefix})
			if *l.lim, err = throttle.New(l.cfg); err != nil {
				return err
			}
		}
	}
	if *metricsAddr != "" {
		stop, err := serveMetrics(ctx, &cfg, *metricsAddr, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	db, err := Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg.DB = db
	app, err := New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	revocations := "memory"
	if *redisAddr != "" {
		revocations = "redis " + *redisAddr
	}
	srv.Handler = app
	return serve.Run(ctx, srv, ln, logger, ready, "users", "db", *dbPath, "revocations", revocations, "throttle", revocations, "trusted_proxies", len(proxies))
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

// secretFrom reads JWT_SECRET, or makes a random secret when it is unset. A
// weak secret is refused before anything is created.
func secretFrom(getenv func(string) string, logger *slog.Logger) ([]byte, error) {
	if s := getenv("JWT_SECRET"); s != "" {
		if _, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC([]byte(s))}); err != nil {
			return nil, fmt.Errorf("JWT_SECRET: %w", err)
		}
		return []byte(s), nil
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	logger.Warn("users: JWT_SECRET is not set; using a random secret, so tokens will not survive a restart")
	return secret, nil
}

// refreshSecretFrom reads JWT_REFRESH_SECRET, the secret of refresh
// tokens, which instances that share sessions must share. When it is unset
// it is derived from the JWT_SECRET: one-way, so that it differs from it
// as the issuer requires, and the same on every instance.
func refreshSecretFrom(getenv func(string) string, secret []byte) ([]byte, error) {
	if s := getenv("JWT_REFRESH_SECRET"); s != "" {
		if _, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC([]byte(s))}); err != nil {
			return nil, fmt.Errorf("JWT_REFRESH_SECRET: %w", err)
		}
		if hmac.Equal([]byte(s), secret) {
			return nil, errors.New("JWT_REFRESH_SECRET must differ from JWT_SECRET")
		}
		return []byte(s), nil
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("users example: refresh token secret"))
	return m.Sum(nil), nil
}

// RedisLogger is a go-redis logger that writes to logger, for
// redis.SetLogger: go-redis otherwise logs its connection failures to
// standard error, outside the application's log.
type RedisLogger struct{ Logger *slog.Logger }

// Printf implements go-redis's internal.Logging.
func (l RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.Logger.WarnContext(ctx, "users: redis: "+fmt.Sprintf(format, v...))
}
