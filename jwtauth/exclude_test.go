package jwtauth_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// kitExcludeRow is one request against a Middleware with Config.Exclude.
type kitExcludeRow struct {
	name     string
	patterns []string
	method   string
	target   string // the request-target, as a client would send it
	host     string // Host header; "" for example.com
	path     string // when set, r.URL.Path is replaced by this...
	rawPath  string // ...and r.URL.RawPath by this, after parsing target
	excluded bool
}

func (tc kitExcludeRow) request() *http.Request {
	method := tc.method
	if method == "" {
		method = "GET"
	}
	r := httptest.NewRequest(method, tc.target, nil)
	if tc.host != "" {
		r.Host = tc.host
	}
	if tc.path != "" {
		r.URL.Path, r.URL.RawPath = tc.path, tc.rawPath
	}
	return r
}

// kitExcluded reports whether m let r through to the handler without a token.
func kitExcluded(t *testing.T, m *jwtauth.Middleware, r *http.Request) bool {
	t.Helper()
	probe := &kitProbe{}
	w := httptest.NewRecorder()
	m.Handler(probe).ServeHTTP(w, r)
	switch {
	case probe.reached == 1 && w.Code == 200:
		if probe.hasAuth {
			t.Error("excluded request has claims")
		}
		return true
	case probe.reached == 0 && w.Code == 401 && w.Header().Get("WWW-Authenticate") == kitBare:
		return false
	}
	t.Fatalf("neither excluded nor rejected: reached=%d, %d %q", probe.reached, w.Code, w.Body)
	return false
}

