package grpcauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/authkit-go/authkit/grpcauth"
	"github.com/authkit-go/authkit/jwtauth"
)

// claimsOf verifies a token minted by hand with payload, plus exp, and
// returns its claims.
func claimsOf(t *testing.T, mw *jwtauth.Middleware, payload string) *jwtauth.Claims {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		t.Fatal(err)
	}
	m["exp"] = json.RawMessage(jsonInt(time.Now().Add(time.Hour).Unix()))
	c, err := mw.Verify(context.Background(), mint(map[string]any{"alg": "HS256", "kid": kid}, m))
	if err != nil {
		t.Fatalf("Verify(%s): %v", payload, err)
	}
	return c
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestGuardCheck checks each guard's decision on claims, without a server:
// rows that should pass, and the lookalikes that should not.
func TestGuardCheck(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	admin := grpcauth.RequireClaim("role", "admin")
	present := grpcauth.RequireClaim("role")
	write := grpcauth.RequireScope("items:write")
	both := grpcauth.RequireScope("items:read", "items:write")
	fresh := grpcauth.RequireFresh()

	for _, tc := range []struct {
		name    string
		guard   grpcauth.Guard
		payload string
		want    error // nil: allowed
	}{
		{"claim string", admin, `{"role":"admin"}`, nil},
		{"claim in array", admin, `{"role":["user","admin"]}`, nil},
		{"claim escaped", admin, `{"role":"\u0061dmin"}`, nil},
		{"claim another value", admin, `{"role":"user"}`, jwtauth.ErrClaimValue},
		{"claim value with different case", admin, `{"role":"Admin"}`, jwtauth.ErrClaimValue},
		{"claim value with space", admin, `{"role":"admin "}`, jwtauth.ErrClaimValue},
		{"claim value as a prefix", admin, `{"role":"administrator"}`, jwtauth.ErrClaimValue},
		{"claim values joined", admin, `{"role":"user admin"}`, jwtauth.ErrClaimValue},
		{"claim absent", admin, `{"sub":"admin"}`, jwtauth.ErrClaimValue},
		{"claim null", admin, `{"role":null}`, jwtauth.ErrClaimValue},
		{"claim number", admin, `{"role":1}`, jwtauth.ErrClaimValue},
		{"claim true", admin, `{"role":true}`, jwtauth.ErrClaimValue},
		{"claim object", admin, `{"role":{"admin":"admin"}}`, jwtauth.ErrClaimValue},
		{"claim nested array", admin, `{"role":[["admin"]]}`, jwtauth.ErrClaimValue},
		{"claim in another claim", admin, `{"roles":"admin"}`, jwtauth.ErrClaimValue},
		{"claim upper-case name", admin, `{"ROLE":"admin"}`, jwtauth.ErrClaimName},
		{"claim mixed-case name", admin, `{"rOlE":"admin"}`, jwtauth.ErrClaimName},
		{"claim fold variant", grpcauth.RequireClaim("kind", "admin"), `{"\u212aind":"admin"}`, jwtauth.ErrClaimName},
		{"claim present", present, `{"role":"anything"}`, nil},
		{"claim present, empty array", present, `{"role":[]}`, nil},
		{"claim present, null", present, `{"role":null}`, jwtauth.ErrClaimValue},
		{"claim present, absent", present, `{}`, jwtauth.ErrClaimValue},

		{"scope string", write, `{"scope":"items:read items:write"}`, nil},
		{"scp array", write, `{"scp":["items:write"]}`, nil},
		{"scp string", write, `{"scp":"items:write"}`, nil},
		{"scope absent", write, `{}`, jwtauth.ErrMissingScope},
		{"scope prefix", write, `{"scope":"items:writer"}`, jwtauth.ErrMissingScope},
		{"scope with no-break space", write, `{"scope":"items:read\u00a0items:write"}`, jwtauth.ErrMissingScope},
		{"scope with tab", write, `{"scope":"items:read\titems:write"}`, jwtauth.ErrMissingScope},
		{"scope upper case", write, `{"scope":"ITEMS:WRITE"}`, jwtauth.ErrMissingScope},
		{"scope as a number array", write, `{"scp":[1]}`, jwtauth.ErrMissingScope},
		{"scope in another claim", write, `{"scopes":"items:write"}`, jwtauth.ErrMissingScope},
		{"all scopes", both, `{"scope":"items:write items:read"}`, nil},
		{"one of two scopes", both, `{"scope":"items:write"}`, jwtauth.ErrMissingScope},

		{"fresh", fresh, `{"fresh":true}`, nil},
		{"not fresh", fresh, `{"fresh":false}`, jwtauth.ErrNotFresh},
		{"fresh absent", fresh, `{}`, jwtauth.ErrNotFresh},
		{"fresh as a string", fresh, `{"fresh":"true"}`, jwtauth.ErrNotFresh},
		{"fresh as a number", fresh, `{"fresh":1}`, jwtauth.ErrNotFresh},

		{"All passes", grpcauth.All(write, fresh), `{"scope":"items:write","fresh":true}`, nil},
		{"All, first refuses", grpcauth.All(write, fresh), `{"fresh":true}`, jwtauth.ErrMissingScope},
		{"All, second refuses", grpcauth.All(write, fresh), `{"scope":"items:write"}`, jwtauth.ErrNotFresh},

		{"zero Guard", grpcauth.Guard{}, `{"scope":"items:write"}`, jwtauth.ErrGuard},
		{"empty scope", grpcauth.RequireScope(""), `{"scope":""}`, jwtauth.ErrGuard},
		{"empty claim name", grpcauth.RequireClaim(""), `{"role":"x"}`, jwtauth.ErrGuard},
		{"empty claim value", grpcauth.RequireClaim("role", ""), `{"role":""}`, jwtauth.ErrGuard},
		{"All of nothing", grpcauth.All(), `{}`, jwtauth.ErrGuard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.guard.Check(claimsOf(t, mw, tc.payload))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Check(%s) = %v, want %v", tc.payload, err, tc.want)
			}
			if tc.want != nil && errors.Is(tc.want, jwtauth.ErrInsufficientScope) && !errors.Is(err, jwtauth.ErrInsufficientScope) {
				t.Errorf("Check(%s) = %v, which does not match ErrInsufficientScope", tc.payload, err)
			}
		})
	}
}

