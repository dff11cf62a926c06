package issuer_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	for _, alg := range []string{"HS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			iss := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: alg, Key: signers()[alg]}})
			mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
			ctx := t.Context()

			first, err := iss.Login(ctx, "u1", map[string]any{"name": "Ada"})
			if err != nil {
				t.Fatal(err)
			}
			c, err := mw.Verify(ctx, first.AccessToken)
			if err != nil || c.SessionID() == "" || !c.Fresh() || c.SessionID() != first.SessionID {
				t.Fatalf("login access token: %v, sid %q (Tokens %q), fresh %v", err, c.SessionID(), first.SessionID, c.Fresh())
			}
			sid := c.SessionID()

			// Neither kind of token passes for the other.
			if _, err := mw.Verify(ctx, first.RefreshToken); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("refresh token accepted as access token: %v", err)
			}
			if _, err := iss.Refresh(ctx, first.AccessToken); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("access token accepted as refresh token: %v", err)
			}

			second, err := iss.Refresh(ctx, first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken || second.SessionID != sid {
				t.Fatal("refresh returned the same tokens, or another session")
			}
			c2, err := mw.Verify(ctx, second.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			var priv struct{ Name string }
			c2.Decode(&priv)
			if c2.SessionID() != sid || c2.Subject() != "u1" || c2.Fresh() || priv.Name != "Ada" {
				t.Errorf("refreshed token: sid %q sub %q fresh %v name %q", c2.SessionID(), c2.Subject(), c2.Fresh(), priv.Name)
			}

			// The first refresh token again: reuse. The whole session goes.
			if _, err := iss.Refresh(ctx, first.RefreshToken); !errors.Is(err, issuer.ErrRefreshReused) || !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("reused refresh token: %v", err)
			}
			if _, err := iss.Refresh(ctx, second.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
				t.Errorf("descendant refresh token after reuse: %v", err)
			}
			for name, tok := range map[string]string{"first": first.AccessToken, "second": second.AccessToken} {
				if _, err := mw.Verify(ctx, tok); !errors.Is(err, jwtauth.ErrTokenRevoked) {
					t.Errorf("%s access token after reuse: %v", name, err)
				}
			}

			// Another login is a new session, untouched.
			other, _ := iss.Login(ctx, "u1", nil)
			if _, err := mw.Verify(ctx, other.AccessToken); err != nil {
				t.Errorf("new session after reuse: %v", err)
			}
			if _, err := iss.Refresh(ctx, other.RefreshToken); err != nil {
				t.Errorf("new session refresh: %v", err)
			}
		})
	}
}

func TestConcurrentRefreshHasOneWinner(t *testing.T) {
	for _, grace := range []time.Duration{0, 5 * time.Second} {
		t.Run(fmt.Sprint("grace ", grace), func(t *testing.T) {
			// Two instances sharing a store and a RefreshSecret.
			store := issuer.NewMemoryStore(0)
			shared := []byte("refresh secret shared by every instance!")
			iss := newIssuer(t, issuer.Config{RefreshGrace: grace, Store: store, RefreshSecret: shared})
			other := newIssuer(t, issuer.Config{RefreshGrace: grace, Store: store, RefreshSecret: shared})
			instances := []*issuer.Issuer{iss, other}
			for range 10 {
				tokens, err := iss.Login(t.Context(), "u", nil)
				if err != nil {
					t.Fatal(err)
				}
				var wins atomic.Int32
				var got sync.Map
				var wg sync.WaitGroup
				for k := range 16 {
					wg.Go(func() {
						next, err := instances[k%2].Refresh(t.Context(), tokens.RefreshToken)
						switch {
						case err == nil:
							wins.Add(1)
							got.Store(next.RefreshToken, true)
						case grace == 0 && (errors.Is(err, issuer.ErrRefreshReused) || errors.Is(err, jwtauth.ErrTokenRevoked)):
						default:
							t.Errorf("Refresh: %v", err)
						}
					})
				}
				wg.Wait()
				switch n := wins.Load(); {
				case grace == 0 && n != 1:
					t.Fatalf("%d of 16 concurrent refreshes succeeded; want 1", n)
				case grace > 0 && n != 16:
					t.Fatalf("%d of 16 concurrent refreshes within grace succeeded; want 16", n)
				}
				if grace > 0 {
					// Every one of them got the same generation: the
					// session advanced once.
					var gens []string
					got.Range(func(k, _ any) bool {
						c := decodePayload(t, k.(string))
						gens = append(gens, string(c["gen"]))
						return true
					})
					for _, g := range gens {
						if g != "2" {
							t.Fatalf("generations handed out: %v; want all 2", gens)
						}
					}
				}
			}
		})
	}
}

