package jwtauth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// The request of FuzzDPoPProof: a fixed method, URL and token, verified at
// a fixed time, so that the corpus in testdata/fuzz/FuzzDPoPProof means
// the same on every run.
const (
	fuzzMethod = "GET"
	fuzzURL    = "https://api.example.com/items"
	fuzzToken  = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
)

var fuzzNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// fuzzSeedKeys are the fixed keys of the genuine proofs: the same on
// every run, so that the corpus's genuine proofs stay genuine.
func fuzzSeedKeys(f *testing.F) (*ecdsa.PrivateKey, ed25519.PrivateKey) {
	d := sha256.Sum256([]byte("authkit FuzzDPoPProof P-256 key"))
	ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		f.Fatal(err)
	}
	seed := sha256.Sum256([]byte("authkit FuzzDPoPProof Ed25519 key"))
	return ec, ed25519.NewKeyFromSeed(seed[:])
}

// fuzzErrorText is the form of every error message of the verifier: a
// fixed text, never a piece of the proof.
var fuzzErrorText = regexp.MustCompile(`^jwtauth: [a-zA-Z0-9 +]{1,60}$`)

// alwaysFirst is a ReplayCache that has seen nothing, ever: the fuzzer's
// verdicts then depend on the input alone.
type alwaysFirst struct{ calls *int }

func (c alwaysFirst) Once(context.Context, string, string, time.Time, time.Time) (bool, error) {
	*c.calls++
	return true, nil
}

