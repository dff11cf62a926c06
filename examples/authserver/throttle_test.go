package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/password"
)

func newThrottleApp(t *testing.T, o options) *app {
	t.Helper()
	o.issuer, o.ttl = "https://auth.example.com", time.Minute
	a, err := newApp(o, func(string) string { return "" }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// grantFrom posts form to /token as if from the client at remote, with an
// X-Forwarded-For header when xff is not empty.
func grantFrom(h http.Handler, remote, xff string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = remote
	if xff != "" {
		r.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func passwordForm(user, pw string) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}}
}

func wantCode(t *testing.T, what string, status int, header http.Header, body string, code int, oauth string) {
	t.Helper()
	var e struct{ Error string }
	json.Unmarshal([]byte(body), &e)
	if status != code || e.Error != oauth {
		t.Fatalf("%s: %d %s; want %d %s", what, status, body, code, oauth)
	}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		if n, err := strconv.Atoi(header.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("%s: Retry-After %q", what, header.Get("Retry-After"))
		}
	}
}

// An attacker who knows the username guesses from his address: after 5
// wrong passwords he waits, even with the right one, and his own
// X-Forwarded-For changes nothing; the real user, elsewhere, is not slowed.
func TestPasswordGrantThrottle(t *testing.T) {
	h := newThrottleApp(t, options{}).routes()
	const attacker, user = "203.0.113.66:4000", "192.0.2.10:5000"
	for i := range 5 {
		w := grantFrom(h, attacker, "", passwordForm("admin", "000"+strconv.Itoa(i)))
		wantCode(t, "guess", w.Code, w.Header(), w.Body.String(), 400, "invalid_grant")
	}
	w := grantFrom(h, attacker, "", passwordForm("admin", "0005"))
	wantCode(t, "sixth guess", w.Code, w.Header(), w.Body.String(), 429, "too_many_requests")
	w = grantFrom(h, attacker, "", passwordForm("admin", "1234"))
	wantCode(t, "right password from the attacker", w.Code, w.Header(), w.Body.String(), 429, "too_many_requests")
	w = grantFrom(h, attacker, "192.0.2.10", passwordForm("admin", "0006"))
	wantCode(t, "spoofed X-Forwarded-For", w.Code, w.Header(), w.Body.String(), 429, "too_many_requests")
	w = grantFrom(h, user, "", passwordForm("admin", "1234"))
	if w.Code != http.StatusOK {
		t.Fatalf("the real user from his own address: %d %s", w.Code, w.Body)
	}
}

// Over a real server (every request from 127.0.0.1), a sixth wrong password
// gets 429 whatever X-Forwarded-For says; an unknown user counts too.
func TestPasswordGrantThrottleOverHTTP(t *testing.T) {
	srv := httptest.NewServer(newThrottleApp(t, options{}).routes())
	t.Cleanup(srv.Close)
	post := func(xff string, form url.Values) (int, http.Header, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var e json.RawMessage
		json.NewDecoder(res.Body).Decode(&e)
		return res.StatusCode, res.Header, string(e)
	}
	for i := range 5 {
		code, hdr, body := post("198.51.100."+strconv.Itoa(i), passwordForm("ghost", "guess"))
		wantCode(t, "guess", code, hdr, body, 400, "invalid_grant")
	}
	code, hdr, body := post("198.51.100.99", passwordForm("ghost", "guess"))
	wantCode(t, "sixth guess", code, hdr, body, 429, "too_many_requests")
	code, _, body = post("", passwordForm("admin", "1234"))
	if code != http.StatusOK {
		t.Fatalf("another user from the same client: %d %s", code, body)
	}
}

