package jwtauth_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
)

// The bounded-cost target: the worst token that fits in MaxTokenSize costs at
// most 3× the time and allocations of an ordinary token of the same size,
// before the signature check, after it, and on a cache hit. The tokens below
// are ~7.5 KB each: an ordinary one (many ordinary claims, nested objects) and
// one per attack shape on the parser.

// advSize is the payload length every adversarial token is padded to.
const advSize = 5400

// advPad pads a claims object (without its closing brace) to advSize bytes
// with one ordinary string claim, and closes it.
func advPad(claims string) string { return advPadTo(claims, advSize) }

// advPadTo pads claims to size bytes.
func advPadTo(claims string, size int) string {
	if n := size - len(claims) - len(`,"pad":""}`); n > 0 {
		claims += `,"pad":"` + strings.Repeat("p", n) + `"`
	}
	return claims + "}"
}

const advBase = `{"sub":"user-1234","iss":"https://auth.example","aud":["api","billing"],"exp":4102444800,"iat":1700000000,"role":"admin"`

// advTokens returns the ordinary token first, then the adversarial ones.
func advTokens() []struct{ name, header, claims string } {
	var normal strings.Builder
	normal.WriteString(advBase)
	for i := range 60 {
		fmt.Fprintf(&normal, `,"claim%02d":{"name":"value number %d","list":[1,2,3],"ok":true}`, i, i)
	}

	var escHeader strings.Builder
	escHeader.WriteString(`{"alg":"HS256"`)
	for i := range 14 {
		fmt.Fprintf(&escHeader, `,"\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078\u0078%02d":1`, i)
	}
	escHeader.WriteString(`}`)

	var foldHeader strings.Builder // names of runes whose fold orbits are long
	foldHeader.WriteString(`{"alg":"HS256"`)
	for i := range 14 {
		fmt.Fprintf(&foldHeader, `,"%s%02d":1`, strings.Repeat("\u0345", 100), i)
	}
	foldHeader.WriteString(`}`)

	var foldClaims strings.Builder // the same in the claims
	foldClaims.WriteString(advBase)
	for i := range 100 {
		fmt.Fprintf(&foldClaims, `,"%s%03d":1`, strings.Repeat("\u0345", 20), i)
	}

	var many strings.Builder // 250 members whose names collide but for case
	many.WriteString(advBase)
	for i := range 240 {
		fmt.Fprintf(&many, `,"Ab%03d":%d`, i, i)
	}

	var escNames strings.Builder // claims with escaped names
	escNames.WriteString(advBase)
	for i := range 200 {
		fmt.Fprintf(&escNames, `,"\u0063\u006c%03d":1`, i)
	}

	var aud strings.Builder // a long aud array
	aud.WriteString(`{"sub":"user-1234","exp":4102444800,"role":"admin","aud":[`)
	for i := range 1100 {
		fmt.Fprintf(&aud, `"a%d",`, i%10)
	}
	aud.WriteString(`"api"]`)

	deep := advBase + `,"deep":` + strings.Repeat(`[`, 31) + strings.Repeat(`]`, 31)
	for range 70 {
		deep += `,"d` + fmt.Sprint(len(deep)) + `":` + strings.Repeat(`{"a":`, 10) + `1` + strings.Repeat(`}`, 10)
	}

	var nums strings.Builder // numbers at the edge of float64
	nums.WriteString(advBase + `,"n":[`)
	for range 450 {
		nums.WriteString(`1.7976e308,`)
	}
	nums.WriteString(`1]`)

	var escValues strings.Builder // escapes in values
	escValues.WriteString(advBase + `,"e":"`)
	for range 500 {
		escValues.WriteString(`\u00e9`)
	}
	escValues.WriteString(`"`)

	h := `{"alg":"HS256","typ":"JWT"}`
	return []struct{ name, header, claims string }{
		{"ordinary", h, advPad(normal.String())},
		{"escaped-header-names", escHeader.String(), advPadTo(advBase, 2100)},
		{"fold-orbit-header-names", foldHeader.String(), advPadTo(advBase, 2100)},
		{"fold-orbit-claim-names", h, advPad(foldClaims.String())},
		{"250-members", h, advPad(many.String())},
		{"escaped-claim-names", h, advPad(escNames.String())},
		{"long-aud", h, advPad(aud.String())},
		{"deep-nesting", h, advPad(deep)},
		{"edge-numbers", h, advPad(nums.String())},
		{"escaped-values", h, advPad(escValues.String())},
	}
}

