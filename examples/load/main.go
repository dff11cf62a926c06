// Command load puts the users example under load: it starts the server
// in-process on 127.0.0.1 (or uses -url), registers a user, logs in, and then
// for -duration has -clients goroutines call GET /secure-data with the valid
// token while -bad goroutines call it with bad ones (tampered, signed with
// another secret, malformed, none). It reports requests per second, latency
// percentiles, wrong answers, errors, and the heap before and after; it fails
// unless there were no wrong answers and no errors.
//
//	go -C examples run ./load                          # 10 s, 8 valid and 2 bad clients
//	go -C examples run ./load -duration 30s -clients 32 -bad 8
//	go -C examples run ./load -url http://127.0.0.1:8000   # a users server already running
//
// Only loopback addresses are accepted for -url: this is a load generator.
//
// A wrong answer is a valid token not getting 200 {"status":"Authorized"}, or
// a bad one not getting 401 with the right WWW-Authenticate challenge. An
// error is a request that did not complete (connection refused, reset,
// timeout). The heap numbers are for this process, server included when it
// runs in-process, read after a garbage collection before and after the
// load; the peak is sampled every 100 ms during it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authkit-go/authkit/examples/users/accounts"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(ctx, os.Args[1:], os.Stdout, logger); err != nil {
		logger.Error("load: " + err.Error())
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	URL      string        // a running users server; "" starts one in-process
	Duration time.Duration // how long the load lasts
	Clients  int           // goroutines with the valid token
	Bad      int           // goroutines with bad tokens
}

func run(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	flags := flag.NewFlagSet("load", flag.ContinueOnError)
	var o options
	flags.StringVar(&o.URL, "url", "", "base URL of a running users server on a loopback address (default: start one in-process)")
	flags.DurationVar(&o.Duration, "duration", 10*time.Second, "how long to send requests (at most 10m)")
	flags.IntVar(&o.Clients, "clients", 8, "concurrent clients with a valid token")
	flags.IntVar(&o.Bad, "bad", 2, "concurrent clients with bad tokens")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return errors.New("unexpected arguments")
	}
	rep, err := load(ctx, o, logger)
	if err != nil {
		return err
	}
	rep.print(stdout)
	if rep.Wrong > 0 || rep.Errors > 0 {
		return fmt.Errorf("%d wrong answers, %d errors", rep.Wrong, rep.Errors)
	}
	return nil
}

// report is the outcome of a load run.
type report struct {
	Options                           options
	URL                               string
	Elapsed                           time.Duration
	Valid, Invalid                    int64 // completed requests with the valid token, with bad ones
	Wrong, Errors                     int64
	P50, P99, Max                     time.Duration
	HeapBefore, HeapAfter             uint64 // HeapAlloc after a GC
	HeapPeak                          uint64 // the highest HeapInuse sampled during the run
	GoroutinesBefore, GoroutinesAfter int
}

