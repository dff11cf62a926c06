package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// The benchmarks put every contender in front of the same protected handler
// and serve it prebuilt requests through ServeHTTP with a ResponseWriter that
// does nothing. Names are key=value so that benchstat can pivot them:
//
//	./run.sh                                   # go test -bench . -count 6, then benchstat
//	benchstat -col /impl -row .name,/alg bench.txt
//
// Cold: every request carries a token not seen before (a cycled pool of
// coldPoolSize tokens, more than authkit's cache holds). Warm: the same
// token every time. Floors are the bare verification work without HTTP, over
// the same tokens: base64, signature and encoding/json, with the standard
// library (see floorVerify).

// checkContender fails b unless h answers 200 for a valid token and 401 for
// a tampered one, so that nothing benchmarks a rejection or a no-op.
func checkContender(b *testing.B, name string, h http.Handler, valid string) {
	b.Helper()
	if got := status(h, valid); got != http.StatusOK {
		b.Fatalf("%s: valid token: status %d, want 200", name, got)
	}
	if got := status(h, tamper(valid)); got != http.StatusUnauthorized {
		b.Fatalf("%s: tampered token: status %d, want 401", name, got)
	}
}

// bearers returns the Authorization header value of each token.
func bearers(toks []string) []string {
	vals := make([]string, len(toks))
	for i, t := range toks {
		vals[i] = "Bearer " + t
	}
	return vals
}

// serveLoop is the timed loop. It serves one prebuilt request again and
// again, its Authorization header taking the values of auths in turn (set
// in place, in the header's own []string, so without hashing or allocating),
// and fails on any status but 200. *next is the position in auths, kept by
// the caller across calls: should the testing package run a benchmark
// function more than once, the tokens go on in turn instead of starting
// over, which would present the first ones again soon and let a cache
// answer them.
//
// One request object rather than one per token: a server parses each
// request into memory that is hot in the CPU cache, while a pool of tens of
// thousands of prebuilt requests would make every request a run of cache
// misses that no middleware causes. What stays cold is what a cold token
// is: token bytes the middleware has not seen before.
func serveLoop(b *testing.B, h http.Handler, auths []string, next *int) {
	b.Helper()
	r := httptest.NewRequest(http.MethodGet, protectedPath, nil)
	slot := []string{auths[0]}
	r.Header["Authorization"] = slot
	w := newNopWriter()
	step := func() {
		slot[0] = auths[*next%len(auths)]
		w.code = 0
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			b.Fatalf("request %d: status %d", *next, w.code)
		}
		*next++
	}
	settle(step)
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

// settle prepares a timed loop: it collects the garbage of what ran before
// (minting a pool of tokens above all), then runs step, untimed, for
// warmUp, so that every benchmark starts from the same heap, with its code
// and data in the CPU caches and the CPU at its working clock. Without it
// the first contender after a pool was minted ran up to 10% slower.
func settle(step func()) {
	runtime.GC()
	for end := time.Now().Add(warmUp); time.Now().Before(end); {
		for range 16 {
			step()
		}
	}
}

const warmUp = 200 * time.Millisecond

// BenchmarkCold: unique tokens, every contender, and the floor.
func BenchmarkCold(b *testing.B) {
	for _, a := range algs() {
		b.Run("alg="+a.name, func(b *testing.B) {
			pool := a.pool()
			auths := a.bearers()
			for _, c := range contenders(b, a) {
				next := 0
				b.Run("impl="+c.name, func(b *testing.B) {
					checkContender(b, c.name, c.h, pool[0])
					serveLoop(b, c.h, auths, &next)
				})
			}
			b.Run("impl=floor", func(b *testing.B) { benchFloor(b, a, pool) })
		})
	}
}

