package redis_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

func fill(tb testing.TB, b cache.Backend, key, val string) {
	tb.Helper()
	ctx := context.Background()
	l, err := b.Lease(ctx, key, false, 10*time.Second)
	if err != nil || l.Token == "" {
		tb.Fatalf("Lease(%s) = %+v, %v", key, l, err)
	}
	if ok, err := b.Fill(ctx, key, l.Token, []byte(val), time.Minute); !ok || err != nil {
		tb.Fatalf("Fill(%s) = %v, %v", key, ok, err)
	}
}

func TestNearCache_HitsMakeNoRoundTrip(t *testing.T) {
	for _, near := range []bool{true, false} {
		t.Run(strconv.FormatBool(near), func(t *testing.T) {
			m := metrics.New(nil)
			b := redis.NewBackend(connect(t, redis.Options{DisableNearCache: !near, Metrics: m}))
			fill(t, b, "k:{1}", "v")
			for range 50 {
				if v, ok, err := b.Get(context.Background(), "k:{1}"); err != nil || !ok || string(v) != "v" {
					t.Fatal(v, ok, err)
				}
			}
			trips := int(testutil.ToFloat64(m.RedisCalls.WithLabelValues("get")))
			if near && trips > 2 {
				t.Fatalf("50 Gets of a near-cached key made %d round trips; want at most 2", trips)
			}
			if !near && trips != 50 {
				t.Fatalf("50 Gets without the near-cache made %d round trips; want 50", trips)
			}
		})
	}
}

// TestNearCache_OtherInstance: an invalidation made by one instance reaches
// another's near-cache when Redis's push arrives; the window is reported.
func TestNearCache_OtherInstance(t *testing.T) {
	prefix := redistest.Prefix(t)
	a := redis.NewBackend(connect(t, redis.Options{Prefix: prefix}))
	b := redis.NewBackend(connect(t, redis.Options{Prefix: prefix}))
	ctx := context.Background()
	var worst time.Duration
	staleReads := 0
	for i := range 100 {
		old := "v" + strconv.Itoa(i)
		fill(t, a, "k:{w}", old)
		// Warm b's local copy. b may hold a local miss from the last round
		// until the push of a's fill arrives: a miss is not stale data.
		waitFor(t, 2*time.Second, "b reads the filled value", func() bool {
			v, ok, err := b.Get(ctx, "k:{w}")
			if err != nil {
				t.Fatal(err)
			}
			return ok && string(v) == old
		})
		if err := a.Invalidate(ctx, "k:{w}"); err != nil {
			t.Fatal(err)
		}
		done := time.Now()
		for {
			v, ok, err := b.Get(ctx, "k:{w}")
			if err != nil {
				t.Fatal(err)
			}
			if !ok || string(v) != old {
				break
			}
			staleReads++
			worst = max(worst, time.Since(done))
			if time.Since(done) > 2*time.Second {
				t.Fatal("another instance still serves an invalidated value after 2s")
			}
			// Paced like requests: a loop that never blocks would keep the
			// runtime from polling the network, and measure the scheduler.
			time.Sleep(20 * time.Microsecond)
		}
	}
	t.Logf("100 invalidations: another instance served the old value %d times, for at most %v", staleReads, worst)
}

func TestBreaker_RedisKilledAndRestarted(t *testing.T) {
	const timeout = 100 * time.Millisecond
	srv := redistest.StartServer(t)
	c := connectURL(t, srv.URL, redis.Options{Prefix: "recall:", Timeout: timeout,
		BreakerThreshold: 3, BreakerCooldown: 200 * time.Millisecond, DialTimeout: 200 * time.Millisecond})
	b := redis.NewBackend(c)
	ctx := context.Background()
	fill(t, b, "k:{1}", "v")
	srv.Kill(t)
	opened := false
	for range 20 {
		start := time.Now()
		_, _, err := b.Get(ctx, "k:{1}")
		if d := time.Since(start); d > timeout+900*time.Millisecond {
			t.Fatalf("a Get with Redis down took %v", d)
		}
		if err == nil {
			t.Fatal("a Get with Redis down succeeded")
		}
		if errors.Is(err, redis.ErrUnavailable) {
			opened = true
		}
	}
	if !opened {
		t.Fatal("the breaker never opened")
	}
	if got := c.Status(ctx); got != redis.StatusDegraded {
		t.Fatalf("Status = %q; want degraded", got)
	}
	srv.Start(t)
	waitFor(t, 10*time.Second, "Redis answers again", func() bool { return c.Status(ctx) == redis.StatusOK })
	if _, ok, err := b.Get(ctx, "k:{1}"); err != nil || ok {
		t.Fatalf("Get after the restart = %v, %v; want a miss (the new server is empty)", ok, err)
	}
	fill(t, b, "k:{1}", "again")
	if v, ok, err := b.Get(ctx, "k:{1}"); err != nil || !ok || string(v) != "again" {
		t.Fatalf("Get after a fill = %q, %v, %v", v, ok, err)
	}
}
