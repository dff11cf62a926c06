package issuer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// Config configures an [Issuer]. Key or Rotation is required; the rest
// have safe defaults. [New] validates and copies it.
type Config struct {
	// Key signs new access tokens. Required unless Rotation is set, and
	// then must be left zero. See [Issuer.Publish] and [Issuer.Rotate] to
	// change it.
	Key SigningKey

	// Rotation, when set, puts the Issuer in fleet mode: it makes its own
	// keys, publishes their public halves to the other instances through
	// Rotation.Store ahead of use, rotates them on a schedule and serves
	// the union of the fleet's keys. See [Rotation]. Close the Issuer
	// ([Issuer.Close]) to stop its background work.
	Rotation *Rotation

	// Issuer is the iss claim of every token. Default: none. Set it, and the
	// same value in jwtauth.Config.Issuer, when anything else could mint
	// tokens that the same keys verify.
	Issuer string

	// Audience is the aud claim of every token. Default: none, which is
	// what the FastAPI recipes expect (PyJWT rejects a token with aud when it
	// is not told to expect one). Set it, and jwtauth.Config.Audience, when
	// the issuer serves more than one API. Refresh tokens carry it too, and
	// are bound to it and to Issuer: an Issuer with another iss or
	// audience refuses them, even when it shares the key.
	Audience string

	// TTL is the lifetime of access tokens. Default 15 minutes; at most 24
	// hours. Keep it short: a stolen access token is valid until it expires
	// unless the verifier consults the Store.
	TTL time.Duration

	// RefreshTTL is how long a session lives without a refresh: its idle
	// limit, and the lifetime of each refresh token. Default 7 days; at most
	// 90 days, and longer than TTL.
	RefreshTTL time.Duration

	// MaxSessionAge is the absolute limit of a session, from its login: no
	// refresh extends it further, and then the user logs in again. Default 30
	// days; at most 1 year, and longer than TTL.
	MaxSessionAge time.Duration

	// RefreshGrace lets the refresh token of the generation just replaced
	// be presented again, for this long after the refresh that replaced it,
	// without ending the session as reuse: two tabs that refresh at once, a
	// mobile client retrying a refresh whose answer it lost. It gets the
	// current generation's tokens. Default 0 (no grace); at most 1 minute.
	// Every grace is a window in which a stolen refresh token works once
	// more, so keep it to seconds.
	RefreshGrace time.Duration

	// MaxSessionsPerSubject bounds the live sessions of one subject: a
	// Login past it ends the subject's oldest session. Default 32; at most
	// 1024.
	MaxSessionsPerSubject int

	// RefreshSecret is the HS256 secret (at least 32 bytes) that signs
	// refresh tokens. Default in fleet mode: each instance signs them with
	// an EdDSA key of its own, published to the fleet for refresh only, so
	// that sessions refresh on any instance without a shared secret.
	// Default otherwise: for an HMAC Key, a secret derived from it and
	// from Issuer and Audience (so rotating the Key rotates it too); for an
	// asymmetric Key, a random secret made at start, so refresh tokens do
	// not survive a restart and are not accepted by other instances. Set it
	// when several instances share sessions. It must differ from every
	// signing secret: a refresh token signed with an access key would verify
	// as an access token in a verifier that does not check typ (PyJWT).
	// Access-token verifiers never hold it.
	RefreshSecret []byte

	// Store keeps sessions and revocations. Default: a [MemoryStore] of
	// default size, which is right for a single process; use a shared store
	// (the redisstore module) when several instances serve the same users.
	// A Middleware whose Keys come from [Issuer.Keys] consults it unless its
	// own Config.Store is set.
	Store Store

	// OnRefresh, when set, is called at every refresh that would advance a
	// session, with the session as it stands, before anything changes. It
	// decides whether the account may go on: return an error matching
	// [ErrSessionDenied] and the session ends (the account was deleted or
	// disabled), any other error and the refresh fails without ending it
	// (the database is down). It may return new private claims for the
	// session's tokens from then on (a role changed); nil keeps the
	// current ones. It runs under the caller's context.
	OnRefresh func(ctx context.Context, s *Session) (claims map[string]any, err error)

	// Observer, when set, is told of every session operation (see
	// [Observer]). Default: none, at no cost.
	Observer Observer

	// AccessTokenType is the typ header of access tokens: "JWT" (the
	// default) or "at+jwt" (RFC 9068 §2.1), which a verifier can require
	// with jwtauth.Config.Type "at+jwt" so that no other JWT of the same
	// keys (an ID token, say) passes as an access token.
	AccessTokenType string

	// DPoP configures the verification of DPoP proofs (RFC 9449) at
	// [Issuer.LoginDPoP] and [Issuer.RefreshDPoP]: algorithms, window,
	// nonces. Default: the zero DPoPConfig, with Store as the replay cache
	// when it implements jwtauth.ReplayCache (MemoryStore does), and Now
	// as the clock.
	DPoP *jwtauth.DPoPConfig

	// Now returns the current time, for tests. Default time.Now. It is the
	// clock of the Store too: every deadline the Issuer records is measured
	// by it.
	Now func() time.Time
}

