package issuer_test

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

// secret is the example's HS256 secret; read yours from the environment.
var secret = []byte("an example secret of 32 bytes or more, from the environment")

// An Issuer and a Middleware that verifies its tokens and consults its
// store, so that logouts take effect.
func ExampleNew() {
	iss, err := issuer.New(issuer.Config{
		Key:    issuer.SigningKey{Algorithm: "HS256", Key: secret},
		Issuer: "https://auth.example.com",
	})
	if err != nil {
		panic(err)
	}
	mw, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys(), Issuer: "https://auth.example.com"})
	if err != nil {
		panic(err)
	}
	tok, _ := iss.Issue(context.Background(), "user-42", map[string]any{"scope": "items:read"})
	c, err := mw.Verify(context.Background(), tok)
	fmt.Println(c.Subject(), c.Scopes(), err)
	// Output: user-42 [items:read] <nil>
}

// A login session: Login after the password check, Refresh to continue it,
// Logout to end it everywhere its tokens are checked.
func ExampleIssuer_Login() {
	ctx := context.Background()
	iss, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret}})
	mw, _ := jwtauth.New(jwtauth.Config{Keys: iss.Keys()})

	tokens, err := iss.Login(ctx, "user-42", map[string]any{"name": "Ada"},
		issuer.WithDevice("Firefox on Linux"), issuer.WithAddress("192.0.2.7"))
	if err != nil {
		panic(err) // issuer.ErrStoreFull: answer 503
	}
	c, _ := mw.Verify(ctx, tokens.AccessToken)
	fmt.Println("fresh:", c.Fresh(), "same session:", c.SessionID() == tokens.SessionID)

	next, _ := iss.Refresh(ctx, tokens.RefreshToken)
	_, err = iss.Refresh(ctx, tokens.RefreshToken) // the old one again
	fmt.Println("reuse:", errors.Is(err, issuer.ErrRefreshReused))
	_, err = mw.Verify(ctx, next.AccessToken)
	fmt.Println("session ended:", errors.Is(err, jwtauth.ErrTokenRevoked))
	// Output:
	// fresh: true same session: true
	// reuse: true
	// session ended: true
}

// Log out everywhere, and the "your devices" page.
func ExampleIssuer_RevokeSubject() {
	ctx := context.Background()
	iss, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret}})
	mw, _ := jwtauth.New(jwtauth.Config{Keys: iss.Keys()})
	phone, _ := iss.Login(ctx, "user-42", nil, issuer.WithDevice("Safari on iPhone"))
	iss.Login(ctx, "user-42", nil, issuer.WithDevice("Firefox on Linux"))

	sessions, _ := iss.Sessions(ctx, "user-42")
	for _, s := range sessions {
		fmt.Println(s.Device, s.ID == phone.SessionID)
	}
	if err := iss.RevokeSubject(ctx, "user-42"); err != nil {
		panic(err) // the store failed: nothing is reported done
	}
	_, err := mw.Verify(ctx, phone.AccessToken)
	sessions, _ = iss.Sessions(ctx, "user-42")
	fmt.Println(errors.Is(err, jwtauth.ErrTokenRevoked), len(sessions))
	// Output:
	// Safari on iPhone true
	// Firefox on Linux false
	// true 0
}

// OnRefresh ends the sessions of deleted accounts and refreshes the claims.
func ExampleConfig_onRefresh() {
	ctx := context.Background()
	deleted := map[string]bool{}
	iss, _ := issuer.New(issuer.Config{
		Key: issuer.SigningKey{Algorithm: "HS256", Key: secret},
		OnRefresh: func(ctx context.Context, s *issuer.Session) (map[string]any, error) {
			if deleted[s.Subject] { // look the account up, under ctx
				return nil, issuer.ErrSessionDenied
			}
			return map[string]any{"role": "admin"}, nil // the role now
		},
	})
	tokens, _ := iss.Login(ctx, "user-42", map[string]any{"role": "user"})
	deleted["user-42"] = true
	_, err := iss.Refresh(ctx, tokens.RefreshToken)
	fmt.Println(errors.Is(err, issuer.ErrSessionDenied), jwtauth.StatusCode(err))
	// Output: true 401
}

// Key rotation: publish the next key ahead, so remote verifiers hold it
// before it signs; rotate; retire the old key once its tokens expired.
func ExampleIssuer_Publish() {
	iss, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "EdDSA", Key: signers()["EdDSA"], ID: "2026-11"}})
	next := issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"], ID: "2026-12"}
	if err := iss.Publish(next); err != nil {
		panic(err)
	}
	fmt.Println(iss.KeyID(), jwksKIDsOf(iss))
	// … an hour later:
	iss.Rotate(next)
	fmt.Println(iss.KeyID(), jwksKIDsOf(iss))
	// … TTL later:
	iss.Retire("2026-11")
	fmt.Println(iss.KeyID(), jwksKIDsOf(iss))
	// Output:
	// 2026-11 2026-11,2026-12
	// 2026-12 2026-12,2026-11
	// 2026-12 2026-12
}

func jwksKIDsOf(iss *issuer.Issuer) string {
	w := httptest.NewRecorder()
	iss.JWKSHandler().ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	var kids []string
	for _, part := range strings.Split(w.Body.String(), `"kid":"`)[1:] {
		kids = append(kids, part[:strings.IndexByte(part, '"')])
	}
	return strings.Join(kids, ",")
}

// A token endpoint writes the pair as an OAuth 2.0 token response.
func ExampleWriteTokens() {
	iss, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret}})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// … check the credentials first.
		tokens, err := iss.Login(r.Context(), "user-42", nil)
		if err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		issuer.WriteTokens(w, tokens)
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/token", nil))
	fmt.Println(w.Code, w.Header().Get("Cache-Control"), strings.Contains(w.Body.String(), `"token_type":"bearer","expires_in":900`))
	// Output: 200 no-store true
}

// A logout endpoint behind the Middleware: the session of the request's
// token ends, and its access and refresh tokens fail from then on.
func ExampleIssuer_Logout() {
	iss, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret}})
	mw, _ := jwtauth.New(jwtauth.Config{Keys: iss.Keys()})
	logout := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.FromContext(r.Context())
		switch err := iss.Logout(r.Context(), c); {
		case errors.Is(err, issuer.ErrNotRevocable):
			http.Error(w, "this token cannot be revoked; it expires on its own", http.StatusBadRequest)
		case err != nil:
			http.Error(w, "logout failed", http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	tokens, _ := iss.Login(context.Background(), "user-42", nil)
	for range 2 {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/logout", nil)
		r.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
		logout.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	_, err := iss.Refresh(context.Background(), tokens.RefreshToken)
	fmt.Println(errors.Is(err, jwtauth.ErrTokenRevoked))
	// Output:
	// 204
	// 401
	// true
}

// A bounded store of sessions in memory, shared by the issuers of one
// process; RevokeSession ends one session, for an administrator.
func ExampleNewMemoryStore() {
	store := issuer.NewMemoryStore(100_000)
	iss, _ := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret}, Store: store})
	tokens, _ := iss.Login(context.Background(), "user-42", nil)
	fmt.Println(store.Len()) // one session, one subject
	iss.RevokeSession(context.Background(), tokens.SessionID)
	fmt.Println(store.Len())
	// Output:
	// 2
	// 0
}
