package redisstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/redis/go-redis/v9"
)

// A full Redis (maxmemory reached, noeviction) refuses logins with
// ErrStoreFull, and still takes every revocation: a logout never fails for
// want of room, and what it revokes reads revoked.
func TestFullRedisRefusesLoginsNeverRevocations(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, "--maxmemory", "3mb", "--maxmemory-policy", "noeviction")
	c := srv.Client(t)
	ctx, now := t.Context(), storetest.Base
	st, err := redisstore.New(ctx, c, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	claims := json.RawMessage(`{"pad":"` + strings.Repeat("x", 1000) + `"}`)
	var ss []*issuer.Session
	for k := 0; ; k++ {
		if k == 100000 {
			t.Fatal("100000 logins and Redis is not full")
		}
		s := session(fmt.Sprintf("user%d", k), now)
		s.Claims = claims
		err := st.CreateSession(ctx, s, 32, now)
		if err != nil {
			if !errors.Is(err, issuer.ErrStoreFull) {
				t.Fatalf("login %d: %v; want an error matching ErrStoreFull", k, err)
			}
			t.Logf("full after %d logins: %v", k, err)
			break
		}
		ss = append(ss, s)
	}
	if len(ss) < 10 {
		t.Fatalf("full after %d logins", len(ss))
	}
	// Near maxmemory, used_memory wavers with the clients' buffers: put
	// Redis well past it, as the data of another application would, so
	// that it stays full whatever the revocations below free.
	err = c.Eval(ctx, "#!lua flags=allow-oom\nreturn redis.call('SET', KEYS[1], string.rep('x', 262144))", []string{"filler"}).Err()
	if err != nil {
		t.Fatal(err)
	}
	// An Issuer's Login says so too.
	iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret()}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Login(ctx, "late", nil); !errors.Is(err, issuer.ErrStoreFull) {
		t.Fatalf("Login on a full Redis: %v; want ErrStoreFull", err)
	}

	revocations := func(t *testing.T, ss []*issuer.Session) {
		if ended, err := st.EndSession(ctx, ss[0].ID, ss[0].Subject, now); err != nil || !ended {
			t.Fatalf("EndSession on a full Redis = %v, %v", ended, err)
		}
		mustRevoked(t, st, sessionRef(ss[0], now), true)

		if err := st.RevokeSubject(ctx, ss[1].Subject, now, now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeSubject on a full Redis: %v", err)
		}
		mustRevoked(t, st, sessionRef(ss[1], now), true)
		mustRevoked(t, st, jwtauth.TokenRef{ID: randomID(), Subject: ss[1].Subject, IssuedAt: now, Now: now}, true)

		// A subject without a record gets one: revocations may write a
		// bounded record per subject, room or not.
		nobody := "nobody" + randomID()
		if err := st.RevokeSubject(ctx, nobody, now, now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeSubject of a subject without a record on a full Redis: %v", err)
		}
		mustRevoked(t, st, jwtauth.TokenRef{ID: randomID(), Subject: nobody, IssuedAt: now, Now: now}, true)

		jti := randomID()
		if err := st.RevokeToken(ctx, ss[2].Subject, jti, now, now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeToken on a full Redis: %v", err)
		}
		mustRevoked(t, st, jwtauth.TokenRef{ID: jti, Subject: ss[2].Subject, IssuedAt: now, Now: now}, true)

		// A refresh rewrites its record, and a reuse ends the session.
		if _, out, err := st.AdvanceSession(ctx, advance(ss[3], 1, now)); err != nil || out != issuer.Advanced {
			t.Fatalf("AdvanceSession on a full Redis = %v, %v; want Advanced", out, err)
		}
		if _, out, err := st.AdvanceSession(ctx, advance(ss[3], 1, now)); err != nil || out != issuer.Reused {
			t.Fatalf("reuse on a full Redis = %v, %v; want Reused", out, err)
		}
		mustRevoked(t, st, sessionRef(ss[3], now), true)

		// Reads work too.
		if _, err := st.Session(ctx, ss[4].ID, now); err != nil {
			t.Fatalf("Session on a full Redis: %v", err)
		}
		if list, err := st.Sessions(ctx, ss[4].Subject, now); err != nil || len(list) != 1 {
			t.Fatalf("Sessions on a full Redis = %d, %v", len(list), err)
		}
		mustRevoked(t, st, sessionRef(ss[4], now), false)
	}
	t.Run("CachedScripts", func(t *testing.T) { revocations(t, ss) })
	// A Redis that lost its script cache (a restart, a failover, SCRIPT
	// FLUSH) loads the scripts again with EVAL, at maxmemory too.
	t.Run("EVAL", func(t *testing.T) {
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		revocations(t, ss[5:])
	})
	used, max := memory(t, c)
	if used <= max {
		t.Errorf("used_memory %d ≤ maxmemory %d: the revocations did not run on a full Redis", used, max)
	}
	if err := st.CreateSession(ctx, session("later", now), 32, now); !errors.Is(err, issuer.ErrStoreFull) {
		t.Errorf("login after the revocations: %v; want ErrStoreFull still", err)
	}
}

