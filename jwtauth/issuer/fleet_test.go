package issuer_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// fakeClock is a clock that tests move.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The timing of the fake-clock fleets: the background ticks once at start
// (Poll is long in real time), and the tests tick by hand.
const (
	fPoll  = time.Minute
	fAhead = 10 * time.Minute
	fEvery = time.Hour
	fTTL   = 5 * time.Minute
)

func newFleet(t *testing.T, store issuer.KeyStore, now func() time.Time, mod ...func(*issuer.Config)) *issuer.Issuer {
	t.Helper()
	cfg := issuer.Config{
		Issuer: "https://auth.example", TTL: fTTL, RefreshTTL: time.Hour, Now: now,
		Rotation: &issuer.Rotation{Store: store, Every: fEvery, Ahead: fAhead, Poll: fPoll, Logger: quiet},
	}
	if s, ok := store.(issuer.Store); ok {
		cfg.Store = s
	}
	for _, m := range mod {
		m(&cfg)
	}
	iss, err := issuer.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { iss.Close() })
	issuer.Tick(iss)
	return iss
}

var quiet = slog.New(slog.DiscardHandler)

// kids returns the kids of the Issuer's JWK Set.
func kids(t *testing.T, iss *issuer.Issuer) []string {
	t.Helper()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			Use string `json:"use"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwksOf(t, iss), &set); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.Kid)
	}
	slices.Sort(out)
	return out
}

func jwksOf(t *testing.T, iss *issuer.Issuer) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	iss.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/jwks", nil))
	if rec.Code != 200 {
		t.Fatalf("JWKS: %d", rec.Code)
	}
	return rec.Body.Bytes()
}

// verifyAt verifies tok with the Keys of iss, at the time now.
func verifyAt(t *testing.T, iss *issuer.Issuer, tok string, now func() time.Time) error {
	t.Helper()
	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), Issuer: "https://auth.example", Now: now, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = mw.Verify(context.Background(), tok)
	return err
}

// jwksVerify verifies tok with a verifier that only has the JWK Set jwks.
func jwksVerify(t *testing.T, jwks []byte, tok string, now func() time.Time) error {
	t.Helper()
	mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.KeySet(jwks), Issuer: "https://auth.example", Now: now, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = mw.Verify(context.Background(), tok)
	return err
}

func TestFleetColdStartJoinAndCrossRefresh(t *testing.T) {
	store := issuer.NewMemoryStore(0)
	clk := newClock()
	a := newFleet(t, store, clk.Now)
	if !a.Ready() || a.KeyID() == "" {
		t.Fatal("a cold fleet's first instance must sign at once")
	}
	b := newFleet(t, store, clk.Now)
	if b.Ready() {
		t.Fatal("an instance joining a running fleet signed before its key was published Ahead")
	}
	if _, err := b.Login(context.Background(), "alice", nil); !errors.Is(err, issuer.ErrNotReady) || jwtauth.StatusCode(err) != http.StatusServiceUnavailable {
		t.Fatalf("Login on a joining instance: %v (status %d), want ErrNotReady, 503", err, jwtauth.StatusCode(err))
	}
	if _, err := b.Issue(context.Background(), "alice", nil); !errors.Is(err, issuer.ErrNotReady) {
		t.Fatalf("Issue on a joining instance: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if err := b.WaitReady(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitReady before Ahead: %v", err)
	}
	cancel()
	issuer.Tick(a) // a re-reads: b's pending key is in a's JWKS Ahead of use
	if ka, kb := kids(t, a), kids(t, b); !slices.Equal(ka, kb) || len(ka) != 2 {
		t.Fatalf("JWKS of a %v and of b %v: want the same union of two keys", ka, kb)
	}
	clk.Add(fAhead)
	issuer.Tick(a)
	issuer.Tick(b)
	if err := b.WaitReady(context.Background()); err != nil || b.KeyID() == a.KeyID() {
		t.Fatalf("b after Ahead: %v, kid %q (a's %q)", err, b.KeyID(), a.KeyID())
	}
	ta, err := a.Login(context.Background(), "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Login(context.Background(), "bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []*issuer.Issuer{a, b} {
		for _, tok := range []string{ta.AccessToken, tb.AccessToken} {
			if err := verifyAt(t, v, tok, clk.Now); err != nil {
				t.Fatalf("access token across instances: %v", err)
			}
		}
	}
	// Sessions refresh on any instance, with no shared secret.
	next, err := b.Refresh(context.Background(), ta.RefreshToken)
	if err != nil {
		t.Fatalf("a's session refreshed at b: %v", err)
	}
	if _, err := a.Refresh(context.Background(), next.RefreshToken); err != nil {
		t.Fatalf("b's refresh token at a: %v", err)
	}
	// A refresh token never verifies as an access token: its key is in
	// neither the JWK Set nor Keys(), even for a verifier told to expect
	// the refresh typ (one that ignores typ, as PyJWT does, gets no key).
	set := jwksOf(t, a)
	mw, _ := jwtauth.New(jwtauth.Config{Keys: a.Keys(), Issuer: "https://auth.example", Type: jwtauth.RefreshTokenType, Now: clk.Now})
	mwJWKS, _ := jwtauth.New(jwtauth.Config{Keys: jwtauth.KeySet(set), Issuer: "https://auth.example", Type: jwtauth.RefreshTokenType, Now: clk.Now})
	for _, rt := range []string{ta.RefreshToken, tb.RefreshToken, next.RefreshToken} {
		noKey := func(err error) bool {
			return errors.Is(err, jwtauth.ErrUnknownKey) || errors.Is(err, jwtauth.ErrAlgorithm)
		}
		if _, err := mw.Verify(context.Background(), rt); !noKey(err) {
			t.Fatalf("refresh token with Keys(): %v, want no key for it", err)
		}
		if _, err := mwJWKS.Verify(context.Background(), rt); !noKey(err) {
			t.Fatalf("refresh token with the JWKS: %v, want no key for it", err)
		}
	}
	if strings.Contains(string(set), `"d"`) || strings.Contains(string(set), `"k"`) {
		t.Fatal("private material in the JWK Set")
	}
}

// TestFleetRotationAndRetirement steps a fleet of two through rotations
// and checks, at each step, that every live token verifies at both
// instances and with the JWK Set of either read one step earlier, and that
// retired keys leave the JWK Set, Keys() and the store.
func TestFleetRotationAndRetirement(t *testing.T) {
	store := issuer.NewMemoryStore(0)
	clk := newClock()
	a := newFleet(t, store, clk.Now)
	b := newFleet(t, store, clk.Now)
	clk.Add(fAhead)
	issuer.Tick(b)
	issuer.Tick(a)
	type issued struct {
		tok string
		at  time.Time
		kid string
	}
	var live []issued
	seen := map[string]bool{}
	old := issued{}
	prevJWKS := [][]byte{jwksOf(t, a), jwksOf(t, b)}
	for step := range 200 { // 200 minutes: three rotations each
		for _, iss := range []*issuer.Issuer{a, b} {
			tok, err := iss.Issue(context.Background(), "alice", nil)
			if err != nil {
				t.Fatalf("step %d: Issue: %v", step, err)
			}
			live = append(live, issued{tok, clk.Now(), iss.KeyID()})
			seen[iss.KeyID()] = true
		}
		if step == 0 {
			old = live[0]
		}
		live = slices.DeleteFunc(live, func(x issued) bool { return clk.Now().Sub(x.at) >= fTTL })
		for _, x := range live {
			for j, iss := range []*issuer.Issuer{a, b} {
				if err := verifyAt(t, iss, x.tok, clk.Now); err != nil {
					t.Fatalf("step %d: token of kid %s at instance %d: %v", step, x.kid, j, err)
				}
				// A verifier that read the JWKS a Poll ago (< Ahead − Poll).
				if err := jwksVerify(t, prevJWKS[j], x.tok, clk.Now); err != nil {
					t.Fatalf("step %d: token of kid %s with instance %d's JWKS of a poll ago: %v", step, x.kid, j, err)
				}
			}
		}
		prevJWKS = [][]byte{jwksOf(t, a), jwksOf(t, b)}
		clk.Add(fPoll)
		issuer.Tick(a)
		issuer.Tick(b)
	}
	if len(seen) < 6 {
		t.Fatalf("%d kids signed in 200 minutes, want ≥ 6 (3 rotations per instance)", len(seen))
	}
	// The first key retired: out of the JWKS, Keys() and the store, and its
	// tokens stop verifying, even at a verifier whose clock says they are
	// not expired.
	if slices.Contains(kids(t, a), old.kid) || slices.Contains(kids(t, b), old.kid) {
		t.Fatalf("retired kid %s still in a JWKS", old.kid)
	}
	then := func() time.Time { return old.at }
	if err := verifyAt(t, a, old.tok, then); !errors.Is(err, jwtauth.ErrUnknownKey) {
		t.Fatalf("token of a retired key: %v, want ErrUnknownKey", err)
	}
	recs, _ := store.PublicKeys(context.Background(), clk.Now())
	for _, r := range recs {
		if r.ID == old.kid {
			t.Fatal("retired key still in the store")
		}
	}
	// Bounded: a few keys per instance (active, next, retired ones whose
	// tokens may live), however many rotations happened.
	if n := len(kids(t, a)); n > 8 {
		t.Fatalf("JWKS holds %d keys", n)
	}
	if len(recs) > 16 {
		t.Fatalf("store holds %d records", len(recs))
	}
}

// TestFleetCrashBeforeActivation: the keys of an instance that dies before
// it signs lapse soon (its refresh record lives no longer than its access
// record), not RefreshTTL later; the JWKS caching allowed fits Ahead.
func TestFleetCrashBeforeActivation(t *testing.T) {
	store := issuer.NewMemoryStore(0)
	clk := newClock()
	a := newFleet(t, store, clk.Now)
	b := newFleet(t, store, clk.Now)
	b.Close() // dies while joining
	recs, _ := store.PublicKeys(context.Background(), clk.Now())
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	// nbf + Ahead of coverage + TTL + leeway + 2 Poll: 32 minutes.
	for range 33 {
		clk.Add(fPoll)
		issuer.Tick(a)
	}
	recs, _ = store.PublicKeys(context.Background(), clk.Now())
	if len(recs) != 2 {
		t.Fatalf("%d records 33 minutes after a crash before signing, want a's 2", len(recs))
	}
	if len(kids(t, a)) != 1 {
		t.Fatalf("JWKS %v", kids(t, a))
	}
	rec := httptest.NewRecorder()
	a.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=270" {
		t.Fatalf("Cache-Control %q, want max-age=(Ahead − Poll)/2", cc)
	}
}

// flakyStore is a KeyStore that fails, or stalls until ctx ends, on demand.
type flakyStore struct {
	issuer.KeyStore
	down, stall atomic.Bool
	calls       atomic.Int64
	failRefresh atomic.Int32 // fail this many publishes of refresh keys
}

var errKeysDown = errors.New("store down")

func (f *flakyStore) gate(ctx context.Context) error {
	f.calls.Add(1)
	if f.stall.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	if f.down.Load() {
		return errKeysDown
	}
	return nil
}

func (f *flakyStore) PublishKey(ctx context.Context, k issuer.PublicKey, now time.Time) error {
	if err := f.gate(ctx); err != nil {
		return err
	}
	if k.Use == issuer.UseRefresh && f.failRefresh.Add(-1) >= 0 {
		return errKeysDown
	}
	return f.KeyStore.PublishKey(ctx, k, now)
}

func (f *flakyStore) PublicKeys(ctx context.Context, now time.Time) ([]issuer.PublicKey, error) {
	if err := f.gate(ctx); err != nil {
		return nil, err
	}
	return f.KeyStore.PublicKeys(ctx, now)
}

func TestFleetStoreDownDuringRotation(t *testing.T) {
	fs := &flakyStore{KeyStore: issuer.NewMemoryStore(0)}
	clk := newClock()
	a := newFleet(t, fs, clk.Now)
	kid0 := a.KeyID()
	tok0, _ := a.Issue(context.Background(), "alice", nil)
	// Up to the tick before the next key would be published, then down.
	for range int((fEvery-fAhead)/fPoll) - 1 {
		clk.Add(fPoll)
		issuer.Tick(a)
	}
	fs.down.Store(true)
	for m := time.Duration(0); m < fAhead-fPoll; m += fPoll {
		clk.Add(fPoll)
		issuer.Tick(a)
		if a.KeyID() != kid0 || !a.Ready() {
			t.Fatalf("store down %v: kid %q ready %v; the current key must keep signing while its record is valid", m, a.KeyID(), a.Ready())
		}
		if !slices.Contains(kids(t, a), kid0) {
			t.Fatal("the current key left the JWKS while the store was down")
		}
	}
	tok, err := a.Issue(context.Background(), "alice", nil)
	if err != nil || verifyAt(t, a, tok, clk.Now) != nil {
		t.Fatalf("signing while the store is down: %v", err)
	}
	// Down for longer than its record covers: it stops signing rather
	// than mint tokens the fleet may drop the key of.
	clk.Add(2 * fPoll)
	issuer.Tick(a)
	if a.Ready() {
		t.Fatal("still signing past the coverage of its record")
	}
	if _, err := a.Login(context.Background(), "alice", nil); !errors.Is(err, issuer.ErrNotReady) {
		t.Fatalf("Login past coverage: %v", err)
	}
	if !slices.Contains(kids(t, a), kid0) {
		t.Fatal("the key left the JWKS while its tokens may live")
	}
	_ = tok0
	fs.down.Store(false)
	issuer.Tick(a)
	if !a.Ready() || a.KeyID() != kid0 {
		t.Fatalf("store back: ready %v kid changed %v", a.Ready(), a.KeyID() != kid0)
	}
	for range int(fAhead/fPoll) + 1 {
		clk.Add(fPoll)
		issuer.Tick(a)
	}
	if a.KeyID() == kid0 || !a.Ready() {
		t.Fatal("no rotation once the store was back")
	}
}

// TestFleetPartialPublish: the access record of the next key is written,
// its refresh record fails; the retry writes the same records, and the
// rotation goes on.
func TestFleetPartialPublish(t *testing.T) {
	fs := &flakyStore{KeyStore: issuer.NewMemoryStore(0)}
	clk := newClock()
	a := newFleet(t, fs, clk.Now)
	kid0 := a.KeyID()
	for range int((fEvery-fAhead)/fPoll) - 1 {
		clk.Add(fPoll)
		issuer.Tick(a)
	}
	fs.failRefresh.Store(3) // the next key's first attempts, and heartbeats
	for range int(fAhead/fPoll) + 6 {
		clk.Add(fPoll)
		issuer.Tick(a)
		if !a.Ready() {
			t.Fatal("a failed publish stopped signing")
		}
	}
	if a.KeyID() == kid0 {
		t.Fatal("no rotation after a partial publish")
	}
	recs, _ := fs.PublicKeys(context.Background(), clk.Now())
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4 (two keys, access and refresh)", len(recs))
	}
}

func TestFleetStallingStoreAndClose(t *testing.T) {
	base := runtime.NumGoroutine()
	fs := &flakyStore{KeyStore: issuer.NewMemoryStore(0)}
	fs.stall.Store(true)
	var all []*issuer.Issuer
	for range 4 {
		iss, err := issuer.New(issuer.Config{
			TTL: time.Second,
			Rotation: &issuer.Rotation{Store: fs, Every: time.Second, Ahead: 200 * time.Millisecond,
				Poll: 20 * time.Millisecond, Timeout: 30 * time.Millisecond, Logger: quiet},
		})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, iss)
	}
	time.Sleep(100 * time.Millisecond)
	for _, iss := range all {
		if iss.Ready() {
			t.Fatal("ready with a store that never answered")
		}
	}
	if fs.calls.Load() < 4 {
		t.Fatal("the background did not try the store")
	}
	start := time.Now()
	for _, iss := range all {
		iss.Close()
		iss.Close() // twice is fine
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %v with a stalling store", d)
	}
	for _, iss := range all {
		if err := iss.WaitReady(context.Background()); !errors.Is(err, issuer.ErrNotReady) {
			t.Fatalf("WaitReady after Close: %v", err)
		}
	}
	// No goroutine outlives Close.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Fatalf("%d goroutines after Close, %d before", n, base)
	}
	calls := fs.calls.Load()
	time.Sleep(60 * time.Millisecond)
	if fs.calls.Load() != calls {
		t.Fatal("store called after Close")
	}
}

// TestFleetSimultaneousRotation rotates two instances at the same instant,
// concurrently, many times.
func TestFleetSimultaneousRotation(t *testing.T) {
	store := issuer.NewMemoryStore(0)
	clk := newClock()
	a := newFleet(t, store, clk.Now)
	b := newFleet(t, store, clk.Now, func(c *issuer.Config) { c.Rotation.Every = fEvery - fAhead })
	clk.Add(fAhead)
	issuer.Tick(b)
	// b's schedule is now a's: both rotate at every whole Every.
	kidsA, kidsB := map[string]bool{}, map[string]bool{}
	for range 3 * int(fEvery/fPoll) {
		clk.Add(fPoll)
		var wg sync.WaitGroup
		for _, iss := range []*issuer.Issuer{a, b, a, b} {
			wg.Go(func() { issuer.Tick(iss) })
		}
		wg.Wait()
		issuer.Tick(a) // each has read the other's latest publish
		issuer.Tick(b)
		kidsA[a.KeyID()], kidsB[b.KeyID()] = true, true
		ta, errA := a.Issue(context.Background(), "x", nil)
		tb, errB := b.Issue(context.Background(), "y", nil)
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		for _, iss := range []*issuer.Issuer{a, b} {
			if verifyAt(t, iss, ta, clk.Now) != nil || verifyAt(t, iss, tb, clk.Now) != nil {
				t.Fatal("a token of one instance fails at another after a simultaneous rotation")
			}
		}
	}
	if len(kidsA) < 3 || len(kidsB) < 3 {
		t.Fatalf("kids: a %d, b %d; want ≥ 3 each", len(kidsA), len(kidsB))
	}
}

// TestFleetClockSkew runs two instances whose clocks differ.
func TestFleetClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{20 * time.Second, -20 * time.Second, 4 * time.Minute, -4 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			store := issuer.NewMemoryStore(0)
			clk := newClock()
			skewed := func() time.Time { return clk.Now().Add(skew) }
			a := newFleet(t, store, clk.Now)
			b := newFleet(t, store, skewed)
			for range 3 * int(fEvery/fPoll) {
				clk.Add(fPoll)
				issuer.Tick(a)
				issuer.Tick(b)
				if !b.Ready() {
					continue // joining, on its own clock
				}
				tb, err := b.Issue(context.Background(), "x", nil)
				if err != nil {
					t.Fatal(err)
				}
				ta, _ := a.Issue(context.Background(), "y", nil)
				// Each instance serves the other's key; verifiers allow
				// the skew as leeway.
				mw := func(iss *issuer.Issuer, now func() time.Time) *jwtauth.Middleware {
					m, _ := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), Issuer: "https://auth.example", Now: now, Leeway: 5 * time.Minute, DisableCache: true})
					return m
				}
				for _, m := range []*jwtauth.Middleware{mw(a, clk.Now), mw(b, skewed)} {
					for _, tok := range []string{ta, tb} {
						if _, err := m.Verify(context.Background(), tok); err != nil {
							t.Fatalf("skew %v: %v", skew, err)
						}
					}
				}
			}
			if !b.Ready() {
				t.Fatal("the skewed instance never became ready")
			}
		})
	}
}

// hostileStore returns what its inner store holds plus hostile records.
type hostileStore struct {
	issuer.KeyStore
	mu    sync.Mutex
	extra []issuer.PublicKey
}

func (h *hostileStore) set(extra []issuer.PublicKey) {
	h.mu.Lock()
	h.extra = extra
	h.mu.Unlock()
}

func (h *hostileStore) PublicKeys(ctx context.Context, now time.Time) ([]issuer.PublicKey, error) {
	recs, err := h.KeyStore.PublicKeys(ctx, now)
	h.mu.Lock()
	defer h.mu.Unlock()
	return append(recs, h.extra...), err
}

func jwkOf(t *testing.T, key any, set map[string]any) []byte {
	t.Helper()
	jk, err := jwk.Import(key)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		if err := jk.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(jk)
	return b
}

func thumb(t *testing.T, j []byte) string {
	t.Helper()
	jk, err := jwk.ParseKey(j)
	if err != nil {
		return "x"
	}
	tp, _ := jk.Thumbprint(crypto.SHA256)
	return base64.RawURLEncoding.EncodeToString(tp)
}

// TestFleetHostileRecords: records a hostile party wrote to the shared
// store are refused one by one, never served, never panic.
func TestFleetHostileRecords(t *testing.T) {
	clk := newClock()
	now := clk.Now()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey := signers()["RS256"].(*rsa.PrivateKey)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ecJWK := jwkOf(t, ec.Public(), nil)
	rsaJWK := jwkOf(t, rsaKey.Public(), nil)
	rec := func(alg string, j []byte) issuer.PublicKey {
		return issuer.PublicKey{ID: thumb(t, j), Use: issuer.UseAccess, Algorithm: alg, Issuer: "https://auth.example",
			JWK: j, NotBefore: now, Expires: now.Add(time.Hour)}
	}
	with := func(k issuer.PublicKey, f func(*issuer.PublicKey)) issuer.PublicKey { f(&k); return k }
	huge := append(append([]byte(`{"kty":"EC","pad":"`), strings.Repeat("A", issuer.MaxPublicKeySize)...), `"}`...)
	oct := []byte(`{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"}`)
	privEC := jwkOf(t, ec, nil)
	rows := []struct {
		name string
		k    issuer.PublicKey
	}{
		{"ES256 record of an RSA key", rec("ES256", rsaJWK)},
		{"RS256 record of an EC key", rec("RS256", ecJWK)},
		{"EdDSA record of an EC key", rec("EdDSA", ecJWK)},
		{"ES384 record of a P-256 key", rec("ES384", ecJWK)},
		{"RSA key of 1024 bits", rec("RS256", []byte(`{"kty":"RSA","e":"AQAB","n":"`+base64.RawURLEncoding.EncodeToString(weak.N.Bytes())+`"}`))},
		{"HMAC secret entry", rec("HS256", oct)},
		{"oct key as ES256", rec("ES256", oct)},
		{"alg none", rec("none", ecJWK)},
		{"private EC key", rec("ES256", privEC)},
		{"huge JWK", rec("ES256", huge)},
		{"non-JSON JWK", rec("ES256", []byte("not json at all"))},
		{"JSON then garbage", rec("ES256", append(slices.Clone(ecJWK), " {}"...))},
		{"empty JWK", rec("ES256", nil)},
		{"kid of another key", with(rec("ES256", ecJWK), func(k *issuer.PublicKey) { k.ID = thumb(t, rsaJWK) })},
		{"another issuer", with(rec("ES256", ecJWK), func(k *issuer.PublicKey) { k.Issuer = "https://evil.example" })},
		{"unknown use", with(rec("ES256", ecJWK), func(k *issuer.PublicKey) { k.Use = "admin" })},
		{"expired", with(rec("ES256", ecJWK), func(k *issuer.PublicKey) { k.Expires = now.Add(-time.Second) })},
		{"expires in ten years", with(rec("ES256", ecJWK), func(k *issuer.PublicKey) { k.Expires = now.AddDate(10, 0, 0) })},
		{"NotBefore after Expires", with(rec("ES256", ecJWK), func(k *issuer.PublicKey) { k.NotBefore = now.Add(2 * time.Hour) })},
		{"JWK alg differs", rec("ES256", jwkOf(t, ec.Public(), map[string]any{"alg": "ES384"}))},
		{"JWK for encryption", rec("ES256", jwkOf(t, ec.Public(), map[string]any{"use": "enc"}))},
		{"Ed25519 as ES256", rec("ES256", jwkOf(t, edPub, nil))},
		{"kid of 10 kB", with(rec("ES256", ecJWK), func(k *issuer.PublicKey) { k.ID = strings.Repeat("a", 10_000) })},
	}
	var extra []issuer.PublicKey
	for _, row := range rows {
		if _, err := issuer.CheckPublicKey(row.k, "https://auth.example", now); err == nil {
			t.Errorf("%s: accepted", row.name)
		}
		extra = append(extra, row.k)
	}
	// Control: the same checks take a good record.
	if _, err := issuer.CheckPublicKey(rec("ES256", ecJWK), "https://auth.example", now); err != nil {
		t.Fatalf("a good record: %v", err)
	}
	// A kid published for both uses is taken for neither.
	both := rec("ES256", ecJWK)
	extra = append(extra, both, with(both, func(k *issuer.PublicKey) { k.Use = issuer.UseRefresh }))

	hs := &hostileStore{KeyStore: issuer.NewMemoryStore(0), extra: extra}
	a := newFleet(t, hs, clk.Now)
	got := kids(t, a)
	if len(got) != 1 || got[0] != a.KeyID() {
		t.Fatalf("JWKS with hostile records: %v, want only the instance's own key %s", got, a.KeyID())
	}
	if !a.Ready() {
		t.Fatal("hostile records kept the instance from signing")
	}
}

// TestFleetStoreBounded: a crash-looping fleet cannot grow the store past
// MaxPublicKeys, and a store returning 10 000 records is refused whole.
func TestFleetStoreBounded(t *testing.T) {
	clk := newClock()
	now := clk.Now()
	m := issuer.NewMemoryStore(0)
	k := issuer.PublicKey{Use: issuer.UseAccess, Algorithm: "ES256", JWK: []byte(`{}`), Expires: now.Add(time.Hour)}
	for n := range issuer.MaxPublicKeys {
		k.ID = "k" + string(rune('a'+n%26)) + strings.Repeat("x", n/26) // distinct
		k.ID = base64.RawURLEncoding.EncodeToString([]byte(k.ID))
		if err := m.PublishKey(context.Background(), k, now); err != nil {
			t.Fatalf("record %d: %v", n, err)
		}
	}
	k.ID = "one-too-many"
	if err := m.PublishKey(context.Background(), k, now); !errors.Is(err, issuer.ErrKeyStoreFull) {
		t.Fatalf("record %d: %v, want ErrKeyStoreFull", issuer.MaxPublicKeys+1, err)
	}
	// Expired records make room.
	k.Expires = now.Add(3 * time.Hour)
	if err := m.PublishKey(context.Background(), k, now.Add(2*time.Hour)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	// A record of the same kid with other contents is refused; the same
	// one extends, and never shortens.
	k2 := k
	k2.Algorithm = "ES384"
	if err := m.PublishKey(context.Background(), k2, now.Add(2*time.Hour)); err == nil {
		t.Fatal("conflicting record accepted")
	}
	k3 := k
	k3.Expires = now.Add(150 * time.Minute)
	m.PublishKey(context.Background(), k3, now.Add(2*time.Hour))
	recs, _ := m.PublicKeys(context.Background(), now.Add(2*time.Hour))
	if len(recs) != 1 || !recs[0].Expires.Equal(k.Expires) {
		t.Fatalf("records %d; Expires shortened?", len(recs))
	}

	var flood []issuer.PublicKey
	for range 10_000 {
		flood = append(flood, k)
	}
	hs := &hostileStore{KeyStore: issuer.NewMemoryStore(0)}
	a := newFleet(t, hs, clk.Now)
	before := kids(t, a)
	hs.set(flood)
	clk.Add(fPoll)
	issuer.Tick(a)
	if !slices.Equal(kids(t, a), before) || !a.Ready() {
		t.Fatal("a flood of records changed the keys or stopped signing")
	}
}

func TestMemoryKeyStoreConformance(t *testing.T) {
	storetest.RunKeyStore(t, storetest.KeyStoreHarness{
		New: func(t *testing.T) issuer.KeyStore { return issuer.NewMemoryStore(0) },
	})
}

func TestFleetConfig(t *testing.T) {
	ms := issuer.NewMemoryStore(0)
	rows := []struct {
		name string
		cfg  issuer.Config
	}{
		{"Key and Rotation", issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}, Rotation: &issuer.Rotation{}}},
		{"HMAC algorithm", issuer.Config{Rotation: &issuer.Rotation{Algorithm: "HS256"}}},
		{"unknown algorithm", issuer.Config{Rotation: &issuer.Rotation{Algorithm: "none"}}},
		{"Poll too short", issuer.Config{Rotation: &issuer.Rotation{Poll: time.Millisecond}}},
		{"Ahead under 2 Poll", issuer.Config{Rotation: &issuer.Rotation{Poll: time.Minute, Ahead: time.Minute}}},
		{"Every under Ahead + Poll", issuer.Config{Rotation: &issuer.Rotation{Ahead: time.Hour, Every: time.Hour}}},
		{"Every too long", issuer.Config{Rotation: &issuer.Rotation{Every: 100 * 24 * time.Hour}}},
		{"Store without KeyStore", issuer.Config{Store: storeOnly{ms}, Rotation: &issuer.Rotation{}}},
	}
	for _, row := range rows {
		iss, err := issuer.New(row.cfg)
		if !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", row.name, err)
		}
		if iss != nil {
			iss.Close()
		}
	}
	a := newFleet(t, ms, time.Now)
	for name, err := range map[string]error{
		"Publish": a.Publish(issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}),
		"Rotate":  a.Rotate(issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}),
		"Retire":  a.Retire(a.KeyID()),
	} {
		if !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%s in fleet mode: %v", name, err)
		}
	}
	for _, alg := range []string{"ES384", "ES512", "EdDSA", "RS256", "PS256"} {
		iss := newFleet(t, issuer.NewMemoryStore(0), time.Now, func(c *issuer.Config) { c.Rotation.Algorithm = alg })
		tok, err := iss.Issue(context.Background(), "x", nil)
		if err != nil || iss.Algorithm() != alg || verifyAt(t, iss, tok, time.Now) != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
	// An Issuer with Key is always ready, and Close is a no-op.
	k := newIssuer(t, issuer.Config{})
	if !k.Ready() || k.Close() != nil || k.WaitReady(context.Background()) != nil {
		t.Fatal("Key issuer: not ready")
	}
}

