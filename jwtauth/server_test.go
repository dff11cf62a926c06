package jwtauth_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/lestrrat-go/jwx/v3/jwa"
)

// kitApp is the application of the server tests: a ServeMux behind the
// Middleware, with a public health check and a guarded route.
func kitApp(t *testing.T, reached *atomic.Int64) http.Handler {
	t.Helper()
	m := kitNew(t, jwtauth.Config{
		Keys:    jwtauth.HMAC(kitSecret),
		Exclude: []string{"GET /healthz"},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		c, ok := jwtauth.FromContext(r.Context())
		if !ok {
			http.Error(w, "no claims", 500)
			return
		}
		io.WriteString(w, c.Subject())
	})
	mux.Handle("POST /items", jwtauth.RequireScope("items:write")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusCreated)
	})))
	return m.Handler(mux)
}

// kitClientCases runs real requests against baseURL with client.
func kitClientCases(t *testing.T, client *http.Client, baseURL string, reached *atomic.Int64) {
	good := kitToken(t, kitClaims("alice", "scope", "items:read"))
	writer := kitToken(t, kitClaims("bob", "scope", "items:write"))
	expired := kitToken(t, map[string]any{"sub": "alice", "exp": time.Now().Add(-time.Minute).Unix()})
	forged := kitSign(t, jwa.HS256(), []byte(strings.Repeat("f", 32)), "", kitClaims("alice"))

	for _, tc := range []struct {
		name      string
		method    string
		path      string
		auth      []string
		status    int
		challenge string
		body      string // when the handler answers
		reaches   bool
	}{
		{"valid", "GET", "/me", []string{"Bearer " + good}, 200, "", "alice", true},
		{"valid, lower-case scheme", "GET", "/me", []string{"bearer " + good}, 200, "", "alice", true},
		{"no token", "GET", "/me", nil, 401, kitBare, "", false},
		{"HEAD, no token", "HEAD", "/me", nil, 401, kitBare, "", false},
		{"Basic", "GET", "/me", []string{"Basic YWxpY2U6c2VjcmV0"}, 401, kitBare, "", false},
		{"forged", "GET", "/me", []string{"Bearer " + forged}, 401, kitInvalidTok, "", false},
		{"expired", "GET", "/me", []string{"Bearer " + expired}, 401, kitExpired, "", false},
		{"garbage", "GET", "/me", []string{"Bearer " + kitMarker}, 401, kitInvalidTok, "", false},
		{"malformed", "GET", "/me", []string{"Bearer " + good + " x"}, 400, kitInvalidReq, "", false},
		{"two headers", "GET", "/me", []string{"Bearer " + good, "Bearer " + good}, 400, kitMultiple, "", false},
		{"query token", "GET", "/me?access_token=" + good, nil, 401, kitBare, "", false},
		{"excluded", "GET", "/healthz", nil, 200, "", "ok", true},
		{"excluded, bad token", "GET", "/healthz", []string{"Bearer x"}, 200, "", "ok", true},
		{"excluded path, other method", "POST", "/healthz", nil, 401, kitBare, "", false},
		{"scope missing", "POST", "/items", []string{"Bearer " + good}, 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="items:write"`, "", false},
		{"scope present", "POST", "/items", []string{"Bearer " + writer}, 201, "", "", true},
		{"not found, no token", "GET", "/nope", nil, 401, kitBare, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := reached.Load()
			req, err := http.NewRequest(tc.method, baseURL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("User-Agent", kitMarker)
			for _, a := range tc.auth {
				req.Header.Add("Authorization", a)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.status {
				t.Errorf("status = %d, want %d (%s)", res.StatusCode, tc.status, body)
			}
			if got := res.Header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
			if tc.reaches {
				if string(body) != tc.body {
					t.Errorf("body = %q, want %q", body, tc.body)
				}
			} else if tc.method != "HEAD" {
				if ct := res.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				if res.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
				}
			}
			if got := reached.Load() - before; got != map[bool]int64{true: 1, false: 0}[tc.reaches] {
				t.Errorf("handler ran %d times", got)
			}
			kitNoEcho(t, res, body, kitMarker, good, forged, expired, kitSecretText)
		})
	}
}

// TestServer runs the application behind httptest.NewServer with a real
// http.Client.
func TestServer(t *testing.T) {
	var reached atomic.Int64
	srv := httptest.NewServer(kitApp(t, &reached))
	defer srv.Close()
	kitClientCases(t, srv.Client(), srv.URL, &reached)
}

// TestServerTLS does the same over HTTP/2 and TLS.
func TestServerTLS(t *testing.T) {
	var reached atomic.Int64
	srv := httptest.NewUnstartedServer(kitApp(t, &reached))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	kitClientCases(t, srv.Client(), srv.URL, &reached)
}

// TestServerListener runs the application in a plain http.Server on a
// loopback listener, and shuts it down cleanly.
func TestServerListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var reached atomic.Int64
	srv := &http.Server{
		Handler:           kitApp(t, &reached),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()

	client := &http.Client{Timeout: 10 * time.Second}
	kitClientCases(t, client, "http://"+ln.Addr().String(), &reached)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
}

// TestServerMaxHeaderBytes: a header far above the server's MaxHeaderBytes
// is refused by net/http (431) before the middleware or the handler run; a
// token under that limit but over Config.MaxTokenSize is the middleware's
// 401.
func TestServerMaxHeaderBytes(t *testing.T) {
	var reached, seen atomic.Int64
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), MaxTokenSize: 1024})
	inner := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.Add(1)
			inner.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    4 << 10,
	}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()

	// Over a raw connection: 1 MiB of header, written while the server
	// answers and hangs up.
	t.Run("raw 1MiB", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		go func() {
			w := bufio.NewWriter(conn)
			fmt.Fprintf(w, "GET /me HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer ", addr)
			w.WriteString(strings.Repeat("A", 1<<20))
			w.WriteString("\r\n\r\n")
			w.Flush() // fails once the server has closed: that is expected
		}()
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status = %d, want 431", res.StatusCode)
		}
	})

	// With http.Client: 64 KiB.
	t.Run("client 64KiB", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/me", nil)
		req.Header.Set("Authorization", "Bearer "+strings.Repeat("A", 64<<10))
		res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status = %d, want 431", res.StatusCode)
		}
	})
	if n := seen.Load(); n != 0 {
		t.Fatalf("the server's handler ran %d times for oversized headers", n)
	}

	// 2 KiB: under MaxHeaderBytes, over MaxTokenSize.
	t.Run("over MaxTokenSize", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/me", nil)
		req.Header.Set("Authorization", "Bearer "+kitToken(t, kitClaims(strings.Repeat("x", 2048))))
		res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != kitInvalidTok {
			t.Errorf("response %d %q, want 401 invalid_token", res.StatusCode, res.Header.Get("WWW-Authenticate"))
		}
	})
	if n := reached.Load(); n != 0 {
		t.Errorf("protected handler ran %d times", n)
	}
}

// TestConcurrent: 64 goroutines send valid and invalid tokens of four
// algorithms through one Middleware, and through a guard, at once. Every
// answer must be the right one for its request (run with -race).
func TestConcurrent(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.KeySet(kitKeySetJSON())})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.FromContext(r.Context())
		io.WriteString(w, c.Subject())
	})
	mux.Handle("GET /admin", jwtauth.RequireClaim("role", "admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.FromContext(r.Context())
		io.WriteString(w, "admin:"+c.Subject())
	})))
	h := m.Handler(mux)

	type call struct {
		path, auth string
		status     int
		body       string // for 2xx
	}
	var calls []call
	algs := kitAlgs()
	for _, a := range algs {
		for i := range 6 {
			sub := fmt.Sprintf("%s-user-%d", a.name, i)
			claims := kitClaims(sub)
			if i%2 == 0 {
				claims["role"] = "admin"
			}
			tok := kitSign(t, a.alg, a.priv, a.kid, claims)
			calls = append(calls, call{"/me", "Bearer " + tok, 200, sub})
			if i%2 == 0 {
				calls = append(calls, call{"/admin", "Bearer " + tok, 200, "admin:" + sub})
			} else {
				calls = append(calls, call{"/admin", "Bearer " + tok, 403, ""})
			}
		}
		expired := kitSign(t, a.alg, a.priv, a.kid, map[string]any{"sub": "x", "exp": time.Now().Add(-time.Hour).Unix()})
		calls = append(calls, call{"/me", "Bearer " + expired, 401, ""})
		// Signature of another token of the same key.
		t1 := kitSign(t, a.alg, a.priv, a.kid, kitClaims("mallory", "role", "admin"))
		t2 := kitSign(t, a.alg, a.priv, a.kid, kitClaims("bob"))
		spliced := t1[:strings.LastIndexByte(t1, '.')] + t2[strings.LastIndexByte(t2, '.'):]
		calls = append(calls, call{"/admin", "Bearer " + spliced, 401, ""})
		// A kid naming another algorithm's key.
		for _, b := range algs {
			if b.name != a.name {
				calls = append(calls, call{"/me", "Bearer " + kitSign(t, a.alg, a.priv, b.kid, kitClaims("x")), 401, ""})
				break
			}
		}
		// A kid that no key has: every key has a kid, so none fits.
		calls = append(calls, call{"/me", "Bearer " + kitSign(t, a.alg, a.priv, "kit-unknown", kitClaims("x")), 401, ""})
	}
	// An HMAC token keyed with the RSA key's kid (key confusion).
	calls = append(calls, call{"/me", "Bearer " + kitSign(t, jwa.HS256(), kitSecret, "kit-rs", kitClaims("x")), 401, ""})
	calls = append(calls,
		call{"/me", "", 401, ""},
		call{"/me", "Bearer", 400, ""},
		call{"/me", "Basic abc", 401, ""},
		call{"/me", "Bearer a.b.c", 401, ""},
	)

	const goroutines = 64
	perG := 3 * len(calls)
	if testing.Short() {
		perG = len(calls)
	}
	var wg sync.WaitGroup
	var failures atomic.Int64
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				c := calls[(g*7+i)%len(calls)]
				r := httptest.NewRequest("GET", c.path, nil)
				if c.auth != "" {
					r.Header.Set("Authorization", c.auth)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				ok := w.Code == c.status
				if ok && c.status == 200 {
					ok = w.Body.String() == c.body
				}
				if ok && c.status != 200 {
					ok = w.Header().Get("Content-Type") == "application/json"
				}
				if !ok && failures.Add(1) <= 10 {
					t.Errorf("goroutine %d: GET %s %.40q: %d %q, want %d %q", g, c.path, c.auth, w.Code, w.Body, c.status, c.body)
				}
			}
		})
	}
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d wrong answers of %d", n, goroutines*perG)
	}
}

// TestConcurrentServer sends mixed requests from many clients over one real
// server.
func TestConcurrentServer(t *testing.T) {
	var reached atomic.Int64
	srv := httptest.NewServer(kitApp(t, &reached))
	defer srv.Close()
	good := kitToken(t, kitClaims("alice"))
	bad := kitSign(t, jwa.HS256(), []byte(strings.Repeat("b", 32)), "", kitClaims("alice"))
	var wg sync.WaitGroup
	var ok atomic.Int64
	for g := range 16 {
		wg.Go(func() {
			for i := range 25 {
				req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
				want := 200
				switch (g + i) % 3 {
				case 0:
					req.Header.Set("Authorization", "Bearer "+good)
				case 1:
					req.Header.Set("Authorization", "Bearer "+bad)
					want = 401
				case 2:
					want = 401
				}
				res, err := srv.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != want || (want == 200 && string(body) != "alice") {
					t.Errorf("%d %q, want %d", res.StatusCode, body, want)
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 16*25 {
		t.Errorf("%d of %d requests answered right", ok.Load(), 16*25)
	}
}
