package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/auth"
	"github.com/recallhq/recall/internal/redisproc"
	"github.com/recallhq/recall/redis"
)

// Server is a running server the benchmark drives.
type Server interface {
	// URL is the server's base URL, e.g. http://127.0.0.1:40123.
	URL() string
	// Close stops the server and releases what it holds.
	Close(ctx context.Context) error
}

// Instance says what server a StartFunc must start.
type Instance struct {
	// Mode is the cache mode.
	Mode Mode
	// DB is the --db value the server must use: a fresh copy of the seeded
	// database (for PostgreSQL, reached through the latency proxy).
	DB string
	// WrapStore, when not nil, is what the server must wrap its store in
	// before anything uses it: it adds the latency of an in-process
	// database (WithLatency). Nil when a proxy adds the latency, or none.
	WrapStore func(recall.Store) recall.Store
	// HashParams are the password-hash parameters the server must use.
	HashParams auth.HashParams
	// RateLimits are the rate-limit policies the server must use, as
	// NAME=QUOTA/WINDOW.
	RateLimits []string
	// Count is the number of instances of the run, this one included, all
	// started from the same Instance (same database, Redis and prefix).
	Count int
}

// StartFunc starts a server on 127.0.0.1:0 configured by in.
type StartFunc func(ctx context.Context, in Instance) (Server, error)

// OpenStoreFunc opens (and migrates) the primary database named by a --db
// value, adding no latency. The benchmark seeds through it, then closes it.
type OpenStoreFunc func(ctx context.Context, db string) (recall.Store, error)

// Seeding parallelism: SQLite has one writer, so a few workers suffice.
const (
	storeSeedWorkers = 4
	httpSeedWorkers  = 8
)

// isolatedUsers is the number of users the isolated phase cycles through.
const isolatedUsers = 20

// shutdownTimeout bounds the clean-up after a mode.
const shutdownTimeout = 30 * time.Second

// maxErrorSamples is the number of error messages kept per run.
const maxErrorSamples = 5

// Run runs the benchmark of cfg: every mode in turn, each on every instance
// count in turn (or the target), and returns the report. After a failure it
// returns the report of the runs that completed with the error.
func Run(ctx context.Context, cfg Config) (_ *Report, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Concurrency > cfg.Users {
		return nil, fmt.Errorf("--concurrency %d exceeds --users %d: every virtual user needs a user of its own", cfg.Concurrency, cfg.Users)
	}
	if _, err := cfg.Mix.Allocate(cfg.Concurrency); err != nil {
		return nil, fmt.Errorf("--concurrency: %w", err)
	}
	if cfg.Isolated == 0 {
		cfg.Isolated = DefaultIsolated
	}
	if cfg.RateDuration == 0 {
		cfg.RateDuration = DefaultRateDuration
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HashParams == "" {
		cfg.HashParams = hashParamsNote
	}
	if cfg.RateLimits == nil {
		cfg.RateLimits = RateLimits()
	}
	if cfg.Target == "" && len(cfg.Instances) == 0 {
		cfg.Instances = []int{1}
	}
	b := &bencher{cfg: &cfg, pr: newProgress(cfg.Progress)}
	if cfg.RedisCluster {
		b.pr.line("starting a Redis Cluster of 3 masters")
		cl, err := redisproc.LaunchCluster(ctx, 3)
		if err != nil {
			return nil, fmt.Errorf("--redis-cluster: %w", err)
		}
		defer func() {
			if cerr := cl.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("stop the Redis Cluster: %w", cerr))
			}
		}()
		cfg.Redis = cl.URL
		cfg.Logger.Info("started a Redis Cluster", "url", cl.URL)
	}
	rep := &Report{Config: newReportConfig(&cfg)}
	if cfg.Target != "" {
		if err := checkLoopback(cfg.Target); err != nil {
			return nil, err
		}
		r, secs, err := b.runTarget(ctx)
		rep.Config.SeedSeconds = secs
		if err != nil {
			return rep, fmt.Errorf("target %s: %w", cfg.Target, err)
		}
		rep.Runs = append(rep.Runs, r)
		return rep, nil
	}
	return b.runModes(ctx, rep)
}

