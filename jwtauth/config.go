package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Config configures a [Middleware]. Only Keys (or Issuers) is required; every other field's
// zero value is the safe default. [New] validates the whole Config once and
// copies it, so changing a Config after New has no effect.
type Config struct {
	// Keys verifies token signatures, and decides which algorithms are
	// accepted: only those the keys are bound to. Required. See [HMAC],
	// [SecretKey], [PublicKey], [KeySet], [Remote], [KeyRing] and the Keys
	// of an issuer (package jwtauth/issuer).
	Keys Keys

	// Issuer, when set, is required to equal the token's iss claim exactly
	// (case-sensitive, no normalisation; RFC 7519 §4.1.1). A token without iss
	// is then rejected. Default: iss is not checked. Set it whenever the keys
	// are shared with anything that is not this one issuer (RFC 8725 §3.8).
	Issuer string

	// Audience, when set, is required to be the token's aud claim or one of
	// its elements (RFC 7519 §4.1.3). A token without aud is then rejected.
	// Default: a token that carries an aud is rejected, as PyJWT does, since
	// a verifier that names no audience cannot tell whether the token was
	// minted for it or for another service of the same issuer (RFC 8725
	// §3.9); tokens without aud, like the FastAPI recipes', pass. Set it
	// whenever the issuer mints tokens with an audience.
	Audience string

	// Audiences lists more audiences, any one of which the token's aud must
	// contain (together with Audience, when both are set).
	Audiences []string

	// Issuers lists several trusted issuers, each with its own keys and
	// audiences, for a service that accepts tokens of several identity
	// providers (or realms, or tenants). The token's iss selects one, by
	// exact match, before any key is looked up or fetched: a token of an
	// unlisted iss is refused (ErrIssuer) at no cost, and a key of one
	// issuer never verifies a token that claims another, even with the same
	// kid. Each issuer has a verified-token cache of its own. When Issuers is
	// set, Keys and Issuer must not be. At most 64.
	Issuers []TrustedIssuer

	// InsecureAnyAudience accepts a token whatever its aud claim, when
	// Audience is not set: a token minted for another service of the same
	// issuer is then accepted here too. Default false.
	InsecureAnyAudience bool

	// Type, when set, is required to equal the token's typ header, compared as
	// RFC 7515 §4.1.9 says: case-insensitively, with an omitted "application/"
	// prefix; for example "at+jwt" (RFC 9068). Default: typ is not checked,
	// since PyJWT sends "JWT" and some issuers send none (RFC 8725 §3.11).
	// A refresh token of the issuer package (typ [RefreshTokenType]) is
	// refused unless Type is exactly that, so it is never accepted as an
	// access token.
	Type string

	// RequiredClaims lists claims that must be present (with any value) in
	// addition to exp. Default: none. At most 64.
	RequiredClaims []string

	// InsecureAllowNoExpiry accepts tokens without an exp claim. Default
	// false: exp is required, because a token without one stays valid forever
	// once stolen. A present exp is always checked.
	InsecureAllowNoExpiry bool

	// Leeway is the clock skew tolerated on exp, nbf and iat. Default 0; at
	// most 5 minutes (RFC 7519 §4.1.4: "usually no more than a few minutes").
	Leeway time.Duration

	// MaxTokenSize bounds the length of a token in bytes; a longer one is
	// rejected before any decoding. Default 8192; at most 65536.
	MaxTokenSize int

	// Exclude lists requests that pass without authentication, as
	// [net/http.ServeMux] patterns: "/login" (exactly that path), "/static/"
	// (the subtree), "GET /health" (one method, and HEAD), "GET /{$}" (only
	// the root), "api.example.com/public/" (a host). They are matched by an
	// internal ServeMux, so they mean exactly what they mean to a ServeMux:
	// "/login" does not exclude "/login-admin", and a request whose path is
	// not canonical ("/static/../admin", "//admin") is never excluded. An
	// invalid or conflicting pattern makes [New] fail. Default: none.
	//
	// A request is excluded only when its decoded path is excluded too, so
	// "GET /files/{name}" does not exclude "/files/private%2Fsecret.txt",
	// which a FileServer or another router behind the Middleware would see
	// as "/files/private/secret.txt". Patterns that exclude every path
	// ("/", "GET /", "/{p...}", "host/") are refused unless
	// InsecureExcludeEverything is set, and so are other routers' spellings
	// ("/docs/*", "/posts/:id"); the error shows the ServeMux spelling.
	Exclude []string

	// InsecureExcludeEverything allows an Exclude pattern that matches every
	// path of a method or host, such as "/" or "GET /": authentication is
	// then off for every request it matches. Default false.
	InsecureExcludeEverything bool

	// Optional lets requests without any token through without claims, so a
	// handler can serve both visitors and users. A token that is present but
	// invalid is still rejected. Default false.
	Optional bool

	// Cookie, when set, is the name of a cookie that may carry the token, as
	// an alternative to the Authorization header; a request with both, and
	// different values, is rejected (RFC 6750 §3.1). Browsers send cookies with
	// cross-site requests, so a cookie token on an unsafe method (POST, PUT,
	// DELETE, …) is accepted only when [net/http.CrossOriginProtection] finds
	// the request same-origin. Set the cookie Secure, HttpOnly and
	// SameSite=Lax or Strict (RFC 6750 §5.3). Default: no cookie; the token is
	// read from the Authorization header only, and never from the URL.
	Cookie string

	// TrustedOrigins are origins ("https://app.example.com") whose cross-origin
	// unsafe requests may use the Cookie token. Default: none.
	TrustedOrigins []string

	// Realm is the realm of the WWW-Authenticate challenge. Default "api".
	// It may not contain '"', '\' or control characters.
	Realm string

	// CacheSize is the number of verified tokens remembered, so that a token
	// presented again skips the signature check and claims decoding. A hit is
	// honoured only while the key that verified the token is still the one
	// in force, and exp, nbf, iat and revocation are checked on every hit.
	// Only valid tokens are remembered, from their second verification
	// within the last CacheSize new ones: a token used once is never stored.
	// Default 16384 tokens; the cache also holds at most CacheSize KiB of
	// tokens and claims (16 MiB by default).
	CacheSize int

	// DisableCache turns the verified-token cache off: every request pays
	// the full verification. Default false.
	DisableCache bool

	// Store, when set, is consulted for every token that has a jti, sid or
	// sub claim: a revoked one is rejected (401), and a store that fails
	// makes the request fail closed (500), never pass. Default: none, except
	// that Keys that bring a store ([StoreKeys], as an issuer's do) bring
	// it, so that the issuer's logouts and session ends take effect.
	Store Store

	// ErrorHandler, when set, writes the response for a rejected request in
	// place of the default RFC 6750 response. err matches one of the package's
	// errors with errors.Is; [StatusCode] gives the status the default would
	// use. It must not echo err's request-derived details, and there are none
	// to echo.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// Logger, when set, receives one record per rejected request: the reason
	// and the status, never the token, the secret or text from the request.
	// Client errors are logged at Info, server-side failures at Error.
	// Default: nothing is logged.
	Logger *slog.Logger

	// Validate, when set, is called for every token that passed the
	// built-in checks (and the Store), cache hits included, to refuse what
	// the application knows: an azp it does not serve, a tenant, a
	// disabled account. Its error decides the answer by class: one that
	// matches ErrInsufficientScope gives 403, ErrKeysUnavailable 503,
	// ErrStore 500, and any other 401 invalid_token (it is wrapped in
	// [ErrRejected]). Its text is never sent or logged.
	Validate func(ctx context.Context, c *Claims) error

	// Observer, when set, is told of every verified token and every
	// rejection (see [Observer]). Default: none, at no cost.
	Observer Observer

	// DPoP, when set, verifies DPoP-bound tokens (RFC 9449): requests with
	// "Authorization: DPoP <token>" and a DPoP proof header, checked
	// against the token's cnf.jkt. A DPoP-bound token sent as Bearer is
	// then refused, and DPoP.Required refuses Bearer altogether. Default:
	// none; the DPoP scheme is then not a credential (ErrMissingToken).
	// Proofs are checked by Authenticate and Handler, which see the
	// request; Verify, which sees only a token, checks none (see
	// [Claims.Thumbprint] and [DPoPVerifier] for other transports).
	DPoP *DPoPConfig

	// ResourceMetadata, when set, is the URL of this resource's RFC 9728
	// metadata (see [MetadataHandler]), sent in the resource_metadata
	// parameter of every 401 and 403 challenge so that a client can find
	// the authorization servers. It must be https, or http on a loopback
	// host. Default: none.
	ResourceMetadata string

	// Now returns the current time, for tests. Default time.Now.
	Now func() time.Time
}

