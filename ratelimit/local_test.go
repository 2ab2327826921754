package ratelimit

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall/metrics"
)

// The HTTP server declares this interface; the Limiter must satisfy it.
var _ interface {
	Limit(ctx context.Context, principal string, policies []string, h http.Header) (ok bool, retryAfter time.Duration)
} = (*Limiter)(nil)

func TestLocalBurstThenRate(t *testing.T) {
	clock := newFakeClock()
	m := metrics.New(nil)
	l := newLimiter(t, Config{Policies: policySet(pol("turns", 30, time.Minute)), Now: clock.Now, Metrics: m})
	ctx := context.Background()
	admitted := 0
	for range 100 {
		if ok, _ := l.Limit(ctx, "user:1", []string{"turns"}, nil); ok {
			admitted++
		}
	}
	if admitted != 30 {
		t.Fatalf("burst admitted %d, want the quota of 30", admitted)
	}
	// One request a second for ten minutes: one every T = 2s is admitted.
	for range 600 {
		clock.Add(time.Second)
		if ok, _ := l.Limit(ctx, "user:1", []string{"turns"}, nil); ok {
			admitted++
		}
	}
	if admitted != 30+300 {
		t.Fatalf("admitted %d over ten minutes, want 30 + 600s/2s = 330", admitted)
	}
	if a, lim := counter(m, "turns", ResultAllowed), counter(m, "turns", ResultLimited); a != 330 || lim != 370 {
		t.Fatalf("metrics allowed=%d limited=%d, want 330 and 370", a, lim)
	}
	// Another principal is untouched.
	if ok, _ := l.Limit(ctx, "user:2", []string{"turns"}, nil); !ok {
		t.Fatal("another principal was refused")
	}
}

func TestLocalConcurrentExact(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(t, Config{Policies: policySet(pol("p", 100, time.Hour)), Now: clock.Now})
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if ok, _ := l.Limit(context.Background(), "user:x", []string{"p"}, nil); ok {
					admitted.Add(1)
				}
				// Other principals in the same shards interleave.
				l.Limit(context.Background(), "user:"+strconv.Itoa(g), []string{"p"}, nil)
			}
		}()
	}
	wg.Wait()
	if got := admitted.Load(); got != 100 {
		t.Fatalf("800 concurrent requests admitted %d, want exactly the quota of 100", got)
	}
}

func TestLocalRetryAfterExact(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(t, Config{Policies: policySet(pol("p", 3, time.Minute), pol("q", 1.5, time.Second)), Now: clock.Now})
	ctx := context.Background()
	for range 3 {
		if ok, _ := l.Limit(ctx, "u", []string{"p"}, nil); !ok {
			t.Fatal("refused within the burst")
		}
	}
	clock.Add(5 * time.Second)
	ok, ra := l.Limit(ctx, "u", []string{"p"}, nil)
	if ok || ra != 15*time.Second {
		t.Fatalf("4th request: ok=%v retryAfter=%v, want refused with 20s-5s = 15s", ok, ra)
	}
	clock.Add(ra - time.Nanosecond)
	if ok, ra2 := l.Limit(ctx, "u", []string{"p"}, nil); ok || ra2 != time.Nanosecond {
		t.Fatalf("1ns before retryAfter: ok=%v retryAfter=%v, want refused, 1ns", ok, ra2)
	}
	clock.Add(time.Nanosecond)
	if ok, _ := l.Limit(ctx, "u", []string{"p"}, nil); !ok {
		t.Fatal("refused at retryAfter")
	}

	// Fractional: 1.5/1s holds 1.5 requests and refills one every 666.666666ms:
	// one at once, the next a third of a second later, then one every T.
	if ok, _ := l.Limit(ctx, "u", []string{"q"}, nil); !ok {
		t.Fatal("first request of 1.5/1s refused")
	}
	ok, ra = l.Limit(ctx, "u", []string{"q"}, nil)
	if ok || ra != 333333332*time.Nanosecond {
		t.Fatalf("second request of 1.5/1s: ok=%v retryAfter=%v, want refused, 2T-1s = 333.333332ms", ok, ra)
	}
	clock.Add(ra)
	if ok, _ := l.Limit(ctx, "u", []string{"q"}, nil); !ok {
		t.Fatal("refused at retryAfter")
	}
	if ok, ra := l.Limit(ctx, "u", []string{"q"}, nil); ok || ra != 666666666*time.Nanosecond {
		t.Fatalf("then: ok=%v retryAfter=%v, want refused, T = 666.666666ms", ok, ra)
	}
}

