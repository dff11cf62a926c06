package jwtauth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
)

const (
	kitScopeDesc = "the access token lacks a required scope"
	kitNoScope   = `Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope"`
	kitClaimDesc = "the access token lacks a required claim value"
	kitNoClaim   = `Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required claim value"`
	kitFreshDesc = "a fresh login is required"
)

// kitGuarded sends a request with a token made of claims through
// m.Handler(guard(probe)) and returns the response and whether probe ran.
func kitGuarded(t *testing.T, m *jwtauth.Middleware, guard func(http.Handler) http.Handler, claims map[string]any) (*http.Response, []byte, *kitProbe) {
	t.Helper()
	probe := &kitProbe{}
	r := kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+kitToken(t, claims))
	w := httptest.NewRecorder()
	m.Handler(guard(probe)).ServeHTTP(w, r)
	return w.Result(), w.Body.Bytes(), probe
}

func TestRequireScope(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	read := jwtauth.RequireScope("items:read")
	readWrite := jwtauth.RequireScope("items:read", "items:write")
	challenge := func(scope string) string { return kitNoScope + `, scope="` + scope + `"` }

	for _, tc := range []struct {
		name   string
		guard  func(http.Handler) http.Handler
		claims []any // more claims for kitClaims
		ok     bool
		scope  string // the scope parameter of the challenge when !ok
	}{
		{"scope, exact", read, []any{"scope", "items:read"}, true, ""},
		{"scope, among others", read, []any{"scope", "a items:read b"}, true, ""},
		{"scope, extra spaces", read, []any{"scope", "  a   items:read  "}, true, ""},
		{"scope, escaped", read, []any{"scope", json.RawMessage(`"items\u003aread"`)}, true, ""},
		{"scp, escaped", read, []any{"scp", json.RawMessage(`["items\u003aread"]`)}, true, ""},
		{"scp, array", read, []any{"scp", []string{"a", "items:read"}}, true, ""},
		{"scp, string", read, []any{"scp", "a items:read"}, true, ""},
		{"scope and scp", read, []any{"scope", "a", "scp", []string{"items:read"}}, true, ""},
		{"scope, missing", read, nil, false, "items:read"},
		{"scope, other", read, []any{"scope", "items:write"}, false, "items:read"},
		{"scope, prefix", read, []any{"scope", "items:readonly"}, false, "items:read"},
		{"scope, suffix", read, []any{"scope", "xitems:read"}, false, "items:read"},
		{"scope, case", read, []any{"scope", "Items:Read"}, false, "items:read"},
		{"scope, comma-separated", read, []any{"scope", "a,items:read"}, false, "items:read"},
		{"scope, empty", read, []any{"scope", ""}, false, "items:read"},
		{"scope, null", read, []any{"scope", nil}, false, "items:read"},
		{"scope, number", read, []any{"scope", 1}, false, "items:read"},
		{"scp, array with null", read, []any{"scp", []any{nil, "items:read"}}, false, "items:read"},
		{"scp, array of one string with spaces", read, []any{"scp", []string{"a items:read"}}, false, "items:read"},
		{"scp, object", read, []any{"scp", map[string]any{"items:read": true}}, false, "items:read"},
		{"other claim", read, []any{"scopes", "items:read"}, false, "items:read"},
		{"two scopes, both", readWrite, []any{"scope", "items:write items:read"}, true, ""},
		{"two scopes, split over scope and scp", readWrite, []any{"scope", "items:read", "scp", []string{"items:write"}}, true, ""},
		{"two scopes, one", readWrite, []any{"scope", "items:read"}, false, "items:read items:write"},
		{"two scopes, other one", readWrite, []any{"scp", []string{"items:write"}}, false, "items:read items:write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body, probe := kitGuarded(t, m, tc.guard, kitClaims("alice", tc.claims...))
			if tc.ok {
				if probe.reached != 1 || res.StatusCode != 200 {
					t.Fatalf("not let through: %d %s", res.StatusCode, body)
				}
				if probe.claims.Subject() != "alice" {
					t.Errorf("subject = %q", probe.claims.Subject())
				}
				return
			}
			if probe.reached != 0 {
				t.Fatal("next handler reached")
			}
			kitCheckProblem(t, res, body, 403, challenge(tc.scope), "insufficient_scope", kitScopeDesc)
		})
	}
}

