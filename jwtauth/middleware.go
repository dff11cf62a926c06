package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Middleware verifies bearer tokens on HTTP requests. Make one with [New]; it
// is immutable and safe for concurrent use.
type Middleware struct {
	cfg      Config
	exclude  *excluder // nil when Config.Exclude is empty
	cop      *http.CrossOriginProtection
	required []string
	store    Store       // nil: no revocation checks
	cache    *tokenCache // nil: Config.DisableCache
	auds     []string    // Audience and Audiences; any one must be in aud

	// issuers are the Middlewares of Config.Issuers, by iss; nil without.
	issuers map[string]*Middleware

	// foldNames are the claim names whose case variants are refused, and
	// foldHashes their foldHash values (see isFoldVariant).
	foldNames  []string
	foldHashes []uint32

	dpop *DPoPVerifier // nil without Config.DPoP
}

// New validates cfg and returns a Middleware. It fails, with an error that
// matches [ErrConfig], on a missing or unfit key, a weak HMAC secret, an
// invalid exclusion pattern, an out-of-range Leeway or MaxTokenSize, and any
// other field it cannot honour. It never falls back to a default silently.
func New(cfg Config) (*Middleware, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	m := &Middleware{cfg: cfg, required: cfg.RequiredClaims, store: cfg.Store}
	if cfg.Audience != "" {
		m.auds = append(m.auds, cfg.Audience)
	}
	m.auds = append(m.auds, cfg.Audiences...)
	if len(cfg.Issuers) > 0 {
		if m.issuers, err = newIssuers(cfg); err != nil {
			return nil, err
		}
	}
	m.foldNames, m.foldHashes = foldTable(cfg.RequiredClaims)
	if sk, ok := cfg.Keys.(StoreKeys); ok && m.store == nil {
		m.store = sk.Store()
	}
	if !cfg.DisableCache {
		m.cache = newTokenCache(cfg.CacheSize)
	}
	if len(cfg.Exclude) > 0 {
		if m.exclude, err = newExcluder(cfg.Exclude, cfg.InsecureExcludeEverything); err != nil {
			return nil, err
		}
	}
	if cfg.DPoP != nil {
		if m.dpop, err = newDPoPVerifier(*cfg.DPoP, cfg.Now); err != nil {
			return nil, err
		}
	}
	if cfg.Cookie != "" {
		m.cop = http.NewCrossOriginProtection()
		for _, o := range cfg.TrustedOrigins {
			if err := m.cop.AddTrustedOrigin(o); err != nil {
				return nil, configError("TrustedOrigins: %v", err)
			}
		}
	}
	return m, nil
}

// Handler returns a handler that authenticates each request before passing it
// to next, with the verified [Claims] in its context (see [FromContext]).
// Excluded requests pass untouched; requests without a token pass without
// claims when Config.Optional is set; every other request without a valid
// token gets the RFC 6750 error response and never reaches next.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.exclude != nil && m.exclude.match(r) {
			// No claims, but a guard on the route answers as this
			// middleware would (realm, logger, ErrorHandler).
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), middlewareKey{}, m)))
			return
		}
		claims, err := m.Authenticate(r)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), claims)))
		case m.cfg.Optional && err == ErrMissingToken:
			// Exactly no token, as extract says it: not an error that
			// merely wraps ErrMissingToken (a store's, a Validate hook's),
			// which must not turn a token-bearing request anonymous.
			// No claims, but the guards further in answer as this
			// middleware would (realm, logger, ErrorHandler).
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), middlewareKey{}, m)))
		default:
			m.reject(w, r, err, "")
		}
	})
}

// Authenticate finds the request's token, verifies it and returns its claims,
// without writing a response: for code that decides itself what to do, such
// as a WebSocket upgrade or a gRPC gateway. It ignores Config.Exclude and
// Config.Optional. A request without a token gives [ErrMissingToken]; every
// error matches one of the package's errors with errors.Is.
func (m *Middleware) Authenticate(r *http.Request) (*Claims, error) {
	if m.dpop != nil {
		return m.authenticateDPoP(r)
	}
	token, fromCookie, err := m.extract(r, true)
	if err != nil {
		return nil, err
	}
	if fromCookie && m.cop.Check(r) != nil {
		return nil, ErrCrossOrigin
	}
	return m.verifyObserved(r.Context(), token, !fromCookie)
}

