package http

import (
	"net/http"
	"net/netip"

	"github.com/recallhq/recall/ratelimit"
)

// clientAddr returns the address of the client that sent r, for per-address
// rate limits: the TCP peer, or, behind a trusted proxy, the first untrusted
// hop of X-Forwarded-For (see ratelimit.ClientAddr, the one implementation).
func (s *Server) clientAddr(r *http.Request) string {
	return ratelimit.ClientAddr(r, s.cfg.TrustedProxies)
}

// clientAddr is ratelimit.ClientAddr over the parts of a request.
func clientAddr(remote string, forwarded []string, trusted []netip.Prefix) string {
	r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": forwarded}}
	return ratelimit.ClientAddr(r, trusted)
}
