// Package jwtauthtest helps test code that package jwtauth protects: it
// mints valid tokens and every kind of bad one, makes verified
// [jwtauth.Claims] for handler unit tests, gives a clock that moves when
// told, and runs a fake identity provider for tests of remote keys.
//
// # A handler test in three lines
//
// jwtauth.Claims cannot be built by hand: only a Middleware that verified a
// token makes one. A [Kit] does that for you:
//
//	func TestMe(t *testing.T) {
//		kit := jwtauthtest.New(t, jwtauthtest.Options{})
//		rec := httptest.NewRecorder()
//		me(rec, kit.Request("GET", "/me", "alice", map[string]any{"scope": "profile"}))
//		// rec.Code, rec.Body…
//	}
//
// [Kit.Request] returns a request whose context carries the verified claims
// of a new token of "alice", so jwtauth.FromContext works in the bare
// handler, and whose Authorization header carries that token, so the same
// request can also go through your Middleware. [Kit.Claims] and
// [Kit.Context] give the claims alone, for jwtauth.NewContext or for
// handlers that take a context.
//
// # The Middleware itself
//
// [Kit.Keys] goes into jwtauth.Config.Keys, and [Kit.Config] is a whole
// Config that accepts the kit's tokens: add your own fields to it.
// [Kit.Token] and [Kit.TokenFor] mint valid tokens with a real
// issuer.Issuer ([Kit.Issuer], for login and logout tests).
// [Kit.BadTokens] is a table of bad tokens, each with the error jwtauth
// refuses it with, for a table test of your configuration in a few lines:
//
//	kit := jwtauthtest.New(t, jwtauthtest.Options{Issuer: "https://auth.example.com", Audience: "api"})
//	mw, _ := jwtauth.New(kit.Config())
//	for _, bad := range kit.BadTokens() {
//		t.Run(bad.Name, func(t *testing.T) {
//			if _, err := mw.Verify(t.Context(), bad.Token); !errors.Is(err, bad.Err) {
//				t.Errorf("got %v, want %v", err, bad.Err)
//			}
//		})
//	}
//
// The table holds expired and not-yet-valid tokens, a wrong issuer and a
// wrong audience, algorithm confusion (HS256 signed with the public key),
// alg "none" with and without a signature, a valid signature by another
// key under the kit's kid, an unknown kid, a payload edited after signing,
// a real refresh token presented as an access token, no exp, a token over
// 64 KiB, and a token whose session was logged out; [BadKind] lists them,
// and [Kit.Bad] mints one.
//
// # Time
//
// A [Clock] is a clock that moves only by [Clock.Add] and [Clock.Set]; its
// Now method goes into [Options.Now], jwtauth.Config.Now and
// issuer.Config.Now, so that a test can expire a token without waiting.
// Give the kit and the Middleware the same clock ([Kit.Config] does).
//
// # Remote keys
//
// [NewProvider] starts a fake OpenID Connect provider on a loopback port,
// in the manner of httptest.Server: a discovery document, a JWK Set, tokens
// of its current key, key rotation ([Provider.Rotate], [Provider.Retire]),
// and faults on demand ([Provider.SetFault]: down, slow, 500, garbage, an
// empty set, a hang), with a count of fetches. It serves http by default,
// which jwtauth.Remote and jwtauth.Discover accept only with
// RemoteOptions.AllowLoopbackHTTP; with [ProviderOptions.TLS] it serves
// https with a certificate that only [Provider.Client] trusts.
// [Provider.RemoteOptions] sets whichever the provider needs.
//
// # Keys
//
// Each Kit and Provider makes keys of its own, except RSA keys: making one
// takes seconds under the race detector, so they are made once per process
// and shared, each Kit and Provider giving them a random kid of its own.
// [Options.Key] signs with a key of yours instead.
//
// # Security considerations
//
// This package is for tests; nothing in it weakens a verifier. It has no
// way to make jwtauth accept alg "none", an unknown key or an expired
// token: those tokens exist only as bad tokens, which jwtauth refuses, and
// the kit configures jwtauth only through its public Config. The kit's keys
// are made at random for each test process (or are yours), and its
// Provider listens on loopback only. Do not import it from production code.
package jwtauthtest
