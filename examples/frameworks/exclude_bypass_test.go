package main

import (
	"bufio"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
)

// secretFile is the content of the protected file of the bypass tests.
const secretFile = "TOP-SECRET-FILE"

// bypassFiles holds a public file and, one level down, a protected one.
var bypassFiles = map[string]string{
	"public.txt":         "public file",
	"private/secret.txt": secretFile,
}

// rawGet sends one request with target written into the request line as it
// is (http.Client would re-encode it) and returns the status and body.
func rawGet(t *testing.T, addr, method, target, auth string) (int, string) {
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

// ginFiles is gin serving bypassFiles from a catch-all route, behind the
// middleware, with gin's path settings changed by set.
func ginFiles(mw *jwtauth.Middleware, set func(*gin.Engine)) http.Handler {
	e := gin.New()
	set(e)
	e.Use(ginMiddleware(mw.Handler))
	e.GET("/files/*name", func(c *gin.Context) {
		body, ok := bypassFiles[strings.TrimPrefix(c.Param("name"), "/")]
		if !ok {
			c.String(http.StatusNotFound, "not found")
			return
		}
		c.String(http.StatusOK, "%s", body)
	})
	return e
}

// chiFiles is chi serving bypassFiles with http.FileServerFS under
// http.StripPrefix, behind the middleware; or, with byParam, from the
// catch-all parameter, which chi takes from the escaped path.
func chiFiles(mw *jwtauth.Middleware, byParam bool) http.Handler {
	mfs := fstest.MapFS{}
	for name, body := range bypassFiles {
		mfs[name] = &fstest.MapFile{Data: []byte(body)}
	}
	var files fs.FS = mfs
	r := chi.NewRouter()
	r.Use(mw.Handler)
	if byParam {
		r.Get("/files/*", func(w http.ResponseWriter, r *http.Request) {
			body, ok := bypassFiles[chi.URLParam(r, "*")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, body)
		})
	} else {
		r.Handle("/files/*", http.StripPrefix("/files/", http.FileServerFS(files)))
	}
	return r
}

// TestExcludeEncodedSlash: Exclude "GET /files/{name}" in front of gin and
// chi. "/files/private%2Fsecret.txt" is one segment to the middleware's
// ServeMux, but gin (by default, and with UseRawPath and
// UnescapePathValues) and http.StripPrefix + http.FileServerFS under chi
// read "private/secret.txt": without a token, it must get 401. gin's
// UseRawPath routes on the escaped path, but UnescapePathValues (on by
// default) decodes "*name" after, so the file is served all the same.
func TestExcludeEncodedSlash(t *testing.T) {
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(testSecret), Exclude: []string{"GET /files/{name}"}})
	if err != nil {
		t.Fatal(err)
	}
	token := "Bearer " + mint(t, testSecret, time.Now(), "alice", nil)
	routers := []struct {
		name string
		h    http.Handler
		// served are the attacks (by index) that the router resolves to
		// the protected file, as it does once they carry a token: the
		// ones that would be bypasses if the middleware excluded them.
		served map[int]bool
	}{
		{"gin default", ginFiles(mw, func(*gin.Engine) {}), served(0, 1, 2, 3, 4, 5)},
		{"gin UseRawPath", ginFiles(mw, func(e *gin.Engine) { e.UseRawPath = true }), served(0, 1, 2, 3, 4)},
		{"gin UseRawPath without UnescapePathValues", ginFiles(mw, func(e *gin.Engine) { e.UseRawPath, e.UnescapePathValues = true, false }), served()},
		{"gin RemoveExtraSlash", ginFiles(mw, func(e *gin.Engine) { e.RemoveExtraSlash = true }), served(0, 1, 2, 3, 4, 5, 9, 10)},
		{"chi StripPrefix FileServerFS", chiFiles(mw, false), served(0, 1, 2, 3, 4, 9)},
		{"chi URLParam", chiFiles(mw, true), served()},
	}
	attacks := []struct{ method, target string }{
		{"GET", "/files/private%2Fsecret.txt"},
		{"GET", "/files/private%2fsecret.txt"},
		{"GET", "http://example.com/files/private%2Fsecret.txt"},
		{"GET", "/files/private%2F%73ecret.txt"},
		{"GET", "/files/%70rivate%2fsecret.txt?x=1"},
		{"GET", "/%66iles/private%2Fsecret.txt"},
		{"HEAD", "/files/private%2Fsecret.txt"},
		{"GET", "/files/private%5Csecret.txt"},
		{"GET", "/files/private%252Fsecret.txt"},
		{"GET", "/files/x%2F..%2Fprivate%2Fsecret.txt"},
		{"GET", "/files/%2e%2e%2Ffiles%2Fprivate%2Fsecret.txt"},
	}
	for _, rt := range routers {
		t.Run(rt.name, func(t *testing.T) {
			srv := httptest.NewServer(rt.h)
			defer srv.Close()
			addr := srv.Listener.Addr().String()
			if code, body := rawGet(t, addr, "GET", "/files/public.txt", ""); code != 200 || body != "public file" {
				t.Fatalf("public file: %d %q", code, body)
			}
			if code, body := rawGet(t, addr, "GET", "/files/private/secret.txt", ""); code != 401 || strings.Contains(body, secretFile) {
				t.Errorf("protected file without a token: %d %q, want 401", code, body)
			}
			if code, body := rawGet(t, addr, "GET", "/files/private/secret.txt", token); code != 200 || body != secretFile {
				t.Errorf("protected file with a token: %d %q", code, body)
			}
			for i, a := range attacks {
				code, body := rawGet(t, addr, a.method, a.target, "")
				if strings.Contains(body, secretFile) {
					t.Errorf("%s %s without a token: %d: the protected file was served", a.method, a.target, code)
				} else if code != 401 {
					t.Errorf("%s %s without a token: %d, want 401", a.method, a.target, code)
				}
				// The rows marked served are real attacks on this
				// router: with a token, they reach the file.
				code, body = rawGet(t, addr, a.method, a.target, token)
				if got := code == 200 && body == secretFile; got != rt.served[i] {
					t.Errorf("%s %s with a token: %d %q; served = %v, want %v", a.method, a.target, code, body, got, rt.served[i])
				}
			}
		})
	}
}

func served(attacks ...int) map[int]bool {
	m := map[int]bool{}
	for _, i := range attacks {
		m[i] = true
	}
	return m
}