// TestGuardCheckNilClaims checks that a guard refuses a call without
// claims, and that one that requires nothing says so first.
func TestGuardCheckNilClaims(t *testing.T) {
	if err := grpcauth.RequireFresh().Check(nil); !errors.Is(err, jwtauth.ErrMissingToken) {
		t.Errorf("Check(nil) = %v, want ErrMissingToken", err)
	}
	if err := grpcauth.RequireScope("").Check(nil); !errors.Is(err, jwtauth.ErrGuard) {
		t.Errorf("Check(nil) = %v, want ErrGuard", err)
	}
}

// TestGuardsCopyTheirArguments checks that changing the slice given to a
// guard after making it changes nothing.
func TestGuardsCopyTheirArguments(t *testing.T) {
	iss := newIssuer(t, nil)
	mw := newMiddleware(t, iss, jwtauth.Config{})
	values := []string{"admin"}
	admin := grpcauth.RequireClaim("role", values...)
	scopes := []string{"items:write"}
	write := grpcauth.RequireScope("items:read", scopes...)
	values[0], scopes[0] = "user", "items:read"

	c := claimsOf(t, mw, `{"role":"user","scope":"items:read"}`)
	if err := admin.Check(c); err == nil {
		t.Error("RequireClaim followed a change of its values")
	}
	if err := write.Check(c); err == nil {
		t.Error("RequireScope followed a change of its scopes")
	}
}
