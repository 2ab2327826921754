package loadgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/recallhq/recall/postgres"
	"github.com/recallhq/recall/redis"
)

// Report is the outcome of a benchmark, as written by --out.
type Report struct {
	Config ReportConfig `json:"config"`
	Runs   []RunReport  `json:"runs"`
}

// ReportConfig records how the figures were made.
type ReportConfig struct {
	StartedAt time.Time `json:"started_at"`
	Modes     []string  `json:"modes"`
	// Instances are the instance counts each mode ran on.
	Instances   []int          `json:"instances,omitempty"`
	Duration    string         `json:"duration"`
	Warmup      string         `json:"warmup"`
	Concurrency int            `json:"concurrency"`
	Users       int            `json:"users"`
	Topics      int            `json:"topics"`
	Questions   int            `json:"questions"`
	Mix         map[string]int `json:"mix"`
	Seed        int64          `json:"seed"`
	DB          string         `json:"db"`
	DBLatency   string         `json:"db_latency"`
	// DBLatencyTimer is the mean time a timer of DBLatency took on this
	// machine just before the run: what each round trip really paid.
	DBLatencyTimer string `json:"db_latency_timer,omitempty"`
	Redis          string `json:"redis,omitempty"`
	// RedisCluster says that Redis was a Redis Cluster of three masters
	// the benchmark started for the run (and stopped after).
	RedisCluster bool     `json:"redis_cluster,omitempty"`
	Target       string   `json:"target,omitempty"`
	HashParams   string   `json:"hash_params"`
	RateLimits   []string `json:"rate_limits"`
	// Refill says whether the cached modes refill after writes.
	Refill   bool `json:"refill"`
	Isolated int  `json:"isolated_requests_per_op"`
	// Rates are the open-loop loads (--rate), RateDuration the length of
	// each.
	Rates        []string `json:"rates,omitempty"`
	RateDuration string   `json:"rate_duration,omitempty"`
	// SeedSeconds is the time the seeding took (once: every mode runs on a
	// copy of the seeded database).
	SeedSeconds float64 `json:"seed_seconds"`
	Method      string  `json:"method"`
	Machine     Machine `json:"machine"`
}

// Machine describes where the benchmark ran.
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model,omitempty"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Go         string `json:"go"`
	// LoadAvg is /proc/loadavg's 1-, 5- and 15-minute load at the start:
	// the machine is shared, so it says how busy it was.
	LoadAvg string `json:"load_avg,omitempty"`
}

