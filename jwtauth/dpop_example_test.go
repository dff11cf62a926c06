package jwtauth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/dpop"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// A resource server that requires DPoP, and a Go client that calls it with
// a token bound to its key.
func ExampleDPoPConfig() {
	// The resource server.
	mw, err := jwtauth.New(jwtauth.Config{
		Keys: jwtauth.HMAC(exampleSecret),
		DPoP: &jwtauth.DPoPConfig{Required: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s", c.Subject())
	})))
	defer srv.Close()

	// The client's key, and a token bound to it (an authorization server
	// would mint it, given a proof at its token endpoint).
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	prover, err := dpop.NewProver(key, "ES256")
	if err != nil {
		log.Fatal(err)
	}
	tok, _ := jwt.NewBuilder().Subject("alice").Expiration(time.Now().Add(time.Hour)).
		Claim("cnf", map[string]string{"jkt": prover.Thumbprint()}).Build()
	signed, _ := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), exampleSecret))
	access := string(signed)

	call := func(withProof bool) {
		req, _ := http.NewRequest("GET", srv.URL+"/items", nil)
		req.Header.Set("Authorization", "DPoP "+access)
		if withProof {
			proof, err := prover.Proof("GET", srv.URL+"/items", access, "")
			if err != nil {
				log.Fatal(err)
			}
			req.Header.Set("DPoP", proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			return
		}
		fmt.Println(resp.StatusCode, string(body))
	}
	call(true)
	call(false) // a stolen token, without the key
	// Output:
	// 200 hello alice
	// 401 DPoP error="invalid_dpop_proof", error_description="the DPoP proof is invalid", algs="ES256 ES384 ES512 EdDSA PS256 PS384 PS512 RS256 RS384 RS512"
}

// The RFC 9728 metadata of a resource, and the challenge that points to it.
func ExampleMetadataHandler() {
	h, err := jwtauth.MetadataHandler(jwtauth.ResourceMetadata{
		Resource:             "https://api.example.com",
		AuthorizationServers: []string{"https://auth.example.com"},
		DPoPAlgorithms:       []string{"ES256", "EdDSA"},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/oauth-protected-resource", h)
	resp := exampleDo(mux, httptest.NewRequest("GET", "/.well-known/oauth-protected-resource", nil))
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	// Output:
	// {"resource":"https://api.example.com","authorization_servers":["https://auth.example.com"],"bearer_methods_supported":["header"],"dpop_signing_alg_values_supported":["ES256","EdDSA"]}
}
