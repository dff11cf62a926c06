package redisstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/dpop"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
	"github.com/redis/go-redis/v9"
)

// A Store is the replay cache of DPoP proofs shared by every instance.
var _ jwtauth.ReplayCache = (*redisstore.Store)(nil)

// y2001 is a caller clock far from Redis's: every TTL is relative to it.
var y2001 = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// jktOf is the thumbprint of a made-up key n.
func jktOf(n string) string {
	sum := sha256.Sum256([]byte(n))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// sharedStore returns a Store of c under DefaultPrefix: the Store of every
// instance of one service.
func sharedStore(t *testing.T, c redis.UniversalClient) *redisstore.Store {
	t.Helper()
	st, err := redisstore.New(t.Context(), c, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustOnce(t *testing.T, st *redisstore.Store, jkt, jti string, now, until time.Time, want bool) {
	t.Helper()
	first, err := st.Once(t.Context(), jkt, jti, now, until)
	if err != nil || first != want {
		t.Fatalf("Once(%.8s…, %.16q) = %v, %v; want %v", jkt, jti, first, err, want)
	}
}

func TestOnce(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := sharedStore(t, c)
	a, b := jktOf("a"), jktOf("b")
	now, until := y2001, y2001.Add(2*time.Minute)
	mustOnce(t, st, a, "jti-1", now, until, true)
	mustOnce(t, st, a, "jti-1", now, until, false)
	mustOnce(t, st, a, "jti-1", now.Add(time.Minute), until, false)
	mustOnce(t, st, a, "jti-2", now, until, true)
	mustOnce(t, st, b, "jti-1", now, until, true) // the same jti of another key
	// A jti is any text: one that looks like a key part names nothing else.
	mustOnce(t, st, a, "jti-1:"+b, now, until, true)

	// One record per key, under the Prefix, with the TTL of the caller's
	// clock: 2 minutes, though that is 2001 for Redis's.
	key := redisstore.DefaultPrefix + "p:" + a
	if d := pttl(t, c, key); d <= time.Minute || d > 2*time.Minute {
		t.Fatalf("PTTL %s = %v; want about 2m", key, d)
	}
	if n, err := c.ZCard(t.Context(), key).Result(); err != nil || n != 3 {
		t.Fatalf("ZCARD %s = %d, %v; want 3", key, n, err)
	}
}

// Expiry is by the caller's clock: a proof is forgotten once that clock
// passes until, and Redis drops the record until−now after it was written.
func TestOnceExpiresByCallerClock(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := sharedStore(t, c)
	a := jktOf("a")
	now := y2001
	mustOnce(t, st, a, "x", now, now.Add(time.Minute), true)
	mustOnce(t, st, a, "x", now.Add(time.Minute-time.Millisecond), now.Add(2*time.Minute), false)
	mustOnce(t, st, a, "x", now.Add(time.Minute), now.Add(2*time.Minute), true)

	// Redis's own clock, for a short TTL: gone after it, whatever the
	// caller's now.
	mustOnce(t, st, a, "short", now, now.Add(150*time.Millisecond), true)
	mustOnce(t, st, a, "short", now, now.Add(time.Hour), false)
	b := jktOf("b")
	mustOnce(t, st, b, "short", now, now.Add(150*time.Millisecond), true)
	time.Sleep(400 * time.Millisecond)
	if n, err := c.Exists(t.Context(), redisstore.DefaultPrefix+"p:"+b).Result(); err != nil || n != 0 {
		t.Fatalf("the record of b is still there after its TTL: %d, %v", n, err)
	}
	mustOnce(t, st, b, "short", now, now.Add(time.Minute), true)
}

// Of two instances racing with one proof, exactly one accepts it.
func TestOnceRace(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	stores := []*redisstore.Store{sharedStore(t, srv.Client(t)), sharedStore(t, srv.Client(t))}
	for round := range 20 {
		jti := "race-" + string(rune('a'+round))
		var wins atomic.Int32
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				first, err := stores[g%2].Once(t.Context(), jktOf("k"), jti, y2001, y2001.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if first {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d of 16 calls saw the proof first; want 1", round, n)
		}
	}
}

func TestOnceCanceledContext(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := sharedStore(t, c)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	first, err := st.Once(ctx, jktOf("a"), "x", y2001, y2001.Add(time.Minute))
	if first || !errors.Is(err, context.Canceled) {
		t.Fatalf("Once with a canceled context = %v, %v; want context.Canceled", first, err)
	}
	if n, _ := c.DBSize(t.Context()).Result(); n != 0 {
		t.Fatalf("%d keys written by a canceled call", n)
	}
	mustOnce(t, st, jktOf("a"), "x", y2001, y2001.Add(time.Minute), true)
}

// Thumbprints are base64url of at most 255 bytes, and jtis any bytes, of at
// most 256 (what the verifier lets through); nothing else reaches Redis.
func TestOnceRefusesIDs(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := sharedStore(t, c)
	ok := jktOf("a")
	for _, tc := range []struct{ name, jkt, jti string }{
		{"empty jkt", "", "x"},
		{"long jkt", strings.Repeat("A", 256), "x"},
		{"jkt with a colon", "a:b", "x"},
		{"jkt with a space", "a b", "x"},
		{"jkt with a glob", "a*", "x"},
		{"jkt with a NUL", "a\x00", "x"},
		{"jkt with a non-ASCII letter", "é", "x"},
		{"empty jti", ok, ""},
		{"long jti", ok, strings.Repeat("x", 257)},
	} {
		first, err := st.Once(t.Context(), tc.jkt, tc.jti, y2001, y2001.Add(time.Minute))
		if first || !errors.Is(err, redisstore.ErrInvalidID) {
			t.Errorf("%s: Once = %v, %v; want ErrInvalidID", tc.name, first, err)
		}
	}
	if n, _ := c.DBSize(t.Context()).Result(); n != 0 {
		t.Fatalf("%d keys written for refused ids", n)
	}
	mustOnce(t, st, strings.Repeat("A", 255), "x", y2001, y2001.Add(time.Minute), true)
	mustOnce(t, st, ok, strings.Repeat("\xff", 256), y2001, y2001.Add(time.Minute), true)
	mustOnce(t, st, ok, strings.Repeat("\xff", 256), y2001, y2001.Add(time.Minute), false)
}

// One key holds at most MaxProofsPerKey live proofs: a client with a bound
// token cannot fill Redis, nor crowd out the other keys.
func TestOncePerKeyBound(t *testing.T) {
	t.Parallel()
	c := redistest.Start(t).Client(t)
	st := sharedStore(t, c)
	a, b := jktOf("a"), jktOf("b")
	now, until := y2001, y2001.Add(time.Minute)
	for n := range redisstore.MaxProofsPerKey {
		if first, err := st.Once(t.Context(), a, "p"+strings.Repeat("x", n%7)+string(rune(n)), now, until); err != nil || !first {
			t.Fatalf("proof %d: %v, %v", n, first, err)
		}
	}
	mustOnce(t, st, a, "one too many", now, until, false)
	mustOnce(t, st, b, "one too many", now, until, true)
	if n, _ := c.ZCard(t.Context(), redisstore.DefaultPrefix+"p:"+a).Result(); n != redisstore.MaxProofsPerKey {
		t.Fatalf("the record of a holds %d proofs; want %d", n, redisstore.MaxProofsPerKey)
	}
	// Once those proofs leave the window, by the caller's clock, the key
	// proves again.
	mustOnce(t, st, a, "one too many", until, until.Add(time.Minute), true)
	if n, _ := c.ZCard(t.Context(), redisstore.DefaultPrefix+"p:"+a).Result(); n != 1 {
		t.Fatalf("the record of a holds %d proofs after they expired; want 1", n)
	}
}

// A full Redis refuses new proofs with ErrReplayCacheFull, which a
// Middleware answers 503: never accepted unrecorded.
func TestOnceFullRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, "--maxmemory", "3mb", "--maxmemory-policy", "noeviction")
	c := srv.Client(t)
	st := sharedStore(t, c)
	mustOnce(t, st, jktOf("a"), "before", y2001, y2001.Add(time.Minute), true)
	err := c.Eval(t.Context(), "#!lua flags=allow-oom\nreturn redis.call('SET', KEYS[1], string.rep('x', 4194304))", []string{"filler"}).Err()
	if err != nil {
		t.Fatal(err)
	}
	first, err := st.Once(t.Context(), jktOf("a"), "after", y2001, y2001.Add(time.Minute))
	if first || !errors.Is(err, jwtauth.ErrReplayCacheFull) {
		t.Fatalf("Once on a full Redis = %v, %v; want ErrReplayCacheFull", first, err)
	}
	if s := jwtauth.StatusCode(err); s != http.StatusServiceUnavailable {
		t.Fatalf("StatusCode = %d; want 503", s)
	}
}

// dpopDeployment is a token endpoint and two resource servers, each with
// a Store of its own on one Redis, and a client's prover.
type dpopDeployment struct {
	issuers [2]*issuer.Issuer
	mws     [2]*jwtauth.Middleware
	prover  *dpop.Prover
}

const tokenURL = "https://auth.example.com/token"

func newDPoPDeployment(t *testing.T) *dpopDeployment {
	t.Helper()
	srv := redistest.Start(t)
	key, refresh := secret(), secret()
	var d dpopDeployment
	for n := range 2 {
		st := sharedStore(t, srv.Client(t))
		iss, err := issuer.New(issuer.Config{
			Key: issuer.SigningKey{Algorithm: "HS256", Key: key}, RefreshSecret: refresh, Store: st,
		})
		if err != nil {
			t.Fatal(err)
		}
		mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), Store: st, DPoP: &jwtauth.DPoPConfig{Replay: st}})
		if err != nil {
			t.Fatal(err)
		}
		d.issuers[n], d.mws[n] = iss, mw
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if d.prover, err = dpop.NewProver(k, "ES256"); err != nil {
		t.Fatal(err)
	}
	return &d
}

