// Package redisconn dials the Redis of the examples that share state
// between instances (users, authserver): a client whose every wait is
// bounded, checked with a PING.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// Dial returns a client of the Redis at addr (host:port), once it has
// answered a PING within 5 seconds (and within ctx). Every call of the
// client is bounded: by the caller's context (ContextTimeoutEnabled) and by
// one-second reads and writes, with one retry.
func Dial(ctx context.Context, addr, password string) (*redis.Client, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, errors.New("-redis-addr must be host:port")
	}
	rdb := redis.NewClient(&redis.Options{
		Addr:                  addr,
		Password:              password,
		ContextTimeoutEnabled: true,
		DialTimeout:           2 * time.Second,
		DialerRetries:         2,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		MaxRetries:            1,
	})
	ping, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ping).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis at %s: %w", addr, err)
	}
	return rdb, nil
}
