package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Errors of the refresh flow. Both match ErrInvalidToken.
var (
	// ErrTokenRevoked: the token, or its session, was revoked (logout, or
	// reuse of a refresh token).
	ErrTokenRevoked error = &classError{"jwtauth: token revoked", ErrInvalidToken}
	// ErrRefreshReused: a refresh token was presented a second time. Its
	// whole session has been revoked: whoever holds any token of it, the
	// user or a thief, must log in again (OAuth 2.0 Security BCP §4.14.2).
	ErrRefreshReused error = &classError{"jwtauth: refresh token reused; session revoked", ErrInvalidToken}
)

// Tokens is what a login or a refresh returns.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the lifetime of AccessToken.
	ExpiresIn time.Duration
}

// MarshalJSON renders t as an OAuth 2.0 token response (RFC 6749 §5.1):
// {"access_token", "token_type": "bearer", "expires_in", "refresh_token"}.
func (t Tokens) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		RefreshToken string `json:"refresh_token,omitempty"`
	}{t.AccessToken, "bearer", int64(t.ExpiresIn / time.Second), t.RefreshToken})
}

// WriteTokens writes t as a 200 OAuth 2.0 token response, with the headers
// RFC 6749 §5.1 requires so that no cache keeps the tokens.
func WriteTokens(w http.ResponseWriter, t *Tokens) {
	body, _ := t.MarshalJSON()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
}

// Login returns an access token and a refresh token for subject, after the
// caller has checked the user's credentials. They share a new session ID (the
// sid claim) that ties together every token later refreshed from them, and
// the access token is fresh (see [RequireFresh]). claims are the private
// claims of every access token of the session, as in [Issuer.Issue].
func (i *Issuer) Login(ctx context.Context, subject string, claims map[string]any) (*Tokens, error) {
	return i.pair(subject, claims, randomID(), true)
}

func (i *Issuer) pair(subject string, claims map[string]any, sid string, fresh bool) (*Tokens, error) {
	access, err := i.issueAccess(subject, claims, sid, fresh)
	if err != nil {
		return nil, err
	}
	now := i.cfg.Now()
	payload := map[string]any{"sid": sid}
	if len(claims) > 0 {
		payload["ext"] = claims
	}
	i.registeredClaims(payload, subject, now, now.Add(i.cfg.RefreshTTL))
	refresh, err := sign(i.refreshKeySigner(i.state.Load()), payload)
	if err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: i.cfg.TTL}, nil
}

// newRefreshVerifier returns the Middleware that reads refresh tokens: the
// refresh keys, typ refresh+jwt required, the configured issuer.
func (i *Issuer) newRefreshVerifier() (*Middleware, error) {
	cfg, err := Config{Keys: issuerKeys{i, true}, Issuer: i.cfg.Issuer, Type: refreshType,
		RequiredClaims: []string{"jti", "sid"}, Now: i.cfg.Now, DisableCache: true}.validate()
	if err != nil {
		return nil, err
	}
	return &Middleware{cfg: cfg, required: cfg.RequiredClaims, refresh: true}, nil
}

// Refresh exchanges a refresh token for a new pair, and retires the one
// presented: it can be used once. Presenting it again — a client that lost
// the new pair, or an attacker replaying a stolen token — fails with
// [ErrRefreshReused] and revokes the whole session, so every access and
// refresh token descended from the same login stops working (OAuth 2.0
// Security BCP §4.14.2). Of concurrent refreshes with the same token exactly
// one succeeds. Errors match ErrInvalidToken, except store failures
// ([ErrStore]).
//
// The new access token is not fresh.
func (i *Issuer) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	c, err := i.refreshMW.verify(ctx, refreshToken)
	if err != nil {
		return nil, err
	}
	revoked, err := i.store.Revoked(ctx, "", c.sid)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if revoked {
		return nil, ErrTokenRevoked
	}
	first, err := i.store.Consume(ctx, c.id, c.ExpiresAt())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if !first {
		if err := i.store.Revoke(ctx, c.sid, i.sessionEnd()); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStore, err)
		}
		return nil, ErrRefreshReused
	}
	var ext struct {
		Ext map[string]any `json:"ext"`
	}
	if err := c.Decode(&ext); err != nil {
		return nil, ErrClaimType
	}
	return i.pair(c.subject, ext.Ext, c.sid, false)
}

// ErrNotRevocable is returned by Logout for a token with neither jti nor
// sid, such as one minted by the FastAPI recipe: there is nothing to revoke
// it by, so it stays valid until it expires. Tell the client so, rather than
// that it was logged out.
var ErrNotRevocable = errors.New("jwtauth: token has no jti or sid to revoke")

// sessionEnd is how long a session revocation must last: past the latest
// expiry of any token of the session issued until now, plus the largest
// Leeway a Middleware may allow, during which it still accepts them.
func (i *Issuer) sessionEnd() time.Time {
	return i.cfg.Now().Add(i.cfg.RefreshTTL + maxLeeway)
}

// Logout revokes the access token whose claims are c (its jti, until it
// expires) and its whole session (every refresh token and access token of
// the same login), for a Middleware that consults the Issuer's store. The
// revocations outlast the tokens by the largest possible Config.Leeway, so
// no verifier accepts them again after their exp. A token with neither
// claim gives [ErrNotRevocable].
func (i *Issuer) Logout(ctx context.Context, c *Claims) error {
	if c == nil {
		return ErrMissingToken
	}
	if c.id == "" && c.sid == "" {
		return ErrNotRevocable
	}
	if c.id != "" {
		until := c.ExpiresAt()
		if until.IsZero() {
			until = i.cfg.Now().Add(i.cfg.TTL)
		}
		if err := i.store.Revoke(ctx, c.id, until.Add(maxLeeway)); err != nil {
			return fmt.Errorf("%w: %w", ErrStore, err)
		}
	}
	if c.sid != "" {
		if err := i.store.Revoke(ctx, c.sid, i.sessionEnd()); err != nil {
			return fmt.Errorf("%w: %w", ErrStore, err)
		}
	}
	return nil
}

// ErrNotFresh means a route that needs a fresh token got one made by a
// refresh. It matches ErrInsufficientScope (403): the client must log in
// again with its password.
var ErrNotFresh error = &classError{"jwtauth: fresh login required", ErrInsufficientScope}

// RequireFresh returns middleware that lets a request through only when its
// token is fresh: issued by [Issuer.Login] or [Issuer.Issue], after the user
// gave their password, and not by [Issuer.Refresh]. Use it for sensitive
// routes such as changing the password or email address. Otherwise it answers
// 403 insufficient_scope; a request without verified claims gets 401.
func RequireFresh() func(http.Handler) http.Handler {
	return guard("", ErrNotFresh, func(c *Claims) (bool, error) { return c.fresh, nil })
}
