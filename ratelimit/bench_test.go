package ratelimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks through Redis (BenchmarkLimiterRedis, against redis_rate
// and redis-benchmark) are in the redis package, next to the backend.

func benchPolicies() Policies {
	return policySet(pol("default", 1e9, time.Hour), pol("turns", 1e9, time.Hour), pol("writes", 1e9, time.Hour))
}

func BenchmarkLimiterLocal(b *testing.B) {
	l := newLimiter(b, Config{Policies: benchPolicies()})
	names := []string{"default", "turns", "writes"}
	var seq atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			l.Limit(ctx, "user:"+strconv.FormatInt(seq.Add(1)%10000, 10), names, nil)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}
