// Package dpop makes DPoP proofs (RFC 9449) for Go clients: service-to-service
// callers of an API that requires DPoP-bound tokens, and tests. The server
// side is in package jwtauth (Config.DPoP, DPoPVerifier).
//
//	p, err := dpop.NewProver(key, "ES256")
//	proof, err := p.Proof("GET", "https://api.example.com/items", accessToken, nonce)
//	req.Header.Set("Authorization", "DPoP "+accessToken)
//	req.Header.Set("DPoP", proof)
package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
)

// ErrKey means the key does not fit the algorithm, or the algorithm is not
// an asymmetric JWS algorithm.
var ErrKey = errors.New("dpop: key does not fit algorithm")

// Prover signs DPoP proofs with one key. It is safe for concurrent use.
type Prover struct {
	key    crypto.Signer
	alg    string
	header []byte // base64url of the JOSE header
	jkt    string
	now    func() time.Time
}

// NewProver returns a Prover for key, a private key of alg: ES256 (P-256),
// ES384 (P-384), ES512 (P-521), EdDSA (Ed25519), RS256/384/512 or
// PS256/384/512 (RSA, at least 2048 bits). Keep the key for as long as the
// tokens bound to it live.
func NewProver(key crypto.Signer, alg string) (*Prover, error) {
	if key == nil {
		return nil, ErrKey
	}
	switch pub := key.Public().(type) {
	case *ecdsa.PublicKey:
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		if want == nil || pub.Curve != want {
			return nil, ErrKey
		}
	case ed25519.PublicKey:
		if alg != "EdDSA" {
			return nil, ErrKey
		}
	case *rsa.PublicKey:
		if (!strings.HasPrefix(alg, "RS") && !strings.HasPrefix(alg, "PS")) || pub.N.BitLen() < 2048 {
			return nil, ErrKey
		}
		switch alg[2:] {
		case "256", "384", "512":
		default:
			return nil, ErrKey
		}
	default:
		return nil, ErrKey
	}
	jk, err := jwk.Import(key.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	tp, err := jk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	pubJWK, err := json.Marshal(jk)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	hdr, _ := json.Marshal(struct {
		Typ string          `json:"typ"`
		Alg string          `json:"alg"`
		JWK json.RawMessage `json:"jwk"`
	}{"dpop+jwt", alg, pubJWK})
	return &Prover{
		key: key, alg: alg, now: time.Now,
		header: base64.RawURLEncoding.AppendEncode(nil, hdr),
		jkt:    base64.RawURLEncoding.EncodeToString(tp),
	}, nil
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the key, base64url:
// the dpop_jkt of an authorization request, and the cnf.jkt of the tokens
// bound to the key.
func (p *Prover) Thumbprint() string { return p.jkt }

// Proof returns a proof for a request of method to rawURL (its query and
// fragment are dropped, RFC 9449 §4.2), with a random jti and iat now.
// accessToken, when not "", is the token the request presents (ath);
// nonce, when not "", is the server's latest DPoP-Nonce.
func (p *Prover) Proof(method, rawURL, accessToken, nonce string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errors.New("dpop: not an absolute http(s) URL")
	}
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	var jti [16]byte
	rand.Read(jti[:])
	claims := struct {
		JTI   string `json:"jti"`
		HTM   string `json:"htm"`
		HTU   string `json:"htu"`
		IAT   int64  `json:"iat"`
		ATH   string `json:"ath,omitempty"`
		Nonce string `json:"nonce,omitempty"`
	}{JTI: base64.RawURLEncoding.EncodeToString(jti[:]), HTM: method, HTU: u.String(), IAT: p.now().Unix(), Nonce: nonce}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims.ATH = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := append(append([]byte(nil), p.header...), '.')
	input = base64.RawURLEncoding.AppendEncode(input, payload)
	sig, err := jwsbb.Sign(p.key, p.alg, input, rand.Reader)
	if err != nil {
		return "", fmt.Errorf("dpop: signing failed: %w", err)
	}
	input = append(input, '.')
	return string(base64.RawURLEncoding.AppendEncode(input, sig)), nil
}
