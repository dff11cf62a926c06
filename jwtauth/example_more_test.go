package jwtauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

func ExampleMiddleware_Verify() {
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(exampleSecret)})
	if err != nil {
		log.Fatal(err)
	}
	// A token from a queue message, not an HTTP request.
	claims, err := mw.Verify(context.Background(), exampleToken("alice", nil))
	fmt.Println(claims.Subject(), err)
	_, err = mw.Verify(context.Background(), "not.a.token")
	fmt.Println(errors.Is(err, jwtauth.ErrInvalidToken), jwtauth.StatusCode(err))
	// Output:
	// alice <nil>
	// true 401
}

// Keys of a public key from a PEM file (parse it with encoding/pem and
// x509.ParsePKIXPublicKey): the algorithm is fixed here, not by the token.
func ExamplePublicKey() {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: priv}})
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.PublicKey("ES256", &priv.PublicKey)})
	if err != nil {
		log.Fatal(err)
	}
	tok, _ := iss.Issue(context.Background(), "alice", nil)
	c, err := mw.Verify(context.Background(), tok)
	fmt.Println(c.Subject(), err)
	// A key that does not fit its algorithm is refused when configured.
	_, err = jwtauth.New(jwtauth.Config{Keys: jwtauth.PublicKey("RS256", &priv.PublicKey)})
	fmt.Println(errors.Is(err, jwtauth.ErrKeyAlgorithm))
	// Output:
	// alice <nil>
	// true
}

// Keys of a JWK Set document held locally (a file, a config map); for one
// that a provider serves, see Remote.
func ExampleKeySet() {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: priv, ID: "key-1"}})
	w := httptest.NewRecorder()
	iss.JWKSHandler().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	jwks := w.Body.Bytes() // {"keys":[{"kty":"EC","kid":"key-1","alg":"ES256",…}]}

	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.KeySet(jwks)})
	if err != nil {
		log.Fatal(err)
	}
	tok, _ := iss.Issue(context.Background(), "alice", nil)
	c, err := mw.Verify(context.Background(), tok)
	fmt.Println(c.Subject(), c.KeyID(), err)
	// Output: alice key-1 <nil>
}

// Keys from an identity provider's JWKS URL, refreshed in the background.
func ExampleRemote() {
	idp, _ := issuer.New(issuer.Config{Issuer: "https://idp.example", Key: issuer.SigningKey{Algorithm: "EdDSA", Key: signers()["EdDSA"]}})
	srv := httptest.NewServer(idp.JWKSHandler()) // https://idp.example/.well-known/jwks.json
	defer srv.Close()

	keys := jwtauth.Remote(context.Background(), srv.URL, jwtauth.RemoteOptions{
		AllowLoopbackHTTP: true, // only for this loopback test server: https otherwise
	})
	defer keys.Close()
	mw, err := jwtauth.New(jwtauth.Config{Keys: keys, Issuer: "https://idp.example"})
	if err != nil {
		log.Fatal(err)
	}
	tok, _ := idp.Issue(context.Background(), "alice", nil)
	c, err := mw.Verify(context.Background(), tok)
	fmt.Println(c.Subject(), err)
	// Output: alice <nil>
}

// Keys found through the provider's OpenID Connect discovery document.
func ExampleDiscover() {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	idp, _ := issuer.New(issuer.Config{Issuer: srv.URL, Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}})
	mux.Handle("GET /certs", idp.JWKSHandler())
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, srv.URL, srv.URL+"/certs")
	})

	keys, err := jwtauth.Discover(context.Background(), srv.URL, jwtauth.RemoteOptions{AllowLoopbackHTTP: true})
	if err != nil {
		log.Fatal(err) // only what retrying cannot fix: a document for another issuer, say
	}
	defer keys.Close()
	mw, _ := jwtauth.New(jwtauth.Config{Keys: keys, Issuer: srv.URL})
	tok, _ := idp.Issue(context.Background(), "alice", nil)
	c, err := mw.Verify(context.Background(), tok)
	fmt.Println(c.Subject(), err, keys.Status().URL == srv.URL+"/certs")
	// Output: alice <nil> true
}

