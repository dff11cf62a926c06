package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const testSecret = "a secret for the websocket test, 32 bytes or more"

// start runs the example on a free port and returns its base URL.
func start(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), func(k string) string {
			if k == "JWT_SECRET" {
				return testSecret
			}
			return ""
		}, slog.New(slog.DiscardHandler), func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		t.Cleanup(func() { cancel(); <-done })
		return "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("run: %v", err)
	}
	return ""
}

func token(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Post(base+"/token", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&body)
	if body.AccessToken == "" {
		t.Fatal("no token")
	}
	return body.AccessToken
}

func dial(t *testing.T, base string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if c != nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, res, err
}

// echo sends msg and returns the answer, or the close status.
func echo(t *testing.T, c *websocket.Conn, msg string) (string, websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		return "", websocket.CloseStatus(err)
	}
	_, got, err := c.Read(ctx)
	if err != nil {
		return "", websocket.CloseStatus(err)
	}
	return string(got), -1
}

func TestWebSocketAuthentication(t *testing.T) {
	base := start(t, "-auth-timeout", "300ms")
	tok := token(t, base)
	origin := base // the server's own origin
	for _, tc := range []struct {
		name   string
		hdr    http.Header
		first  string // a first message, for the message flow
		status int    // the handshake's HTTP status when refused
		close  websocket.StatusCode
	}{
		{name: "bearer header, no Origin (a server client)", hdr: http.Header{"Authorization": {"Bearer " + tok}}},
		{name: "cookie from the server's own page", hdr: http.Header{"Cookie": {"token=" + tok}, "Origin": {origin}}},
		{name: "token in the first message", hdr: http.Header{"Origin": {origin}}, first: `{"token":"` + tok + `"}`},
		// Cross-site WebSocket hijacking: a foreign page's handshake carries
		// the user's cookie; CrossOriginProtection lets GETs through.
		{name: "cookie from a foreign page", hdr: http.Header{"Cookie": {"token=" + tok}, "Origin": {"https://evil.example"}}, status: 403},
		{name: "foreign page, first-message token", hdr: http.Header{"Origin": {"https://evil.example"}}, status: 403},
		{name: "null origin", hdr: http.Header{"Cookie": {"token=" + tok}, "Origin": {"null"}}, status: 403},
		{name: "two Origin headers", hdr: http.Header{"Cookie": {"token=" + tok}, "Origin": {origin, "https://evil.example"}}, status: 403},
		{name: "invalid bearer", hdr: http.Header{"Authorization": {"Bearer " + tok + "x"}}, status: 401},
		{name: "invalid first message", hdr: http.Header{}, first: `{"token":"` + tok[:len(tok)-2] + `"}`, close: websocket.StatusPolicyViolation},
		{name: "not JSON", hdr: http.Header{}, first: "hello", close: websocket.StatusPolicyViolation},
		{name: "no token at all", hdr: http.Header{}, close: websocket.StatusPolicyViolation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, res, err := dial(t, base, tc.hdr)
			if tc.status != 0 {
				if err == nil || res == nil || res.StatusCode != tc.status {
					t.Fatalf("handshake: %v, %v; want HTTP %d", res, err, tc.status)
				}
				if b, _ := io.ReadAll(res.Body); strings.Contains(string(b), tok[:20]) {
					t.Error("the refusal contains the token")
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if tc.first != "" {
				if err := c.Write(t.Context(), websocket.MessageText, []byte(tc.first)); err != nil {
					t.Fatal(err)
				}
			}
			got, status := echo(t, c, "ping")
			if tc.close != 0 {
				if status != tc.close {
					t.Fatalf("got %q, close %v; want close %v", got, status, tc.close)
				}
				return
			}
			if got != "demo: ping" {
				t.Fatalf("echo = %q, close %v", got, status)
			}
		})
	}
}

// A token in the URL query is never read: the socket waits for a message,
// then closes.
func TestWebSocketIgnoresQueryToken(t *testing.T) {
	base := start(t, "-auth-timeout", "200ms")
	tok := token(t, base)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws?access_token="+tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, _, err = c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("query token: %v; want a policy-violation close", err)
	}
}

// The socket closes when its token expires.
func TestWebSocketClosesAtExpiry(t *testing.T) {
	base := start(t, "-ttl", "2s")
	tok := token(t, base)
	c, _, err := dial(t, base, http.Header{"Authorization": {"Bearer " + tok}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := echo(t, c, "hi"); got != "demo: hi" {
		t.Fatalf("echo = %q", got)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, _, err = c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("at expiry: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed %v after the token's expiry", d)
	}
	if !strings.Contains(err.Error(), "token expired") && !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("close: %v", err)
	}
}