// RunReport is the outcome of one mode on one instance count.
type RunReport struct {
	Mode string `json:"mode"`
	// Instances is the number of servers the run spread its virtual users
	// over (1 for a target).
	Instances int `json:"instances"`
	// Ops are the figures per operation.
	Ops map[string]OpResult `json:"ops"`
	// RSSMB is the server process's resident memory in MiB after seeding
	// and warm-up (in process: the whole bench process, after a GC).
	RSSMB float64 `json:"rss_mb"`
	// Total sums the mixed phase and counts the errors of every phase.
	Total Totals `json:"total"`
	// LoadAvg is the machine's load average when the mixed phase began.
	LoadAvg string `json:"load_avg,omitempty"`
	// Breakdown details db_reads_per_op and redis_calls_per_op by the
	// series' op label ("db:Topics", "redis:get"), per operation.
	Breakdown map[string]map[string]float64 `json:"breakdown,omitempty"`
	// Cache are the mixed phase's cache lookups, per cache (topics,
	// questions, memories, …).
	Cache map[string]CacheResult `json:"cache,omitempty"`
	// Refills are the mixed phase's refills after writes, by result
	// (filled, lost, present, skipped, error, dropped, coalesced).
	Refills map[string]uint64 `json:"refills,omitempty"`
	// OpenLoop are the open-loop loads, in the order of --rate; the run's
	// peak throughput is Total.RPS, its closed-loop mixed phase's.
	OpenLoop []OpenLoopStep `json:"open_loop,omitempty"`
	// ErrorSamples are the first error messages, if any.
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// OpResult is the figures of one operation in one mode. Count to Errors
// come from the mixed phase; the per-op counters from the isolated phase.
type OpResult struct {
	Count           uint64  `json:"count"`
	RPS             float64 `json:"rps"`
	P50             float64 `json:"p50_ms"`
	P95             float64 `json:"p95_ms"`
	P99             float64 `json:"p99_ms"`
	Max             float64 `json:"max_ms"`
	Errors          uint64  `json:"errors"`
	DBReadsPerOp    float64 `json:"db_reads_per_op"`
	RedisCallsPerOp float64 `json:"redis_calls_per_op"`
}

// Totals are a mode's overall figures.
type Totals struct {
	Requests       uint64  `json:"requests"`
	RPS            float64 `json:"rps"`
	Seconds        float64 `json:"seconds"`
	Errors         uint64  `json:"errors"`
	WarmupErrors   uint64  `json:"warmup_errors"`
	IsolatedErrors uint64  `json:"isolated_errors"`
	OpenLoopErrors uint64  `json:"open_loop_errors,omitempty"`
	// CPUCores is the server process's CPU time in the mixed phase over
	// its length (in process: server and load generator together).
	CPUCores float64 `json:"cpu_cores"`
	// RPSPerCore is RPS over CPUCores: throughput per core actually used,
	// a fairer comparison than RPS when other jobs share the machine.
	RPSPerCore float64 `json:"rps_per_core"`
	// CacheErrors counts the failed cache lookups of the mixed phase
	// (recall_cache_requests_total{result="error"}): each was served from
	// the database instead.
	CacheErrors uint64 `json:"cache_errors"`
	// DBReadsPerRequest is the mixed phase's database reads over its
	// requests, every operation together.
	DBReadsPerRequest float64 `json:"db_reads_per_request"`
}

// CacheResult is one cache's lookups in the mixed phase.
type CacheResult struct {
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	Errors uint64 `json:"errors"`
	// MissRate is Misses over all the lookups.
	MissRate float64 `json:"miss_rate"`
}

// cacheResults returns the lookups of each cache between two readings of
// the counters.
func cacheResults(before, after counters) map[string]CacheResult {
	out := map[string]CacheResult{}
	for k, v := range after.lookups {
		name, result, ok := strings.Cut(k, "/")
		n := uint64(v - before.lookups[k])
		if !ok || n == 0 {
			continue
		}
		r := out[name]
		switch result {
		case "hit":
			r.Hits += n
		case "miss":
			r.Misses += n
		default:
			r.Errors += n
		}
		out[name] = r
	}
	for name, r := range out {
		r.MissRate = round3(float64(r.Misses) / float64(r.Hits+r.Misses+r.Errors))
		out[name] = r
	}
	return out
}

// refillResults returns the refills after writes by result between two
// readings of the counters, or nil if there were none.
func refillResults(before, after counters) map[string]uint64 {
	var out map[string]uint64
	for k, v := range after.refills {
		if n := uint64(v - before.refills[k]); n > 0 {
			if out == nil {
				out = map[string]uint64{}
			}
			out[k] = n
		}
	}
	return out
}

// openLoopMethod states how the open-loop figures are made.
const openLoopMethod = "open_loop: after the isolated phase, each load of --rate runs for rate_duration on the same server: requests arrive at a constant rate whatever the answers' speed, " +
	"and each request's latency runs from its intended start to the end of its answer (as wrk2 measures), so a request that waits behind a slow one counts the wait (no coordinated omission). " +
	"A load in percent runs each operation at that share of its throughput in near's closed-loop mixed phase (near runs first); requests per second are shared out by the mix weights. " +
	"Each operation's rate is spread over enough virtual users (each its own connection, schedules staggered) that none sends more than one request every 20 ms; a turn's user without a session first starts one, recorded as session_start from its own send, and a message's user without a conversation starts one, recorded as conversation_start. " +
	"rps is what was answered within the load's time; below target_rps the server could not keep up and the latencies grow with the backlog. The peak of a mode is its closed-loop throughput (total.rps)."

// method states how the figures are made.
const method = "The virtual users are shared out among the operations by the mix weights (at least one each), like a population where each person does one thing: each runs its one operation in a loop, " +
	"for a random one of the seeded users it serves (the virtual users of an operation split the users between them; every operation reaches every user, so reads meet the writes' invalidations), and waits for the whole answer before the next. " +
	"So a slow operation (a write queueing on the database) does not slow the others, and the counts follow each operation's speed, not the weights. " +
	"A turn answers rightly 60%, wrongly 25%, asks /hint 15%; when its user has no active session, a session start (counted as session_start) comes first. " +
	"A message goes to its user's conversation with the rule-based tutor: the answer to the question the tutor asked (right 60%, wrong 40%), else \"quiz me\" or a question about one of the topic's cards (half each); when its user has no active conversation, a conversation start (counted as conversation_start) comes first. " +
	"Writes cycle through topic title PATCH, question PATCH, topic description PATCH and question POST. " +
	"count, rps and the latency percentiles (log-linear histogram, <0.8% bucket error) cover the measured mixed phase, after the warm-up; errors are its non-2xx answers and transport errors. " +
	"db_reads_per_op and redis_calls_per_op come from the server's own /metrics (recall_db_queries_total{kind=\"read\"}, recall_redis_calls_total), in an isolated phase after the mixed one: each operation alone, sequentially, " +
	"first one unmeasured request for each of 20 users, then the measured requests cycling over them, the counters read right before and after each request (after, once the server has no refill after a write pending: a write's refills count as the write's). " +
	"recall_redis_calls_total counts every round trip the server makes to Redis (caches, sessions, the rate limiter); a near-cache hit is none. The breakdown names the series by their op label. " +
	"rss_mb is process_resident_memory_bytes after seeding and warm-up; in process it is the whole bench process (server and load generator) after a forced GC. " +
	"A run on several instances starts that many servers in this process on the same database, Redis and key prefix, deals the virtual users out to them in turn, " +
	"sums the counters of every instance, and sends the isolated phase's requests to each instance in turn after priming every user on every instance; " +
	"cpu_cores and rss_mb are then still the one process's."

func newReportConfig(cfg *Config) ReportConfig {
	rc := ReportConfig{
		StartedAt:    cfg.Now().UTC().Truncate(time.Second),
		Modes:        cfg.Modes,
		Instances:    cfg.Instances,
		Duration:     cfg.Duration.String(),
		Warmup:       cfg.Warmup.String(),
		Concurrency:  cfg.Concurrency,
		Users:        cfg.Users,
		Topics:       cfg.Topics,
		Questions:    cfg.Questions,
		Mix:          map[string]int{},
		Seed:         cfg.Seed,
		DB:           postgres.RedactURL(cfg.DB),
		DBLatency:    cfg.DBLatency.String(),
		Redis:        redis.Redact(cfg.Redis),
		RedisCluster: cfg.RedisCluster,
		Target:       cfg.Target,
		HashParams:   cfg.HashParams,
		RateLimits:   cfg.RateLimits,
		Refill:       !cfg.NoRefill,
		Isolated:     cfg.Isolated,
		Method:       method,
		Machine:      machine(),
	}
	for _, r := range cfg.Rates {
		rc.Rates = append(rc.Rates, r.String())
	}
	if len(cfg.Rates) > 0 {
		rc.RateDuration = cfg.RateDuration.String()
		rc.Method += " " + openLoopMethod
	}
	if cfg.DBLatency > 0 {
		rc.DBLatencyTimer = timerLatency(cfg.DBLatency).Round(time.Microsecond).String()
	}
	if cfg.Target != "" {
		rc.DBLatencyTimer = ""
		rc.Modes = []string{ModeTarget}
		rc.DB = "the target's"
		rc.DBLatency = "the target's"
		rc.Redis = ""
		rc.HashParams = "the target's"
		rc.RateLimits = []string{"the target's"}
	}
	if rc.DB == "" {
		rc.DB = "SQLite: seeded once into a file in a temporary directory, a fresh copy of it per mode"
	}
	for i, op := range Ops() {
		if cfg.Mix[i] > 0 {
			rc.Mix[op] = cfg.Mix[i]
		}
	}
	return rc
}

// timerLatency returns the mean time 20 timers of d take to fire: Go's
// timers (and so the latency the SQLite store and the proxy add) overshoot
// short delays by up to about a millisecond, more on a busy machine.
func timerLatency(d time.Duration) time.Duration {
	const n = 20
	start := time.Now()
	for range n {
		t := time.NewTimer(d)
		<-t.C
	}
	return time.Since(start) / n
}

// machine describes this machine.
func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

func round3(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1000) / 1000
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes r as text tables, one per mode, and a comparison of the
// modes with the performance targets.
func (r *Report) WriteTable(w io.Writer) error {
	c := r.Config
	fmt.Fprintf(w, "recall bench: %d users × %d topics × %d questions, %d virtual users, %s per mode after %s warm-up, db latency %s\n",
		c.Users, c.Topics, c.Questions, c.Concurrency, c.Duration, c.Warmup, c.DBLatency)
	if c.DBLatencyTimer != "" {
		fmt.Fprintf(w, "a %s timer took %s on average: what each database round trip really pays\n", c.DBLatency, c.DBLatencyTimer)
	}
	if c.Target != "" {
		fmt.Fprintf(w, "seeded through the API in %.1fs\n", c.SeedSeconds)
	} else {
		fmt.Fprintf(w, "seeded in %.1fs (once; each mode runs on a fresh copy)\n", c.SeedSeconds)
		refill := "on"
		if !c.Refill {
			refill = "off"
		}
		fmt.Fprintf(w, "refill after writes (--refill): %s\n", refill)
	}
	fmt.Fprintf(w, "machine: %d CPUs (GOMAXPROCS %d) %s, %s, load average at start %s\n\n",
		c.Machine.CPUs, c.Machine.GOMAXPROCS, c.Machine.CPUModel, c.Machine.Go, c.Machine.LoadAvg)
	if c.RedisCluster {
		fmt.Fprintf(w, "Redis: a Redis Cluster of three masters started for the run (%s)\n\n", c.Redis)
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		t := run.Total
		fmt.Fprintf(w, "mode %s: %.0f req/s over %.1fs, %d errors (warm-up %d, isolated %d), %d cache errors, RSS %.1f MiB\n",
			r.label(run), t.RPS, t.Seconds, t.Errors, t.WarmupErrors, t.IsolatedErrors, t.CacheErrors, run.RSSMB)
		fmt.Fprintf(w, "  %.2f CPU cores used (%.0f req/s per core), load average %s\n", t.CPUCores, t.RPSPerCore, run.LoadAvg)
		writeMixedCache(w, run)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "op\tcount\trps\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors\tdb reads/op\tredis calls/op\t")
		for _, op := range Ops() {
			o, ok := run.Ops[op]
			if !ok {
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%.2f\t%.2f\t\n",
				op, o.Count, o.RPS, o.P50, o.P95, o.P99, o.Max, o.Errors, o.DBReadsPerOp, o.RedisCallsPerOp)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, op := range Ops() {
			if b := run.Breakdown[op]; len(b) > 0 {
				var parts []string
				for _, k := range slices.Sorted(maps.Keys(b)) {
					parts = append(parts, fmt.Sprintf("%s %.2f", k, b[k]))
				}
				fmt.Fprintf(w, "  %s per request: %s\n", op, strings.Join(parts, ", "))
			}
		}
		if err := writeOpenLoop(w, run); err != nil {
			return err
		}
		for _, s := range run.ErrorSamples {
			fmt.Fprintf(w, "  error: %s\n", s)
		}
		fmt.Fprintln(w)
	}
	if scale := r.Scale(); len(scale) > 0 {
		for _, line := range scale {
			fmt.Fprintln(w, line)
		}
		fmt.Fprintln(w)
	}
	for _, line := range r.Verdicts() {
		fmt.Fprintln(w, line)
	}
	return nil
}

// writeMixedCache writes the mixed phase's database reads per request,
// cache misses per cache and refills.
func writeMixedCache(w io.Writer, run *RunReport) {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(run.Cache)) {
		c := run.Cache[name]
		parts = append(parts, fmt.Sprintf("%s %.1f%% of %d", name, 100*c.MissRate, c.Hits+c.Misses+c.Errors))
	}
	line := fmt.Sprintf("  mixed phase: %.3f db reads/request", run.Total.DBReadsPerRequest)
	if len(parts) > 0 {
		line += "; cache misses " + strings.Join(parts, ", ")
	}
	if len(run.Refills) > 0 {
		var rs []string
		for _, k := range slices.Sorted(maps.Keys(run.Refills)) {
			rs = append(rs, fmt.Sprintf("%s %d", k, run.Refills[k]))
		}
		line += "; refills " + strings.Join(rs, ", ")
	}
	fmt.Fprintln(w, line)
}

