package redis_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// BenchmarkGet compares, in one run, a bare rueidis GET round trip with a
// Backend hit without the near-cache (the breaker, the timeout and the
// metrics on top of the same round trip) and a near-cache hit.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	val := make([]byte, 512)

	raw, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{redistest.SharedAddr}, DisableCache: true})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	plain := connect(b, redis.Options{DisableNearCache: true})
	near := connect(b, redis.Options{Prefix: plain.Prefix()})
	fill(b, redis.NewBackend(plain), "k:{bench}", string(val))
	key := plain.Prefix() + "k:{bench}"

	b.Run("bare-GET", func(b *testing.B) {
		for b.Loop() {
			if err := raw.Do(ctx, raw.B().Get().Key(key).Build()).Error(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("backend-redis-hit", func(b *testing.B) {
		be := redis.NewBackend(plain)
		for b.Loop() {
			if _, ok, err := be.Get(ctx, "k:{bench}"); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("backend-near-hit", func(b *testing.B) {
		be := redis.NewBackend(near)
		for b.Loop() {
			if _, ok, err := be.Get(ctx, "k:{bench}"); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("bare-DoCache-hit", func(b *testing.B) {
		rc := near.Rueidis()
		for b.Loop() {
			if err := rc.DoCache(ctx, rc.B().Get().Key(key).Cache(), time.Minute).Error(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRedisHitVsBareGET interleaves a bare GET round trip and a
// Backend hit without the near-cache, call by call, so that both see the
// same load, and reports the median of each and their ratio.
func BenchmarkRedisHitVsBareGET(b *testing.B) {
	ctx := context.Background()
	raw, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{redistest.SharedAddr}, DisableCache: true})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	plain := connect(b, redis.Options{DisableNearCache: true})
	be := redis.NewBackend(plain)
	fill(b, be, "k:{bench}", string(make([]byte, 512)))
	key := plain.Prefix() + "k:{bench}"
	var bare, hit []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := raw.Do(ctx, raw.B().Get().Key(key).Build()).Error(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, ok, err := be.Get(ctx, "k:{bench}"); err != nil || !ok {
			b.Fatal(ok, err)
		}
		t2 := time.Now()
		bare = append(bare, t1.Sub(t0))
		hit = append(hit, t2.Sub(t1))
	}
	mb, mh := median(bare), median(hit)
	b.ReportMetric(float64(mb.Nanoseconds()), "bare-p50-ns")
	b.ReportMetric(float64(mh.Nanoseconds()), "hit-p50-ns")
	b.ReportMetric(float64(mh)/float64(mb), "hit/bare")
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkGetParallel is BenchmarkGet with concurrent callers, where
// rueidis pipelines.
func BenchmarkGetParallel(b *testing.B) {
	ctx := context.Background()
	raw, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{redistest.SharedAddr}, DisableCache: true})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	plain := connect(b, redis.Options{DisableNearCache: true})
	fill(b, redis.NewBackend(plain), "k:{bench}", "value")
	key := plain.Prefix() + "k:{bench}"
	b.Run("bare-GET", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := raw.Do(ctx, raw.B().Get().Key(key).Build()).Error(); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("backend-redis-hit", func(b *testing.B) {
		be := redis.NewBackend(plain)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := be.Get(ctx, "k:{bench}"); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
