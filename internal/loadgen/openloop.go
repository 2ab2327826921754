package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is one load of the open-loop phase: an absolute arrival rate in
// requests per second, or a percentage of near's peak.
type Rate struct {
	// Value is requests per second, or a percentage with Percent.
	Value float64
	// Percent makes Value a percentage of the throughput of each operation
	// in near's closed-loop mixed phase of the same run (of the target's
	// own, with a target).
	Percent bool
}

// String formats r the way ParseRates reads it.
func (r Rate) String() string {
	s := strconv.FormatFloat(r.Value, 'f', -1, 64)
	if r.Percent {
		return s + "%"
	}
	return s
}

// DefaultRateDuration is the default length of each open-loop step.
const DefaultRateDuration = 10 * time.Second

// maxRate bounds an absolute rate.
const maxRate = 1_000_000

// ParseRates reads --rate: a comma-separated list of loads, each either
// requests per second ("2000") or a percentage of near's peak ("50%"),
// all of one kind, each given once; order is kept.
func ParseRates(s string) ([]Rate, error) {
	var out []Rate
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("--rate %q: empty item (want e.g. 2000 or 25%%,50%%,75%%)", s)
		}
		num, pct := strings.CutSuffix(part, "%")
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		switch {
		case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
			return nil, fmt.Errorf("--rate item %q: want requests per second (2000) or a percentage of near's peak (50%%)", part)
		case pct && (v <= 0 || v > 1000):
			return nil, fmt.Errorf("--rate item %q: a percentage must be above 0 and at most 1000", part)
		case !pct && (v <= 0 || v > maxRate):
			return nil, fmt.Errorf("--rate item %q: requests per second must be above 0 and at most %d", part, maxRate)
		}
		r := Rate{Value: v, Percent: pct}
		if len(out) > 0 && out[0].Percent != pct {
			return nil, fmt.Errorf("--rate %q: give every load as requests per second or every one as a percentage, not both", s)
		}
		if slices.Contains(out, r) {
			return nil, fmt.Errorf("--rate: %s given twice", part)
		}
		out = append(out, r)
	}
	return out, nil
}

// relativeRates reports whether the open-loop loads are percentages.
func (c *Config) relativeRates() bool { return len(c.Rates) > 0 && c.Rates[0].Percent }

// OpenLoopStep is the outcome of one open-loop load in one run.
type OpenLoopStep struct {
	// Percent is the load as a percentage of near's peak (0 for an
	// absolute rate).
	Percent float64 `json:"percent_of_near_peak,omitempty"`
	// TargetRPS is the arrival rate asked for, all operations together.
	TargetRPS float64 `json:"target_rps"`
	// Seconds is the length of the step.
	Seconds float64 `json:"seconds"`
	// Total covers every operation together.
	Total OpenLoopOp `json:"total"`
	// Ops are the figures per operation.
	Ops map[string]OpenLoopOp `json:"ops"`
	// CPUCores and RPSPerCore are the server process's, as in Totals.
	CPUCores   float64 `json:"cpu_cores"`
	RPSPerCore float64 `json:"rps_per_core"`
	// SendLagP50 and SendLagP99 are how late the virtual users woke for
	// their requests, after the intended starts (ms): the load generator's
	// own error, which every latency of the step includes, plus waits
	// behind a previous answer still coming.
	SendLagP50 float64 `json:"send_lag_p50_ms"`
	SendLagP99 float64 `json:"send_lag_p99_ms"`
}

