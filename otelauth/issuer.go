package otelauth

import (
	"context"

	"go.opentelemetry.io/otel/attribute"

	"github.com/authkit-go/authkit/jwtauth/issuer"
)

type sessionKey struct {
	kind   issuer.EventKind
	result string
}

func sessionAttrs(k sessionKey) *attrs {
	kvs := []attribute.KeyValue{keyOperation.String(k.kind.String()), keyResult.String(k.result)}
	return newAttrs(kvs, kvs)
}

// SessionEvent counts a session operation of an issuer
// (authkit.issuer.sessions) by operation and result, "ok" or the class of
// the failure, and records how long it took
// (authkit.issuer.session.duration). It implements [issuer.Observer].
func (o *Observer) SessionEvent(ctx context.Context, e issuer.Event) {
	a := o.sessionSets.get(sessionKey{e.Kind, resultLabel(e.Err)})
	o.sessions.Add(ctx, 1, a.add...)
	o.sessionTime.Record(ctx, e.Duration.Seconds(), a.rec...)
	o.event(ctx, eventSession, a)
}