const (
	defaultTTL           = 15 * time.Minute
	maxTTL               = 24 * time.Hour
	defaultRefreshTTL    = 7 * 24 * time.Hour
	maxRefreshTTL        = 90 * 24 * time.Hour
	defaultMaxSessionAge = 30 * 24 * time.Hour
	maxMaxSessionAge     = 365 * 24 * time.Hour
	maxRefreshGrace      = time.Minute
	defaultPerSubject    = 32
	maxPerSubject        = 1024

	// maxLeeway is the largest jwtauth.Config.Leeway: revocations outlast
	// the tokens they revoke by it.
	maxLeeway = 5 * time.Minute

	// maxTokenSize is jwtauth's default MaxTokenSize.
	maxTokenSize = 8 << 10
)

// MaxSubjectLength is the longest subject, in bytes, that the Issuer takes
// (OpenID Connect Core §2: at most 255 ASCII characters).
const MaxSubjectLength = 255

// configError returns an error matching jwtauth.ErrConfig.
func configError(format string, args ...any) error {
	field, _, _ := strings.Cut(format, ":")
	field, _, _ = strings.Cut(field, " ")
	return &jwtauth.ConfigError{Field: field, Err: fmt.Errorf(format, args...)}
}

func (cfg Config) validate() (Config, error) {
	dur := func(d *time.Duration, name string, def, lo, hi time.Duration) error {
		switch {
		case *d == 0:
			*d = def
		case *d < lo || *d > hi:
			return configError("%s must be between %v and %v", name, lo, hi)
		}
		return nil
	}
	if err := dur(&cfg.TTL, "TTL", defaultTTL, time.Second, maxTTL); err != nil {
		return cfg, err
	}
	if err := dur(&cfg.RefreshTTL, "RefreshTTL", defaultRefreshTTL, cfg.TTL+time.Second, maxRefreshTTL); err != nil {
		return cfg, configError("RefreshTTL must be longer than TTL and at most %v", maxRefreshTTL)
	}
	if err := dur(&cfg.MaxSessionAge, "MaxSessionAge", defaultMaxSessionAge, cfg.TTL+time.Second, maxMaxSessionAge); err != nil {
		return cfg, configError("MaxSessionAge must be longer than TTL and at most %v", maxMaxSessionAge)
	}
	if cfg.RefreshGrace < 0 || cfg.RefreshGrace > maxRefreshGrace {
		return cfg, configError("RefreshGrace must be between 0 and %v", maxRefreshGrace)
	}
	switch {
	case cfg.MaxSessionsPerSubject == 0:
		cfg.MaxSessionsPerSubject = defaultPerSubject
	case cfg.MaxSessionsPerSubject < 1 || cfg.MaxSessionsPerSubject > maxPerSubject:
		return cfg, configError("MaxSessionsPerSubject must be between 1 and %d", maxPerSubject)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch cfg.AccessTokenType {
	case "", "JWT", "at+jwt":
	default:
		return cfg, configError("AccessTokenType must be \"JWT\" or \"at+jwt\"")
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(0)
	}
	cfg.RefreshSecret = append([]byte(nil), cfg.RefreshSecret...)
	if cfg.Rotation != nil {
		if cfg.Key.Algorithm != "" || cfg.Key.Key != nil || cfg.Key.ID != "" {
			return cfg, configError("Key must be zero when Rotation is set: each instance makes its own keys")
		}
		rot, err := cfg.Rotation.validate(&cfg)
		if err != nil {
			return cfg, err
		}
		cfg.Rotation = &rot
	}
	return cfg, nil
}
