// Package serve runs the examples' HTTP servers, all alike: a start log line
// and a graceful shutdown. Each example builds its own http.Server, with the
// timeouts and limits a server reachable from the internet needs, in its
// main.go, where a reader can copy it.
package serve

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Run serves srv on ln until ctx is done, then shuts srv down, giving
// requests in flight up to five seconds. First it logs name+": listening"
// with the URL and attrs, and calls ready, when not nil, with ln's address.
func Run(ctx context.Context, srv *http.Server, ln net.Listener, logger *slog.Logger, ready func(addr string), name string, attrs ...any) error {
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
