package redisstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/redis/go-redis/v9"
)

// On a Redis Cluster (of one node holding every slot) the near cache works
// as on one Redis: the scripts SPUBLISH on a channel in the slot of the
// Store's keys, and the cache SSUBSCRIBEs to it.
func TestNearCacheCluster(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	admin := srv.Client(t)
	ctx := t.Context()
	if err := admin.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := admin.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ok: %q, %v", info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	prefix := "{" + randomID() + "}:"
	var st [2]*redisstore.Store
	for i := range st {
		c := redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: []string{srv.Addr()}, ContextTimeoutEnabled: true,
			MaintNotificationsConfig: srv.Options().MaintNotificationsConfig,
		})
		t.Cleanup(func() { c.Close() })
		s, err := redisstore.New(ctx, c, redisstore.Options{Prefix: prefix, NearCache: &redisstore.NearCacheOptions{MaxLag: testLag}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		waitFresh(t, s)
		st[i] = s
	}
	a, b := st[0], st[1]
	now := storetest.Base
	s := login(t, b, "alice")
	r := sessionRef(s, now)
	warm(t, a, r, false)
	end(t, b, s)
	honoured(t, a, r, time.Now())
	warm(t, a, r, true)
}
