package jwtauthtest_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/jwtauthtest"
)

// Every bad token, of every algorithm, is refused by a Middleware of the
// kit's Config with exactly the promised error, through Verify and through
// Handler.
func TestBadTokensRefused(t *testing.T) {
	for _, alg := range algorithms {
		for _, named := range []bool{false, true} {
			opts := jwtauthtest.Options{Algorithm: alg, Claims: map[string]any{"scope": "items:read"}}
			name := alg
			if named {
				opts.Issuer, opts.Audience = "https://auth.example.com", "api"
				name += "/iss+aud"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				kit := jwtauthtest.New(t, opts)
				mw := newMiddleware(t, kit.Config())
				reached := false
				h := mw.Handler(jwtauth.RequireScope("items:read")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })))
				bad := kit.BadTokens()
				want := 13
				if named {
					want = 14
				}
				if len(bad) != want {
					t.Fatalf("%d bad tokens, want %d", len(bad), want)
				}
				for _, b := range bad {
					if b.Name != b.Kind.String() || b.Err != b.Kind.Err() || b.Err == nil {
						t.Errorf("%s: row %+v inconsistent", b.Name, b)
					}
					_, err := mw.Verify(t.Context(), b.Token)
					if !errors.Is(err, b.Err) {
						t.Errorf("%s: Verify = %v, want %v", b.Name, err, b.Err)
					}
					rec := httptest.NewRecorder()
					r := httptest.NewRequest("GET", "/items", nil)
					r.Header.Set("Authorization", "Bearer "+b.Token)
					h.ServeHTTP(rec, r)
					if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
						t.Errorf("%s: Handler answered %d %q, want 401 invalid_token", b.Name, rec.Code, rec.Header().Get("WWW-Authenticate"))
					}
				}
				if reached {
					t.Error("a bad token reached the handler")
				}
				// And the good token passes the same handler.
				rec := httptest.NewRecorder()
				r := httptest.NewRequest("GET", "/items", nil)
				r.Header.Set("Authorization", "Bearer "+kit.Token(nil))
				h.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK || !reached {
					t.Errorf("valid token: %d, reached %v", rec.Code, reached)
				}
			})
		}
	}
}