// Invalid refresh tokens count against the client: a flood gets 429.
func TestRefreshGrantThrottle(t *testing.T) {
	h := newThrottleApp(t, options{}).routes()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"not.a.token"}}
	var w *httptest.ResponseRecorder
	n := 0
	for ; n < 50; n++ {
		if w = grantFrom(h, "203.0.113.66:1", "", form); w.Code != http.StatusBadRequest {
			break
		}
	}
	wantCode(t, "refresh flood", w.Code, w.Header(), w.Body.String(), 429, "too_many_requests")
	if n != 5 {
		t.Errorf("throttled after %d invalid refresh tokens; want 5", n)
	}
	// The refresh counter is not the login counter.
	w = grantFrom(h, "203.0.113.66:1", "", passwordForm("reader", "5678"))
	if w.Code != http.StatusOK {
		t.Fatalf("password grant after a refresh flood: %d", w.Code)
	}
	// Failures count per session: the flood of tokens without a session did
	// not stop this client's own session from refreshing.
	var pair struct {
		Refresh string `json:"refresh_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &pair); err != nil || pair.Refresh == "" {
		t.Fatalf("token response %s: %v", w.Body, err)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pair.Refresh}}
	if w := grantFrom(h, "203.0.113.66:1", "", refresh); w.Code != http.StatusOK {
		t.Errorf("refresh of a live session after a flood of bad tokens: %d %s", w.Code, w.Body)
	}
}

// With -trusted-proxy, the client is the address the proxy (here the
// test's loopback client) appended; the real user behind the same proxy
// logs in while the attacker waits.
func TestRunTrustedProxy(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	addrc, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-trusted-proxy", "127.0.0.0/8,::1/128"},
			func(string) string { return "" }, slog.New(slog.DiscardHandler), nil, func(a string) { addrc <- a })
	}()
	t.Cleanup(func() { cancel(); <-done })
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-done:
		t.Fatal(err)
	}
	post := func(xff string, form url.Values) int {
		req, _ := http.NewRequest("POST", base+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for range 5 {
		post("203.0.113.66", passwordForm("admin", "guess"))
	}
	if code := post("192.0.2.10, 203.0.113.66", passwordForm("admin", "1234")); code != http.StatusTooManyRequests {
		t.Errorf("attacker through the proxy, naming another address: %d", code)
	}
	if code := post("192.0.2.10", passwordForm("admin", "1234")); code != http.StatusOK {
		t.Errorf("the real user through the proxy: %d", code)
	}
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-trusted-proxy", "10.0.0.1"},
		func(string) string { return "" }, slog.New(slog.DiscardHandler), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "CIDR") {
		t.Errorf("-trusted-proxy 10.0.0.1: %v", err)
	}
}

// When every hashing slot stays taken past the wait, the password grant
// gets 503 with Retry-After, not invalid_grant.
func TestPasswordGrantHasherBusy(t *testing.T) {
	hasher := &password.Hasher{MaxConcurrent: 1, Memory: 64, Time: 1}
	h := newThrottleApp(t, options{hasher: hasher, hashWait: 50 * time.Millisecond}).routes()
	salt, key := make([]byte, 16), make([]byte, 32)
	rand.Read(salt)
	rand.Read(key)
	slow := "$argon2id$v=19$m=131072,t=16,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	var wg sync.WaitGroup
	wg.Go(func() { hasher.Verify(context.Background(), "x", slow) })
	defer wg.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
		err := hasher.DummyVerify(ctx, "probe")
		cancel()
		if errors.Is(err, password.ErrBusy) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow verification never took the slot")
		}
	}
	for _, user := range []string{"admin", "ghost"} {
		w := grantFrom(h, "192.0.2.10:1", "", passwordForm(user, "1234"))
		wantCode(t, user+" while the hasher is busy", w.Code, w.Header(), w.Body.String(), 503, "temporarily_unavailable")
	}
	wg.Wait()
	if w := grantFrom(h, "192.0.2.10:1", "", passwordForm("admin", "1234")); w.Code != http.StatusOK {
		t.Errorf("after the hasher is free: %d", w.Code)
	}
}