func TestExclude(t *testing.T) {
	login := []string{"/login"}
	static := []string{"/static/"}
	public := []string{"/public/"}
	health := []string{"GET /health"}
	root := []string{"GET /{$}"}
	host := []string{"api.example.com/public/"}
	files := []string{"/files/{name}"}
	bare := []string{"/static"}
	many := []string{"GET /{$}", "/login", "/static/", "GET /health", "/files/{name}"}

	rows := []kitExcludeRow{
		// Exact paths.
		{name: "exact", patterns: login, target: "/login", excluded: true},
		{name: "exact, POST", patterns: login, method: "POST", target: "/login", excluded: true},
		{name: "exact, query", patterns: login, target: "/login?next=/admin", excluded: true},
		{name: "exact, not a prefix", patterns: login, target: "/login-admin"},
		{name: "exact, not a subtree", patterns: login, target: "/login/x"},
		{name: "exact, not with slash", patterns: login, target: "/login/"},
		{name: "exact, case-sensitive", patterns: login, target: "/LOGIN"},
		{name: "exact, other path", patterns: login, target: "/admin"},
		{name: "exact, dot-dot into it", patterns: login, target: "/admin/../login"},
		{name: "exact, %2F", patterns: login, target: "/login%2Fx"},

		// Subtrees.
		{name: "subtree file", patterns: static, target: "/static/a.css", excluded: true},
		{name: "subtree deep", patterns: static, target: "/static/css/a/b.css", excluded: true},
		{name: "subtree root", patterns: static, target: "/static/", excluded: true},
		{name: "subtree, not a prefix", patterns: static, target: "/staticfoo"},
		{name: "subtree, not a prefix with slash", patterns: static, target: "/staticfoo/a.css"},
		{name: "subtree, without slash redirects", patterns: static, target: "/static"},
		{name: "subtree, dot-dot out", patterns: static, target: "/static/../admin"},
		{name: "subtree, dot-dot in the middle", patterns: static, target: "/static/css/../../admin"},
		{name: "subtree, dot segment", patterns: static, target: "/static/./a.css"},
		{name: "subtree, double slash inside", patterns: static, target: "/static//a.css"},
		{name: "subtree, double slash before", patterns: static, target: "//static/a.css"},
		{name: "public, dot-dot out", patterns: public, target: "/public/../admin"},
		{name: "public, double slash", patterns: public, target: "//admin"},
		{name: "public, %2F dot-dot", patterns: public, target: "/public%2F..%2Fadmin"},
		{name: "public, %2F in name", patterns: public, target: "/public%2Fx"},
		// %70 is "p": this is /public/x, which a ServeMux routes to
		// "/public/" as well. Excluding it is right.
		{name: "public, %70ublic", patterns: public, target: "/%70ublic/x", excluded: true},
		{name: "public, %70ublic set directly", patterns: public, target: "/", path: "/public/x", rawPath: "/%70ublic/x", excluded: true},
		{name: "public, %2e%2e at the root", patterns: public, target: "/%2e%2e/admin"},
		{name: "public, %2e%2e set directly at the root", patterns: public, target: "/", path: "/../admin", rawPath: "/%2e%2e/admin"},
		{name: "public, dot-dot set directly without RawPath", patterns: public, target: "/", path: "/public/../admin"},

		// The path is not canonical: r.URL.Path is "/static/../admin", and
		// the config docs promise such a request is never excluded.
		// net/http.ServeMux cleans the escaped path, in which %2e%2e is
		// not a dot-dot segment, and matches "/static/".
		{name: "subtree, %2e%2e dot-dot out", patterns: static, target: "/static/%2e%2e/admin"},
		{name: "subtree, %2E%2E dot-dot out", patterns: static, target: "/static/%2E%2E/admin"},
		{name: "subtree, .%2e dot-dot out", patterns: static, target: "/static/.%2e/admin"},
		{name: "public, %2e%2e set directly", patterns: public, target: "/", path: "/public/../admin", rawPath: "/public/%2e%2e/admin"},
		{name: "wildcard, %2e%2e as the name", patterns: files, target: "/files/%2e%2e"},
		{name: "subtree, %2F-encoded dot-dots", patterns: static, target: "/static/a%2F..%2F..%2Fadmin"},
		{name: "subtree, mixed encodings", patterns: static, target: "/static/a/%2e./..%2Fadmin"},
		// ServeMux does not canonicalize CONNECT requests at all.
		{name: "CONNECT, dot-dot out", patterns: static, method: "CONNECT", target: "/static/../admin"},
		{name: "CONNECT, double slash", patterns: static, method: "CONNECT", target: "/static//../admin"},
		{name: "CONNECT, canonical", patterns: static, method: "CONNECT", target: "/static/a.css", excluded: true},

		// Methods: GET also matches HEAD.
		{name: "GET pattern, GET", patterns: health, target: "/health", excluded: true},
		{name: "GET pattern, HEAD", patterns: health, method: "HEAD", target: "/health", excluded: true},
		{name: "GET pattern, POST", patterns: health, method: "POST", target: "/health"},
		{name: "GET pattern, OPTIONS", patterns: health, method: "OPTIONS", target: "/health"},
		{name: "GET pattern, DELETE", patterns: health, method: "DELETE", target: "/health"},
		{name: "GET pattern, lower-case get", patterns: health, method: "get", target: "/health"},
		{name: "GET pattern, other path", patterns: health, target: "/healthz"},
		{name: "HEAD pattern, GET", patterns: []string{"HEAD /health"}, target: "/health"},

		// {$}: only the root.
		{name: "{$}, root", patterns: root, target: "/", excluded: true},
		{name: "{$}, root with query", patterns: root, target: "/?x=1", excluded: true},
		{name: "{$}, HEAD root", patterns: root, method: "HEAD", target: "/", excluded: true},
		{name: "{$}, below root", patterns: root, target: "/x"},
		{name: "{$}, POST root", patterns: root, method: "POST", target: "/"},
		{name: "{$}, double slash", patterns: root, target: "//"},

		// Hosts.
		{name: "host", patterns: host, target: "/public/x", host: "api.example.com", excluded: true},
		{name: "host with port", patterns: host, target: "/public/x", host: "api.example.com:8443", excluded: true},
		{name: "host, absolute URL", patterns: host, target: "http://api.example.com/public/x", excluded: true},
		{name: "other host", patterns: host, target: "/public/x", host: "other.example"},
		{name: "host suffix", patterns: host, target: "/public/x", host: "evil-api.example.com"},
		{name: "host prefix", patterns: host, target: "/public/x", host: "api.example.com.evil"},
		{name: "host, other path", patterns: host, target: "/private/x", host: "api.example.com"},

		// Wildcards match one segment.
		{name: "wildcard", patterns: files, target: "/files/a.txt", excluded: true},
		// ServeMux matches "a%2Fb" as one segment, but the handler
		// reads /files/a/b: see TestExcludeEncodedSlash.
		{name: "wildcard, encoded slash in the segment", patterns: files, target: "/files/a%2Fb"},
		{name: "wildcard, two segments", patterns: files, target: "/files/a/b"},
		{name: "wildcard, empty", patterns: files, target: "/files/"},
		{name: "wildcard, none", patterns: files, target: "/files"},
		{name: "wildcard, dot-dot", patterns: files, target: "/files/.."},
		{name: "wildcard, dot-dot out", patterns: files, target: "/files/../admin"},
		{name: "rest wildcard", patterns: []string{"/docs/{rest...}"}, target: "/docs/a/b", excluded: true},
		{name: "rest wildcard, dot-dot out", patterns: []string{"/docs/{rest...}"}, target: "/docs/a/../../admin"},

		// "/static" is one path, "/static/" a subtree.
		{name: "no slash, the path", patterns: bare, target: "/static", excluded: true},
		{name: "no slash, not the subtree", patterns: bare, target: "/static/a.css"},
		{name: "no slash, not with slash", patterns: bare, target: "/static/"},
		{name: "both", patterns: []string{"/static", "/static/"}, target: "/static", excluded: true},

		// Several patterns together.
		{name: "many, root", patterns: many, target: "/", excluded: true},
		{name: "many, login", patterns: many, method: "POST", target: "/login", excluded: true},
		{name: "many, static", patterns: many, target: "/static/x.js", excluded: true},
		{name: "many, health", patterns: many, target: "/health", excluded: true},
		{name: "many, file", patterns: many, target: "/files/x", excluded: true},
		{name: "many, admin", patterns: many, target: "/admin"},
		{name: "many, POST health", patterns: many, method: "POST", target: "/health"},
		{name: "many, unknown", patterns: many, target: "/x/y/z"},

		// Literals that other routers read as syntax: see TestExcludeSyntax.
		{name: "bracket is a literal", patterns: []string{"/["}, target: "/[", excluded: true},
		{name: "escaped star is a literal", patterns: []string{"/docs/%2A"}, target: "/docs/*", excluded: true},
		{name: "escaped star, not a wildcard", patterns: []string{"/docs/%2A"}, target: "/docs/a"},
		{name: "escaped colon is a literal", patterns: []string{"/posts/%3Aid"}, target: "/posts/:id", excluded: true},
		{name: "escaped colon, not a wildcard", patterns: []string{"/posts/%3Aid"}, target: "/posts/1"},
		{name: "colon inside a segment", patterns: []string{"/a:b"}, target: "/a:b", excluded: true},
		{name: "bracket is not a class", patterns: []string{"/["}, target: "/a"},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: tc.patterns})
			r := tc.request()
			if got := kitExcluded(t, m, r); got != tc.excluded {
				t.Errorf("%s %s (Path %q, RawPath %q, Host %q) with %q: excluded = %v, want %v",
					r.Method, tc.target, r.URL.Path, r.URL.RawPath, r.Host, tc.patterns, got, tc.excluded)
			}
		})
	}
}

