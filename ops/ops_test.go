package ops

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/recallhq/recall/metrics"
)

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want %g", what, want)
		return
	}
	if math.Abs(*got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %g, want %g", what, *got, want)
	}
}

func TestQuantile(t *testing.T) {
	bounds := []float64{1, 2, 4, 8}
	cases := []struct {
		name   string
		q      float64
		counts []float64
		want   float64
	}{
		// 10 in (0,1]: the median is the middle of that bucket.
		{"FirstBucket", 0.5, []float64{10, 0, 0, 0, 0}, 0.5},
		// 50 in (0,1], 50 in (1,2]: p99 is 98% of the way into (1,2].
		{"Interpolated", 0.99, []float64{50, 50, 0, 0, 0}, 1.98},
		// Rank 50 of 100 falls at the end of the first bucket.
		{"OnABound", 0.5, []float64{50, 50, 0, 0, 0}, 1},
		// Empty buckets before the rank are skipped.
		{"SkipsEmpty", 0.5, []float64{0, 0, 4, 0, 0}, 3},
		// Above the last bound: the last bound.
		{"Overflow", 0.99, []float64{1, 0, 0, 0, 99}, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			near(t, "Quantile", Quantile(c.q, bounds, c.counts), c.want)
		})
	}
	if got := Quantile(0.5, bounds, []float64{0, 0, 0, 0, 0}); got != nil {
		t.Errorf("Quantile of nothing = %g, want nil", *got)
	}
}

// TestSamplerRates drives the real metrics through a registry, samples it
// twice two seconds apart on a fake clock, and checks the rates, the
// quantiles and the hit ratios of the interval (what happened before the
// first sample does not count).
func TestSamplerRates(t *testing.T) {
	reg, m := metrics.NewRegistry()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := New(Config{Gatherer: reg, Instance: "a:1", Now: func() time.Time { return now }, NearCache: NearCache{Enabled: true, CapacityBytes: 64}})

	m.HTTPRequest("/v1/topics", "GET", 200, 3*time.Millisecond) // before the first sample
	m.Cache("topics", "miss")
	entries, bytes := int64(3), int64(4096)
	m.NearCacheSource(func() (int64, int64) { return entries, bytes })
	if err := s.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.Latest(); len(got.Routes) != 0 || got.Seconds != 0 {
		t.Fatalf("the first sample has rates: %+v", got)
	}
	// The near-cache's size is a gauge: the first sample has it already.
	if got := s.Latest().NearCache; got != (NearCache{Enabled: true, CapacityBytes: 64, Entries: 3, Bytes: 4096}) {
		t.Fatalf("near-cache %+v, want 3 entries of 4096 bytes", got)
	}
	entries, bytes = 5, 10000

	now = now.Add(2 * time.Second)
	// 100 requests: 90 at 0.3 ms (bucket 0.25–0.5 ms), 10 at 30 ms
	// (bucket 25–50 ms).
	for range 90 {
		m.HTTPRequest("/v1/topics", "GET", 200, 300*time.Microsecond)
	}
	for range 10 {
		m.HTTPRequest("/v1/topics", "GET", 200, 30*time.Millisecond)
	}
	m.HTTPRequest("/v1/me", "GET", 401, time.Millisecond)
	for range 6 {
		m.Cache("topics", "hit")
	}
	m.Cache("topics", "miss")
	m.Cache("topics", "error")
	m.Cache("tokens", "hit")
	for range 4 {
		m.DBQuery("read", "Topics")
	}
	m.DBQuery("write", "CreateTopic")
	for range 10 {
		m.RateLimitDecisions.WithLabelValues("default", "allowed").Inc()
	}
	m.RateLimitDecisions.WithLabelValues("auth", "limited").Inc()
	m.RateLimitDecisions.WithLabelValues("auth", "fallback_allowed").Inc()
	m.RateLimitDecisions.WithLabelValues("auth", "fallback_limited").Inc()
	if err := s.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := s.Latest()
	if got.Seconds != 2 || got.Instance != "a:1" || got.Redis != "disabled" || !got.NearCache.Enabled {
		t.Fatalf("snapshot %+v", got)
	}
	if got.NearCache.Entries != 5 || got.NearCache.Bytes != 10000 {
		t.Errorf("near-cache %+v, want 5 entries of 10000 bytes", got.NearCache)
	}
	if len(got.Routes) != 2 || got.Routes[0].Route != "/v1/topics" || got.Routes[1].Route != "/v1/me" {
		t.Fatalf("routes %+v, want /v1/topics then /v1/me", got.Routes)
	}
	r := got.Routes[0]
	if r.PerSecond != 50 {
		t.Errorf("requests/s %g, want 50", r.PerSecond)
	}
	// The median (rank 50 of 90 in 0.25–0.5 ms) interpolates to
	// 0.25 + 0.25·50/90 ms; p99 (rank 99, the 9th of 10 in 25–50 ms)
	// to 25 + 25·9/10 ms.
	near(t, "p50", r.P50, 0.25+0.25*50.0/90)
	near(t, "p99", r.P99, 25+25*9.0/10)
	if got.Routes[1].PerSecond != 0.5 {
		t.Errorf("/v1/me requests/s %g, want 0.5", got.Routes[1].PerSecond)
	}

	if len(got.Caches) != 2 || got.Caches[0].Cache != "tokens" || got.Caches[1].Cache != "topics" {
		t.Fatalf("caches %+v", got.Caches)
	}
	tc := got.Caches[1]
	if tc.Hits != 3 || tc.Misses != 0.5 || tc.Errors != 0.5 {
		t.Errorf("topics cache %+v, want 3 hits, 0.5 misses and 0.5 errors a second", tc)
	}
	near(t, "hit ratio", tc.HitRatio, 0.75)
	if got.DB.Reads != 2 || got.DB.Writes != 0.5 || got.DB.ReadsAvoided != 3.5 {
		t.Errorf("db %+v, want 2 reads, 0.5 writes and 3.5 avoided a second", got.DB)
	}
	if got.RateLimit != (RateLimit{Allowed: 5, Limited: 0.5, Fallback: 1}) {
		t.Errorf("rate limit %+v", got.RateLimit)
	}

	// A quiet interval: the routes leave, the caches stay with no ratio.
	now = now.Add(2 * time.Second)
	if err := s.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	got = s.Latest()
	if len(got.Routes) != 0 || got.Caches[1].HitRatio != nil || got.DB.Reads != 0 {
		t.Errorf("quiet interval %+v", got)
	}
}

