// Package server wires one Recall server from one Config: the primary
// store, the caches (Redis, or their in-process equivalents), the rate
// limiter, the LLM client, the tutor engine, the web app and the HTTP
// handler, listening on one address.
//
// It is the only place that wiring lives. `recall serve` (cmd/recall)
// and the load generator's in-process servers (`recall bench` and the
// tests of internal/loadgen) both call New, so they cannot drift apart.
// When you add wiring — a flag that reaches the server (add a Config
// field here and bind the flag to it in cmd/recall's serveFlags: the
// command's Config embeds this one), a store, a cache, a decorator, a
// route's dependency — add it here, once; do not wire packages together
// in cmd/recall or in a test.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/auth"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/firestore"
	recallhttp "github.com/recallhq/recall/http"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/llm"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/ops"
	"github.com/recallhq/recall/postgres"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/sqlite"
	"github.com/recallhq/recall/tutor"
	"github.com/recallhq/recall/webapp"
)

// Config is everything a server is built from. Its zero values are the
// packages' defaults, except DB, which must be set.
type Config struct {
	// Addr is the listen address; empty means 127.0.0.1:0.
	Addr string
	// MetricsAddr, when set, serves GET /metrics on a listener of its own
	// at this address instead of Addr (to keep it off the public port).
	MetricsAddr string
	// DB is the primary database: sqlite:PATH (or a plain path),
	// postgres://… or firestore://PROJECT_ID (see ParseDB).
	DB string

	// Redis is the Redis URL; empty means the in-process equivalents of
	// the Redis caches and a local rate limiter.
	Redis          string
	RedisPrefix    string
	RedisTimeout   time.Duration
	NearCache      bool
	NearCacheBytes int
	// Refill puts back, off the request path, the topic lists and question
	// banks that writes drop from the cache (cache.Refiller), so that the
	// next read hits.
	Refill bool

	// RateLimits and RateLimitFile override the rate-limit policies (see
	// ratelimit.LoadPolicies); RateLimitFailure is what the limiter does
	// while Redis is down; Instances is the number of servers sharing a
	// quota (0: learned from Redis).
	RateLimits       []string
	RateLimitFile    string
	RateLimitFailure string
	Instances        int
	// TrustedProxies are the comma-separated CIDRs whose
	// X-Forwarded-For is trusted.
	TrustedProxies string

	SessionIdle      time.Duration
	SessionLifetime  time.Duration
	DesiredRetention float64
	RequestTimeout   time.Duration
	// HashParams is the password-hash cost of new hashes; zero means
	// auth.DefaultHashParams.
	HashParams auth.HashParams
	// LLM configures the tutor's LLM, which also writes questions from
	// prose; an empty BaseURL means none (the rule-based tutor alone, and
	// prose refused with 400). Its Budget and Metrics are set here.
	LLM llm.Config

	Logger *slog.Logger
	// Now replaces the clock when set (tests).
	Now func() time.Time
	// OpsInterval is how often the operations figures are sampled (and,
	// with Redis, published); zero means ops.DefaultInterval.
	OpsInterval time.Duration

	// WrapStore, when set, wraps the primary store before anything uses
	// it (the load generator's database latency). `recall serve` never
	// sets it.
	WrapStore func(recall.Store) recall.Store
	// NoCache serves from the database alone: no topic, question, token,
	// user, memory or session cache (the load generator's baseline mode).
	// `recall serve` never sets it.
	NoCache bool
}

// Server is one wired server, listening; Serve serves it.
type Server struct {
	store    recall.Store
	llm      *llm.Client
	dbDesc   string
	redis    string
	http     *http.Server
	listener net.Listener
	// metricsHTTP and metricsLn serve /metrics apart (Config.MetricsAddr);
	// nil without it.
	metricsHTTP *http.Server
	metricsLn   net.Listener
	closers     []func() error
}

