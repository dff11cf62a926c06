package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/jwtauth/issuer"
)

func TestRoutes(t *testing.T) {
	iss, err := issuer.New(issuer.Config{
		Key:    issuer.SigningKey{Algorithm: "HS256", Key: []byte("a secret for this test, 32 bytes or more")},
		Issuer: "https://auth.example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := newApp(iss.Keys(), "https://auth.example.com", "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	withScope, _ := iss.Issue(t.Context(), "ada", map[string]any{"scope": "items:read"})
	without, _ := iss.Issue(t.Context(), "bob", nil)

	for _, tc := range []struct {
		path, token string
		code        int
		body        string
	}{
		{"/healthz", "", 200, "ok"},
		{"/me", "", 401, ""},
		{"/me", withScope, 200, `"sub":"ada"`},
		{"/items", withScope, 200, "apple"},
		{"/items", without, 403, "insufficient_scope"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s: %d %s", tc.path, res.StatusCode, b)
		}
	}
}