const (
	defaultMaxTokenSize = 8 << 10
	maxMaxTokenSize     = 64 << 10
	maxLeeway           = 5 * time.Minute
	defaultRealm        = "api"
	maxRequiredClaims   = 64
	maxIssuers          = 64
)

// ErrConfig is the class of every error that [New] returns for an invalid
// Config. The error is a [*ConfigError], which says which field is wrong and
// also matches the specific cause ([ErrWeakSecret], [ErrKeyAlgorithm], …).
var ErrConfig = errors.New("jwtauth: invalid config")

// ConfigError is the error [New] returns for an invalid Config: errors.Is
// matches it with [ErrConfig] and with its cause, and its message names the
// field, with the package prefix once:
//
//	jwtauth: invalid config: Keys: HMAC secret too weak: HS256 needs a secret of at least 32 bytes
//
// Messages never contain key material or secrets.
type ConfigError struct {
	// Field is the configuration field at fault: "Keys", "Exclude[2]", ….
	Field string
	// Err is the cause, which errors.Is and errors.As see through Unwrap.
	Err error
}

func (e *ConfigError) Error() string {
	return "jwtauth: invalid config: " + unprefixed(e.Err.Error())
}

// Is reports whether target is [ErrConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// configError returns a *ConfigError. The message, made by format and args
// (which may use %w), starts with the field: "Keys: …", "Exclude[2]: …",
// "Leeway must be …".
func configError(format string, args ...any) error {
	cause := fmt.Errorf(format, args...)
	msg := unprefixed(cause.Error())
	field := msg[:len(msg)-len(strings.TrimLeft(msg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789[]._"))]
	return &ConfigError{Field: field, Err: cause}
}

// unprefixed drops the package prefixes inside a message made of wrapped
// errors, so that it carries none: "Keys: jwtauth: invalid config:
// RemoteOptions: …" becomes "Keys: RemoteOptions: …", and "jwtauth: HMAC
// secret too weak: …" becomes "HMAC secret too weak: …".
func unprefixed(msg string) string {
	for _, p := range []string{"jwtauth: invalid config: ", "jwtauth: invalid config", "jwtauth: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// validate checks c and returns a copy with defaults filled in.
func (c Config) validate() (Config, error) {
	if len(c.Issuers) > 0 {
		if c.Keys != nil || c.Issuer != "" {
			return c, configError("Issuers: set either Issuers or Keys and Issuer, not both")
		}
		if len(c.Issuers) > maxIssuers {
			return c, configError("Issuers: at most %d, got %d", maxIssuers, len(c.Issuers))
		}
		c.Keys = staticKeys{set: emptyKeySet} // never used: each issuer has its own
	}
	if c.Keys == nil {
		return c, configError("Keys is required: %w", ErrNoKeys)
	}
	if isNil(c.Keys) {
		// A nil *RemoteKeys from a failed Discover, say: an interface that
		// is not nil but holds nothing to verify with.
		return c, configError("Keys is a nil %T: %w", c.Keys, ErrNoKeys)
	}
	if err := c.Keys.check(); err != nil {
		return c, configError("Keys: %w", err)
	}
	if c.Leeway < 0 || c.Leeway > maxLeeway {
		return c, configError("Leeway must be between 0 and %v", maxLeeway)
	}
	switch {
	case c.MaxTokenSize == 0:
		c.MaxTokenSize = defaultMaxTokenSize
	case c.MaxTokenSize < 0 || c.MaxTokenSize > maxMaxTokenSize:
		return c, configError("MaxTokenSize must be between 1 and %d", maxMaxTokenSize)
	}
	if c.Realm == "" {
		c.Realm = defaultRealm
	}
	if !isQuotable(c.Realm) {
		return c, configError("Realm has a character that cannot be quoted")
	}
	if c.InsecureAnyAudience && (c.Audience != "" || len(c.Audiences) > 0) {
		return c, configError("InsecureAnyAudience contradicts Audience; set one")
	}
	if slices.Contains(c.Audiences, "") {
		return c, configError("Audiences has an empty audience")
	}
	if len(c.RequiredClaims) > maxRequiredClaims {
		return c, configError("RequiredClaims: at most %d names", maxRequiredClaims)
	}
	if slices.Contains(c.RequiredClaims, "") {
		return c, configError("RequiredClaims has an empty name")
	}
	if c.Cookie != "" && !isCookieName(c.Cookie) {
		return c, configError("Cookie is not a valid cookie name")
	}
	if c.Cookie == "" && len(c.TrustedOrigins) > 0 {
		return c, configError("TrustedOrigins applies only to a Cookie token; set Cookie")
	}
	switch {
	case c.CacheSize == 0:
		c.CacheSize = defaultCacheSize
	case c.CacheSize < 0 || c.CacheSize > 1<<24:
		return c, configError("CacheSize must be between 1 and %d", 1<<24)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ResourceMetadata != "" && (!isQuotable(c.ResourceMetadata) || checkResourceURL(c.ResourceMetadata) != nil) {
		return c, configError("ResourceMetadata must be an https URL (http only on a loopback host)")
	}
	c.RequiredClaims = slices.Clone(c.RequiredClaims)
	c.Audiences = slices.Clone(c.Audiences)
	c.Issuers = slices.Clone(c.Issuers)
	c.Exclude = slices.Clone(c.Exclude)
	c.TrustedOrigins = slices.Clone(c.TrustedOrigins)
	return c, nil
}

// isNil reports whether k holds a nil pointer (or map, func, …), on which
// its methods could not be called.
func isNil(k Keys) bool {
	switch v := reflect.ValueOf(k); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// isQuotable reports whether s can appear in a quoted-string without escapes
// and within RFC 6750's error_description charset: %x20-21 / %x23-5B / %x5D-7E.
func isQuotable(s string) bool {
	for i := range len(s) {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// isCookieName reports whether s is an RFC 6265 token.
func isCookieName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r)
	})
}

// TrustedIssuer is one issuer of [Config.Issuers].
type TrustedIssuer struct {
	// Issuer is the iss that selects this issuer, compared exactly.
	// Required, and unique among Config.Issuers.
	Issuer string

	// Keys verifies this issuer's tokens: [Remote], [Discover] or any
	// other Keys. Required.
	Keys Keys

	// Audience and Audiences are what this issuer's tokens must be for, as
	// Config.Audience and Config.Audiences are. Default: the Config's.
	Audience  string
	Audiences []string

	// Store is consulted for this issuer's tokens. Default: the store of
	// Keys when they bring one ([StoreKeys]), else Config.Store.
	Store Store
}
