package ratelimit

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall/metrics"
)

func TestRedisExactAcrossInstances(t *testing.T) {
	prefix := testPrefix(t)
	// A long window makes the refill during the burst (one per 72s) zero.
	ps := policySet(pol("burst", 50, time.Hour), pol("other", 1000, time.Hour))
	var ls [3]*Limiter
	var ms [3]*metrics.Metrics
	for i := range ls {
		ms[i] = metrics.New(nil)
		ls[i] = newLimiter(t, Config{Policies: ps, Redis: newRedisClient(t, sharedRedis), Prefix: prefix, Metrics: ms[i], Timeout: time.Second})
	}
	const requests = 300
	var admitted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	began := time.Now()
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if ok, _ := ls[i%3].Limit(context.Background(), "user:alice", []string{"burst", "other"}, nil); ok {
				admitted.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	refill := int64(time.Since(began) / (72 * time.Second))
	if got := admitted.Load(); got < 50 || got > 50+refill {
		t.Fatalf("%d concurrent requests over 3 instances admitted %d, want the quota of 50 (+%d refilled)", requests, got, refill)
	}
	allowed, limited := 0, 0
	for _, m := range ms {
		allowed += counter(m, "burst", ResultAllowed)
		limited += counter(m, "burst", ResultLimited)
		if n := counter(m, "burst", ResultFallbackAllowed) + counter(m, "other", ResultLimited); n != 0 {
			t.Fatalf("unexpected fallback or 'other' refusals: %d", n)
		}
	}
	if int64(allowed) != admitted.Load() || allowed+limited != requests {
		t.Fatalf("metrics: allowed %d limited %d, want %d and %d", allowed, limited, admitted.Load(), requests-int(admitted.Load()))
	}
	// The refused requests consumed nothing of "other": 1000 - 50 - this one.
	h := http.Header{}
	if ok, _ := ls[0].Limit(context.Background(), "user:alice", []string{"other"}, h); !ok {
		t.Fatal("other refused")
	}
	if got, want := h.Get("RateLimit"), `"other";r=949;`; len(got) < len(want) || got[:len(want)] != want {
		t.Fatalf("RateLimit = %q, want it to start with %q", got, want)
	}
}

func TestRedisAllOrNothing(t *testing.T) {
	prefix := testPrefix(t)
	l := newLimiter(t, Config{Policies: policySet(pol("small", 2, time.Hour), pol("big", 100, time.Hour)),
		Redis: newRedisClient(t, sharedRedis), Prefix: prefix, Timeout: time.Second})
	ctx := context.Background()
	h := http.Header{}
	for i := range 5 {
		ok, _ := l.Limit(ctx, "user:bob", []string{"small", "big"}, h)
		if ok != (i < 2) {
			t.Fatalf("request %d: ok=%v", i, ok)
		}
	}
	items, err := parseSFList(h.Get("RateLimit"))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := items[0].param("r"); items[0].value != "small" || r != int64(0) {
		t.Fatalf("small: %+v", items[0])
	}
	if r, _ := items[1].param("r"); items[1].value != "big" || r != int64(98) {
		t.Fatalf("big after 2 admitted and 3 refused: %+v, want r=98", items[1])
	}
	// Only the admitted requests wrote anything.
	c := newRedisClient(t, sharedRedis)
	n, err := c.Do(ctx, c.B().Exists().Key(prefix+"rl:{user:bob}:small", prefix+"rl:{user:bob}:big").Build()).AsInt64()
	if err != nil || n != 2 {
		t.Fatalf("EXISTS = %d, %v", n, err)
	}
	// Each key expires when its TAT passes: big is 2 × T = 2 × 36s ahead.
	ttl, err := c.Do(ctx, c.B().Pttl().Key(prefix+"rl:{user:bob}:big").Build()).AsInt64()
	if err != nil || ttl <= 0 || ttl > 72000 {
		t.Fatalf("PTTL of big = %d, %v; want at most 72000 ms", ttl, err)
	}
}

func TestRedisRetryAfter(t *testing.T) {
	prefix := testPrefix(t)
	l := newLimiter(t, Config{Policies: policySet(pol("p", 2, 2*time.Second)), Redis: newRedisClient(t, sharedRedis), Prefix: prefix, Timeout: time.Second})
	ctx := context.Background()
	for range 2 {
		if ok, _ := l.Limit(ctx, "user:carol", []string{"p"}, nil); !ok {
			t.Fatal("refused within the burst")
		}
	}
	ok, ra := l.Limit(ctx, "user:carol", []string{"p"}, nil)
	if ok || ra <= 0 || ra > time.Second {
		t.Fatalf("3rd request: ok=%v retryAfter=%v, want refused within T = 1s", ok, ra)
	}
	if ra%time.Microsecond != 0 {
		t.Fatalf("retryAfter %v is not in Redis's microseconds", ra)
	}
	// Clearly earlier than retryAfter: still refused, with a shorter wait.
	time.Sleep(ra - 300*time.Millisecond)
	ok, ra2 := l.Limit(ctx, "user:carol", []string{"p"}, nil)
	if ok || ra2 <= 0 || ra2 >= ra {
		t.Fatalf("300ms early: ok=%v retryAfter=%v, want refused with less than %v", ok, ra2, ra)
	}
	time.Sleep(ra2)
	if ok, _ := l.Limit(ctx, "user:carol", []string{"p"}, nil); !ok {
		t.Fatal("refused at retryAfter")
	}
}

func TestHeaders(t *testing.T) {
	ps := DefaultPolicies()
	if err := ps.Override(pol("turns", 30, time.Minute)); err != nil {
		t.Fatal(err)
	}
	t.Run("Redis", func(t *testing.T) {
		l := newLimiter(t, Config{Policies: ps, Redis: newRedisClient(t, sharedRedis), Prefix: testPrefix(t), Timeout: time.Second})
		if err := checkHeaders(l); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Local", func(t *testing.T) {
		l := newLimiter(t, Config{Policies: ps, Now: newFakeClock().Now})
		if err := checkHeaders(l); err != nil {
			t.Fatal(err)
		}
	})
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

func TestRedisHeartbeat(t *testing.T) {
	prefix := testPrefix(t)
	cfg := Config{Redis: newRedisClient(t, sharedRedis), Prefix: prefix, HeartbeatInterval: 50 * time.Millisecond, InstanceTTL: time.Second}
	a := newLimiter(t, cfg)
	if a.Instances() != 1 {
		t.Fatalf("first instance counts %d", a.Instances())
	}
	b := newLimiter(t, cfg)
	c := newLimiter(t, cfg)
	if c.Instances() != 3 {
		t.Fatalf("third instance counts %d, want 3", c.Instances())
	}
	waitFor(t, "the first instance to count 3", func() bool { return a.Instances() == 3 })
	b.Close()
	c.Close()
	waitFor(t, "the first instance to count 1 after two left", func() bool { return a.Instances() == 1 })
	fixed := newLimiter(t, Config{Redis: cfg.Redis, Prefix: prefix, Instances: 7})
	if fixed.Instances() != 7 {
		t.Fatalf("configured Instances 7, got %d", fixed.Instances())
	}
}

// waitFor polls cond every 20ms for up to 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