// runModes seeds the template database once, then runs each mode on a
// fresh copy of it.
func (b *bencher) runModes(ctx context.Context, rep *Report) (_ *Report, err error) {
	cfg := b.cfg
	id := runID()
	tmpl, err := NewTemplate(ctx, cfg.DB, id, cfg.DBLatency)
	if err != nil {
		return rep, err
	}
	defer func() {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		if cerr := tmpl.Close(cctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("remove the seeded database: %w", cerr))
		}
	}()
	start := time.Now()
	seeded, err := b.seedTemplate(ctx, tmpl.URL, id)
	if err != nil {
		return rep, fmt.Errorf("seed: %w", err)
	}
	rep.Config.SeedSeconds = round3(time.Since(start).Seconds())
	modes, err := orderModes(cfg)
	if err != nil {
		return rep, err
	}
	// The report lists the runs in the order of --modes, whatever order
	// they ran in.
	defer func() {
		slices.SortStableFunc(rep.Runs, func(a, b RunReport) int {
			return slices.Index(cfg.Modes, a.Mode) - slices.Index(cfg.Modes, b.Mode)
		})
	}()
	for _, name := range modes {
		for _, n := range cfg.Instances {
			r, err := b.runMode(ctx, name, n, tmpl, seeded, id)
			if err != nil {
				return rep, fmt.Errorf("mode %s on %d instance(s): %w", name, n, err)
			}
			rep.Runs = append(rep.Runs, r)
		}
	}
	return rep, nil
}

// cleanupContext is a context for cleaning up after ctx may have ended.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
}

// seedTemplate seeds the data set through the store of db, then closes it.
func (b *bencher) seedTemplate(ctx context.Context, db, id string) (_ []*userState, err error) {
	cfg := b.cfg
	store, err := cfg.OpenStore(ctx, db)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	var done atomic.Int64
	stop := b.pr.every(func(elapsed time.Duration) string {
		return fmt.Sprintf("seeding %5.0fs  users %d/%d", elapsed.Seconds(), done.Load(), cfg.Users)
	})
	defer stop()
	return seedUsers(ctx, cfg, newStoreSeeder(store), id, storeSeedWorkers, &done)
}

// bencher runs the modes of one Config.
type bencher struct {
	cfg *Config
	pr  *progress
	// peak is near's (or the target's) closed-loop figures per operation,
	// by instance count: what relative open-loop loads are percentages of.
	peak map[int]map[string]OpResult
}

// runLabel names the run of mode on n instances: the mode alone for one
// instance, "near×3" for three.
func runLabel(mode string, n int) string {
	if n <= 1 {
		return mode
	}
	return mode + "×" + strconv.Itoa(n)
}

