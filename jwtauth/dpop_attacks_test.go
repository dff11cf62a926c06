package jwtauth_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// The DPoP attacks (RFC 9449 §4.3, §7, §11), one row each: the request an
// attacker sends, and the one error it must get. Proofs are forged with the
// client's key (the attacker holds a stolen token and, at most, a key of its
// own) or made with dpop.Prover for the controls.
func TestDPoPAttacks(t *testing.T) {
	k := dpopKeys()
	const url = "https://api.example.com/items"
	key := k.p256
	prover := mustProver(t, key, "ES256")
	jkt := prover.Thumbprint()
	tok := dpopToken(t, jkt)
	now := time.Now().Unix()
	pub := publicJWK(t, key)
	hdr := func(edit func(h map[string]any)) map[string]any {
		h := map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": pub}
		if edit != nil {
			edit(h)
		}
		return h
	}
	claims := func(edit func(c map[string]any)) map[string]any {
		c := map[string]any{"jti": randomJTI(), "htm": "GET", "htu": url, "iat": now, "ath": ath(tok)}
		if edit != nil {
			edit(c)
		}
		return c
	}
	forged := func(h, c map[string]any) string { return forgeProof(t, key, "ES256", h, c) }
	secure := func(r *http.Request) *http.Request { r.TLS = &tlsState; return r }
	req := func(proofs ...string) *http.Request { return secure(dpopRequest("GET", url, "DPoP", tok, proofs...)) }

	replayed := mustProof(t, prover, "GET", url, tok, "")
	privJWK := privateJWK(t, key)
	octJWK := map[string]any{"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}
	otherPub := publicJWK(t, k.other)
	unbound := dpopToken(t, "")

	type row struct {
		name string
		mw   *jwtauth.Middleware
		r    func() *http.Request
		want string // the error's message; "" for none
	}
	mw := dpopMW(t, jwtauth.DPoPConfig{})
	required := dpopMW(t, jwtauth.DPoPConfig{Required: true})
	nonces := dpopMW(t, jwtauth.DPoPConfig{Nonces: true, NonceSecret: []byte("nonce-secret-0123456789abcdefghijkl")})
	stale := mustNew(t, jwtauth.Config{Keys: jwtauth.HMAC(dpopSecret), Now: func() time.Time { return time.Now().Add(-time.Hour) },
		DPoP: &jwtauth.DPoPConfig{Nonces: true, NonceSecret: []byte("nonce-secret-0123456789abcdefghijkl")}})

	const (
		malformed = "jwtauth: DPoP proof malformed"
		badMethod = "jwtauth: DPoP proof htm does not match"
		badURL    = "jwtauth: DPoP proof htu does not match"
		badTime   = "jwtauth: DPoP proof iat outside the window"
		badHash   = "jwtauth: DPoP proof ath does not match"
		badKey    = "jwtauth: DPoP proof jwk not acceptable"
		badAlg    = "jwtauth: DPoP proof algorithm not accepted"
		badType   = "jwtauth: DPoP proof typ is not dpop+jwt"
		badCount  = "jwtauth: not exactly one DPoP proof"
		badSig    = "jwtauth: DPoP proof signature invalid"
	)
	rows := []row{
		{"control: a fresh proof", mw, func() *http.Request { return req(mustProof(t, prover, "GET", url, tok, "")) }, ""},
		{"control: query and fragment ignored", mw, func() *http.Request {
			return secure(dpopRequest("GET", url+"?a=1", "DPoP", tok, forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = url + "?b=2#f" }))))
		}, ""},
		{"control: host case and default port", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = "HTTPS://API.Example.com:443/items" })))
		}, ""},
		{"control: iat at the window's edge", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["iat"] = now - 55 })))
		}, ""},
		{"control: application/dpop+jwt", mw, func() *http.Request {
			return req(forged(hdr(func(h map[string]any) { h["typ"] = "application/dpop+jwt" }), claims(nil)))
		}, ""},

		{"replayed proof (first use)", mw, func() *http.Request { return req(replayed) }, ""},
		{"replayed proof", mw, func() *http.Request { return req(replayed) }, "jwtauth: DPoP proof replayed"},
		{"replayed proof, a third time", mw, func() *http.Request { return req(replayed) }, "jwtauth: DPoP proof replayed"},

		{"htm of another method", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["htm"] = "POST" })))
		}, badMethod},
		{"htm in lower case", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["htm"] = "get" })))
		}, badMethod},
		{"htm missing", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { delete(c, "htm") })))
		}, badMethod},
		{"htu of another host", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = "https://evil.example.com/items" })))
		}, badURL},
		{"htu with a trailing slash", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = url + "/" })))
		}, badURL},
		{"htu path in another case", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = "https://api.example.com/Items" })))
		}, badURL},
		{"htu of another path, with the request's query", mw, func() *http.Request {
			return secure(dpopRequest("GET", url+"?x=1", "DPoP", tok, forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = "https://api.example.com/admin?x=1" }))))
		}, badURL},
		{"htu http for an https request", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = "http://api.example.com/items" })))
		}, badURL},
		{"htu relative", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = "/items" })))
		}, badURL},
		{"htu with userinfo", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = "https://u@api.example.com/items" })))
		}, badURL},
		{"htu for X-Forwarded-Host", mw, func() *http.Request {
			r := req(forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = "https://evil.example.com/items" })))
			r.Header.Set("X-Forwarded-Host", "evil.example.com")
			r.Header.Set("X-Forwarded-Proto", "https")
			return r
		}, badURL},
		{"htu https over plain http, X-Forwarded-Proto spoofed", mw, func() *http.Request {
			r := dpopRequest("GET", "http://api.example.com/items", "DPoP", tok, forged(hdr(nil), claims(nil)))
			r.Header.Set("X-Forwarded-Proto", "https")
			return r
		}, badURL},
		{"htu not a string", mw, func() *http.Request { return req(forged(hdr(nil), claims(func(c map[string]any) { c["htu"] = 1 }))) }, malformed},

		{"iat stale", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["iat"] = now - 120 })))
		}, badTime},
		{"iat in the future", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["iat"] = now + 120 })))
		}, badTime},
		{"iat missing", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { delete(c, "iat") })))
		}, badTime},
		{"iat a string", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["iat"] = "now" })))
		}, malformed},
		{"jti missing", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { delete(c, "jti") })))
		}, "jwtauth: DPoP proof jti missing"},
		{"jti huge", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["jti"] = strings.Repeat("j", 300) })))
		}, "jwtauth: DPoP proof jti missing"},

		{"proof key is not cnf.jkt", mw, func() *http.Request {
			return req(forgeProof(t, k.other, "ES256", hdr(func(h map[string]any) { h["jwk"] = otherPub }), claims(nil)))
		}, jwtauth.ErrDPoPBinding.Error()},
		{"ath missing", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { delete(c, "ath") })))
		}, badHash},
		{"ath of another token", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["ath"] = ath(unbound) })))
		}, badHash},

		{"private key in the jwk", mw, func() *http.Request {
			return req(forged(hdr(func(h map[string]any) { h["jwk"] = privJWK }), claims(nil)))
		}, badKey},
		{"oct jwk", mw, func() *http.Request {
			return req(forged(hdr(func(h map[string]any) { h["jwk"] = octJWK }), claims(nil)))
		}, badKey},
		{"jwk missing", mw, func() *http.Request {
			return req(forged(hdr(func(h map[string]any) { delete(h, "jwk") }), claims(nil)))
		}, badKey},
		{"jwk a string", mw, func() *http.Request { return req(forged(hdr(func(h map[string]any) { h["jwk"] = "x" }), claims(nil))) }, malformed},
		{"jwk of another key than the signer's", mw, func() *http.Request {
			return req(forgeProof(t, k.other, "ES256", hdr(nil), claims(nil)))
		}, badSig},
		{"jwk that does not fit alg", mw, func() *http.Request {
			return req(forged(hdr(func(h map[string]any) { h["alg"] = "ES384" }), claims(nil)))
		}, badKey},
		{"RSA jwk of more than 4096 bits", mw, func() *http.Request {
			n := make([]byte, 4200/8)
			rand.Read(n)
			n[0] |= 0x80
			n[len(n)-1] |= 1
			big := map[string]any{"kty": "RSA", "e": "AQAB", "n": base64.RawURLEncoding.EncodeToString(n)}
			return req(forged(hdr(func(h map[string]any) { h["alg"] = "RS256"; h["jwk"] = big }), claims(nil)))
		}, badKey},
		{"alg none", mw, func() *http.Request {
			return req(forgeProof(t, key, "none", hdr(func(h map[string]any) { h["alg"] = "none" }), claims(nil)))
		}, malformed}, // no signature segment
		{"alg none, with a signature", mw, func() *http.Request {
			return req(forgeProof(t, key, "ES256", hdr(func(h map[string]any) { h["alg"] = "none" }), claims(nil)))
		}, badAlg},
		{"alg HS256 keyed with the jwk", mw, func() *http.Request {
			return req(forgeProof(t, key, "HS256", hdr(func(h map[string]any) { h["alg"] = "HS256"; h["jwk"] = octJWK }), claims(nil)))
		}, badAlg},
		{"alg missing", mw, func() *http.Request {
			return req(forged(hdr(func(h map[string]any) { delete(h, "alg") }), claims(nil)))
		}, badAlg},
		{"typ JWT", mw, func() *http.Request {
			return req(forged(hdr(func(h map[string]any) { h["typ"] = "JWT" }), claims(nil)))
		}, badType},
		{"typ missing", mw, func() *http.Request {
			return req(forged(hdr(func(h map[string]any) { delete(h, "typ") }), claims(nil)))
		}, badType},
		{"crit header", mw, func() *http.Request {
			return req(forged(hdr(func(h map[string]any) { h["crit"] = []string{"x"}; h["x"] = 1 }), claims(nil)))
		}, "jwtauth: DPoP proof header unsupported"},
		{"signature altered", mw, func() *http.Request {
			p := forged(hdr(nil), claims(nil))
			i := strings.LastIndexByte(p, '.') + 2
			c := byte('A')
			if p[i] == 'A' {
				c = 'B'
			}
			return req(p[:i] + string(c) + p[i+1:])
		}, badSig},
		{"not a JWS", mw, func() *http.Request { return req("not.a.jws!") }, malformed},
		{"oversized proof", mw, func() *http.Request {
			return req(forged(hdr(nil), claims(func(c map[string]any) { c["pad"] = strings.Repeat("x", 9000) })))
		}, "jwtauth: DPoP proof too large"},

		{"two DPoP headers", mw, func() *http.Request {
			return req(mustProof(t, prover, "GET", url, tok, ""), mustProof(t, prover, "GET", url, tok, ""))
		}, badCount},
		{"no DPoP header", mw, func() *http.Request { return req() }, badCount},
		{"DPoP-bound token as Bearer", mw, func() *http.Request { return secure(dpopRequest("GET", url, "Bearer", tok)) }, jwtauth.ErrDPoPBinding.Error()},
		{"DPoP-bound token as Bearer, with a proof", mw, func() *http.Request {
			return secure(dpopRequest("GET", url, "Bearer", tok, mustProof(t, prover, "GET", url, tok, "")))
		}, jwtauth.ErrDPoPBinding.Error()},
		{"unbound token with the DPoP scheme", mw, func() *http.Request {
			return secure(dpopRequest("GET", url, "DPoP", unbound, forged(hdr(nil), claims(func(c map[string]any) { c["ath"] = ath(unbound) }))))
		}, jwtauth.ErrDPoPBinding.Error()},
		{"Bearer token in required mode", required, func() *http.Request { return secure(dpopRequest("GET", url, "Bearer", unbound)) }, jwtauth.ErrDPoPRequired.Error()},
		{"two Authorization headers", mw, func() *http.Request {
			r := req(mustProof(t, prover, "GET", url, tok, ""))
			r.Header.Add("Authorization", "DPoP "+tok)
			return r
		}, jwtauth.ErrMultipleTokens.Error()},
		{"DPoP scheme without a token", mw, func() *http.Request { return secure(dpopRequest("GET", url, "DPoP", " ")) }, jwtauth.ErrMalformedHeader.Error()},
		{"forged token, valid proof", mw, func() *http.Request {
			bad := tok[:len(tok)-2] + "AA"
			return secure(dpopRequest("GET", url, "DPoP", bad, mustProof(t, prover, "GET", url, bad, "")))
		}, jwtauth.ErrSignature.Error()},

		{"nonce missing", nonces, func() *http.Request { return req(mustProof(t, prover, "GET", url, tok, "")) }, jwtauth.ErrDPoPNonce.Error()},
		{"nonce stale", nonces, func() *http.Request { return req(mustProof(t, prover, "GET", url, tok, stale.DPoPNonce())) }, jwtauth.ErrDPoPNonce.Error()},
		{"nonce made up", nonces, func() *http.Request { return req(mustProof(t, prover, "GET", url, tok, "AAAA")) }, jwtauth.ErrDPoPNonce.Error()},
		{"control: nonce current", nonces, func() *http.Request { return req(mustProof(t, prover, "GET", url, tok, nonces.DPoPNonce())) }, ""},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.mw.Authenticate(tc.r())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
				return
			case err == nil:
				t.Fatalf("accepted; want %q", tc.want)
			case err.Error() != tc.want:
				t.Fatalf("got %q; want %q", err, tc.want)
			}
			if !errors.Is(err, jwtauth.ErrInvalidToken) && !errors.Is(err, jwtauth.ErrInvalidRequest) {
				t.Errorf("%v matches neither ErrInvalidToken nor ErrInvalidRequest", err)
			}
			if st := jwtauth.StatusCode(err); st != 401 && st != 400 {
				t.Errorf("status %d", st)
			}
		})
	}
}

