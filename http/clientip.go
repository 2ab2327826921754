package http

import (
	"net/http"

	"github.com/recallhq/recall/ratelimit"
)

// clientAddr returns the address of the client that sent r, for per-address
// rate limits: the TCP peer, or, behind a trusted proxy, the first untrusted
// hop of X-Forwarded-For (see ratelimit.ClientAddr, the one implementation).
func (s *Server) clientAddr(r *http.Request) string {
	return ratelimit.ClientAddr(r, s.cfg.TrustedProxies)
}
