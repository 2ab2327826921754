package ratelimit

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestHeaders(t *testing.T) {
	ps := DefaultPolicies()
	if err := ps.Override(pol("turns", 30, time.Minute)); err != nil {
		t.Fatal(err)
	}
	// With a fixed clock the figures are exact; ratelimittest checks them
	// against every backend, with real clocks.
	l := newLimiter(t, Config{Policies: ps, Now: newFakeClock().Now})
	if err := checkHeaders(l); err != nil {
		t.Fatal(err)
	}
}

// checkHeaders sends 18 turns (turns=30/1m, default=600/1m) and checks both
// headers against the draft syntax (parsed back as structured-field lists)
// and the GCRA state.
func checkHeaders(l *Limiter) error {
	h := http.Header{}
	for range 18 {
		if ok, _ := l.Limit(context.Background(), "user:dave", []string{"turns", "default"}, h); !ok {
			return errf("refused within the quota")
		}
	}
	pol, err := parseSFList(h.Get("RateLimit-Policy"))
	if err != nil {
		return errf("RateLimit-Policy %q: %v", h.Get("RateLimit-Policy"), err)
	}
	rl, err := parseSFList(h.Get("RateLimit"))
	if err != nil {
		return errf("RateLimit %q: %v", h.Get("RateLimit"), err)
	}
	if len(pol) != 2 || len(rl) != 2 {
		return errf("want 2 members: %q, %q", h.Get("RateLimit-Policy"), h.Get("RateLimit"))
	}
	for i, want := range []struct {
		name string
		q, w int64
		r, t int64
	}{
		// turns: 18 × 2s used of 60s: 12 left, 36s to full; default: 18 × 0.1s: 582 left, 2s to full.
		{"turns", 30, 60, 12, 36},
		{"default", 600, 60, 582, 2},
	} {
		q, _ := pol[i].param("q")
		w, _ := pol[i].param("w")
		if pol[i].value != want.name || q != want.q || w != want.w || len(pol[i].params) != 2 {
			return errf("RateLimit-Policy member %d = %+v, want %q;q=%d;w=%d", i, pol[i], want.name, want.q, want.w)
		}
		r, _ := rl[i].param("r")
		tt, _ := rl[i].param("t")
		if rl[i].value != want.name || r != want.r || tt != want.t || len(rl[i].params) != 2 {
			return errf("RateLimit member %d = %+v, want %q;r=%d;t=%d", i, rl[i], want.name, want.r, want.t)
		}
	}
	return nil
}
