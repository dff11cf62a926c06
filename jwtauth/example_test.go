package jwtauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// exampleSecret is the HMAC secret of the examples: at least 32 bytes. Read
// yours from the environment or a secret store, never from the source.
var exampleSecret = []byte("example-secret-0123456789abcdefghijklmnopqrstuvwxyz")

// exampleToken mints an HS256 token as another service would, with jwx. It
// expires in 2100, so the examples' output does not depend on the clock.
func exampleToken(subject string, claims map[string]any) string {
	b := jwt.NewBuilder().
		Subject(subject).
		IssuedAt(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)).
		Expiration(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	for name, v := range claims {
		b = b.Claim(name, v)
	}
	tok, err := b.Build()
	if err != nil {
		log.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), exampleSecret))
	if err != nil {
		log.Fatal(err)
	}
	return string(signed)
}

// exampleDo sends r to h and returns the response.
func exampleDo(h http.Handler, r *http.Request) *http.Response {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func ExampleNew() {
	mw, err := jwtauth.New(jwtauth.Config{
		Keys:    jwtauth.HMAC(exampleSecret),
		Exclude: []string{"GET /{$}", "/login"},
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "home page")
	})
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtauth.FromContext(r.Context())
		fmt.Fprintf(w, "hello, %s\n", claims.Subject())
	})
	handler := mw.Handler(mux) // http.ListenAndServe(addr, handler)

	// With a token.
	r := httptest.NewRequest("GET", "/user", nil)
	r.Header.Set("Authorization", "Bearer "+exampleToken("alice", nil))
	res := exampleDo(handler, r)
	body, _ := io.ReadAll(res.Body)
	fmt.Print(res.StatusCode, " ", string(body))

	// Without one.
	res = exampleDo(handler, httptest.NewRequest("GET", "/user", nil))
	fmt.Println(res.StatusCode, res.Header.Get("WWW-Authenticate"))

	// An excluded page needs none.
	res = exampleDo(handler, httptest.NewRequest("GET", "/", nil))
	body, _ = io.ReadAll(res.Body)
	fmt.Print(res.StatusCode, " ", string(body))

	// Output:
	// 200 hello, alice
	// 401 Bearer realm="api"
	// 200 home page
}

func ExampleFromContext() {
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(exampleSecret), Optional: true})
	if err != nil {
		log.Fatal(err)
	}
	handler := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, ok := jwtauth.FromContext(r.Context())
		if !ok {
			fmt.Println("visitor")
			return
		}
		fmt.Println("user", claims.Subject(), "until", claims.ExpiresAt().Format(time.DateOnly))
	}))

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+exampleToken("alice", nil))
	handler.ServeHTTP(httptest.NewRecorder(), r)
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))

	// Output:
	// user alice until 2100-01-01
	// visitor
}

func ExampleRequireScope() {
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(exampleSecret)})
	if err != nil {
		log.Fatal(err)
	}
	items := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	mux := http.NewServeMux()
	mux.Handle("POST /items", jwtauth.RequireScope("items:write")(items))
	handler := mw.Handler(mux)

	for _, scope := range []string{"items:read", "items:read items:write"} {
		r := httptest.NewRequest("POST", "/items", nil)
		r.Header.Set("Authorization", "Bearer "+exampleToken("alice", map[string]any{"scope": scope}))
		res := exampleDo(handler, r)
		fmt.Println(res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}

	// Output:
	// 403 Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="items:write"
	// 201
}

func ExampleClaims_Decode() {
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(exampleSecret)})
	if err != nil {
		log.Fatal(err)
	}
	token := exampleToken("42", map[string]any{"name": "Alice", "roles": []string{"admin", "billing"}})
	claims, err := mw.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}

	var profile struct {
		Name  string   `json:"name"`
		Roles []string `json:"roles"`
	}
	if err := claims.Decode(&profile); err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject(), profile.Name, profile.Roles)

	// Output:
	// 42 Alice [admin billing]
}

func ExampleMiddleware_Authenticate() {
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(exampleSecret)})
	if err != nil {
		log.Fatal(err)
	}
	// A WebSocket endpoint, say, that decides itself how to answer.
	upgrade := func(r *http.Request) {
		claims, err := mw.Authenticate(r)
		switch {
		case errors.Is(err, jwtauth.ErrMissingToken):
			fmt.Println("no token:", jwtauth.StatusCode(err))
		case errors.Is(err, jwtauth.ErrTokenExpired):
			fmt.Println("expired:", jwtauth.StatusCode(err))
		case err != nil:
			fmt.Println("rejected:", jwtauth.StatusCode(err))
		default:
			fmt.Println("connected:", claims.Subject())
		}
	}

	r := httptest.NewRequest("GET", "/ws", nil)
	r.Header.Set("Authorization", "Bearer "+exampleToken("alice", nil))
	upgrade(r)

	upgrade(httptest.NewRequest("GET", "/ws", nil))

	r = httptest.NewRequest("GET", "/ws", nil)
	r.Header.Set("Authorization", "Bearer not-a-token")
	upgrade(r)

	r = httptest.NewRequest("GET", "/ws", nil)
	r.Header.Set("Authorization", "Bearer "+exampleToken("alice", nil)+" extra")
	upgrade(r)

	// Output:
	// connected: alice
	// no token: 401
	// rejected: 401
	// rejected: 400
}
