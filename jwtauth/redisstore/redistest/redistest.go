// Package redistest starts a real redis-server for tests, on a free loopback
// port, the way net/http/httptest starts an HTTP server: it is for the tests
// of code that uses a [redisstore.Store], including this module's own.
//
// The server runs without persistence, in a temporary folder, and is killed
// when the test ends. A test can stop it, as a crash would, and start it
// again on the same address, to see what its code does while Redis is away,
// and can give it configuration of its own (a small maxmemory, an eviction
// policy, a command renamed away) to see what its code does with such a
// Redis.
//
// [redisstore.Store]: https://pkg.go.dev/github.com/authkit-go/authkit/jwtauth/redisstore#Store
package redistest

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Server is a redis-server that a test started. Its methods must be called
// from the test's goroutine.
type Server struct {
	tb   testing.TB
	bin  string
	dir  string
	port int
	args []string // extra configuration, for every start
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts a redis-server of its own for tb, stopped when tb ends.
// Without a redis-server on the PATH it skips tb, except when the
// environment variable CI is "true": there a missing server fails tb, since
// a test that must run in CI is never silently skipped.
//
// config is added to the server's command line, as pairs of an option and
// its value, after the defaults (which it may override):
//
//	redistest.Start(t, "--maxmemory", "2mb", "--maxmemory-policy", "noeviction")
//	redistest.Start(t, "--rename-command", "CONFIG", "")
func Start(tb testing.TB, config ...string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("redistest: redis-server not found (apt-get install redis-server)")
		}
		tb.Skip("redistest: redis-server not found; apt-get install redis-server to run this test")
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir(), args: config}
	tb.Cleanup(s.Stop)
	for range 5 { // the free port may be taken between our check and the start
		if s.port, err = freePort(); err != nil {
			break
		}
		if err = s.start(); err == nil {
			return s
		}
	}
	tb.Fatalf("redistest: starting redis-server: %v", err)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr returns the server's address, host:port on the loopback interface.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// start runs redis-server on s.port and waits until it answers PING.
func (s *Server) start() error {
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", s.dir,
		"--logfile", ""}
	cmd := exec.Command(s.bin, append(args, s.args...)...)
	cmd.Dir = s.dir
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			s.cmd = nil
			return errors.New("redis-server exited (port taken?)")
		default:
		}
		if ping(s.Addr()) == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return errors.New("redis-server did not answer PING within 10s")
}

// ping sends an inline PING over a fresh connection. A server that requires
// a password (--requirepass) answers NOAUTH, which shows it up as well.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	if _, err := c.Read(buf); err != nil {
		return err
	}
	if string(buf) != "+PONG\r\n" && string(buf) != "-NOAUTH" {
		return errors.New("unexpected reply to PING")
	}
	return nil
}

// Stop kills the server, as a crash would, and waits for it to exit. It
// does nothing when the server is not running.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Pause stops the server's process (SIGSTOP) without killing it, as a
// stall would: its connections stay open, and what is sent to it waits,
// unanswered, until [Server.Resume]. It does nothing when the server is not
// running.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a server that [Server.Pause] stopped (SIGCONT): it
// answers what was sent to it meanwhile.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.tb.Helper()
	if s.cmd == nil {
		return
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.tb.Fatalf("redistest: signalling redis-server: %v", err)
	}
}

// Restart stops the server if it runs and starts it again on the same
// address, with the same configuration: empty, unless that configuration
// turned persistence on ("--appendonly", "yes"), in which case it reloads
// what it had written.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	var err error
	for range 50 { // the port may take a moment to be free again
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.tb.Fatalf("redistest: restarting redis-server: %v", err)
}

// Options returns client options for the server, as the redisstore package
// documentation advises (ContextTimeoutEnabled), with short timeouts and a
// single dial attempt, so that calls fail fast while the server is stopped.
func (s *Server) Options() *redis.Options {
	return &redis.Options{
		Addr:                  s.Addr(),
		ContextTimeoutEnabled: true,
		DialTimeout:           time.Second,
		DialerRetries:         1,
		ReadTimeout:           2 * time.Second,
		WriteTimeout:          2 * time.Second,
		// A plain redis-server sends no maintenance notifications; do not
		// ask for them on every connection.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
}

// Client returns a client of the server made with [Server.Options], closed
// when tb ends.
func (s *Server) Client(tb testing.TB) *redis.Client {
	c := redis.NewClient(s.Options())
	tb.Cleanup(func() { c.Close() })
	return c
}