// storeOnly hides the KeyStore methods of a MemoryStore.
type storeOnly struct{ issuer.Store }

// TestFleetLoadSingleInstance is the one-process proof: an Issuer in fleet
// mode on a MemoryStore, under load, rotating every half second, with a
// verifier that only re-reads the JWK Set (every 50 ms, well under Ahead −
// Poll = 425 ms, so that a starved test goroutine still keeps the rule):
// no request fails and no kid is unknown.
func TestFleetLoadSingleInstance(t *testing.T) {
	iss, err := issuer.New(issuer.Config{
		Issuer: "https://auth.example", TTL: 3 * time.Second, RefreshTTL: time.Minute,
		Rotation: &issuer.Rotation{Every: 500 * time.Millisecond, Ahead: 450 * time.Millisecond, Poll: 25 * time.Millisecond, Logger: quiet},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	if err := iss.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(iss.JWKSHandler())
	t.Cleanup(srv.Close)
	var verifier atomic.Pointer[jwtauth.Middleware]
	var lastFetch atomic.Int64
	fetch := func() error {
		defer func() { lastFetch.Store(time.Now().UnixNano()) }()
		res, err := http.Get(srv.URL)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var raw json.RawMessage
		if err := json.NewDecoder(res.Body).Decode(&raw); err != nil {
			return err
		}
		mw, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.KeySet(raw), Issuer: "https://auth.example"})
		if err != nil {
			return err
		}
		verifier.Store(mw)
		return nil
	}
	if err := fetch(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failures, unknown, requests atomic.Int64
	var errMu sync.Mutex
	var errs []string
	fail := func(what string, err error) {
		failures.Add(1)
		errMu.Lock()
		if len(errs) < 5 {
			errs = append(errs, what+": "+err.Error())
		}
		errMu.Unlock()
	}
	var kidMu sync.Mutex
	kidSet := map[string]bool{}
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if err := fetch(); err != nil {
					fail("fetch", err)
				}
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			var tok *issuer.Tokens
			for {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if tok == nil {
					tok, err = iss.Login(context.Background(), "alice", nil)
				} else {
					tok, err = iss.Refresh(context.Background(), tok.RefreshToken)
				}
				requests.Add(1)
				if err != nil {
					fail("login/refresh", err)
					tok = nil
					continue
				}
				kidMu.Lock()
				kidSet[iss.KeyID()] = true
				kidMu.Unlock()
				if _, err := verifier.Load().Verify(context.Background(), tok.AccessToken); err != nil {
					fail("verify "+time.Duration(time.Now().UnixNano()-lastFetch.Load()).String(), err)
					if errors.Is(err, jwtauth.ErrUnknownKey) {
						unknown.Add(1)
					}
				}
			}
		})
	}
	time.Sleep(2600 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d requests, %d kids", requests.Load(), len(kidSet))
	if failures.Load() != 0 || unknown.Load() != 0 {
		t.Fatalf("%d failures, %d unknown kids in %d requests: %q", failures.Load(), unknown.Load(), requests.Load(), errs)
	}
	if len(kidSet) < 5 {
		t.Fatalf("%d kids: want ≥ 4 rotations", len(kidSet))
	}
}

