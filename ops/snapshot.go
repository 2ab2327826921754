// Package ops turns the process's own Prometheus registry into the live
// figures of the operations page (GET /v1/ops and /ops in the web app):
// requests per second and p50/p99 latency per route, the hit ratio of each
// cache, the database reads the caches avoided, rate-limit decisions, the
// Redis status and the near-cache (its bound, entries and bytes).
//
// No Prometheus server is needed: a Sampler gathers the registry every few
// seconds and computes rates and quantiles from the change of the counters
// and histograms since the sample before. With a Board (Redis, see
// redis.OpsBoard) every instance publishes its snapshot under a key of its
// own with a short TTL and reads everyone's, so the page shows the whole
// cluster and each instance; without one it shows this instance.
package ops

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Snapshot is what one instance did over the last sampling interval, as
// rates per second.
type Snapshot struct {
	// Instance names the instance (host:port).
	Instance string `json:"instance"`
	// At is when the snapshot was taken.
	At time.Time `json:"at"`
	// Seconds is the length of the interval the rates cover.
	Seconds float64 `json:"seconds"`
	// LatencyBounds are the upper bounds, in milliseconds, of the latency
	// buckets of every route (the last, +Inf, is left out).
	LatencyBounds []float64 `json:"latency_bounds_ms"`
	// Routes are the routes that answered requests in the interval, the
	// busiest first.
	Routes []Route `json:"routes"`
	// Caches are the caches looked up in the interval, by name.
	Caches []Cache `json:"caches"`
	// DB is the primary database's side.
	DB DB `json:"db"`
	// RateLimit counts rate-limit decisions.
	RateLimit RateLimit `json:"rate_limit"`
	// Redis is "ok", "degraded" or "disabled"; for a cluster total, the
	// worst of its instances.
	Redis string `json:"redis"`
	// NearCache is the in-process copy of hot Redis keys.
	NearCache NearCache `json:"near_cache"`
}

// Route is one route pattern and method.
type Route struct {
	Route  string `json:"route"`
	Method string `json:"method"`
	// PerSecond is requests per second.
	PerSecond float64 `json:"per_second"`
	// P50 and P99 are latency quantiles in milliseconds, estimated from
	// the histogram's buckets; nil with no request in the interval.
	P50 *float64 `json:"p50_ms"`
	P99 *float64 `json:"p99_ms"`
	// Counts are the requests of the interval in each latency bucket
	// (LatencyBounds, then +Inf): what a cluster total merges.
	Counts []float64 `json:"latency_counts"`
}

// Cache is one cache.
type Cache struct {
	Cache string `json:"cache"`
	// Hits, Misses and Errors are lookups per second.
	Hits   float64 `json:"hits"`
	Misses float64 `json:"misses"`
	Errors float64 `json:"errors"`
	// HitRatio is hits over lookups, nil with no lookup.
	HitRatio *float64 `json:"hit_ratio"`
}

// DB is the primary database's load, per second.
type DB struct {
	Reads  float64 `json:"reads"`
	Writes float64 `json:"writes"`
	// ReadsAvoided are the cache hits: reads the database did not serve.
	ReadsAvoided float64 `json:"reads_avoided"`
}

// RateLimit is rate-limit decisions per second.
type RateLimit struct {
	Allowed float64 `json:"allowed"`
	Limited float64 `json:"limited"`
	// Fallback are the decisions of the local limiter while Redis was
	// unreachable (allowed or limited).
	Fallback float64 `json:"fallback"`
}

// NearCache describes the near-cache.
type NearCache struct {
	Enabled bool `json:"enabled"`
	// CapacityBytes is its bound per connection to a Redis node; for a
	// cluster total, the sum over the instances.
	CapacityBytes int64 `json:"capacity_bytes"`
	// Entries and Bytes are what it holds at the sample (the gauges
	// recall_near_cache_entries and recall_near_cache_bytes): replies kept
	// and their approximate size; for a cluster total, the sums.
	Entries int64 `json:"entries"`
	Bytes   int64 `json:"bytes"`
}

