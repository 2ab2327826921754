package ratelimit

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/recallhq/recall/internal/fakeclock"
	"github.com/recallhq/recall/metrics"
)

// newFakeClock returns the clock of the local limiter's tests.
func newFakeClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
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
