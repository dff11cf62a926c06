package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/authkit-go/authkit/jwtauth"
)

// Tokens is what a login or a refresh returns.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the lifetime of AccessToken.
	ExpiresIn time.Duration
	// SessionID is the session the tokens belong to (their sid).
	SessionID string
	// Thumbprint is the cnf.jkt that binds AccessToken to the client's
	// DPoP key (see [Issuer.LoginDPoP]); "" for a bearer token.
	Thumbprint string
}

// MarshalJSON renders t as an OAuth 2.0 token response (RFC 6749 §5.1):
// {"access_token", "token_type": "bearer", "expires_in", "refresh_token"};
// token_type is "DPoP" for a DPoP-bound access token (RFC 9449 §5).
func (t Tokens) MarshalJSON() ([]byte, error) {
	typ := "bearer"
	if t.Thumbprint != "" {
		typ = "DPoP"
	}
	return json.Marshal(struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		RefreshToken string `json:"refresh_token,omitempty"`
	}{t.AccessToken, typ, int64(t.ExpiresIn / time.Second), t.RefreshToken})
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

// LoginOption sets what Login records of the client in the session. Make
// one with [WithDevice] or [WithAddress]; an option can set nothing else.
type LoginOption func(*client)

// client is what LoginOptions may set: never the subject, the claims or the
// lifetimes, which Login has checked.
type client struct{ device, address string }

// maxClientText bounds Device and Address, which come from the request.
const maxClientText = 200

// WithDevice records a label of the client's device in the session, such as
// its User-Agent, for a "your devices" page. It is cut to 200 bytes and
// cleaned of control characters and invalid UTF-8.
func WithDevice(label string) LoginOption {
	return func(c *client) { c.device = clean(label) }
}

// WithAddress records the client's address in the session, cleaned as
// [WithDevice] cleans.
func WithAddress(addr string) LoginOption {
	return func(c *client) { c.address = clean(addr) }
}

func clean(s string) string {
	out := make([]rune, 0, min(len(s), maxClientText))
	n := 0
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || (r >= 0x7f && r < 0xa0) {
			r = '?'
		}
		if n+utf8.RuneLen(r) > maxClientText {
			break
		}
		n += utf8.RuneLen(r)
		out = append(out, r)
	}
	return string(out)
}

// Login starts a session for subject, after the caller has checked the
// user's credentials, and returns its first tokens: a fresh access token
// (see [jwtauth.RequireFresh]) and a refresh token, both naming the session
// (sid). claims are the private claims of every access token of the session,
// as in [Issuer.Issue], kept byte for byte across refreshes unless OnRefresh
// replaces them. The subject must be non-empty and valid ([ErrSubject]).
//
// When the subject already has MaxSessionsPerSubject sessions, its oldest
// ends. A store with no room fails with [ErrStoreFull] (answer 503), and
// in fleet mode an Issuer not [Issuer.Ready] with [ErrNotReady] (503 too).
func (i *Issuer) Login(ctx context.Context, subject string, claims map[string]any, opts ...LoginOption) (*Tokens, error) {
	if i.cfg.Observer == nil {
		return i.login(ctx, subject, claims, "", opts...)
	}
	start := time.Now()
	t, err := i.login(ctx, subject, claims, "", opts...)
	i.observe(ctx, EventLogin, start, err)
	return t, err
}

// login starts the session; jkt, when not "", binds it to a DPoP key.
func (i *Issuer) login(ctx context.Context, subject string, claims map[string]any, jkt string, opts ...LoginOption) (*Tokens, error) {
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	raw, err := i.encodeClaims(claims)
	if err != nil {
		return nil, err
	}
	now := i.cfg.Now()
	s := &Session{
		ID: randomID(), Subject: subject, Created: now, Refreshed: now,
		Deadline: now.Add(i.cfg.MaxSessionAge), Generation: 1, Claims: raw,
	}
	s.Expires = minTime(now.Add(i.cfg.RefreshTTL), s.Deadline)
	var cl client
	for _, o := range opts {
		if o != nil {
			o(&cl)
		}
	}
	s.Device, s.Address = cl.device, cl.address
	s.Thumbprint = jkt
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := i.signing(true)
	if err != nil {
		return nil, err
	}
	t, err := i.tokens(st, s, now, true, jkt)
	if err != nil {
		return nil, err
	}
	if err := i.store.CreateSession(ctx, s, i.cfg.MaxSessionsPerSubject, now); err != nil {
		return nil, storeError(err)
	}
	return t, nil
}

// storeError wraps an error of the store: ErrStoreFull as it is (503),
// anything else in jwtauth.ErrStore (500).
func storeError(err error) error {
	if errors.Is(err, ErrStoreFull) {
		return err
	}
	return fmt.Errorf("%w: %w", jwtauth.ErrStore, err)
}