// memory returns used_memory and maxmemory.
func memory(t *testing.T, c *redis.Client) (used, max int64) {
	t.Helper()
	info, err := c.Info(t.Context(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		switch k {
		case "used_memory":
			fmt.Sscan(v, &used)
		case "maxmemory":
			fmt.Sscan(v, &max)
		}
	}
	return used, max
}

// New refuses a Redis that evicts keys: a full one would drop session and
// revocation records, and bring logged-out tokens back.
func TestEvictionPolicy(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, "--maxmemory", "64mb")
	c := srv.Client(t)
	ctx := t.Context()
	for _, p := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		if err := c.ConfigSet(ctx, "maxmemory-policy", p).Err(); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		st, err := redisstore.New(ctx, c, redisstore.Options{Logger: logger})
		if !errors.Is(err, redisstore.ErrEvictionPolicy) || st != nil {
			t.Errorf("New with maxmemory-policy %s = %v, %v; want ErrEvictionPolicy", p, st, err)
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not name the policy", err)
		}
		st, err = redisstore.New(ctx, c, redisstore.Options{Logger: logger, InsecureAllowEviction: true})
		if err != nil || st == nil {
			t.Fatalf("New with %s and InsecureAllowEviction: %v", p, err)
		}
		if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, p) || !strings.Contains(out, "InsecureAllowEviction") {
			t.Errorf("InsecureAllowEviction with %s logged %q; want a warning naming the policy", p, out)
		}
	}
	if err := c.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if _, err := redisstore.New(ctx, c, redisstore.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}); err != nil {
		t.Fatalf("New with noeviction: %v", err)
	}
	if logs.Len() != 0 {
		t.Errorf("New with noeviction logged %q", logs.String())
	}
}

// A Redis that refuses CONFIG, as managed ones do, cannot be checked: New
// goes on, with a loud warning that tells the operator what to make sure
// of, and nothing of the credentials.
func TestEvictionPolicyUnreadable(t *testing.T) {
	t.Parallel()
	const password = "s3cret-redis-password-do-not-log"
	servers := map[string]struct {
		config []string
		user   string
	}{
		"renamed": {config: []string{"--rename-command", "CONFIG", "", "--requirepass", password}},
		"ACL":     {config: []string{"--user", "app", "on", ">" + password, "~*", "&*", "+@all", "-config", "--user", "default", "off"}, user: "app"},
	}
	for name, srv := range servers {
		t.Run(name, func(t *testing.T) {
			s := redistest.Start(t, srv.config...)
			opts := s.Options()
			opts.Username, opts.Password = srv.user, password
			c := redis.NewClient(opts)
			defer c.Close()
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			st, err := redisstore.New(t.Context(), c, redisstore.Options{Logger: logger})
			if err != nil {
				t.Fatalf("New on a Redis without CONFIG: %v", err)
			}
			out := logs.String()
			t.Logf("logged: %s", out)
			for _, want := range []string{"level=ERROR", "maxmemory-policy", "noeviction", "redisstore: "} {
				if !strings.Contains(out, want) {
					t.Errorf("log %q lacks %q", out, want)
				}
			}
			if strings.Contains(out, password) || strings.Contains(out, s.Addr()) {
				t.Errorf("log %q holds the password or the address", out)
			}
			// The Store works.
			now := storetest.Base
			se := session("alice", now)
			if err := st.CreateSession(t.Context(), se, 32, now); err != nil {
				t.Fatal(err)
			}
			mustRevoked(t, st, sessionRef(se, now), false)
		})
	}
}

// The default Logger is slog's default.
func TestEvictionWarningDefaultLogger(t *testing.T) {
	s := redistest.Start(t, "--rename-command", "CONFIG", "")
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	if _, err := redisstore.New(t.Context(), s.Client(t), redisstore.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("slog.Default() got %q; want the warning", logs.String())
	}
}

// New fails without I/O on a done context, and fails on a Redis that does
// not answer, rather than skip the check.
func TestNewFails(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := redisstore.New(ctx, c, redisstore.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("New with a canceled context: %v; want context.Canceled", err)
	}
	if _, err := redisstore.New(t.Context(), nil, redisstore.Options{}); err == nil {
		t.Error("New with a nil client succeeded")
	}
	srv.Stop()
	var logs bytes.Buffer
	_, err := redisstore.New(t.Context(), c, redisstore.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err == nil || !strings.HasPrefix(err.Error(), "redisstore: ") {
		t.Errorf("New with Redis down: %v; want a redisstore error", err)
	}
	// A cluster needs a hash tag in the prefix, or its scripts would
	// straddle slots.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr()}})
	defer cc.Close()
	if _, err := redisstore.New(t.Context(), cc, redisstore.Options{}); err == nil || !strings.Contains(err.Error(), "hash tag") {
		t.Errorf("New on a cluster without a hash tag: %v", err)
	}
}
