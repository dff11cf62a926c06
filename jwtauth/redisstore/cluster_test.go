package redisstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/redis/go-redis/v9"
)

// On a Redis Cluster (here of one node holding every slot) the scripts
// run, since a Prefix with a hash tag puts every key of a Store in one
// slot; New refuses a Prefix without one.
func TestCluster(t *testing.T) {
	t.Parallel()
	srv := startCluster(t)
	c := clusterClient(t, srv)
	ctx := t.Context()

	if _, err := redisstore.New(ctx, c, redisstore.Options{Prefix: "authkit:"}); err == nil || !strings.Contains(err.Error(), "hash tag") {
		t.Fatalf("New on a cluster with an untagged prefix: %v", err)
	}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) issuer.Store {
			st, err := redisstore.New(t.Context(), c, redisstore.Options{Prefix: "{" + randomID() + "}:"})
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		Len: func(s issuer.Store) int { return len(keys(t, c, s.(*redisstore.Store))) },
	})
}

// startCluster starts a Redis Cluster of one node that holds every slot,
// and waits until it is ok.
func startCluster(t *testing.T) *redistest.Server {
	t.Helper()
	srv := redistest.Start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	admin := srv.Client(t)
	ctx := t.Context()
	if err := admin.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := admin.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return srv
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ok: %q, %v", info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clusterClient returns a new cluster client of srv, closed at the end of
// the test.
func clusterClient(t *testing.T, srv *redistest.Server) *redis.ClusterClient {
	c := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: []string{srv.Addr()}, ContextTimeoutEnabled: true,
		MaintNotificationsConfig: srv.Options().MaintNotificationsConfig,
	})
	t.Cleanup(func() { c.Close() })
	return c
}
