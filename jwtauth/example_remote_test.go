package jwtauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// Tokens of two identity providers, each with its own keys and audience;
// the token's iss picks which.
func ExampleConfig_issuers() {
	ctx := context.Background()
	staff, _ := issuer.New(issuer.Config{Issuer: "https://staff.example", Audience: "api",
		Key: issuer.SigningKey{Algorithm: "EdDSA", Key: signers()["EdDSA"]}})
	customers, _ := issuer.New(issuer.Config{Issuer: "https://customers.example", Audience: "shop",
		Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}})
	mw, err := jwtauth.New(jwtauth.Config{Issuers: []jwtauth.TrustedIssuer{
		// In production: Keys: jwtauth.Remote(…) or jwtauth.Discover(…).
		{Issuer: "https://staff.example", Keys: staff.Keys(), Audience: "api"},
		{Issuer: "https://customers.example", Keys: customers.Keys(), Audience: "shop"},
	}})
	if err != nil {
		panic(err)
	}
	for _, iss := range []*issuer.Issuer{staff, customers} {
		tok, _ := iss.Issue(ctx, "user-1", nil)
		c, err := mw.Verify(ctx, tok)
		fmt.Println(c.Issuer(), err)
	}
	other, _ := issuer.New(issuer.Config{Issuer: "https://evil.example", Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}})
	tok, _ := other.Issue(ctx, "admin", nil)
	_, err = mw.Verify(ctx, tok)
	fmt.Println(errors.Is(err, jwtauth.ErrIssuer))
	// Output:
	// https://staff.example <nil>
	// https://customers.example <nil>
	// true
}

// A readiness endpoint that reports whether the remote keys are usable.
func ExampleRemoteKeys_Status() {
	idp, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}})
	srv := httptest.NewServer(idp.JWKSHandler())
	defer srv.Close()

	keys := jwtauth.Remote(context.Background(), srv.URL, jwtauth.RemoteOptions{AllowLoopbackHTTP: true})
	defer keys.Close()
	mw, _ := jwtauth.New(jwtauth.Config{Keys: keys})
	tok, _ := idp.Issue(context.Background(), "u", nil)
	mw.Verify(context.Background(), tok) // waits, at most MaxWait, for the first fetch

	ready := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st := keys.Status(); !st.Ready {
			http.Error(w, "keys not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	w := httptest.NewRecorder()
	ready.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	st := keys.Status()
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()), st.Keys, st.LastError == "")
	// Output: 200 ready 1 true
}
