package jwtauth_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/jwtauth"
)

// The vectors in testdata/ were made by PyJWT, python-jose and npm jose (see
// testdata/VECTORS.md). These tests load them as they are; attacks_test.go
// checks the same classes with keys made fresh on every run.

type interopFile struct {
	Keys map[string]struct {
		Kty       string `json:"kty"`
		Secret    string `json:"secret"`
		Alg       string `json:"alg"`
		Kid       string `json:"kid"`
		PublicPEM string `json:"public_pem"`
	} `json:"keys"`
	JWKS   json.RawMessage `json:"jwks"`
	Tokens []struct {
		ID             string         `json:"id"`
		Alg            string         `json:"alg"`
		Key            string         `json:"key"`
		Token          string         `json:"token"`
		ExpectedClaims map[string]any `json:"expected_claims"`
		VerifyOptions  struct {
			Algorithms       []string `json:"algorithms"`
			Leeway           int      `json:"leeway_seconds"`
			ExpectedIssuer   string   `json:"expected_issuer"`
			ExpectedAudience string   `json:"expected_audience"`
		} `json:"verify_options"`
	} `json:"tokens"`
}

type attackFile struct {
	Configs map[string]struct {
		Algorithms       []string        `json:"algorithms"`
		Secret           string          `json:"secret"`
		PublicPEM        string          `json:"public_pem"`
		JWKS             json.RawMessage `json:"jwks"`
		ExpectedIssuer   string          `json:"expected_issuer"`
		ExpectedAudience string          `json:"expected_audience"`
	} `json:"verifier_configs"`
	Controls []struct {
		ID             string         `json:"id"`
		Config         string         `json:"config"`
		Token          string         `json:"token"`
		ExpectedClaims map[string]any `json:"expected_claims"`
	} `json:"controls"`
	Attacks []struct {
		ID          string `json:"id"`
		Attack      string `json:"attack"`
		Config      string `json:"config"`
		Requirement string `json:"requirement"`
		Token       string `json:"token"`
	} `json:"attacks"`
}

