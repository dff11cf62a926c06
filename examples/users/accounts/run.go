package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// Run is the users command: it parses args (-addr, -db), reads JWT_SECRET
// with getenv, opens and migrates the database, and serves until ctx is done.
// ready, when not nil, receives the address it listens on.
func Run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger, ready func(addr string)) error {
	flags := flag.NewFlagSet("users", flag.ContinueOnError)
	addr := flags.String("addr", "localhost:8000", "address to listen on")
	dbPath := flags.String("db", "users.db", "SQLite database file; created and migrated at start")
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
	db, err := Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	app, err := New(Config{DB: db, Secret: secret, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("users: listening", "url", "http://"+ln.Addr().String(), "db", *dbPath)
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
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