func TestRequireClaim(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	admin := jwtauth.RequireClaim("role", "admin")
	staff := jwtauth.RequireClaim("role", "admin", "staff")
	present := jwtauth.RequireClaim("role")

	for _, tc := range []struct {
		name   string
		guard  func(http.Handler) http.Handler
		claims []any
		ok     bool
	}{
		{"string", admin, []any{"role", "admin"}, true},
		{"escaped string", admin, []any{"role", json.RawMessage(`"adm\u0069n"`)}, true},
		{"escaped array", admin, []any{"role", json.RawMessage(`["adm\u0069n"]`)}, true},
		{"array", admin, []any{"role", []string{"user", "admin"}}, true},
		{"other string", admin, []any{"role", "user"}, false},
		{"case", admin, []any{"role", "Admin"}, false},
		{"prefix", admin, []any{"role", "administrator"}, false},
		{"space-separated", admin, []any{"role", "user admin"}, false},
		{"array without", admin, []any{"role", []string{"user"}}, false},
		{"empty array", admin, []any{"role", []string{}}, false},
		{"array with null", admin, []any{"role", []any{nil, "admin"}}, false},
		{"array with number", admin, []any{"role", []any{1, "admin"}}, false},
		{"nested array", admin, []any{"role", []any{[]string{"admin"}}}, false},
		{"missing", admin, nil, false},
		{"null", admin, []any{"role", nil}, false},
		{"number", admin, []any{"role", 1}, false},
		{"true", admin, []any{"role", true}, false},
		{"object", admin, []any{"role", map[string]any{"admin": true}}, false},
		{"other name", admin, []any{"roles", "admin"}, false},
		{"one of two", staff, []any{"role", "staff"}, true},
		{"array, one of two", staff, []any{"role", []string{"x", "staff"}}, true},
		{"none of two", staff, []any{"role", "user"}, false},
		{"present, string", present, []any{"role", "anything"}, true},
		{"present, empty string", present, []any{"role", ""}, true},
		{"present, false", present, []any{"role", false}, true},
		{"present, empty array", present, []any{"role", []string{}}, true},
		{"present, null", present, []any{"role", nil}, false},
		{"present, missing", present, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body, probe := kitGuarded(t, m, tc.guard, kitClaims("alice", tc.claims...))
			if tc.ok {
				if probe.reached != 1 || res.StatusCode != 200 {
					t.Fatalf("not let through: %d %s", res.StatusCode, body)
				}
				return
			}
			if probe.reached != 0 {
				t.Fatal("next handler reached")
			}
			// No scope parameter: a claim is not a scope.
			kitCheckProblem(t, res, body, 403, kitNoClaim, "insufficient_scope", kitClaimDesc)
		})
	}
}

// TestGuardWithoutClaims: a guard that is not behind the Middleware, or
// behind an Optional one with no token, answers 401 and never lets through.
func TestGuardWithoutClaims(t *testing.T) {
	for name, guard := range map[string]func(http.Handler) http.Handler{
		"RequireScope":       jwtauth.RequireScope("items:read"),
		"RequireClaim":       jwtauth.RequireClaim("role", "admin"),
		"RequireClaim(name)": jwtauth.RequireClaim("role"),
		"RequireFresh":       jwtauth.RequireFresh(),
	} {
		t.Run(name, func(t *testing.T) {
			probe := &kitProbe{}
			w := httptest.NewRecorder()
			guard(probe).ServeHTTP(w, kitReq("GET", kitTarget, nil))
			if probe.reached != 0 {
				t.Fatal("reached without claims")
			}
			kitCheckProblem(t, w.Result(), w.Body.Bytes(), 401, kitBare, "unauthorized", kitDescMissing)

			// A nil *Claims in the context is no claims.
			probe = &kitProbe{}
			w = httptest.NewRecorder()
			r := kitReq("GET", kitTarget, nil)
			guard(probe).ServeHTTP(w, r.WithContext(jwtauth.NewContext(r.Context(), nil)))
			if probe.reached != 0 || w.Code != 401 {
				t.Errorf("nil claims: reached=%d status=%d", probe.reached, w.Code)
			}
		})
	}
}