func ExampleRequireClaim() {
	mw, _ := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(exampleSecret)})
	mux := http.NewServeMux()
	mux.Handle("DELETE /users/{id}", jwtauth.RequireClaim("role", "admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	h := mw.Handler(mux)
	for _, role := range []string{"user", "admin"} {
		r := httptest.NewRequest("DELETE", "/users/7", nil)
		r.Header.Set("Authorization", "Bearer "+exampleToken("alice", map[string]any{"role": role}))
		fmt.Println(role, exampleDo(h, r).StatusCode)
	}
	// Output:
	// user 403
	// admin 204
}

// An ErrorHandler that answers in the application's own format, by class.
func ExampleConfig_errorHandler() {
	mw, _ := jwtauth.New(jwtauth.Config{
		Keys: jwtauth.HMAC(exampleSecret),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			status := jwtauth.StatusCode(err)
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			}
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			// Fixed text by class: never err.Error(), which may carry a
			// store's error.
			fmt.Fprintf(w, `{"title":%q,"status":%d}`, http.StatusText(status), status)
		},
	})
	res := exampleDo(mw.Handler(http.NotFoundHandler()), httptest.NewRequest("GET", "/", nil))
	fmt.Println(res.StatusCode, res.Header.Get("Content-Type"))
	// Output: 401 application/problem+json
}

// Config.Validate refuses what only the application knows.
func ExampleConfig_validate() {
	mw, _ := jwtauth.New(jwtauth.Config{
		Keys: jwtauth.HMAC(exampleSecret),
		Validate: func(ctx context.Context, c *jwtauth.Claims) error {
			if azp, _ := c.Value("azp"); string(azp) != `"web-app"` {
				return errors.New("not our client") // 401, and never shown
			}
			return nil
		},
	})
	for _, azp := range []string{"web-app", "other-app"} {
		_, err := mw.Verify(context.Background(), exampleToken("alice", map[string]any{"azp": azp}))
		fmt.Println(azp, jwtauth.StatusCode(err))
	}
	// Output:
	// web-app 200
	// other-app 401
}

func ExampleClaimsAs() {
	mw, _ := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(exampleSecret)})
	type User struct {
		Sub   string   `json:"sub"`
		Roles []string `json:"roles"`
	}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := jwtauth.ClaimsAs[User](r.Context())
		fmt.Println(u.Sub, u.Roles, err)
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+exampleToken("alice", map[string]any{"roles": []string{"admin"}}))
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output: alice [admin] <nil>
}

// The RFC 6750 parser for transports other than net/http.
func ExampleBearerToken() {
	for _, h := range []string{"Bearer abc.def.ghi", "Basic dXNlcg==", "Bearer two tokens"} {
		tok, err := jwtauth.BearerToken(h)
		fmt.Printf("%q %v\n", tok, err)
	}
	// Output:
	// "abc.def.ghi" <nil>
	// "" jwtauth: no bearer token
	// "" jwtauth: malformed Authorization header
}

// A KeyRing whose keys a configuration reload replaces while requests run.
func ExampleKeyRing() {
	ring, err := jwtauth.NewKeyRing(nil, jwtauth.VerificationKey{Algorithm: "HS256", Key: exampleSecret})
	if err != nil {
		log.Fatal(err)
	}
	mw, _ := jwtauth.New(jwtauth.Config{Keys: ring})
	tok := exampleToken("alice", nil)
	_, err = mw.Verify(context.Background(), tok)
	fmt.Println(err)
	// A reload that drops the old secret: its tokens stop verifying at once.
	if err := ring.Set(jwtauth.VerificationKey{Algorithm: "HS256", Key: []byte(strings.Repeat("n", 32))}); err != nil {
		log.Fatal(err)
	}
	_, err = mw.Verify(context.Background(), tok)
	fmt.Println(errors.Is(err, jwtauth.ErrSignature))
	// Output:
	// <nil>
	// true
}

func ExampleRequireFresh() {
	iss, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: exampleSecret}})
	mw, _ := jwtauth.New(jwtauth.Config{Keys: iss.Keys()})
	mux := http.NewServeMux()
	mux.Handle("POST /password", jwtauth.RequireFresh()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	h := mw.Handler(mux)
	login, _ := iss.Login(context.Background(), "alice", nil)
	refreshed, _ := iss.Refresh(context.Background(), login.RefreshToken)
	for _, tok := range []string{login.AccessToken, refreshed.AccessToken} {
		r := httptest.NewRequest("POST", "/password", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		fmt.Println(exampleDo(h, r).StatusCode)
	}
	// Output:
	// 204
	// 403
}