// Verify verifies a compact JWS token, as it would be sent after "Bearer ",
// and returns its claims. With a Store, a token that the store reports
// revoked gives [ErrTokenRevoked], and a failing store [ErrStore].
func (m *Middleware) Verify(ctx context.Context, token string) (*Claims, error) {
	return m.verifyObserved(ctx, token, false)
}

// verifyObserved is Verify, for a token that must also be an RFC 6750
// b64token when fromHeader is set (see bearerCredential), reporting to the
// Observer.
func (m *Middleware) verifyObserved(ctx context.Context, token string, fromHeader bool) (*Claims, error) {
	if o := m.cfg.Observer; o != nil && m.issuers == nil {
		start := time.Now()
		c, hit, err := m.verifyAll(ctx, token, fromHeader)
		if err == nil {
			e := VerifiedEvent{Issuer: m.cfg.Issuer, CacheHit: hit, Duration: time.Since(start)}
			if !hit {
				e.Algorithm = c.alg
			}
			o.Verified(ctx, e)
		}
		return c, err
	}
	c, _, err := m.verifyAll(ctx, token, fromHeader)
	return c, err
}

// verifyAll is verifyObserved, reporting too whether the cache answered.
func (m *Middleware) verifyAll(ctx context.Context, token string, fromHeader bool) (*Claims, bool, error) {
	if m.issuers != nil {
		if fromHeader && !isB64Token(token) {
			return nil, false, ErrMalformedHeader
		}
		sub, err := m.issuerOf(token)
		if err != nil {
			return nil, false, err
		}
		c, err := sub.Verify(ctx, token)
		return c, false, err
	}
	c, hit, err := m.verify(ctx, token, fromHeader)
	if err != nil {
		return nil, hit, err
	}
	if m.store != nil && (c.id != "" || c.sid != "" || c.subject != "") {
		revoked, err := m.store.Revoked(ctx, TokenRef{
			ID: c.id, Session: c.sid, Subject: c.subject, Issuer: c.issuer,
			IssuedAt: c.IssuedAt(), Now: m.cfg.Now(),
		})
		if err != nil {
			return nil, hit, fmt.Errorf("%w: %w", ErrStore, err)
		}
		if revoked {
			return nil, hit, ErrTokenRevoked
		}
	}
	if v := m.cfg.Validate; v != nil {
		if err := v(ctx, c); err != nil {
			return nil, hit, classify(err)
		}
	}
	return c, hit, nil
}

// classify keeps a Validate error of a known class as it is, and puts any
// other in ErrRejected (401).
func classify(err error) error {
	for _, class := range []error{ErrInvalidToken, ErrInsufficientScope, ErrKeysUnavailable, ErrStore} {
		if errors.Is(err, class) {
			return err
		}
	}
	return fmt.Errorf("%w: %w", ErrRejected, err)
}

