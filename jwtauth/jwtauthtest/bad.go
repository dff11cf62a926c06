package jwtauthtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// BadKind is a kind of token that a verifier must refuse. [Kit.Bad] mints
// one; [Kit.BadTokens] mints them all. Each is a token the kit's
// Middleware would accept but for the one thing its kind names, so a
// verifier that forgets that one check accepts it.
type BadKind int

// The kinds of bad token, with the error a Middleware of [Kit.Config]
// refuses each with ([BadKind.Err]).
const (
	// Expired: exp an hour ago, beyond any Leeway ([jwtauth.ErrTokenExpired]).
	Expired BadKind = iota + 1
	// NotYetValid: nbf an hour ahead ([jwtauth.ErrTokenNotYetValid]).
	NotYetValid
	// WrongIssuer: iss of another issuer ([jwtauth.ErrIssuer]). Refused
	// only by a verifier that checks the issuer: one with Config.Issuer set.
	WrongIssuer
	// WrongAudience: aud of another service ([jwtauth.ErrAudience]).
	// Refused both by a verifier with another Audience and by one with none,
	// which refuses every token that carries an aud.
	WrongAudience
	// WrongAlgorithm: algorithm confusion ([jwtauth.ErrAlgorithm]). For a
	// kit of public-key signatures, an HS256 token whose HMAC secret is the
	// PEM of the kit's public key, which a verifier that lets the token
	// choose the algorithm accepts; for an HMAC kit, the same secret under
	// another HMAC algorithm. The kid is the kit's.
	WrongAlgorithm
	// AlgNone: alg "none" with a signature, for verifiers that take an
	// empty signature as the sign of "none" ([jwtauth.ErrAlgorithm]).
	AlgNone
	// Unsigned: alg "none" and an empty signature, an Unsecured JWT (RFC
	// 7519 §6), which jwtauth does not parse as a JWS
	// ([jwtauth.ErrTokenMalformed]).
	Unsigned
	// WrongKey: a valid signature by another key of the kit's algorithm
	// under the kit's kid ([jwtauth.ErrSignature]).
	WrongKey
	// UnknownKey: a valid signature by another key, under a kid that the
	// kit's keys do not have ([jwtauth.ErrUnknownKey]).
	UnknownKey
	// Tampered: a valid token whose payload was changed after signing, to
	// make its subject an admin ([jwtauth.ErrSignature]).
	Tampered
	// RefreshAsAccess: a real refresh token (typ "refresh+jwt") from the
	// issuer's Login, presented as an access token ([jwtauth.ErrTokenType]).
	RefreshAsAccess
	// NoExpiry: no exp claim ([jwtauth.ErrMissingClaim]). Accepted by a
	// verifier with InsecureAllowNoExpiry.
	NoExpiry
	// TooLarge: a validly signed token longer than 64 KiB, the largest
	// MaxTokenSize there is ([jwtauth.ErrTokenTooLarge]).
	TooLarge
	// Revoked: an access token of a session that Logout ended
	// ([jwtauth.ErrTokenRevoked]). Refused by a verifier that consults the
	// store that [Kit.Keys] brings, as one of [Kit.Config] does.
	Revoked

	numKinds = iota + 1
)

var kindNames = [numKinds]string{"", "expired", "not-yet-valid", "wrong-issuer",
	"wrong-audience", "wrong-algorithm", "alg-none", "unsigned", "wrong-key",
	"unknown-key", "tampered", "refresh-as-access", "no-expiry", "too-large", "revoked"}

var kindErrs = [numKinds]error{nil, jwtauth.ErrTokenExpired, jwtauth.ErrTokenNotYetValid, jwtauth.ErrIssuer,
	jwtauth.ErrAudience, jwtauth.ErrAlgorithm, jwtauth.ErrAlgorithm, jwtauth.ErrTokenMalformed, jwtauth.ErrSignature,
	jwtauth.ErrUnknownKey, jwtauth.ErrSignature, jwtauth.ErrTokenType, jwtauth.ErrMissingClaim, jwtauth.ErrTokenTooLarge,
	jwtauth.ErrTokenRevoked}

// String returns the kind's name, such as "expired" or "wrong-key".
func (b BadKind) String() string {
	if b <= 0 || b >= numKinds {
		return "BadKind(" + strconv.Itoa(int(b)) + ")"
	}
	return kindNames[b]
}

// Err returns the error that a Middleware of [Kit.Config] refuses a token of
// this kind with, to test with errors.Is; nil for a kind that does not
// exist.
func (b BadKind) Err() error {
	if b <= 0 || b >= numKinds {
		return nil
	}
	return kindErrs[b]
}

// BadToken is one row of [Kit.BadTokens].
type BadToken struct {
	Kind  BadKind // what is wrong with it
	Name  string  // Kind.String(), for t.Run
	Token string  // the compact token, as sent after "Bearer "
	Err   error   // what the verifier must return, by errors.Is: Kind.Err()
}

