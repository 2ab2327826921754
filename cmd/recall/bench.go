package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/internal/loadgen"
	"github.com/recallhq/recall/internal/server"
)

// runBench runs the load generator: `recall bench`. It reads its flags
// only, never serve's RECALL_* variables: a shell set up for a deployment
// (RECALL_DB, RECALL_REDIS) must not point a benchmark, which creates,
// seeds and drops databases, at that deployment.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("recall bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		modes       = fs.String("modes", loadgen.DefaultModes, "cache modes to run, in order: none (the database alone), redis (Redis caches), near (Redis with the near-cache)")
		instances   = fs.String("instances", "1", "numbers of servers to run each mode on, in order, e.g. 1,3: each count is a run of its own, its servers in process on the same database, Redis and key prefix, the virtual users dealt out to them in turn")
		duration    = fs.Duration("duration", 30*time.Second, "length of the measured phase of each mode")
		warmup      = fs.Duration("warmup", 5*time.Second, "unrecorded warm-up before each measured phase")
		concurrency = fs.Int("concurrency", 32, "virtual users, shared out among the operations by the --mix weights (at least one each)")
		users       = fs.Int("users", 1000, "users to seed")
		topics      = fs.Int("topics", 10, "topics per user")
		questions   = fs.Int("questions", 30, "questions per topic")
		mix         = fs.String("mix", loadgen.DefaultMix, "weights of the operations, op=weight,… of dashboard, topics, topic, session_start, turn, write, login, session_start_due, conversation_start, message: the share of virtual users that run each")
		db          = fs.String("db", "", "primary database, seeded once and copied fresh for each mode: empty for SQLite files in a temporary directory (removed after), sqlite:PATH (files PATH-<run>-template and PATH-<run>-<mode>, kept), or postgres://… (databases <name>_bench_<run>_*, dropped after); a run on N > 1 instances uses <mode>-N for <mode>")
		redisURL    = fs.String("redis", "redis://127.0.0.1:6379", "Redis of the redis and near modes; each run uses its own key prefix and deletes its keys after")
		cluster     = fs.Bool("redis-cluster", false, "start a Redis Cluster of three masters (redis-server and redis-cli from PATH, free loopback ports) for the redis and near modes instead of --redis, and stop it after")
		dbLatency   = fs.Duration("db-latency", time.Millisecond, "latency added to every database round trip (SQLite and Firestore: a wait before each call of the store; PostgreSQL: an in-process toxiproxy holding each request that long, in whole milliseconds)")
		target      = fs.String("target", "", "base URL of a running recall server (loopback) to drive instead of starting one; its rate limits must be high")
		out         = fs.String("out", "", "write the report as JSON to this file")
		chart       = fs.String("chart", "", "write an SVG chart of throughput and p99 per operation and mode to this file")
		seed        = fs.Int64("seed", 1, "seed of the workload's random choices")
		isolated    = fs.Int("isolated", loadgen.DefaultIsolated, "measured requests per operation in the isolated phase that attributes database reads and Redis calls")
		rate        = fs.String("rate", "", "open-loop loads run after the closed loop in every mode: requests per second (2000; shared among the operations by the --mix weights) or percentages of near's peak (25%,50%,75%: each operation at that share of its throughput in near's closed loop; near then runs first); latency is measured from each request's intended start")
		rateDur     = fs.Duration("rate-duration", loadgen.DefaultRateDuration, "length of each open-loop load of --rate")
		quiet       = fs.Bool("quiet", false, "no progress line on stderr")
		logLevel    = fs.String("log-level", "error", "log level of the servers started in process: debug, info, warn or error")
		cpuProfile  = fs.String("cpuprofile", "", "write a CPU profile of the whole run (server and load generator) to this file; samples carry the labels bench_role (server or loadgen) and bench_mode, so that go tool pprof -tags splits them")
		refill      = fs.Bool("refill", true, "in the redis and near modes, refill the topic lists and question banks that writes drop (serve's --refill); false to compare without")
	)
	if err := parseFlags(fs, args, func(string) string { return "" }); err != nil {
		return err
	}
	m, err := loadgen.ParseMix(*mix)
	if err != nil {
		return err
	}
	cfg := loadgen.Config{
		Duration:    *duration,
		Warmup:      *warmup,
		Concurrency: *concurrency,
		Users:       *users,
		Topics:      *topics,
		Questions:   *questions,
		Mix:         m,
		Isolated:    *isolated,
		Seed:        *seed,
		DB:          *db,
		DBLatency:   *dbLatency,
		Redis:       *redisURL,
		Target:      *target,
		NoRefill:    !*refill,
	}
	if *rate != "" {
		if cfg.Rates, err = loadgen.ParseRates(*rate); err != nil {
			return err
		}
	}
	if *rateDur <= 0 {
		return errors.New("--rate-duration must be positive")
	}
	cfg.RateDuration = *rateDur
	if *isolated < 1 {
		return errors.New("--isolated must be at least 1")
	}
	if *chart != "" && !strings.EqualFold(filepath.Ext(*chart), ".svg") {
		// Refused before the run, not after it: the chart is SVG only.
		return fmt.Errorf("--chart %q: the chart is an SVG file; name it with .svg", *chart)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *target != "" {
		if set["modes"] || set["db"] || set["db-latency"] || set["instances"] || set["redis-cluster"] || set["refill"] {
			return errors.New("--modes, --db, --db-latency, --instances, --redis-cluster and --refill do not apply with --target: the target has its own")
		}
	} else {
		if cfg.Modes, err = loadgen.ParseModes(*modes); err != nil {
			return err
		}
		if cfg.Instances, err = loadgen.ParseInstances(*instances); err != nil {
			return err
		}
	}
	if *cluster {
		if set["redis"] {
			return errors.New("--redis and --redis-cluster exclude each other: --redis-cluster starts its own")
		}
		cfg.Redis, cfg.RedisCluster = "", true
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	logger, err := newLogger(stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	cfg.Logger = logger

	// The servers start from serve's defaults.
	var base Config
	if err := base.serveFlags(io.Discard).Parse(nil); err != nil {
		return err
	}
	cfg.OpenStore = func(ctx context.Context, db string) (recall.Store, error) {
		store, _, err := server.OpenStore(ctx, db, logger, nil)
		return store, err
	}
	cfg.Start = func(ctx context.Context, in loadgen.Instance) (loadgen.Server, error) {
		c := base
		c.Addr = "127.0.0.1:0"
		c.DB = in.DB
		c.Redis = in.Mode.Redis
		if in.Mode.RedisPrefix != "" {
			c.RedisPrefix = in.Mode.RedisPrefix
		}
		c.NearCache = in.Mode.NearCache
		c.Refill = in.Mode.Refill
		c.RateLimits = in.RateLimits
		c.Instances = in.Count
		if err := c.validate(); err != nil {
			return nil, err
		}
		srv := NewMain(c, logger)
		srv.HashParams = in.HashParams
		sc, err := srv.serverConfig()
		if err != nil {
			return nil, err
		}
		// The load generator's own choices, which serve never makes.
		sc.WrapStore, sc.NoCache = in.WrapStore, in.Mode.NoCache
		if err := srv.open(ctx, sc); err != nil {
			return nil, err
		}
		bs := &benchServer{m: srv, errc: make(chan error, 1)}
		go func() { bs.errc <- srv.Serve() }()
		return bs, nil
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, runErr := loadgen.Run(ctx, cfg)
	if rep == nil {
		return runErr
	}
	var errs []error
	if runErr != nil {
		errs = append(errs, runErr)
	}
	if err := rep.WriteTable(stdout); err != nil {
		errs = append(errs, err)
	}
	if *out != "" {
		if err := writeFile(*out, rep.WriteJSON); err != nil {
			errs = append(errs, fmt.Errorf("--out: %w", err))
		}
	}
	if *chart != "" {
		if err := writeFile(*chart, rep.WriteSVG); err != nil {
			errs = append(errs, fmt.Errorf("--chart: %w", err))
		}
	}
	return errors.Join(errs...)
}

// benchServer is a Main serving in the background for the load generator.
type benchServer struct {
	m    *Main
	errc chan error
}

// URL is the server's base URL.
func (s *benchServer) URL() string { return s.m.URL() }

// Close shuts the server down and returns what Serve returned.
func (s *benchServer) Close(ctx context.Context) error {
	err := s.m.Close(ctx)
	return errors.Join(err, <-s.errc)
}

// writeFile writes what write produces to the file name.
func writeFile(name string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}
