package redisstore_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

func jwksBody(t testing.TB, iss *issuer.Issuer) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	iss.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/jwks", nil))
	return rec.Body.Bytes()
}

// countingObserver counts what the resource verifier's Middleware and its
// remote keys report.
type countingObserver struct {
	fetches, fetchErrors, verified atomic.Int64
	mu                             sync.Mutex
	rejected                       map[string]int
}

func (o *countingObserver) Verified(context.Context, jwtauth.VerifiedEvent) { o.verified.Add(1) }
func (o *countingObserver) Rejected(_ context.Context, e jwtauth.RejectedEvent) {
	o.mu.Lock()
	o.rejected[e.Reason.Error()]++
	o.mu.Unlock()
}
func (o *countingObserver) KeysFetched(_ context.Context, e jwtauth.KeysFetchedEvent) {
	o.fetches.Add(1)
	if e.Err != nil {
		o.fetchErrors.Add(1)
	}
}

func (o *countingObserver) rejections() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps(o.rejected)
}

func maps(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// instance is one issuer process: its own Redis client and Store, its own
// HTTP server.
func instanceHandler(iss *issuer.Issuer) http.Handler {
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter, err error) {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, issuer.ErrNotReady), errors.Is(err, issuer.ErrStoreFull):
			w.Header().Set("Retry-After", "1")
			status = http.StatusServiceUnavailable
		case errors.Is(err, jwtauth.ErrStore):
			status = http.StatusInternalServerError
		}
		http.Error(w, "refused", status)
	}
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		t, err := iss.Login(r.Context(), r.FormValue("sub"), nil)
		if err != nil {
			fail(w, err)
			return
		}
		issuer.WriteTokens(w, t)
	})
	mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		t, err := iss.Refresh(r.Context(), r.FormValue("refresh_token"))
		if err != nil {
			fail(w, err)
			return
		}
		issuer.WriteTokens(w, t)
	})
	mux.Handle("GET /jwks", iss.JWKSHandler())
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !iss.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	return mux
}

