// Package metrics defines Recall's Prometheus series under one namespace.
// Nothing here is global: New registers the collectors on the registry it
// is given, and the resulting *Metrics is passed to whoever counts.
package metrics

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every series Recall exports.
type Metrics struct {
	// HTTPRequests counts responses by route pattern, method and status code.
	HTTPRequests *prometheus.CounterVec
	// HTTPDuration observes request durations by route pattern and method.
	HTTPDuration *prometheus.HistogramVec
	// DBQueries counts every statement sent to the primary database, by
	// kind ("read" or "write") and op (the store method).
	DBQueries *prometheus.CounterVec
	// DBBatchWrites observes, per commit of a store that groups its
	// writes (SQLite), how many write transactions the commit carried.
	DBBatchWrites prometheus.Histogram
	// CacheRequests counts cache lookups by cache (topics, questions,
	// sessions, tokens) and result (hit, miss, error).
	CacheRequests *prometheus.CounterVec
	// CacheRefills counts the refills a write asks for after it dropped a
	// cached value (cache.Refiller), by cache and result (filled, lost,
	// present, skipped, error, dropped, coalesced).
	CacheRefills *prometheus.CounterVec
	// CacheRefillsPending is the number of refills queued or running.
	CacheRefillsPending prometheus.Gauge
	// RedisCalls counts round trips to Redis by operation.
	RedisCalls *prometheus.CounterVec
	// RateLimitDecisions counts rate-limit outcomes by policy and result
	// (allowed, limited, fallback_allowed, fallback_limited).
	RateLimitDecisions *prometheus.CounterVec
	// LLMCalls counts requests sent to the LLM endpoint by op (reply,
	// grade, generate).
	LLMCalls *prometheus.CounterVec
	// LLMTokens counts the tokens the LLM endpoint reported, by op and kind
	// (prompt, completion).
	LLMTokens *prometheus.CounterVec
	// LLMFailures counts LLM calls that gave no usable result, by op and
	// reason (refused, rate_limited, server, timeout, malformed, cut,
	// framing, invalid).
	LLMFailures *prometheus.CounterVec
	// LLMFallbacks counts the times the rules answered instead of the LLM,
	// by op and reason (a failure's reason, over_budget, budget_unknown or
	// unsafe_input).
	LLMFallbacks *prometheus.CounterVec
	// NearCacheEntries and NearCacheBytes are the replies the Redis
	// near-cache holds in this process and their approximate size, read
	// at each gathering from the source NearCacheSource set (0 without
	// one).
	NearCacheEntries prometheus.GaugeFunc
	NearCacheBytes   prometheus.GaugeFunc

	// nearSource reports the near-cache's size; nil before NearCacheSource.
	nearSource atomic.Pointer[func() (entries, bytes int64)]

	// The children of the vectors by their label values, for the counting
	// methods: WithLabelValues checks and hashes the values byte by byte
	// and takes the vector's lock on every call, four or more times per
	// cached request; a sync.Map read is neither (BenchmarkCount).
	dbMemo, cacheMemo, refillMemo memo[[2]string, prometheus.Counter]
	redisMemo                     memo[string, prometheus.Counter]
	httpMemo                      memo[httpKey, httpSeries]
}

// httpKey names the series of one kind of response.
type httpKey struct {
	route, method string
	status        int
}

// httpSeries are the series one response counts in.
type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// memo maps label values to a vector's child, made on first use.
type memo[K comparable, V any] struct{ m sync.Map }

// get returns the child of k, made by mk the first time.
func (c *memo[K, V]) get(k K, mk func() V) V {
	if v, ok := c.m.Load(k); ok {
		return v.(V)
	}
	v, _ := c.m.LoadOrStore(k, mk())
	return v.(V)
}