// reason is the fixed text of the package error that err is or wraps: the
// message of a sentinel, never that of a custom Store's error (which may
// carry a token's id or a connection string) or anything else from outside.
func reason(err error) string {
	for _, e := range reasons {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "jwtauth: unclassified error"
}

// reasonOf is the package sentinel that err is or wraps, the most specific
// one; ErrInvalidToken's class for none.
func reasonOf(err error) error {
	for _, e := range reasons {
		if errors.Is(err, e) {
			return e
		}
	}
	return errUnclassified
}

var errUnclassified = errors.New("jwtauth: unclassified error")

// reasons lists the package's errors, the most specific first.
var reasons = []error{
	ErrReplayCacheFull, ErrDPoPReplay, ErrDPoPNonce, ErrDPoPBinding, ErrDPoPRequired, ErrDPoPProof,
	ErrStore, ErrGuard, ErrKeysUnavailable, ErrCrossOrigin,
	ErrMultipleTokens, ErrMalformedHeader, ErrInvalidRequest, ErrMissingToken,
	ErrTokenMalformed, ErrTokenTooLarge, ErrUnsupportedHeader, ErrAlgorithm,
	ErrUnknownKey, ErrSignature, ErrTokenExpired, ErrTokenNotYetValid,
	ErrClaimType, ErrMissingClaim, ErrIssuer, ErrAudience, ErrTokenType,
	ErrClaimName, ErrTokenRevoked, ErrRejected, ErrInvalidToken,
	ErrNotFresh, ErrClaimValue, ErrMissingScope, ErrInsufficientScope,
}

// reject logs err and writes the error response, through Config.ErrorHandler
// when there is one. scope is the scope to name in an insufficient_scope
// challenge.
func (m *Middleware) reject(w http.ResponseWriter, r *http.Request, err error, scope string) {
	if l, o := m.cfg.Logger, m.cfg.Observer; l != nil || o != nil {
		p := problemFor(err)
		method := standardMethod(r.Method)
		if l != nil {
			level := slog.LevelInfo
			if p.status >= 500 {
				level = slog.LevelError
			}
			l.LogAttrs(r.Context(), level, "jwtauth: request rejected",
				slog.Int("status", p.status), slog.String("reason", reason(err)),
				slog.String("method", method), slog.String("pattern", r.Pattern))
		}
		if o != nil {
			o.Rejected(r.Context(), RejectedEvent{Reason: reasonOf(err), Status: p.status, Method: method, Pattern: r.Pattern})
		}
	}
	if h := m.cfg.ErrorHandler; h != nil {
		h(w, r, err)
		return
	}
	writeProblemOf(w, r, m, err, scope)
}

// newIssuers makes the Middleware of each of cfg.Issuers: cfg's rules, with
// the issuer's keys, iss, audiences and store, and a cache of its own.
func newIssuers(cfg Config) (map[string]*Middleware, error) {
	out := make(map[string]*Middleware, len(cfg.Issuers))
	for i, ti := range cfg.Issuers {
		if ti.Issuer == "" {
			return nil, configError("Issuers[%d]: Issuer is required", i)
		}
		if _, dup := out[ti.Issuer]; dup {
			return nil, configError("Issuers[%d]: issuer %q is listed twice", i, ti.Issuer)
		}
		if ti.Keys == nil || isNil(ti.Keys) {
			return nil, configError("Issuers[%d] (%q): Keys is required: %w", i, ti.Issuer, ErrNoKeys)
		}
		sub := cfg
		sub.Issuers, sub.Exclude, sub.InsecureExcludeEverything = nil, nil, false
		sub.Keys, sub.Issuer = ti.Keys, ti.Issuer
		if ti.Audience != "" || len(ti.Audiences) > 0 {
			sub.Audience, sub.Audiences = ti.Audience, ti.Audiences
		}
		sub.Store = ti.Store
		if sub.Store == nil {
			if sk, ok := ti.Keys.(StoreKeys); !ok || sk.Store() == nil {
				sub.Store = cfg.Store
			}
		}
		m, err := New(sub)
		if err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				return nil, configError("Issuers[%d] (%q): %w", i, ti.Issuer, ce.Err)
			}
			return nil, err
		}
		out[ti.Issuer] = m
	}
	return out, nil
}

// issuerOf returns the Middleware of the token's iss, read from the payload
// before anything else is done with the token: the signature is checked by
// that issuer's keys, and an unlisted iss costs no key lookup or fetch.
func (m *Middleware) issuerOf(token string) (*Middleware, error) {
	if len(token) > m.cfg.MaxTokenSize {
		return nil, ErrTokenTooLarge
	}
	_, p64, _, ok := splitCompact(token)
	if !ok {
		return nil, ErrTokenMalformed
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	payload, ok := decodeSegment(sc.payload[:], unsafeBytes(p64))
	if !ok {
		return nil, ErrTokenMalformed
	}
	var sub *Middleware
	defer sc.json.release()
	err := sc.json.objectMembers(payload, maxClaims, func(name, value []byte) error {
		if string(name) != "iss" {
			return nil
		}
		raw, ok := jsonBytes(value)
		if !ok {
			return ErrClaimType
		}
		sub = m.issuers[string(raw)]
		return nil
	})
	switch {
	case isJSONError(err):
		return nil, ErrTokenMalformed
	case err != nil:
		return nil, err
	case sub == nil:
		return nil, ErrIssuer
	}
	return sub, nil
}
