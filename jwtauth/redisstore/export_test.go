package redisstore

import (
	"context"
	"time"
)

// ConsumeWithNonce is Consume with a chosen nonce, to replay a call as the
// client does when it retries after a lost reply.
func (s *Store) ConsumeWithNonce(ctx context.Context, id string, until time.Time, nonce string) (bool, error) {
	return s.consume(ctx, id, until, nonce)
}