// FuzzCheckPublicKey feeds the check of key store records whatever a
// hostile store may hold: it never panics, and what it accepts is a
// public key of the record's asymmetric algorithm whose kid is its
// thumbprint.
func FuzzCheckPublicKey(f *testing.F) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jk, _ := jwk.Import(ec.Public())
	good, _ := json.Marshal(jk)
	tp, _ := jk.Thumbprint(crypto.SHA256)
	kid := base64.RawURLEncoding.EncodeToString(tp)
	f.Add(kid, "ES256", good)
	f.Add(kid, "RS256", good)
	f.Add(kid, "HS256", []byte(`{"kty":"oct","k":"AAAA"}`))
	f.Add("x", "EdDSA", []byte(`{"kty":"OKP","crv":"Ed25519","x":"AAAA"}`))
	f.Add(kid, "ES256", []byte(`{"kty":"EC","crv":"P-256","x":"","y":""}`))
	f.Add("", "", []byte(`[]`))
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, id, alg string, j []byte) {
		k := issuer.PublicKey{ID: id, Use: issuer.UseAccess, Algorithm: alg, JWK: j, NotBefore: now, Expires: now.Add(time.Hour)}
		vk, err := issuer.CheckPublicKey(k, "", now)
		if err != nil {
			return
		}
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA":
		default:
			t.Fatalf("accepted algorithm %q", alg)
		}
		if vk.ID != id || vk.Algorithm != alg {
			t.Fatalf("accepted %q/%q as %q/%q", id, alg, vk.ID, vk.Algorithm)
		}
		if _, err := jwtauth.NewKeyRing(nil, vk); err != nil {
			t.Fatalf("accepted a key jwtauth refuses: %v", err)
		}
	})
}