// A holder of one bound token fills only its own share of the replay cache:
// another client's proofs still pass.
func TestDPoPReplayFlood(t *testing.T) {
	k := dpopKeys()
	mw := dpopMW(t, jwtauth.DPoPConfig{Replay: jwtauth.NewReplayCache(64, 16)})
	const url = "https://api.example.com/items"
	attacker := mustProver(t, k.other, "ES256")
	atok := dpopToken(t, attacker.Thumbprint())
	refused := 0
	for range 100 {
		r := dpopRequest("GET", url, "DPoP", atok, mustProof(t, attacker, "GET", url, atok, ""))
		r.TLS = &tlsState
		if _, err := mw.Authenticate(r); errors.Is(err, jwtauth.ErrDPoPReplay) {
			refused++
		}
	}
	if refused != 100-16 {
		t.Fatalf("attacker refused %d times; want %d", refused, 100-16)
	}
	victim := mustProver(t, k.ed, "EdDSA")
	vtok := dpopToken(t, victim.Thumbprint())
	r := dpopRequest("GET", url, "DPoP", vtok, mustProof(t, victim, "GET", url, vtok, ""))
	r.TLS = &tlsState
	if _, err := mw.Authenticate(r); err != nil {
		t.Fatalf("victim refused: %v", err)
	}
}

func randomJTI() string { return rand.Text() }
