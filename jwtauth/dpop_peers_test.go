package jwtauth_test

import (
	"crypto"
	"errors"
	"net/http"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
)

// joseDPoP is the DPoP peer (testdata/peers/dpop.mjs, npm jose), when the
// peers are installed; peers() skips or, under CI=true, fails otherwise.
func joseDPoP(t *testing.T) peer {
	t.Helper()
	for _, p := range peers(t) {
		if p.name == "jose" {
			return peer{"jose-dpop", []string{p.cmd[0], "testdata/peers/dpop.mjs"}}
		}
	}
	t.Skip("npm jose not installed")
	return peer{}
}

// Proofs that npm jose makes verify here, with the thumbprint jose computes.
func TestPeerDPoPProofsVerifyHere(t *testing.T) {
	p := joseDPoP(t)
	const url = "https://api.example.com/items"
	for _, tc := range []struct {
		alg string
		key crypto.Signer
	}{{"ES256", dpopKeys().p256}, {"EdDSA", dpopKeys().ed}, {"PS256", signers()["PS256"].(crypto.Signer)}} {
		t.Run(tc.alg, func(t *testing.T) {
			jkt := mustProver(t, tc.key, tc.alg).Thumbprint()
			tok := dpopToken(t, jkt)
			resp := p.call(t, map[string]any{"op": "proof", "private_jwk": privateJWK(t, tc.key), "alg": tc.alg,
				"htm": "GET", "htu": url, "ath": ath(tok)})
			if resp["jkt"] != jkt {
				t.Fatalf("jose's thumbprint %v, ours %s", resp["jkt"], jkt)
			}
			proof, _ := resp["proof"].(string)
			r := dpopRequest("GET", url, "DPoP", tok, proof)
			r.TLS = &tlsState
			if _, err := dpopMW(t, jwtauth.DPoPConfig{}).Authenticate(r); err != nil {
				t.Fatalf("jose's proof refused: %v", err)
			}
		})
	}
}

// Proofs of dpop.Prover verify in npm jose, with the same thumbprint.
func TestPeerVerifiesOurDPoPProofs(t *testing.T) {
	p := joseDPoP(t)
	for _, tc := range []struct {
		alg string
		key crypto.Signer
	}{{"ES256", dpopKeys().p256}, {"EdDSA", dpopKeys().ed}, {"RS256", signers()["RS256"].(crypto.Signer)}} {
		t.Run(tc.alg, func(t *testing.T) {
			pr := mustProver(t, tc.key, tc.alg)
			proof := mustProof(t, pr, http.MethodPost, "https://auth.example.com/token?x=1", "tok", "n-1")
			resp := p.call(t, map[string]any{"op": "verify", "proof": proof, "alg": tc.alg})
			if resp["ok"] != true || resp["jkt"] != pr.Thumbprint() {
				t.Fatalf("jose: %v", resp)
			}
			pl := resp["payload"].(map[string]any)
			if pl["htu"] != "https://auth.example.com/token" || pl["htm"] != "POST" || pl["ath"] != ath("tok") || pl["nonce"] != "n-1" {
				t.Fatalf("payload %v", pl)
			}
		})
	}
}

// Proofs that npm dpop (panva's, on WebCrypto: a second implementation, not
// jose) makes verify here, with the thumbprint it computes, nonce included.
func TestPeerNpmDPoPProofsVerifyHere(t *testing.T) {
	p := joseDPoP(t)
	const url = "https://api.example.com/items"
	for _, tc := range []struct {
		alg string
		key crypto.Signer
	}{{"ES256", dpopKeys().p256}, {"RS256", signers()["RS256"].(crypto.Signer)}, {"PS256", signers()["PS256"].(crypto.Signer)}} {
		t.Run(tc.alg, func(t *testing.T) {
			jkt := mustProver(t, tc.key, tc.alg).Thumbprint()
			tok := dpopToken(t, jkt)
			resp := p.call(t, map[string]any{"op": "dpop-proof", "private_jwk": privateJWK(t, tc.key), "alg": tc.alg,
				"htm": "GET", "htu": url, "access_token": tok})
			if resp["jkt"] != jkt {
				t.Fatalf("npm dpop's thumbprint %v, ours %s (%v)", resp["jkt"], jkt, resp)
			}
			proof, _ := resp["proof"].(string)
			r := dpopRequest("GET", url, "DPoP", tok, proof)
			r.TLS = &tlsState
			mw := dpopMW(t, jwtauth.DPoPConfig{})
			if _, err := mw.Authenticate(r); err != nil {
				t.Fatalf("npm dpop's proof refused: %v", err)
			}
			if _, err := mw.Authenticate(r); !errors.Is(err, jwtauth.ErrDPoPReplay) {
				t.Fatalf("npm dpop's proof replayed: %v; want ErrDPoPReplay", err)
			}
		})
	}
}
