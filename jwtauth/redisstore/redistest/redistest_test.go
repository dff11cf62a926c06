package redistest_test

import (
	"testing"

	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

func TestStopAndRestart(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	ctx := t.Context()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET on a started server: %v", err)
	}
	srv.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered after Stop")
	}
	srv.Stop() // a second Stop does nothing
	srv.Restart()
	var err error
	for range 50 { // the pool drops the connections of the old server
		if err = c.Ping(ctx).Err(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("after Restart EXISTS k = %v, %v; want 0: the server starts empty", n, err)
	}
}