// New creates the collectors and registers them on reg. With a nil reg it
// makes a private registry (handy in tests).
func New(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "http", Name: "requests_total",
			Help: "HTTP responses by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "recall", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request durations by route pattern and method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		DBQueries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "db", Name: "queries_total",
			Help: "Statements sent to the primary database, by kind (read|write) and store method.",
		}, []string{"kind", "op"}),
		DBBatchWrites: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "recall", Subsystem: "db", Name: "batch_writes",
			Help:    "Write transactions per commit of a store that groups its writes (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		CacheRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "cache", Name: "requests_total",
			Help: "Cache lookups by cache and result (hit|miss|error).",
		}, []string{"cache", "result"}),
		CacheRefills: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "cache", Name: "refills_total",
			Help: "Refills after a write dropped a cached value, by cache and result (filled|lost|present|skipped|error|dropped|coalesced).",
		}, []string{"cache", "result"}),
		CacheRefillsPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "recall", Subsystem: "cache", Name: "refills_pending",
			Help: "Refills after writes queued or running.",
		}),
		RedisCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "redis", Name: "calls_total",
			Help: "Round trips to Redis by operation.",
		}, []string{"op"}),
		RateLimitDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "ratelimit", Name: "decisions_total",
			Help: "Rate-limit decisions by policy and result.",
		}, []string{"policy", "result"}),
		LLMCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "llm", Name: "calls_total",
			Help: "Requests sent to the LLM endpoint, by op.",
		}, []string{"op"}),
		LLMTokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "llm", Name: "tokens_total",
			Help: "Tokens reported by the LLM endpoint, by op and kind (prompt|completion).",
		}, []string{"op", "kind"}),
		LLMFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "llm", Name: "failures_total",
			Help: "LLM calls without a usable result, by op and reason.",
		}, []string{"op", "reason"}),
		LLMFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "recall", Subsystem: "llm", Name: "fallbacks_total",
			Help: "Times the rules answered instead of the LLM, by op and reason.",
		}, []string{"op", "reason"}),
	}
	m.NearCacheEntries = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "recall", Subsystem: "near_cache", Name: "entries",
		Help: "Replies held by the Redis near-cache (client-side cache) of this process.",
	}, func() float64 { e, _ := m.nearCacheSize(); return float64(e) })
	m.NearCacheBytes = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "recall", Subsystem: "near_cache", Name: "bytes",
		Help: "Approximate bytes held by the Redis near-cache (client-side cache) of this process.",
	}, func() float64 { _, b := m.nearCacheSize(); return float64(b) })
	reg.MustRegister(m.NearCacheEntries, m.NearCacheBytes)
	reg.MustRegister(m.HTTPRequests, m.HTTPDuration, m.DBQueries, m.DBBatchWrites, m.CacheRequests, m.CacheRefills, m.CacheRefillsPending, m.RedisCalls, m.RateLimitDecisions,
		m.LLMCalls, m.LLMTokens, m.LLMFailures, m.LLMFallbacks)
	return m
}

// NewRegistry returns a registry with the Go runtime and process collectors
// and Recall's own series registered on it.
func NewRegistry() (*prometheus.Registry, *Metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg, New(reg)
}

// NearCacheSource makes the near-cache gauges report what size returns
// (called at each gathering; a later call replaces an earlier one). It is
// safe on a nil *Metrics.
func (m *Metrics) NearCacheSource(size func() (entries, bytes int64)) {
	if m != nil {
		m.nearSource.Store(&size)
	}
}

// nearCacheSize asks the near-cache source, 0 and 0 without one.
func (m *Metrics) nearCacheSize() (entries, bytes int64) {
	if fn := m.nearSource.Load(); fn != nil {
		return (*fn)()
	}
	return 0, 0
}

// DBQuery counts one statement. It is safe on a nil *Metrics.
func (m *Metrics) DBQuery(kind, op string) {
	if m != nil {
		m.dbMemo.get([2]string{kind, op}, func() prometheus.Counter { return m.DBQueries.WithLabelValues(kind, op) }).Inc()
	}
}

// DBBatch observes one group commit of n write transactions. It is safe on
// a nil *Metrics.
func (m *Metrics) DBBatch(n int) {
	if m != nil {
		m.DBBatchWrites.Observe(float64(n))
	}
}

// Cache counts one cache lookup. It is safe on a nil *Metrics.
func (m *Metrics) Cache(cache, result string) {
	if m != nil {
		m.cacheMemo.get([2]string{cache, result}, func() prometheus.Counter { return m.CacheRequests.WithLabelValues(cache, result) }).Inc()
	}
}

// Refill counts one refill's result. It is safe on a nil *Metrics.
func (m *Metrics) Refill(cache, result string) {
	if m != nil {
		m.refillMemo.get([2]string{cache, result}, func() prometheus.Counter { return m.CacheRefills.WithLabelValues(cache, result) }).Inc()
	}
}

// RefillsPending sets the number of refills queued or running. It is safe
// on a nil *Metrics.
func (m *Metrics) RefillsPending(n int) {
	if m != nil {
		m.CacheRefillsPending.Set(float64(n))
	}
}

// RedisCall counts one round trip to Redis. It is safe on a nil *Metrics.
func (m *Metrics) RedisCall(op string) {
	if m != nil {
		m.redisMemo.get(op, func() prometheus.Counter { return m.RedisCalls.WithLabelValues(op) }).Inc()
	}
}

// HTTPRequest counts one response of route (its pattern) to method
// (bounded by the caller) with status, which took d. It is safe on a nil
// *Metrics.
func (m *Metrics) HTTPRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	s := m.httpMemo.get(httpKey{route, method, status}, func() httpSeries {
		return httpSeries{
			requests: m.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(status)),
			duration: m.HTTPDuration.WithLabelValues(route, method),
		}
	})
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}