// writeOpenLoop writes run's open-loop loads: per load, every operation
// together and each operation, with latency from the intended start.
func writeOpenLoop(w io.Writer, run *RunReport) error {
	if len(run.OpenLoop) == 0 {
		return nil
	}
	fmt.Fprintf(w, "  open loop (latency from each request's intended start; peak: the closed loop's %.0f req/s):\n", run.Total.RPS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "load\top\ttarget rps\trps\tp50 ms\tp99 ms\tp99.9 ms\tmax ms\terrors\t")
	for _, s := range run.OpenLoop {
		load := fmt.Sprintf("%.0f/s", s.TargetRPS)
		if s.Percent > 0 {
			load = fmt.Sprintf("%g%% of near", s.Percent)
		}
		line := func(op string, o OpenLoopOp) {
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t\n", load, op, o.TargetRPS, o.RPS, o.P50, o.P99, o.P999, o.Max, o.Errors)
		}
		line("all", s.Total)
		for _, op := range Ops() {
			if o, ok := s.Ops[op]; ok {
				line(op, o)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range run.OpenLoop {
		fmt.Fprintf(w, "  open loop at %.0f req/s: %.2f CPU cores used (%.0f req/s per core); requests sent %.3f ms (p50) and %.3f ms (p99) after their intended starts\n",
			s.TargetRPS, s.CPUCores, s.RPSPerCore, s.SendLagP50, s.SendLagP99)
	}
	return nil
}

// instances returns the instance count of run (a report written before
// the field existed has 0: one instance).
func instances(run *RunReport) int { return max(run.Instances, 1) }

// multi reports whether some run of r has more than one instance.
func (r *Report) multi() bool {
	for i := range r.Runs {
		if instances(&r.Runs[i]) > 1 {
			return true
		}
	}
	return false
}

// label names run in the table and the chart: its mode, and its instance
// count when some run of r has more than one.
func (r *Report) label(run *RunReport) string {
	if !r.multi() {
		return run.Mode
	}
	if n := instances(run); n > 1 {
		return fmt.Sprintf("%s × %d instances", run.Mode, n)
	}
	return run.Mode + " × 1 instance"
}

// counts returns the instance counts of r's runs in the order they first
// appear.
func (r *Report) counts() []int {
	var out []int
	for i := range r.Runs {
		if n := instances(&r.Runs[i]); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// run returns the run of mode on n instances, or nil.
func (r *Report) run(mode string, n int) *RunReport {
	for i := range r.Runs {
		if r.Runs[i].Mode == mode && instances(&r.Runs[i]) == n {
			return &r.Runs[i]
		}
	}
	return nil
}

// Scale compares, for each mode run on several instance counts, each run
// with the run of the fewest instances: per operation, the throughput
// ratio and both p99 latencies; then the totals. It returns nothing when
// every mode ran on one instance count.
func (r *Report) Scale() []string {
	var out []string
	var modes []string
	for _, run := range r.Runs {
		if !slices.Contains(modes, run.Mode) {
			modes = append(modes, run.Mode)
		}
	}
	for _, mode := range modes {
		var runs []*RunReport
		for i := range r.Runs {
			if r.Runs[i].Mode == mode {
				runs = append(runs, &r.Runs[i])
			}
		}
		if len(runs) < 2 {
			continue
		}
		base := slices.MinFunc(runs, func(a, b *RunReport) int { return instances(a) - instances(b) })
		for _, run := range runs {
			if run == base {
				continue
			}
			head := fmt.Sprintf("scale %s %d→%d instances:", mode, instances(base), instances(run))
			for _, op := range Ops() {
				b, ok1 := base.Ops[op]
				o, ok2 := run.Ops[op]
				if !ok1 || !ok2 {
					continue
				}
				out = append(out, fmt.Sprintf("%s %-13s rps %s (%.1f → %.1f req/s), p99 %.3f → %.3f ms",
					head, op, ratio(o.RPS, b.RPS), b.RPS, o.RPS, b.P99, o.P99))
			}
			out = append(out, fmt.Sprintf("%s %-13s rps %s (%.0f → %.0f req/s), %.2f → %.2f CPU cores",
				head, "total", ratio(run.Total.RPS, base.Total.RPS), base.Total.RPS, run.Total.RPS, base.Total.CPUCores, run.Total.CPUCores))
		}
	}
	return out
}

// ratio formats a/b as "1.23×", or "n/a" when b is 0.
func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// Verdicts compares the runs with the performance targets, one line each:
// dashboard throughput of near ≥ 5× none with p99 < 2 ms, of redis ≥ 3×
// none; no database reads for dashboards and turns in the Redis modes; no
// errors; RSS under 300 MiB.
func (r *Report) Verdicts() []string {
	var out []string
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	dash := func(run *RunReport) (OpResult, bool) {
		if run == nil {
			return OpResult{}, false
		}
		o, ok := run.Ops[OpDashboard]
		return o, ok
	}
	multi := r.multi()
	for _, n := range r.counts() {
		// The modes are compared on the same instance count; the count is
		// named when the report has several.
		on := ""
		if multi {
			on = fmt.Sprintf(" on %d instance(s)", n)
		}
		nd, okNone := dash(r.run(ModeNone, n))
		for _, m := range []struct {
			mode   string
			factor float64
		}{{ModeRedis, 3}, {ModeNear, 5}} {
			od, ok := dash(r.run(m.mode, n))
			if !ok || !okNone || nd.RPS == 0 {
				continue
			}
			ratio := od.RPS / nd.RPS
			out = append(out, fmt.Sprintf("target: dashboard %s ≥ %.0f× none%s: %.2f× (%.0f vs %.0f req/s): %s",
				m.mode, m.factor, on, ratio, od.RPS, nd.RPS, mark(ratio >= m.factor)))
		}
		if od, ok := dash(r.run(ModeNear, n)); ok {
			out = append(out, fmt.Sprintf("target: dashboard near p99 < 2 ms (closed loop)%s: %.3f ms: %s", on, od.P99, mark(od.P99 < 2)))
		}
		if near := r.run(ModeNear, n); near != nil {
			for _, s := range near.OpenLoop {
				if o, ok := s.Ops[OpDashboard]; ok && s.Percent == 50 {
					out = append(out, fmt.Sprintf("target: dashboard near p99 < 2 ms at 50%% of near's peak (open loop)%s: %.3f ms: %s", on, o.P99, mark(o.P99 < 2)))
				}
			}
			if none := r.run(ModeNone, n); none != nil && none.Total.RPSPerCore > 0 {
				f := near.Total.RPSPerCore / none.Total.RPSPerCore
				out = append(out, fmt.Sprintf("target: near ≥ 6× none requests per CPU-second%s: %.2f× (%.0f vs %.0f): %s",
					on, f, near.Total.RPSPerCore, none.Total.RPSPerCore, mark(f >= 6)))
			}
		}
		for _, mode := range []string{ModeRedis, ModeNear} {
			run := r.run(mode, n)
			if run == nil {
				continue
			}
			for _, op := range []string{OpDashboard, OpTurn} {
				if o, ok := run.Ops[op]; ok {
					out = append(out, fmt.Sprintf("target: %s db_reads_per_op = 0 in %s%s: %.2f: %s", op, mode, on, o.DBReadsPerOp, mark(o.DBReadsPerOp == 0)))
				}
			}
		}
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		n := run.Total.Errors + run.Total.WarmupErrors + run.Total.IsolatedErrors + run.Total.OpenLoopErrors
		out = append(out, fmt.Sprintf("target: no errors in %s: %d: %s", r.label(run), n, mark(n == 0)))
		out = append(out, fmt.Sprintf("target: RSS < 300 MiB in %s: %.1f MiB: %s", r.label(run), run.RSSMB, mark(run.RSSMB > 0 && run.RSSMB < 300)))
	}
	return out
}
