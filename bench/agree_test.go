package bench

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/authkit-go/authkit/jwtauth"
)

// TestContendersAgree checks that every contender, mounted exactly as the
// benchmarks mount it, accepts the benchmark tokens and rejects forged,
// expired and misaddressed ones, so that the benchmarks compare equal work.
// It mints a handful of tokens only, so it stays quick under -race.
func TestContendersAgree(t *testing.T) {
	for _, a := range algs() {
		t.Run(a.name, func(t *testing.T) {
			valid := a.mint("", claimsFor(1))
			expired := claimsFor(2)
			expired.Iat -= 7200
			expired.AuthTime -= 7200
			expired.Exp = time.Now().Unix() - 60
			wrongIss := claimsFor(3)
			wrongIss.Iss = "https://evil.example"
			wrongAud := claimsFor(4)
			wrongAud.Aud = []string{"other-api", "account"}
			cases := []struct {
				name string
				tok  string
				want int // 0: any 4xx
			}{
				{"valid", valid, http.StatusOK},
				{"tampered", tamper(valid), http.StatusUnauthorized},
				{"expired", a.mint("", expired), http.StatusUnauthorized},
				{"wrong issuer", a.mint("", wrongIss), 0},
				{"wrong audience", a.mint("", wrongAud), 0},
				{"alg none", unsecured(claimsFor(6)), http.StatusUnauthorized},
				{"other key", otherKey(a).mint("", claimsFor(7)), http.StatusUnauthorized},
			}
			for _, c := range contenders(t, a) {
				for _, tc := range cases {
					got := status(c.h, tc.tok)
					if tc.want == 0 && (got < 400 || got > 499) || tc.want != 0 && got != tc.want {
						t.Errorf("%s, %s token: status %d, want %d (0: any 4xx)", c.name, tc.name, got, tc.want)
					}
				}
				// Two more valid requests: authkit caches the token on its
				// second verification and answers the third from the cache.
				for range 2 {
					if got := status(c.h, valid); got != http.StatusOK {
						t.Errorf("%s, valid token again: status %d", c.name, got)
					}
				}
			}
			// The floors check what they claim to.
			if a.name == "HS256" {
				if !floorHS256(secret, valid) || floorHS256(secret, tamper(valid)) {
					t.Error("HS256 floor: wrong verdict")
				}
			} else if !verifyFloor(a.name, a.pub, splitForFloor(valid)) ||
				verifyFloor(a.name, a.pub, splitForFloor(tamper(valid))) {
				t.Errorf("%s floor: wrong verdict", a.name)
			}
		})
	}
}

// TestTokenShape checks that the benchmark tokens are the access tokens the
// benchmarks claim to measure: 16 claims, aud an array of two, six scopes,
// nested objects, a roles array and a non-ASCII name, about 870 bytes in
// HS256 and 1170 in RS256.
func TestTokenShape(t *testing.T) {
	sizes := map[string][2]int{ // alg -> [min, max] bytes
		"HS256": {860, 880},
		"RS256": {1160, 1180},
		"ES256": {905, 925},
		"EdDSA": {905, 925},
	}
	for _, a := range algs() {
		for _, i := range []int{0, coldPoolSize - 1} {
			tok := a.mint("", claimsFor(i))
			if r := sizes[a.name]; len(tok) < r[0] || len(tok) > r[1] {
				t.Errorf("%s token %d: %d bytes, want %d to %d", a.name, i, len(tok), r[0], r[1])
			}
			parts := strings.Split(tok, ".")
			payload, err := b64.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			var c map[string]any
			if err := json.Unmarshal(payload, &c); err != nil {
				t.Fatal(err)
			}
			aud, _ := c["aud"].([]any)
			scope, _ := c["scope"].(string)
			realm, _ := c["realm_access"].(map[string]any)
			roles, _ := c["roles"].([]any)
			name, _ := c["name"].(string)
			if len(c) != 16 || len(aud) != 2 || len(strings.Fields(scope)) != 6 ||
				realm == nil || len(roles) == 0 || utf8.RuneCountInString(name) == len(name) {
				t.Errorf("%s token %d: not the token shape the benchmarks name: %s", a.name, i, payload)
			}
		}
	}
}

// unsecured returns an "alg":"none" token for c (RFC 7519 §6).
func unsecured(c benchClaims) string {
	parts := strings.Split(mintWith("HS256", secret, "", c), ".")
	return b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
}

// otherKey is a's algorithm with a key of its own.
func otherKey(a *alg) *alg {
	if a.name == "HS256" {
		return &alg{name: "HS256", priv: []byte("another-secret-of-more-than-32-bytes-0123456789")}
	}
	for _, b := range otherAlgs() {
		if b.name == a.name {
			return b
		}
	}
	panic("no other key for " + a.name)
}

// otherAlgs are keys of the same algorithms as algs, made separately.
var otherAlgs = sync.OnceValue(newAlgs)

// TestExclusionsAndKeySet checks the configurations of BenchmarkExclusions
// and BenchmarkKeySet: excluded paths pass without a token, protected ones
// verify, and a key set finds the signing key among 1000 decoys.
func TestExclusionsAndKeySet(t *testing.T) {
	hs := algByName("HS256")
	valid := hs.mint("", claimsFor(1))
	for _, base := range []string{"", protectedPath} {
		for _, n := range []int{1, 1000} {
			h := exclusionHandler(t, n, base, false)
			if got := status(h, valid); got != http.StatusOK {
				t.Errorf("%d patterns under %q, valid token: status %d", n, base, got)
			}
			if got := status(h, tamper(valid)); got != http.StatusUnauthorized {
				t.Errorf("%d patterns under %q, tampered token: status %d", n, base, got)
			}
		}
	}
	for _, tc := range []struct {
		alg string
		n   int
	}{{"HS256", 1}, {"HS256", 1000}, {"ES256", 1}, {"ES256", 20}} {
		a := algByName(tc.alg)
		h := authkitHandler(t, a, jwtauth.Config{Keys: jwtauth.KeySet(keySetJSON(a, tc.n)), DisableCache: true})
		tok := a.mint(signingKID, claimsFor(1))
		if got := status(h, tok); got != http.StatusOK {
			t.Errorf("%s, %d keys: valid token: status %d", tc.alg, tc.n, got)
		}
		if got := status(h, tamper(tok)); got != http.StatusUnauthorized {
			t.Errorf("%s, %d keys: tampered token: status %d", tc.alg, tc.n, got)
		}
		if got := status(h, a.mint("decoy-0000", claimsFor(2))); tc.n > 1 && got != http.StatusUnauthorized {
			t.Errorf("%s, %d keys: token signed by another key under a decoy's kid: status %d", tc.alg, tc.n, got)
		}
	}
}
