package redisstore_test

import (
	"log"
	"os"

	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/throttle"
	"github.com/redis/go-redis/v9"
)

// Every instance of a service counts failed logins in the same Redis, so
// that an attacker does not get the free failures of each instance. A
// second Limiter, under a prefix of its own, guards the refresh endpoint.
// (Compiled, not run: it needs a Redis.)
func ExampleNewThrottle() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  os.Getenv("REDIS_ADDR"),
		ContextTimeoutEnabled: true, // the request's deadline bounds each call
	})
	defer rdb.Close()

	logins, err := throttle.New(throttle.Config{
		Backend: redisstore.NewThrottle(rdb, redisstore.Options{}), // keys under "authkit:throttle:"
		// Fail closed, the default: while Redis is down, Check returns an
		// error wrapping throttle.ErrUnavailable, and the login gets a 503.
	})
	if err != nil {
		log.Fatal(err)
	}
	refreshes, err := throttle.New(throttle.Config{
		Backend: redisstore.NewThrottle(rdb, redisstore.Options{Prefix: "authkit:refresh:"}),
	})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = logins, refreshes // used by the handlers, as in package throttle's Example
}