// TestGuardZeroClaims: claims that no Middleware verified (a zero Claims in
// a test's context) get the default response.
func TestGuardZeroClaims(t *testing.T) {
	probe := &kitProbe{}
	w := httptest.NewRecorder()
	r := kitReq("GET", kitTarget, nil)
	r = r.WithContext(jwtauth.NewContext(r.Context(), &jwtauth.Claims{}))
	jwtauth.RequireScope("items:read")(probe).ServeHTTP(w, r)
	if probe.reached != 0 {
		t.Fatal("reached")
	}
	kitCheckProblem(t, w.Result(), w.Body.Bytes(), 403, kitNoScope+`, scope="items:read"`, "insufficient_scope", kitScopeDesc)
}

// TestGuardScopeNotEchoed: a scope that is not an RFC 6749 scope-token (and so
// could not be written in the challenge, or would inject parameters) makes a
// guard that fails closed: 500 for every request, nothing echoed.
func TestGuardScopeNotEchoed(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	for _, scope := range []string{
		`items"read`,
		`items:read", error="x`,
		`a\b`,
		"a\r\nX-Injected: 1",
		"tab\there",
		"two words",
		"é",
		"",
	} {
		t.Run(scope, func(t *testing.T) {
			guard := jwtauth.RequireScope("items:read", scope)
			res, body, probe := kitGuarded(t, m, guard, kitClaims("alice", "scope", "items:read "+scope))
			if probe.reached != 0 {
				t.Fatal("reached")
			}
			kitCheckProblem(t, res, body, 500, "", "internal_server_error", "authentication unavailable")
			if scope != "" && (bytes.Contains(body, []byte(scope)) || strings.Contains(res.Header.Get("WWW-Authenticate"), scope)) {
				t.Errorf("scope %q echoed", scope)
			}
			if res.Header.Get("X-Injected") != "" {
				t.Error("header injected")
			}
		})
	}
}

// TestGuardUsesMiddleware: claims carry the Middleware that verified them, so
// a guard answers with its Realm, its ErrorHandler and its Logger.
func TestGuardUsesMiddleware(t *testing.T) {
	noScope := kitClaims("alice", "scope", "other", "role", "user")

	t.Run("Realm", func(t *testing.T) {
		m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Realm: "shop"})
		res, body, _ := kitGuarded(t, m, jwtauth.RequireScope("items:read"), noScope)
		kitCheckProblem(t, res, body, 403,
			`Bearer realm="shop", error="insufficient_scope", error_description="the access token lacks a required scope", scope="items:read"`,
			"insufficient_scope", kitScopeDesc)
		res, body, _ = kitGuarded(t, m, jwtauth.RequireClaim("role", "admin"), noScope)
		kitCheckProblem(t, res, body, 403,
			`Bearer realm="shop", error="insufficient_scope", error_description="the access token lacks a required claim value"`,
			"insufficient_scope", kitClaimDesc)
	})

	t.Run("ErrorHandler", func(t *testing.T) {
		var errs []error
		m := kitNew(t, jwtauth.Config{
			Keys: jwtauth.HMAC(kitSecret),
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				errs = append(errs, err)
				w.WriteHeader(jwtauth.StatusCode(err) + 50)
			},
		})
		for _, guard := range []func(http.Handler) http.Handler{
			jwtauth.RequireScope("items:read"),
			jwtauth.RequireClaim("role", "admin"),
			jwtauth.RequireFresh(),
		} {
			res, _, probe := kitGuarded(t, m, guard, noScope)
			if probe.reached != 0 || res.StatusCode != 453 || res.Header.Get("WWW-Authenticate") != "" {
				t.Errorf("response %d %q, reached=%d: not the ErrorHandler's", res.StatusCode, res.Header.Get("WWW-Authenticate"), probe.reached)
			}
		}
		if len(errs) != 3 {
			t.Fatalf("ErrorHandler called %d times, want 3", len(errs))
		}
		for _, err := range errs {
			if !errors.Is(err, jwtauth.ErrInsufficientScope) || errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("err = %v, want ErrInsufficientScope", err)
			}
		}
		if !errors.Is(errs[2], jwtauth.ErrNotFresh) {
			t.Errorf("RequireFresh: err = %v, want ErrNotFresh", errs[2])
		}
	})

	t.Run("Logger", func(t *testing.T) {
		var buf bytes.Buffer
		m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
		kitGuarded(t, m, jwtauth.RequireScope("items:read"), noScope)
		kitGuarded(t, m, jwtauth.RequireScope("items:read"), kitClaims("alice", "scope", "items:read"))
		lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
		if len(lines) != 1 {
			t.Fatalf("%d records, want 1:\n%s", len(lines), buf.Bytes())
		}
		var rec struct {
			Status int    `json:"status"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(lines[0], &rec); err != nil || rec.Status != 403 || rec.Reason != jwtauth.ErrMissingScope.Error() {
			t.Errorf("record %s: %v", lines[0], err)
		}
	})

	t.Run("two middlewares", func(t *testing.T) {
		// Each request is answered by the Middleware that verified its token.
		a := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Realm: "a"})
		b := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret), Realm: "b"})
		guard := jwtauth.RequireScope("items:read")
		for m, realm := range map[*jwtauth.Middleware]string{a: "a", b: "b"} {
			res, _, _ := kitGuarded(t, m, guard, noScope)
			if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="`+realm+`"`) {
				t.Errorf("challenge %q, want realm %q", got, realm)
			}
		}
	})
}

