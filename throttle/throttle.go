package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sentinel errors. Test for them with [errors.Is]. No error message ever
// contains an account name or a client address.
var (
	// ErrThrottled is returned by [Limiter.Check] when the caller must not
	// verify the password now: too many recent failures. A server answers
	// 429 Too Many Requests with a Retry-After header (see [RetryAfter]).
	ErrThrottled = errors.New("throttle: too many failed attempts")

	// ErrUnavailable wraps the error of a [Backend], and the context's
	// error when the context ended a call. From [Limiter.Check] it means
	// that the failures could not be read, so the login must not go ahead
	// (fail closed): a server answers 503 Service Unavailable.
	ErrUnavailable = errors.New("throttle: backend unavailable")

	// ErrInvalidConfig is returned by [New] for a Config out of range.
	ErrInvalidConfig = errors.New("throttle: invalid configuration")
)

// Defaults of [Config].
const (
	DefaultFree       = 5                // Config.AccountClient.Free
	DefaultClientFree = 100              // Config.Client.Free
	DefaultDelay      = time.Second      // Limit.Delay
	DefaultMaxDelay   = 15 * time.Minute // Limit.MaxDelay
	DefaultForget     = time.Hour        // Config.Forget
	DefaultMaxEntries = 100_000          // NewMemory, and the Backend of a zero Config
)

// maxDelayForAnyConfig bounds MaxDelay, so that waits stay far from
// overflowing a Duration.
const maxDelayForAnyConfig = 24 * time.Hour

// Limit is the backoff of one counter of failures: Free failures cost
// nothing; after that, each failure makes the next attempt wait, Delay after
// the Free-th failure, twice as long after each further one, and never more
// than MaxDelay. After n failures, the wait from the last one is
//
//	0                                      if n < Free
//	min(Delay × 2^(n−Free), MaxDelay)      otherwise
//
// A zero field takes its default.
type Limit struct {
	// Free is the number of failures allowed before the waits begin.
	// Default [DefaultFree] in Config.AccountClient, [DefaultClientFree]
	// in Config.Client.
	Free int
	// Delay is the wait after the Free-th failure. Default 1s.
	Delay time.Duration
	// MaxDelay bounds every wait, and so sets the long-run rate of an
	// attacker who never stops: one guess per MaxDelay. Default 15 minutes.
	MaxDelay time.Duration
}

// wait returns how long after its last failure a counter of n failures
// refuses attempts, with free failures allowed.
func (lim Limit) wait(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := lim.Delay
	for i := n - free; i > 0 && d < lim.MaxDelay; i-- {
		d *= 2
	}
	return min(d, lim.MaxDelay)
}

// Config configures a [Limiter]. The zero value is the default: per-process
// memory, 5 free failures per account and client, 100 per client, waits
// from 1 second doubling up to 15 minutes, counters forgotten after an hour
// without failures, and no limit on an account as a whole.
type Config struct {
	// Backend keeps the counters. Default: a [NewMemory] of
	// [DefaultMaxEntries] of this Limiter's own, which counts the failures
	// of one process only. Instances that serve the same users share one
	// Backend, such as the redisstore module's Redis one, or an attacker
	// gets the free failures of every instance.
	Backend Backend

	// AccountClient limits the failures on one account from one client.
	// It is what stops a guesser of one password, and only he pays for it:
	// the real user, from another client, is not slowed down. Default Free
	// [DefaultFree].
	AccountClient Limit

	// Client limits the failures of one client on all accounts together,
	// which stops a client that tries a few passwords on many accounts
	// (password spraying). It is checked first, so a client that is
	// refused costs the Backend one read. Behind a NAT, many users share a
	// client address and this limit; raise Free if their typing errors
	// reach it. Default Free [DefaultClientFree].
	Client Limit

	// AccountAlarm, when positive, is a number of failures on one account
	// from all clients together, within Forget, from which the account is
	// under attack: then every client that has itself failed on the account
	// has no free failures left there (its waits begin after its first
	// failure), while a client that has not failed on it is never refused
	// on its account. An attacker spraying one account from many addresses
	// thus gets one guess from each before its waits begin, and the real
	// user can still try from his own device. Zero, the default, turns the
	// alarm off: an account is only limited per client. It costs one more
	// Backend write per failure, and one more read per check of a client
	// that has failed on the account.
	AccountAlarm int

	// Forget is how long a counter is kept after its last failure: once
	// Forget has passed without a failure, the counter starts again from
	// zero. It must be at least every Limit's MaxDelay. Default 1 hour.
	Forget time.Duration

	// InsecureFailOpen makes Check let logins through when the Backend
	// fails (a Redis that is down, say), instead of returning an error
	// that wraps ErrUnavailable. Logins then go on, unthrottled, while the
	// Backend is away: password guessing is unlimited for that time. The
	// default, false, fails closed: logins are refused with 503 until the
	// Backend is back. A context that has ended always gives an error.
	InsecureFailOpen bool

	// Now returns the current time. Default [time.Now]. For tests.
	Now func() time.Time
}