// TestExcludeTokenStillVerified: an excluded request with a token passes
// without claims, whatever the token; one that is not excluded is verified.
func TestExcludeTokenStillVerified(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: []string{"/login"}})
	good := kitToken(t, kitClaims("alice"))
	for _, auth := range []string{"Bearer " + good, "Bearer garbage", "Bearer"} {
		probe := &kitProbe{}
		r := kitReq("GET", "/login", nil, "Authorization", auth)
		m.Handler(probe).ServeHTTP(httptest.NewRecorder(), r)
		if probe.reached != 1 || probe.hasAuth {
			t.Errorf("%q on an excluded path: reached=%d claims=%v", auth, probe.reached, probe.hasAuth)
		}
	}
	probe := &kitProbe{}
	m.Handler(probe).ServeHTTP(httptest.NewRecorder(), kitReq("GET", "/x", nil, "Authorization", "Bearer "+good))
	if !probe.hasAuth || probe.claims.Subject() != "alice" {
		t.Error("not excluded, valid token: no claims")
	}
}

// TestExcludeNonCanonicalFileServer is the request an attacker sends when
// the application serves files from the root and excludes a public subtree:
// "/public/%2e%2e/private/secret.txt" is matched by ServeMux as a path under
// "/public/", but r.URL.Path is "/public/../private/secret.txt", which
// http.FileServer cleans to "/private/secret.txt".
func TestExcludeNonCanonicalFileServer(t *testing.T) {
	files := fstest.MapFS{
		"public/index.txt":   {Data: []byte("public page")},
		"private/secret.txt": {Data: []byte("TOP-SECRET")},
	}
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: []string{"/public/"}})
	srv := httptest.NewServer(m.Handler(http.FileServerFS(files)))
	defer srv.Close()

	get := func(path string) (int, string) {
		t.Helper()
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if code, body := get("/public/index.txt"); code != 200 || body != "public page" {
		t.Fatalf("public file: %d %q", code, body)
	}
	if code, _ := get("/private/secret.txt"); code != 401 {
		t.Fatalf("private file without a token: %d, want 401", code)
	}
	for _, path := range []string{
		"/public/../private/secret.txt",
		"/public/%2e%2e/private/secret.txt",
		"/public/%2E%2E/private/secret.txt",
		"/public/.%2e/private/secret.txt",
		"/public/x%2F..%2F..%2Fprivate/secret.txt",
		"/public//../private/secret.txt",
	} {
		code, body := get(path)
		if strings.Contains(body, "TOP-SECRET") {
			t.Errorf("GET %s without a token: %d %q: the private file was served", path, code, body)
		}
	}

	// ServeMux does not clean the paths of CONNECT requests, so the plain
	// dot-dot works with that method. http.Client would not send it; a raw
	// connection does.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "CONNECT /public/../private/secret.txt HTTP/1.1\r\nHost: example.com\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "TOP-SECRET") {
		t.Errorf("CONNECT /public/../private/secret.txt without a token: %d %q: the private file was served", res.StatusCode, body)
	}
}