// runMode starts count servers of mode name on one fresh copy of the seeded
// database (and one Redis key prefix), drives them and cleans up: the
// servers, the copy and the run's Redis keys.
func (b *bencher) runMode(ctx context.Context, name string, count int, tmpl *Template, seeded []*userState, id string) (r RunReport, err error) {
	cfg := b.cfg
	label := name
	if count > 1 {
		label = name + "-" + strconv.Itoa(count)
	}
	mode := Mode{Name: name}
	switch name {
	case ModeNone:
		mode.NoCache = true
	case ModeRedis, ModeNear:
		mode.Redis = cfg.Redis
		mode.RedisPrefix = "recall-bench:" + id + ":" + label + ":"
		mode.NearCache = name == ModeNear
		mode.Refill = !cfg.NoRefill
	default:
		return r, fmt.Errorf("unknown mode %q", name)
	}
	if mode.Redis != "" {
		defer func() {
			cctx, cancel := cleanupContext(ctx)
			defer cancel()
			n, derr := DeleteRedisKeys(cctx, mode.Redis, mode.RedisPrefix)
			if derr != nil {
				err = errors.Join(err, fmt.Errorf("delete the Redis keys %s*: %w", mode.RedisPrefix, derr))
				return
			}
			cfg.Logger.Info("deleted the run's Redis keys", "prefix", mode.RedisPrefix, "keys", n)
		}()
	}
	db, err := tmpl.Clone(ctx, label)
	if err != nil {
		return r, err
	}
	defer func() {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		if cerr := db.Close(cctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("remove the database: %w", cerr))
		}
	}()
	in := Instance{
		Mode:       mode,
		DB:         db.ServeURL,
		WrapStore:  db.WrapStore,
		HashParams: HashParams(),
		RateLimits: cfg.RateLimits,
		Count:      count,
	}
	var urls []string
	for i := range count {
		var srv Server
		// The server's goroutines inherit the labels (see profileLabels).
		pprof.Do(ctx, profileLabels("server", name), func(ctx context.Context) { srv, err = cfg.Start(ctx, in) })
		if err != nil {
			return r, fmt.Errorf("start instance %d: %w", i+1, err)
		}
		defer func() {
			cctx, cancel := cleanupContext(ctx)
			defer cancel()
			if cerr := srv.Close(cctx); cerr != nil {
				err = errors.Join(err, fmt.Errorf("stop instance %d: %w", i+1, cerr))
			}
		}()
		if err := checkRedis(ctx, srv.URL(), mode); err != nil {
			return r, err
		}
		urls = append(urls, srv.URL())
	}
	pprof.Do(ctx, profileLabels("loadgen", name), func(ctx context.Context) {
		r, err = b.drive(ctx, name, urls, cloneUsers(seeded), true, mode.Redis != "")
	})
	r.Instances = count
	return r, err
}

// profileLabels are the CPU profile labels (--cpuprofile) of the
// goroutines of one mode: the in-process server's (role "server"), started
// under them so that every goroutine it starts inherits them, and the load
// generator's ("loadgen"). `go tool pprof -tags` then splits the run's CPU
// by role and mode. What carries neither label is the seeding and the
// runtime's own work (the garbage collector's background workers);
// redis-server, another process, is not in the profile.
func profileLabels(role, mode string) pprof.LabelSet {
	return pprof.Labels("bench_role", role, "bench_mode", mode)
}