// FuzzDPoPProof drives DPoPVerifier.Verify with arbitrary proofs for one
// request. Properties: no panic; a proof passes only if its signed part is
// that of a genuine proof for this very request, signed by one of the seed
// keys, and then Verify returns that key's thumbprint; the replay cache is
// consulted only for such a proof; every error matches ErrDPoPProof (and so
// ErrInvalidToken) and its text is fixed. The seeds are genuine proofs, the
// same keys' proofs for other requests or with broken claims (the rows of
// TestDPoPAttacks), Prover proofs (whose iat is the real time, outside the
// window of fuzzNow), and textual edits of them all.
func FuzzDPoPProof(f *testing.F) {
	ec, ed := fuzzSeedKeys(f)
	type signer struct {
		key crypto.Signer
		alg string
		jkt string
	}
	var signers []signer
	for _, s := range []struct {
		key crypto.Signer
		alg string
	}{{ec, "ES256"}, {ed, "EdDSA"}} {
		p := mustProver(f, s.key, s.alg)
		signers = append(signers, signer{s.key, s.alg, p.Thumbprint()})
	}
	now := fuzzNow.Unix()
	hdr := func(s signer, edit func(h map[string]any)) map[string]any {
		h := map[string]any{"typ": "dpop+jwt", "alg": s.alg, "jwk": publicJWK(f, s.key)}
		if edit != nil {
			edit(h)
		}
		return h
	}
	claims := func(edit func(c map[string]any)) map[string]any {
		c := map[string]any{"jti": "fuzz-jti", "htm": fuzzMethod, "htu": fuzzURL, "iat": now, "ath": ath(fuzzToken)}
		if edit != nil {
			edit(c)
		}
		return c
	}
	signingInput := func(proof string) string { return proof[:strings.LastIndexByte(proof, '.')] }

	// genuine maps the signed part of each genuine proof to its key's
	// thumbprint: nothing else may pass.
	genuine := map[string]string{}
	var seeds []string
	for _, s := range signers {
		for _, c := range []map[string]any{
			claims(nil),
			claims(func(c map[string]any) { c["htu"] = "HTTPS://API.Example.com:443/items?q=1#f" }),
			claims(func(c map[string]any) { c["iat"] = now - 59; c["nonce"] = "ignored" }),
			claims(func(c map[string]any) { c["iat"] = float64(now) + 0.5; c["extra"] = []any{1, "x", nil} }),
		} {
			p := forgeProof(f, s.key, s.alg, hdr(s, nil), c)
			genuine[signingInput(p)] = s.jkt
			seeds = append(seeds, p)
		}
		p := forgeProof(f, s.key, s.alg, hdr(s, func(h map[string]any) { h["typ"] = "application/dpop+jwt"; h["kid"] = "k" }), claims(nil))
		genuine[signingInput(p)] = s.jkt
		seeds = append(seeds, p)

		// The same key, for other requests or with broken claims or headers.
		for _, edit := range []func(c map[string]any){
			func(c map[string]any) { c["htm"] = "POST" },
			func(c map[string]any) { c["htm"] = "get" },
			func(c map[string]any) { delete(c, "htm") },
			func(c map[string]any) { c["htu"] = "https://evil.example.com/items" },
			func(c map[string]any) { c["htu"] = fuzzURL + "/" },
			func(c map[string]any) { c["htu"] = "https://api.example.com/Items" },
			func(c map[string]any) { c["htu"] = "http://api.example.com/items" },
			func(c map[string]any) { c["htu"] = "/items" },
			func(c map[string]any) { c["htu"] = "https://u@api.example.com/items" },
			func(c map[string]any) { c["htu"] = "https://api.example.com/items/../items" },
			func(c map[string]any) { c["htu"] = "https://api.example.com/%69tems" },
			func(c map[string]any) { c["htu"] = 1 },
			func(c map[string]any) { c["iat"] = now - 120 },
			func(c map[string]any) { c["iat"] = now + 120 },
			func(c map[string]any) { c["iat"] = 1e300 },
			func(c map[string]any) { c["iat"] = "now" },
			func(c map[string]any) { delete(c, "iat") },
			func(c map[string]any) { delete(c, "jti") },
			func(c map[string]any) { c["jti"] = "" },
			func(c map[string]any) { c["jti"] = strings.Repeat("j", 257) },
			func(c map[string]any) { delete(c, "ath") },
			func(c map[string]any) { c["ath"] = ath(fuzzToken + "x") },
			func(c map[string]any) { c["ath"] = nil },
		} {
			seeds = append(seeds, forgeProof(f, s.key, s.alg, hdr(s, nil), claims(edit)))
		}
		for _, edit := range []func(h map[string]any){
			func(h map[string]any) { h["typ"] = "JWT" },
			func(h map[string]any) { delete(h, "typ") },
			func(h map[string]any) { delete(h, "alg") },
			func(h map[string]any) { h["alg"] = "none" },
			func(h map[string]any) { h["alg"] = "HS256" },
			func(h map[string]any) { h["alg"] = "ES384" },
			func(h map[string]any) { delete(h, "jwk") },
			func(h map[string]any) { h["jwk"] = "x" },
			func(h map[string]any) { j := publicJWK(f, s.key); j["d"] = "c2VjcmV0"; h["jwk"] = j },
			func(h map[string]any) { h["jwk"] = map[string]any{"kty": "oct", "k": "c2VjcmV0"} },
			func(h map[string]any) { h["crit"] = []string{"x"}; h["x"] = 1 },
			func(h map[string]any) { h["b64"] = false },
		} {
			seeds = append(seeds, forgeProof(f, s.key, s.alg, hdr(s, edit), claims(nil)))
		}
		// Real Prover proofs: iat is the real time, not fuzzNow's.
		p2 := mustProver(f, s.key, s.alg)
		seeds = append(seeds, mustProof(f, p2, fuzzMethod, fuzzURL, fuzzToken, ""), mustProof(f, p2, fuzzMethod, fuzzURL, "", "nonce"))
	}
	// Another key's proof of the genuine claims would pass Verify, which
	// knows no cnf.jkt: the seeds of other keys break the request.
	other, _ := fuzzOtherKey()
	o := mustProver(f, other, "ES256")
	seeds = append(seeds, forgeProof(f, other, "ES256", hdr(signer{other, "ES256", o.Thumbprint()}, nil), claims(func(c map[string]any) { c["htm"] = "PUT" })))
	big := map[string]any{"kty": "RSA", "e": "AQAB", "n": base64.RawURLEncoding.EncodeToString(append([]byte{0x80}, make([]byte, 4200/8)...))}
	seeds = append(seeds, forgeProof(f, ec, "ES256", map[string]any{"typ": "dpop+jwt", "alg": "RS256", "jwk": big}, claims(nil)))
	small := map[string]any{"kty": "RSA", "e": "AQ", "n": "xw"}
	seeds = append(seeds, forgeProof(f, ec, "ES256", map[string]any{"typ": "dpop+jwt", "alg": "RS256", "jwk": small}, claims(nil)))
	okp := map[string]any{"kty": "OKP", "crv": "X25519", "x": base64.RawURLEncoding.EncodeToString(make([]byte, 32))}
	seeds = append(seeds, forgeProof(f, ed, "EdDSA", map[string]any{"typ": "dpop+jwt", "alg": "EdDSA", "jwk": okp}, claims(nil)))

	for _, p := range seeds {
		f.Add(p)
	}
	// Textual edits of a genuine proof.
	g := seeds[0]
	h, rest, _ := strings.Cut(g, ".")
	pl, sig, _ := strings.Cut(rest, ".")
	for _, e := range []string{
		"", ".", "..", "...", "a.b.c", "not.a.jws!", g + ".", "." + g, g + "=", g + " ", " " + g,
		h + "." + pl, h + "." + pl + ".", h + ".." + sig, "." + pl + "." + sig,
		pl + "." + h + "." + sig, h + "." + pl + "." + sig[:len(sig)-1], h + "." + pl + "." + sig + "AA",
		h + "=." + pl + "." + sig, strings.ToUpper(g), h + "." + pl + "." + strings.Repeat("A", len(sig)),
		strings.Repeat("A", 9000),
	} {
		f.Add(e)
	}

	var calls int
	v, err := jwtauth.NewDPoPVerifier(jwtauth.DPoPConfig{Now: func() time.Time { return fuzzNow }, Replay: alwaysFirst{&calls}})
	if err != nil {
		f.Fatal(err)
	}
	// The oracle is not vacuous: every genuine seed passes.
	passed := 0
	for _, p := range seeds {
		if _, err := v.Verify(f.Context(), p, fuzzMethod, fuzzURL, fuzzToken); err == nil {
			passed++
		}
	}
	if passed != len(genuine) {
		f.Fatalf("%d seeds pass; want the %d genuine ones", passed, len(genuine))
	}
	f.Fuzz(func(t *testing.T, proof string) {
		calls = 0
		jkt, err := v.Verify(t.Context(), proof, fuzzMethod, fuzzURL, fuzzToken)
		if err == nil {
			i := strings.LastIndexByte(proof, '.')
			want, ok := genuine[proof[:max(i, 0)]]
			if !ok {
				t.Fatalf("accepted a proof that no seed key signed for this request: %q", proof)
			}
			if jkt != want {
				t.Fatalf("accepted with thumbprint %q; the signer's is %q", jkt, want)
			}
			if calls != 1 {
				t.Fatalf("accepted after %d calls of the replay cache; want 1", calls)
			}
			return
		}
		if jkt != "" {
			t.Fatalf("refused (%v) with a thumbprint %q", err, jkt)
		}
		if calls != 0 {
			t.Fatalf("the replay cache recorded a refused proof (%v)", err)
		}
		if !errors.Is(err, jwtauth.ErrDPoPProof) || !errors.Is(err, jwtauth.ErrInvalidToken) {
			t.Fatalf("error %v matches not ErrDPoPProof and ErrInvalidToken", err)
		}
		if !fuzzErrorText.MatchString(err.Error()) {
			t.Fatalf("error text %q is not a fixed message", err.Error())
		}
	})
}

// fuzzOtherKey is a fixed key that no genuine proof uses.
func fuzzOtherKey() (*ecdsa.PrivateKey, error) {
	d := sha256.Sum256([]byte("authkit FuzzDPoPProof other key"))
	return ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
}