// New opens the database and the caches, wires the server and listens on
// cfg.Addr. On an error everything it opened is closed again.
func New(ctx context.Context, cfg Config) (_ *Server, err error) {
	s := &Server{redis: "disabled"}
	defer func() {
		if err != nil {
			_ = s.closeAll()
		}
	}()
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	registry, m := metrics.NewRegistry()

	store, desc, err := OpenStore(ctx, cfg.DB, logger, m)
	if err != nil {
		return nil, err
	}
	if cfg.WrapStore != nil {
		store = cfg.WrapStore(store)
	}
	s.closers = append(s.closers, store.Close)
	s.store, s.dbDesc = store, desc
	logger.Info("database ready", "db", desc)

	// The caches: Redis when cfg.Redis is set, in-process equivalents
	// otherwise. One decorator code path serves both.
	var (
		backend        cache.Backend
		sessions       recall.SessionCache
		convs          recall.ConversationCache
		redisStatus    func(context.Context) string
		limiterDB      ratelimit.Backend
		gate           recallhttp.Gate
		gateStatesOnly bool
		board          ops.Board
	)
	if cfg.Redis == "" {
		mem := inmem.NewCache(inmem.CacheOptions{})
		s.closers = append(s.closers, mem.Close)
		backend = mem
		sessions = inmem.NewSessionCache(inmem.SessionCacheOptions{Now: now, Metrics: m})
		convs = inmem.NewConversationCache(inmem.SessionCacheOptions{Now: now, Metrics: m})
	} else {
		rc, err := redis.Connect(ctx, cfg.Redis, redis.Options{
			Prefix:           cfg.RedisPrefix,
			Timeout:          cfg.RedisTimeout,
			DisableNearCache: !cfg.NearCache,
			NearCacheBytes:   cfg.NearCacheBytes,
			Metrics:          m,
			Logger:           logger,
		})
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		s.closers = append(s.closers, func() error { rc.Close(); return nil })
		backend = redis.NewBackend(rc)
		sessions = redis.NewSessionCache(rc)
		convs = redis.NewConversationCache(rc)
		redisStatus = rc.Status
		limiterDB = redis.NewRateLimiter(rc)
		// A cached request's token, limits and data travel in one round
		// trip. With the near-cache the reads are local already and the
		// limiter's call is the only one, but for a session's state
		// (never near-cached): the gate then serves the routes that read
		// one (gateStatesOnly).
		gate = redis.NewGate(rc)
		gateStatesOnly = cfg.NearCache
		board = redis.NewOpsBoard(rc, nil) // real time, as the sampler: rates are of real seconds
		s.redis = redis.Redact(cfg.Redis)
		if cfg.NearCache {
			s.redis += " with near-cache"
		}
	}
	copts := cache.Options{Metrics: m, Logger: logger}
	if cfg.Refill && !cfg.NoCache {
		rf := cache.NewRefiller(cache.RefillOptions{Metrics: m, Logger: logger})
		// Closed after the HTTP server has drained and before the caches
		// and the database: the refills waiting are abandoned.
		s.closers = append(s.closers, func() error { rf.Close(); return nil })
		copts.Refill = rf
	}
	var (
		topics       recall.TopicStore    = cache.NewTopicStore(store, backend, copts)
		questions    recall.QuestionStore = cache.NewQuestionStore(store, backend, copts)
		tokens       recall.TokenStore    = cache.NewTokenStore(store, backend, copts)
		sessionStore recall.SessionStore  = cache.NewSessionStore(store, backend, copts)
		memories     recall.MemoryStore   = cache.NewMemoryStore(store, backend, copts)
		users        recall.UserStore     = cache.NewUserStore(store, backend, copts)
	)
	if cfg.NoCache {
		topics, questions, tokens, sessionStore, memories, users = store, store, store, store, store, store
		sessions = inmem.NopSessionCache{}
		gate = nil // no token is cached for it to check
		convs = inmem.NopConversationCache{}
	}

	policies, err := ratelimit.LoadPolicies(cfg.RateLimitFile, cfg.RateLimits)
	if err != nil {
		return nil, err
	}
	trusted, err := ratelimit.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	limiter, err := ratelimit.New(ratelimit.Config{
		Policies:  policies,
		Backend:   limiterDB,
		Failure:   cfg.RateLimitFailure,
		Instances: cfg.Instances,
		Metrics:   m,
		Logger:    logger,
		Now:       now,
	})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() error { limiter.Close(); return nil })

	if cfg.LLM.BaseURL != "" {
		lc := cfg.LLM
		lc.Budget, lc.Metrics = limiter, m
		if s.llm, err = llm.New(lc); err != nil {
			return nil, fmt.Errorf("--llm-*: %w", err)
		}
		logger.Info("LLM configured; the rule-based tutor answers whenever it fails or a user's llm budget is spent, and questions from prose get 503 or 429",
			"url", s.llm.BaseURL(), "model", s.llm.Model(), "max_tokens", s.llm.MaxTokens(), "timeout", s.llm.Timeout(),
			"key", cfg.LLM.Key != "", "budget", policies[ratelimit.PolicyLLM].String())
	}

	engine := tutor.New(tutor.Config{
		Sessions:  sessionStore,
		Topics:    topics,
		Questions: questions,
		Cache:     sessions,
		Memories:  memories,
		Users:     users,
		Retention: cfg.DesiredRetention,
		Idle:      cfg.SessionIdle,
		Lifetime:  cfg.SessionLifetime,
		Now:       now,
		Logger:    logger,
	})
	convCfg := tutor.ConversationConfig{
		Store:     store,
		Topics:    topics,
		Questions: questions,
		Cache:     convs,
		Idle:      cfg.SessionIdle,
		Lifetime:  cfg.SessionLifetime,
		Now:       now,
		Logger:    logger,
	}
	if s.llm != nil {
		convCfg.LLM = s.llm
	}
	conversations := tutor.NewConversations(convCfg)
	app, err := webapp.New()
	if err != nil {
		return nil, err
	}
	authSvc := auth.New(auth.Config{Users: users, Tokens: tokens, Now: now, Logger: logger, HashParams: cfg.HashParams})

	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.listener = ln
	s.closers = append(s.closers, func() error {
		// Closed by Shutdown once served; this covers a failed New.
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})

	// The operations figures: sampled from the registry every interval
	// and, with Redis, published for the other instances.
	near := ops.NearCache{}
	if cfg.Redis != "" && cfg.NearCache {
		near = ops.NearCache{Enabled: true, CapacityBytes: int64(cmp.Or(cfg.NearCacheBytes, redis.DefaultNearCacheBytes))}
	}
	sampler := ops.New(ops.Config{
		Gatherer: registry, Instance: instanceName(ln.Addr()), Board: board, NearCache: near,
		Interval: cfg.OpsInterval, Logger: logger, // real time, never cfg.Now: rates are per real second
	})
	sctx, stop := context.WithCancel(context.Background())
	sampled := make(chan struct{})
	go func() { defer close(sampled); sampler.Run(sctx) }()
	s.closers = append(s.closers, func() error { stop(); <-sampled; return nil })
	// Without Redis a running server's users are cached in its own memory,
	// which `recall admin` cannot reach: GET /v1/ops then reads the role
	// from the database. With Redis the command drops the cached user.
	var roles recall.UserStore = users
	if cfg.Redis == "" {
		roles = store
	}

	var writer recallhttp.QuestionWriter // nil, never a nil *llm.Client
	if s.llm != nil {
		writer = s.llm
	}
	api := recallhttp.NewServer(recallhttp.Config{
		Store:          store,
		Auth:           authSvc,
		Topics:         topics,
		Questions:      questions,
		Memories:       memories,
		Users:          users,
		Roles:          roles,
		Ops:            sampler,
		Tutor:          engine,
		Conversations:  conversations,
		LLM:            writer,
		Limiter:        limiter,
		Gate:           gate,
		GateStatesOnly: gateStatesOnly,
		TrustedProxies: trusted,
		RedisStatus:    redisStatus,
		RequestTimeout: cfg.RequestTimeout,
		Metrics:        m,
		Gatherer:       prometheus.Gatherer(registry),
		Logger:         logger,
		Now:            now,
		App:            app,
		MetricsApart:   cfg.MetricsAddr != "",
	})
	s.http = api.HTTPServer(ln.Addr().String())

	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return nil, fmt.Errorf("listen on %s (--metrics-addr): %w", cfg.MetricsAddr, err)
		}
		s.metricsLn = mln
		s.closers = append(s.closers, func() error {
			if err := mln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				return err
			}
			return nil
		})
		s.metricsHTTP = recallhttp.MetricsServer(registry, logger)
	}
	return s, nil
}