// TestFleetThreeInstancesUnderLoad is the proof of fleet mode: three
// Issuers, each with its own Redis client and Store on one redis-server,
// each its own HTTP server, behind a round-robin load balancer; each signs
// with its own keys and rotates them several times while clients log in,
// refresh on whatever instance the balancer picks, and call a resource
// server whose verifier is a jwtauth.Remote that reads the JWKS only
// through the balancer. No request fails, and the verifier never meets an
// unknown kid: its refetch on an unknown kid is spent at the start (on a
// forged kid) and cannot recur for an hour, so an unknown kid would be a
// rejection, and there is none.
//
// The timing is scaled down but keeps the rule: jwtauth.Remote refreshes
// at least every second (its floor), checked on a one-second tick, so at
// worst every two seconds; Ahead − Poll is 2.95 s.
func TestFleetThreeInstancesUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("about 17 s")
	}
	t.Parallel()
	srv := redistest.Start(t)
	prefix := "fleet:" + randomID() + ":"
	const (
		every = 3100 * time.Millisecond
		ahead = 3000 * time.Millisecond
		poll  = 50 * time.Millisecond
	)
	var backends []*url.URL
	var fleet []*issuer.Issuer
	for range 3 {
		store, err := redisstore.New(context.Background(), srv.Client(t), redisstore.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		iss, err := issuer.New(issuer.Config{
			Issuer: "https://auth.example", Store: store, TTL: 3 * time.Second, RefreshTTL: time.Minute,
			Rotation: &issuer.Rotation{Every: every, Ahead: ahead, Poll: poll, Timeout: time.Second, Logger: quiet},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { iss.Close() })
		hs := httptest.NewServer(instanceHandler(iss))
		t.Cleanup(hs.Close)
		u, _ := url.Parse(hs.URL)
		backends = append(backends, u)
		fleet = append(fleet, iss)
	}
	var rr atomic.Uint64
	proxies := make([]*httputil.ReverseProxy, len(backends))
	for n, u := range backends {
		proxies[n] = httputil.NewSingleHostReverseProxy(u)
	}
	// The balancer sends traffic only to ready instances, as a readiness
	// probe would; JWKS requests go to any instance.
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range len(proxies) {
			n := int(rr.Add(1) % uint64(len(proxies)))
			if r.URL.Path == "/jwks" || fleet[n].Ready() {
				proxies[n].ServeHTTP(w, r)
				return
			}
		}
		http.Error(w, "no instance ready", http.StatusServiceUnavailable)
	}))
	t.Cleanup(lb.Close)
	ctx := t.Context()
	for _, iss := range fleet {
		if err := iss.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
	}

	obs := &countingObserver{rejected: map[string]int{}}
	remote := jwtauth.Remote(ctx, lb.URL+"/jwks", jwtauth.RemoteOptions{
		AllowLoopbackHTTP: true, MinRefresh: time.Second, MaxRefresh: time.Second,
		MissRefresh: time.Hour, Observer: obs,
	})
	t.Cleanup(func() { remote.Close() })
	mw, err := jwtauth.New(jwtauth.Config{Keys: remote, Issuer: "https://auth.example", Observer: obs, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})))
	t.Cleanup(api.Close)
	for deadline := time.Now().Add(5 * time.Second); !remote.Status().Ready; {
		if time.Now().After(deadline) {
			t.Fatal("the verifier never fetched the JWKS")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Spend the verifier's one refetch for an unknown kid on a forged one.
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"forged","typ":"JWT"}`)) + ".e30.AAAA"
	if _, err := mw.Verify(ctx, forged); err == nil {
		t.Fatal("forged token verified")
	}
	time.Sleep(100 * time.Millisecond) // the miss fetch ends
	primed := obs.rejections()
	fetchesBefore := obs.fetches.Load()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	t.Cleanup(client.CloseIdleConnections)
	post := func(path string, form url.Values) (*issuer.Tokens, int, error) {
		res, err := client.PostForm(lb.URL+path, form)
		if err != nil {
			return nil, 0, err
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			return nil, res.StatusCode, nil
		}
		var body struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			return nil, 0, err
		}
		return &issuer.Tokens{AccessToken: body.AccessToken, RefreshToken: body.RefreshToken}, 200, nil
	}
	call := func(tok string) (int, error) {
		req, _ := http.NewRequest("GET", api.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}

	var (
		requests, failures, logins, refreshes, calls atomic.Int64
		mu                                           sync.Mutex
		errs                                         []string
		tokenKids                                    = map[string]bool{}
	)
	fail := func(what string, status int, err error) {
		failures.Add(1)
		mu.Lock()
		if len(errs) < 10 {
			errs = append(errs, fmt.Sprintf("%s: status %d, %v", what, status, err))
		}
		mu.Unlock()
	}
	kidOf := func(tok string) string {
		h, _, _ := strings.Cut(tok, ".")
		b, _ := base64.RawURLEncoding.DecodeString(h)
		var v struct{ Kid string }
		json.Unmarshal(b, &v)
		return v.Kid
	}
	// Sample each instance's kid, to count rotations per instance.
	instanceKids := make([][]string, len(fleet)) // in the order they signed
	for n := range instanceKids {
		instanceKids[n] = []string{fleet[n].KeyID()}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(poll):
			}
			mu.Lock()
			for n, iss := range fleet {
				if k := iss.KeyID(); !slices.Contains(instanceKids[n], k) {
					instanceKids[n] = append(instanceKids[n], k)
				}
			}
			mu.Unlock()
		}
	})
	for g := range 6 {
		wg.Go(func() {
			sub := fmt.Sprintf("user%d", g)
			var tok *issuer.Tokens
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var status int
				var err error
				requests.Add(1)
				if tok == nil || n%8 == 0 {
					logins.Add(1)
					tok, status, err = post("/login", url.Values{"sub": {sub}})
				} else if n%2 == 0 {
					refreshes.Add(1)
					tok, status, err = post("/refresh", url.Values{"refresh_token": {tok.RefreshToken}})
				} else {
					calls.Add(1)
					status, err = call(tok.AccessToken)
				}
				if err != nil || status != 200 {
					fail("request", status, err)
					tok = nil
					continue
				}
				mu.Lock()
				tokenKids[kidOf(tok.AccessToken)] = true
				mu.Unlock()
				// Every fresh access token goes to the resource server too.
				requests.Add(1)
				calls.Add(1)
				if status, err := call(tok.AccessToken); err != nil || status != 200 {
					fail("call", status, err)
				}
			}
		})
	}
	start := time.Now()
	// Until every instance has rotated at least four times.
	for deadline := start.Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		done := true
		for _, ks := range instanceKids {
			done = done && len(ks) >= 5
		}
		mu.Unlock()
		if done {
			break
		}
	}
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()

	rejected := obs.rejections()
	for k, v := range primed {
		rejected[k] -= v
		if rejected[k] == 0 {
			delete(rejected, k)
		}
	}
	counts := make([]int, len(instanceKids))
	for n, ks := range instanceKids {
		counts[n] = len(ks) - 1
	}
	t.Logf("%v under load: %d requests (%d logins, %d refreshes, %d resource calls), %d failed; rotations per instance %v; %d kids in tokens; %d JWKS fetches by the verifier",
		elapsed.Round(time.Millisecond), requests.Load(), logins.Load(), refreshes.Load(), calls.Load(), failures.Load(), counts, len(tokenKids), obs.fetches.Load()-fetchesBefore)
	if failures.Load() != 0 {
		t.Errorf("%d failed requests: %q", failures.Load(), errs)
	}
	if len(rejected) != 0 {
		t.Errorf("the verifier rejected tokens: %v", rejected)
	}
	if n := obs.fetchErrors.Load(); n != 0 {
		t.Errorf("%d JWKS fetches failed", n)
	}
	for n, c := range counts {
		if c < 4 {
			t.Errorf("instance %d rotated %d times, want ≥ 4", n, c)
		}
	}
	// Every key an instance signed with for a whole period under load (not
	// its first, which may have rotated as the load began, nor its last)
	// signed tokens that the verifier accepted.
	for n, ks := range instanceKids {
		for _, k := range ks[1 : len(ks)-1] {
			if !tokenKids[k] {
				t.Errorf("instance %d: kid %s signed no token", n, k)
			}
		}
	}
	if obs.verified.Load() == 0 {
		t.Error("nothing verified")
	}
	// Only public keys in Redis.
	vals, err := srv.Client(t).HGetAll(context.Background(), prefix+"k").Result()
	if err != nil || len(vals) == 0 {
		t.Fatalf("key hash: %v, %d fields", err, len(vals))
	}
	for f, v := range vals {
		_, body, _ := strings.Cut(v, " ")
		var rec struct{ JWK string }
		json.Unmarshal([]byte(body), &rec)
		var members map[string]any
		json.Unmarshal([]byte(rec.JWK), &members)
		for _, m := range []string{"d", "p", "q", "k"} {
			if _, ok := members[m]; ok {
				t.Fatalf("record %s holds private member %q", f, m)
			}
		}
	}
	// The three JWK Sets agree, once each has read the others' latest
	// (a rotation may be publishing meanwhile).
	agree := false
	for range 40 {
		k0 := jwksKids(t, fleet[0])
		agree = slices.Equal(jwksKids(t, fleet[1]), k0) && slices.Equal(jwksKids(t, fleet[2]), k0)
		if agree {
			break
		}
		time.Sleep(poll / 2)
	}
	if !agree {
		t.Error("the instances serve different unions")
	}
}
