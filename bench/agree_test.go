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
// expired, not yet valid and misaddressed ones with 401, so that the
// benchmarks compare equal work. It mints a handful of tokens only, so it
// stays quick under -race.
//
// One difference is left, as no option of the peer removes it: auth0's
// validator checks exp only when present, so it accepts a token without exp
// (acceptsNoExp); the others refuse it.
func TestContendersAgree(t *testing.T) {
	acceptsNoExp := map[string]bool{"auth0": true}
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
			notYet := claimsWith(8, func(c map[string]any) { c["nbf"] = time.Now().Unix() + 3600 })
			audString := claimsWith(9, func(c map[string]any) { c["aud"] = audience })
			noExp := claimsWith(10, func(c map[string]any) { delete(c, "exp") })
			cases := []struct {
				name string
				tok  string
				want int
			}{
				{"valid", valid, http.StatusOK},
				{"aud a string", a.mintAny(audString), http.StatusOK},
				{"tampered", tamper(valid), http.StatusUnauthorized},
				{"expired", a.mint("", expired), http.StatusUnauthorized},
				{"not yet valid", a.mintAny(notYet), http.StatusUnauthorized},
				{"wrong issuer", a.mint("", wrongIss), http.StatusUnauthorized},
				{"wrong audience", a.mint("", wrongAud), http.StatusUnauthorized},
				{"alg none", unsecured(claimsFor(6)), http.StatusUnauthorized},
				{"other key", otherKey(a).mint("", claimsFor(7)), http.StatusUnauthorized},
			}
			for _, c := range contenders(t, a) {
				for _, tc := range cases {
					if got := status(c.h, tc.tok); got != tc.want {
						t.Errorf("%s, %s token: status %d, want %d", c.name, tc.name, got, tc.want)
					}
				}
				got := status(c.h, a.mintAny(noExp))
				if acceptsNoExp[c.name] && got != http.StatusOK || !acceptsNoExp[c.name] && (got < 400 || got > 499) {
					t.Errorf("%s, token without exp: status %d (accepts: %v)", c.name, got, acceptsNoExp[c.name])
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
			if !floorVerify(a.name, a.pub, valid) || floorVerify(a.name, a.pub, tamper(valid)) {
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

// claimsWith returns claimsFor(i) as a map, changed by edit.
func claimsWith(i int, edit func(map[string]any)) map[string]any {
	data, err := json.Marshal(claimsFor(i))
	if err != nil {
		panic(err)
	}
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		panic(err)
	}
	edit(c)
	return c
}

// mintAny mints claims of any shape, without kid.
func (a *alg) mintAny(claims any) string { return mintWith(a.name, a.priv, "", claims) }

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