// OpenLoopOp is the figures of one operation (or all) at one open-loop
// load. Latency runs from each request's intended start.
type OpenLoopOp struct {
	TargetRPS float64 `json:"target_rps"`
	// Count and RPS are the requests answered within the step and their
	// rate (below TargetRPS when the server could not keep up).
	Count  uint64  `json:"count"`
	RPS    float64 `json:"rps"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	P999   float64 `json:"p99_9_ms"`
	Max    float64 `json:"max_ms"`
	Errors uint64  `json:"errors"`
}

// openLoopFigures summarises h over secs.
func openLoopFigures(h *Histogram, target, secs float64, errs uint64) OpenLoopOp {
	return OpenLoopOp{
		TargetRPS: round3(target),
		Count:     h.Count(),
		RPS:       round3(float64(h.Count()) / secs),
		P50:       ms(h.Percentile(50)),
		P99:       ms(h.Percentile(99)),
		P999:      ms(h.Percentile(99.9)),
		Max:       ms(h.Max()),
		Errors:    errs,
	}
}

// openLoopPeriod is the shortest time between two requests of one virtual
// user of the open loop: an operation gets enough virtual users (each its
// own connection) that each sends at most one request in this time, so
// that a request that is slow to answer delays the next of its virtual user
// only when the server is that slow, not because the generator ran out of
// connections at a rate the server keeps up with.
const openLoopPeriod = 20 * time.Millisecond

// opRates returns the arrival rate of each operation (indexed like Ops) of
// load rate: a share of rate by the mix weights for an absolute rate, or
// the percentage of each operation's throughput in peak (near's
// closed-loop mixed phase) for a relative one.
func opRates(cfg *Config, rate Rate, peak map[string]OpResult) [numOps]float64 {
	var out [numOps]float64
	total := float64(cfg.Mix.total())
	for i, op := range Ops() {
		if cfg.Mix[i] == 0 {
			continue
		}
		if rate.Percent {
			out[i] = rate.Value / 100 * peak[op].RPS
		} else {
			out[i] = rate.Value * float64(cfg.Mix[i]) / total
		}
	}
	return out
}

// openWorker is a virtual user of the open loop: it sends its requests on
// a fixed schedule, one every period from its first intended start.
type openWorker struct {
	*worker
	first  time.Time
	period time.Duration
}

// newOpenWorkers makes the virtual users of an open-loop load: for each
// operation with a positive rate, as many as its closed-loop share but at
// least enough for openLoopPeriod, the operation's users shared out among
// them as in newWorkers; their schedules are staggered evenly over one
// period. The workers of the run alternate between the instances of f.
func newOpenWorkers(cfg *Config, f fleet, users []*userState, rates [numOps]float64, start time.Time) ([]*openWorker, error) {
	alloc, err := cfg.Mix.Allocate(cfg.Concurrency)
	if err != nil {
		return nil, err
	}
	var out []*openWorker
	for op, rate := range rates {
		if rate <= 0 {
			continue
		}
		n := max(alloc[op], int(math.Ceil(rate*openLoopPeriod.Seconds())))
		n = min(n, len(users))
		period := time.Duration(float64(n) / rate * float64(time.Second))
		for j := range n {
			w := &worker{c: f[len(out)%len(f)], op: op, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(2_000_000+op*100_000+j)))}
			for i := j; i < len(users); i += n {
				w.users = append(w.users, users[i])
			}
			out = append(out, &openWorker{worker: w, first: start.Add(period * time.Duration(j) / time.Duration(n)), period: period})
		}
	}
	return out, nil
}

// openLoopConns is the connections per instance the open loop's clients
// need at the loads of steps: one per virtual user of the heaviest.
func openLoopConns(cfg *Config, instances int, steps [][numOps]float64) int {
	most := 0
	for _, rates := range steps {
		n := cfg.Concurrency
		for _, r := range rates {
			n += int(math.Ceil(r * openLoopPeriod.Seconds()))
		}
		most = max(most, n)
	}
	return most/instances + 1
}

// openLoop runs one open-loop load for d: each virtual user sends its
// requests at their intended starts (or at once when it is behind), and a
// request's latency runs from its intended start to its answer, so that
// time spent waiting for an earlier, slow answer counts (no coordinated
// omission, as wrk2 measures). A turn's user without a session starts one
// first, recorded as a session_start from its own send; a message's user
// without a conversation likewise starts one, a conversation_start.
func (b *bencher) openLoop(ctx context.Context, label string, f fleet, users []*userState, rate Rate, rates [numOps]float64, d time.Duration) (*phaseStats, error) {
	cfg := b.cfg
	// The schedule starts a little after the virtual users are made, so
	// that every first request is at its intended start.
	start := time.Now().Add(10 * time.Millisecond)
	workers, err := newOpenWorkers(cfg, f, users, rates, start)
	if err != nil {
		return nil, err
	}
	st := &phaseStats{}
	end := start.Add(d)
	total := 0.0
	for _, r := range rates {
		total += r
	}
	pacers := make([]*pacer, len(workers))
	defer func() {
		for _, p := range pacers {
			if p != nil {
				_ = p.close()
			}
		}
	}()
	for i := range pacers {
		if pacers[i], err = newPacer(); err != nil {
			return nil, err
		}
	}
	stop := b.pr.every(func(elapsed time.Duration) string {
		n := st.requests.Load()
		return fmt.Sprintf("%-6s open %-6s %5.0fs/%.0fs  target %7.0f/s  requests %9d  errors %d",
			label, rate, elapsed.Seconds(), d.Seconds(), total, n, st.errTotal.Load())
	})
	// A pacer that fails (it never has) stops the load: a virtual user
	// gone quiet would lower the rate the step reports as asked.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var failMu sync.Mutex
	var failure error
	failed := func(err error) {
		failMu.Lock()
		defer failMu.Unlock()
		if failure == nil {
			failure = fmt.Errorf("open loop: %w", err)
			cancel()
		}
	}
	var wg sync.WaitGroup
	for i, w := range workers {
		p := pacers[i]
		wg.Go(func() {
			for k := 0; ; k++ {
				intended := w.first.Add(time.Duration(k) * w.period)
				if !intended.Before(end) || ctx.Err() != nil {
					return
				}
				if err := p.until(ctx, intended); err != nil {
					if ctx.Err() == nil {
						failed(err)
					}
					return
				}
				st.lag.Record(time.Since(intended))
				u := w.users[w.rng.IntN(len(w.users))]
				if s := setupOp(w.op, u); s >= 0 {
					_ = st.timed(ctx, s, time.Now(), func() error { return w.setUp(ctx, s, u) })
					if setupOp(w.op, u) >= 0 {
						continue
					}
				}
				_ = st.timed(ctx, w.op, intended, func() error { return w.do(ctx, w.op, u) })
			}
		})
	}
	wg.Wait()
	st.elapsed = d
	stop()
	if failure != nil {
		return st, failure
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	return st, nil
}

// openLoopSteps runs every load of cfg.Rates in turn against the servers
// at urls and reports each. peak is near's closed-loop figures per
// operation (for relative loads).
func (b *bencher) openLoopSteps(ctx context.Context, label string, urls []string, users []*userState, peak map[string]OpResult) ([]OpenLoopStep, error) {
	cfg := b.cfg
	all := make([][numOps]float64, len(cfg.Rates))
	for i, rate := range cfg.Rates {
		all[i] = opRates(cfg, rate, peak)
	}
	f, err := newFleet(urls, openLoopConns(cfg, len(urls), all))
	if err != nil {
		return nil, err
	}
	defer f.close()
	var steps []OpenLoopStep
	for i, rate := range cfg.Rates {
		rates := all[i]
		var target float64
		for _, r := range rates {
			target += r
		}
		if target <= 0 {
			return steps, fmt.Errorf("open loop at %s: near's peak is unknown (no near run before this one)", rate)
		}
		before, err := f.metrics(ctx)
		if err != nil {
			return steps, err
		}
		st, err := b.openLoop(ctx, label, f, users, rate, rates, cfg.RateDuration)
		if err != nil {
			return steps, err
		}
		after, err := f.metrics(ctx)
		if err != nil {
			return steps, err
		}
		secs := st.elapsed.Seconds()
		step := OpenLoopStep{TargetRPS: round3(target), Seconds: round3(secs), Ops: map[string]OpenLoopOp{}}
		if rate.Percent {
			step.Percent = rate.Value
		}
		var sum Histogram
		for j, op := range Ops() {
			h := &st.hist[j]
			if rates[j] == 0 && h.Count() == 0 {
				continue
			}
			step.Ops[op] = openLoopFigures(h, rates[j], secs, st.errors[j].Load())
			sum.Merge(h)
		}
		step.Total = openLoopFigures(&sum, target, secs, st.errTotal.Load())
		step.SendLagP50, step.SendLagP99 = ms(st.lag.Percentile(50)), ms(st.lag.Percentile(99))
		step.CPUCores = round3((after.cpuSeconds - before.cpuSeconds) / secs)
		if step.CPUCores > 0 {
			step.RPSPerCore = round3(step.Total.RPS / step.CPUCores)
		}
		steps = append(steps, step)
	}
	return steps, nil
}

// orderModes returns the modes in the order to run them: near first when
// the open-loop loads are percentages of its peak, so that its peak is
// known before any open-loop step, otherwise as given.
func orderModes(cfg *Config) ([]string, error) {
	if !cfg.relativeRates() {
		return cfg.Modes, nil
	}
	if !slices.Contains(cfg.Modes, ModeNear) {
		return nil, errors.New("--rate in percent is relative to near's peak: add near to --modes, or give requests per second")
	}
	out := []string{ModeNear}
	for _, m := range cfg.Modes {
		if m != ModeNear {
			out = append(out, m)
		}
	}
	return out, nil
}