// decodePayload returns the claims of a token, unverified, for inspection.
func decodePayload(t *testing.T, tok string) map[string]json.RawMessage {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	b, err := jwtB64.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRefreshGrace(t *testing.T) {
	clk := &clock{now: time.Now()}
	iss := newIssuer(t, issuer.Config{RefreshGrace: 10 * time.Second, Now: clk.Now})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys(), Now: clk.Now})
	ctx := t.Context()
	login, _ := iss.Login(ctx, "u", nil)
	second, err := iss.Refresh(ctx, login.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	// A second tab presents the same token within the grace: it gets the
	// current generation, and the session lives on.
	clk.Add(9 * time.Second)
	tab, err := iss.Refresh(ctx, login.RefreshToken)
	if err != nil {
		t.Fatalf("within grace: %v", err)
	}
	if g := string(decodePayload(t, tab.RefreshToken)["gen"]); g != "2" {
		t.Fatalf("tab got generation %s; want 2", g)
	}
	if _, err := mw.Verify(ctx, second.AccessToken); err != nil {
		t.Fatalf("session after a grace refresh: %v", err)
	}
	// Past the grace window the same token is reuse.
	clk.Add(2 * time.Second)
	if _, err := iss.Refresh(ctx, login.RefreshToken); !errors.Is(err, issuer.ErrRefreshReused) {
		t.Fatalf("after grace: %v; want ErrRefreshReused", err)
	}
	if _, err := mw.Verify(ctx, second.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Fatalf("session after reuse: %v", err)
	}
	// Grace covers one generation back, never two.
	login, _ = iss.Login(ctx, "u", nil)
	second, _ = iss.Refresh(ctx, login.RefreshToken)
	if _, err := iss.Refresh(ctx, second.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Refresh(ctx, login.RefreshToken); !errors.Is(err, issuer.ErrRefreshReused) {
		t.Fatalf("two generations back within grace: %v; want ErrRefreshReused", err)
	}
}

func TestLogout(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	ctx := t.Context()
	a, _ := iss.Login(ctx, "u", nil)
	b, _ := iss.Login(ctx, "u", nil) // another device
	plain, _ := iss.Issue(ctx, "u", nil)
	plain2, _ := iss.Issue(ctx, "u", nil)

	c, err := mw.Verify(ctx, a.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(ctx, a.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("access token after logout: %v", err)
	}
	if _, err := iss.Refresh(ctx, a.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("refresh token after logout: %v", err)
	}
	if _, err := mw.Verify(ctx, b.AccessToken); err != nil {
		t.Errorf("other session after logout: %v", err)
	}
	// Logging out again is success: the session is ended.
	if err := iss.Logout(ctx, c); err != nil {
		t.Errorf("second logout: %v", err)
	}

	// A token from Issue has no session: logout revokes its jti alone.
	pc, _ := mw.Verify(ctx, plain)
	if err := iss.Logout(ctx, pc); err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(ctx, plain); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("issued token after logout: %v", err)
	}
	if _, err := mw.Verify(ctx, plain2); err != nil {
		t.Errorf("another issued token after logout: %v", err)
	}
	if err := iss.Logout(ctx, nil); err == nil {
		t.Error("Logout(nil) succeeded")
	}

	// A FastAPI-style token (sub and exp only) cannot be revoked, and
	// Logout says so instead of pretending.
	bare, err := mustNew(t, jwtauth.Config{Keys: jwtauth.HMAC([]byte("0123456789abcdef0123456789abcdef"))}).Verify(ctx,
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwiZXhwIjo0MTAyNDQ0ODAwfQ.4K3qI7TdnHzdiQnqQHWgTz1zLUKLqxxgOCIZmRZiOGk")
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Logout(ctx, bare); !errors.Is(err, issuer.ErrNotRevocable) {
		t.Errorf("Logout of a token without jti and sid: %v", err)
	}
	// Nor can one of another issuer.
	other := newIssuer(t, issuer.Config{Issuer: "https://other.example"})
	ot, _ := other.Login(ctx, "u", nil)
	oc, err := mustNew(t, jwtauth.Config{Keys: other.Keys()}).Verify(ctx, ot.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Logout(ctx, oc); !errors.Is(err, issuer.ErrNotRevocable) {
		t.Errorf("Logout of another issuer's token: %v", err)
	}

	// Over HTTP the revoked token gets 401 invalid_token.
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+a.AccessToken)
	mw.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("revoked token over HTTP: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestRequireFresh(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	h := mw.Handler(jwtauth.RequireFresh()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	login, _ := iss.Login(t.Context(), "u", nil)
	refreshed, _ := iss.Refresh(t.Context(), login.RefreshToken)
	for _, tc := range []struct {
		token string
		want  int
	}{
		{login.AccessToken, http.StatusNoContent},
		{refreshed.AccessToken, http.StatusForbidden},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/password", nil)
		r.Header.Set("Authorization", "Bearer "+tc.token)
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("status %d, want %d (%s)", w.Code, tc.want, w.Header().Get("WWW-Authenticate"))
		}
	}
}

// failingStore fails every call, as an unreachable shared store does.
type failingStore struct{}

var errDown = errors.New("store down")

func (failingStore) Revoked(context.Context, jwtauth.TokenRef) (bool, error) { return false, errDown }
func (failingStore) CreateSession(context.Context, *issuer.Session, int, time.Time) error {
	return errDown
}
func (failingStore) Session(context.Context, string, time.Time) (*issuer.Session, error) {
	return nil, errDown
}
func (failingStore) AdvanceSession(context.Context, issuer.Advance) (*issuer.Session, issuer.Outcome, error) {
	return nil, issuer.NotFound, errDown
}
func (failingStore) EndSession(context.Context, string, string, time.Time) (bool, error) {
	return false, errDown
}
func (failingStore) RevokeSubject(context.Context, string, time.Time, time.Time) error {
	return errDown
}
func (failingStore) RevokeToken(context.Context, string, string, time.Time, time.Time) error {
	return errDown
}
func (failingStore) Sessions(context.Context, string, time.Time) ([]issuer.Session, error) {
	return nil, errDown
}

// switchStore passes calls to a MemoryStore until it is told to fail.
type switchStore struct {
	*issuer.MemoryStore
	down atomic.Bool
}

func (s *switchStore) Revoked(ctx context.Context, t jwtauth.TokenRef) (bool, error) {
	if s.down.Load() {
		return false, errDown
	}
	return s.MemoryStore.Revoked(ctx, t)
}

func (s *switchStore) AdvanceSession(ctx context.Context, a issuer.Advance) (*issuer.Session, issuer.Outcome, error) {
	if s.down.Load() {
		return nil, issuer.NotFound, errDown
	}
	return s.MemoryStore.AdvanceSession(ctx, a)
}

func (s *switchStore) EndSession(ctx context.Context, id, subject string, now time.Time) (bool, error) {
	if s.down.Load() {
		return false, errDown
	}
	return s.MemoryStore.EndSession(ctx, id, subject, now)
}

func (s *switchStore) RevokeSubject(ctx context.Context, subject string, now, until time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.MemoryStore.RevokeSubject(ctx, subject, now, until)
}

func (s *switchStore) RevokeToken(ctx context.Context, subject, id string, now, until time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.MemoryStore.RevokeToken(ctx, subject, id, now, until)
}

func (s *switchStore) Sessions(ctx context.Context, subject string, now time.Time) ([]issuer.Session, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.MemoryStore.Sessions(ctx, subject, now)
}

func TestStoreFailureFailsClosed(t *testing.T) {
	st := &switchStore{MemoryStore: issuer.NewMemoryStore(0)}
	iss := newIssuer(t, issuer.Config{Store: st})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	ctx := t.Context()
	tokens, err := iss.Login(ctx, "u", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mw.Verify(ctx, tokens.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	st.down.Store(true)
	if _, err := mw.Verify(ctx, tokens.AccessToken); !errors.Is(err, jwtauth.ErrStore) || errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("Verify with a failing store: %v", err)
	}
	if _, err := iss.Refresh(ctx, tokens.RefreshToken); !errors.Is(err, jwtauth.ErrStore) || !errors.Is(err, errDown) {
		t.Errorf("Refresh with a failing store: %v", err)
	}
	// No revocation reports success it did not achieve.
	for name, err := range map[string]error{
		"Logout":          iss.Logout(ctx, c),
		"RevokeSession":   iss.RevokeSession(ctx, c.SessionID()),
		"RevokeSessionOf": iss.RevokeSessionOf(ctx, "u", c.SessionID()),
		"RevokeSubject":   iss.RevokeSubject(ctx, "u"),
	} {
		if !errors.Is(err, jwtauth.ErrStore) || !errors.Is(err, errDown) {
			t.Errorf("%s with a failing store: %v; want ErrStore", name, err)
		}
	}
	if _, err := iss.Sessions(ctx, "u"); !errors.Is(err, jwtauth.ErrStore) {
		t.Errorf("Sessions with a failing store: %v", err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
	reached := false
	mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })).ServeHTTP(w, r)
	if reached || w.Code != http.StatusInternalServerError {
		t.Errorf("failing store over HTTP: %d, reached %v", w.Code, reached)
	}
	// And the session is still there once the store is back.
	st.down.Store(false)
	if _, err := mw.Verify(ctx, tokens.AccessToken); err != nil {
		t.Errorf("after the store came back: %v", err)
	}

	down := newIssuer(t, issuer.Config{Store: failingStore{}})
	if _, err := down.Login(ctx, "u", nil); !errors.Is(err, jwtauth.ErrStore) {
		t.Errorf("Login with a failing store: %v", err)
	}

	// A Store set in Config wins over the Issuer's.
	ok := mustNew(t, jwtauth.Config{Keys: down.Keys(), Store: issuer.NewMemoryStore(0)})
	plain, _ := down.Issue(ctx, "u", nil)
	if _, err := ok.Verify(ctx, plain); err != nil {
		t.Errorf("Config.Store: %v", err)
	}
}

// Two instances of a service with the same keys, the same RefreshSecret and a
// shared store continue each other's sessions; without a RefreshSecret an
// asymmetric issuer's refresh tokens are its own.
func TestRefreshAcrossInstances(t *testing.T) {
	store := issuer.NewMemoryStore(0)
	secret := []byte("refresh secret shared by every instance!")
	key := issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}
	a := newIssuer(t, issuer.Config{Key: key, RefreshSecret: secret, Store: store})
	b := newIssuer(t, issuer.Config{Key: key, RefreshSecret: secret, Store: store})
	tokens, _ := a.Login(t.Context(), "u", nil)
	next, err := b.Refresh(t.Context(), tokens.RefreshToken)
	if err != nil {
		t.Fatalf("instance b refreshing a's token: %v", err)
	}
	if _, err := a.Refresh(t.Context(), tokens.RefreshToken); !errors.Is(err, issuer.ErrRefreshReused) {
		t.Errorf("reuse on the other instance: %v", err)
	}
	if _, err := a.Refresh(t.Context(), next.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("after reuse: %v", err)
	}

	lone := newIssuer(t, issuer.Config{Key: key})
	other := newIssuer(t, issuer.Config{Key: key})
	tokens, _ = lone.Login(t.Context(), "u", nil)
	if _, err := other.Refresh(t.Context(), tokens.RefreshToken); !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Errorf("refresh without a shared RefreshSecret: %v", err)
	}
}

