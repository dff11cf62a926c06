package jwtauthtest

import (
	"bufio"
	"context"
	"crypto"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// Options configures a [Kit]. The zero value is a kit that signs ES256 with
// a key of its own, names no issuer and no audience, and reads time.Now.
type Options struct {
	// Algorithm is the signing algorithm: HS256, HS384, HS512, RS256,
	// RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA.
	// Default ES256.
	Algorithm string

	// Key is the signing key, for tests that must match keys configured
	// elsewhere (a JWT_SECRET, a PEM file): a []byte secret at least as long
	// as the hash for HS*, a crypto.Signer (*rsa.PrivateKey,
	// *ecdsa.PrivateKey, ed25519.PrivateKey) for the others. Default: a key
	// made for the kit; RSA keys are made once per process (see [New]).
	Key any

	// KeyID is the kid of the key. Default: a random kid for a key made
	// for the kit; for Key, what the issuer package derives from it.
	KeyID string

	// Issuer is the iss claim of the kit's tokens, and [Kit.Config]'s
	// Issuer. Default: none, and [Kit.BadTokens] then has no token of a
	// wrong issuer, since nothing would check it.
	Issuer string

	// Audience is the aud claim of the kit's tokens, and [Kit.Config]'s
	// Audience. Default: none, so the tokens carry no aud, as a verifier
	// that names no audience requires.
	Audience string

	// Subject is the sub claim of the tokens minted without a subject:
	// [Kit.Token], [Kit.Bad] and [Kit.BadTokens]. Default "test-user".
	Subject string

	// Claims are private claims of every token the kit mints, bad ones
	// included, under those given to each call: scopes or roles that your
	// guards want, so that a bad token is refused for what is wrong with it
	// and not for a missing scope. Names the issuer package sets (iss, sub,
	// aud, exp, nbf, iat, jti, sid, gen, fresh) are refused.
	Claims map[string]any

	// TTL is the lifetime of valid tokens. Default 15 minutes, as the
	// issuer package's; at most 24 hours.
	TTL time.Duration

	// Now is the clock of minting, and [Kit.Config]'s Now, such as a
	// [Clock]'s Now method. Default time.Now.
	Now func() time.Time
}

// DefaultSubject is the subject of tokens minted without one, unless
// [Options.Subject] says otherwise.
const DefaultSubject = "test-user"

// Kit mints tokens for tests of code that a jwtauth.Middleware protects:
// valid tokens through a real issuer.Issuer, verified [jwtauth.Claims] for
// handler unit tests, and every kind of bad token with the error jwtauth
// refuses it with. Make one with [New]. A Kit is safe for concurrent use.
//
// The methods that take no testing.TB report failures, such as a claim name
// the issuer refuses, to the one given to New.
type Kit struct {
	t    testing.TB
	opts Options
	now  func() time.Time

	iss   *issuer.Issuer
	alg   string
	kid   string
	key   any // the signing key: []byte or crypto.Signer
	other any // another key of alg, which the verifiers do not hold
	mw    *jwtauth.Middleware
}

// New returns a Kit that signs with opts.Key or with a key of its own, and
// stops the test with t.Fatal if opts cannot make one.
//
// A key of its own is new for each Kit, except for RSA: generating a
// 2048-bit key takes seconds under -race, so RSA keys are made once per
// process (on first use, by sync.OnceValues) and shared by every Kit and
// [Provider], each with a random kid of its own. A token of one Kit is thus
// refused by the keys of another (jwtauth.ErrUnknownKey) even when both use
// RS256.
func New(t testing.TB, opts Options) *Kit {
	t.Helper()
	if opts.Algorithm == "" {
		opts.Algorithm = "ES256"
	}
	if _, ok := algorithms[opts.Algorithm]; !ok {
		t.Fatalf("jwtauthtest: Options.Algorithm %q is not one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA", opts.Algorithm)
	}
	if opts.Subject == "" {
		opts.Subject = DefaultSubject
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Claims = maps.Clone(opts.Claims)
	k := &Kit{t: t, opts: opts, now: opts.Now, alg: opts.Algorithm, key: opts.Key, kid: opts.KeyID}
	var err error
	if k.key == nil {
		if k.key, err = newKey(k.alg, 0); err != nil {
			t.Fatal(err)
		}
		if k.kid == "" {
			k.kid = randomKID()
		}
	}
	if k.other, err = otherKey(k.alg, k.key); err != nil {
		t.Fatal(err)
	}
	k.iss, err = issuer.New(issuer.Config{
		Key:    issuer.SigningKey{Algorithm: k.alg, Key: k.key, ID: k.kid},
		Issuer: opts.Issuer, Audience: opts.Audience, TTL: opts.TTL, Now: opts.Now,
	})
	if err != nil {
		t.Fatalf("jwtauthtest: Options: %v", err)
	}
	k.kid = k.iss.KeyID()
	cfg := k.Config()
	cfg.DisableCache = true
	if k.mw, err = jwtauth.New(cfg); err != nil {
		t.Fatalf("jwtauthtest: %v", err)
	}
	// Options.Claims are checked now, not at the first token.
	if _, err := k.mint(opts.Subject, nil); err != nil {
		t.Fatalf("jwtauthtest: Options.Claims: %v", err)
	}
	return k
}

// Keys returns the keys that verify the kit's tokens, for
// jwtauth.Config.Keys. They bring the issuer's store (jwtauth.StoreKeys), so
// a Middleware that uses them sees the logouts of [Kit.Issuer].
func (k *Kit) Keys() jwtauth.Keys { return k.iss.Keys() }

// Config returns a jwtauth.Config that accepts the kit's valid tokens and
// refuses each of [Kit.BadTokens] with its error: Keys, Issuer, Audience
// and Now from the kit, every other field at its default. Add the fields of
// your own configuration to it.
func (k *Kit) Config() jwtauth.Config {
	return jwtauth.Config{Keys: k.Keys(), Issuer: k.opts.Issuer, Audience: k.opts.Audience, Now: k.now}
}

// Issuer returns the issuer.Issuer that mints the kit's valid tokens, for
// tests of login, refresh and logout: its tokens are the kit's, and its
// store the one that [Kit.Keys] brings.
func (k *Kit) Issuer() *issuer.Issuer { return k.iss }

// Algorithm returns the algorithm of the kit's key.
func (k *Kit) Algorithm() string { return k.alg }

// KeyID returns the kid of the kit's key.
func (k *Kit) KeyID() string { return k.kid }

// PublicKey returns the public key of the kit's key, for
// jwtauth.PublicKey, or nil when the kit signs with an HMAC secret.
func (k *Kit) PublicKey() crypto.PublicKey {
	if s, ok := k.key.(crypto.Signer); ok {
		return s.Public()
	}
	return nil
}

// Token returns a valid access token of [Options.Subject] with claims
// added to [Options.Claims] (claims may be nil), as [Kit.TokenFor] does.
func (k *Kit) Token(claims map[string]any) string {
	k.t.Helper()
	return k.TokenFor(k.opts.Subject, claims)
}

// TokenFor returns a valid access token of subject (none when subject is
// ""), minted by the kit's issuer.Issuer: iss and aud as configured, iat
// and nbf now, exp now + TTL, a jti, "fresh": true, the kit's kid, and the
// private claims of [Options.Claims] with claims over them. A claim name the
// issuer sets itself, or a value it refuses, stops the test.
func (k *Kit) TokenFor(subject string, claims map[string]any) string {
	k.t.Helper()
	tok, err := k.mint(subject, claims)
	if err != nil {
		k.t.Fatalf("jwtauthtest: TokenFor: %v", err)
	}
	return tok
}

// mint issues an access token of subject with claims over Options.Claims.
func (k *Kit) mint(subject string, claims map[string]any) (string, error) {
	return k.iss.Issue(context.Background(), subject, k.claims(claims))
}

// claims returns claims over Options.Claims.
func (k *Kit) claims(claims map[string]any) map[string]any {
	if len(k.opts.Claims) == 0 {
		return claims
	}
	all := maps.Clone(k.opts.Claims)
	maps.Copy(all, claims)
	return all
}

// Claims returns the verified claims of a new token of subject with
// claims, for jwtauth.NewContext in handler unit tests: the token is minted
// as [Kit.TokenFor] mints it and verified by a Middleware of [Kit.Config],
// so the Claims are the real thing, with every accessor and guard working
// on them. A guard that refuses them answers with that Middleware's
// defaults (realm "api", the RFC 6750 response).
func (k *Kit) Claims(t testing.TB, subject string, claims map[string]any) *jwtauth.Claims {
	t.Helper()
	tok, err := k.mint(subject, claims)
	if err != nil {
		t.Fatalf("jwtauthtest: Claims: %v", err)
	}
	c, err := k.mw.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("jwtauthtest: Claims: the kit's own token does not verify (is Options.Now far from the clock of the test?): %v", err)
	}
	return c
}

// Context returns a copy of ctx that carries the verified claims of a new
// token of subject with claims (see [Kit.Claims]), as jwtauth.Middleware
// would pass it to a handler.
func (k *Kit) Context(ctx context.Context, subject string, claims map[string]any) context.Context {
	k.t.Helper()
	return jwtauth.NewContext(ctx, k.Claims(k.t, subject, claims))
}

// Request returns a new server request, as httptest.NewRequest makes it,
// authenticated as subject with claims: its Authorization header carries a
// new token (see [Kit.TokenFor]) and its context that token's verified
// claims. It serves both kinds of handler test: call a bare handler with it
// and jwtauth.FromContext finds the claims; send it through a Middleware and
// the Middleware verifies the header (and replaces the claims with its
// own). A method or target that httptest.NewRequest would panic on stops
// the test instead.
func (k *Kit) Request(method, target, subject string, claims map[string]any) *http.Request {
	k.t.Helper()
	if err := checkRequestLine(method, target); err != nil {
		k.t.Fatalf("jwtauthtest: Request: %v", err)
	}
	return k.Authorize(httptest.NewRequest(method, target, nil), subject, claims)
}

// Authorize returns a copy of r authenticated as subject with claims, as
// [Kit.Request] makes them, for requests with a body or headers of their
// own. r is not modified.
func (k *Kit) Authorize(r *http.Request, subject string, claims map[string]any) *http.Request {
	k.t.Helper()
	if r == nil {
		k.t.Fatal("jwtauthtest: Authorize: nil request")
	}
	tok, err := k.mint(subject, claims)
	if err != nil {
		k.t.Fatalf("jwtauthtest: Authorize: %v", err)
	}
	c, err := k.mw.Verify(r.Context(), tok)
	if err != nil {
		k.t.Fatalf("jwtauthtest: Authorize: the kit's own token does not verify (is Options.Now far from the clock of the test?): %v", err)
	}
	r = r.Clone(jwtauth.NewContext(r.Context(), c))
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// checkRequestLine reports what httptest.NewRequest would panic on.
func checkRequestLine(method, target string) error {
	if method == "" {
		method = http.MethodGet
	}
	if strings.ContainsAny(method+target, " \r\n\t") {
		return errors.New("method or target holds a space or a line break")
	}
	_, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.0\r\n\r\n")))
	return err
}