// A Limiter counts failed logins and tells a login handler when to refuse
// to verify a password. Make one with [New]; it is safe for concurrent use
// and cannot be changed once made.
//
// account is the account's canonical id: the same string for every spelling
// under which a login finds the account (see the package documentation);
// client is the client's identity, usually from [ClientIP]. Both may hold
// any bytes: they are hashed into the Backend's keys, never stored.
type Limiter struct {
	backend  Backend
	pair     Limit
	client   Limit
	alarm    int
	forget   time.Duration
	failOpen bool
	now      func() time.Time
}

// New returns a Limiter configured by cfg, or an error wrapping
// [ErrInvalidConfig].
func New(cfg Config) (*Limiter, error) {
	l := &Limiter{
		backend:  cfg.Backend,
		alarm:    cfg.AccountAlarm,
		forget:   cfg.Forget,
		failOpen: cfg.InsecureFailOpen,
		now:      cfg.Now,
	}
	var err error
	if l.pair, err = fill("AccountClient", cfg.AccountClient, DefaultFree); err != nil {
		return nil, err
	}
	if l.client, err = fill("Client", cfg.Client, DefaultClientFree); err != nil {
		return nil, err
	}
	if l.alarm < 0 {
		return nil, fmt.Errorf("%w: negative AccountAlarm", ErrInvalidConfig)
	}
	switch {
	case l.forget == 0:
		l.forget = max(DefaultForget, l.pair.MaxDelay, l.client.MaxDelay)
	case l.forget < max(l.pair.MaxDelay, l.client.MaxDelay):
		return nil, fmt.Errorf("%w: Forget shorter than a MaxDelay", ErrInvalidConfig)
	}
	if l.backend == nil {
		l.backend = NewMemory(DefaultMaxEntries)
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l, nil
}

func fill(name string, lim Limit, free int) (Limit, error) {
	if lim.Free == 0 {
		lim.Free = free
	}
	if lim.Delay == 0 {
		lim.Delay = DefaultDelay
	}
	if lim.MaxDelay == 0 {
		lim.MaxDelay = max(DefaultMaxDelay, lim.Delay)
	}
	switch {
	case lim.Free < 0 || lim.Delay < 0 || lim.MaxDelay < 0:
		return lim, fmt.Errorf("%w: negative field in %s", ErrInvalidConfig, name)
	case lim.MaxDelay < lim.Delay:
		return lim, fmt.Errorf("%w: %s.MaxDelay shorter than its Delay", ErrInvalidConfig, name)
	case lim.MaxDelay > maxDelayForAnyConfig:
		return lim, fmt.Errorf("%w: %s.MaxDelay longer than 24h", ErrInvalidConfig, name)
	}
	return lim, nil
}

// Check reports whether a login to account from client may verify a
// password now. Call it before verifying, for unknown accounts too. It
// returns nil when the login may go ahead; [ErrThrottled] and how long the
// client should wait when it must not; or an error wrapping
// [ErrUnavailable] when the Backend failed or ctx ended, in which case the
// login must not go ahead either (unless Config.InsecureFailOpen).
//
// The wait is that of the first limit that refuses, the client's own
// before the account's: the client may be refused again after it.
//
// Check records nothing: a refused attempt is not a failure, so an attacker
// who keeps knocking while refused does not make his wait longer, and a
// real user who is refused has lost nothing. Concurrent attempts that Check
// all lets through before any of their failures is recorded all go ahead:
// an attacker who sends them together gets that burst once, after which
// his counters hold every failure of it.
func (l *Limiter) Check(ctx context.Context, account, client string) (retryAfter time.Duration, err error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("throttle: check: %w: %w", ErrUnavailable, err)
	}
	retryAfter, err = l.check(ctx, account, client)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return 0, fmt.Errorf("throttle: check: %w: %w: %w", ErrUnavailable, cerr, err)
		}
		if l.failOpen {
			return 0, nil
		}
		return 0, fmt.Errorf("throttle: check: %w: %w", ErrUnavailable, err)
	}
	if retryAfter > 0 {
		return retryAfter, ErrThrottled
	}
	return 0, nil
}