func (r *report) print(w io.Writer) {
	where := "in-process"
	if r.Options.URL != "" {
		where = "at " + r.URL
	}
	total := r.Valid + r.Invalid
	fmt.Fprintf(w, "users load: %v, %d clients with a valid token and %d with bad ones, GET /secure-data, server %s, GOMAXPROCS %d\n",
		r.Options.Duration, r.Options.Clients, r.Options.Bad, where, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "requests    %d in %.2fs: %.0f/s (%d valid, %d bad)\n", total, r.Elapsed.Seconds(), float64(total)/r.Elapsed.Seconds(), r.Valid, r.Invalid)
	fmt.Fprintf(w, "latency     p50 %v, p99 %v, max %v\n", r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
	fmt.Fprintf(w, "wrong       %d\n", r.Wrong)
	fmt.Fprintf(w, "errors      %d\n", r.Errors)
	fmt.Fprintf(w, "heap        %.1f MiB before, %.1f MiB after (live, after GC); peak in use %.1f MiB\n",
		mib(r.HeapBefore), mib(r.HeapAfter), mib(r.HeapPeak))
	fmt.Fprintf(w, "goroutines  %d before, %d after\n", r.GoroutinesBefore, r.GoroutinesAfter)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// load runs the whole test and returns its report. An error means the test
// could not run (bad options, no server, the setup failed), not that the
// server answered wrongly: that is in the report.
func load(ctx context.Context, o options, logger *slog.Logger) (*report, error) {
	switch {
	case o.Duration <= 0 || o.Duration > 10*time.Minute:
		return nil, errors.New("-duration must be between 0 and 10m")
	case o.Clients < 1 || o.Clients > 1000 || o.Bad < 0 || o.Bad > 1000:
		return nil, errors.New("-clients must be 1 to 1000, -bad 0 to 1000")
	}
	base := strings.TrimRight(o.URL, "/")
	if base == "" {
		addr, stop, err := startServer(ctx, logger)
		if err != nil {
			return nil, err
		}
		defer stop()
		base = "http://" + addr
	} else if err := checkLoopback(base); err != nil {
		return nil, err
	}

	conns := o.Clients + o.Bad
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()

	good, err := login(ctx, client, base)
	if err != nil {
		return nil, err
	}
	bad, err := badTokens(good)
	if err != nil {
		return nil, err
	}

	rep := &report{Options: o, URL: base}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.HeapBefore = ms.HeapAlloc
	rep.GoroutinesBefore = runtime.NumGoroutine()

	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var peak atomic.Uint64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()

	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		latencies []time.Duration
		valid     atomic.Int64
		invalid   atomic.Int64
		wrong     atomic.Int64
		errs      atomic.Int64
		logged    atomic.Int64 // wrong answers and errors logged so far
	)
	worker := func(id int, tokens []badToken) {
		defer wg.Done()
		var own []time.Duration
		for i := 0; runCtx.Err() == nil; i++ {
			tk := badToken{kind: "valid", token: good}
			if tokens != nil {
				tk = tokens[(id+i)%len(tokens)]
			}
			start := time.Now()
			ok, err := probe(runCtx, client, base, tk, tokens == nil)
			elapsed := time.Since(start)
			if err != nil && runCtx.Err() != nil {
				break // cut off by the end of the run: not a sample
			}
			switch {
			case err != nil:
				errs.Add(1)
				if logged.Add(1) <= 5 {
					logger.Warn("load: request failed", "err", err)
				}
				continue
			case !ok:
				wrong.Add(1)
				if logged.Add(1) <= 5 {
					logger.Warn("load: wrong answer", "token", tk.kind)
				}
			}
			if tokens == nil {
				valid.Add(1)
			} else {
				invalid.Add(1)
			}
			own = append(own, elapsed)
		}
		mu.Lock()
		latencies = append(latencies, own...)
		mu.Unlock()
	}
	started := time.Now()
	for i := range o.Clients {
		wg.Add(1)
		go worker(i, nil)
	}
	for i := range o.Bad {
		wg.Add(1)
		go worker(i, bad)
	}
	wg.Wait()
	rep.Elapsed = time.Since(started)
	cancel()
	<-sampled

	rep.Valid, rep.Invalid, rep.Wrong, rep.Errors = valid.Load(), invalid.Load(), wrong.Load(), errs.Load()
	rep.HeapPeak = peak.Load()
	if len(latencies) > 0 {
		slices.Sort(latencies)
		at := func(p int) time.Duration { return latencies[min(len(latencies)-1, len(latencies)*p/100)] }
		rep.P50, rep.P99, rep.Max = at(50), at(99), latencies[len(latencies)-1]
	}
	latencies = nil
	client.CloseIdleConnections()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	rep.HeapAfter = ms.HeapAlloc
	rep.GoroutinesAfter = runtime.NumGoroutine()
	return rep, nil
}

// startServer runs the users example in this process, as its command does,
// on a database in a temporary folder. stop ends it and removes the folder.
func startServer(ctx context.Context, logger *slog.Logger) (addr string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "authkit-load-")
	if err != nil {
		return "", nil, err
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	env := func(k string) string {
		if k == "JWT_SECRET" {
			return base64.RawURLEncoding.EncodeToString(secret)
		}
		return ""
	}
	srvCtx, cancel := context.WithCancel(ctx)
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		args := []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "users.db")}
		// The users command's server, as in examples/users/main.go.
		srv := &http.Server{
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      10 * time.Second,
			IdleTimeout:       60 * time.Second,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		done <- accounts.Run(srvCtx, srv, args, env, logger, func(a string) { addrc <- a })
	}()
	stop = func() {
		cancel()
		<-done
		os.RemoveAll(dir)
	}
	select {
	case addr = <-addrc:
		return addr, stop, nil
	case err = <-done:
		cancel()
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("users server: %w", err)
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("users server did not start")
	}
}

