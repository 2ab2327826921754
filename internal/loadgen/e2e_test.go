package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/internal/server"
)

// The end-to-end tests start real servers in process, wired by
// internal/server exactly as `recall serve` and `recall bench` wire them
// (SQLite file, Redis, caches, limiter, tutor, HTTP).

// testServer is a server started by startTestServer, serving in the
// background.
type testServer struct {
	*server.Server
	done chan error
}

// Close shuts the server down and returns what Serve returned.
func (s testServer) Close(ctx context.Context) error {
	err := s.Server.Close(ctx)
	return errors.Join(err, <-s.done)
}

// openTestStore opens a --db value without latency.
func openTestStore(ctx context.Context, db string) (recall.Store, error) {
	store, _, err := server.OpenStore(ctx, db, nil, nil)
	return store, err
}

// startTestServer starts a server for in as `recall bench` does, with the
// packages' default configuration.
func startTestServer(ctx context.Context, in Instance) (Server, error) {
	srv, err := server.New(ctx, server.Config{
		DB:          in.DB,
		Redis:       in.Mode.Redis,
		RedisPrefix: in.Mode.RedisPrefix,
		NearCache:   in.Mode.NearCache,
		Refill:      in.Mode.Refill,
		RateLimits:  in.RateLimits,
		Instances:   in.Count,
		HashParams:  in.HashParams,
		WrapStore:   in.WrapStore,
		NoCache:     in.Mode.NoCache,
	})
	if err != nil {
		return nil, err
	}
	s := testServer{Server: srv, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve() }()
	return s, nil
}

// startLog records the instances a run starts, in order, and starts
// each with startTestServer.
type startLog struct {
	mu   sync.Mutex
	list []Instance
	// labels are the CPU profile labels each start ran under, as
	// "role/mode".
	labels []string
	// wrap, when set, wraps each server started.
	wrap func(Server) Server
}

// recordStarts makes cfg start its servers with startTestServer and
// record them in the returned log.
func recordStarts(cfg *Config) *startLog {
	l := &startLog{}
	cfg.Start = func(ctx context.Context, in Instance) (Server, error) {
		l.mu.Lock()
		l.list = append(l.list, in)
		role, _ := pprof.Label(ctx, "bench_role")
		mode, _ := pprof.Label(ctx, "bench_mode")
		l.labels = append(l.labels, role+"/"+mode)
		wrap := l.wrap
		l.mu.Unlock()
		s, err := startTestServer(ctx, in)
		if err != nil || wrap == nil {
			return s, err
		}
		return wrap(s), nil
	}
	return l
}

// started is what the log holds so far.
func (l *startLog) started() []Instance {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.list)
}

// syncWriter is a goroutine-safe buffer for the progress line.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// smallConfig is a short benchmark of a small data set.
func smallConfig(modes ...string) Config {
	mix, _ := ParseMix(DefaultMix)
	return Config{
		Modes: modes, Duration: time.Second, Warmup: 200 * time.Millisecond,
		Concurrency: 10, Users: 20, Topics: 2, Questions: 5, Mix: mix, Isolated: 10, Seed: 7,
		DBLatency: 200 * time.Microsecond, Redis: testRedis,
		OpenStore: openTestStore,
	}
}

// checkRun asserts what every healthy run shows: every operation ran,
// without an error in any phase.
func checkRun(t *testing.T, r RunReport) {
	t.Helper()
	if r.Total.Errors+r.Total.WarmupErrors+r.Total.IsolatedErrors != 0 {
		t.Errorf("mode %s: errors %+v: %v", r.Mode, r.Total, r.ErrorSamples)
	}
	for _, op := range Ops() {
		o, ok := r.Ops[op]
		if !ok {
			t.Errorf("mode %s: no figures for %s", r.Mode, op)
			continue
		}
		if o.Count == 0 || o.RPS <= 0 || o.P50 <= 0 || o.P99 < o.P50 || o.Max < o.P99 {
			t.Errorf("mode %s, %s: implausible figures %+v", r.Mode, op, o)
		}
	}
	if r.RSSMB <= 0 {
		t.Errorf("mode %s: RSS %v", r.Mode, r.RSSMB)
	}
}

func TestRunModeNone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark for seconds: skipped under -short")
	}
	cfg := smallConfig(ModeNone)
	var progress syncWriter
	cfg.Progress = &progress
	log := recordStarts(&cfg)
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Mode != ModeNone {
		t.Fatalf("runs %+v", rep.Runs)
	}
	r := rep.Runs[0]
	checkRun(t, r)
	in := log.started()[0]
	// The server starts under its profile labels, which its goroutines
	// inherit (--cpuprofile splits the run's CPU by them).
	if log.labels[0] != "server/none" {
		t.Errorf("the server started under the profile labels %q, want server/none", log.labels[0])
	}
	if !in.Mode.NoCache || in.Mode.Redis != "" || in.WrapStore == nil {
		t.Errorf("mode none started %+v, want no cache and the 200µs latency wrapper", in)
	}
	// The database alone: every read goes to it, none to Redis.
	for _, op := range []string{OpDashboard, OpTopics, OpTopic, OpTurn, OpLogin, OpConversationStart, OpMessage} {
		if o := r.Ops[op]; o.DBReadsPerOp < 1 || o.RedisCallsPerOp != 0 {
			t.Errorf("none, %s: %.2f db reads, %.2f Redis calls per op; want ≥ 1 and 0", op, o.DBReadsPerOp, o.RedisCallsPerOp)
		}
	}
	if !strings.Contains(progress.String(), "none   measure") || !strings.Contains(progress.String(), "errors 0") {
		t.Errorf("no progress line:\n%s", progress.String())
	}
	// The whole report encodes.
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Runs[0].Ops[OpTurn].Count != r.Ops[OpTurn].Count {
		t.Fatalf("report does not round-trip: %v", err)
	}
	// The temporary directory of the databases is gone.
	dir := filepath.Dir(strings.TrimPrefix(in.DB, "sqlite:"))
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the databases' directory %s is still there: %v", dir, err)
	}
}

