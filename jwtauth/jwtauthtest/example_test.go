package jwtauthtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/jwtauthtest"
)

// exampleT stands in for the *testing.T of a test, which an Example has
// not: in your tests, pass t.
type exampleT struct {
	testing.TB // nil: only the methods below are called
	cleanups   []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }

// done runs the cleanups, as the end of a test does.
func (t *exampleT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A kit mints tokens that a Middleware of its Config accepts.
func ExampleNew() {
	t := new(exampleT) // in a test: the test's t
	defer t.done()

	kit := jwtauthtest.New(t, jwtauthtest.Options{
		Algorithm: "ES256",
		Issuer:    "https://auth.example.com",
		Audience:  "api",
	})
	mw, err := jwtauth.New(kit.Config()) // Keys, Issuer, Audience, Now
	if err != nil {
		t.Fatal(err)
	}
	claims, err := mw.Verify(context.Background(), kit.TokenFor("alice", map[string]any{"scope": "items:read"}))
	fmt.Println(claims.Subject(), claims.Issuer(), claims.Audience(), claims.Scopes(), err)
	// Output: alice https://auth.example.com [api] [items:read] <nil>
}

// A handler unit test without HTTP machinery: verified claims in the
// context, as the Middleware would put them there.
func ExampleKit_Claims() {
	t := new(exampleT)
	defer t.done()

	// The code under test reads the claims from its context.
	greeting := func(ctx context.Context) string {
		c, ok := jwtauth.FromContext(ctx)
		if !ok {
			return "hello, stranger"
		}
		var priv struct {
			Role string `json:"role"`
		}
		c.Decode(&priv)
		return "hello, " + c.Subject() + " (" + priv.Role + ")"
	}

	kit := jwtauthtest.New(t, jwtauthtest.Options{})
	claims := kit.Claims(t, "alice", map[string]any{"role": "admin"})
	fmt.Println(greeting(jwtauth.NewContext(context.Background(), claims)))
	fmt.Println(greeting(kit.Context(context.Background(), "bob", map[string]any{"role": "user"})))
	fmt.Println(greeting(context.Background()))
	// Output:
	// hello, alice (admin)
	// hello, bob (user)
	// hello, stranger
}

// The three-line handler test: a request authenticated as alice, to a
// handler behind the guards of its route.
func ExampleKit_Request() {
	t := new(exampleT)
	defer t.done()

	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.FromContext(r.Context())
		io.WriteString(w, c.Subject())
	})
	route := jwtauth.RequireScope("profile")(me)

	kit := jwtauthtest.New(t, jwtauthtest.Options{})
	rec := httptest.NewRecorder()
	route.ServeHTTP(rec, kit.Request("GET", "/me", "alice", map[string]any{"scope": "profile"}))
	fmt.Println(rec.Code, rec.Body)

	rec = httptest.NewRecorder()
	route.ServeHTTP(rec, kit.Request("GET", "/me", "alice", nil)) // no scope
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// 200 alice
	// 403 Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="profile"
}

// A table test of a Middleware against every kind of bad token.
func ExampleKit_BadTokens() {
	t := new(exampleT)
	defer t.done()

	kit := jwtauthtest.New(t, jwtauthtest.Options{Issuer: "https://auth.example.com", Audience: "api"})
	cfg := kit.Config()
	cfg.Leeway = 30 * time.Second // your own settings
	mw, err := jwtauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range kit.BadTokens() {
		// In a test: t.Run(bad.Name, …) and t.Errorf when it is not refused.
		_, err := mw.Verify(context.Background(), bad.Token)
		fmt.Printf("%s: %v\n", bad.Name, errors.Is(err, bad.Err))
	}
	// Output:
	// expired: true
	// not-yet-valid: true
	// wrong-issuer: true
	// wrong-audience: true
	// wrong-algorithm: true
	// alg-none: true
	// unsigned: true
	// wrong-key: true
	// unknown-key: true
	// tampered: true
	// refresh-as-access: true
	// no-expiry: true
	// too-large: true
	// revoked: true
}

// One kind of bad token, sent through a Middleware.
func ExampleKit_Bad() {
	t := new(exampleT)
	defer t.done()

	kit := jwtauthtest.New(t, jwtauthtest.Options{})
	mw, _ := jwtauth.New(kit.Config())
	h := mw.Handler(http.NotFoundHandler())

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+kit.Bad(jwtauthtest.Expired))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Code, jwtauthtest.Expired.Err())
	// Output: 401 jwtauth: token expired
}

// A fake identity provider for a Discover setup: discovery, rotation, and
// a fault that jwtauth rides out on its last good keys.
func ExampleNewProvider() {
	t := new(exampleT)
	defer t.done()
	ctx := context.Background()

	idp := jwtauthtest.NewProvider(t, jwtauthtest.ProviderOptions{Audience: "api"})
	opts := idp.RemoteOptions()         // AllowLoopbackHTTP for http://127.0.0.1
	opts.MissRefresh = time.Millisecond // refetch for every unknown kid: a test needs no rate limit
	keys, err := jwtauth.Discover(ctx, idp.Issuer(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	mw, _ := jwtauth.New(jwtauth.Config{Keys: keys, Issuer: idp.Issuer(), Audience: "api"})

	first := idp.TokenFor("alice", nil)
	_, err = mw.Verify(ctx, first)
	fmt.Println("first key:", err)

	idp.Rotate() // the next token names a new kid: jwtauth refetches the set
	_, err = mw.Verify(ctx, idp.TokenFor("alice", nil))
	fmt.Println("after rotation:", err)

	idp.SetFault(jwtauthtest.Fault500)
	idp.Rotate()
	fetches := idp.Fetches()
	_, err = mw.Verify(ctx, idp.TokenFor("alice", nil))
	fmt.Println("new key while the set fails:", err)
	fmt.Println("fetched for it:", idp.Fetches() > fetches)
	_, err = mw.Verify(ctx, first)
	fmt.Println("old key while the set fails:", err)
	// Output:
	// first key: <nil>
	// after rotation: <nil>
	// new key while the set fails: jwtauth: no key for token
	// fetched for it: true
	// old key while the set fails: <nil>
}

// A clock that moves when told: expire a token without waiting.
func ExampleClock() {
	t := new(exampleT)
	defer t.done()

	clock := jwtauthtest.NewClock(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	kit := jwtauthtest.New(t, jwtauthtest.Options{Now: clock.Now, TTL: 15 * time.Minute})
	mw, _ := jwtauth.New(kit.Config()) // the same clock
	tok := kit.Token(nil)

	_, err := mw.Verify(context.Background(), tok)
	fmt.Println(clock.Now().Format(time.Kitchen), err)
	clock.Add(15 * time.Minute)
	_, err = mw.Verify(context.Background(), tok)
	fmt.Println(clock.Now().Format(time.Kitchen), err)
	// Output:
	// 12:00PM <nil>
	// 12:15PM jwtauth: token expired
}
