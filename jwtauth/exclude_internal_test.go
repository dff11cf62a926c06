package jwtauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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
	{"GET /health", "POST /login", "/public/", "/caf%C3%A9/", "/a%2Cb/x"},
	{"api.example.com/", "GET /docs/"},
	{"api.example.com/{$}", "static.example.com/assets/", "/login"},
	{"example.com/items", "/x/{id}/y"},
	{"/%7Ezz/"},
	{"GET /tab", "DELETE /spaces/"},
	{"GET /files/{name}", "/docs/{rest...}", "/a/{x}/c"},
	{"h.example/files/{name}", "/files/{dir}/{name}"},
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
	// Escapes that decode to a separator, a dot or a '%': ServeMux
	// and the handler behind it split these paths differently.
	{"GET", "/files/a.txt", ""}, {"GET", "/files/private%2Fsecret.txt", ""},
	{"GET", "/files/private%2fsecret.txt", ""}, {"HEAD", "/files/private%2Fsecret.txt", ""},
	{"GET", "http://h.example/files/private%2Fsecret.txt", ""}, {"GET", "/files/private%2Fsecret.txt", "h.example"},
	{"GET", "/files/private%252Fsecret.txt", ""}, {"GET", "/files/private%5Csecret.txt", ""},
	{"GET", "/files/private%5csecret.txt", ""}, {"GET", "/files/private\\secret.txt", ""},
	{"GET", "/files/%2e%2e", ""}, {"GET", "/files/%2E%2e%2Fadmin", ""}, {"GET", "/files/a%2F", ""},
	{"GET", "/docs/a%2Fb", ""}, {"GET", "/docs/a%2F..%2F..%2Fadmin", ""}, {"GET", "/a/b%2Fc/c", ""},
	{"GET", "/a%2Fb/c", ""}, {"GET", "/files/%61.txt", ""}, {"CONNECT", "/files/a%2Fb", ""},
	{"GET", "/a,b/x", ""}, {"GET", "/a%2Cb/x", ""}, {"GET", "/a%2cb/x", ""}, {"GET", "/~zz/", ""}, {"GET", "/%7Ezz/a", ""},
	{"GET", "/login%2F", ""}, {"GET", "/public%2Fa", ""}, {"GET", "/public/a%2Fb", ""},
}

// plainMux is a ServeMux with patterns and nothing else: with the rules of
// match written plainly (a canonical decoded path without '%' or '\', and
// both views of the request excluded), the reference that match, with its
// segment tree, must agree with.
type plainMux struct{ *http.ServeMux }

func newPlainMux(patterns []string) plainMux {
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.Handle(p, excluded{})
	}
	return plainMux{mux}
}

func (m plainMux) match(r *http.Request) bool {
	if !isCanonical(r.URL.Path) || strings.ContainsAny(r.URL.Path, `%\`) {
		return false
	}
	return m.routes(r) && m.routes(withPathOnly(r))
}

// routes reports whether the ServeMux routes r to a pattern.
func (m plainMux) routes(r *http.Request) bool {
	h, _ := m.Handler(r)
	_, ok := h.(excluded)
	return ok
}

// withPathOnly is a deep copy of r without URL.RawPath, so that the
// ServeMux reads the path as the handlers behind the middleware do.
func withPathOnly(r *http.Request) *http.Request {
	r2 := r.Clone(r.Context())
	r2.URL.RawPath = ""
	return r2
}

// The segment tree only ever saves work: with it, every request is excluded
// exactly when a ServeMux of the patterns alone excludes it. The sets include
// patterns that exclude everything, so they need insecureAll.
func TestExcludeIndexAgreesWithServeMux(t *testing.T) {
	for _, patterns := range excludePatternSets {
		e, err := newExcluder(patterns, true)
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
		e, err := newExcluder(patterns, true)
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
			got := e.match(r)
			if want := plains[i].match(r); got != want {
				t.Errorf("%q: %q %q (host %q): match %v, ServeMux alone %v", excludePatternSets[i], method, target, host, got, want)
			}
			checkDecodedExcluded(t, excludePatternSets[i], e, plains[i], r, got)
		}
	})
}

// checkDecodedExcluded checks the rule against encoded separators: a
// request that e excludes (got) is excluded by its decoded path too, which
// is what the handler behind the middleware reads. That path, written
// without escapes, is routed to a pattern by a plain ServeMux, and e
// excludes the request so written.
func checkDecodedExcluded(t *testing.T, patterns []string, e *excluder, plain plainMux, r *http.Request, got bool) {
	t.Helper()
	if !got {
		return
	}
	if strings.ContainsAny(r.URL.Path, `%\`) || !isCanonical(r.URL.Path) {
		t.Errorf("%q: %s %s excluded, but its decoded path %q is not canonical or has '%%' or '\\'", patterns, r.Method, r.RequestURI, r.URL.Path)
	}
	plainReq := withPathOnly(r)
	if !plain.routes(plainReq) {
		t.Errorf("%q: %s %s excluded, but ServeMux routes its decoded path %q to no pattern", patterns, r.Method, r.RequestURI, r.URL.Path)
	}
	if !e.match(plainReq) {
		t.Errorf("%q: %s %s excluded, but not its decoded path %q", patterns, r.Method, r.RequestURI, r.URL.Path)
	}
}

// The rule against encoded separators holds for every test request.
func TestExcludeDecodedPathExcluded(t *testing.T) {
	for _, patterns := range excludePatternSets {
		e, err := newExcluder(patterns, true)
		if err != nil {
			t.Fatalf("%q: %v", patterns, err)
		}
		plain := newPlainMux(patterns)
		for _, rq := range excludeRequests {
			r := excludeRequest(rq.method, rq.target, rq.host)
			checkDecodedExcluded(t, patterns, e, plain, r, e.match(r))
		}
	}
}

// The index prunes: a protected request whose segments no pattern could
// match never reaches the ServeMux, even under a segment patterns share.
func TestExcludeIndexPrunes(t *testing.T) {
	e, err := newExcluder([]string{"GET /{$}", "/login", "/static/", "api.example.com/", "GET /api/{id}/x", "/items/public/", "/things/{id}/doc/{$}"}, true)
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

// insecureAll lets through the patterns that exclude everything, and they
// then do; without it, newExcluder refuses them.
func TestExcludeInsecureAll(t *testing.T) {
	for _, tc := range []struct {
		pattern        string
		method, target string
		host           string
	}{
		{"/", "POST", "/admin/users", ""},
		{"/{rest...}", "DELETE", "/admin", ""},
		{"GET /", "HEAD", "/admin", ""},
		{"api.example.com/", "PUT", "/admin", "api.example.com"},
		{"/{tenant}/", "GET", "/acme/admin", ""},
	} {
		if _, err := newExcluder([]string{tc.pattern}, false); err == nil {
			t.Errorf("%q accepted without insecureAll", tc.pattern)
		}
		e, err := newExcluder([]string{tc.pattern}, true)
		if err != nil {
			t.Fatalf("%q with insecureAll: %v", tc.pattern, err)
		}
		if !e.match(excludeRequest(tc.method, tc.target, tc.host)) {
			t.Errorf("%q with insecureAll: %s %s not excluded", tc.pattern, tc.method, tc.target)
		}
	}
}
