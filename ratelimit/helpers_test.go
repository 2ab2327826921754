package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/redis/rueidis"

	"github.com/recallhq/recall/metrics"
)

const sharedRedis = "127.0.0.1:6379"

// fakeClock is a settable clock for the local limiter.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// skipShort skips tb under -short, which runs without Redis.
func skipShort(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs Redis: skipped under -short")
	}
}

// newRedisClient connects to addr and closes the client at the end of the test.
func newRedisClient(tb testing.TB, addr string) rueidis.Client {
	tb.Helper()
	skipShort(tb)
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		tb.Fatalf("connect to Redis at %s: %v", addr, err)
	}
	tb.Cleanup(c.Close)
	return c
}

// testPrefix returns a unique key prefix and deletes its keys from the shared
// Redis at the end of the test.
func testPrefix(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "test:rl:" + hex.EncodeToString(b[:]) + ":"
	c := newRedisClient(tb, sharedRedis)
	tb.Cleanup(func() { deleteKeys(tb, c, prefix) })
	return prefix
}

func deleteKeys(tb testing.TB, c rueidis.Client, prefix string) {
	tb.Helper()
	ctx := context.Background()
	var cursor uint64
	for {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			tb.Errorf("cleanup scan %s*: %v", prefix, err)
			return
		}
		if len(e.Elements) > 0 {
			if err := c.Do(ctx, c.B().Del().Key(e.Elements...).Build()).Error(); err != nil {
				tb.Errorf("cleanup del: %v", err)
				return
			}
		}
		if e.Cursor == 0 {
			return
		}
		cursor = e.Cursor
	}
}

// newLimiter builds a Limiter and closes it at the end of the test.
func newLimiter(tb testing.TB, cfg Config) *Limiter {
	tb.Helper()
	l, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(l.Close)
	return l
}

func counter(m *metrics.Metrics, policy, result string) int {
	var out dto.Metric
	if err := m.RateLimitDecisions.WithLabelValues(policy, result).Write(&out); err != nil {
		panic(err)
	}
	return int(out.GetCounter().GetValue())
}

func pol(name string, quota float64, window time.Duration) Policy {
	return Policy{Name: name, Quota: quota, Window: window}
}

func policySet(ps ...Policy) Policies {
	set := Policies{}
	for _, p := range ps {
		set[p.Name] = p
	}
	return set
}

func errf(format string, a ...any) error { return fmt.Errorf(format, a...) }

func testingProcs() int { return runtime.GOMAXPROCS(0) }