// BenchmarkAdversarial measures each token before the signature check (a
// wrong signature), cold (no cache) and warm (a cache hit plus a
// RequireClaim-style Value lookup). Compare each row with "ordinary".
func BenchmarkAdversarial(b *testing.B) {
	cold := kitNew(b, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Audience: "api", DisableCache: true})
	warm := kitNew(b, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Audience: "api"})
	for _, tc := range advTokens() {
		tok := kitRawHS256(kitSecret, tc.header, tc.claims)
		bad := tok[:len(tok)-4] + "AAAA"
		if _, err := cold.Verify(b.Context(), tok); err != nil {
			b.Fatalf("%s: %v", tc.name, err)
		}
		b.Run(tc.name+"/before-signature", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cold.Verify(b.Context(), bad); err == nil {
					b.Fatal("accepted")
				}
			}
		})
		b.Run(tc.name+"/cold", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cold.Verify(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/warm", func(b *testing.B) {
			warm.Verify(b.Context(), tok)
			warm.Verify(b.Context(), tok)
			b.ReportAllocs()
			for b.Loop() {
				c, err := warm.Verify(b.Context(), tok)
				if err != nil {
					b.Fatal(err)
				}
				if _, ok := c.Value("role"); !ok {
					b.Fatal("no role")
				}
			}
		})
	}
}

// leastAllocs is the least of five AllocsPerRun(20) of f: the verifier's
// pools (scratch, HMAC states) may drop what is put in them, as sync.Pool
// does at random under the race detector, and a dropped state costs
// allocations that are the pool's, not the token's. The least of five
// counts what the token's shape costs.
func leastAllocs(f func()) float64 {
	least := testing.AllocsPerRun(20, f)
	for range 4 {
		least = min(least, testing.AllocsPerRun(20, f))
	}
	return least
}

// TestAdversarialAllocations: allocations are a count, not a time, so the 3×
// bound on them is a test: no attack shape allocates more than 3× what the
// ordinary token of the same size does, in any phase.
func TestAdversarialAllocations(t *testing.T) {
	cold := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Audience: "api", DisableCache: true})
	warm := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Audience: "api"})
	var base [3]float64
	for i, tc := range advTokens() {
		tok := kitRawHS256(kitSecret, tc.header, tc.claims)
		if len(tok) > 8192 {
			t.Fatalf("%s: %d bytes, over MaxTokenSize", tc.name, len(tok))
		}
		bad := tok[:len(tok)-4] + "AAAA"
		if _, err := cold.Verify(t.Context(), tok); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		warm.Verify(t.Context(), tok)
		warm.Verify(t.Context(), tok)
		got := [3]float64{
			leastAllocs(func() { cold.Verify(t.Context(), bad) }),
			leastAllocs(func() { cold.Verify(t.Context(), tok) }),
			leastAllocs(func() {
				c, _ := warm.Verify(t.Context(), tok)
				c.Value("role")
			}),
		}
		if i == 0 {
			base = got
		}
		t.Logf("%-22s %4d bytes: allocs before signature %.0f, cold %.0f, warm %.0f", tc.name, len(tok), got[0], got[1], got[2])
		for p, phase := range []string{"before signature", "cold", "warm"} {
			if got[p] > 3*max(base[p], 1) {
				t.Errorf("%s, %s: %.0f allocs, over 3× the ordinary token's %.0f", tc.name, phase, got[p], base[p])
			}
		}
	}
}