// TestExcludeConfigErrors: an invalid or conflicting pattern makes New fail
// with ErrConfig, and never panics.
func TestExcludeConfigErrors(t *testing.T) {
	for _, patterns := range [][]string{
		{""},
		{"x"},
		{"GET"},
		{"api.example.com"},
		{"G@T /x"},
		{"/x "},
		{"/{"},
		{"/{-}"},
		{"/{$}x"},
		{"/{x}/{x}"},
		{"/a/{x...}/b"},
		{"/{x y}"},
		{"/login", "/login"},
		{"/ok", "/login", "/login"},
		{"GET /x", "GET /x"},
		{"get /x"}, // ServeMux takes "get" as a method no client sends
		{"/a/{x}", "/{y}/b"},
		{"/a/{x}", "/a/{y}"},
		{"/x/", "/x/{y...}"},
	} {
		t.Run(fmt.Sprintf("%q", patterns), func(t *testing.T) {
			var m *jwtauth.Middleware
			var err error
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("New panicked: %v", v)
					}
				}()
				m, err = jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: patterns})
			}()
			if m != nil || !errors.Is(err, jwtauth.ErrConfig) {
				t.Fatalf("New = %v, %v; want an error matching ErrConfig", m, err)
			}
			if !strings.Contains(err.Error(), "Exclude[") {
				t.Errorf("error %q does not name the field", err)
			}
			kitNoFileInError(t, err)
		})
	}
}

// kitNoFileInError fails if err quotes a source file or a directory of this
// machine, as ServeMux's conflict messages do ("registered at
// /usr/local/go/src/...:123").
func kitNoFileInError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	for _, bad := range []string{".go:", "/usr/", runtime.GOROOT(), "registered at", "\n"} {
		if bad != "" && strings.Contains(msg, bad) {
			t.Errorf("error %q contains %q", msg, bad)
		}
	}
}