// Refresh tokens are bound to the issuer configuration: issuers that share a
// key (and even a RefreshSecret and a store) but not an iss or audience
// refuse each other's.
func TestRefreshBoundToIssuerConfig(t *testing.T) {
	store := issuer.NewMemoryStore(0)
	hs := issuer.SigningKey{Algorithm: "HS256", Key: signers()["HS256"]}
	es := issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}
	shared := []byte("refresh secret shared by every instance!")
	for _, tc := range []struct {
		name   string
		a, b   issuer.Config
		accept bool
	}{
		{"same", issuer.Config{Key: hs, Audience: "api"}, issuer.Config{Key: hs, Audience: "api"}, true},
		{"audience", issuer.Config{Key: hs, Audience: "api"}, issuer.Config{Key: hs, Audience: "billing"}, false},
		{"audience vs none", issuer.Config{Key: hs, Audience: "api"}, issuer.Config{Key: hs}, false},
		{"none vs audience", issuer.Config{Key: hs}, issuer.Config{Key: hs, Audience: "api"}, false},
		{"iss", issuer.Config{Key: hs, Issuer: "https://a.example"}, issuer.Config{Key: hs, Issuer: "https://b.example"}, false},
		{"shared secret, audience", issuer.Config{Key: es, RefreshSecret: shared, Audience: "api"}, issuer.Config{Key: es, RefreshSecret: shared, Audience: "billing"}, false},
		{"shared secret, iss", issuer.Config{Key: es, RefreshSecret: shared, Issuer: "a"}, issuer.Config{Key: es, RefreshSecret: shared, Issuer: "b"}, false},
		{"shared secret, same", issuer.Config{Key: es, RefreshSecret: shared, Audience: "api"}, issuer.Config{Key: es, RefreshSecret: shared, Audience: "api"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.a.Store, tc.b.Store = store, store
			a, b := newIssuer(t, tc.a), newIssuer(t, tc.b)
			tokens, err := a.Login(t.Context(), "u", nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.Refresh(t.Context(), tokens.RefreshToken)
			if tc.accept && err != nil {
				t.Fatalf("refresh by the same configuration: %v", err)
			}
			if !tc.accept && !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("refresh by another configuration: %v; want ErrInvalidToken", err)
			}
		})
	}
}

