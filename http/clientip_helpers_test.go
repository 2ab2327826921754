package http

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/recallhq/recall/ratelimit"
)

// clientAddr is ratelimit.ClientAddr over the parts of a request, as the
// server calls it.
func clientAddr(remote string, forwarded []string, trusted []netip.Prefix) string {
	r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": forwarded}}
	return ratelimit.ClientAddr(r, trusted)
}

// parseAddr reads "ip", "ip:port" or "[ipv6]:port" and unmaps IPv4-in-IPv6,
// as ratelimit.ClientAddr does; the fuzz tests use it as an oracle.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// isTrusted reports whether a lies in one of the trusted prefixes.
func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
