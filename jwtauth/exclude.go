package jwtauth

import (
	"fmt"
	"net/http"
	"path"
	"strings"
)

// excluder decides which requests skip authentication, with a ServeMux of its
// own so that Config.Exclude patterns mean exactly what net/http says.
type excluder struct{ mux *http.ServeMux }

// excluded is the handler registered for every exclusion pattern. ServeMux
// answers other requests with its own handlers: NotFound, 405, and redirects
// for non-canonical paths ("/a/../b", "/static" for "/static/"), which report
// a pattern too. Only this handler type means "matched", so a path that
// needs cleaning is never excluded.
type excluded struct{}

func (excluded) ServeHTTP(http.ResponseWriter, *http.Request) {}

func newExcluder(patterns []string) (_ *excluder, err error) {
	mux := http.NewServeMux()
	for i, p := range patterns {
		if err := register(mux, p); err != nil {
			return nil, configError("Exclude[%d]: %v", i, err)
		}
	}
	return &excluder{mux: mux}, nil
}

// register adds one pattern, turning ServeMux's panic on an invalid or
// conflicting pattern into an error. A method must be upper case: ServeMux
// would take "get /x" as a method named "get" that no client sends, and so
// silently exclude nothing.
func register(mux *http.ServeMux, pattern string) (err error) {
	if method, rest, ok := strings.Cut(pattern, " "); ok && strings.TrimLeft(rest, " \t") != "" {
		if method != strings.ToUpper(method) {
			return fmt.Errorf("method %q is not upper case", method)
		}
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	mux.Handle(pattern, excluded{})
	return nil
}

// match reports whether r is excluded. The decoded path must be canonical
// first: ServeMux cleans only the escaped path, so "/public/%2e%2e/private"
// would match "/public/" while a file server behind it reads the decoded
// "/public/../private" and serves "/private". CONNECT requests, which
// ServeMux does not clean at all, get the same check.
func (e *excluder) match(r *http.Request) bool {
	if !isCanonical(r.URL.Path) {
		return false
	}
	h, _ := e.mux.Handler(r)
	_, ok := h.(excluded)
	return ok
}

// isCanonical reports whether p is an absolute path that path.Clean leaves
// alone, but for a trailing slash: no "//", ".", ".." segments.
func isCanonical(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if p[len(p)-1] == '/' && c != "/" {
		c += "/"
	}
	return c == p
}