// checkLoopback refuses a URL whose host is not a loopback address.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("-url must be an http:// or https:// URL")
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("-url must be on a loopback address (127.0.0.0/8, [::1], localhost)")
}

// login registers a fresh user and returns an access token for it.
func login(ctx context.Context, client *http.Client, base string) (string, error) {
	var b [8]byte
	rand.Read(b[:])
	user := "load-" + hex.EncodeToString(b[:])
	rand.Read(b[:])
	pw := "pw-" + hex.EncodeToString(b[:])
	body, _ := json.Marshal(map[string]string{"username": user, "password": pw, "email": user + "@example.com"})
	if _, err := call(ctx, client, "POST", base+"/auth/register", "application/json", string(body), http.StatusCreated); err != nil {
		return "", fmt.Errorf("register: %w", err)
	}
	form := url.Values{"username": {user}, "password": {pw}}.Encode()
	res, err := call(ctx, client, "POST", base+"/auth/token", "application/x-www-form-urlencoded", form, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(res, &tk); err != nil || tk.AccessToken == "" {
		return "", errors.New("token: no access_token in the response")
	}
	return tk.AccessToken, nil
}

// call sends one request of the setup and wants status.
func call(ctx context.Context, client *http.Client, method, url, contentType, body string, status int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != status {
		return nil, fmt.Errorf("status %d, want %d", res.StatusCode, status)
	}
	return b, nil
}

// badToken is a credential that must be refused, and the challenge that
// says so.
type badToken struct {
	kind, token string
	challenge   string // the exact WWW-Authenticate, or a part of it
	exact       bool
}

// badTokens derives the bad credentials from the good token.
func badTokens(good string) ([]badToken, error) {
	i := len(good) - 10 // inside the signature
	flip := map[bool]string{true: "B", false: "A"}[good[i] == 'A']
	other := make([]byte, 32)
	rand.Read(other)
	iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: other}})
	if err != nil {
		return nil, err
	}
	forged, err := iss.Issue(context.Background(), "admin", nil)
	if err != nil {
		return nil, err
	}
	const invalid = `error="invalid_token"`
	return []badToken{
		{kind: "tampered", token: good[:i] + flip + good[i+1:], challenge: invalid},
		{kind: "other secret", token: forged, challenge: invalid},
		{kind: "malformed", token: "not.a.jwt", challenge: invalid},
		{kind: "none", token: "", challenge: `Bearer realm="api"`, exact: true},
	}, nil
}

// probe sends GET /secure-data with tk and reports whether the answer was
// right: 200 Authorized for the valid token, 401 with the challenge for a
// bad one.
func probe(ctx context.Context, client *http.Client, base string, tk badToken, valid bool) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/secure-data", nil)
	if err != nil {
		return false, err
	}
	if tk.token != "" {
		req.Header.Set("Authorization", "Bearer "+tk.token)
	}
	res, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return false, err
	}
	if valid {
		var v struct{ Message, Status string }
		return res.StatusCode == http.StatusOK && json.Unmarshal(body, &v) == nil && v.Status == "Authorized" && v.Message != "", nil
	}
	got := res.Header.Get("WWW-Authenticate")
	match := strings.Contains(got, tk.challenge)
	if tk.exact {
		match = got == tk.challenge
	}
	return res.StatusCode == http.StatusUnauthorized && match && !strings.Contains(string(body), "Authorized"), nil
}