// checkRedis makes sure the server's Redis status matches the mode: "ok"
// for the Redis modes (within a few seconds of the start), so that a mode
// never silently measures the database instead of Redis.
func checkRedis(ctx context.Context, url string, mode Mode) error {
	if mode.Redis == "" {
		return nil
	}
	c, err := newClient(url, 1)
	if err != nil {
		return err
	}
	defer c.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := c.redisStatus(ctx)
		if err == nil && st == "ok" {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("/readyz says redis is %q", st)
			}
			return fmt.Errorf("mode %s needs Redis at %s: %w", mode.Name, redis.Redact(mode.Redis), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// runTarget seeds the target through its API and drives it.
func (b *bencher) runTarget(ctx context.Context) (_ RunReport, seedSeconds float64, _ error) {
	cfg := b.cfg
	c, err := newClient(cfg.Target, httpSeedWorkers*2)
	if err != nil {
		return RunReport{}, 0, err
	}
	defer c.close()
	if _, err := c.metrics(ctx); err != nil {
		return RunReport{}, 0, err
	}
	var done atomic.Int64
	stop := b.pr.every(func(elapsed time.Duration) string {
		return fmt.Sprintf("%-6s seeding   %5.0fs  users %d/%d", ModeTarget, elapsed.Seconds(), done.Load(), cfg.Users)
	})
	start := time.Now()
	users, err := seedUsers(ctx, cfg, httpSeeder{c: c}, runID(), httpSeedWorkers, &done)
	stop()
	if err != nil {
		return RunReport{}, 0, err
	}
	seedSeconds = round3(time.Since(start).Seconds())
	var r RunReport
	pprof.Do(ctx, profileLabels("loadgen", ModeTarget), func(ctx context.Context) {
		r, err = b.drive(ctx, ModeTarget, []string{cfg.Target}, users, false, false)
	})
	r.Instances = 1
	return r, seedSeconds, err
}

// drive runs the warm-up, reads the memory, runs the mixed phase and the
// isolated phase against the servers at urls, and builds the run's report.
func (b *bencher) drive(ctx context.Context, mode string, urls []string, users []*userState, inProcess, redis bool) (RunReport, error) {
	cfg := b.cfg
	f, err := newFleet(urls, cfg.Concurrency*2)
	if err != nil {
		return RunReport{}, err
	}
	defer f.close()
	workers, err := newWorkers(cfg, f, users)
	if err != nil {
		return RunReport{}, err
	}
	label := runLabel(mode, len(urls))

	r := RunReport{Mode: mode, Instances: len(urls), Ops: map[string]OpResult{}, Breakdown: map[string]map[string]float64{}}
	if cfg.Warmup > 0 {
		st := b.phase(ctx, label, "warm-up", cfg.Warmup, workers)
		r.Total.WarmupErrors = st.errTotal.Load()
		r.ErrorSamples = append(r.ErrorSamples, st.samples...)
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	if inProcess {
		// The server runs in this process: give back what the seeding and
		// earlier modes left behind, so the figure is this mode's.
		runtime.GC()
		debug.FreeOSMemory()
	}
	m, err := f.metrics(ctx)
	if err != nil {
		return r, err
	}
	r.RSSMB = round3(m.rssBytes / (1 << 20))

	r.LoadAvg = machine().LoadAvg
	st := b.phase(ctx, label, "measure", cfg.Duration, workers)
	if err := ctx.Err(); err != nil {
		return r, err
	}
	after, err := f.metrics(ctx)
	if err != nil {
		return r, err
	}
	secs := st.elapsed.Seconds()
	r.Total.Seconds = round3(secs)
	r.Total.Requests = st.requests.Load()
	r.Total.RPS = round3(float64(r.Total.Requests) / secs)
	r.Total.Errors = st.errTotal.Load()
	r.Total.CPUCores = round3((after.cpuSeconds - m.cpuSeconds) / secs)
	if r.Total.CPUCores > 0 {
		r.Total.RPSPerCore = round3(r.Total.RPS / r.Total.CPUCores)
	}
	r.Total.CacheErrors = uint64(after.cacheErrors - m.cacheErrors)
	if r.Total.Requests > 0 {
		r.Total.DBReadsPerRequest = round3((after.dbReads - m.dbReads) / float64(r.Total.Requests))
	}
	r.Cache = cacheResults(m, after)
	r.Refills = refillResults(m, after)
	if redis {
		// The isolated phase measures a healthy server: if the load tripped
		// the Redis circuit breaker, wait for it to close.
		for _, c := range f {
			if err := checkRedis(ctx, c.base, Mode{Name: mode, Redis: cfg.Redis}); err != nil {
				return r, err
			}
		}
	}
	r.ErrorSamples = append(r.ErrorSamples, st.samples...)

	for i, op := range Ops() {
		if cfg.Mix[i] == 0 && st.hist[i].Count() == 0 {
			continue
		}
		h := &st.hist[i]
		res := OpResult{
			Count:  h.Count(),
			RPS:    round3(float64(h.Count()) / secs),
			P50:    ms(h.Percentile(50)),
			P95:    ms(h.Percentile(95)),
			P99:    ms(h.Percentile(99)),
			Max:    ms(h.Max()),
			Errors: st.errors[i].Load(),
		}
		b.pr.line(fmt.Sprintf("%-6s isolated  %s ×%d", label, op, cfg.Isolated))
		iso, err := isolate(ctx, cfg, f, users, i)
		if err != nil {
			return r, fmt.Errorf("isolated phase of %s: %w", op, err)
		}
		res.DBReadsPerOp = round3(iso.dbReads / float64(cfg.Isolated))
		res.RedisCallsPerOp = round3(iso.redisCalls / float64(cfg.Isolated))
		for name, v := range iso.by {
			if per := round3(v / float64(cfg.Isolated)); per != 0 {
				if r.Breakdown[op] == nil {
					r.Breakdown[op] = map[string]float64{}
				}
				r.Breakdown[op][name] = per
			}
		}
		r.Total.IsolatedErrors += iso.errors
		r.ErrorSamples = append(r.ErrorSamples, iso.samples...)
		r.Ops[op] = res
	}
	if len(cfg.Rates) > 0 {
		if mode == ModeNear || mode == ModeTarget {
			if b.peak == nil {
				b.peak = map[int]map[string]OpResult{}
			}
			b.peak[len(urls)] = r.Ops
		}
		steps, err := b.openLoopSteps(ctx, label, urls, users, b.peak[len(urls)])
		r.OpenLoop = steps
		for _, s := range steps {
			r.Total.OpenLoopErrors += s.Total.Errors
		}
		if err != nil {
			return r, fmt.Errorf("open loop: %w", err)
		}
	}
	if len(r.ErrorSamples) > maxErrorSamples {
		r.ErrorSamples = r.ErrorSamples[:maxErrorSamples]
	}
	b.pr.finish()
	return r, nil
}

// newWorkers makes the virtual users: as many per operation as
// cfg.Mix.Allocate gives, each running that one operation. The virtual users
// of one operation share the users out among themselves, so each user's
// state (its session, its edits) belongs to one goroutine, while the users
// of every operation are the same people: a dashboard may read the topics a
// write just changed. The virtual users are dealt out to the instances of
// f in turn, each operation's starting where the previous one's ended, so
// every instance gets its share of every operation that has enough virtual
// users.
func newWorkers(cfg *Config, f fleet, users []*userState) ([]*worker, error) {
	alloc, err := cfg.Mix.Allocate(cfg.Concurrency)
	if err != nil {
		return nil, fmt.Errorf("--concurrency: %w", err)
	}
	var workers []*worker
	for op, n := range alloc {
		for j := range n {
			c := f[len(workers)%len(f)]
			w := &worker{c: c, op: op, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(op*100_000+j)))}
			for i := j; i < len(users); i += n {
				w.users = append(w.users, users[i])
			}
			workers = append(workers, w)
		}
	}
	return workers, nil
}

// phaseStats are the outcomes of one phase.
type phaseStats struct {
	hist     [numOps]Histogram
	errors   [numOps]atomic.Uint64
	requests atomic.Uint64
	errTotal atomic.Uint64
	elapsed  time.Duration
	// lag is, in the open loop, how late each request's virtual user woke
	// for it: the pacer's own error, plus any wait behind the user's
	// previous answer.
	lag Histogram

	mu      sync.Mutex
	samples []string
}

// timed runs f as one request of operation op and records it, unless the
// run was cancelled meanwhile. Its latency runs from t0: when it was sent
// (closed loop) or meant to be sent (open loop).
func (st *phaseStats) timed(ctx context.Context, op int, t0 time.Time, f func() error) error {
	err := f()
	d := time.Since(t0)
	if err != nil && ctx.Err() != nil {
		return err
	}
	st.hist[op].Record(d)
	st.requests.Add(1)
	if err != nil {
		st.errors[op].Add(1)
		st.errTotal.Add(1)
		st.sample(Ops()[op], err)
	}
	return err
}

func (st *phaseStats) sample(op string, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.samples) < maxErrorSamples {
		st.samples = append(st.samples, op+": "+err.Error())
	}
}

