package throttle_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/throttle"
	"github.com/authkit-go/authkit/throttle/throttletest"
)

func TestConformance(t *testing.T) {
	throttletest.Run(t, func(t *testing.T) throttle.Backend { return throttle.NewMemory(1000) })
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]throttle.Config{
		"negative Free":           {AccountClient: throttle.Limit{Free: -1}},
		"negative Delay":          {Client: throttle.Limit{Delay: -time.Second}},
		"MaxDelay below Delay":    {Client: throttle.Limit{Delay: time.Minute, MaxDelay: time.Second}},
		"MaxDelay beyond a day":   {AccountClient: throttle.Limit{MaxDelay: 25 * time.Hour}},
		"Forget below MaxDelay":   {Forget: time.Minute},
		"negative AccountAlarm":   {AccountAlarm: -1},
		"negative Forget":         {Forget: -time.Hour},
		"Forget below a MaxDelay": {Client: throttle.Limit{MaxDelay: 2 * time.Hour}, Forget: time.Hour},
	} {
		if _, err := throttle.New(cfg); !errors.Is(err, throttle.ErrInvalidConfig) {
			t.Errorf("%s: New = %v; want ErrInvalidConfig", name, err)
		}
	}
	// A longer MaxDelay moves the default Forget with it.
	l, err := throttle.New(throttle.Config{Client: throttle.Limit{MaxDelay: 2 * time.Hour}})
	if err != nil || l == nil {
		t.Fatalf("New with MaxDelay 2h and the default Forget: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	c := throttletest.NewClock()
	l, err := throttle.New(throttle.Config{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for i := range throttle.DefaultFree {
		if _, err := l.Check(ctx, "alice", "192.0.2.1"); err != nil {
			t.Fatalf("free failure %d: %v", i, err)
		}
		l.Failure(ctx, "alice", "192.0.2.1")
	}
	if d, err := l.Check(ctx, "alice", "192.0.2.1"); !errors.Is(err, throttle.ErrThrottled) || d != throttle.DefaultDelay {
		t.Fatalf("after %d failures: %v, %v", throttle.DefaultFree, d, err)
	}
	for range 20 {
		l.Failure(ctx, "alice", "192.0.2.1")
	}
	if d, _ := l.Check(ctx, "alice", "192.0.2.1"); d != throttle.DefaultMaxDelay {
		t.Fatalf("after many failures: wait %v; want MaxDelay %v", d, throttle.DefaultMaxDelay)
	}
	c.Advance(throttle.DefaultForget)
	if _, err := l.Check(ctx, "alice", "192.0.2.1"); err != nil {
		t.Fatalf("after Forget: %v", err)
	}
}

// broken is a Backend that is down.
type broken struct{}

var errDown = errors.New("connection refused to 10.1.2.3:6379")

func (broken) Load(context.Context, string) (throttle.Record, error) {
	return throttle.Record{}, errDown
}
func (broken) Add(context.Context, string, time.Time, time.Duration) (throttle.Record, error) {
	return throttle.Record{}, errDown
}
func (broken) Delete(context.Context, string) error { return errDown }

func TestBackendDownFailsClosed(t *testing.T) {
	l, err := throttle.New(throttle.Config{Backend: broken{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	d, err := l.Check(ctx, "alice", "192.0.2.1")
	if !errors.Is(err, throttle.ErrUnavailable) || !errors.Is(err, errDown) || errors.Is(err, throttle.ErrThrottled) || d != 0 {
		t.Errorf("Check = %v, %v; want ErrUnavailable wrapping the Backend's error", d, err)
	}
	if err := l.Failure(ctx, "alice", "192.0.2.1"); !errors.Is(err, throttle.ErrUnavailable) {
		t.Errorf("Failure = %v", err)
	}
	if err := l.Success(ctx, "alice", "192.0.2.1"); !errors.Is(err, throttle.ErrUnavailable) {
		t.Errorf("Success = %v", err)
	}
	if err != nil && (strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "192.0.2.1")) {
		t.Errorf("the error names the account or client: %v", err)
	}
}

func TestBackendDownInsecureFailOpen(t *testing.T) {
	l, err := throttle.New(throttle.Config{Backend: broken{}, InsecureFailOpen: true})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := l.Check(t.Context(), "alice", "192.0.2.1"); err != nil || d != 0 {
		t.Errorf("Check = %v, %v; want 0, nil (fail open)", d, err)
	}
	// Failure still reports, for the log.
	if err := l.Failure(t.Context(), "alice", "192.0.2.1"); !errors.Is(err, throttle.ErrUnavailable) {
		t.Errorf("Failure = %v", err)
	}
	// A context that has ended is an error even so.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Check(ctx, "alice", "192.0.2.1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Check(canceled) = %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                 "1",
		time.Millisecond:                  "1",
		time.Second:                       "1",
		time.Second + time.Nanosecond:     "2",
		15 * time.Minute:                  "900",
		15*time.Minute - time.Millisecond: "900",
	} {
		if got := throttle.RetryAfter(d); got != want {
			t.Errorf("RetryAfter(%v) = %q; want %q", d, got, want)
		}
	}
}