// benchFloor times the floor of a over the pool.
func benchFloor(b *testing.B, a *alg, pool []string) {
	if !floorVerify(a.name, a.pub, pool[0]) || floorVerify(a.name, a.pub, tamper(pool[0])) {
		b.Fatalf("%s floor accepts a tampered token or rejects a valid one", a.name)
	}
	i := 0
	step := func() {
		if !floorVerify(a.name, a.pub, pool[i%len(pool)]) {
			b.Fatal("floor rejected a valid token")
		}
		i++
	}
	settle(step)
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

// BenchmarkWarm: one token, presented again and again.
func BenchmarkWarm(b *testing.B) {
	for _, a := range algs() {
		b.Run("alg="+a.name, func(b *testing.B) {
			tok := a.pool()[0]
			for _, c := range contenders(b, a) {
				b.Run("impl="+c.name, func(b *testing.B) {
					checkContender(b, c.name, c.h, tok)
					serveLoop(b, c.h, []string{"Bearer " + tok}, new(int))
				})
			}
		})
	}
}

// exclusionPatterns returns n distinct Config.Exclude patterns of the four
// kinds ServeMux knows, under base: a subtree, a method and exact path, an
// exact path, a host. None matches protectedPath. With base "" no pattern
// shares protectedPath's first segment, the usual case (exclusions are
// /login, /health, /static/, …, while the API is elsewhere); with base
// protectedPath every pattern does, the worst case for authkit's index of
// first segments, and every request goes through the ServeMux.
func exclusionPatterns(n int, base string) []string {
	ps := make([]string, n)
	for i := range ps {
		switch i % 4 {
		case 0:
			ps[i] = fmt.Sprintf("%s/public/%d/", base, i)
		case 1:
			ps[i] = fmt.Sprintf("GET %s/health/%d", base, i)
		case 2:
			ps[i] = fmt.Sprintf("%s/login/%d", base, i)
		case 3:
			ps[i] = fmt.Sprintf("static%d.example.com%s/assets/", i, base)
		}
	}
	return ps
}

// exclusionHandler is authkit (HS256) with n exclusion patterns under base,
// checked to let an excluded request through untouched: it reaches the
// protected handler without claims, which answers 500.
func exclusionHandler(tb testing.TB, n int, base string, disableCache bool) http.Handler {
	tb.Helper()
	h := authkitHandler(tb, algByName("HS256"), jwtauth.Config{Exclude: exclusionPatterns(n, base), DisableCache: disableCache})
	w := newNopWriter()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, base+"/public/0/x", nil))
	if w.code != http.StatusInternalServerError {
		tb.Fatalf("excluded request: status %d, want it to reach the handler (500)", w.code)
	}
	return h
}

// BenchmarkExclusions: a protected request through authkit with 1 and 1000
// exclusion patterns, warm (default config, one token) and cold (DisableCache,
// unique tokens), with patterns elsewhere (paths=apart) and under the
// protected path's first segment (paths=shared).
func BenchmarkExclusions(b *testing.B) {
	hs := algByName("HS256")
	pool := hs.pool()
	for _, paths := range []string{"apart", "shared"} {
		base := ""
		if paths == "shared" {
			base = protectedPath
		}
		for _, mode := range []string{"warm", "cold"} {
			b.Run("paths="+paths+"/mode="+mode, func(b *testing.B) {
				for _, n := range []int{1, 1000} {
					b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
						h := exclusionHandler(b, n, base, mode == "cold")
						checkContender(b, "authkit", h, pool[0])
						auths := hs.bearers()
						if mode == "warm" {
							auths = auths[:1]
						}
						serveLoop(b, h, auths, new(int)) // h is new each call
					})
				}
			})
		}
	}
}