// phase runs every worker on the mix for d and returns what happened.
func (b *bencher) phase(ctx context.Context, mode, name string, d time.Duration, workers []*worker) *phaseStats {
	st := &phaseStats{}
	start := time.Now()
	deadline := start.Add(d)
	stop := b.pr.every(func(elapsed time.Duration) string {
		n := st.requests.Load()
		return fmt.Sprintf("%-6s %-8s %5.0fs/%.0fs  requests %9d  rps %8.0f  errors %d",
			mode, name, elapsed.Seconds(), d.Seconds(), n, float64(n)/elapsed.Seconds(), st.errTotal.Load())
	})
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				u := w.users[w.rng.IntN(len(w.users))]
				if s := setupOp(w.op, u); s >= 0 {
					_ = st.timed(ctx, s, time.Now(), func() error { return w.setUp(ctx, s, u) })
					if setupOp(w.op, u) >= 0 {
						continue
					}
				}
				_ = st.timed(ctx, w.op, time.Now(), func() error { return w.do(ctx, w.op, u) })
			}
		})
	}
	wg.Wait()
	st.elapsed = time.Since(start)
	stop()
	return st
}

// isoResult is the outcome of the isolated phase of one operation.
type isoResult struct {
	dbReads, redisCalls float64
	by                  map[string]float64 // per series, see counters.by
	errors              uint64
	samples             []string
}

