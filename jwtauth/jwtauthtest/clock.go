package jwtauthtest

import (
	"sync"
	"time"
)

// Clock is a clock that moves only when told to, for tests of expiry,
// not-before and session lifetimes. Its Now method is what
// jwtauth.Config.Now, issuer.Config.Now, [Options.Now] and
// [ProviderOptions.Now] take:
//
//	clock := jwtauthtest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
//	kit := jwtauthtest.New(t, jwtauthtest.Options{Now: clock.Now})
//	tok := kit.Token(nil)
//	clock.Add(time.Hour) // tok is now expired
//
// A Clock is safe for concurrent use. The zero Clock is ready to use and
// starts at 2030-01-01 00:00:00 UTC, far enough from the real time that a
// verifier left on time.Now refuses the kit's tokens at once rather than
// accepting them by accident.
type Clock struct {
	mu  sync.Mutex
	now time.Time
	set bool
}

// clockStart is where a zero Clock starts.
var clockStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// NewClock returns a Clock that reads t until it is moved.
func NewClock(t time.Time) *Clock { return &Clock{now: t, set: true} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.load()
}

// Add moves the clock by d (backwards when d is negative) and returns the
// new time.
func (c *Clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, c.set = c.load().Add(d), true
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, c.set = t, true
}

// load returns the time; c.mu is held.
func (c *Clock) load() time.Time {
	if !c.set {
		return clockStart
	}
	return c.now
}
