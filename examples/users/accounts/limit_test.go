package accounts

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLimitersRefill(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newLimiters(Throttle{Events: 5, Per: time.Minute}, 100, func() time.Time { return now })
	for i := range 5 {
		if ok, _ := l.allow("alice"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	ok, wait := l.allow("alice")
	if ok || wait != 12*time.Second {
		t.Fatalf("sixth attempt: %v, wait %v; want refused, 12s", ok, wait)
	}
	if retryAfter(wait) != "12" || retryAfter(time.Millisecond) != "1" || retryAfter(12*time.Second+time.Millisecond) != "13" {
		t.Error("retryAfter does not round up to whole seconds")
	}
	if ok, _ := l.allow("bob"); !ok {
		t.Fatal("another key is throttled")
	}
	now = now.Add(12 * time.Second)
	if ok, _ := l.allow("alice"); !ok {
		t.Fatal("no attempt after the bucket refilled by one")
	}
	if ok, _ := l.allow("alice"); ok {
		t.Fatal("two attempts after the bucket refilled by one")
	}
}

// The table of buckets stays bounded: idle (full) buckets are forgotten, and
// while every bucket is in use, new keys are refused rather than evicting the
// bucket of a key under attack.
func TestLimitersBounded(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	const maxKeys = 50
	l := newLimiters(Throttle{Events: 2, Per: time.Minute}, maxKeys, func() time.Time { return now })
	for i := range maxKeys {
		if ok, _ := l.allow(fmt.Sprint("user", i)); !ok {
			t.Fatalf("key %d refused", i)
		}
	}
	ok, wait := l.allow("one too many")
	if ok || wait <= 0 || l.size() != maxKeys {
		t.Fatalf("a new key with a full table: %v, wait %v, size %d", ok, wait, l.size())
	}
	if ok, _ := l.allow("user0"); !ok {
		t.Fatal("a known key with tokens left is refused")
	}

	// Half a minute later every bucket but user0's is full again (one token
	// used, refilled at 2 a minute): they are forgotten when room is needed.
	now = now.Add(30 * time.Second)
	if ok, _ := l.allow("newcomer"); !ok {
		t.Fatal("a new key is refused after the idle buckets refilled")
	}
	if got := l.size(); got != 2 {
		t.Errorf("%d buckets after the sweep, want 2 (user0, newcomer)", got)
	}
	// user0's bucket was kept with its state: both tokens used at 0s, one
	// refilled by 30s.
	if ok, _ := l.allow("user0"); !ok {
		t.Fatal("user0 refused after a refill")
	}
	if ok, _ := l.allow("user0"); ok {
		t.Fatal("user0's bucket was reset by the sweep")
	}

	// A flood of distinct keys never grows the table past its bound.
	for i := range 10 * maxKeys {
		l.allow(fmt.Sprint("flood", i))
		if l.size() > maxKeys {
			t.Fatalf("size %d > %d", l.size(), maxKeys)
		}
	}
}

func TestClientKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.1:1234":                  "192.0.2.1",
		"[::ffff:192.0.2.1]:1234":         "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443":      "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443":      "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":               "fe80::/64",
		"not an address":                  "not an address",
		"@":                               "@",
		strings.Repeat("1", 20) + ":8080": strings.Repeat("1", 20),
	} {
		if got := clientKey(addr); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestFieldRules(t *testing.T) {
	for s, want := range map[string]bool{
		"abc": true, "a.b-c_d": true, "ABC123": true, strings.Repeat("x", 32): true,
		"ab": false, strings.Repeat("x", 33): false, "a b": false, "ab\x00c": false,
		"élise": false, "a/b": false, "a@b": false, "": false,
	} {
		if validUsername(s) != want {
			t.Errorf("validUsername(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{
		"a@b": true, "alice@example.com": true, "a.b+tag@sub.example.org": true,
		"": false, "alice": false, "@example.com": false, "alice@": false,
		"Alice <alice@example.com>": false, "<alice@example.com>": false,
		" alice@example.com": false, "alice@example.com ": false,
		"alice@example.com, bob@example.com": false, "alice@example.com (comment)": false,
		"a\r\nBcc: x@example.com": false,
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com": true,
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com": false,
	} {
		if validEmail(s) != want {
			t.Errorf("validEmail(%.40q) = %v", s, !want)
		}
	}
}