// Each bad token is bad for its one reason only: a verifier that skips the
// check its kind names accepts it.
func TestBadTokensBadForOneReason(t *testing.T) {
	clock := jwtauthtest.NewClock(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC))
	for _, alg := range []string{"HS256", "ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			kit := jwtauthtest.New(t, jwtauthtest.Options{Algorithm: alg, Issuer: "https://auth.example.com", Audience: "api", Now: clock.Now})
			relaxed := map[jwtauthtest.BadKind]func(*jwtauth.Config){
				jwtauthtest.Expired: func(c *jwtauth.Config) {
					c.Now = func() time.Time { return clock.Now().Add(-90 * time.Minute) }
				},
				jwtauthtest.NotYetValid: func(c *jwtauth.Config) {
					c.Now = func() time.Time { return clock.Now().Add(90 * time.Minute) }
				},
				jwtauthtest.WrongIssuer:   func(c *jwtauth.Config) { c.Issuer = "" },
				jwtauthtest.WrongAudience: func(c *jwtauth.Config) { c.Audience = ""; c.InsecureAnyAudience = true },
				jwtauthtest.NoExpiry:      func(c *jwtauth.Config) { c.InsecureAllowNoExpiry = true },
				jwtauthtest.Revoked:       func(c *jwtauth.Config) { c.Store = nopStore{} },
			}
			for kind, relax := range relaxed {
				cfg := kit.Config()
				relax(&cfg)
				mw := newMiddleware(t, cfg)
				c, err := mw.Verify(t.Context(), kit.Bad(kind))
				if err != nil {
					t.Errorf("%v: relaxed verifier refused it: %v", kind, err)
					continue
				}
				if c.Subject() != jwtauthtest.DefaultSubject {
					t.Errorf("%v: subject %q", kind, c.Subject())
				}
			}

			// The others, by their shape.
			hdr := func(tok string) map[string]any {
				seg, _, _ := strings.Cut(tok, ".")
				raw, err := base64.RawURLEncoding.DecodeString(seg)
				if err != nil {
					t.Fatal(err)
				}
				var h map[string]any
				if err := json.Unmarshal(raw, &h); err != nil {
					t.Fatal(err)
				}
				return h
			}
			if h := hdr(kit.Bad(jwtauthtest.WrongKey)); h["kid"] != kit.KeyID() || h["alg"] != alg {
				t.Errorf("wrong-key header %v", h)
			}
			if h := hdr(kit.Bad(jwtauthtest.UnknownKey)); h["kid"] == kit.KeyID() || h["alg"] != alg {
				t.Errorf("unknown-key header %v", h)
			}
			if h := hdr(kit.Bad(jwtauthtest.WrongAlgorithm)); h["kid"] != kit.KeyID() || h["alg"] == alg || !strings.HasPrefix(h["alg"].(string), "HS") {
				t.Errorf("wrong-algorithm header %v", h)
			}
			if h := hdr(kit.Bad(jwtauthtest.RefreshAsAccess)); h["typ"] != jwtauth.RefreshTokenType {
				t.Errorf("refresh token header %v", h)
			}
			for _, kind := range []jwtauthtest.BadKind{jwtauthtest.AlgNone, jwtauthtest.Unsigned} {
				tok := kit.Bad(kind)
				if h := hdr(tok); h["alg"] != "none" {
					t.Errorf("%v header %v", kind, h)
				}
				if empty := strings.HasSuffix(tok, "."); empty != (kind == jwtauthtest.Unsigned) {
					t.Errorf("%v: empty signature %v", kind, empty)
				}
			}
			if n := len(kit.Bad(jwtauthtest.TooLarge)); n <= 64<<10 {
				t.Errorf("too-large token of %d bytes", n)
			}
			// The tampered token is the kit's token with another payload.
			tok := kit.Bad(jwtauthtest.Tampered)
			parts := strings.Split(tok, ".")
			raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
			if !strings.Contains(string(raw), `"role":"admin"`) || hdr(tok)["kid"] != kit.KeyID() {
				t.Errorf("tampered payload %s", raw)
			}
		})
	}
}

// The algorithm confusion token of an asymmetric kit is signed with the PEM
// of its public key: a verifier that takes that PEM as an HMAC secret, as
// the classic vulnerable libraries do, would accept it. jwtauth refuses
// such a secret at configuration time.
func TestWrongAlgorithmIsTheClassicAttack(t *testing.T) {
	kit := jwtauthtest.New(t, jwtauthtest.Options{Algorithm: "RS256"})
	if _, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.PublicKey("RS256", kit.PublicKey())}); err != nil {
		t.Fatal(err)
	}
	tok := kit.Bad(jwtauthtest.WrongAlgorithm)
	if !strings.HasPrefix(tok, "eyJhbGciOiJIUzI1NiI") { // {"alg":"HS256"
		t.Fatalf("token %.40s…", tok)
	}
}

func TestBadKindNames(t *testing.T) {
	seen := map[string]bool{}
	for k := jwtauthtest.Expired; k <= jwtauthtest.Revoked; k++ {
		if s := k.String(); s == "" || strings.HasPrefix(s, "BadKind(") || seen[s] {
			t.Errorf("kind %d named %q", int(k), s)
		} else {
			seen[s] = true
		}
		if k.Err() == nil || !errors.Is(k.Err(), jwtauth.ErrInvalidToken) {
			t.Errorf("%v: Err %v", k, k.Err())
		}
	}
	for _, k := range []jwtauthtest.BadKind{0, -1, jwtauthtest.Revoked + 1} {
		if k.Err() != nil || !strings.HasPrefix(k.String(), "BadKind(") {
			t.Errorf("kind %d: %q, %v", int(k), k.String(), k.Err())
		}
	}
	if msg := fatal(t, func(tb testing.TB) { jwtauthtest.New(tb, jwtauthtest.Options{}).Bad(0) }); msg == "" {
		t.Error("Bad(0) did not stop the test")
	}
}
