package redisstore_test

import (
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
)

// On a Redis Cluster (of one node holding every slot) the near cache works
// as on one Redis: the scripts SPUBLISH on a channel in the slot of the
// Store's keys, and the cache SSUBSCRIBEs to it.
func TestNearCacheCluster(t *testing.T) {
	t.Parallel()
	srv := startCluster(t)
	ctx := t.Context()
	prefix := "{" + randomID() + "}:"
	var st [2]*redisstore.Store
	for i := range st {
		s, err := redisstore.New(ctx, clusterClient(t, srv), redisstore.Options{Prefix: prefix, NearCache: &redisstore.NearCacheOptions{MaxLag: testLag}})
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