// TestGuardOptionalNoToken: behind an Optional Middleware, a request without
// a token reaches the guard without claims. The guard must then answer for
// that Middleware, as for a request that has claims: Config.Realm is "the
// realm of the WWW-Authenticate challenge", Config.ErrorHandler "writes the
// response for a rejected request" and Config.Logger gets "one record per
// rejected request".
func TestGuardOptionalNoToken(t *testing.T) {
	var buf bytes.Buffer
	var handled []error
	m := kitNew(t, jwtauth.Config{
		Keys:     jwtauth.HMAC(kitSecret),
		Optional: true,
		Realm:    "shop",
		Logger:   slog.New(slog.NewJSONHandler(&buf, nil)),
	})
	mux := http.NewServeMux()
	mux.Handle("GET /public", &kitProbe{})
	mux.Handle("GET /orders", jwtauth.RequireScope("orders:read")(&kitProbe{}))
	h := m.Handler(mux)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, kitReq("GET", "/public", nil))
	if w.Code != 200 {
		t.Fatalf("public page without a token: %d", w.Code)
	}

	w = httptest.NewRecorder()
	h.ServeHTTP(w, kitReq("GET", "/orders", nil))
	if w.Code != 401 {
		t.Fatalf("guarded page without a token: %d, want 401", w.Code)
	}
	if got, want := w.Header().Get("WWW-Authenticate"), `Bearer realm="shop"`; got != want {
		t.Errorf("WWW-Authenticate = %q, want %q (Config.Realm)", got, want)
	}
	if buf.Len() == 0 {
		t.Error("the rejection was not logged")
	}

	m = kitNew(t, jwtauth.Config{
		Keys:     jwtauth.HMAC(kitSecret),
		Optional: true,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			handled = append(handled, err)
			w.WriteHeader(http.StatusTeapot)
		},
	})
	w = httptest.NewRecorder()
	m.Handler(mux).ServeHTTP(w, kitReq("GET", "/orders", nil))
	if len(handled) != 1 || !errors.Is(handled[0], jwtauth.ErrMissingToken) || w.Code != http.StatusTeapot {
		t.Errorf("ErrorHandler got %v, response %d: want it called with ErrMissingToken", handled, w.Code)
	}
}

// TestGuardOrder: a guard outside the Middleware sees no claims and refuses
// even a valid token. (The documented place is inside.)
func TestGuardOrder(t *testing.T) {
	m := kitNew(t, jwtauth.Config{Keys: jwtauth.HMAC(kitSecret)})
	probe := &kitProbe{}
	h := jwtauth.RequireScope("items:read")(m.Handler(probe))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, kitReq("GET", kitTarget, nil, "Authorization", "Bearer "+kitToken(t, kitClaims("alice", "scope", "items:read"))))
	if probe.reached != 0 || w.Code != 401 {
		t.Errorf("guard outside: reached=%d status=%d", probe.reached, w.Code)
	}
}
