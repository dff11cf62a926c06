package redisstore_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/redis/go-redis/v9"
)

var quiet = slog.New(slog.DiscardHandler)

// pubJWK returns the public JWK of key and its thumbprint kid.
func pubJWK(t testing.TB, key any) ([]byte, string) {
	t.Helper()
	jk, err := jwk.Import(key)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := jk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(jk)
	return b, base64.RawURLEncoding.EncodeToString(tp)
}

func ecRecord(t testing.TB, iss string, now time.Time) issuer.PublicKey {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	j, kid := pubJWK(t, k.Public())
	return issuer.PublicKey{ID: kid, Use: issuer.UseAccess, Algorithm: "ES256", Issuer: iss, JWK: j,
		NotBefore: now, Expires: now.Add(time.Hour)}
}

func TestKeyStoreRoundTrip(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	s := newStore(t, c)
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	k := ecRecord(t, "https://a", now)
	if err := s.PublishKey(ctx, k, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.PublicKeys(ctx, now)
	if err != nil || len(got) != 1 {
		t.Fatalf("PublicKeys: %v, %d", err, len(got))
	}
	g := got[0]
	if g.ID != k.ID || g.Use != k.Use || g.Algorithm != k.Algorithm || g.Issuer != k.Issuer ||
		string(g.JWK) != string(k.JWK) || !g.NotBefore.Equal(k.NotBefore) || !g.Expires.Equal(k.Expires) {
		t.Fatalf("read back %+v, wrote %+v", g, k)
	}
	// Extending keeps the later Expires; a shorter one never shortens it.
	longer := k
	longer.Expires = now.Add(2 * time.Hour)
	s.PublishKey(ctx, longer, now)
	shorter := k
	shorter.Expires = now.Add(30 * time.Minute)
	if err := s.PublishKey(ctx, shorter, now); err != nil {
		t.Fatal(err)
	}
	got, _ = s.PublicKeys(ctx, now)
	if !got[0].Expires.Equal(longer.Expires) {
		t.Fatalf("Expires %v, want %v", got[0].Expires, longer.Expires)
	}
	// The hash expires with its last record.
	if d := pttl(t, c, s.Prefix()+"k"); d < 110*time.Minute || d > 2*time.Hour {
		t.Fatalf("hash TTL %v", d)
	}
	// Same kid, other contents: refused.
	other := k
	other.Algorithm = "ES384"
	if err := s.PublishKey(ctx, other, now); err == nil {
		t.Fatal("a record with another's kid and other contents was accepted")
	}
	// Expired at now: not read, and dropped by the next write.
	if got, _ := s.PublicKeys(ctx, now.Add(3*time.Hour)); len(got) != 0 {
		t.Fatalf("%d expired records read", len(got))
	}
	k2 := ecRecord(t, "https://a", now.Add(3*time.Hour))
	if err := s.PublishKey(ctx, k2, now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := c.HLen(ctx, s.Prefix()+"k").Val(); n != 1 {
		t.Fatalf("%d fields after pruning, want 1", n)
	}
}

func TestKeyStoreConformance(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	storetest.RunKeyStore(t, storetest.KeyStoreHarness{
		New: func(t *testing.T) issuer.KeyStore { return newStore(t, c) },
	})
}

// TestKeyStoreHostileEntries: what a party with write access to Redis puts
// in the hash is skipped or refused, bounded, never a panic, never a key
// the fleet serves.
func TestKeyStoreHostileEntries(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	now := time.Now()
	exp := fmt.Sprint(now.Add(time.Hour).UnixMilli())
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaJWK, rsaKID := pubJWK(t, rsaKey.Public())
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPriv, ecKID := pubJWK(t, ecKey) // the private JWK
	body := func(alg, iss, j string) string {
		b, _ := json.Marshal(map[string]any{"alg": alg, "iss": iss, "jwk": j, "nbf": now.UnixMilli()})
		return string(b)
	}
	rows := []struct {
		name, field, value string
		storeSkips         bool // the Store itself skips it (else the Issuer does)
	}{
		{"non-JSON", "access:abc", exp + " not json", true},
		{"no expiry", "access:abd", "garbage", true},
		{"expired", "access:abe", "1000 " + body("ES256", "", "{}"), true},
		{"huge", "access:abf", exp + " " + strings.Repeat("x", 100<<10), true},
		{"no use", "abg", exp + " " + body("ES256", "", "{}"), true},
		{"unknown use", "admin:abh", exp + " " + body("ES256", "", "{}"), true},
		{"bad kid", "access:a b", exp + " " + body("ES256", "", "{}"), true},
		{"unknown member", "access:abi", exp + ` {"alg":"ES256","iss":"","jwk":"{}","nbf":0,"x":1}`, true},
		{"JSON then more", "access:abj", exp + " " + body("ES256", "", "{}") + "{}", true},
		{"private key", "access:" + ecKID, exp + " " + body("ES256", "", string(ecPriv)), true},
		{"HMAC secret", "access:hmac", exp + " " + body("HS256", "", `{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"}`), true},
		{"jwk not an object", "access:abk", exp + " " + body("ES256", "", `"x"`), true},
		{"wrong alg for key type", "access:" + rsaKID, exp + " " + body("ES256", "", string(rsaJWK)), false},
		{"kid not the thumbprint", "access:" + ecKID + "x", exp + " " + body("RS256", "", string(rsaJWK)), false},
		{"another issuer", "access:" + rsaKID, exp + " " + body("RS256", "https://evil", string(rsaJWK)), false},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			s := newStore(t, c)
			if err := c.HSet(ctx, s.Prefix()+"k", row.field, row.value).Err(); err != nil {
				t.Fatal(err)
			}
			got, err := s.PublicKeys(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			if row.storeSkips && len(got) != 0 {
				t.Fatalf("the Store returned %d records", len(got))
			}
			if !row.storeSkips && len(got) != 1 {
				t.Fatalf("the Store returned %d records, want the entry for the Issuer to refuse", len(got))
			}
			// The Issuer serves none of it, and signs.
			iss := fleetIssuer(t, s, "", nil)
			if err := iss.WaitReady(t.Context()); err != nil {
				t.Fatal(err)
			}
			if ks := jwksKids(t, iss); len(ks) != 1 || ks[0] != iss.KeyID() {
				t.Fatalf("JWKS %v, want only the Issuer's own key", ks)
			}
		})
	}

	t.Run("private key refused at publish", func(t *testing.T) {
		s := newStore(t, c)
		k := issuer.PublicKey{ID: ecKID, Use: issuer.UseAccess, Algorithm: "ES256", JWK: ecPriv, NotBefore: now, Expires: now.Add(time.Hour)}
		if err := s.PublishKey(ctx, k, now); err == nil {
			t.Fatal("a private key was written")
		}
		if n := c.Exists(ctx, s.Prefix()+"k").Val(); n != 0 {
			t.Fatal("something was written")
		}
	})

	t.Run("10000 entries", func(t *testing.T) {
		s := newStore(t, c)
		iss := fleetIssuer(t, s, "", nil)
		if err := iss.WaitReady(t.Context()); err != nil {
			t.Fatal(err)
		}
		before := jwksKids(t, iss)
		pipe := c.Pipeline()
		for n := range 10_000 {
			pipe.HSet(ctx, s.Prefix()+"k", fmt.Sprintf("access:flood%d", n), exp+" "+body("ES256", "", "{}"))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PublicKeys(ctx, now); !errors.Is(err, issuer.ErrKeyStoreFull) {
			t.Fatalf("reading a flooded hash: %v, want ErrKeyStoreFull", err)
		}
		k := ecRecord(t, "", now)
		if err := s.PublishKey(ctx, k, now); !errors.Is(err, issuer.ErrKeyStoreFull) {
			t.Fatalf("publishing into a flooded hash: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // a few polls
		if !slices.Equal(jwksKids(t, iss), before) || !iss.Ready() {
			t.Fatal("the flood changed the keys served or stopped signing")
		}
	})

	t.Run("another prefix is not trusted", func(t *testing.T) {
		a, b := newStore(t, c), newStore(t, c)
		if err := b.PublishKey(ctx, ecRecord(t, "", now), now); err != nil {
			t.Fatal(err)
		}
		if got, _ := a.PublicKeys(ctx, now); len(got) != 0 {
			t.Fatal("a Store read another prefix's key")
		}
		ia := fleetIssuer(t, a, "", nil)
		ib := fleetIssuer(t, b, "", nil)
		ia.WaitReady(t.Context())
		ib.WaitReady(t.Context())
		tok, err := ib.Issue(ctx, "x", nil)
		if err != nil {
			t.Fatal(err)
		}
		mw, _ := jwtauth.New(jwtauth.Config{Keys: ia.Keys()})
		if _, err := mw.Verify(ctx, tok); !errors.Is(err, jwtauth.ErrUnknownKey) {
			t.Fatalf("a token of another prefix's fleet: %v", err)
		}
		if slices.Contains(jwksKids(t, ia), ib.KeyID()) {
			t.Fatal("another prefix's key served")
		}
	})
}

// fleetIssuer is an Issuer in fleet mode on s, with a short schedule.
func fleetIssuer(t testing.TB, s *redisstore.Store, iss string, mod func(*issuer.Config)) *issuer.Issuer {
	t.Helper()
	cfg := issuer.Config{
		Issuer: iss, Store: s, TTL: 3 * time.Second, RefreshTTL: time.Minute,
		Rotation: &issuer.Rotation{Every: time.Hour, Ahead: 300 * time.Millisecond, Poll: 20 * time.Millisecond, Timeout: time.Second, Logger: quiet},
	}
	if mod != nil {
		mod(&cfg)
	}
	i, err := issuer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { i.Close() })
	return i
}

// jwksKids returns the kids of iss's JWK Set.
func jwksKids(t testing.TB, iss *issuer.Issuer) []string {
	t.Helper()
	set, err := jwk.Parse(jwksBody(t, iss))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n := range set.Len() {
		k, _ := set.Key(n)
		kid, _ := k.KeyID()
		out = append(out, kid)
	}
	slices.Sort(out)
	return out
}

// TestKeyStoreRedisDown: Redis stops during the rotation: the current key
// keeps signing and stays in the JWKS; the rotation resumes once it is back.
func TestKeyStoreRedisDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := newStore(t, srv.Client(t))
	iss := fleetIssuer(t, s, "", func(c *issuer.Config) {
		c.Rotation.Every, c.Rotation.Ahead, c.Rotation.Timeout = 700*time.Millisecond, 500*time.Millisecond, 100*time.Millisecond
	})
	if err := iss.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond) // the next key is about to be published
	kid := iss.KeyID()
	srv.Stop()
	deadline := time.Now().Add(250 * time.Millisecond)
	for time.Now().Before(deadline) {
		if !iss.Ready() || !slices.Contains(jwksKids(t, iss), iss.KeyID()) || !slices.Contains(jwksKids(t, iss), kid) {
			t.Fatal("Redis down for less than Ahead: stopped signing, or a key left the JWKS")
		}
		tok, err := iss.Issue(context.Background(), "x", nil)
		if err != nil {
			t.Fatal(err)
		}
		mw, _ := jwtauth.New(jwtauth.Config{Keys: jwtauth.KeySet(jwksBody(t, iss))})
		if _, err := mw.Verify(context.Background(), tok); err != nil {
			t.Fatalf("a token signed while Redis is down: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.Restart()
	seen := map[string]bool{iss.KeyID(): true}
	deadline = time.Now().Add(5 * time.Second)
	for len(seen) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		seen[iss.KeyID()] = true
	}
	if len(seen) < 3 || !iss.Ready() {
		t.Fatalf("after Redis came back: %d kids, ready %v", len(seen), iss.Ready())
	}
}

var _ redis.UniversalClient = (*redis.Client)(nil)
