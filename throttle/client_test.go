package throttle_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/authkit-go/authkit/throttle"
)

func TestClientIP(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:1234":                       "192.0.2.1",
		"192.0.2.1":                            "192.0.2.1",
		"[::ffff:192.0.2.1]:1234":              "192.0.2.1", // IPv4-mapped: the IPv4 client
		"[2001:db8:1:2:3:4:5:6]:443":           "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff:ffff:ffff:ffff]:1": "2001:db8:1:2::/64", // the same /64
		"[2001:db8:1:3::1]:1":                  "2001:db8:1:3::/64",
		"[fe80::1%eth0]:80":                    "fe80::/64",
		"[::1]:80":                             "::/64",
		"@":                                    "@", // a Unix socket
		"":                                     "",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := throttle.ClientIP(r); got != want {
			t.Errorf("ClientIP(RemoteAddr %q) = %q; want %q", remote, got, want)
		}
	}
}

// Each row is a request as it reaches the server: RemoteAddr and the
// forwarding header lines, with what a client wrote on the left.
func TestTrustedProxiesSpoofing(t *testing.T) {
	proxies := throttle.TrustedProxies{CIDRs: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2001:db8:ffff::/48"),
		netip.MustParsePrefix("fe80::/10"),
		netip.MustParsePrefix("::ffff:172.16.0.0/108"), // 172.16.0.0/12, mapped
	}}
	for _, tt := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"direct, no header", "198.51.100.7:1", nil, "198.51.100.7"},
		{"direct client spoofs the header", "198.51.100.7:1", []string{"192.0.2.99"}, "198.51.100.7"},
		{"direct client spoofs a trusted address", "198.51.100.7:1", []string{"10.0.0.1"}, "198.51.100.7"},
		{"through the proxy", "10.0.0.2:1", []string{"198.51.100.7"}, "198.51.100.7"},
		{"through the proxy, client prepends a lie", "10.0.0.2:1", []string{"192.0.2.99, 198.51.100.7"}, "198.51.100.7"},
		{"client prepends a trusted address", "10.0.0.2:1", []string{"10.9.9.9, 198.51.100.7"}, "198.51.100.7"},
		{"client sends its own header line first", "10.0.0.2:1", []string{"192.0.2.99", "198.51.100.7"}, "198.51.100.7"},
		{"two proxies", "10.0.0.2:1", []string{"198.51.100.7, 10.0.0.3"}, "198.51.100.7"},
		{"IPv6 proxy and client", "[2001:db8:ffff::2]:1", []string{"2001:db8:5:6::7"}, "2001:db8:5:6::/64"},
		{"mapped proxy network", "172.16.0.9:1", []string{"198.51.100.7"}, "198.51.100.7"},
		{"mapped client address", "10.0.0.2:1", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"with ports", "10.0.0.2:1", []string{"198.51.100.7:5555, [2001:db8:ffff::3]:80"}, "198.51.100.7"},
		{"bracketed", "10.0.0.2:1", []string{"[2001:db8:5:6::7]"}, "2001:db8:5:6::/64"},
		{"empty items", "10.0.0.2:1", []string{"198.51.100.7,, ,"}, "198.51.100.7"},
		{"garbage from the client, left of the real one", "10.0.0.2:1", []string{"<script>, 198.51.100.7"}, "198.51.100.7"},
		{"garbage as the last hop: the proxy is the client", "10.0.0.2:1", []string{"198.51.100.7, unknown"}, "10.0.0.2"},
		{"newline injection", "10.0.0.2:1", []string{"198.51.100.7\r\nX-Evil: 1"}, "10.0.0.2"},
		{"zoned proxy address", "[fe80::1%eth0]:1", []string{"198.51.100.7"}, "198.51.100.7"},
		{"the proxy sent no header", "10.0.0.2:1", nil, "10.0.0.2"},
		{"all hops trusted: the left-most", "10.0.0.2:1", []string{"10.1.1.1, 10.0.0.3"}, "10.1.1.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := proxies.ClientIP(r); got != tt.want {
			t.Errorf("%s: ClientIP = %q; want %q", tt.name, got, tt.want)
		}
		// Never trusted by default.
		if got, want := (throttle.TrustedProxies{}).ClientIP(r), throttle.ClientIP(r); got != want {
			t.Errorf("%s: the zero TrustedProxies reads the header: %q; want %q", tt.name, got, want)
		}
	}
}

func TestTrustedProxiesOtherHeader(t *testing.T) {
	p := throttle.TrustedProxies{CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Header: "X-Real-IP"}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:1"
	r.Header.Set("X-Forwarded-For", "192.0.2.99") // not the configured header
	if got := p.ClientIP(r); got != "10.0.0.2" {
		t.Errorf("ClientIP = %q; want the proxy, which sent no X-Real-IP", got)
	}
	r.Header.Set("X-Real-IP", "198.51.100.7")
	if got := p.ClientIP(r); got != "198.51.100.7" {
		t.Errorf("ClientIP = %q; want 198.51.100.7", got)
	}
}
