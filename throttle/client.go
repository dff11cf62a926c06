package throttle

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the client identity of r for a [Limiter]: the IP address
// of r.RemoteAddr, the peer of the connection, which no header can change.
// An IPv4 address (or IPv4-mapped IPv6 address) is its own client, as
// "192.0.2.1"; an IPv6 address stands for its /64 network, as
// "2001:db8:1:2::/64", since one host commonly holds a whole /64 and can
// change address within it at will. A RemoteAddr that is not an IP address
// (a Unix socket, say) is returned as it is.
//
// Behind a reverse proxy, every request comes from the proxy and so would
// be one client: use [TrustedProxies] there.
func ClientIP(r *http.Request) string {
	host := hostOf(r.RemoteAddr)
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	return group(a)
}

// TrustedProxies reads the client's address from a header that the reverse
// proxies in front of the server write, such as X-Forwarded-For, when and
// only when the request comes from one of them. The zero value trusts no
// proxy.
//
// A client can send the header too, with any addresses in it; each proxy
// appends the address it received the request from. So ClientIP reads the
// list from the right: it starts from RemoteAddr and, while the address at
// hand is that of a trusted proxy, takes the one to its left. The first
// address that is not a trusted proxy's is the client; what the client
// wrote, further left, is never read. A client inside the CIDRs can name
// any address.
type TrustedProxies struct {
	// CIDRs are the networks of the trusted proxies, such as
	// netip.MustParsePrefix("10.0.0.0/8"). Give IPv4 networks in IPv4 form.
	// Empty: no proxy is trusted, and ClientIP is [ClientIP].
	CIDRs []netip.Prefix

	// Header is the header that the proxies append the address they
	// received a request from to: a comma-separated list of IP addresses,
	// with or without a port, in one or several header lines. Default
	// "X-Forwarded-For". The RFC 7239 Forwarded header is not read.
	Header string
}

// ClientIP returns the client identity of r, as the function [ClientIP]
// does, for the address found as described for [TrustedProxies]. An entry
// of the header that is not an IP address stops the search at the proxy
// that passed it on, which is then the client: the requests of every client
// it speaks for count together, which slows them, rather than trusting text
// that anyone could have written.
func (p TrustedProxies) ClientIP(r *http.Request) string {
	host := hostOf(r.RemoteAddr)
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if !p.trusted(addr) {
		return group(addr)
	}
	name := p.Header
	if name == "" {
		name = "X-Forwarded-For"
	}
	lines := r.Header.Values(name)
	for i := len(lines) - 1; i >= 0; i-- {
		list := lines[i]
		for list != "" {
			var item string
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				list, item = list[:j], list[j+1:]
			} else {
				list, item = "", list
			}
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			next, ok := parseHop(item)
			if !ok {
				return group(addr)
			}
			addr = next
			if !p.trusted(addr) {
				return group(addr)
			}
		}
	}
	// Every hop is a trusted proxy: the left-most is the client.
	return group(addr)
}

func (p TrustedProxies) trusted(a netip.Addr) bool {
	a = a.WithZone("") // a Prefix contains no zoned address
	for _, n := range p.CIDRs {
		if n.Addr().Is4In6() && n.Bits() >= 96 {
			n = netip.PrefixFrom(n.Addr().Unmap(), n.Bits()-96)
		}
		if n.IsValid() && n.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one entry of a forwarding header: an IP address, maybe
// bracketed, maybe with a port.
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// hostOf returns the host of a RemoteAddr, host:port or a bare host.
func hostOf(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

// group returns the client identity of a: an IPv4 address, or the /64 of
// an IPv6 one, without zone.
func group(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
