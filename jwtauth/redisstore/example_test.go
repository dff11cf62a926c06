package redisstore_test

import (
	"context"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/redis/go-redis/v9"
)

// Every instance of a service runs the same code: the same Redis, the same
// keys, and the Store in issuer.Config. A login, refresh or logout on one
// instance then holds on all. (Compiled, not run: it needs a Redis.)
func Example() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  os.Getenv("REDIS_ADDR"),
		ContextTimeoutEnabled: true, // the request's deadline bounds each call
	})
	defer rdb.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := redisstore.New(ctx, rdb, redisstore.Options{})
	if err != nil {
		log.Fatal(err) // Redis is down, or evicts keys (ErrEvictionPolicy)
	}
	iss, err := issuer.New(issuer.Config{
		// The same secrets on every instance.
		Key:           issuer.SigningKey{Algorithm: "HS256", Key: []byte(os.Getenv("JWT_SECRET"))},
		RefreshSecret: []byte(os.Getenv("JWT_REFRESH_SECRET")),
		Store:         store,
	})
	if err != nil {
		log.Fatal(err)
	}
	// The Middleware consults the Issuer's Store: a session ended on any
	// instance is refused on this one.
	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys()})
	if err != nil {
		log.Fatal(err)
	}
	api := http.NewServeMux()
	api.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtauth.FromContext(r.Context())
		if err := iss.Logout(r.Context(), claims); err != nil {
			http.Error(w, "logout failed", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	log.Fatal(http.ListenAndServe(":8080", mw.Handler(api)))
}

// On a managed Redis that refuses CONFIG, New cannot check the eviction
// policy: it logs an error-level warning and goes on. Set
// maxmemory-policy noeviction in the service's settings. (Compiled, not
// run: it needs a Redis.)
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  os.Getenv("REDIS_ADDR"),
		Username:              os.Getenv("REDIS_USER"),
		Password:              os.Getenv("REDIS_PASSWORD"),
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()

	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	store, err := redisstore.New(context.Background(), rdb, redisstore.Options{
		Prefix: "myapp:auth:", // apart from other applications' keys
		Logger: logger,        // receives the warning
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = store // issuer.Config{Store: store, …}
}

// On a Redis Cluster, a hash tag in the Prefix keeps every key of the Store
// in one slot, as its scripts need. (Compiled, not run: it needs a
// cluster.)
func ExampleNew_cluster() {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 []string{"redis-0:6379", "redis-1:6379", "redis-2:6379"},
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()

	store, err := redisstore.New(context.Background(), rdb, redisstore.Options{Prefix: "{authkit}:"})
	if err != nil {
		log.Fatal(err)
	}
	_ = store
}