// TestExcludeErrorMessages: an invalid or conflicting pattern gives a short
// message that names the patterns by index, and nothing of the library's
// files.
func TestExcludeErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		want     string // the message after "invalid config: "
	}{
		{[]string{"/a/{y}", "/a/{x}"}, `Exclude[1]: "/a/{x}" conflicts with Exclude[0] "/a/{y}"`},
		{[]string{"/ok", "/a/{x}", "/{y}/b"}, `Exclude[2]: "/{y}/b" conflicts with Exclude[1] "/a/{x}"`},
		{[]string{"GET /{x}", "/login"}, `Exclude[1]: "/login" conflicts with Exclude[0] "GET /{x}"`},
		{[]string{"/x/", "/x/{y...}"}, `Exclude[1]: "/x/{y...}" conflicts with Exclude[0] "/x/"`},
		{[]string{"/login", "/static/", "/login"}, `Exclude[2]: "/login" repeats Exclude[0]`},
		{[]string{"/ok", "/{"}, `Exclude[1]: "/{" is not a net/http pattern: at offset 1: bad wildcard segment (must end with '}')`},
		{[]string{""}, `Exclude[0]: "" is not a net/http pattern: invalid pattern`},
		{[]string{"api.example.com"}, `Exclude[0]: "api.example.com" is not a net/http pattern: at offset 0: host/path missing /`},
		{[]string{"/{x}/{x}"}, `Exclude[0]: "/{x}/{x}" is not a net/http pattern: at offset 5: duplicate wildcard name "x"`},
		{[]string{"GET /a/../b"}, `Exclude[0]: "GET /a/../b" is not a net/http pattern: at offset 4: non-CONNECT pattern with unclean path can never match`},
	} {
		t.Run(fmt.Sprintf("%q", tc.patterns), func(t *testing.T) {
			_, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: tc.patterns})
			if !errors.Is(err, jwtauth.ErrConfig) {
				t.Fatalf("New error %v, want one matching ErrConfig", err)
			}
			if !strings.HasSuffix(err.Error(), "invalid config: "+tc.want) {
				t.Errorf("error %q\nwant   %q", err, "jwtauth: invalid config: "+tc.want)
			}
			kitNoFileInError(t, err)
		})
	}
}

// TestExcludeLikeServeMux: New rejects exactly the patterns, and the pairs of
// patterns, that ServeMux rejects, and also those that New refuses on
// purpose: the candidates in refused.
func TestExcludeLikeServeMux(t *testing.T) {
	candidates := []string{
		"", "/", "/x", "/x/", "GET /x", "GET  /x", "GET\t/x", "get /x", "BAD METHOD /x", "/[", "x", "GET",
		"/{", "/{x}", "/{x...}", "/{$}", "GET /{$}", "/{x}/{x}", "/a/{x...}/b", "/{x y}", "/x ", " /x",
		"api.example.com/", "GET api.example.com/x", "/%zz", "/a%2fb", "CONNECT /x", "/\x00", "/é",
	}
	refused := map[string]string{
		"/":                "excludes every request",
		"/{x...}":          "excludes every request",
		"api.example.com/": "excludes every request to a host",
		"get /x":           "ServeMux takes \"get\" as a method no client sends",
		"GET  /x":          "not one space",
		"GET\t/x":          "not one space",
		"BAD METHOD /x":    "host \"METHOD \"",
		" /x":              "an empty method",
		"/%zz":             "'%' once decoded",
		"/a%2fb":           "'/' once decoded",
	}
	muxAccepts := func(patterns ...string) (ok bool) {
		defer func() {
			if recover() != nil {
				ok = false
			}
		}()
		mux := http.NewServeMux()
		for _, p := range patterns {
			mux.Handle(p, http.NotFoundHandler())
		}
		return true
	}
	check := func(patterns ...string) {
		_, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: patterns})
		want := muxAccepts(patterns...)
		for _, p := range patterns {
			if refused[p] != "" {
				want = false
			}
		}
		if (err == nil) != want {
			t.Errorf("%q: New error %v, want accepted: %v", patterns, err, want)
		}
	}
	for _, a := range candidates {
		check(a)
		for _, b := range candidates {
			check(a, b)
		}
	}
}

