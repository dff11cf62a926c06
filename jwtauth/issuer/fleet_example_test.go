package issuer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// Fleet mode: no Key to hand out. Each instance makes its own keys,
// publishes their public halves through the shared store (here the
// default MemoryStore; the redisstore module's Store for several
// processes), rotates them every Every, and serves the union of the fleet's
// keys. The first instance of a cold fleet signs at once.
func ExampleRotation() {
	iss, err := issuer.New(issuer.Config{
		Issuer:   "https://auth.example.com",
		Rotation: &issuer.Rotation{Every: 24 * time.Hour, Ahead: 20 * time.Minute},
	})
	if err != nil {
		panic(err)
	}
	defer iss.Close() // stops the background rotation

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := iss.WaitReady(ctx); err != nil {
		panic(err)
	}
	tok, err := iss.Login(ctx, "alice", nil)
	if err != nil {
		panic(err)
	}
	mw, _ := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), Issuer: "https://auth.example.com"})
	c, err := mw.Verify(ctx, tok.AccessToken)
	fmt.Println(iss.Algorithm(), c.Subject(), err)
	// Output: ES256 alice <nil>
}

// A readiness probe for rolling deploys: an instance that joined a running
// fleet is not ready until its key has been published for Rotation.Ahead,
// and meanwhile answers Login, Issue and Refresh with ErrNotReady (503).
func ExampleIssuer_Ready() {
	store := issuer.NewMemoryStore(0) // shared by the two "instances"
	rot := func() *issuer.Rotation {
		return &issuer.Rotation{Every: time.Hour, Ahead: 10 * time.Minute, Poll: 30 * time.Second}
	}
	first, _ := issuer.New(issuer.Config{Store: store, Rotation: rot()})
	defer first.Close()
	first.WaitReady(context.Background())

	joining, _ := issuer.New(issuer.Config{Store: store, Rotation: rot()})
	defer joining.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	joining.WaitReady(ctx) // its first publish, at most

	readyz := func(iss *issuer.Issuer) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !iss.Ready() {
				w.Header().Set("Retry-After", "5")
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}
	}
	rec := httptest.NewRecorder()
	readyz(joining).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	_, err := joining.Login(context.Background(), "alice", nil)
	fmt.Println(first.Ready(), rec.Code, errors.Is(err, issuer.ErrNotReady), jwtauth.StatusCode(err))
	// Output: true 503 true 503
}

// WaitReady bounds the wait for a first key by the caller's context.
func ExampleIssuer_WaitReady() {
	iss, _ := issuer.New(issuer.Config{Rotation: &issuer.Rotation{}})
	defer iss.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(iss.WaitReady(ctx), iss.Ready())
	// Output: <nil> true
}

// Close ends the background work of fleet mode; an Issuer with a Key has
// none, and Close is a no-op.
func ExampleIssuer_Close() {
	iss, _ := issuer.New(issuer.Config{Rotation: &issuer.Rotation{}})
	iss.WaitReady(context.Background())
	fmt.Println(iss.Close(), iss.Close())
	// Output: <nil> <nil>
}

// A MemoryStore is the KeyStore of the Issuers of one process: it keeps
// the public records, extends them, and drops them when they expire.
func ExampleMemoryStore_PublicKeys() {
	store := issuer.NewMemoryStore(0)
	iss, _ := issuer.New(issuer.Config{Store: store, Rotation: &issuer.Rotation{}})
	defer iss.Close()
	iss.WaitReady(context.Background())
	recs, _ := store.PublicKeys(context.Background(), time.Now())
	for _, r := range recs {
		fmt.Println(r.Use, r.Algorithm, r.ID == iss.KeyID() || r.Use == issuer.UseRefresh)
	}
	// Unordered output:
	// access ES256 true
	// refresh EdDSA true
}

// PublishKey records a public key for the fleet; an Issuer in fleet mode
// calls it, rarely anything else.
func ExampleMemoryStore_PublishKey() {
	store := issuer.NewMemoryStore(0)
	now := time.Now()
	err := store.PublishKey(context.Background(), issuer.PublicKey{
		ID: "kid", Use: issuer.UseAccess, Algorithm: "ES256",
		JWK: []byte(`{"kty":"EC"}`), NotBefore: now, Expires: now.Add(time.Hour),
	}, now)
	recs, _ := store.PublicKeys(context.Background(), now.Add(2*time.Hour))
	fmt.Println(err, len(recs))
	// Output: <nil> 0
}
