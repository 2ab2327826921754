package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/auth"
	"github.com/recallhq/recall/cache"
	recallhttp "github.com/recallhq/recall/http"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/sqlite"
	"github.com/recallhq/recall/tutor"
)

// The end-to-end tests wire a real server from the real packages (SQLite
// file, Redis, caches, limiter, tutor, HTTP), as cmd/recall does, since
// the bench package cannot import the command.

// testServer is a server started by testStart.
type testServer struct {
	url     string
	srv     *http.Server
	closers []func()
	done    chan error
}

func (s *testServer) URL() string { return s.url }

func (s *testServer) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	err = errors.Join(err, <-s.done)
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	return err
}

// openTestStore opens a SQLite --db value without latency.
func openTestStore(ctx context.Context, db string) (recall.Store, error) {
	return sqlite.Open(ctx, strings.TrimPrefix(db, "sqlite:"), sqlite.Options{})
}

// startTestServer starts a server for in the way cmd/recall's Main does.
func startTestServer(ctx context.Context, in Instance) (_ Server, err error) {
	s := &testServer{done: make(chan error, 1)}
	defer func() {
		if err != nil {
			for i := len(s.closers) - 1; i >= 0; i-- {
				s.closers[i]()
			}
		}
	}()
	reg, m := metrics.NewRegistry()
	db, err := sqlite.Open(ctx, strings.TrimPrefix(in.DB, "sqlite:"), sqlite.Options{Metrics: m})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { _ = db.Close() })
	var store recall.Store = db
	if in.WrapStore != nil {
		store = in.WrapStore(store)
	}
	var (
		backend   cache.Backend
		sessions  recall.SessionCache
		redisStat func(context.Context) string
		limiterDB ratelimit.Backend
	)
	if in.Mode.Redis == "" {
		mem := inmem.NewCache(inmem.CacheOptions{})
		s.closers = append(s.closers, func() { _ = mem.Close() })
		backend = mem
		sessions = inmem.NewSessionCache(inmem.SessionCacheOptions{Metrics: m})
	} else {
		rc, err := redis.Connect(ctx, in.Mode.Redis, redis.Options{Prefix: in.Mode.RedisPrefix, DisableNearCache: !in.Mode.NearCache, Metrics: m})
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, rc.Close)
		backend, sessions, redisStat, limiterDB = redis.NewBackend(rc), redis.NewSessionCache(rc), rc.Status, redis.NewRateLimiter(rc)
	}
	copts := cache.Options{Metrics: m}
	var (
		topics    recall.TopicStore    = cache.NewTopicStore(store, backend, copts)
		questions recall.QuestionStore = cache.NewQuestionStore(store, backend, copts)
		tokens    recall.TokenStore    = cache.NewTokenStore(store, backend, copts)
		sessStore recall.SessionStore  = cache.NewSessionStore(store, backend, copts)
		memories  recall.MemoryStore   = cache.NewMemoryStore(store, backend, copts)
		users     recall.UserStore     = cache.NewUserStore(store, backend, copts)
	)
	if in.Mode.NoCache {
		topics, questions, tokens, sessStore, memories, users = store, store, store, store, store, store
		sessions = inmem.NopSessionCache{}
	}
	policies, err := ratelimit.LoadPolicies("", in.RateLimits)
	if err != nil {
		return nil, err
	}
	limiter, err := ratelimit.New(ratelimit.Config{Policies: policies, Backend: limiterDB, Metrics: m})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, limiter.Close)
	engine := tutor.New(tutor.Config{Sessions: sessStore, Topics: topics, Questions: questions, Cache: sessions, Memories: memories, Users: users})
	authSvc := auth.New(auth.Config{Users: users, Tokens: tokens, HashParams: in.HashParams})
	api := recallhttp.NewServer(recallhttp.Config{
		Store: store, Auth: authSvc, Topics: topics, Questions: questions, Memories: memories, Users: users, Tutor: engine, Limiter: limiter,
		RedisStatus: redisStat, Metrics: m, Gatherer: reg,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = api.HTTPServer(ln.Addr().String())
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
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
		Concurrency: 8, Users: 20, Topics: 2, Questions: 5, Mix: mix, Isolated: 10, Seed: 7,
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
	var started []Instance
	cfg.Start = func(ctx context.Context, in Instance) (Server, error) {
		started = append(started, in)
		return startTestServer(ctx, in)
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Mode != ModeNone {
		t.Fatalf("runs %+v", rep.Runs)
	}
	r := rep.Runs[0]
	checkRun(t, r)
	in := started[0]
	if !in.Mode.NoCache || in.Mode.Redis != "" || in.WrapStore == nil {
		t.Errorf("mode none started %+v, want no cache and the 200µs latency wrapper", in)
	}
	// The database alone: every read goes to it, none to Redis.
	for _, op := range []string{OpDashboard, OpTopics, OpTopic, OpTurn, OpLogin} {
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
	var prefixes []string
	cfg.Start = func(ctx context.Context, in Instance) (Server, error) {
		prefixes = append(prefixes, in.Mode.RedisPrefix)
		return startTestServer(ctx, in)
	}
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
