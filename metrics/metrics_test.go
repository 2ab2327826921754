package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestCountingMethods: each method counts in its series, under its labels,
// however often the memo serves the child.
func TestCountingMethods(t *testing.T) {
	m := New(nil)
	for range 3 {
		m.DBQuery("read", "Topics")
		m.Cache("topics", "hit")
		m.RedisCall("ratelimit")
		m.HTTPRequest("GET /v1/topics", "GET", 200, 3*time.Millisecond)
	}
	m.Cache("topics", "miss")
	m.HTTPRequest("GET /v1/topics", "GET", 404, time.Millisecond)
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"db read/Topics", testutil.ToFloat64(m.DBQueries.WithLabelValues("read", "Topics")), 3},
		{"db write/Topics", testutil.ToFloat64(m.DBQueries.WithLabelValues("write", "Topics")), 0},
		{"cache topics/hit", testutil.ToFloat64(m.CacheRequests.WithLabelValues("topics", "hit")), 3},
		{"cache topics/miss", testutil.ToFloat64(m.CacheRequests.WithLabelValues("topics", "miss")), 1},
		{"redis ratelimit", testutil.ToFloat64(m.RedisCalls.WithLabelValues("ratelimit")), 3},
		{"http 200", testutil.ToFloat64(m.HTTPRequests.WithLabelValues("GET /v1/topics", "GET", "200")), 3},
		{"http 404", testutil.ToFloat64(m.HTTPRequests.WithLabelValues("GET /v1/topics", "GET", "404")), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.HTTPDuration); n != 1 {
		t.Errorf("%d duration series, want 1 (route and method)", n)
	}
	var nilM *Metrics
	nilM.RedisCall("x") // safe on nil
	nilM.HTTPRequest("r", "GET", 200, time.Millisecond)
}

// BenchmarkCount compares, in one run, what a cached request's counting
// costs through WithLabelValues (as before) and through the memo: one
// cache hit, one Redis call and one HTTP response (counter and histogram).
func BenchmarkCount(b *testing.B) {
	m := New(nil)
	b.Run("WithLabelValues", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.CacheRequests.WithLabelValues("topics", "hit").Inc()
				m.RedisCalls.WithLabelValues("ratelimit").Inc()
				m.HTTPRequests.WithLabelValues("GET /v1/topics", "GET", "200").Inc()
				m.HTTPDuration.WithLabelValues("GET /v1/topics", "GET").Observe(0.001)
			}
		})
	})
	b.Run("memo", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.Cache("topics", "hit")
				m.RedisCall("ratelimit")
				m.HTTPRequest("GET /v1/topics", "GET", 200, time.Millisecond)
			}
		})
	})
}

// TestNearCacheGauges: the near-cache gauges read their source at each
// gathering, 0 before one is set; they are exposed under their names.
func TestNearCacheGauges(t *testing.T) {
	reg, m := NewRegistry()
	if e, b := testutil.ToFloat64(m.NearCacheEntries), testutil.ToFloat64(m.NearCacheBytes); e != 0 || b != 0 {
		t.Fatalf("gauges without a source = %v, %v; want 0, 0", e, b)
	}
	n := int64(2)
	m.NearCacheSource(func() (int64, int64) { return n, 1000 * n })
	n = 7
	if e, b := testutil.ToFloat64(m.NearCacheEntries), testutil.ToFloat64(m.NearCacheBytes); e != 7 || b != 7000 {
		t.Fatalf("gauges = %v, %v; want 7, 7000", e, b)
	}
	if c, err := testutil.GatherAndCount(reg, "recall_near_cache_entries", "recall_near_cache_bytes"); err != nil || c != 2 {
		t.Fatalf("gathered %d near-cache series (%v); want 2", c, err)
	}
	var none *Metrics
	none.NearCacheSource(func() (int64, int64) { return 1, 1 }) // safe on nil
}
