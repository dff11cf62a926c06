package issuer_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/dpop"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

const tokenURL = "https://auth.example.com/token"

func dpopIssuer(t *testing.T, cfg issuer.Config) *issuer.Issuer {
	t.Helper()
	if cfg.Key.Algorithm == "" {
		cfg.Key = issuer.SigningKey{Algorithm: "HS256", Key: []byte("issuer-dpop-secret-0123456789abcdefghijklmnop")}
	}
	iss, err := issuer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func newProver(t *testing.T) *dpop.Prover {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p, err := dpop.NewProver(k, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func tokenProof(t *testing.T, p *dpop.Prover) issuer.DPoPProof {
	t.Helper()
	proof, err := p.Proof("POST", tokenURL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return issuer.DPoPProof{Proof: proof, Method: "POST", URL: tokenURL}
}

// A DPoP login binds the access tokens and the session to the client's key:
// a refresh needs a proof of the same key, and a failed one changes nothing.
func TestLoginDPoPBindsSession(t *testing.T) {
	iss := dpopIssuer(t, issuer.Config{})
	p := newProver(t)
	toks, err := iss.LoginDPoP(t.Context(), "alice", nil, tokenProof(t, p))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(toks)
	if toks.Thumbprint != p.Thumbprint() || !strings.Contains(string(body), `"token_type":"DPoP"`) {
		t.Fatalf("tokens %s", body)
	}
	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), DPoP: &jwtauth.DPoPConfig{Required: true}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "https://api.example.com/me", nil)
	r.Header.Set("Authorization", "DPoP "+toks.AccessToken)
	proof, _ := p.Proof("GET", "https://api.example.com/me", toks.AccessToken, "")
	r.Header.Set("DPoP", proof)
	r.TLS = tlsState()
	c, err := mw.Authenticate(r)
	if err != nil || c.Thumbprint() != p.Thumbprint() {
		t.Fatalf("resource server: %v", err)
	}

	// Without a proof, with another key's, with a replayed one: refused,
	// and the session is not advanced.
	if _, err := iss.Refresh(t.Context(), toks.RefreshToken); !errors.Is(err, jwtauth.ErrDPoPBinding) {
		t.Fatalf("refresh without proof: %v", err)
	}
	if _, err := iss.RefreshDPoP(t.Context(), toks.RefreshToken, tokenProof(t, newProver(t))); !errors.Is(err, jwtauth.ErrDPoPBinding) {
		t.Fatalf("refresh with another key: %v", err)
	}
	used := tokenProof(t, p)
	next, err := iss.RefreshDPoP(t.Context(), toks.RefreshToken, used)
	if err != nil {
		t.Fatalf("refresh with the key: %v", err)
	}
	if next.Thumbprint != p.Thumbprint() {
		t.Fatal("refreshed access token not bound")
	}
	if _, err := iss.RefreshDPoP(t.Context(), next.RefreshToken, used); !errors.Is(err, jwtauth.ErrDPoPReplay) {
		t.Fatalf("replayed proof: %v", err)
	}
	// The binding survives refreshes.
	if _, err := iss.Refresh(t.Context(), next.RefreshToken); !errors.Is(err, jwtauth.ErrDPoPBinding) {
		t.Fatalf("second refresh without proof: %v", err)
	}
	if _, err := iss.RefreshDPoP(t.Context(), next.RefreshToken, tokenProof(t, p)); err != nil {
		t.Fatalf("second refresh: %v", err)
	}
	ss, _ := iss.Sessions(t.Context(), "alice")
	if len(ss) != 1 || ss[0].Thumbprint != p.Thumbprint() {
		t.Fatalf("sessions %+v", ss)
	}
}

func TestLoginDPoPRefusesBadProofs(t *testing.T) {
	iss := dpopIssuer(t, issuer.Config{})
	p := newProver(t)
	for name, proof := range map[string]issuer.DPoPProof{
		"no proof":     {Method: "POST", URL: tokenURL},
		"other method": {Proof: tokenProof(t, p).Proof, Method: "GET", URL: tokenURL},
		"other URL":    {Proof: tokenProof(t, p).Proof, Method: "POST", URL: "https://auth.example.com/other"},
	} {
		if _, err := iss.LoginDPoP(t.Context(), "alice", nil, proof); !errors.Is(err, jwtauth.ErrDPoPProof) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Nonces at the token endpoint.
	iss = dpopIssuer(t, issuer.Config{DPoP: &jwtauth.DPoPConfig{Nonces: true}})
	if _, err := iss.LoginDPoP(t.Context(), "alice", nil, tokenProof(t, p)); !errors.Is(err, jwtauth.ErrDPoPNonce) {
		t.Fatalf("no nonce: %v", err)
	}
	proof, _ := p.Proof("POST", tokenURL, "", iss.DPoPNonce())
	if _, err := iss.LoginDPoP(t.Context(), "alice", nil, issuer.DPoPProof{Proof: proof, Method: "POST", URL: tokenURL}); err != nil {
		t.Fatalf("with nonce: %v", err)
	}
}

// A session without DPoP may get a bound access token at refresh, and a
// plain refresh still works.
func TestRefreshDPoPOfBearerSession(t *testing.T) {
	iss := dpopIssuer(t, issuer.Config{})
	toks, err := iss.Login(t.Context(), "bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := newProver(t)
	next, err := iss.RefreshDPoP(t.Context(), toks.RefreshToken, tokenProof(t, p))
	if err != nil || next.Thumbprint != p.Thumbprint() {
		t.Fatalf("%v", err)
	}
	if _, err := iss.Refresh(t.Context(), next.RefreshToken); err != nil {
		t.Fatalf("plain refresh: %v", err)
	}
}

// cnf is the issuer's: a caller's claim cannot bind (or unbind) a token.
func TestCnfIsReserved(t *testing.T) {
	iss := dpopIssuer(t, issuer.Config{})
	for _, name := range []string{"cnf", "CNF"} {
		if _, err := iss.Issue(t.Context(), "u", map[string]any{name: map[string]string{"jkt": "x"}}); !errors.Is(err, issuer.ErrReservedClaim) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// at+jwt (RFC 9068): the header says so, and a verifier requiring it
// refuses plain JWTs.
func TestAccessTokenType(t *testing.T) {
	at := dpopIssuer(t, issuer.Config{AccessTokenType: "at+jwt"})
	tok, err := at.Issue(t.Context(), "u", nil)
	if err != nil {
		t.Fatal(err)
	}
	mw, err := jwtauth.New(jwtauth.Config{Keys: at.Keys(), Type: "at+jwt"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := mw.Verify(t.Context(), tok); err != nil || c.Type() != "at+jwt" {
		t.Fatalf("at+jwt: %v", err)
	}
	plain := dpopIssuer(t, issuer.Config{})
	tok, _ = plain.Issue(t.Context(), "u", nil)
	mw, _ = jwtauth.New(jwtauth.Config{Keys: plain.Keys(), Type: "at+jwt"})
	if _, err := mw.Verify(t.Context(), tok); !errors.Is(err, jwtauth.ErrTokenType) {
		t.Fatalf("JWT as at+jwt: %v", err)
	}
	if _, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: make([]byte, 32)}, AccessTokenType: "id+jwt"}); !errors.Is(err, jwtauth.ErrConfig) {
		t.Fatalf("bad type: %v", err)
	}
}

// The MemoryStore is a ReplayCache: a login proof is spent for the
// resource servers sharing the store too.
func TestMemoryStoreReplay(t *testing.T) {
	var rc jwtauth.ReplayCache = issuer.NewMemoryStore(0)
	now := timeNow()
	if first, err := rc.Once(t.Context(), "k", "j", now, now.Add(60e9)); !first || err != nil {
		t.Fatal(first, err)
	}
	if first, _ := rc.Once(t.Context(), "k", "j", now, now.Add(60e9)); first {
		t.Fatal("replay accepted")
	}
}

func tlsState() *tls.ConnectionState { return &tls.ConnectionState{} }

func timeNow() time.Time { return time.Now() }