func TestRunModesRedisAndNear(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Redis: skipped under -short")
	}
	cfg := smallConfig(ModeRedis, ModeNear)
	// An open-loop load at half of near's peak: near runs first.
	cfg.Rates, cfg.RateDuration = []Rate{{50, true}}, 500*time.Millisecond
	log := recordStarts(&cfg)
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 || rep.Runs[0].Mode != ModeRedis || rep.Runs[1].Mode != ModeNear {
		t.Fatalf("runs %+v", rep.Runs)
	}
	for _, r := range rep.Runs {
		checkRun(t, r)
		// Reads are served by the caches: Redis is called, the database
		// is not (the isolated phase primes each user first).
		if o := r.Ops[OpTopics]; o.DBReadsPerOp != 0 {
			t.Errorf("%s, topics: %.2f db reads per op, want 0", r.Mode, o.DBReadsPerOp)
		}
		// A message on a cached conversation reads its state and the
		// topic's bank from the caches: no database row.
		if o := r.Ops[OpMessage]; o.DBReadsPerOp != 0 || o.RedisCallsPerOp < 1 {
			t.Errorf("%s, message: %.2f db reads, %.2f Redis calls per op; want 0 and ≥ 1", r.Mode, o.DBReadsPerOp, o.RedisCallsPerOp)
		}
	}
	near := rep.Runs[1]
	for _, r := range rep.Runs {
		if len(r.OpenLoop) != 1 {
			t.Fatalf("%s: open loop %+v, want one load", r.Mode, r.OpenLoop)
		}
		s := r.OpenLoop[0]
		if s.Percent != 50 || s.Total.Count == 0 || s.Total.Errors != 0 || s.Total.P999 < s.Total.P50 {
			t.Errorf("%s: open loop at 50%%: %+v", r.Mode, s)
		}
		// Every mode runs at the same load: half of near's closed-loop
		// throughput of each operation.
		if d := s.Ops[OpDashboard]; d.TargetRPS != round3(near.Ops[OpDashboard].RPS/2) {
			t.Errorf("%s: dashboard at %v req/s, want half of near's %v", r.Mode, d.TargetRPS, near.Ops[OpDashboard].RPS)
		}
	}
	if rep.Runs[0].OpenLoop[0].TargetRPS != near.OpenLoop[0].TargetRPS {
		t.Errorf("the modes ran at different loads: %v and %v", rep.Runs[0].OpenLoop[0].TargetRPS, near.OpenLoop[0].TargetRPS)
	}
	if o := rep.Runs[0].Ops[OpDashboard]; o.RedisCallsPerOp < 1 {
		t.Errorf("redis, dashboard: %.2f Redis calls per op, want ≥ 1 without the near-cache", o.RedisCallsPerOp)
	}
	// Each mode had its own prefix, and left no key behind.
	var prefixes []string
	for _, in := range log.started() {
		prefixes = append(prefixes, in.Mode.RedisPrefix)
	}
	if len(prefixes) != 2 || prefixes[0] == prefixes[1] || !strings.HasPrefix(prefixes[0], "recall-bench:") {
		t.Fatalf("prefixes %q", prefixes)
	}
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{"127.0.0.1:6379"}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	for _, p := range prefixes {
		if n := countKeys(t, rc, p); n != 0 {
			t.Errorf("%d keys of %s left in Redis", n, p)
		}
	}
}

func TestRunTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark for seconds: skipped under -short")
	}
	// A server started by hand, with high rate limits, driven as a target.
	ctx := context.Background()
	tmpl, err := NewTemplate(ctx, "", "target", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tmpl.Close(ctx)
	srv, err := startTestServer(ctx, Instance{Mode: Mode{Name: ModeNone}, DB: tmpl.URL, HashParams: HashParams(), RateLimits: RateLimits()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	cfg := smallConfig()
	cfg.Target = srv.URL()
	cfg.Users, cfg.Duration, cfg.Warmup = 10, time.Second, 0
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Mode != ModeTarget || rep.Config.Modes[0] != ModeTarget {
		t.Fatalf("runs %+v", rep.Runs)
	}
	checkRun(t, rep.Runs[0])
	if rep.Config.SeedSeconds <= 0 {
		t.Errorf("seed_seconds %v", rep.Config.SeedSeconds)
	}

	cfg.Target = "http://192.0.2.1:80"
	if _, err := Run(ctx, cfg); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Run against a non-loopback target: %v, want a refusal", err)
	}
}
