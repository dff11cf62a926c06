package password

import (
	"context"
	"errors"
	"fmt"
)

var errNilContext = errors.New("password: nil Context")

// compute runs f, argon2 or bcrypt computations one after another, in one of
// the Hasher's MaxConcurrent slots. Waiting for a slot honours ctx; once f has
// started it runs to completion, since neither argon2 nor bcrypt can be
// interrupted.
func (h *Hasher) compute(ctx context.Context, f func()) error {
	if ctx == nil {
		return errNilContext
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrBusy, err)
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	defer func() { <-h.sem }()

	n := h.inFlight.Add(1)
	defer h.inFlight.Add(-1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	f()
	return nil
}
