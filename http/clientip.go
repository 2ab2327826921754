package http

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns the address of the client that sent r, for per-address
// rate limits. It is the TCP peer, unless the peer is a trusted proxy: then
// X-Forwarded-For is read from the right, skipping trusted hops, and the
// first untrusted address is the client. Entries left of it were written by
// the client itself and are ignored: they can be forged.
func (s *Server) clientAddr(r *http.Request) string {
	return clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), s.cfg.TrustedProxies)
}

func clientAddr(remote string, forwarded []string, trusted []netip.Prefix) string {
	peer, ok := parseAddr(remote)
	if !ok {
		return remote // not TCP (a test, a unix socket): use as is
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	client := peer
	// Several X-Forwarded-For headers form one list, in order.
	hops := strings.Split(strings.Join(forwarded, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		a, ok := parseAddr(hop)
		if !ok {
			// Garbage written by someone we do not trust: the last
			// trusted hop is the best we know.
			break
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client.String()
}

// parseAddr reads "ip", "ip:port" or "[ipv6]:port", and unmaps IPv4-in-IPv6.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