// Quantile estimates the q-quantile (0 < q < 1) of the observations
// counted in buckets (counts[i] in the bucket of upper bound bounds[i]; the
// last count is the +Inf bucket) as Prometheus's histogram_quantile does:
// linear interpolation within the bucket that holds the rank, from 0 for
// the first bucket. An observation above the last bound counts as the last
// bound. It returns nil when there is no observation.
func Quantile(q float64, bounds, counts []float64) *float64 {
	var total float64
	for _, c := range counts {
		total += c
	}
	if total <= 0 || len(counts) == 0 {
		return nil
	}
	rank := q * total
	var cum float64
	for i, c := range counts {
		if c <= 0 || cum+c < rank {
			cum += c
			continue
		}
		if i >= len(bounds) {
			// The +Inf bucket: nothing to interpolate to.
			v := 0.0
			if len(bounds) > 0 {
				v = bounds[len(bounds)-1]
			}
			return &v
		}
		lower := 0.0
		if i > 0 {
			lower = bounds[i-1]
		}
		v := lower + (bounds[i]-lower)*(rank-cum)/c
		return &v
	}
	// Rounding left the rank past the last count.
	v := 0.0
	if len(bounds) > 0 {
		v = bounds[len(bounds)-1]
	}
	return &v
}

// ratio returns num/den, nil for den 0.
func ratio(num, den float64) *float64 {
	if den <= 0 {
		return nil
	}
	v := num / den
	return &v
}

// Total sums snapshots of instances into the cluster's: rates add up, the
// latency quantiles are estimated from the merged buckets, the hit ratios
// from the summed hits and lookups, and Redis is the worst status. The
// instances' bounds must be the same (they are, from one binary); a
// snapshot with other bounds adds its rates but not its latencies.
func Total(snaps []Snapshot) Snapshot {
	out := Snapshot{Instance: "cluster", Redis: "disabled", LatencyBounds: []float64{}, Routes: []Route{}, Caches: []Cache{}}
	routes := map[[2]string]*Route{}
	caches := map[string]*Cache{}
	for i, s := range snaps {
		if i == 0 && s.LatencyBounds != nil {
			out.LatencyBounds = slices.Clone(s.LatencyBounds)
		}
		if s.At.After(out.At) {
			out.At = s.At
		}
		out.Seconds = max(out.Seconds, s.Seconds)
		sameBounds := slices.Equal(s.LatencyBounds, out.LatencyBounds)
		for _, r := range s.Routes {
			k := [2]string{r.Route, r.Method}
			t := routes[k]
			if t == nil {
				t = &Route{Route: r.Route, Method: r.Method, Counts: make([]float64, len(out.LatencyBounds)+1)}
				routes[k] = t
			}
			t.PerSecond += r.PerSecond
			if sameBounds && len(r.Counts) == len(t.Counts) {
				for j, c := range r.Counts {
					t.Counts[j] += c
				}
			}
		}
		for _, c := range s.Caches {
			t := caches[c.Cache]
			if t == nil {
				t = &Cache{Cache: c.Cache}
				caches[c.Cache] = t
			}
			t.Hits += c.Hits
			t.Misses += c.Misses
			t.Errors += c.Errors
		}
		out.DB.Reads += s.DB.Reads
		out.DB.Writes += s.DB.Writes
		out.DB.ReadsAvoided += s.DB.ReadsAvoided
		out.RateLimit.Allowed += s.RateLimit.Allowed
		out.RateLimit.Limited += s.RateLimit.Limited
		out.RateLimit.Fallback += s.RateLimit.Fallback
		out.Redis = worse(out.Redis, s.Redis)
		out.NearCache.Enabled = out.NearCache.Enabled || s.NearCache.Enabled
		out.NearCache.CapacityBytes += s.NearCache.CapacityBytes
		out.NearCache.Entries += s.NearCache.Entries
		out.NearCache.Bytes += s.NearCache.Bytes
	}
	for _, r := range routes {
		r.P50 = Quantile(0.5, out.LatencyBounds, r.Counts)
		r.P99 = Quantile(0.99, out.LatencyBounds, r.Counts)
		out.Routes = append(out.Routes, *r)
	}
	sortRoutes(out.Routes)
	for _, c := range caches {
		c.HitRatio = ratio(c.Hits, c.Hits+c.Misses+c.Errors)
		out.Caches = append(out.Caches, *c)
	}
	sort.Slice(out.Caches, func(i, j int) bool { return out.Caches[i].Cache < out.Caches[j].Cache })
	return out
}

// worse returns the worse of two Redis statuses: degraded, then ok, then
// disabled.
func worse(a, b string) string {
	rank := func(s string) int {
		switch s {
		case "disabled", "":
			return 0
		case "ok":
			return 1
		}
		return 2
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// sortRoutes orders routes busiest first, then by route and method.
func sortRoutes(rs []Route) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.PerSecond != b.PerSecond {
			return a.PerSecond > b.PerSecond
		}
		if a.Route != b.Route {
			return a.Route < b.Route
		}
		return a.Method < b.Method
	})
}

// finite turns NaN and infinities (which JSON cannot carry) into 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
