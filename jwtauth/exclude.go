package jwtauth

import (
	"fmt"
	"net/http"
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
// conflicting pattern into an error.
func register(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	mux.Handle(pattern, excluded{})
	return nil
}

func (e *excluder) match(r *http.Request) bool {
	h, _ := e.mux.Handler(r)
	_, ok := h.(excluded)
	return ok
}
