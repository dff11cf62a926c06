package throttle_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"time"

	"github.com/authkit-go/authkit/throttle"
)

// A login handler: Check before verifying the password, Failure after a
// wrong one, Success after the right one.
func Example() {
	limiter, err := throttle.New(throttle.Config{})
	if err != nil {
		panic(err)
	}
	verify := func(user, pw string) bool { return user == "alice" && pw == "correct horse" }

	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The account as the lookup normalises it, for unknown users too.
		account := strings.ToLower(r.FormValue("username"))
		client := throttle.ClientIP(r)
		wait, err := limiter.Check(r.Context(), account, client)
		switch {
		case errors.Is(err, throttle.ErrThrottled):
			w.Header().Set("Retry-After", throttle.RetryAfter(wait))
			http.Error(w, "too many failed logins", http.StatusTooManyRequests)
			return
		case err != nil:
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		if !verify(account, r.FormValue("password")) {
			limiter.Failure(r.Context(), account, client)
			http.Error(w, "wrong username or password", http.StatusUnauthorized)
			return
		}
		limiter.Success(r.Context(), account, client)
		fmt.Fprintln(w, "welcome")
	})

	try := func(from, user, pw string) {
		r := httptest.NewRequest("POST", "/login", strings.NewReader("username="+user+"&password="+pw))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = from
		w := httptest.NewRecorder()
		login.ServeHTTP(w, r)
		if ra := w.Header().Get("Retry-After"); ra != "" {
			fmt.Println(from, w.Code, "Retry-After:", ra)
		} else {
			fmt.Println(from, w.Code)
		}
	}
	for range 6 { // an attacker guesses
		try("203.0.113.66:4000", "Alice", "123456")
	}
	try("192.0.2.10:5000", "alice", "correct horse") // the real user, elsewhere
	// Output:
	// 203.0.113.66:4000 401
	// 203.0.113.66:4000 401
	// 203.0.113.66:4000 401
	// 203.0.113.66:4000 401
	// 203.0.113.66:4000 401
	// 203.0.113.66:4000 429 Retry-After: 1
	// 192.0.2.10:5000 200
}

// The waits double after the free failures, up to MaxDelay.
func ExampleLimiter_Check() {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	limiter, _ := throttle.New(throttle.Config{
		AccountClient: throttle.Limit{Free: 3, Delay: time.Second, MaxDelay: 10 * time.Second},
		Now:           func() time.Time { return now },
	})
	ctx := context.Background()
	for i := 1; i <= 8; i++ {
		limiter.Failure(ctx, "alice", "203.0.113.66")
		wait, err := limiter.Check(ctx, "alice", "203.0.113.66")
		fmt.Println(i, wait, err)
	}
	now = now.Add(10 * time.Second)
	fmt.Println(limiter.Check(ctx, "alice", "203.0.113.66"))
	// Output:
	// 1 0s <nil>
	// 2 0s <nil>
	// 3 1s throttle: too many failed attempts
	// 4 2s throttle: too many failed attempts
	// 5 4s throttle: too many failed attempts
	// 6 8s throttle: too many failed attempts
	// 7 10s throttle: too many failed attempts
	// 8 10s throttle: too many failed attempts
	// 0s <nil>
}

func ExampleClientIP() {
	for _, addr := range []string{"192.0.2.1:1234", "[::ffff:192.0.2.1]:1234", "[2001:db8:1:2:3:4:5:6]:443"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		fmt.Println(throttle.ClientIP(r))
	}
	// Output:
	// 192.0.2.1
	// 192.0.2.1
	// 2001:db8:1:2::/64
}

// Behind a reverse proxy on 10.0.0.0/8 that appends to X-Forwarded-For.
func ExampleTrustedProxies_ClientIP() {
	proxies := throttle.TrustedProxies{CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:43210"                             // the proxy
	r.Header.Set("X-Forwarded-For", "192.0.2.99, 198.51.100.7") // a lie, then the real client
	fmt.Println(proxies.ClientIP(r))

	r.RemoteAddr = "198.51.100.7:5000" // not a proxy: the header is ignored
	fmt.Println(proxies.ClientIP(r))
	// Output:
	// 198.51.100.7
	// 198.51.100.7
}
