package issuer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// FuzzRefresh feeds Refresh whatever a client may send as a refresh token:
// it never panics, never succeeds for a token it did not make, and refuses
// with a token error (401), never a server error. The seeds include real
// refresh tokens and edits of them (testdata/fuzz/FuzzRefresh).
func FuzzRefresh(f *testing.F) {
	iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: []byte("the fuzz target's secret, 32 bytes or more")}})
	if err != nil {
		f.Fatal(err)
	}
	tokens, err := iss.Login(f.Context(), "alice", map[string]any{"role": "user"})
	if err != nil {
		f.Fatal(err)
	}
	genuine := tokens.RefreshToken
	f.Add(genuine)
	f.Add(tokens.AccessToken)
	f.Add(genuine[:len(genuine)-1])
	f.Add(strings.Replace(genuine, ".", "..", 1))
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		next, err := iss.Refresh(t.Context(), tok)
		if tok == genuine {
			return // the one token it made: refreshes once, then is reuse
		}
		if err == nil {
			t.Fatalf("Refresh accepted a token it did not make: %q → %+v", tok, next)
		}
		if !errors.Is(err, jwtauth.ErrInvalidToken) || jwtauth.StatusCode(err) != 401 {
			t.Fatalf("Refresh(%q) = %v; want a 401 token error", tok, err)
		}
	})
}
