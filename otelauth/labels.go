package otelauth

import (
	"context"
	"errors"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// labelOther is the label of an error of no known class.
const labelOther = "other"

// reasonLabel is the short label of a jwtauth.RejectedEvent's Reason. The
// Reason is a sentinel of package jwtauth, so the switch, which compares
// identities, answers; errors.Is over the same list, most specific first,
// would still answer should a wrapped one ever arrive. Anything else is
// "other": the label never comes from an error's text.
func reasonLabel(err error) string {
	switch err {
	case nil:
		return labelOther
	case jwtauth.ErrReplayCacheFull:
		return "dpop_replay_cache_full"
	case jwtauth.ErrDPoPReplay:
		return "dpop_replay"
	case jwtauth.ErrDPoPNonce:
		return "dpop_nonce"
	case jwtauth.ErrDPoPBinding:
		return "dpop_binding"
	case jwtauth.ErrDPoPRequired:
		return "dpop_required"
	case jwtauth.ErrDPoPProof:
		return "dpop_proof"
	case jwtauth.ErrStore:
		return "store"
	case jwtauth.ErrGuard:
		return "guard_misconfigured"
	case jwtauth.ErrKeysUnavailable:
		return "keys_unavailable"
	case jwtauth.ErrCrossOrigin:
		return "cross_origin"
	case jwtauth.ErrMultipleTokens:
		return "multiple_tokens"
	case jwtauth.ErrMalformedHeader:
		return "malformed_header"
	case jwtauth.ErrInvalidRequest:
		return "invalid_request"
	case jwtauth.ErrMissingToken:
		return "missing_token"
	case jwtauth.ErrTokenMalformed:
		return "malformed_token"
	case jwtauth.ErrTokenTooLarge:
		return "token_too_large"
	case jwtauth.ErrUnsupportedHeader:
		return "unsupported_header"
	case jwtauth.ErrAlgorithm:
		return "algorithm"
	case jwtauth.ErrUnknownKey:
		return "unknown_key"
	case jwtauth.ErrSignature:
		return "signature"
	case jwtauth.ErrTokenExpired:
		return "expired"
	case jwtauth.ErrTokenNotYetValid:
		return "not_yet_valid"
	case jwtauth.ErrClaimType:
		return "claim_type"
	case jwtauth.ErrMissingClaim:
		return "missing_claim"
	case jwtauth.ErrIssuer:
		return "issuer"
	case jwtauth.ErrAudience:
		return "audience"
	case jwtauth.ErrTokenType:
		return "token_type"
	case jwtauth.ErrClaimName:
		return "claim_name"
	case jwtauth.ErrTokenRevoked:
		return "revoked"
	case jwtauth.ErrRejected:
		return "rejected"
	case jwtauth.ErrInvalidToken:
		return "invalid_token"
	case jwtauth.ErrNotFresh:
		return "not_fresh"
	case jwtauth.ErrClaimValue:
		return "claim_value"
	case jwtauth.ErrMissingScope:
		return "missing_scope"
	case jwtauth.ErrInsufficientScope:
		return "insufficient_scope"
	}
	for _, r := range reasons {
		if errors.Is(err, r) {
			return reasonLabel(r)
		}
	}
	return labelOther
}

// reasons are jwtauth's sentinels, the most specific first, as jwtauth
// itself orders them.
var reasons = []error{
	jwtauth.ErrReplayCacheFull, jwtauth.ErrDPoPReplay, jwtauth.ErrDPoPNonce, jwtauth.ErrDPoPBinding,
	jwtauth.ErrDPoPRequired, jwtauth.ErrDPoPProof, jwtauth.ErrStore, jwtauth.ErrGuard, jwtauth.ErrKeysUnavailable, jwtauth.ErrCrossOrigin,
	jwtauth.ErrMultipleTokens, jwtauth.ErrMalformedHeader, jwtauth.ErrInvalidRequest, jwtauth.ErrMissingToken,
	jwtauth.ErrTokenMalformed, jwtauth.ErrTokenTooLarge, jwtauth.ErrUnsupportedHeader, jwtauth.ErrAlgorithm,
	jwtauth.ErrUnknownKey, jwtauth.ErrSignature, jwtauth.ErrTokenExpired, jwtauth.ErrTokenNotYetValid,
	jwtauth.ErrClaimType, jwtauth.ErrMissingClaim, jwtauth.ErrIssuer, jwtauth.ErrAudience, jwtauth.ErrTokenType,
	jwtauth.ErrClaimName, jwtauth.ErrTokenRevoked, jwtauth.ErrRejected, jwtauth.ErrInvalidToken,
	jwtauth.ErrNotFresh, jwtauth.ErrClaimValue, jwtauth.ErrMissingScope, jwtauth.ErrInsufficientScope,
}

// resultLabel is the result label of an issuer.Event's Err: "ok" for nil,
// else the short label of its class, as reasonLabel does for jwtauth.
func resultLabel(err error) string {
	switch err {
	case nil:
		return "ok"
	case issuer.ErrStoreFull:
		return "store_full"
	case issuer.ErrNotReady:
		return "not_ready"
	case jwtauth.ErrStore:
		return "store"
	case issuer.ErrRefreshReused:
		return "refresh_reused"
	case issuer.ErrSessionDenied:
		return "session_denied"
	case jwtauth.ErrTokenRevoked:
		return "revoked"
	case issuer.ErrNoSession:
		return "no_session"
	case issuer.ErrNotRevocable:
		return "not_revocable"
	case issuer.ErrSubject:
		return "invalid_subject"
	case issuer.ErrReservedClaim:
		return "reserved_claim"
	case issuer.ErrTooLarge:
		return "too_large"
	case context.Canceled:
		return "canceled"
	case context.DeadlineExceeded:
		return "deadline_exceeded"
	case jwtauth.ErrMissingToken:
		return "missing_token"
	case jwtauth.ErrInvalidToken:
		return "invalid_token"
	}
	for _, c := range results {
		if errors.Is(err, c) {
			return resultLabel(c)
		}
	}
	return labelOther
}

// results are the classes of an issuer.Event's Err, the most specific
// first, as the issuer package orders them.
var results = []error{
	issuer.ErrStoreFull, issuer.ErrNotReady, jwtauth.ErrStore, issuer.ErrRefreshReused, issuer.ErrSessionDenied,
	jwtauth.ErrTokenRevoked, issuer.ErrNoSession, issuer.ErrNotRevocable, issuer.ErrSubject,
	issuer.ErrReservedClaim, issuer.ErrTooLarge, context.Canceled, context.DeadlineExceeded,
	jwtauth.ErrInvalidToken,
}
