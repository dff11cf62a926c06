package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/authkit-go/authkit/jwtauth/dpop"
)

// dpopClient is a client of the server at base that proves with one key,
// and keeps the server's latest DPoP nonce (RFC 9449 §8).
type dpopClient struct {
	base   string
	prover *dpop.Prover
	http   *http.Client
	nonce  string
}

func newClient(base string) (*dpopClient, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	p, err := dpop.NewProver(key, "ES256")
	if err != nil {
		return nil, err
	}
	return &dpopClient{base: base, prover: p, http: &http.Client{Timeout: 10 * time.Second}}, nil
}

// response is what the client keeps of an answer.
type response struct {
	status    int
	challenge []string // WWW-Authenticate
	body      []byte
}

// do sends method path with the headers that set adds, and a DPoP proof for
// token (none when prove is false), retrying once when the server asks for
// a nonce. It returns the answer and the proof it sent last.
func (c *dpopClient) do(ctx context.Context, method, path, token string, prove bool, set func(h http.Header)) (*response, string, error) {
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
		if err != nil {
			return nil, "", err
		}
		proof := ""
		if prove {
			if proof, err = c.prover.Proof(method, c.base+path, token, c.nonce); err != nil {
				return nil, "", err
			}
			req.Header.Set("DPoP", proof)
		}
		if set != nil {
			set(req.Header)
		}
		res, err := c.send(req)
		if err != nil {
			return nil, "", err
		}
		if res.nonce != "" {
			c.nonce = res.nonce
		}
		if try == 0 && prove && res.nonce != "" && res.needsNonce() {
			continue // the server wants a (new) nonce: prove again with it
		}
		return &res.response, proof, nil
	}
}

type answer struct {
	response
	nonce string
}

// needsNonce reports whether the answer is use_dpop_nonce: a 400 of the
// token endpoint, or a 401 with that error in the DPoP challenge.
func (a *answer) needsNonce() bool {
	if strings.Contains(string(a.body), `"use_dpop_nonce"`) {
		return true
	}
	for _, c := range a.challenge {
		if strings.HasPrefix(c, "DPoP ") && strings.Contains(c, `error="use_dpop_nonce"`) {
			return true
		}
	}
	return false
}

func (c *dpopClient) send(req *http.Request) (*answer, error) {
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	return &answer{response{res.StatusCode, res.Header.Values("WWW-Authenticate"), body}, res.Header.Get("DPoP-Nonce")}, nil
}

// token logs in at /token, with a proof of the client's key.
func (c *dpopClient) token(ctx context.Context) (string, error) {
	res, _, err := c.do(ctx, "POST", "/token", "", true, nil)
	if err != nil {
		return "", err
	}
	if res.status != http.StatusOK {
		return "", fmt.Errorf("POST /token: %d %s", res.status, res.body)
	}
	var t struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(res.body, &t); err != nil {
		return "", err
	}
	if t.TokenType != "DPoP" || t.AccessToken == "" {
		return "", fmt.Errorf("POST /token: token_type %q; want DPoP", t.TokenType)
	}
	return t.AccessToken, nil
}

// me calls GET /me with token in the DPoP scheme and a proof.
func (c *dpopClient) me(ctx context.Context, token string) (*response, string, error) {
	return c.do(ctx, "GET", "/me", token, true, func(h http.Header) { h.Set("Authorization", "DPoP "+token) })
}

// runClient plays a client, then a thief, against the server at base, and
// logs each answer. It fails when the server lets the thief in.
func runClient(ctx context.Context, base string, logger *slog.Logger) error {
	c, err := newClient(base)
	if err != nil {
		return err
	}
	token, err := c.token(ctx)
	if err != nil {
		return err
	}
	logger.Info("dpop: client: got a DPoP-bound token", "jkt", c.prover.Thumbprint())

	res, proof, err := c.me(ctx, token)
	if err != nil {
		return err
	}
	if res.status != http.StatusOK {
		return fmt.Errorf("GET /me with the client's key: %d %s", res.status, res.body)
	}
	logger.Info("dpop: client: GET /me with a proof of the client's key", "status", res.status, "claims", string(res.body))

	// The thief has the token, not the key.
	thief, err := newClient(base)
	if err != nil {
		return err
	}
	thief.nonce = c.nonce
	attempts := []struct {
		what string
		send func() (*response, string, error)
	}{
		{"the stolen token with a proof of another key", func() (*response, string, error) { return thief.me(ctx, token) }},
		{"the stolen token as a Bearer token", func() (*response, string, error) {
			return thief.do(ctx, "GET", "/me", token, false, func(h http.Header) { h.Set("Authorization", "Bearer "+token) })
		}},
		{"the stolen token with the client's proof, replayed", func() (*response, string, error) {
			return thief.do(ctx, "GET", "/me", token, false, func(h http.Header) {
				h.Set("Authorization", "DPoP "+token)
				h.Set("DPoP", proof)
			})
		}},
	}
	for _, a := range attempts {
		res, _, err := a.send()
		if err != nil {
			return err
		}
		logger.Info("dpop: client: "+a.what, "status", res.status, "www-authenticate", strings.Join(res.challenge, "; "))
		if res.status != http.StatusUnauthorized {
			return errors.New(a.what + ": not refused")
		}
	}
	return nil
}
