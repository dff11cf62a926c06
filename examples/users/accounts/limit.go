package accounts

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Throttle is a rate limit: at most Events in a row, then Events per Per as
// the bucket refills (a token bucket of Events tokens).
type Throttle struct {
	Events int
	Per    time.Duration
}

// limiters hands out one token bucket per key (a username, a client network)
// and forgets buckets that have been idle long enough to be full again, which
// loses nothing. Memory stays bounded whatever keys clients make up: at most
// max buckets are held, and while that many are all in use, new keys are
// refused, so a flood of made-up names can neither exhaust memory nor evict
// the bucket of the name it is really after.
type limiters struct {
	limit rate.Limit
	burst int
	max   int
	now   func() time.Time

	mu        sync.Mutex
	m         map[string]*rate.Limiter
	sweepAt   int       // size at which the next sweep of idle buckets runs
	lastSweep time.Time // sweeps run at most once a second
}

func newLimiters(t Throttle, maxKeys int, now func() time.Time) *limiters {
	return &limiters{
		limit:   rate.Limit(float64(t.Events) / t.Per.Seconds()),
		burst:   t.Events,
		max:     maxKeys,
		now:     now,
		m:       make(map[string]*rate.Limiter),
		sweepAt: min(1024, maxKeys),
	}
}

// allow takes a token from key's bucket. When there is none, it reports how
// long until there is one.
func (l *limiters) allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, found := l.m[key]
	if !found {
		if len(l.m) >= l.sweepAt && now.Sub(l.lastSweep) >= time.Second {
			l.sweep(now)
		}
		if len(l.m) >= l.max {
			// Every bucket is in use: until one refills, refuse new keys.
			return false, l.refill(0)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.m[key] = lim
	}
	if lim.AllowN(now, 1) {
		return true, 0
	}
	return false, l.refill(lim.TokensAt(now))
}

// refill is how long a bucket holding tokens takes to hold one.
func (l *limiters) refill(tokens float64) time.Duration {
	return time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
}

// sweep forgets the buckets that are full. It runs when the map has doubled
// since the last sweep, so its cost is amortised O(1) per new key, and at
// most once a second, so a table full of busy buckets does not make every
// new key cost a scan.
func (l *limiters) sweep(now time.Time) {
	l.lastSweep = now
	for k, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
	l.sweepAt = min(max(2*len(l.m), 1024), l.max)
}

// size returns the number of buckets held.
func (l *limiters) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// clientKey is the throttling key of a request's client: its IP address, or
// for IPv6 its /64 network, since one host commonly holds a whole /64. It
// reads RemoteAddr only: behind a reverse proxy, every client would be the
// proxy, so put a middleware in front that sets RemoteAddr from a header
// that the proxy alone controls.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
