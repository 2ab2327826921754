package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// setPolicyHeader writes RateLimit-Policy: one list member per policy,
// `"name";q=QUOTA;w=WINDOW_SECONDS`.
func setPolicyHeader(h http.Header, ps []*policyState) {
	if h == nil {
		return
	}
	if len(ps) == 1 {
		h.Set("RateLimit-Policy", ps[0].header)
		return
	}
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.header)
	}
	h.Set("RateLimit-Policy", b.String())
}

// formatRateLimit writes the RateLimit value: one list member per policy,
// `"name";r=REMAINING;t=SECONDS`, where, with d the time until the policy's
// TAT after this decision, REMAINING = floor((tau - d) / T) is the number of
// requests that would be admitted right now and SECONDS = ceil(d) is the time
// until the whole quota is available again.
func formatRateLimit(ps []*policyState, g []gcra, d []int64) string {
	buf := make([]byte, 0, 32*len(ps))
	for i, p := range ps {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		remaining := (g[i].tau - d[i]) / g[i].t
		if d[i] > g[i].tau {
			remaining = 0
		}
		buf = appendQuoted(buf, p.Name)
		buf = append(buf, ";r="...)
		buf = strconv.AppendInt(buf, max(remaining, 0), 10)
		buf = append(buf, ";t="...)
		buf = strconv.AppendInt(buf, (d[i]+int64(time.Second)-1)/int64(time.Second), 10)
	}
	return string(buf)
}

// quoteString formats s as a structured-field sf-string (RFC 9651 §3.3.3).
func quoteString(s string) string {
	return string(appendQuoted(nil, s))
}

func appendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			continue // not representable; policy names never contain these
		}
		if c == '"' || c == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, c)
	}
	return append(buf, '"')
}