func TestRefreshSecretMustDifferFromSigningSecret(t *testing.T) {
	secret := signers()["HS256"].([]byte)
	if _, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: secret}, RefreshSecret: secret}); !errors.Is(err, jwtauth.ErrConfig) {
		t.Fatalf("RefreshSecret equal to the signing secret: %v; want ErrConfig", err)
	}
	iss := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"]}, RefreshSecret: secret})
	for name, err := range map[string]error{
		"Rotate":  iss.Rotate(issuer.SigningKey{Algorithm: "HS256", Key: secret}),
		"Publish": iss.Publish(issuer.SigningKey{Algorithm: "HS256", Key: secret}),
	} {
		if !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%s with the RefreshSecret as signing secret: %v; want ErrConfig", name, err)
		}
	}
}

// Rotating from HMAC to an asymmetric key keeps Login and Refresh working,
// sessions begun under the HMAC key refresh until it is retired, and the HMAC
// key can be retired.
func TestRotateHMACToAsymmetric(t *testing.T) {
	for _, next := range []string{"ES256", "EdDSA", "RS256"} {
		t.Run(next, func(t *testing.T) {
			iss := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: signers()["HS256"]}})
			mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
			ctx := t.Context()
			before, err := iss.Login(ctx, "u", nil)
			if err != nil {
				t.Fatal(err)
			}
			hmacKID := iss.KeyID()
			if err := iss.Rotate(issuer.SigningKey{Algorithm: next, Key: signers()[next]}); err != nil {
				t.Fatal(err)
			}
			after, err := iss.Login(ctx, "u", nil)
			if err != nil {
				t.Fatalf("Login after rotation: %v", err)
			}
			if _, err := iss.Refresh(ctx, after.RefreshToken); err != nil {
				t.Fatalf("Refresh after rotation: %v", err)
			}
			cont, err := iss.Refresh(ctx, before.RefreshToken)
			if err != nil {
				t.Fatalf("Refresh of a session begun under the HMAC key: %v", err)
			}
			if err := iss.Retire(hmacKID); err != nil {
				t.Fatalf("Retire the HMAC key: %v", err)
			}
			if _, err := mw.Verify(ctx, before.AccessToken); !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("HMAC-signed token after Retire: %v", err)
			}
			// cont was signed by the new key, and its refresh token by
			// the new refresh key: the session goes on.
			if _, err := mw.Verify(ctx, cont.AccessToken); err != nil {
				t.Errorf("token of the new key: %v", err)
			}
			if _, err := iss.Refresh(ctx, cont.RefreshToken); err != nil {
				t.Errorf("Refresh after Retire: %v", err)
			}
		})
	}
}