// isolate runs operation op alone, sequentially: one unmeasured request
// for each of the first isolatedUsers users on every instance (so every
// instance's caches hold what a returning user needs), then cfg.Isolated
// measured requests cycling through the users and, independently, through
// the instances, with the counters of every instance read right before and
// after each (once no refill after a write is pending, so that a write's
// refills count as its own) and summed. A session a turn needs is started
// between measurements, outside them, as is a conversation a message needs.
func isolate(ctx context.Context, cfg *Config, f fleet, users []*userState, op int) (isoResult, error) {
	res := isoResult{by: map[string]float64{}}
	k := min(len(users), isolatedUsers)
	w := &worker{c: f[0], rng: rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(1_000_000+op))), users: users[:k]}
	fail := func(err error) {
		res.errors++
		if len(res.samples) < maxErrorSamples {
			res.samples = append(res.samples, Ops()[op]+" (isolated): "+err.Error())
		}
	}
	prepare := func(u *userState) bool {
		s := setupOp(op, u)
		if s < 0 {
			return true
		}
		if err := w.setUp(ctx, s, u); err != nil {
			fail(err)
			return false
		}
		return setupOp(op, u) < 0
	}
	for _, c := range f {
		w.c = c
		for _, u := range w.users {
			if prepare(u) {
				if err := w.do(ctx, op, u); err != nil {
					fail(err)
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	before, err := f.settled(ctx)
	if err != nil {
		return res, err
	}
	for i := range cfg.Isolated {
		u := w.users[i%k]
		w.c = f[i%len(f)]
		if setupOp(op, u) >= 0 {
			if !prepare(u) {
				continue
			}
			if before, err = f.settled(ctx); err != nil {
				return res, err
			}
		}
		if err := w.do(ctx, op, u); err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			fail(err)
		}
		after, err := f.settled(ctx)
		if err != nil {
			return res, err
		}
		res.dbReads += after.dbReads - before.dbReads
		res.redisCalls += after.redisCalls - before.redisCalls
		for name, v := range after.by {
			if d := v - before.by[name]; d != 0 {
				res.by[name] += d
			}
		}
		before = after
	}
	return res, nil
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

// progress writes the live progress line: rewritten in place on a
// terminal, one line a second otherwise.
type progress struct {
	w   io.Writer
	tty bool
	mu  sync.Mutex
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// line shows s.
func (p *progress) line(s string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K"+s)
	} else {
		fmt.Fprintln(p.w, s)
	}
}

// finish ends the current line on a terminal.
func (p *progress) finish() {
	if p.w == nil || !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\033[K")
}

// every shows f's line every second until the returned stop is called,
// which shows it once more.
func (p *progress) every(f func(elapsed time.Duration) string) (stop func()) {
	if p.w == nil {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.line(f(time.Since(start)))
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		p.line(f(time.Since(start)))
	}
}