// tokens mints the tokens of session s at its generation: an access token
// bound to jkt when it is not "", a refresh token bound to s.Thumbprint,
// with the keys of st.
func (i *Issuer) tokens(st *state, s *Session, now time.Time, fresh bool, jkt string) (*Tokens, error) {
	exp := minTime(now.Add(i.cfg.TTL), s.Deadline)
	access, err := i.signAccess(st, s.Subject, s.Claims, s.ID, now, exp, fresh, jkt)
	if err != nil {
		return nil, err
	}
	p := i.payload(s.Subject, now, s.Expires)
	p = appendMember(p, "sid", s.ID)
	p = append(p, `,"gen":`...)
	p = strconv.AppendUint(p, s.Generation, 10)
	p = appendCnf(p, s.Thumbprint)
	refresh, err := sign(i.refreshSignerOf(st), append(p, '}'))
	if err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: exp.Sub(now).Truncate(time.Second), SessionID: s.ID, Thumbprint: jkt}, nil
}

// Refresh exchanges a refresh token for the session's next tokens, and
// makes the one presented unusable: each refresh advances the session's
// generation. Presenting an older one — a client that lost the new tokens,
// or an attacker replaying a stolen token — fails with [ErrRefreshReused]
// and ends the session, so every access and refresh token of the same login
// stops working (RFC 9700 §4.14.2); within RefreshGrace of a refresh, the
// one just replaced still gets the current tokens. Of concurrent refreshes
// with the same token exactly one advances. OnRefresh, when configured, may
// deny the refresh (the session ends) or change the claims.
//
// The session's idle limit restarts (RefreshTTL), up to MaxSessionAge from
// the login. The new access token is not fresh. Errors about the token
// match jwtauth.ErrInvalidToken; store failures wrap jwtauth.ErrStore.
func (i *Issuer) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if i.cfg.Observer == nil {
		return i.refresh(ctx, refreshToken, nil)
	}
	start := time.Now()
	t, err := i.refresh(ctx, refreshToken, nil)
	i.observe(ctx, EventRefresh, start, err)
	return t, err
}

// refresh is Refresh, with the DPoP proof of the request when not nil.
func (i *Issuer) refresh(ctx context.Context, refreshToken string, proof *DPoPProof) (*Tokens, error) {
	c, err := i.refreshMW.Verify(ctx, refreshToken)
	if err != nil {
		return nil, err
	}
	// Before the session advances: an Issuer that could not sign the
	// next tokens must not spend the client's refresh token.
	st, err := i.signing(true)
	if err != nil {
		return nil, err
	}
	bound, jkt, err := i.checkRefreshProof(ctx, c, proof)
	if err != nil {
		return nil, err
	}
	gen, ok := generation(c)
	if !ok {
		return nil, jwtauth.ErrClaimType
	}
	now := i.cfg.Now()
	a := Advance{ID: c.SessionID(), Subject: c.Subject(), Generation: gen, Now: now,
		Idle: i.cfg.RefreshTTL, Grace: i.cfg.RefreshGrace}
	if i.cfg.OnRefresh != nil {
		s, err := i.store.Session(ctx, a.ID, now)
		switch {
		case errors.Is(err, ErrNoSession):
			return nil, jwtauth.ErrTokenRevoked
		case err != nil:
			return nil, storeError(err)
		}
		if s.Subject == a.Subject && s.Generation == gen {
			// Only a refresh that would advance asks the hook; a reuse
			// ends the session below whatever the hook would say.
			if a.Claims, err = i.onRefresh(ctx, s); err != nil {
				return nil, err
			}
		}
	}
	s, outcome, err := i.store.AdvanceSession(ctx, a)
	if err != nil {
		return nil, storeError(err)
	}
	switch outcome {
	case Advanced, InGrace:
		s.Thumbprint = bound // a store may not keep it; the token carries it
		return i.tokens(st, s, now, false, jkt)
	case Reused:
		return nil, ErrRefreshReused
	}
	return nil, jwtauth.ErrTokenRevoked
}

// onRefresh asks the OnRefresh hook about s, and ends s if it denies.
func (i *Issuer) onRefresh(ctx context.Context, s *Session) (json.RawMessage, error) {
	claims, err := i.cfg.OnRefresh(ctx, s)
	if errors.Is(err, ErrSessionDenied) {
		if _, err := i.store.EndSession(ctx, s.ID, s.Subject, i.cfg.Now()); err != nil {
			return nil, storeError(err)
		}
		return nil, deniedRefresh{}
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: OnRefresh: %w", err)
	}
	if claims == nil {
		return nil, nil
	}
	raw, err := i.encodeClaims(claims)
	if err != nil {
		return nil, fmt.Errorf("issuer: OnRefresh: %w", err)
	}
	if raw == nil {
		raw = json.RawMessage{} // not nil: replace with no claims
	}
	return raw, nil
}