func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func parsePEM(t testing.TB, s string) any {
	t.Helper()
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		t.Fatal("no PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func mustNew(t testing.TB, cfg jwtauth.Config) *jwtauth.Middleware {
	t.Helper()
	m, err := jwtauth.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// sameClaims compares the claims in the request context with what the vector
// expects, exactly: no claim added, dropped or changed.
func sameClaims(t *testing.T, c *jwtauth.Claims, want map[string]any) {
	t.Helper()
	raw, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claims = %v, want %v", got, want)
	}
	var typed map[string]any
	if err := c.Decode(&typed); err != nil || !reflect.DeepEqual(typed, want) {
		t.Errorf("Decode = %v, %v", typed, err)
	}
	if s, ok := want["sub"].(string); ok && c.Subject() != s {
		t.Errorf("Subject() = %q, want %q", c.Subject(), s)
	}
	if exp, ok := want["exp"].(float64); ok && c.ExpiresAt().Unix() != int64(exp) {
		t.Errorf("ExpiresAt() = %v, want %v", c.ExpiresAt(), exp)
	}
}

// serve sends token as a bearer token through m.Handler and returns the
// response and the claims the protected handler saw.
func serve(m *jwtauth.Middleware, token string) (*httptest.ResponseRecorder, *jwtauth.Claims) {
	var got *jwtauth.Claims
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = jwtauth.FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, got
}

func TestInteropVectors(t *testing.T) {
	var f interopFile
	loadJSON(t, "interop_tokens.json", &f)
	if len(f.Tokens) == 0 {
		t.Fatal("no vectors")
	}
	// One verifier for vectors of several audiences; each vector's own
	// verifier below checks its audience.
	jwks := mustNew(t, jwtauth.Config{Keys: jwtauth.KeySet(f.JWKS), InsecureAnyAudience: true})
	for _, v := range f.Tokens {
		t.Run(v.ID, func(t *testing.T) {
			k := f.Keys[v.Key]
			var keys jwtauth.Keys
			if k.Kty == "oct" {
				keys = jwtauth.SecretKey(v.Alg, []byte(k.Secret))
			} else {
				keys = jwtauth.PublicKey(v.Alg, parsePEM(t, k.PublicPEM))
			}
			m := mustNew(t, jwtauth.Config{
				Keys:     keys,
				Issuer:   v.VerifyOptions.ExpectedIssuer,
				Audience: v.VerifyOptions.ExpectedAudience,
			})
			w, claims := serve(m, v.Token)
			if w.Code != http.StatusNoContent || claims == nil {
				t.Fatalf("status %d, body %s", w.Code, w.Body)
			}
			sameClaims(t, claims, v.ExpectedClaims)

			// The same token through the vectors' JWK Set, selected by kid.
			if k.Kid != "" {
				if _, claims := serve(jwks, v.Token); claims == nil {
					t.Errorf("rejected through the JWK Set")
				}
			}
		})
	}
}

// attackErrors says, per attack class, which errors are right. Every one of
// them also matches ErrInvalidToken or ErrInvalidRequest.
var attackErrors = map[string][]error{
	"alg_none":               {jwtauth.ErrAlgorithm, jwtauth.ErrTokenMalformed}, // "none" has an empty signature
	"alg_not_in_allowlist":   {jwtauth.ErrAlgorithm},
	"alg_confusion_hs_rs":    {jwtauth.ErrAlgorithm},
	"alg_confusion_hs_ec":    {jwtauth.ErrAlgorithm},
	"empty_signature":        {jwtauth.ErrTokenMalformed},
	"signature_stripped":     {jwtauth.ErrTokenMalformed},
	"tampered_payload":       {jwtauth.ErrSignature},
	"wrong_key":              {jwtauth.ErrSignature},
	"kid_path_traversal":     {jwtauth.ErrSignature, jwtauth.ErrUnknownKey},
	"expired":                {jwtauth.ErrTokenExpired},
	"nbf_future":             {jwtauth.ErrTokenNotYetValid},
	"issuer_mismatch":        {jwtauth.ErrIssuer},
	"audience_mismatch":      {jwtauth.ErrAudience},
	"json_duplicate_keys":    {jwtauth.ErrTokenMalformed},
	"crit_unknown":           {jwtauth.ErrUnsupportedHeader},
	"jws_json_serialization": {jwtauth.ErrTokenMalformed},
	"jwe_instead_of_jws":     {jwtauth.ErrTokenMalformed},
	"dos_many_segments":      {jwtauth.ErrTokenTooLarge, jwtauth.ErrTokenMalformed},
	"embedded_jwk":           {jwtauth.ErrSignature},
	"jku_ssrf":               {jwtauth.ErrSignature, jwtauth.ErrUnknownKey},
	"psychic_signature":      {jwtauth.ErrSignature},
	"ecdsa_der_signature":    {jwtauth.ErrSignature},
}

func TestAttackVectors(t *testing.T) {
	var f attackFile
	loadJSON(t, "attack_tokens.json", &f)
	mws := map[string]*jwtauth.Middleware{}
	for name, c := range f.Configs {
		var keys jwtauth.Keys
		switch {
		case len(c.JWKS) > 0:
			keys = jwtauth.KeySet(c.JWKS)
		case c.Secret != "":
			keys = jwtauth.SecretKey(c.Algorithms[0], []byte(c.Secret))
		default:
			keys = jwtauth.PublicKey(c.Algorithms[0], parsePEM(t, c.PublicPEM))
		}
		mws[name] = mustNew(t, jwtauth.Config{Keys: keys, Issuer: c.ExpectedIssuer, Audience: c.ExpectedAudience})
	}

	// Controls first: a rejection below means nothing if the config is wrong.
	for _, c := range f.Controls {
		w, claims := serve(mws[c.Config], c.Token)
		if w.Code != http.StatusNoContent || claims == nil {
			t.Fatalf("control %s: status %d, body %s", c.ID, w.Code, w.Body)
		}
		sameClaims(t, claims, c.ExpectedClaims)
	}
	if len(f.Attacks) == 0 {
		t.Fatal("no attacks")
	}
	for _, a := range f.Attacks {
		t.Run(a.ID, func(t *testing.T) {
			m := mws[a.Config]
			claims, err := m.Verify(t.Context(), a.Token)
			if err == nil || claims != nil {
				t.Fatalf("%s (%s, %s): accepted", a.ID, a.Attack, a.Requirement)
			}
			if !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("error %v does not match ErrInvalidToken", err)
			}
			want, ok := attackErrors[a.Attack]
			if !ok {
				t.Fatalf("attack class %q has no expected error: add it to attackErrors", a.Attack)
			}
			if !matchesAny(err, want) {
				t.Errorf("error %v, want one of %v", err, want)
			}

			// Over HTTP: 401 invalid_token, or 400 invalid_request when the
			// credential is not even a b64token (the JSON serialisations).
			w, claims := serve(m, a.Token)
			if claims != nil {
				t.Fatal("handler reached")
			}
			challenge := w.Header().Get("WWW-Authenticate")
			switch w.Code {
			case http.StatusUnauthorized:
				if !strings.Contains(challenge, `error="invalid_token"`) {
					t.Errorf("401 challenge %q", challenge)
				}
			case http.StatusBadRequest:
				if a.Attack != "jws_json_serialization" || !strings.Contains(challenge, `error="invalid_request"`) {
					t.Errorf("400 for %s, challenge %q", a.Attack, challenge)
				}
			default:
				t.Errorf("status %d", w.Code)
			}
			if body := w.Body.String(); len(a.Token) > 16 && strings.Contains(body, a.Token[:16]) {
				t.Errorf("response body echoes the token: %s", body)
			}
		})
	}
}

func matchesAny(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
