package redisstore_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/redis/go-redis/v9"
)

// With a near cache, a Middleware's revocation check answers from memory
// for the sessions and subjects it has seen, and a logout on any instance
// is honoured by this one within MaxLag. (Compiled, not run: it needs a
// Redis.)
func ExampleNearCacheOptions() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR"), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := redisstore.New(ctx, rdb, redisstore.Options{
		NearCache: &redisstore.NearCacheOptions{
			MaxEntries: 100_000,                // sessions and subjects kept in memory
			MaxLag:     100 * time.Millisecond, // how stale it may ever be
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close() // stops the near cache's goroutines
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC([]byte(os.Getenv("JWT_SECRET"))), Store: store})
	if err != nil {
		log.Fatal(err)
	}
	_ = mw
}

// NearCacheStats shows whether the near cache answers from memory, and how
// often it did.
func ExampleStore_NearCacheStats() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR"), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store, err := redisstore.New(context.Background(), rdb, redisstore.Options{NearCache: &redisstore.NearCacheOptions{}})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	st := store.NearCacheStats()
	log.Printf("fresh=%v entries=%d hits=%d misses=%d fallbacks=%d flushes=%d",
		st.Fresh, st.Entries, st.Hits, st.Misses, st.Fallbacks, st.Flushes)
}
