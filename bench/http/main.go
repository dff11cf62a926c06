// Command http is the server of the bench module's HTTP measurement
// (../http.sh): the same trivial handler behind no middleware, behind
// authkit for cold tokens, and behind authkit for one warm token, on
// loopback, for wrk to load.
//
//	go run ./http -addr 127.0.0.1:8089 -tokens /tmp/tokens
//
// It mints the realistic HS256 tokens of package tokens first, writes them
// to the directory -tokens (cold.txt: a pool larger than authkit's cache,
// one per line; warm.txt: one token), prints "ready" and serves:
//
//	/none  the handler alone
//	/cold  authkit (default Config: its cache on) and the handler
//	/warm  another authkit, the same, and the handler
//
// Each authkit path has a Middleware of its own, so that the warm token and
// the cold pool never share a cache. The handler writes "ok" and nothing
// else, for all three; a request that authkit refuses gets its 401, which
// wrk counts as a non-2xx response and http.sh as a failed run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/authkit-go/authkit/bench/tokens"
	"github.com/authkit-go/authkit/jwtauth"
)

// coldPool is the number of distinct cold tokens: above authkit's default
// cache of 16384, as in the in-process cold benchmark, so that each comes
// back only after the cache has forgotten it.
const coldPool = 24576

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "address to listen on")
	dir := flag.String("tokens", "", "directory to write cold.txt and warm.txt to (required)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the serving to this file")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-tokens is required")
	}
	if err := writeTokens(*dir); err != nil {
		log.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	})
	mux := http.NewServeMux()
	mux.Handle("/none", ok)
	mux.Handle("/cold", authkit().Handler(ok))
	mux.Handle("/warm", authkit().Handler(ok))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	fmt.Printf("ready %s GOMAXPROCS=%d\n", ln.Addr(), runtime.GOMAXPROCS(0))
	select {
	case err := <-done:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil {
			log.Print(err)
		}
	}
}

// authkit is a Middleware as the in-process benchmarks mount it: HS256,
// issuer and audience checked, default configuration otherwise.
func authkit() *jwtauth.Middleware {
	m, err := jwtauth.New(jwtauth.Config{
		Keys:     jwtauth.HMAC(tokens.Secret),
		Issuer:   tokens.Issuer,
		Audience: tokens.Audience,
	})
	if err != nil {
		log.Fatal(err)
	}
	return m
}

// writeTokens mints coldPool tokens into dir/cold.txt and one more into
// dir/warm.txt, on all CPUs.
func writeTokens(dir string) error {
	toks := make([]string, coldPool+1)
	var wg sync.WaitGroup
	n := max(runtime.NumCPU(), 1)
	for w := range n {
		wg.Go(func() {
			for i := w; i < len(toks); i += n {
				toks[i] = tokens.Mint("HS256", tokens.Secret, "", tokens.For(i))
			}
		})
	}
	wg.Wait()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cold.txt"), []byte(strings.Join(toks[:coldPool], "\n")+"\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "warm.txt"), []byte(toks[coldPool]+"\n"), 0o644)
}