func (d *dpopDeployment) proof(t *testing.T, method, url, token string) string {
	t.Helper()
	p, err := d.prover.Proof(method, url, token, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A proof accepted by one instance is a replay at the other.
func TestDPoPReplayAcrossInstances(t *testing.T) {
	t.Parallel()
	d := newDPoPDeployment(t)
	toks, err := d.issuers[0].LoginDPoP(t.Context(), "alice", nil,
		issuer.DPoPProof{Proof: d.proof(t, "POST", tokenURL, ""), Method: "POST", URL: tokenURL})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "https://api.example.com/items", nil)
	req.Header.Set("Authorization", "DPoP "+toks.AccessToken)
	req.Header.Set("DPoP", d.proof(t, "GET", "https://api.example.com/items", toks.AccessToken))
	c, err := d.mws[0].Authenticate(req)
	if err != nil {
		t.Fatalf("instance A: %v", err)
	}
	if c.Thumbprint() != d.prover.Thumbprint() {
		t.Fatalf("cnf.jkt = %q; want the prover's %q", c.Thumbprint(), d.prover.Thumbprint())
	}
	if _, err := d.mws[1].Authenticate(req); !errors.Is(err, jwtauth.ErrDPoPReplay) {
		t.Fatalf("instance B, the same proof: %v; want ErrDPoPReplay", err)
	}
	if _, err := d.mws[0].Authenticate(req); !errors.Is(err, jwtauth.ErrDPoPReplay) {
		t.Fatalf("instance A again: %v; want ErrDPoPReplay", err)
	}
	// Over HTTP: 401 invalid_dpop_proof.
	h := d.mws[1].Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(strings.Join(rec.Header().Values("WWW-Authenticate"), "\n"), `DPoP error="invalid_dpop_proof"`) {
		t.Fatalf("replay at B answered %d %q", rec.Code, rec.Header().Values("WWW-Authenticate"))
	}
	// A fresh proof passes at B.
	req.Header.Set("DPoP", d.proof(t, "GET", "https://api.example.com/items", toks.AccessToken))
	if _, err := d.mws[1].Authenticate(req); err != nil {
		t.Fatalf("instance B, a fresh proof: %v", err)
	}
}

// An Issuer whose Store is a redisstore.Store uses it as its replay cache
// without being told: a token request's proof is a replay at another
// instance's token endpoint too.
func TestIssuerUsesStoreAsReplayCache(t *testing.T) {
	t.Parallel()
	d := newDPoPDeployment(t)
	proof := issuer.DPoPProof{Proof: d.proof(t, "POST", tokenURL, ""), Method: "POST", URL: tokenURL}
	if _, err := d.issuers[0].LoginDPoP(t.Context(), "alice", nil, proof); err != nil {
		t.Fatal(err)
	}
	if _, err := d.issuers[1].LoginDPoP(t.Context(), "alice", nil, proof); !errors.Is(err, jwtauth.ErrDPoPReplay) {
		t.Fatalf("LoginDPoP at B with A's proof: %v; want ErrDPoPReplay", err)
	}
	// And the Middlewares see the token endpoint's proofs: a token
	// request's proof replayed at a resource is refused too, by htm and
	// htu first, but had it the same, by the shared record.
	toks, err := d.issuers[1].LoginDPoP(t.Context(), "alice", nil,
		issuer.DPoPProof{Proof: d.proof(t, "POST", tokenURL, ""), Method: "POST", URL: tokenURL})
	if err != nil {
		t.Fatal(err)
	}
	refresh := issuer.DPoPProof{Proof: d.proof(t, "POST", tokenURL, ""), Method: "POST", URL: tokenURL}
	if _, err := d.issuers[0].RefreshDPoP(t.Context(), toks.RefreshToken, refresh); err != nil {
		t.Fatalf("RefreshDPoP at A: %v", err)
	}
	if _, err := d.issuers[1].RefreshDPoP(t.Context(), toks.RefreshToken, refresh); !errors.Is(err, jwtauth.ErrDPoPReplay) {
		t.Fatalf("RefreshDPoP at B with the same proof: %v; want ErrDPoPReplay", err)
	}
}