// Publish puts a key in the JWK Set and the verification keys before it
// signs anything; Rotate then makes it the signing key.
func TestPublishThenRotate(t *testing.T) {
	iss := newIssuer(t, issuer.Config{Key: issuer.SigningKey{Algorithm: "ES256", Key: signers()["ES256"], ID: "k1"}})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	next := issuer.SigningKey{Algorithm: "EdDSA", Key: signers()["EdDSA"], ID: "k2"}
	if err := iss.Publish(next); err != nil {
		t.Fatal(err)
	}
	if kids := jwksKIDs(t, iss); strings.Join(kids, ",") != "k1,k2" {
		t.Fatalf("JWK Set after Publish: %v; want k1,k2", kids)
	}
	tok, _ := iss.Issue(t.Context(), "u", nil)
	if c, err := mw.Verify(t.Context(), tok); err != nil || c.KeyID() != "k1" || iss.KeyID() != "k1" {
		t.Fatalf("after Publish the active key still signs: %v, kid %q", err, iss.KeyID())
	}
	if err := iss.Publish(next); !errors.Is(err, jwtauth.ErrConfig) {
		t.Errorf("Publish of a held kid: %v", err)
	}
	if err := iss.Rotate(next); err != nil {
		t.Fatal(err)
	}
	tok2, _ := iss.Issue(t.Context(), "u", nil)
	if c, err := mw.Verify(t.Context(), tok2); err != nil || c.KeyID() != "k2" {
		t.Fatalf("after Rotate: %v", err)
	}
	if kids := jwksKIDs(t, iss); strings.Join(kids, ",") != "k2,k1" {
		t.Fatalf("JWK Set after Rotate: %v; want k2,k1", kids)
	}
	// A published key that is never used can be withdrawn.
	if err := iss.Publish(issuer.SigningKey{Algorithm: "ES384", Key: signers()["ES384"], ID: "k3"}); err != nil {
		t.Fatal(err)
	}
	if err := iss.Retire("k3"); err != nil {
		t.Fatalf("Retire of a published key: %v", err)
	}
	if err := iss.Retire("k2"); !errors.Is(err, issuer.ErrUnknownKeyID) {
		t.Errorf("Retire of the active key: %v", err)
	}
}

