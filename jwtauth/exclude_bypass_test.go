package jwtauth_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// kitSecretFile is the content of the protected file of the bypass tests.
const kitSecretFile = "TOP-SECRET-FILE"

// kitFiles holds a public file next to a protected one one level down.
var kitFiles = fstest.MapFS{
	"files/public.txt":         {Data: []byte("public file")},
	"files/private/secret.txt": {Data: []byte(kitSecretFile)},
}

// kitRawGet sends one request over a new connection, with target written
// into the request line as it is (Go's client would re-encode it), and
// returns the status and body.
func kitRawGet(t *testing.T, addr, method, target, auth string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := method + " " + target + " HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n"
	if auth != "" {
		req += "Authorization: " + auth + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// kitPathHandler serves kitFiles by r.URL.Path, as any router reading the
// decoded path does: behind http.StripPrefix("/files/"), "private/secret.txt".
var kitPathHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	f, ok := kitFiles["files/"+r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(f.Data)
})

// TestExcludeEncodedSlash: with "GET /files/{name}" excluded, a request for
// "/files/private%2Fsecret.txt" is one segment to ServeMux but
// "/files/private/secret.txt" to the handler behind the middleware; it must
// not pass without a token. The same for every other escape that decodes to
// something a path handler reads: "%2e", "%5c", "%252F".
func TestExcludeEncodedSlash(t *testing.T) {
	backends := []struct {
		name string
		h    http.Handler
	}{
		{"FileServerFS", http.FileServerFS(kitFiles)},
		{"StripPrefix", http.StripPrefix("/files/", kitPathHandler)},
	}
	patternSets := [][]string{
		{"GET /files/{name}"},
		{"/files/{name}"},
		{"GET /{$}", "/files/{name}", "/login"},
		{"example.com/files/{name}"},
	}
	// Attacks: each must get 401 and never the file. viaToken says that
	// the backends do serve the protected file for this request once it
	// carries a token: the request reaches them, decoded, if excluded.
	// (StripPrefix 404s "/%66iles/…", whose RawPath lacks the prefix.)
	attacks := []struct {
		method, target string
		viaToken       bool
	}{
		{"GET", "/files/private%2Fsecret.txt", true},
		{"GET", "/files/private%2fsecret.txt", true},
		{"HEAD", "/files/private%2Fsecret.txt", false},
		{"GET", "http://example.com/files/private%2Fsecret.txt", true},
		{"GET", "http://example.com:80/files/private%2fsecret.txt", true},
		{"GET", "/files/private%2Fsecret.txt?download=1", true},
		{"GET", "/%66iles/private%2Fsecret.txt", true},
		{"GET", "/files/private%2F%73ecret.txt", true},
		{"GET", "/files/%70rivate%2fsecret%2Etxt", true},
		{"GET", "/files/x%2F..%2Fprivate%2Fsecret.txt", false},
		{"GET", "/files/%2e%2e%2Ffiles%2Fprivate%2Fsecret.txt", false},
		{"GET", "/files/%2E%2e", false},
		{"GET", "/files/private%5Csecret.txt", false},
		{"GET", "/files/private%5csecret.txt", false},
		{"GET", "/files/private%252Fsecret.txt", false},
		{"GET", "/files/private%252fsecret.txt", false},
		{"GET", "/files/private%25252Fsecret.txt", false},
	}
	tok := "Bearer " + kitToken(t, kitClaims("alice"))
	for _, be := range backends {
		for _, patterns := range patternSets {
			t.Run(fmt.Sprintf("%s/%q", be.name, patterns), func(t *testing.T) {
				m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: patterns})
				srv := httptest.NewServer(m.Handler(be.h))
				defer srv.Close()
				addr := srv.Listener.Addr().String()

				// The exclusion works, and protects what it should.
				if code, body := kitRawGet(t, addr, "GET", "/files/public.txt", ""); code != 200 || body != "public file" {
					t.Fatalf("public file: %d %q", code, body)
				}
				if code, body := kitRawGet(t, addr, "GET", "/files/%70ublic.txt", ""); code != 200 || body != "public file" {
					t.Errorf("public file, needless escape: %d %q", code, body)
				}
				if code, _ := kitRawGet(t, addr, "GET", "/files/private/secret.txt", ""); code != 401 {
					t.Errorf("protected file without a token: %d, want 401", code)
				}
				if code, body := kitRawGet(t, addr, "GET", "/files/private/secret.txt", tok); code != 200 || body != kitSecretFile {
					t.Errorf("protected file with a token: %d %q", code, body)
				}

				for _, a := range attacks {
					code, body := kitRawGet(t, addr, a.method, a.target, "")
					if strings.Contains(body, kitSecretFile) {
						t.Errorf("%s %s without a token: %d: the protected file was served", a.method, a.target, code)
					} else if code != 401 {
						t.Errorf("%s %s without a token: %d, want 401", a.method, a.target, code)
					}
					if !a.viaToken || be.name == "StripPrefix" && strings.HasPrefix(a.target, "/%66") {
						continue
					}
					if code, body := kitRawGet(t, addr, a.method, a.target, tok); code != 200 || body != kitSecretFile {
						t.Errorf("%s %s with a token: %d %q; the backend does not serve the protected file for it, so the row tests nothing", a.method, a.target, code, body)
					}
				}
			})
		}
	}
}

