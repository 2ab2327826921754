package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Defaults of Config.
const (
	// DefaultInterval is how often a Sampler samples and publishes.
	DefaultInterval = 2 * time.Second
	// DefaultTTL is how long a published snapshot counts: an instance that
	// stopped publishing leaves the page after it.
	DefaultTTL = 10 * time.Second
)

// The series a Sampler reads (package metrics registers them).
const (
	seriesDuration  = "recall_http_request_duration_seconds"
	seriesCache     = "recall_cache_requests_total"
	seriesDB        = "recall_db_queries_total"
	seriesRateLimit = "recall_ratelimit_decisions_total"
	seriesNearItems = "recall_near_cache_entries"
	seriesNearBytes = "recall_near_cache_bytes"
)

// Board is where the instances of a deployment publish their snapshots and
// read everyone's (implemented by redis.OpsBoard).
type Board interface {
	// Publish stores the snapshot of instance, which stops counting after
	// ttl unless published again.
	Publish(ctx context.Context, instance string, snapshot []byte, ttl time.Duration) error
	// Snapshots returns the snapshots published within their ttl, by
	// instance.
	Snapshots(ctx context.Context) (map[string][]byte, error)
}

// Config configures a Sampler.
type Config struct {
	// Gatherer is the registry sampled (the one /metrics exposes).
	Gatherer prometheus.Gatherer
	// Instance names this instance, host:port.
	Instance string
	// Board shares the snapshots of the deployment's instances; nil shows
	// this instance alone (and Redis "disabled").
	Board Board
	// NearCache describes this instance's near-cache.
	NearCache NearCache
	// Interval is the sampling period; zero means DefaultInterval.
	Interval time.Duration
	// TTL is the lifetime of a published snapshot; zero means DefaultTTL.
	TTL time.Duration
	// Now returns the time; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Sampler samples the registry, keeps this instance's latest snapshot and
// publishes it. It is safe for concurrent use.
type Sampler struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	prev   *counters // the sample before, nil before the first
	latest Snapshot
	// published says whether the last publication reached the board.
	published bool
}

// New returns a Sampler for cfg; Run (or Sample) makes its snapshots.
func New(cfg Config) *Sampler {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sampler{cfg: cfg, log: log}
	s.latest = Snapshot{Instance: cfg.Instance, At: cfg.Now().UTC(), Redis: s.redisStatus(), NearCache: cfg.NearCache,
		LatencyBounds: []float64{}, Routes: []Route{}, Caches: []Cache{}}
	return s
}

// Run samples every interval until ctx is done.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if err := s.Sample(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("ops: sample", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sample gathers the registry, makes the snapshot of the interval since
// the sample before (empty rates on the first) and publishes it.
func (s *Sampler) Sample(ctx context.Context) error {
	fams, err := s.cfg.Gatherer.Gather()
	if err != nil {
		return fmt.Errorf("gather: %w", err)
	}
	cur := readCounters(fams, s.cfg.Now())
	s.mu.Lock()
	snap := s.cfg.diff(s.prev, cur)
	s.prev = cur
	// The status the others read is the last publication's; this
	// instance's own copy gets this one's below.
	snap.Redis = s.redisStatus()
	s.mu.Unlock()

	var perr error
	if s.cfg.Board != nil {
		b, err := json.Marshal(snap)
		if err != nil {
			return err
		}
		perr = s.cfg.Board.Publish(ctx, s.cfg.Instance, b, s.cfg.TTL)
	}
	s.mu.Lock()
	s.published = perr == nil
	snap.Redis = s.redisStatus()
	s.latest = snap
	s.mu.Unlock()
	if perr != nil {
		return fmt.Errorf("publish: %w", perr)
	}
	return nil
}

// redisStatus is what the last publication says of Redis: without a board
// "disabled", else "ok" if it reached Redis, "degraded" if not. Call with
// s.mu held (or before s is shared).
func (s *Sampler) redisStatus() string {
	switch {
	case s.cfg.Board == nil:
		return "disabled"
	case s.published:
		return "ok"
	}
	return "degraded"
}

// Latest returns this instance's latest snapshot.
func (s *Sampler) Latest() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest
}

// View is what the operations page shows: the cluster's total and each
// instance, this one included.
type View struct {
	// Instance names the instance that answered.
	Instance string `json:"instance"`
	// Source is "redis" when the instances come from the board, "local"
	// without one, and "local_only" when the board could not be read.
	Source    string     `json:"source"`
	Cluster   Snapshot   `json:"cluster"`
	Instances []Snapshot `json:"instances"`
}

// View returns the cluster's snapshots: everyone's from the board, or this
// instance's alone without one (or when the board cannot be read, which
// Source says).
func (s *Sampler) View(ctx context.Context) View {
	own := s.Latest()
	v := View{Instance: s.cfg.Instance, Source: "local"}
	snaps := []Snapshot{own}
	if s.cfg.Board != nil {
		if got, err := s.cfg.Board.Snapshots(ctx); err != nil {
			v.Source = "local_only"
			s.log.Warn("ops: read the board", "err", err)
		} else {
			v.Source = "redis"
			snaps = snaps[:0]
			for inst, b := range got {
				if inst == s.cfg.Instance {
					continue // this one's freshest copy is in memory
				}
				var sn Snapshot
				if err := json.Unmarshal(b, &sn); err != nil {
					s.log.Warn("ops: a malformed snapshot on the board", "instance", inst, "err", err)
					continue
				}
				sn.Instance = inst
				snaps = append(snaps, sn)
			}
			snaps = append(snaps, own)
		}
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].Instance < snaps[j].Instance })
	v.Instances = snaps
	v.Cluster = Total(snaps)
	return v
}

