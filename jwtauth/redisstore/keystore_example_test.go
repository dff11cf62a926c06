package redisstore_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/redis/go-redis/v9"
)

// Fleet mode on Redis: every instance runs the same code with no key in
// its configuration. Each makes its own keys, publishes the public halves
// in the Store's key hash, and serves the union of the fleet's keys; the
// Store is the Issuer's KeyStore as well as its session store. Serve Ready
// as the readiness probe: a new instance of a running fleet waits
// Rotation.Ahead before it signs. (Compiled, not run: it needs a Redis.)
func ExampleStore_PublishKey() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR"), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := redisstore.New(ctx, rdb, redisstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	iss, err := issuer.New(issuer.Config{
		Issuer:   "https://auth.example.com",
		Store:    store,              // sessions, and the fleet's public keys
		Rotation: &issuer.Rotation{}, // ES256, every 24 h, published 20 min ahead
	})
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	http.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !iss.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	http.Handle("GET /.well-known/jwks.json", iss.JWKSHandler())
	log.Fatal(http.ListenAndServe(":8080", nil))
}

// PublicKeys lists the fleet's live public keys, for an operator's view.
// (Compiled, not run: it needs a Redis.)
func ExampleStore_PublicKeys() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR"), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := redisstore.New(ctx, rdb, redisstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	keys, err := store.PublicKeys(ctx, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	for _, k := range keys {
		log.Println(k.Use, k.Algorithm, k.ID, "signs from", k.NotBefore, "dropped at", k.Expires)
	}
}
