// Package serve runs the examples' HTTP servers, all alike: the timeouts a
// server reachable from the internet needs, net/http's own errors in the
// application's log, and a graceful shutdown.
package serve

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Run serves h on ln until ctx is done, then shuts the server down, giving
// requests in flight up to five seconds. First it logs name+": listening"
// with the URL and attrs, and calls ready, when not nil, with ln's address.
func Run(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, ready func(addr string), name string, attrs ...any) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().String()
	logger.Info(name+": listening", append([]any{"url", "http://" + addr}, attrs...)...)
	if ready != nil {
		ready(addr)
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