// instanceName names this instance on the operations page: the listen
// address, with the host name for an unspecified host (0.0.0.0, [::]),
// which every instance of a deployment would share.
func instanceName(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		}
	}
	return net.JoinHostPort(host, port)
}

// Serve serves HTTP (and /metrics apart, with Config.MetricsAddr) until
// Close; it returns nil after a clean shutdown.
func (s *Server) Serve() error {
	errc := make(chan error, 1)
	if s.metricsHTTP != nil {
		go func() { errc <- s.metricsHTTP.Serve(s.metricsLn) }()
	}
	err := s.http.Serve(s.listener)
	if s.metricsHTTP != nil {
		if merr := <-errc; !errors.Is(merr, http.ErrServerClosed) {
			err = errors.Join(err, merr)
		}
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops accepting requests, waits for those in flight (until ctx is
// done), then closes the limiter, the caches and the database.
func (s *Server) Close(ctx context.Context) error {
	var errs []error
	if s.metricsHTTP != nil {
		if err := s.metricsHTTP.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.http != nil {
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, s.closeAll())...)
}

// closeAll closes what New opened, last first.
func (s *Server) closeAll() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Store is the primary store (wrapped by Config.WrapStore when set),
// without the caches.
func (s *Server) Store() recall.Store { return s.store }

// LLM returns the LLM client, or nil when Config.LLM has no BaseURL.
func (s *Server) LLM() *llm.Client { return s.llm }

// DBDescription says where the data lives.
func (s *Server) DBDescription() string { return s.dbDesc }

// RedisDescription says which Redis is used, or "disabled".
func (s *Server) RedisDescription() string { return s.redis }

// MetricsAddr is the address of the /metrics listener of
// Config.MetricsAddr, or "" when /metrics is on the main listener.
func (s *Server) MetricsAddr() string {
	if s.metricsLn == nil {
		return ""
	}
	return s.metricsLn.Addr().String()
}

// OpenStore opens and migrates the primary database named by db (see
// ParseDB) and says where its data lives. m may be nil.
func OpenStore(ctx context.Context, db string, logger *slog.Logger, m *metrics.Metrics) (recall.Store, string, error) {
	kind, addr, err := ParseDB(db)
	if err != nil {
		return nil, "", err
	}
	switch kind {
	case "sqlite":
		s, err := sqlite.Open(ctx, addr, sqlite.Options{Logger: logger, Metrics: m})
		if err != nil {
			return nil, "", fmt.Errorf("open SQLite database %s: %w", addr, err)
		}
		abs, _ := filepath.Abs(addr)
		return s, "SQLite file " + abs, nil
	case "postgres":
		s, err := postgres.Open(ctx, addr, postgres.Options{Logger: logger, Metrics: m})
		if err != nil {
			return nil, "", fmt.Errorf("open PostgreSQL database %s: %w", postgres.RedactURL(addr), err)
		}
		return s, "PostgreSQL " + postgres.RedactURL(addr), nil
	case "firestore":
		s, err := firestore.Open(ctx, addr, firestore.Options{Logger: logger, Metrics: m})
		if err != nil {
			return nil, "", fmt.Errorf("open Firestore project %s: %w", addr, err)
		}
		desc := "Firestore project " + addr
		if h := os.Getenv("FIRESTORE_EMULATOR_HOST"); h != "" {
			desc += " (emulator at " + h + ")"
		}
		return s, desc, nil
	default:
		return nil, "", fmt.Errorf("--db %s: the %s store is not available in this build", db, kind)
	}
}

// ParseDB splits a --db value into its engine ("sqlite", "postgres" or
// "firestore") and the engine's address.
func ParseDB(db string) (kind, addr string, err error) {
	switch {
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return "postgres", db, nil
	case strings.HasPrefix(db, "firestore://"):
		project := strings.TrimPrefix(db, "firestore://")
		if project == "" || strings.ContainsAny(project, "/?#") {
			return "", "", fmt.Errorf("--db %q: want firestore://PROJECT_ID", db)
		}
		return "firestore", project, nil
	case strings.HasPrefix(db, "sqlite:"):
		db = strings.TrimPrefix(strings.TrimPrefix(db, "sqlite:"), "//")
	case strings.Contains(db, "://"):
		scheme, _, _ := strings.Cut(db, "://")
		return "", "", fmt.Errorf("--db: unknown scheme %q (want sqlite:PATH, a path, postgres://… or firestore://PROJECT_ID)", scheme)
	}
	if db == "" {
		return "", "", errors.New("--db: empty SQLite path")
	}
	return "sqlite", filepath.Clean(db), nil
}