// TestExcludeEverything: a pattern that excludes every request, of every
// method or one, to every host or one, or every request below a path of
// wildcards, would turn authentication off while looking like an exception:
// New refuses it, and says how to exclude the root only.
func TestExcludeEverything(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		want     string // in the error; "" when New accepts the patterns
	}{
		{[]string{"/"}, `"/" excludes every request, which turns authentication off; write "/{$}" to exclude the root only, or set InsecureExcludeEverything`},
		{[]string{"/{p...}"}, `write "/{$}"`},
		{[]string{"GET /"}, `"GET /" excludes every request with GET or HEAD, which turns authentication off; write "GET /{$}"`},
		{[]string{"HEAD /{a...}"}, `with HEAD, which`},
		{[]string{"POST /"}, `with POST,`},
		{[]string{"CONNECT /"}, "excludes every request"},
		{[]string{"example.com/"}, `"example.com/" excludes every request to example.com, which turns authentication off; write "example.com/{$}"`},
		{[]string{"GET example.com/{rest...}"}, `to example.com with GET or HEAD`},
		{[]string{"/{tenant}/"}, `below "/{tenant}/", which turns authentication off for nearly every route`},
		{[]string{"/{a}/{b}/{c...}"}, `below "/{a}/{b}/{c...}"`},
		{[]string{"GET /{id}/"}, "excludes every request with GET or HEAD below"},
		{[]string{"/login", "/"}, "Exclude[1]: "},
		{[]string{"GET /{$}", "/login", "GET /"}, "Exclude[2]: "},

		// Root only, one segment, or under a literal: accepted.
		{[]string{"/{$}"}, ""},
		{[]string{"GET /{$}"}, ""},
		{[]string{"example.com/{$}"}, ""},
		{[]string{"/{id}"}, ""},
		{[]string{"/{id}/{$}"}, ""},
		{[]string{"/a/"}, ""},
		{[]string{"/{tenant}/public/"}, ""},
		{[]string{"/{tenant}/public/{rest...}"}, ""},
		{[]string{"example.com/public/"}, ""},
	} {
		t.Run(fmt.Sprintf("%q", tc.patterns), func(t *testing.T) {
			m, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: tc.patterns})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if m != nil || !errors.Is(err, jwtauth.ErrConfig) {
				t.Fatalf("New = %v, %v; want an error matching ErrConfig", m, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "InsecureExcludeEverything") {
				t.Errorf("error %q does not name the way out", err)
			}
			kitNoFileInError(t, err)
		})
	}
}