func jwksKIDs(t *testing.T, iss *issuer.Issuer) []string {
	t.Helper()
	w := httptest.NewRecorder()
	iss.JWKSHandler().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	var set struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// Private claims are kept byte for byte: an integer above 2^53 does not
// turn into another one at refresh, which could name another user.
func TestClaimsByteExactAcrossRefresh(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	ctx := t.Context()
	claims := map[string]any{"uid": int64(1234567890123456789), "big": uint64(18446744073709551615), "n": json.Number("12345678901234567890123"), "s": "ü<>&"}
	tokens, err := iss.Login(ctx, "u", claims)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"uid": "1234567890123456789", "big": "18446744073709551615", "n": "12345678901234567890123"}
	for range 5 {
		c, err := mw.Verify(ctx, tokens.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range want {
			if got, _ := c.Value(name); string(got) != v {
				t.Fatalf("%s = %s; want %s", name, got, v)
			}
		}
		var s string
		raw, _ := c.Value("s")
		json.Unmarshal(raw, &s)
		if s != "ü<>&" {
			t.Fatalf("s = %q", s)
		}
		if tokens, err = iss.Refresh(ctx, tokens.RefreshToken); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOnRefresh(t *testing.T) {
	var (
		mu      sync.Mutex
		deleted = map[string]bool{}
		roles   = map[string]string{}
		dbDown  atomic.Bool
		calls   atomic.Int32
	)
	iss := newIssuer(t, issuer.Config{OnRefresh: func(ctx context.Context, s *issuer.Session) (map[string]any, error) {
		calls.Add(1)
		if dbDown.Load() {
			return nil, errors.New("database is down")
		}
		mu.Lock()
		defer mu.Unlock()
		if deleted[s.Subject] {
			return nil, fmt.Errorf("account %w", issuer.ErrSessionDenied)
		}
		if r, ok := roles[s.Subject]; ok {
			return map[string]any{"role": r}, nil
		}
		return nil, nil
	}})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	ctx := t.Context()
	role := func(tok string) string {
		c, err := mw.Verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := c.Value("role")
		return string(v)
	}

	tokens, _ := iss.Login(ctx, "alice", map[string]any{"role": "user"})
	next, err := iss.Refresh(ctx, tokens.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if r := role(next.AccessToken); r != `"user"` {
		t.Fatalf("role after a refresh that keeps the claims: %s", r)
	}
	// A role change takes effect at the next refresh.
	mu.Lock()
	roles["alice"] = "admin"
	mu.Unlock()
	next, err = iss.Refresh(ctx, next.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if r := role(next.AccessToken); r != `"admin"` {
		t.Fatalf("role after the change: %s", r)
	}
	// And sticks: the session keeps the new claims.
	mu.Lock()
	delete(roles, "alice")
	mu.Unlock()
	next, _ = iss.Refresh(ctx, next.RefreshToken)
	if r := role(next.AccessToken); r != `"admin"` {
		t.Fatalf("role one refresh later: %s", r)
	}

	// A database error fails the refresh but keeps the session.
	dbDown.Store(true)
	if _, err := iss.Refresh(ctx, next.RefreshToken); err == nil || errors.Is(err, jwtauth.ErrInvalidToken) || errors.Is(err, issuer.ErrSessionDenied) {
		t.Fatalf("refresh with the hook failing: %v; want a server error", err)
	}
	dbDown.Store(false)
	if next, err = iss.Refresh(ctx, next.RefreshToken); err != nil {
		t.Fatalf("refresh after the hook recovered: %v", err)
	}

	// A deleted account: the refresh is denied and the session ends.
	mu.Lock()
	deleted["alice"] = true
	mu.Unlock()
	_, err = iss.Refresh(ctx, next.RefreshToken)
	if !errors.Is(err, issuer.ErrSessionDenied) || !errors.Is(err, jwtauth.ErrInvalidToken) || jwtauth.StatusCode(err) != 401 {
		t.Fatalf("refresh of a deleted account: %v", err)
	}
	if _, err := mw.Verify(ctx, next.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Fatalf("access token of the denied session: %v", err)
	}
	// A reuse is not asked about: it ends the session anyway.
	mu.Lock()
	delete(deleted, "alice")
	mu.Unlock()
	tokens, _ = iss.Login(ctx, "alice", nil)
	iss.Refresh(ctx, tokens.RefreshToken)
	n := calls.Load()
	if _, err := iss.Refresh(ctx, tokens.RefreshToken); !errors.Is(err, issuer.ErrRefreshReused) {
		t.Fatalf("reuse with a hook: %v", err)
	}
	if calls.Load() != n {
		t.Error("the hook was asked about a reused token")
	}

	// Claims the hook returns are checked like Login's.
	bad := newIssuer(t, issuer.Config{OnRefresh: func(context.Context, *issuer.Session) (map[string]any, error) {
		return map[string]any{"sub": "admin"}, nil
	}})
	tokens, _ = bad.Login(ctx, "mallory", nil)
	if _, err := bad.Refresh(ctx, tokens.RefreshToken); !errors.Is(err, issuer.ErrReservedClaim) {
		t.Fatalf("hook returning a reserved claim: %v", err)
	}
}

// Lifetimes: RefreshTTL is the idle limit, MaxSessionAge the absolute one.
func TestSessionLifetimes(t *testing.T) {
	clk := &clock{now: time.Now()}
	iss := newIssuer(t, issuer.Config{TTL: time.Minute, RefreshTTL: time.Hour, MaxSessionAge: 5 * time.Hour, Now: clk.Now})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys(), Now: clk.Now})
	ctx := t.Context()

	// Idle: an hour without a refresh ends the session.
	idle, _ := iss.Login(ctx, "u", nil)
	clk.Add(time.Hour)
	if _, err := iss.Refresh(ctx, idle.RefreshToken); !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Fatalf("refresh after the idle limit: %v", err)
	}

	// Absolute: refreshing every 50 minutes does not keep a session past
	// MaxSessionAge (today's bug: 100 refreshes kept one alive 600 days).
	tokens, _ := iss.Login(ctx, "u", nil)
	start := clk.Now()
	var err error
	for k := 0; ; k++ {
		clk.Add(50 * time.Minute)
		next, e := iss.Refresh(ctx, tokens.RefreshToken)
		if e != nil {
			err = e
			break
		}
		tokens = next
		c, e := mw.Verify(ctx, tokens.AccessToken)
		if e != nil {
			t.Fatalf("refresh %d: access token: %v", k, e)
		}
		if c.ExpiresAt().After(start.Add(5 * time.Hour)) {
			t.Fatalf("refresh %d: access token outlives the session: exp %v", k, c.ExpiresAt())
		}
		if k > 10 {
			t.Fatal("the session outlived MaxSessionAge")
		}
	}
	if !errors.Is(err, jwtauth.ErrInvalidToken) {
		t.Fatalf("refresh past MaxSessionAge: %v", err)
	}
	if got := clk.Now().Sub(start); got > 5*time.Hour+50*time.Minute {
		t.Fatalf("session lived %v; MaxSessionAge is 5h", got)
	}
	// The listing agrees.
	if list, _ := iss.Sessions(ctx, "u"); len(list) != 0 {
		t.Fatalf("%d sessions listed after they ended", len(list))
	}
}

// Config.Now is the store's clock too: with a clock in the past, logout and
// reuse detection still work (they did nothing before).
func TestNowGovernsStore(t *testing.T) {
	for _, start := range []time.Time{time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().Add(5 * 365 * 24 * time.Hour)} {
		clk := &clock{now: start}
		iss := newIssuer(t, issuer.Config{Now: clk.Now})
		mw := mustNew(t, jwtauth.Config{Keys: iss.Keys(), Now: clk.Now})
		ctx := t.Context()
		a, _ := iss.Login(ctx, "u", nil)
		c, err := mw.Verify(ctx, a.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.Logout(ctx, c); err != nil {
			t.Fatal(err)
		}
		if _, err := mw.Verify(ctx, a.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("%v: access token after logout: %v", start.Year(), err)
		}
		b, _ := iss.Login(ctx, "u", nil)
		iss.Refresh(ctx, b.RefreshToken)
		if _, err := iss.Refresh(ctx, b.RefreshToken); !errors.Is(err, issuer.ErrRefreshReused) {
			t.Errorf("%v: reuse: %v", start.Year(), err)
		}
		if _, err := mw.Verify(ctx, b.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("%v: access token after reuse: %v", start.Year(), err)
		}
		plain, _ := iss.Issue(ctx, "v", nil)
		if err := iss.RevokeSubject(ctx, "v"); err != nil {
			t.Fatal(err)
		}
		if _, err := mw.Verify(ctx, plain); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("%v: issued token after RevokeSubject: %v", start.Year(), err)
		}
	}
}

func TestSessionsAndRevocation(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	mw := mustNew(t, jwtauth.Config{Keys: iss.Keys()})
	ctx := t.Context()
	phone, _ := iss.Login(ctx, "alice", nil, issuer.WithDevice("Safari on iPhone"), issuer.WithAddress("198.51.100.7"))
	laptop, _ := iss.Login(ctx, "alice", nil, issuer.WithDevice("Firefox\x00 on\nLinux\xff"+strings.Repeat("x", 300)))
	bob, _ := iss.Login(ctx, "bob", nil)
	plain, _ := iss.Issue(ctx, "alice", nil)

	list, err := iss.Sessions(ctx, "alice")
	if err != nil || len(list) != 2 {
		t.Fatalf("Sessions = %d, %v", len(list), err)
	}
	if list[0].ID != phone.SessionID || list[0].Device != "Safari on iPhone" || list[0].Address != "198.51.100.7" ||
		list[0].Generation != 1 || list[0].Created.IsZero() || !list[0].Expires.After(list[0].Created) {
		t.Errorf("phone session = %+v", list[0])
	}
	if d := list[1].Device; len(d) > 200 || strings.ContainsAny(d, "\x00\n") || !strings.HasPrefix(d, "Firefox? on?Linux?") {
		t.Errorf("device label not cleaned: %q", d)
	}

	// Users end only their own sessions.
	if err := iss.RevokeSessionOf(ctx, "bob", phone.SessionID); !errors.Is(err, issuer.ErrNoSession) {
		t.Fatalf("bob ending alice's session: %v; want ErrNoSession", err)
	}
	if _, err := mw.Verify(ctx, phone.AccessToken); err != nil {
		t.Fatalf("alice's session after bob's attempt: %v", err)
	}
	if err := iss.RevokeSessionOf(ctx, "alice", phone.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(ctx, phone.AccessToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("ended session's access token: %v", err)
	}
	if _, err := iss.Refresh(ctx, phone.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("ended session's refresh token: %v", err)
	}
	if err := iss.RevokeSession(ctx, phone.SessionID); !errors.Is(err, issuer.ErrNoSession) {
		t.Errorf("ending it again: %v; want ErrNoSession", err)
	}

	// Log out everywhere: every session and every issued token of alice.
	if err := iss.RevokeSubject(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"laptop": laptop.AccessToken, "issued": plain} {
		if _, err := mw.Verify(ctx, tok); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("%s token after RevokeSubject: %v", name, err)
		}
	}
	if _, err := iss.Refresh(ctx, laptop.RefreshToken); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Errorf("laptop refresh after RevokeSubject: %v", err)
	}
	if list, _ := iss.Sessions(ctx, "alice"); len(list) != 0 {
		t.Errorf("%d sessions after RevokeSubject", len(list))
	}
	if _, err := mw.Verify(ctx, bob.AccessToken); err != nil {
		t.Errorf("bob after alice's RevokeSubject: %v", err)
	}
	// A login after it works at once.
	again, err := iss.Login(ctx, "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mw.Verify(ctx, again.AccessToken); err != nil {
		t.Errorf("login after RevokeSubject: %v", err)
	}
}

func TestSubjectsAndClaimsChecked(t *testing.T) {
	iss := newIssuer(t, issuer.Config{})
	ctx := t.Context()
	for _, sub := range []string{"", "\xff", "\xfe", "a\x00b", "tab\tname", strings.Repeat("a", issuer.MaxSubjectLength+1)} {
		if _, err := iss.Login(ctx, sub, nil); !errors.Is(err, issuer.ErrSubject) {
			t.Errorf("Login(%q) = %v; want ErrSubject", sub, err)
		}
		if sub == "" {
			continue
		}
		if _, err := iss.Issue(ctx, sub, nil); !errors.Is(err, issuer.ErrSubject) {
			t.Errorf("Issue(%q) = %v; want ErrSubject", sub, err)
		}
		if err := iss.RevokeSubject(ctx, sub); !errors.Is(err, issuer.ErrSubject) {
			t.Errorf("RevokeSubject(%q) = %v; want ErrSubject", sub, err)
		}
	}
	if _, err := iss.Issue(ctx, "", nil); err != nil {
		t.Errorf("Issue without a subject: %v", err)
	}
	if _, err := iss.Login(ctx, strings.Repeat("ü", issuer.MaxSubjectLength/2), nil); err != nil {
		t.Errorf("Login with a long valid subject: %v", err)
	}
	// A token larger than a verifier takes is refused when minted.
	big := map[string]any{"blob": strings.Repeat("x", 7<<10)}
	if _, err := iss.Issue(ctx, "u", big); !errors.Is(err, issuer.ErrTooLarge) {
		t.Errorf("Issue of a 7 KiB claim: %v; want ErrTooLarge", err)
	}
	if _, err := iss.Login(ctx, "u", big); !errors.Is(err, issuer.ErrTooLarge) {
		t.Errorf("Login of a 7 KiB claim: %v; want ErrTooLarge", err)
	}
	// Values a verifier would refuse are refused when minted.
	deep := any("x")
	for range 100 {
		deep = []any{deep}
	}
	for name, claims := range map[string]map[string]any{
		"number beyond float64": {"n": json.Number("1e400")},
		"nesting too deep":      {"d": deep},
		"reserved gen":          {"gen": 1},
		"case of sid":           {"SID": "x"},
		"not JSON":              {"f": func() {}},
	} {
		if _, err := iss.Login(ctx, "u", claims); !errors.Is(err, issuer.ErrReservedClaim) {
			t.Errorf("%s: Login = %v; want ErrReservedClaim", name, err)
		}
	}
	// A canceled context mints nothing.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := iss.Issue(canceled, "u", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Issue with a canceled context: %v", err)
	}
	if _, err := iss.Login(canceled, "u", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Login with a canceled context: %v", err)
	}
}