// BadTokens returns one token of each [BadKind] that a verifier configured
// as [Kit.Config] refuses, with the error it refuses it with, for a table
// test of your own Middleware:
//
//	mw, _ := jwtauth.New(kit.Config()) // plus your own fields
//	for _, bad := range kit.BadTokens() {
//		t.Run(bad.Name, func(t *testing.T) {
//			_, err := mw.Verify(t.Context(), bad.Token)
//			if !errors.Is(err, bad.Err) {
//				t.Errorf("got %v, want %v", err, bad.Err)
//			}
//		})
//	}
//
// Sent to mw.Handler, each is answered 401 invalid_token. [WrongIssuer] is
// left out when [Options.Issuer] is not set, since no verifier of the kit's
// tokens would check it. The subject is [Options.Subject]; the private
// claims are [Options.Claims].
func (k *Kit) BadTokens() []BadToken {
	k.t.Helper()
	out := make([]BadToken, 0, numKinds-1)
	for kind := Expired; kind < numKinds; kind++ {
		if kind == WrongIssuer && k.opts.Issuer == "" {
			continue
		}
		out = append(out, BadToken{Kind: kind, Name: kind.String(), Token: k.Bad(kind), Err: kind.Err()})
	}
	return out
}

// Bad returns a token of kind for [Options.Subject], which a Middleware of
// [Kit.Config] refuses with kind.Err(). A kind that does not exist stops
// the test.
func (k *Kit) Bad(kind BadKind) string {
	k.t.Helper()
	tok, err := k.bad(kind)
	if err != nil {
		k.t.Fatalf("jwtauthtest: Bad(%v): %v", kind, err)
	}
	return tok
}

// wrongAudience and wrongIssuer are the aud and iss of other parties.
const (
	wrongAudience = "https://other-api.jwtauthtest.invalid"
	wrongIssuer   = "https://other-issuer.jwtauthtest.invalid"
)

func (k *Kit) bad(kind BadKind) (string, error) {
	ctx := context.Background()
	sub := k.opts.Subject
	switch kind {
	case RefreshAsAccess:
		t, err := k.iss.Login(ctx, sub, k.claims(nil))
		if err != nil {
			return "", err
		}
		return t.RefreshToken, nil
	case Revoked:
		t, err := k.iss.Login(ctx, sub, k.claims(nil))
		if err != nil {
			return "", err
		}
		c, err := k.mw.Verify(ctx, t.AccessToken)
		if err != nil {
			return "", err
		}
		if err := k.iss.Logout(ctx, c); err != nil {
			return "", err
		}
		return t.AccessToken, nil
	case Tampered:
		tok, err := k.mint(sub, nil)
		if err != nil {
			return "", err
		}
		h, p, s, _ := split3(tok)
		claims, err := decodePayload(p)
		if err != nil {
			return "", err
		}
		claims["sub"], _ = json.Marshal(sub + "-admin")
		claims["role"] = json.RawMessage(`"admin"`)
		payload, _ := json.Marshal(claims)
		return h + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + s, nil
	}
	if kind <= 0 || kind >= numKinds {
		return "", fmt.Errorf("no such kind")
	}

	// The others are the payload of a valid token, changed, signed anew.
	tok, err := k.mint(sub, nil)
	if err != nil {
		return "", err
	}
	_, p, _, _ := split3(tok)
	claims, err := decodePayload(p)
	if err != nil {
		return "", err
	}
	now := k.now()
	date := func(t time.Time) json.RawMessage { return strconv.AppendInt(nil, t.Unix(), 10) }
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	alg, kid, key := k.alg, k.kid, k.key
	switch kind {
	case Expired:
		claims["iat"], claims["nbf"], claims["exp"] = date(now.Add(-2*time.Hour)), date(now.Add(-2*time.Hour)), date(now.Add(-time.Hour))
	case NotYetValid:
		claims["nbf"], claims["exp"] = date(now.Add(time.Hour)), date(now.Add(2*time.Hour))
	case WrongIssuer:
		claims["iss"] = str(wrongIssuer)
		if k.opts.Issuer == wrongIssuer {
			claims["iss"] = str(wrongIssuer + "/other")
		}
	case WrongAudience:
		claims["aud"] = str(wrongAudience)
		if k.opts.Audience == wrongAudience {
			claims["aud"] = str(wrongAudience + "/other")
		}
	case NoExpiry:
		delete(claims, "exp")
	case TooLarge:
		claims["padding"] = str(strings.Repeat("x", 50_000))
	case WrongKey:
		key = k.other
	case UnknownKey:
		key, kid = k.other, randomKID()
	case WrongAlgorithm:
		if algorithms[k.alg] == "HMAC" {
			alg = "HS384"
			if k.alg == "HS384" {
				alg = "HS512"
			}
		} else {
			alg = "HS256"
			if key, err = publicPEM(k.key); err != nil {
				return "", err
			}
		}
	case AlgNone, Unsigned:
		payload, _ := json.Marshal(claims)
		input := header("none", kid, "JWT") + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
		if kind == Unsigned {
			return input, nil
		}
		var sig [32]byte
		rand.Read(sig[:])
		return input + base64.RawURLEncoding.EncodeToString(sig[:]), nil
	}
	payload, _ := json.Marshal(claims)
	return sign(alg, kid, key, payload)
}

// decodePayload decodes the payload segment of a token of the kit.
func decodePayload(seg string) (map[string]json.RawMessage, error) {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, err
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(raw, &claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// split3 splits a compact JWS into its three segments.
func split3(tok string) (h, p, s string, ok bool) {
	h, rest, ok1 := strings.Cut(tok, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	return h, p, s, ok1 && ok2
}