// TestExcludeEncodedSlashRows: the same attacks on Middleware.Handler
// directly, with the subtree and multi-segment patterns, under which an
// encoded slash changes nothing: what the handler reads is excluded too.
func TestExcludeEncodedSlashRows(t *testing.T) {
	files := []string{"GET /files/{name}"}
	tree := []string{"/files/"}
	rest := []string{"/files/{rest...}"}
	two := []string{"/files/{dir}/{name}"}
	rows := []kitExcludeRow{
		{name: "%2F in a one-segment wildcard", patterns: files, target: "/files/private%2Fsecret.txt"},
		{name: "%2f", patterns: files, target: "/files/private%2fsecret.txt"},
		{name: "HEAD %2F", patterns: files, method: "HEAD", target: "/files/private%2Fsecret.txt"},
		{name: "absolute-form %2F", patterns: files, target: "http://example.com/files/private%2Fsecret.txt"},
		{name: "%2F set directly", patterns: files, target: "/", path: "/files/private/secret.txt", rawPath: "/files/private%2Fsecret.txt"},
		{name: "%2F at the end", patterns: files, target: "/files/x%2F"},
		{name: "%2F at the start", patterns: files, target: "/files/%2Fx"},
		{name: "%5C", patterns: files, target: "/files/private%5Csecret.txt"},
		{name: "%5c", patterns: files, target: "/files/private%5csecret.txt"},
		{name: "raw backslash", patterns: files, target: "/files/private\\secret.txt"},
		{name: "%252F", patterns: files, target: "/files/private%252Fsecret.txt"},
		{name: "%25", patterns: files, target: "/files/100%25"},
		{name: "%2e%2e", patterns: files, target: "/files/%2e%2e"},
		{name: "needless escape", patterns: files, target: "/files/%61.txt", excluded: true},
		{name: "escaped space", patterns: files, target: "/files/a%20b.txt", excluded: true},
		{name: "plain", patterns: files, target: "/files/a.txt", excluded: true},
		// The handler reads /files/private/secret.txt, which the pattern
		// excludes as well.
		{name: "subtree, %2F", patterns: tree, target: "/files/private%2Fsecret.txt", excluded: true},
		{name: "rest wildcard, %2F", patterns: rest, target: "/files/private%2Fsecret.txt", excluded: true},
		{name: "two wildcards, %2F joins two segments", patterns: two, target: "/files/private%2Fsecret.txt"},
		{name: "two wildcards, %2F splits one", patterns: two, target: "/files/a%2Fb/c"},
		{name: "two wildcards, %2F in a literal", patterns: two, target: "/files%2Fa/b"},
		{name: "subtree, %2F..%2F", patterns: tree, target: "/files/a%2F..%2F..%2Fadmin"},
		{name: "subtree, %5C..%5C", patterns: tree, target: "/files/a%5C..%5C..%5Cadmin"},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Exclude: tc.patterns})
			r := tc.request()
			if got := kitExcluded(t, m, r); got != tc.excluded {
				t.Errorf("%s %s (Path %q, RawPath %q) with %q: excluded = %v, want %v",
					r.Method, tc.target, r.URL.Path, r.URL.RawPath, tc.patterns, got, tc.excluded)
			}
		})
	}
}
