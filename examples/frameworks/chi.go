package main

import (
	"encoding/json"
	"net/http"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/go-chi/chi/v5"
)

// newChi mounts the middleware in chi. chi routers take net/http middleware
// as they are: r.Use for every route, r.With for one.
func newChi(mw *jwtauth.Middleware) http.Handler {
	r := chi.NewRouter()
	r.Use(mw.Handler)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, healthBody())
	})
	r.Get("/me", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtauth.FromContext(r.Context())
		writeJSON(w, meBody(claims))
	})
	r.With(jwtauth.RequireScope("items:read")).Get("/items", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, itemsBody())
	})
	r.With(jwtauth.RequireClaim("role", "admin")).Get("/admin", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, adminBody())
	})
	return r
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}