// TestExcludeSyntax: patterns that ServeMux accepts as literals but that
// are another router's syntax, a method that ServeMux reads in a surprising
// way, and paths no excluded request has: New refuses them, and shows the
// net/http spelling when there is one.
func TestExcludeSyntax(t *testing.T) {
	const other = "another router's syntax"
	const method = `write "METHOD /path", with an upper-case method and one space`
	for _, tc := range []struct {
		pattern string
		want    string // in the error after "Exclude[0]: "; "" when New accepts it
	}{
		// Other routers' wildcards.
		{"/docs/*", `"/docs/*" is not a net/http pattern; write "/docs/"`},
		{"/docs/**", `"/docs/**" is not a net/http pattern; write "/docs/"`},
		{"/posts/:id", `"/posts/:id" is not a net/http pattern; write "/posts/{id}"`},
		{"GET /posts/:id/comments/:cid", `write "GET /posts/{id}/comments/{cid}"`},
		{"/a/*b", `write "/a/{b...}"`},
		{"/static/*filepath", `write "/static/{filepath...}"`},
		{"api.example.com/files/*", `write "api.example.com/files/"`},
		{"POST api.example.com/u/:id/*rest", `write "POST api.example.com/u/{id}/{rest...}"`},
		{":id", "host/path missing /"},
		{"/:id", `write "/{id}"`},
		{"/a/*/b", other},
		{"/a/**/b", other},
		{"/a/*b/c", other},
		{"/*", other},      // "/" would exclude every request
		{"GET /**", other}, // so would "GET /"
		{"/{x}/*", other},  // and "/{x}/"
		{"/static/*.css", other},
		{"/:id.json", other},
		{"/:id/:id", other},
		{"/:", other},
		{"/*/", other},

		// Methods.
		{"get /x", `"get /x" is not a net/http pattern; write "GET /x"`},
		{"Get /x", `write "GET /x"`},
		{"GET\t/x", `"GET\t/x" is not a net/http pattern; write "GET /x"`},
		{"GET  /x", `write "GET /x"`},
		{"GET \t/x", `write "GET /x"`},
		{" /x", `" /x" is not a net/http pattern; write "/x"`},
		{"\t/x", `write "/x"`},
		{"BAD METHOD /x", method},
		{"GET /x /y", method},
		{"GET /x\t", method},
		{"\tGET /x", method},
		{"/x ", method},
		{"/{x y}", method},
		{"GÉT /x", method},
		{"get /", method}, // "GET /" would exclude everything

		// Paths no excluded request has.
		{"/a//b", `can never match: a path with "//"`},
		{"//", `"//"`},
		{"/a/./b", `a "." or ".." segment`},
		{"/a/../b", `a "." or ".." segment`},
		{"/a/%2e%2E/b", `a "." or ".." segment`},
		{"/a%2Fb", `an escaped "/"`},
		{"/files/a%2fb/", `an escaped "/"`},
		{"/100%25", `'%'`},
		{"/%zz", `'%'`},
		{"/a%5Cb", `'\'`},
		{"/a\\b", `'\'`},

		// Accepted.
		{"/docs/%2A", ""},
		{"/posts/%3Aid", ""},
		{"/a*", ""},
		{"/a:b", ""},
		{"/x:y/", ""},
		{"GET /files/{name}", ""},
		{"M-SEARCH /x", ""},
		{"GET /{$}", ""},
		{"/caf%C3%A9/", ""},
		{"/a%20b", ""},
		{"CONNECT /x", ""},
	} {
		t.Run(fmt.Sprintf("%q", tc.pattern), func(t *testing.T) {
			_, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: []string{tc.pattern}})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if !errors.Is(err, jwtauth.ErrConfig) {
				t.Fatalf("New error %v, want one matching ErrConfig", err)
			}
			if !strings.Contains(err.Error(), "Exclude[0]: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			kitNoFileInError(t, err)
		})
	}
}

// TestExcludeCopied: changing the slice after New changes nothing.
func TestExcludeCopied(t *testing.T) {
	patterns := []string{"/login"}
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: patterns})
	patterns[0] = "/admin"
	if !kitExcluded(t, m, httptest.NewRequest("GET", "/login", nil)) {
		t.Error("/login no longer excluded")
	}
	if kitExcluded(t, m, httptest.NewRequest("GET", "/admin", nil)) {
		t.Error("/admin excluded after the caller changed its slice")
	}
}

// TestExcludeMany: a thousand patterns work, and New stays fast.
func TestExcludeMany(t *testing.T) {
	var patterns []string
	for i := range 1000 {
		switch i % 4 {
		case 0:
			patterns = append(patterns, fmt.Sprintf("/p%d", i))
		case 1:
			patterns = append(patterns, fmt.Sprintf("/tree%d/", i))
		case 2:
			patterns = append(patterns, fmt.Sprintf("GET /m%d/{id}", i))
		case 3:
			patterns = append(patterns, fmt.Sprintf("h%d.example/x/", i))
		}
	}
	start := time.Now()
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: patterns})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("New with 1000 patterns took %v", d)
	}
	for _, tc := range []struct {
		method, target, host string
		want                 bool
	}{
		{"GET", "/p0", "", true},
		{"GET", "/p996", "", true},
		{"GET", "/p1", "", false},
		{"GET", "/tree1/a", "", true},
		{"GET", "/tree997/a/b", "", true},
		{"GET", "/tree997", "", false},
		{"GET", "/m2/42", "", true},
		{"POST", "/m998/42", "", false},
		{"GET", "/x/y", "h3.example", true},
		{"GET", "/x/y", "h7.example", true},
		{"GET", "/x/y", "h4.example", false},
		{"GET", "/p1000", "", false},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.host != "" {
			r.Host = tc.host
		}
		if got := kitExcluded(t, m, r); got != tc.want {
			t.Errorf("%s %s%s: excluded = %v, want %v", tc.method, tc.host, tc.target, got, tc.want)
		}
	}
}
