package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/password"
)

// loginFrom posts a login to h as if from the client at remote (host:port),
// with an X-Forwarded-For header when xff is not empty.
func loginFrom(t *testing.T, h http.Handler, remote, xff, name, pw string) *httptest.ResponseRecorder {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "password": pw})
	r := httptest.NewRequest("POST", "/login", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = remote
	if xff != "" {
		r.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// wantThrottled checks a 429 with a Retry-After of whole seconds and the
// JSON error.
func wantThrottled(t *testing.T, what string, status int, header http.Header, body string) {
	t.Helper()
	if status != http.StatusTooManyRequests {
		t.Fatalf("%s: %d %s; want 429", what, status, body)
	}
	if n, err := strconv.Atoi(header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("%s: Retry-After %q", what, header.Get("Retry-After"))
	}
	var e struct{ Error string }
	if json.Unmarshal([]byte(body), &e); e.Error != "too_many_requests" {
		t.Errorf("%s: body %s", what, body)
	}
}

func newHandler(t *testing.T, o options) http.Handler {
	t.Helper()
	h, err := newApp(testSecret, slog.New(slog.DiscardHandler), o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// An attacker who knows the name guesses from his address: after 5 wrong
// passwords he waits, even with the right one, and his own X-Forwarded-For
// changes nothing; the real user, from another address, is not slowed.
func TestLoginThrottleByClient(t *testing.T) {
	h := newHandler(t, options{})
	const attacker, user = "203.0.113.66:4000", "192.0.2.10:5000"
	for i := range 5 {
		if w := loginFrom(t, h, attacker, "", "admin", "000"+strconv.Itoa(i)); w.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i+1, w.Code)
		}
	}
	w := loginFrom(t, h, attacker, "", "admin", "0005")
	wantThrottled(t, "sixth guess", w.Code, w.Header(), w.Body.String())
	w = loginFrom(t, h, attacker, "", "admin", demoPassword)
	wantThrottled(t, "right password from the attacker", w.Code, w.Header(), w.Body.String())
	w = loginFrom(t, h, "203.0.113.66:4001", "192.0.2.10", "admin", "0006")
	wantThrottled(t, "spoofed X-Forwarded-For", w.Code, w.Header(), w.Body.String())
	if w := loginFrom(t, h, user, "", "admin", demoPassword); w.Code != http.StatusOK {
		t.Fatalf("the real user from his own address: %d %s", w.Code, w.Body)
	}
	// The other address of the same IPv6 /64 is the same client.
	for i := range 5 {
		loginFrom(t, h, "[2001:db8:1:2::1]:1", "", "admin", "guess"+strconv.Itoa(i))
	}
	w = loginFrom(t, h, "[2001:db8:1:2::ffff]:1", "", "admin", "guess")
	wantThrottled(t, "same IPv6 /64", w.Code, w.Header(), w.Body.String())
}

// Over a real server, every request comes from 127.0.0.1: the sixth wrong
// password gets 429, whatever X-Forwarded-For the client sends.
func TestLoginThrottleOverHTTP(t *testing.T) {
	srv := newTestServer(t, testSecret)
	post := func(xff, pw string) response {
		body, _ := json.Marshal(map[string]string{"name": "admin", "password": pw})
		req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return response{res.StatusCode, res.Header, string(b)}
	}
	for i := range 5 {
		if r := post("198.51.100."+strconv.Itoa(i), "wrong"); r.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i+1, r.status)
		}
	}
	r := post("198.51.100.99", "wrong")
	wantThrottled(t, "sixth guess, a new X-Forwarded-For", r.status, r.header, r.body)
}

// Behind a trusted proxy (here the test's loopback client), the client is
// the address the proxy appended to X-Forwarded-For, read from the right.
func TestLoginThrottleTrustedProxy(t *testing.T) {
	h := newHandler(t, options{trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	post := func(xff, pw string) (int, http.Header, string) {
		body, _ := json.Marshal(map[string]string{"name": "admin", "password": pw})
		req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	for range 5 {
		post("203.0.113.66", "wrong")
	}
	code, hdr, body := post("203.0.113.66", "wrong")
	wantThrottled(t, "attacker through the proxy", code, hdr, body)
	// The attacker writes the user's address first; the proxy appends his.
	code, hdr, body = post("192.0.2.10, 203.0.113.66", demoPassword)
	wantThrottled(t, "attacker naming another address", code, hdr, body)
	if code, _, body := post("192.0.2.10", demoPassword); code != http.StatusOK {
		t.Fatalf("the real user through the proxy: %d %s", code, body)
	}
}

func TestRunTrustedProxyFlag(t *testing.T) {
	for _, bad := range []string{"nonsense", "10.0.0.1", "10.0.0.0/8,", "10.0.0.0/33"} {
		err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-trusted-proxy", bad}, func(string) string { return "" }, slog.New(slog.DiscardHandler), nil)
		if err == nil || !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("-trusted-proxy %q: %v", bad, err)
		}
	}
	var o options
	set := cidrs(&o.trustedProxies)
	if err := set("10.1.2.3/8, 192.168.0.0/16"); err != nil {
		t.Fatal(err)
	}
	if err := set("fd00::/8"); err != nil {
		t.Fatal(err)
	}
	if got := len(o.trustedProxies); got != 3 || o.trustedProxies[0].String() != "10.0.0.0/8" {
		t.Errorf("parsed %v", o.trustedProxies)
	}
}

// When every hashing slot stays taken past the wait, a login gets 503 with
// Retry-After, not 401, and does not count as a failure.
func TestLoginHasherBusy(t *testing.T) {
	hasher := &password.Hasher{MaxConcurrent: 1, Memory: 64, Time: 1}
	h := newHandler(t, options{hasher: hasher, hashWait: 50 * time.Millisecond})
	release := holdHasher(t, hasher)
	for _, name := range []string{"admin", "ghost"} {
		w := loginFrom(t, h, "192.0.2.10:1", "", name, demoPassword)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s while the hasher is busy: %d, Retry-After %q", name, w.Code, w.Header().Get("Retry-After"))
		}
	}
	release()
	if w := loginFrom(t, h, "192.0.2.10:1", "", "admin", demoPassword); w.Code != http.StatusOK {
		t.Errorf("after the hasher is free: %d", w.Code)
	}
}

// holdHasher occupies the only slot of hasher with an expensive
// verification (a well-formed argon2id hash of m=128 MiB, t=16: a second or
// more) and returns when the slot is taken. release waits for it to end.
func holdHasher(t *testing.T, hasher *password.Hasher) (release func()) {
	t.Helper()
	salt, key := make([]byte, 16), make([]byte, 32)
	rand.Read(salt)
	rand.Read(key)
	slow := "$argon2id$v=19$m=131072,t=16,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	var wg sync.WaitGroup
	wg.Go(func() { hasher.Verify(context.Background(), "x", slow) })
	t.Cleanup(wg.Wait)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
		err := hasher.DummyVerify(ctx, "probe")
		cancel()
		if errors.Is(err, password.ErrBusy) {
			return wg.Wait
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow verification never took the slot")
		}
	}
}
