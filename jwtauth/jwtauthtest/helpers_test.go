package jwtauthtest_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
)

// algorithms are all the algorithms a Kit takes.
var algorithms = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// fatalTB records the failure of code under test that should stop its
// test, and stops only the goroutine that called it.
type fatalTB struct {
	testing.TB // the real test, for everything but failing
	mu         sync.Mutex
	msg        string
}

func (f *fatalTB) Fatal(args ...any) { f.fail(fmt.Sprint(args...)) }
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fail(fmt.Sprintf(format, args...))
}
func (f *fatalTB) Errorf(format string, args ...any) { f.fail(fmt.Sprintf(format, args...)) }
func (f *fatalTB) fail(msg string) {
	f.mu.Lock()
	f.msg = msg
	f.mu.Unlock()
	runtime.Goexit()
}

// fatal runs fn with a fatalTB and returns the message it failed with, ""
// when it did not fail. A panic in fn fails t.
func fatal(t *testing.T, fn func(tb testing.TB)) string {
	t.Helper()
	f := &fatalTB{TB: t}
	done := make(chan any)
	go func() {
		defer func() { done <- recover() }()
		fn(f)
	}()
	if p := <-done; p != nil {
		t.Fatalf("panicked: %v", p)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.msg
}

// nopStore revokes nothing.
type nopStore struct{}

func (nopStore) Revoked(context.Context, jwtauth.TokenRef) (bool, error) { return false, nil }

// newMiddleware returns jwtauth.New(cfg), failing t on error.
func newMiddleware(t testing.TB, cfg jwtauth.Config) *jwtauth.Middleware {
	t.Helper()
	mw, err := jwtauth.New(cfg)
	if err != nil {
		t.Fatalf("jwtauth.New: %v", err)
	}
	return mw
}
