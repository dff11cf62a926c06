package redisstore_test

import (
	"log"
	"net/http"
	"os"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/redis/go-redis/v9"
)

// Every instance of a service runs the same code: the same Redis, the same
// keys, and the Store in IssuerConfig. A logout or a refresh on one instance
// then holds on all. (Compiled, not run: it needs a Redis.)
func Example() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  os.Getenv("REDIS_ADDR"),
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()

	issuer, err := jwtauth.NewIssuer(jwtauth.IssuerConfig{
		// The same secret on every instance; the refresh secret is derived
		// from it. With an asymmetric key, set RefreshSecret too.
		Key:   jwtauth.SigningKey{Algorithm: "HS256", Key: []byte(os.Getenv("JWT_SECRET"))},
		Store: redisstore.New(rdb, redisstore.Options{}),
	})
	if err != nil {
		log.Fatal(err)
	}
	// The Middleware consults the Issuer's Store.
	mw, err := jwtauth.New(jwtauth.Config{Keys: issuer.Keys()})
	if err != nil {
		log.Fatal(err)
	}
	api := http.NewServeMux()
	log.Fatal(http.ListenAndServe(":8080", mw.Handler(api)))
}