func TestTotal(t *testing.T) {
	bounds := []float64{1, 2}
	ratioOf := func(v float64) *float64 { return &v }
	a := Snapshot{Instance: "a", Seconds: 2, LatencyBounds: bounds, Redis: "ok",
		Routes:    []Route{{Route: "/r", Method: "GET", PerSecond: 10, Counts: []float64{20, 0, 0}}},
		Caches:    []Cache{{Cache: "topics", Hits: 9, Misses: 1, HitRatio: ratioOf(0.9)}},
		DB:        DB{Reads: 1, Writes: 2, ReadsAvoided: 9},
		RateLimit: RateLimit{Allowed: 10, Limited: 1},
		NearCache: NearCache{Enabled: true, CapacityBytes: 100, Entries: 7, Bytes: 7000}}
	b := Snapshot{Instance: "b", Seconds: 2, LatencyBounds: bounds, Redis: "degraded",
		Routes:    []Route{{Route: "/r", Method: "GET", PerSecond: 10, Counts: []float64{0, 20, 0}}},
		Caches:    []Cache{{Cache: "topics", Hits: 1, Misses: 9, HitRatio: ratioOf(0.1)}},
		DB:        DB{Reads: 9, ReadsAvoided: 1},
		RateLimit: RateLimit{Allowed: 5, Fallback: 2},
		NearCache: NearCache{Enabled: true, CapacityBytes: 100, Entries: 3, Bytes: 500}}
	got := Total([]Snapshot{a, b})
	if got.Instance != "cluster" || got.Redis != "degraded" ||
		got.NearCache != (NearCache{Enabled: true, CapacityBytes: 200, Entries: 10, Bytes: 7500}) {
		t.Errorf("total %+v", got)
	}
	if len(got.Routes) != 1 || got.Routes[0].PerSecond != 20 {
		t.Fatalf("routes %+v", got.Routes)
	}
	// 20 requests in (0,1], 20 in (1,2]: the merged median is 1, p99 is
	// 1 + 19.6/20.
	near(t, "cluster p50", got.Routes[0].P50, 1)
	near(t, "cluster p99", got.Routes[0].P99, 1+19.6/20)
	// The cluster's ratio is of the summed lookups, not the mean of ratios
	// (which happen to agree here at 0.5).
	near(t, "cluster hit ratio", got.Caches[0].HitRatio, 0.5)
	if got.DB != (DB{Reads: 10, Writes: 2, ReadsAvoided: 10}) || got.RateLimit != (RateLimit{Allowed: 15, Limited: 1, Fallback: 2}) {
		t.Errorf("db %+v, rate limit %+v", got.DB, got.RateLimit)
	}
	b.Caches[0].Misses = 0
	b.Caches[0].Hits = 10
	near(t, "weighted hit ratio", Total([]Snapshot{a, b}).Caches[0].HitRatio, 19.0/20)

	if got := Total(nil); got.Redis != "disabled" || len(got.Routes) != 0 {
		t.Errorf("total of nothing %+v", got)
	}
}

