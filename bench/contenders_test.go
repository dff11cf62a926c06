package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ginjwt "github.com/appleboy/gin-jwt/v3"
	jwtmiddleware "github.com/auth0/go-jwt-middleware/v3"
	"github.com/auth0/go-jwt-middleware/v3/validator"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/gin-gonic/gin"
	chijwt "github.com/go-chi/jwtauth/v5"
	jwt "github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v5"
	"github.com/labstack/echo/v5"
	jwxjwt "github.com/lestrrat-go/jwx/v2/jwt"
)

// Each contender is mounted as its documentation shows, at its newest major
// (the versions are in go.mod), in front of a protected handler that reads
// the subject from the contender's own context and answers 200 (500 when
// the subject is missing). Every contender checks the signature with the
// algorithm pinned, exp, iss and aud (one element of the token's aud array),
// and answers 401 to a token that fails any of them:
//
//   - authkit: Config{Keys, Issuer, Audience}; mw.Handler(next);
//     jwtauth.FromContext(ctx).Subject(). exp is required.
//   - chi (go-chi/jwtauth v5, lestrrat-go/jwx v2; v5 is its newest major):
//     jwtauth.New(alg, nil, key, jwt.WithIssuer, jwt.WithAudience,
//     jwt.WithRequiredClaim("exp")); Verifier then Authenticator;
//     jwtauth.FromContext(ctx) claims["sub"]. exp is required, as by
//     authkit, echo and gin (the bench before did not require it of chi).
//   - auth0 (auth0/go-jwt-middleware v3, lestrrat-go/jwx v3 at the v3.4.0
//     that authkit requires, above auth0's own v3.0.13):
//     validator.New(WithKeyFunc, WithAlgorithm, WithIssuer, WithAudience);
//     jwtmiddleware.New(WithValidator(v)).CheckJWT(next), in its default
//     DPoP mode (allowed: a plain Bearer token passes as such);
//     jwtmiddleware.GetClaims[*validator.ValidatedClaims](ctx)
//     .RegisteredClaims.Subject. exp is checked when present, but cannot be
//     required: the validator has no option for it, and WithCustomClaims
//     would decode the payload a second time, work the others do not do.
//     So auth0 alone accepts a token without exp (TestContendersAgree).
//   - echo (labstack/echo-jwt v5, golang-jwt v5) on an echo/v5 Echo:
//     echo-jwt's default parser checks neither iss nor aud, so the route uses
//     the ParseTokenFunc hook with a golang-jwt parser that does
//     (WithValidMethods, WithIssuer, WithAudience, WithExpirationRequired),
//     claims into jwt.MapClaims as echo-jwt's default; the handler reads
//     c.Get("user").(*jwt.Token).Claims.GetSubject().
//   - gin (appleboy/gin-jwt v3, golang-jwt v5) on a gin.Engine (gin.New, no
//     logger): ParseOptions WithValidMethods, WithIssuer and WithAudience
//     (v2 had no way to check iss or aud but an Authorizator answering 403);
//     Key and SigningAlgorithm for HS256; for RS256, ES256 and EdDSA a
//     KeyFunc (gin-jwt's own RS256 path needs the private key too, and it
//     has no ES256 or EdDSA path), the algorithm pinned by WithValidMethods.
//     gin-jwt requires exp itself, answering 400 when it is missing. The
//     handler reads the identity (IdentityKey "sub") with c.Get.

func init() { gin.SetMode(gin.ReleaseMode) }

// nopWriter is a ResponseWriter that keeps only the status.
type nopWriter struct {
	h    http.Header
	code int
}

func newNopWriter() *nopWriter { return &nopWriter{h: make(http.Header)} }

func (w *nopWriter) Header() http.Header { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(b), nil
}
func (w *nopWriter) WriteHeader(code int) { w.code = code }

// protectedPath is the path every request goes to.
const protectedPath = "/items"

// newRequest is a GET of protectedPath with tok as its bearer token.
func newRequest(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, protectedPath, nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// status serves one fresh request with tok through h and returns the status.
func status(h http.Handler, tok string) int {
	w := newNopWriter()
	h.ServeHTTP(w, newRequest(tok))
	return w.code
}

// contender is one middleware in front of its protected handler.
type contender struct {
	name string
	h    http.Handler
}

// contenders returns every middleware set up for a, in a fixed order:
// authkit (default config, its verified-token cache on), authkit-nocache
// (DisableCache), chi, auth0, echo, gin.
func contenders(tb testing.TB, a *alg) []contender {
	tb.Helper()
	return []contender{
		{"authkit", authkitHandler(tb, a, jwtauth.Config{})},
		{"authkit-nocache", authkitHandler(tb, a, jwtauth.Config{DisableCache: true})},
		{"chi", chiHandler(a)},
		{"auth0", auth0Handler(tb, a)},
		{"echo", echoHandler(a)},
		{"gin", ginHandler(tb, a)},
	}
}

// authkitNext is authkit's protected handler.
var authkitNext = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := jwtauth.FromContext(r.Context())
	if !ok || c.Subject() != subject {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
})

// authkitKeys returns a's key as authkit Keys.
func authkitKeys(a *alg) jwtauth.Keys {
	if a.name == "HS256" {
		return jwtauth.HMAC(a.pub.([]byte))
	}
	return jwtauth.PublicKey(a.name, a.pub)
}

// authkitHandler mounts authkit with cfg, its Keys, Issuer and Audience set
// here when cfg leaves them empty.
func authkitHandler(tb testing.TB, a *alg, cfg jwtauth.Config) http.Handler {
	tb.Helper()
	if cfg.Keys == nil {
		cfg.Keys = authkitKeys(a)
	}
	cfg.Issuer, cfg.Audience = issuer, audience
	m, err := jwtauth.New(cfg)
	if err != nil {
		tb.Fatalf("authkit: %v", err)
	}
	return m.Handler(authkitNext)
}

