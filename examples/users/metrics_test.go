package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/examples/users/accounts"
)

// With -metrics-addr, the users example serves its authentication metrics
// for Prometheus: logins, refreshes, reuse and rejections, by reason, and
// never a token, username or password.
func TestMetricsExported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second}
	go func() {
		done <- accounts.Run(ctx, srv, []string{"-addr", "127.0.0.1:0", "-db", t.TempDir() + "/users.db", "-metrics-addr", metricsAddr},
			func(k string) string {
				if k == "JWT_SECRET" {
					return strings.Repeat("s", 40)
				}
				return ""
			}, slog.New(slog.DiscardHandler), func(a string) { addr <- a })
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	s := &testServer{URL: base}
	s.register(t, "metrics-user", "a long enough password", "m@example.com")
	login := s.token(t, "metrics-user", "a long enough password")
	tokens := pair(t, login)
	next := pair(t, s.refresh(t, tokens.RefreshToken))
	if r := s.secureData(t, next.AccessToken); r.status != http.StatusOK {
		t.Fatalf("secure-data: %d", r.status)
	}
	if r := s.refresh(t, tokens.RefreshToken); r.status != http.StatusUnauthorized { // reuse
		t.Fatalf("reuse: %d", r.status)
	}
	s.secureData(t, "not-a-token")

	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, want := range []string{
		`authkit_issuer_sessions_total{authkit_operation="login",authkit_result="ok"`,
		`authkit_issuer_sessions_total{authkit_operation="refresh",authkit_result="ok"`,
		`authkit_issuer_sessions_total{authkit_operation="refresh",authkit_result="refresh_reused"`,
		`authkit_jwtauth_rejected_total{`,
		`authkit_jwtauth_verify_duration_seconds_bucket`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, secret := range []string{tokens.AccessToken[:20], tokens.RefreshToken[:20], "metrics-user", "a long enough password"} {
		if strings.Contains(text, secret) {
			t.Errorf("metrics contain %q", secret)
		}
	}
	cancel()
	<-done
}