// memBoard is a Board in memory (the Redis one is tested in package redis).
type memBoard struct {
	snaps map[string][]byte
	fail  error
}

func (b *memBoard) Publish(_ context.Context, instance string, snap []byte, _ time.Duration) error {
	if b.fail != nil {
		return b.fail
	}
	b.snaps[instance] = snap
	return nil
}

func (b *memBoard) Snapshots(context.Context) (map[string][]byte, error) {
	if b.fail != nil {
		return nil, b.fail
	}
	return b.snaps, nil
}

func TestSamplerBoard(t *testing.T) {
	ctx := context.Background()
	board := &memBoard{snaps: map[string][]byte{}}
	regA, mA := metrics.NewRegistry()
	regB, mB := metrics.NewRegistry()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	a := New(Config{Gatherer: regA, Instance: "a:1", Board: board, Now: clock})
	b := New(Config{Gatherer: regB, Instance: "b:1", Board: board, Now: clock})
	for _, s := range []*Sampler{a, b} {
		if err := s.Sample(ctx); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Second)
	mA.HTTPRequest("/r", "GET", 200, time.Millisecond)
	mB.HTTPRequest("/r", "GET", 200, time.Millisecond)
	mB.HTTPRequest("/r", "GET", 200, time.Millisecond)
	for _, s := range []*Sampler{a, b} {
		if err := s.Sample(ctx); err != nil {
			t.Fatal(err)
		}
	}
	v := a.View(ctx)
	if v.Source != "redis" || v.Instance != "a:1" || len(v.Instances) != 2 || v.Instances[0].Instance != "a:1" || v.Instances[1].Instance != "b:1" {
		t.Fatalf("view %+v", v)
	}
	if v.Cluster.Routes[0].PerSecond != 3 || v.Instances[1].Routes[0].PerSecond != 2 || v.Cluster.Redis != "ok" || v.Instances[1].Redis != "ok" {
		t.Errorf("cluster %+v, b %+v", v.Cluster, v.Instances[1])
	}
	// The JSON of a view has no NaN or other value JSON cannot carry.
	if _, err := json.Marshal(v); err != nil {
		t.Fatal(err)
	}

	// Redis gone: the publication fails, this instance says degraded and
	// shows itself alone.
	board.fail = errors.New("redis: unavailable")
	now = now.Add(time.Second)
	if err := a.Sample(ctx); err == nil {
		t.Error("a failed publication is no error")
	}
	v = a.View(ctx)
	if v.Source != "local_only" || len(v.Instances) != 1 || v.Cluster.Redis != "degraded" {
		t.Errorf("view without the board %+v", v)
	}
}