// BenchmarkExclusionsPaired: the 1 and the 1000 pattern handlers of
// BenchmarkExclusions in one loop, taking turns every exclusionBlock
// requests, each block timed: a slow second of a shared machine lands on
// both alike, where two benchmarks run one after the other each get their
// own seconds. It reports each handler's ns per request and their ratio
// (1000 over 1); ns/op is of the two together.
func BenchmarkExclusionsPaired(b *testing.B) {
	hs := algByName("HS256")
	for _, paths := range []string{"apart", "shared"} {
		base := ""
		if paths == "shared" {
			base = protectedPath
		}
		for _, mode := range []string{"warm", "cold"} {
			b.Run("paths="+paths+"/mode="+mode, func(b *testing.B) {
				auths := hs.bearers()
				if mode == "warm" {
					auths = auths[:1]
				}
				var handlers [2]http.Handler
				for i, n := range []int{1, 1000} {
					handlers[i] = exclusionHandler(b, n, base, mode == "cold")
					checkContender(b, "authkit", handlers[i], hs.pool()[0])
				}
				r := httptest.NewRequest(http.MethodGet, protectedPath, nil)
				slot := []string{auths[0]}
				r.Header["Authorization"] = slot
				w := newNopWriter()
				// Each handler walks the tokens on its own: a new one
				// every request, when cold.
				var next [2]int
				serve := func(k int) {
					slot[0] = auths[next[k]%len(auths)]
					next[k]++
					w.code = 0
					handlers[k].ServeHTTP(w, r)
					if w.code != http.StatusOK {
						b.Fatalf("request %d: status %d", next[k], w.code)
					}
				}
				var spent [2]time.Duration
				var served [2]int
				i := 0
				settle(func() { serve(i % 2); i++ })
				i = 0
				b.ReportAllocs()
				start := time.Now()
				for b.Loop() {
					k := i / exclusionBlock % 2
					serve(k)
					i++
					if i%exclusionBlock == 0 {
						now := time.Now()
						spent[k] += now.Sub(start)
						served[k] += exclusionBlock
						start = now
					}
				}
				if served[0] == 0 || served[1] == 0 {
					return // too few iterations to time a block of each
				}
				one := float64(spent[0]) / float64(served[0])
				many := float64(spent[1]) / float64(served[1])
				b.ReportMetric(one, "ns/op-1")
				b.ReportMetric(many, "ns/op-1000")
				b.ReportMetric(many/one, "ratio")
			})
		}
	}
}

// exclusionBlock is how many requests a handler of
// BenchmarkExclusionsPaired serves before the other takes its turn.
const exclusionBlock = 64

// signingKID is the kid of the key that signs the key-set benchmark tokens;
// the other keys of the set are decoys.
const signingKID = "signing-key"

// keySetJSON returns a JWK Set of n keys of a's algorithm: n-1 decoys and,
// last, a's key under signingKID.
func keySetJSON(a *alg, n int) []byte {
	jwk := func(kid string, pub any) map[string]string {
		switch a.name {
		case "HS256":
			return map[string]string{"kty": "oct", "alg": "HS256", "kid": kid, "k": b64.EncodeToString(pub.([]byte))}
		case "ES256":
			ec, err := pub.(*ecdsa.PublicKey).ECDH()
			if err != nil {
				panic(err)
			}
			pt := ec.Bytes() // 0x04 || X || Y
			return map[string]string{"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": kid,
				"x": b64.EncodeToString(pt[1:33]), "y": b64.EncodeToString(pt[33:])}
		}
		panic("no JWK for " + a.name)
	}
	keys := make([]map[string]string, 0, n)
	for i := range n - 1 {
		var pub any
		switch a.name {
		case "HS256":
			s := make([]byte, 32)
			rand.Read(s)
			pub = s
		case "ES256":
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				panic(err)
			}
			pub = &k.PublicKey
		}
		keys = append(keys, jwk(fmt.Sprintf("decoy-%04d", i), pub))
	}
	keys = append(keys, jwk(signingKID, a.pub))
	data, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return data
}

// keySetPools are the tokens of the key-set benchmark, with kid signingKID,
// per algorithm.
var keySetPools sync.Map // alg name -> []string

func keySetPool(a *alg) []string {
	if p, ok := keySetPools.Load(a.name); ok {
		return p.([]string)
	}
	p, _ := keySetPools.LoadOrStore(a.name, mintPool(a, signingKID, 4096))
	return p.([]string)
}

// BenchmarkKeySet: authkit with a JWK Set of 1 and 1000 keys, tokens naming
// their key by kid, cold (DisableCache, 4096 unique tokens).
func BenchmarkKeySet(b *testing.B) {
	for _, name := range []string{"HS256", "ES256"} {
		a := algByName(name)
		b.Run("alg="+name, func(b *testing.B) {
			pool := keySetPool(a)
			for _, n := range []int{1, 1000} {
				b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
					h := authkitHandler(b, a, jwtauth.Config{Keys: jwtauth.KeySet(keySetJSON(a, n)), DisableCache: true})
					checkContender(b, "authkit", h, pool[0])
					serveLoop(b, h, bearers(pool), new(int)) // h is new each call
				})
			}
		})
	}
}