// generation reads the gen claim: a positive integer in decimal.
func generation(c *jwtauth.Claims) (uint64, bool) {
	v, ok := c.Value("gen")
	if !ok || len(v) == 0 || len(v) > 16 || v[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	return n, err == nil
}

// Logout ends the session of the access token whose claims are c, so that
// every access and refresh token of the same login fails at once, for a
// Middleware that consults the Issuer's store. A token without a session,
// from [Issuer.Issue], is revoked by its jti until it expires. A token with
// neither, or from another issuer, gives [ErrNotRevocable]; a store failure
// an error wrapping jwtauth.ErrStore. A session already ended is success.
func (i *Issuer) Logout(ctx context.Context, c *jwtauth.Claims) error {
	if i.cfg.Observer == nil {
		return i.logout(ctx, c)
	}
	start := time.Now()
	err := i.logout(ctx, c)
	i.observe(ctx, EventLogout, start, err)
	return err
}

func (i *Issuer) logout(ctx context.Context, c *jwtauth.Claims) error {
	if c == nil {
		return jwtauth.ErrMissingToken
	}
	if c.Issuer() != i.cfg.Issuer {
		return ErrNotRevocable
	}
	now := i.cfg.Now()
	switch {
	case c.SessionID() != "":
		if _, err := i.store.EndSession(ctx, c.SessionID(), c.Subject(), now); err != nil {
			return storeError(err)
		}
	case c.ID() != "" && c.Subject() != "":
		until := c.ExpiresAt()
		if until.IsZero() || until.After(now.Add(i.cfg.TTL)) {
			until = now.Add(i.cfg.TTL)
		}
		if err := i.store.RevokeToken(ctx, c.Subject(), c.ID(), now, until.Add(maxLeeway)); err != nil {
			return storeError(err)
		}
	default:
		return ErrNotRevocable
	}
	return nil
}

// RevokeSession ends the session id, whoever's it is: its access and
// refresh tokens fail from now on. It returns [ErrNoSession] when no live
// session has the id. To let users end their own sessions, use
// [Issuer.RevokeSessionOf], which checks the owner.
func (i *Issuer) RevokeSession(ctx context.Context, id string) error {
	return i.endSession(ctx, id, "")
}

// RevokeSessionOf ends the session id if it is subject's, as
// [Issuer.RevokeSession] does; otherwise it returns [ErrNoSession] and
// changes nothing.
func (i *Issuer) RevokeSessionOf(ctx context.Context, subject, id string) error {
	if subject == "" {
		i.observe(ctx, EventRevokeSession, time.Now(), ErrNoSession)
		return ErrNoSession
	}
	return i.endSession(ctx, id, subject)
}

func (i *Issuer) endSession(ctx context.Context, id, subject string) error {
	start := time.Now()
	err := i.endSessionNow(ctx, id, subject)
	i.observe(ctx, EventRevokeSession, start, err)
	return err
}

func (i *Issuer) endSessionNow(ctx context.Context, id, subject string) error {
	ended, err := i.store.EndSession(ctx, id, subject, i.cfg.Now())
	if err != nil {
		return storeError(err)
	}
	if !ended {
		return ErrNoSession
	}
	return nil
}

// RevokeSubject logs subject out everywhere: it ends every session of the
// subject, and makes every access token of the subject issued until now
// fail, including tokens from [Issuer.Issue] (by iat, in whole seconds, so
// a sessionless token issued in the same second fails too). A Login after
// it starts a new session as usual.
func (i *Issuer) RevokeSubject(ctx context.Context, subject string) error {
	if i.cfg.Observer == nil {
		return i.revokeSubject(ctx, subject)
	}
	start := time.Now()
	err := i.revokeSubject(ctx, subject)
	i.observe(ctx, EventRevokeSubject, start, err)
	return err
}

func (i *Issuer) revokeSubject(ctx context.Context, subject string) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	now := i.cfg.Now()
	if err := i.store.RevokeSubject(ctx, subject, now, now.Add(i.cfg.TTL+maxLeeway)); err != nil {
		return storeError(err)
	}
	return nil
}

// Sessions returns the live sessions of subject, oldest first, for a "your
// devices" page. Compare Session.ID with the sid of the request's token
// ([jwtauth.Claims.SessionID]) to mark the current one.
func (i *Issuer) Sessions(ctx context.Context, subject string) ([]Session, error) {
	ss, err := i.store.Sessions(ctx, subject, i.cfg.Now())
	if err != nil {
		return nil, storeError(err)
	}
	return ss, nil
}
