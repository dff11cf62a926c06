package jwtauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// excludePatternSets are sets of Config.Exclude patterns with every kind of
// first segment the index knows: literal, escaped literal, wildcard, multi
// wildcard, "{$}", the subtree "/", with and without a method and a host.
var excludePatternSets = [][]string{
	{"/items/public/", "GET /things/{id}/doc/{$}", "/things/{id}/{rest...}", "h.example/items/{$}", "/a/{x}/b/{y}/c"},
	{"/login"},
	{"GET /{$}", "/login", "/static/"},
	{"/"},
	{"/{id}"},
	{"/{rest...}"},
	{"GET /health", "POST /login", "/public/", "/caf%C3%A9/", "/a%2Fb/x"},
	{"api.example.com/", "GET /docs/"},
	{"api.example.com/{$}", "static.example.com/assets/", "/login"},
	{"example.com/items", "/x/{id}/y"},
	{"/%zz/"},
	{"GET\t/tab", "DELETE  /spaces/"},
}

var excludeRequests = []struct{ method, target, host string }{
	{"GET", "/", ""}, {"GET", "/login", ""}, {"POST", "/login", ""}, {"GET", "/login/", ""},
	{"GET", "/login-admin", ""}, {"GET", "/static", ""}, {"GET", "/static/app.js", ""},
	{"GET", "/items", ""}, {"GET", "/items", "example.com"}, {"GET", "/items", "example.com:8080"},
	{"GET", "/health", ""}, {"HEAD", "/health", ""}, {"GET", "/public/a/b", ""},
	{"GET", "/caf%C3%A9/menu", ""}, {"GET", "/caf%c3%a9/menu", ""}, {"GET", "/café/menu", ""},
	{"GET", "/a%2Fb/x", ""}, {"GET", "/a/b/x", ""}, {"GET", "/", "api.example.com"},
	{"GET", "/v1", "api.example.com"}, {"GET", "/assets/x.css", "static.example.com"},
	{"GET", "/assets/x.css", "STATIC.example.com"}, {"GET", "/docs/", "[::1]:80"},
	{"GET", "/x/1/y", ""}, {"GET", "/%25zz/", ""}, {"GET", "/tab", ""},
	{"DELETE", "/spaces/1", ""}, {"CONNECT", "/login", ""}, {"GET", "/public/../admin", ""},
	{"GET", "//login", ""}, {"GET", "/login?x=1", ""}, {"OPTIONS", "*", ""},
	{"GET", "/items/public", ""}, {"GET", "/items/public/", ""}, {"GET", "/things/1/doc/", ""},
	{"GET", "/things/1/doc", ""}, {"GET", "/things/1/", ""}, {"GET", "/things/1", ""},
	{"POST", "/things/1/doc/", ""}, {"GET", "/items/", "h.example"}, {"GET", "/items", "h.example"},
	{"GET", "/a/1/b/2/c", ""}, {"GET", "/a/1/b/2", ""}, {"GET", "/a/1/b/2/c/", ""},
}

// plainMux is a ServeMux with patterns and nothing else: the reference that
// match, with its segment tree, must agree with.
type plainMux struct{ *http.ServeMux }

func newPlainMux(patterns []string) plainMux {
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.Handle(p, excluded{})
	}
	return plainMux{mux}
}

func (m plainMux) match(r *http.Request) bool {
	if !isCanonical(r.URL.Path) {
		return false
	}
	h, _ := m.Handler(r)
	_, ok := h.(excluded)
	return ok
}

// The segment tree only ever saves work: with it, every request is excluded
// exactly when a ServeMux of the patterns alone excludes it.
func TestExcludeIndexAgreesWithServeMux(t *testing.T) {
	for _, patterns := range excludePatternSets {
		e, err := newExcluder(patterns)
		if err != nil {
			t.Fatalf("%q: %v", patterns, err)
		}
		plain := newPlainMux(patterns)
		for _, rq := range excludeRequests {
			r := excludeRequest(rq.method, rq.target, rq.host)
			if r == nil {
				t.Fatalf("bad test request %q", rq.target)
			}
			if got, want := e.match(r), plain.match(r); got != want {
				t.Errorf("%q: %s %s (host %q): match %v, ServeMux alone %v", patterns, rq.method, rq.target, rq.host, got, want)
			}
		}
	}
}

func excludeRequest(method, target, host string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	u, err := url.ParseRequestURI(target)
	if err != nil {
		if target != "*" {
			return nil
		}
		u = &url.URL{Path: "*"}
	}
	r.Method, r.URL, r.RequestURI = method, u, target
	if host != "" {
		r.Host = host
	}
	return r
}

func FuzzExcludeIndex(f *testing.F) {
	for _, rq := range excludeRequests {
		f.Add(rq.method, rq.target, rq.host)
	}
	var excluders []*excluder
	var plains []plainMux
	for _, patterns := range excludePatternSets {
		e, err := newExcluder(patterns)
		if err != nil {
			f.Fatal(err)
		}
		excluders = append(excluders, e)
		plains = append(plains, newPlainMux(patterns))
	}
	f.Fuzz(func(t *testing.T, method, target, host string) {
		r := excludeRequest(method, target, host)
		if r == nil || method == "" {
			return
		}
		for i, e := range excluders {
			if got, want := e.match(r), plains[i].match(r); got != want {
				t.Errorf("%q: %q %q (host %q): match %v, ServeMux alone %v", excludePatternSets[i], method, target, host, got, want)
			}
		}
	})
}

// The index prunes: a protected request whose segments no pattern could
// match never reaches the ServeMux, even under a segment patterns share.
func TestExcludeIndexPrunes(t *testing.T) {
	e, err := newExcluder([]string{"GET /{$}", "/login", "/static/", "api.example.com/", "GET /api/{id}/x", "/items/public/", "/things/{id}/doc/{$}"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target, host string
		may          bool
	}{
		{"/items", "", false},
		{"/items/1", "example.com", false},
		{"/", "", true},
		{"/login", "", true},
		{"/static/a", "", true},
		{"/items", "api.example.com", true},
		{"/items/1", "", false},
		{"/items/public", "", true}, // the ServeMux redirects it to /items/public/
		{"/items/public/a/b", "", true},
		{"/things/7/doc", "", false},
		{"/things/7/doc/", "", true},
		{"/api/7/x", "", true},
		{"/api/7/y", "", false},
		{"/api/7", "", false},
		{"/login/x", "", false},
	} {
		if e.mayMatch(excludeRequest("GET", tc.target, tc.host)) != tc.may {
			t.Errorf("mayMatch(%s, host %q) = %v", tc.target, tc.host, !tc.may)
		}
	}
}
