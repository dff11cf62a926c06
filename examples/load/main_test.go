package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A short run against the users example in-process: every answer right, no
// request failed.
func TestLoad(t *testing.T) {
	rep, err := load(t.Context(), options{Duration: 2 * time.Second, Clients: 4, Bad: 2}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.print(&out)
	t.Logf("\n%s", out.String())
	if rep.Wrong != 0 || rep.Errors != 0 {
		t.Errorf("%d wrong answers, %d errors", rep.Wrong, rep.Errors)
	}
	if rep.Valid == 0 || rep.Invalid == 0 {
		t.Errorf("%d valid and %d bad requests: the load did not run", rep.Valid, rep.Invalid)
	}
	if rep.P50 <= 0 || rep.P99 < rep.P50 || rep.Max < rep.P99 {
		t.Errorf("latencies p50 %v p99 %v max %v", rep.P50, rep.P99, rep.Max)
	}
	if rep.HeapBefore == 0 || rep.HeapAfter == 0 || rep.HeapPeak == 0 {
		t.Errorf("heap not measured: %+v", rep)
	}
	for _, line := range []string{"requests", "latency", "wrong       0", "errors      0", "heap"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("report lacks %q", line)
		}
	}
}

// The checker notices a server that lets everything through, and run fails.
func TestLoadCatchesWrongAnswers(t *testing.T) {
	var hits atomic.Int64
	lax := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/auth/register":
			w.WriteHeader(http.StatusCreated)
		case "/auth/token":
			io.WriteString(w, `{"access_token":"aaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbb.cccccccccccccccccccc"}`)
		default:
			io.WriteString(w, `{"message":"hello","status":"Authorized"}`)
		}
	}))
	defer lax.Close()
	var out bytes.Buffer
	err := run(t.Context(), []string{"-url", lax.URL, "-duration", "300ms", "-clients", "1", "-bad", "1"}, &out, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "wrong answers") {
		t.Fatalf("run against a server that accepts bad tokens: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "wrong       0\n") {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "http://192.0.2.1:8000"},
		{"-url", "http://example.com"},
		{"-url", "ftp://127.0.0.1/"},
		{"-url", "http://10.0.0.1"},
		{"-duration", "0s"},
		{"-duration", "11m"},
		{"-clients", "0"},
		{"-bad", "-1"},
		{"extra"},
	} {
		var out bytes.Buffer
		if err := run(t.Context(), args, &out, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
	for _, ok := range []string{"http://127.0.0.1:8000", "http://127.3.4.5", "http://localhost:1", "http://[::1]:80/"} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("checkLoopback(%q): %v", ok, err)
		}
	}
}