func TestLocalAllOrNothing(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(t, Config{Policies: policySet(pol("small", 2, time.Hour), pol("big", 100, time.Hour)), Now: clock.Now})
	ctx := context.Background()
	h := http.Header{}
	for i := range 5 {
		ok, ra := l.Limit(ctx, "u", []string{"small", "big"}, h)
		if ok != (i < 2) {
			t.Fatalf("request %d: ok=%v", i, ok)
		}
		// Refused by small alone: its wait (T = 30m), not big's.
		if !ok && ra != 30*time.Minute {
			t.Fatalf("request %d: retryAfter %v, want 30m", i, ra)
		}
	}
	if got := h.Get("RateLimit"); got != `"small";r=0;t=3600, "big";r=98;t=72` {
		t.Fatalf("RateLimit after refusals = %q, want big untouched at r=98", got)
	}
	l.Limit(ctx, "u", []string{"big"}, h)
	if got := h.Get("RateLimit"); got != `"big";r=97;t=108` {
		t.Fatalf("RateLimit = %q", got)
	}
}

func TestLocalMemoryBounded(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(t, Config{Policies: policySet(pol("p", 10, time.Minute)), Now: clock.Now, MaxLocalKeys: 64 * 100})
	ctx := context.Background()
	for i := range 20000 {
		l.Limit(ctx, "user:"+strconv.Itoa(i), []string{"p"}, nil)
	}
	if n := l.local.size(); n > 64*100 {
		t.Fatalf("local limiter holds %d entries, cap is %d", n, 64*100)
	}
	// Once their TAT has passed, entries are swept as new ones arrive.
	clock.Add(time.Hour)
	for i := range 2560 {
		l.Limit(ctx, "fresh:"+strconv.Itoa(i), []string{"p"}, nil)
	}
	if n := l.local.size(); n > 2560 {
		t.Fatalf("local limiter holds %d entries, more than the 2560 live ones", n)
	}
	// A principal still limited keeps its state while there is room.
	for range 10 {
		l.Limit(ctx, "hot", []string{"p"}, nil)
	}
	if ok, _ := l.Limit(ctx, "hot", []string{"p"}, nil); ok {
		t.Fatal("exhausted principal admitted")
	}
}

func TestLimitUnknownAndDuplicatePolicies(t *testing.T) {
	l := newLimiter(t, Config{Policies: policySet(pol("p", 1, time.Hour)), Now: newFakeClock().Now})
	ctx := context.Background()
	h := http.Header{}
	if ok, _ := l.Limit(ctx, "u", []string{"nope"}, h); !ok || len(h) != 0 {
		t.Fatalf("only unknown policies: ok=%v headers=%v, want admitted with no headers", ok, h)
	}
	if ok, _ := l.Limit(ctx, "u", nil, nil); !ok {
		t.Fatal("no policies: refused")
	}
	// A duplicated name is decided once, not twice.
	if ok, _ := l.Limit(ctx, "u", []string{"p", "nope", "p"}, h); !ok {
		t.Fatal("duplicated policy consumed twice")
	}
	if got := h.Get("RateLimit-Policy"); got != `"p";q=1;w=3600` {
		t.Fatalf("RateLimit-Policy = %q", got)
	}
}

func TestNewConfigErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"BadFailure":   {Failure: "sometimes"},
		"BadInstances": {Instances: -1},
		"BadPolicy":    {Policies: Policies{"p": pol("p", 0, time.Minute)}},
		"WrongKey":     {Policies: Policies{"p": pol("q", 1, time.Minute)}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(cfg); err == nil {
				t.Fatal("New accepted a bad config")
			}
		})
	}
	l, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := len(l.Policies()); got != 5 {
		t.Fatalf("zero Config has %d policies, want the 5 built-ins", got)
	}
	if l.Degraded() {
		t.Fatal("local limiter reports degraded")
	}
}
