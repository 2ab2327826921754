package redis_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// burst sends n concurrent requests for principal, spread over ls, and
// returns how many were admitted.
func burst(ls []*ratelimit.Limiter, principal string, n int) int {
	var admitted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			if ok, _ := ls[i%len(ls)].Limit(context.Background(), principal, []string{"out"}, nil); ok {
				admitted.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(admitted.Load())
}

// logCount is a slog.Handler that counts records by message.
type logCount struct {
	mu sync.Mutex
	n  map[string]int
}

func newLogCount() *logCount { return &logCount{n: map[string]int{}} }

func (c *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCount) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCount) WithGroup(string) slog.Handler            { return c }

func (c *logCount) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	c.n[r.Message]++
	c.mu.Unlock()
	return nil
}

func (c *logCount) count(msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[msg]
}

func decisions(m *metrics.Metrics, result string) int {
	return int(testutil.ToFloat64(m.RateLimitDecisions.WithLabelValues("out", result)))
}

// TestRateLimiterOutage runs three instances (failure mode local) and one
// each in modes open and closed through a Redis that hangs, dies and comes
// back. Each phase has Redis clearly up or clearly down when its verdicts
// are taken, so they do not depend on the scheduler:
//
//   - while Redis is up, the timeout is generous (outageTimeout), so no
//     decision falls back however slow the machine is;
//   - before a burst against a hung or dead Redis, every instance's circuit
//     breaker is open (waited for, not slept for), so every decision of the
//     burst falls back, at once or after a probe that times out.
func TestRateLimiterOutage(t *testing.T) {
	const outageTimeout = 4 * time.Second
	srv := redistest.StartServer(t)
	policies := ratelimit.Policies{"out": {Name: "out", Quota: 30, Window: time.Hour}}
	newInstance := func(m *metrics.Metrics, failure, prefix string, log *slog.Logger) *ratelimit.Limiter {
		c := connectURL(t, srv.URL, redis.Options{
			Prefix: prefix, DisableNearCache: true, Timeout: outageTimeout, ConnWriteTimeout: 2 * outageTimeout,
			BreakerThreshold: 1, BreakerCooldown: 200 * time.Millisecond,
		})
		l, err := ratelimit.New(ratelimit.Config{
			Policies: policies, Backend: redis.NewRateLimiter(c), Metrics: m, Failure: failure, Logger: log,
			HeartbeatInterval: 50 * time.Millisecond, InstanceTTL: time.Minute,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		return l
	}
	var ls []*ratelimit.Limiter
	var ms []*metrics.Metrics
	var logs []*logCount
	for range 3 {
		m, lc := metrics.New(nil), newLogCount()
		ms, logs = append(ms, m), append(logs, lc)
		ls = append(ls, newInstance(m, ratelimit.FailureLocal, "rl:", slog.New(lc)))
	}
	open := newInstance(metrics.New(nil), ratelimit.FailureOpen, "open:", nil)
	closed := newInstance(metrics.New(nil), ratelimit.FailureClosed, "closed:", nil)
	waitFor(t, 30*time.Second, "every instance to count 3 live instances", func() bool {
		return ls[0].Instances() == 3 && ls[1].Instances() == 3 && ls[2].Instances() == 3
	})
	sum := func(result string) int {
		n := 0
		for _, m := range ms {
			n += decisions(m, result)
		}
		return n
	}
	// degraded waits until every instance's breaker is open; each poll is
	// one decision for a principal of its own, decided by the fallback.
	degraded := func(what string) {
		t.Helper()
		waitFor(t, 30*time.Second, "every instance to be degraded "+what, func() bool {
			n := 0
			var wg sync.WaitGroup
			for _, l := range append([]*ratelimit.Limiter{open, closed}, ls...) {
				wg.Go(func() { l.Limit(context.Background(), "user:probe", []string{"out"}, nil) })
			}
			wg.Wait()
			for _, l := range append([]*ratelimit.Limiter{open, closed}, ls...) {
				if l.Degraded() {
					n++
				}
			}
			return n == len(ls)+2
		})
	}

	// Redis up: one quota across the three instances.
	if got := burst(ls, "user:a", 120); got != 30 {
		t.Fatalf("with Redis: admitted %d of 120, want the quota of 30", got)
	}
	if n := sum(ratelimit.ResultFallbackAllowed) + sum(ratelimit.ResultFallbackLimited); n != 0 {
		t.Fatalf("with Redis up: %d fallback decisions", n)
	}

	// Redis hung (SIGSTOP): decisions give up after the timeout, which
	// opens the breakers; then each instance admits quota/3 = 10.
	srv.Pause(t)
	began := time.Now()
	degraded("by a hung Redis")
	t.Logf("the breakers opened %v after Redis hung (timeout %v)", time.Since(began), outageTimeout)
	fb0 := sum(ratelimit.ResultFallbackAllowed) + sum(ratelimit.ResultFallbackLimited)
	got := burst(ls, "user:hung", 150)
	fb := sum(ratelimit.ResultFallbackAllowed) + sum(ratelimit.ResultFallbackLimited) - fb0
	srv.Resume(t)
	if got != 30 {
		t.Fatalf("with Redis hung: admitted %d of 150, want 30", got)
	}
	if fb != 150 {
		t.Fatalf("with Redis hung: %d fallback decisions, want 150", fb)
	}
	resumed(t, ls, ms, "user:resume")

	// Redis gone: each instance falls back to quota/3 = 10.
	srv.Kill(t)
	degraded("by a dead Redis")
	fbAllowed0, fbLimited0, allowed0 := sum(ratelimit.ResultFallbackAllowed), sum(ratelimit.ResultFallbackLimited), sum(ratelimit.ResultAllowed)
	for _, p := range []string{"user:a", "user:b"} {
		if got := burst(ls, p, 300); got != 30 {
			t.Fatalf("without Redis, %s: admitted %d of 300, want quota/instances × instances = 30", p, got)
		}
	}
	for i, l := range ls {
		if !l.Degraded() {
			t.Fatalf("instance %d not degraded without Redis", i)
		}
	}
	fbAllowed, fbLimited, allowed := sum(ratelimit.ResultFallbackAllowed)-fbAllowed0, sum(ratelimit.ResultFallbackLimited)-fbLimited0, sum(ratelimit.ResultAllowed)-allowed0
	if fbAllowed != 60 || fbLimited != 540 || allowed != 0 {
		t.Fatalf("metrics during the outage: fallback_allowed %d fallback_limited %d allowed %d, want 60, 540, 0", fbAllowed, fbLimited, allowed)
	}
	if ok, _ := open.Limit(context.Background(), "user:a", []string{"out"}, nil); !ok {
		t.Fatal("failure mode open refused without Redis")
	}
	if ok, ra := closed.Limit(context.Background(), "user:a", []string{"out"}, nil); ok || ra < time.Second {
		t.Fatalf("failure mode closed: ok=%v retryAfter=%v, want refused for at least 1s", ok, ra)
	}

	// Redis back on the same port: the breakers probe and the Redis path
	// resumes.
	srv.Start(t)
	resumed(t, ls, ms, "user:c")
	rc := connectURL(t, srv.URL, redis.Options{DisableNearCache: true}).Rueidis()
	if n, err := rc.Do(context.Background(), rc.B().Exists().Key("rl:rl:user:{c}:out").Build()).AsInt64(); err != nil || n != 1 {
		t.Fatalf("the restarted Redis holds no state for user:c: %d, %v", n, err)
	}
	// The shared state is exact again: user:d gets one quota across instances.
	if got := burst(ls, "user:d", 120); got != 30 {
		t.Fatalf("after Redis returned: admitted %d of 120, want 30", got)
	}

	// Each instance logged that Redis failed and that it answered again,
	// once each for the hang and for the outage.
	for i, lc := range logs {
		for _, msg := range []string{
			"rate limiter: Redis failing; using the fallback",
			"rate limiter: Redis answers again; decisions are shared again",
		} {
			if n := lc.count(msg); n != 2 {
				t.Errorf("instance %d logged %q %d times, want 2", i, msg, n)
			}
		}
	}
}

// resumed waits until every instance decides through Redis again.
func resumed(t *testing.T, ls []*ratelimit.Limiter, ms []*metrics.Metrics, principal string) {
	t.Helper()
	waitFor(t, 30*time.Second, "every instance to decide through Redis again", func() bool {
		back := 0
		for i, l := range ls {
			before := decisions(ms[i], ratelimit.ResultAllowed)
			l.Limit(context.Background(), principal, []string{"out"}, nil)
			if decisions(ms[i], ratelimit.ResultAllowed) > before && !l.Degraded() {
				back++
			}
		}
		return back == len(ls)
	})
}

// TestReserveOutage: with Redis killed, a reservation is refused with
// ErrBudgetUnknown in every failure mode, even "open" (a budget is spent
// exactly or not at all), while plain decisions still follow the mode;
// a settlement that cannot reach Redis says so; with Redis back the
// budget is kept there again.
func TestReserveOutage(t *testing.T) {
	srv := redistest.StartServer(t)
	policies := ratelimit.Policies{"tokens": {Name: "tokens", Quota: 1000, Window: 24 * time.Hour}}
	c := connectURL(t, srv.URL, redis.Options{
		Prefix: "reserve:", DisableNearCache: true, Timeout: 2 * time.Second,
		BreakerThreshold: 1, BreakerCooldown: 100 * time.Millisecond,
	})
	l, err := ratelimit.New(ratelimit.Config{Policies: policies, Backend: redis.NewRateLimiter(c), Failure: ratelimit.FailureOpen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	ctx := context.Background()
	r, _, err := l.Reserve(ctx, "user:ivy", "tokens", 600)
	if err != nil {
		t.Fatal(err)
	}
	srv.Kill(t)
	if _, _, err := l.Reserve(ctx, "user:ivy", "tokens", 1); !errors.Is(err, ratelimit.ErrBudgetUnknown) {
		t.Fatalf("reserve with Redis dead: %v, want ErrBudgetUnknown", err)
	}
	if ok, _ := l.Limit(ctx, "user:ivy", []string{"tokens"}, nil); !ok {
		t.Fatal("a plain decision with Redis dead in mode open was refused")
	}
	if err := r.Settle(ctx, 100); !errors.Is(err, ratelimit.ErrBudgetUnknown) {
		t.Fatalf("settle with Redis dead: %v, want ErrBudgetUnknown", err)
	}
	// The restarted Redis is empty (as after a flush): the budget starts
	// again, shared.
	srv.Start(t)
	waitFor(t, 30*time.Second, "Redis to answer again", func() bool {
		_, _, err := l.Reserve(ctx, "user:ivy", "tokens", 1000)
		return err == nil
	})
	// A connection the restart dropped may still fail a call (EOF): the
	// budget is then unknown, which spends nothing. The first answer that
	// knows the budget must refuse.
	var err2 error
	waitFor(t, 30*time.Second, "a reserve that knows the budget", func() bool {
		_, _, err2 = l.Reserve(ctx, "user:ivy", "tokens", 1)
		return !errors.Is(err2, ratelimit.ErrBudgetUnknown)
	})
	if !errors.Is(err2, ratelimit.ErrOverBudget) {
		t.Fatalf("after the whole budget: %v, want ErrOverBudget", err2)
	}
}