func TestConfigDefaultsAndBounds(t *testing.T) {
	key := issuer.SigningKey{Algorithm: "HS256", Key: signers()["HS256"]}
	for name, cfg := range map[string]issuer.Config{
		"grace negative":      {Key: key, RefreshGrace: -time.Second},
		"grace too long":      {Key: key, RefreshGrace: 2 * time.Minute},
		"age too short":       {Key: key, TTL: time.Hour, MaxSessionAge: time.Hour},
		"age too long":        {Key: key, MaxSessionAge: 400 * 24 * time.Hour},
		"per subject too big": {Key: key, MaxSessionsPerSubject: 5000},
		"per subject < 0":     {Key: key, MaxSessionsPerSubject: -1},
	} {
		if _, err := issuer.New(cfg); !errors.Is(err, jwtauth.ErrConfig) {
			t.Errorf("%s: New = %v; want ErrConfig", name, err)
		}
	}
	// The default cap is 32 sessions per subject.
	iss := newIssuer(t, issuer.Config{Key: key})
	for range 40 {
		if _, err := iss.Login(t.Context(), "u", nil); err != nil {
			t.Fatal(err)
		}
	}
	if list, _ := iss.Sessions(t.Context(), "u"); len(list) != 32 {
		t.Errorf("%d sessions after 40 logins; want the default cap of 32", len(list))
	}
}

var jwtB64 = base64.RawURLEncoding
