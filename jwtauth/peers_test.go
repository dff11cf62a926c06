package jwtauth_test

import (
	"bytes"
	"crypto"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// The peers are other JWT implementations, run as programs: npm jose
// (testdata/peers/jose.mjs, installed by `npm ci --prefix
// jwtauth/testdata/peers`) and PyJWT (testdata/peers/pyjwt_peer.py, Debian's
// python3-jwt). Locally a missing peer skips these tests; under CI=true it
// fails them, since .ci/run installs both.

type peer struct {
	name string
	cmd  []string
}

func peers(t *testing.T) []peer {
	t.Helper()
	var ps []peer
	missing := func(what string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; .ci/run installs it", what)
		}
		t.Logf("skipping the %s peer: not installed", what)
	}
	if _, err := os.Stat("testdata/peers/node_modules/jose"); err == nil {
		if node, err := exec.LookPath("node"); err == nil {
			ps = append(ps, peer{"jose", []string{node, "testdata/peers/jose.mjs"}})
		} else {
			missing("node")
		}
	} else {
		missing("npm jose (npm ci --prefix jwtauth/testdata/peers)")
	}
	found := false
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import jwt, cryptography").Run() == nil {
			ps = append(ps, peer{"pyjwt", []string{py, "testdata/peers/pyjwt_peer.py"}})
			found = true
			break
		}
	}
	if !found {
		missing("PyJWT (python3-jwt, python3-cryptography)")
	}
	if len(ps) == 0 {
		t.Skip("no peers installed")
	}
	return ps
}

func (p peer) call(t *testing.T, req map[string]any) map[string]any {
	t.Helper()
	in, _ := json.Marshal(req)
	cmd := exec.CommandContext(t.Context(), p.cmd[0], p.cmd[1:]...)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", p.name, err, stderr.String())
	}
	var resp map[string]any
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s answered %q: %v", p.name, out, err)
	}
	return resp
}

func privateJWK(t *testing.T, key any) map[string]any {
	t.Helper()
	jk, err := jwk.Import(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(jk)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// Our tokens verify in the peers: with the secret for HMAC, and through our
// JWKS endpoint (jose's createRemoteJWKSet, PyJWT's PyJWKClient) otherwise.
func TestPeersVerifyOurTokens(t *testing.T) {
	ps := peers(t)
	for _, alg := range []string{"HS256", "HS512", "RS256", "PS256", "ES256", "ES384", "EdDSA"} {
		var key any = signers()[alg]
		if secret, ok := textSecrets[alg]; ok {
			key = []byte(secret) // the peers take secrets as text
		}
		iss := newIssuer(t, issuer.Config{
			Key:      issuer.SigningKey{Algorithm: alg, Key: key},
			Issuer:   "https://auth.example.com",
			Audience: "api",
		})
		srv := httptest.NewServer(iss.JWKSHandler())
		defer srv.Close()
		tok, err := iss.Issue(t.Context(), "user-1", map[string]any{"name": "Ada"})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				req := map[string]any{"op": "verify", "token": tok, "alg": alg,
					"issuer": "https://auth.example.com", "audience": "api"}
				if secret, ok := textSecrets[alg]; ok {
					req["secret"] = secret
				} else {
					req["jwks_url"] = srv.URL
				}
				resp := p.call(t, req)
				if resp["ok"] != true {
					t.Fatalf("%s rejects our %s token: %v", p.name, alg, resp["error"])
				}
				payload := resp["payload"].(map[string]any)
				if payload["sub"] != "user-1" || payload["name"] != "Ada" {
					t.Errorf("payload %v", payload)
				}
			})
		}
	}
}

// textSecrets are HMAC secrets as the peers take them: text, used as its
// UTF-8 bytes, at least as long as the hash.
var textSecrets = map[string]string{
	"HS256": "a text secret of well over thirty-two bytes, as in .env files",
	"HS512": "a text secret for HS512, which needs sixty-four bytes or more: 0123456789",
}

// The peers' tokens verify here, through KeySet and PublicKey.
func TestPeersTokensVerifyHere(t *testing.T) {
	ps := peers(t)
	const secret = "a text secret of well over thirty-two bytes, as in .env files"
	for _, alg := range []string{"HS256", "RS256", "PS256", "ES256", "EdDSA"} {
		for _, p := range ps {
			t.Run(p.name+"/"+alg, func(t *testing.T) {
				req := map[string]any{"op": "sign", "alg": alg, "kid": "peer-key",
					"claims": map[string]any{"sub": "alice", "exp": 4102444800, "scope": "items:read"}}
				var keys jwtauth.Keys
				if alg == "HS256" {
					req["secret"] = secret
					keys = jwtauth.HMAC([]byte(secret))
				} else {
					priv := signers()[alg]
					req["private_jwk"] = privateJWK(t, priv)
					keys = jwtauth.PublicKey(alg, priv.(crypto.Signer).Public())
				}
				resp := p.call(t, req)
				tok, _ := resp["token"].(string)
				if tok == "" {
					t.Fatalf("%s did not sign: %v", p.name, resp)
				}
				c, err := mustNew(t, jwtauth.Config{Keys: keys}).Verify(t.Context(), tok)
				if err != nil {
					t.Fatalf("%s's %s token rejected: %v", p.name, alg, err)
				}
				if c.Subject() != "alice" || len(c.Scopes()) != 1 {
					t.Errorf("claims: sub %q scopes %v", c.Subject(), c.Scopes())
				}
			})
		}
	}
}