func chiHandler(a *alg) http.Handler {
	ja := chijwt.New(a.name, nil, a.pub,
		jwxjwt.WithIssuer(issuer), jwxjwt.WithAudience(audience), jwxjwt.WithRequiredClaim("exp"))
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, claims, err := chijwt.FromContext(r.Context())
		if sub, _ := claims["sub"].(string); err != nil || sub != subject {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return chijwt.Verifier(ja)(chijwt.Authenticator(ja)(next))
}

func auth0Handler(tb testing.TB, a *alg) http.Handler {
	tb.Helper()
	key := a.pub
	v, err := validator.New(
		validator.WithKeyFunc(func(context.Context) (any, error) { return key, nil }),
		validator.WithAlgorithm(validator.SignatureAlgorithm(a.name)),
		validator.WithIssuer(issuer),
		validator.WithAudience(audience),
	)
	if err != nil {
		tb.Fatalf("auth0: %v", err)
	}
	mw, err := jwtmiddleware.New(jwtmiddleware.WithValidator(v))
	if err != nil {
		tb.Fatalf("auth0: %v", err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := jwtmiddleware.GetClaims[*validator.ValidatedClaims](r.Context())
		if err != nil || c.RegisteredClaims.Subject != subject {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return mw.CheckJWT(next)
}

func echoHandler(a *alg) http.Handler {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{a.name}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
	)
	key := a.pub
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	e := echo.New()
	e.GET(protectedPath, func(c *echo.Context) error {
		tok, ok := c.Get("user").(*jwt.Token)
		if !ok {
			return c.NoContent(http.StatusInternalServerError)
		}
		if sub, err := tok.Claims.GetSubject(); err != nil || sub != subject {
			return c.NoContent(http.StatusInternalServerError)
		}
		return c.NoContent(http.StatusOK)
	}, echojwt.WithConfig(echojwt.Config{
		ParseTokenFunc: func(c *echo.Context, auth string) (any, error) {
			return parser.ParseWithClaims(auth, jwt.MapClaims{}, keyFunc)
		},
	}))
	return e
}

func ginHandler(tb testing.TB, a *alg) http.Handler {
	tb.Helper()
	cfg := &ginjwt.GinJWTMiddleware{
		Realm:            "api",
		SigningAlgorithm: a.name,
		IdentityKey:      "sub",
		ParseOptions: []jwt.ParserOption{
			jwt.WithValidMethods([]string{a.name}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
		},
	}
	if a.name == "HS256" {
		cfg.Key = a.pub.([]byte)
	} else {
		key := a.pub
		cfg.KeyFunc = func(*jwt.Token) (any, error) { return key, nil }
	}
	mw, err := ginjwt.New(cfg)
	if err != nil {
		tb.Fatalf("gin-jwt: %v", err)
	}
	e := gin.New()
	e.GET(protectedPath, mw.MiddlewareFunc(), func(c *gin.Context) {
		if sub, _ := c.Get("sub"); sub != subject {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.Status(http.StatusOK)
	})
	return e
}

// Floors: the least work any verifier of these tokens does, without HTTP,
// done the straightforward way with the standard library: base64-decode the
// three segments of the token, check the signature, and decode the claims
// with encoding/json. Every algorithm's floor does all three, over the same
// cycled pool of tokens as the contenders, so that a ratio to the floor
// compares the same work.

// floorClaims is the small struct the floors decode the payload into: the
// claims every contender checks or reads.
type floorClaims struct {
	Sub string   `json:"sub"`
	Iss string   `json:"iss"`
	Aud []string `json:"aud"`
	Exp int64    `json:"exp"`
	Iat int64    `json:"iat"`
}

// floorVerify decodes the three segments of tok, checks its signature with
// the standard library (checkSig) and unmarshals the payload with
// encoding/json: what every verifier does at least. It reports whether tok
// verified and decoded.
func floorVerify(algName string, key any, tok string) bool {
	i := strings.IndexByte(tok, '.')
	j := strings.LastIndexByte(tok, '.')
	if i < 0 || j <= i {
		return false
	}
	if _, err := b64.DecodeString(tok[:i]); err != nil {
		return false
	}
	payload, err := b64.DecodeString(tok[i+1 : j])
	if err != nil {
		return false
	}
	sig, err := b64.DecodeString(tok[j+1:])
	if err != nil {
		return false
	}
	if !checkSig(algName, key, []byte(tok[:j]), sig) {
		return false
	}
	var c floorClaims
	return json.Unmarshal(payload, &c) == nil && c.Sub != ""
}

// checkSig is the standard library's check of sig over input: HS256 with a
// freshly keyed hmac.New, RS256 (SHA-256 and rsa.VerifyPKCS1v15), ES256
// (SHA-256, r||s into big.Ints, ecdsa.Verify) and EdDSA (ed25519.Verify).
func checkSig(algName string, key any, input, sig []byte) bool {
	switch algName {
	case "HS256":
		m := hmac.New(sha256.New, key.([]byte))
		m.Write(input)
		return hmac.Equal(m.Sum(nil), sig)
	case "RS256":
		d := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), crypto.SHA256, d[:], sig) == nil
	case "ES256":
		if len(sig) != 64 {
			return false
		}
		d := sha256.Sum256(input)
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(key.(*ecdsa.PublicKey), d[:], r, s)
	case "EdDSA":
		return ed25519.Verify(key.(ed25519.PublicKey), input, sig)
	}
	panic(fmt.Sprintf("no floor for %s", algName))
}