func (l *Limiter) check(ctx context.Context, account, client string) (time.Duration, error) {
	now := l.now()
	c, err := l.backend.Load(ctx, key(kindClient, "", client))
	if err != nil {
		return 0, err
	}
	if d := l.remaining(l.client, l.client.Free, c, now); d > 0 {
		return d, nil
	}
	p, err := l.backend.Load(ctx, key(kindPair, account, client))
	if err != nil {
		return 0, err
	}
	free := l.pair.Free
	if l.alarm > 0 && l.live(p, now) {
		a, err := l.backend.Load(ctx, key(kindAccount, account, ""))
		if err != nil {
			return 0, err
		}
		if l.live(a, now) && a.Failures >= l.alarm {
			free = 1
		}
	}
	return l.remaining(l.pair, free, p, now), nil
}

// live reports whether r was not forgotten by now.
func (l *Limiter) live(r Record, now time.Time) bool {
	return r.Failures > 0 && now.Sub(r.Last) < l.forget
}

// remaining returns how long from now the counter r refuses attempts.
func (l *Limiter) remaining(lim Limit, free int, r Record, now time.Time) time.Duration {
	if !l.live(r, now) {
		return 0
	}
	w := lim.wait(r.Failures, free)
	// A Last in the future (the clocks of instances disagree) never makes
	// the wait longer than the limit's.
	return min(r.Last.Add(w).Sub(now), w)
}

// Failure records a failed login to account from client: a wrong password,
// or an account that does not exist. Call it with the same account and
// client as the Check before. The error, which wraps [ErrUnavailable], does
// not change the response to the login, which failed anyway; log it.
func (l *Limiter) Failure(ctx context.Context, account, client string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("throttle: failure: %w: %w", ErrUnavailable, err)
	}
	now := l.now()
	keys := [3]string{key(kindClient, "", client), key(kindPair, account, client)}
	n := 2
	if l.alarm > 0 {
		keys[2] = key(kindAccount, account, "")
		n = 3
	}
	for _, k := range keys[:n] {
		if _, err := l.backend.Add(ctx, k, now, l.forget); err != nil {
			return l.wrap(ctx, "failure", err)
		}
	}
	return nil
}

// Success records a successful login to account from client: it forgets
// the failures of that account from that client. It forgets neither the
// client's failures on all accounts, or an attacker could reset his own by
// logging in to an account of his between guesses, nor the account's
// failures from other clients.
func (l *Limiter) Success(ctx context.Context, account, client string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("throttle: success: %w: %w", ErrUnavailable, err)
	}
	if err := l.backend.Delete(ctx, key(kindPair, account, client)); err != nil {
		return l.wrap(ctx, "success", err)
	}
	return nil
}

func (l *Limiter) wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("throttle: %s: %w: %w: %w", op, ErrUnavailable, cerr, err)
	}
	return fmt.Errorf("throttle: %s: %w: %w", op, ErrUnavailable, err)
}

// RetryAfter formats d for a Retry-After header: whole seconds, rounded
// up, at least 1.
func RetryAfter(d time.Duration) string {
	s := (d + time.Second - 1) / time.Second
	return strconv.FormatInt(int64(max(s, 1)), 10)
}

// The kinds of key, each hashed apart from the others.
const (
	kindClient  = 'c'
	kindPair    = 'p'
	kindAccount = 'a'
)

// key returns the Backend key of a counter: its kind, a colon and 22
// base64url characters of the SHA-256 of the kind, account and client, the
// account prefixed with its length so that no two (account, client) pairs
// hash the same input. Whatever the names hold, the key is 24 bytes of
// [A-Za-z0-9_:-]: it cannot collide with another key, inject anything into
// a Backend, or grow with the input.
func key(kind byte, account, client string) string {
	var stack [128]byte
	buf := append(stack[:0], kind)
	buf = binary.AppendUvarint(buf, uint64(len(account)))
	buf = append(buf, account...)
	buf = append(buf, client...)
	sum := sha256.Sum256(buf)
	var out [24]byte
	out[0], out[1] = kind, ':'
	base64.RawURLEncoding.Encode(out[2:], sum[:16])
	return string(out[:])
}