// counters are the cumulative values of one gathering.
type counters struct {
	at time.Time
	// bounds are the latency bucket bounds in seconds, from the first
	// route's histogram.
	bounds []float64
	// routes are cumulative bucket counts (bounds, then the total) by
	// route and method.
	routes map[[2]string][]float64
	cache  map[[2]string]float64 // by cache and result
	db     map[string]float64    // by kind
	limits map[string]float64    // by result, over every policy
	// nearEntries and nearBytes are the near-cache gauges.
	nearEntries, nearBytes float64
}

// readCounters takes the series of the families it knows.
func readCounters(fams []*dto.MetricFamily, at time.Time) *counters {
	c := &counters{at: at, routes: map[[2]string][]float64{}, cache: map[[2]string]float64{}, db: map[string]float64{}, limits: map[string]float64{}}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			l := labels(m)
			switch f.GetName() {
			case seriesDuration:
				h := m.GetHistogram()
				if h == nil {
					continue
				}
				bs := h.GetBucket()
				if c.bounds == nil {
					for _, b := range bs {
						c.bounds = append(c.bounds, b.GetUpperBound())
					}
				}
				if len(bs) != len(c.bounds) {
					continue
				}
				cum := make([]float64, len(bs)+1)
				for i, b := range bs {
					cum[i] = float64(b.GetCumulativeCount())
				}
				cum[len(bs)] = float64(h.GetSampleCount())
				c.routes[[2]string{l["route"], l["method"]}] = cum
			case seriesCache:
				c.cache[[2]string{l["cache"], l["result"]}] += m.GetCounter().GetValue()
			case seriesDB:
				c.db[l["kind"]] += m.GetCounter().GetValue()
			case seriesRateLimit:
				c.limits[l["result"]] += m.GetCounter().GetValue()
			case seriesNearItems:
				c.nearEntries = m.GetGauge().GetValue()
			case seriesNearBytes:
				c.nearBytes = m.GetGauge().GetValue()
			}
		}
	}
	return c
}

func labels(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// diff makes the snapshot of the interval from prev to cur; with no prev
// (the first sample) every rate is zero.
func (cfg *Config) diff(prev, cur *counters) Snapshot {
	snap := Snapshot{Instance: cfg.Instance, At: cur.at.UTC(), NearCache: cfg.NearCache, LatencyBounds: []float64{}, Routes: []Route{}, Caches: []Cache{}}
	for _, b := range cur.bounds {
		snap.LatencyBounds = append(snap.LatencyBounds, b*1000)
	}
	if snap.NearCache.Enabled {
		// Gauges: what the near-cache holds now, first sample included.
		snap.NearCache.Entries = int64(finite(cur.nearEntries))
		snap.NearCache.Bytes = int64(finite(cur.nearBytes))
	}
	if prev == nil {
		return snap
	}
	secs := cur.at.Sub(prev.at).Seconds()
	if secs <= 0 {
		return snap
	}
	snap.Seconds = secs
	rate := func(now, before float64) float64 { return finite(max(now-before, 0) / secs) }

	for k, cum := range cur.routes {
		before := prev.routes[k]
		if len(before) != len(cum) {
			before = make([]float64, len(cum))
		}
		// Per-bucket counts of the interval from the cumulative deltas.
		counts := make([]float64, len(cum))
		var below, n float64
		for i := range cum {
			d := max(cum[i]-before[i], 0)
			counts[i] = max(d-below, 0)
			below = max(below, d)
		}
		n = max(cum[len(cum)-1]-before[len(cum)-1], 0)
		if n == 0 {
			continue
		}
		snap.Routes = append(snap.Routes, Route{
			Route: k[0], Method: k[1], PerSecond: finite(n / secs),
			P50: Quantile(0.5, snap.LatencyBounds, counts), P99: Quantile(0.99, snap.LatencyBounds, counts),
			Counts: counts,
		})
	}
	sortRoutes(snap.Routes)

	names := map[string]bool{}
	for k := range cur.cache {
		names[k[0]] = true
	}
	for name := range names {
		get := func(result string) float64 {
			k := [2]string{name, result}
			return rate(cur.cache[k], prev.cache[k])
		}
		c := Cache{Cache: name, Hits: get("hit"), Misses: get("miss"), Errors: get("error")}
		c.HitRatio = ratio(c.Hits, c.Hits+c.Misses+c.Errors)
		snap.Caches = append(snap.Caches, c)
		snap.DB.ReadsAvoided += c.Hits
	}
	sort.Slice(snap.Caches, func(i, j int) bool { return snap.Caches[i].Cache < snap.Caches[j].Cache })

	snap.DB.Reads = rate(cur.db["read"], prev.db["read"])
	snap.DB.Writes = rate(cur.db["write"], prev.db["write"])
	snap.RateLimit = RateLimit{
		Allowed:  rate(cur.limits["allowed"], prev.limits["allowed"]),
		Limited:  rate(cur.limits["limited"], prev.limits["limited"]),
		Fallback: rate(cur.limits["fallback_allowed"]+cur.limits["fallback_limited"], prev.limits["fallback_allowed"]+prev.limits["fallback_limited"]),
	}
	return snap
}
