package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
	"github.com/recallhq/recall/postgres"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/sqlite"
	"github.com/recallhq/recall/tutor"
	"github.com/recallhq/recall/webapp"
)

// Main is one running Recall server: the store, caches, limiter and HTTP
// listener wired together. Tests build it on 127.0.0.1:0 with a temporary
// database, just as `recall serve` does.
type Main struct {
	Config Config
	Logger *slog.Logger
	// Now, when set, replaces the clock (tests).
	Now func() time.Time
	// HashParams, when set, replaces the password-hash cost of
	// Config.PasswordHash (tests, the load generator).
	HashParams auth.HashParams

	store    recall.Store
	llm      *llm.Client
	dbDesc   string
	redis    string
	registry *prometheus.Registry
	metrics  *metrics.Metrics
	server   *http.Server
	listener net.Listener
	closers  []func() error
}

// NewMain returns a Main for cfg; Open starts it.
func NewMain(cfg Config, logger *slog.Logger) *Main {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Main{Config: cfg, Logger: logger, redis: "disabled"}
}

type storeOptions struct {
	Logger  *slog.Logger
	Metrics *metrics.Metrics
}

// openStore opens and migrates the primary database named by db.
func openStore(ctx context.Context, db string, opts storeOptions) (recall.Store, string, error) {
	kind, addr, err := dbKind(db)
	if err != nil {
		return nil, "", err
	}
	switch kind {
	case "sqlite":
		s, err := sqlite.Open(ctx, addr, sqlite.Options{Logger: opts.Logger, Metrics: opts.Metrics})
		if err != nil {
			return nil, "", fmt.Errorf("open SQLite database %s: %w", addr, err)
		}
		abs, _ := filepath.Abs(addr)
		return s, "SQLite file " + abs, nil
	case "postgres":
		s, err := postgres.Open(ctx, addr, postgres.Options{Logger: opts.Logger, Metrics: opts.Metrics})
		if err != nil {
			return nil, "", fmt.Errorf("open PostgreSQL database %s: %w", postgres.RedactURL(addr), err)
		}
		return s, "PostgreSQL " + postgres.RedactURL(addr), nil
	case "firestore":
		s, err := firestore.Open(ctx, addr, firestore.Options{Logger: opts.Logger, Metrics: opts.Metrics})
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

// Open opens the database, wires the server and starts listening.
func (m *Main) Open(ctx context.Context) error {
	return m.openWith(ctx, wiring{})
}

// wiring holds the choices of the server's wiring that `recall serve`
// never makes and no flag or Config field offers: the load generator
// (bench.go) makes them.
type wiring struct {
	// wrapStore, when set, wraps the primary store before anything uses
	// it (the load generator's database latency).
	wrapStore func(recall.Store) recall.Store
	// noCache serves from the database alone: no topic, question, token or
	// session cache (the load generator's "none" mode, its baseline).
	noCache bool
}

// openWith is Open with the choices of w.
func (m *Main) openWith(ctx context.Context, w wiring) error {
	m.registry, m.metrics = metrics.NewRegistry()
	store, desc, err := openStore(ctx, m.Config.DB, storeOptions{Logger: m.Logger, Metrics: m.metrics})
	if err != nil {
		return err
	}
	if w.wrapStore != nil {
		store = w.wrapStore(store)
	}
	m.store, m.dbDesc = store, desc
	m.closers = append(m.closers, store.Close)
	m.Logger.Info("database ready", "db", desc)

	now := m.Now
	if now == nil {
		now = time.Now
	}
	// The caches: Redis when --redis is set, in-process equivalents
	// otherwise. One decorator code path serves both.
	var (
		backend     cache.Backend
		sessions    recall.SessionCache
		redisStatus func(context.Context) string
		limiterDB   ratelimit.Backend
	)
	if m.Config.Redis == "" {
		mem := inmem.NewCache(inmem.CacheOptions{})
		m.closers = append(m.closers, func() error { mem.Close(); return nil })
		backend = mem
		sessions = inmem.NewSessionCache(inmem.SessionCacheOptions{Now: now, Metrics: m.metrics})
	} else {
		rc, err := redis.Connect(ctx, m.Config.Redis, redis.Options{
			Prefix:           m.Config.RedisPrefix,
			Timeout:          m.Config.RedisTimeout,
			DisableNearCache: !m.Config.NearCache,
			NearCacheBytes:   m.Config.NearCacheBytes,
			Metrics:          m.metrics,
			Logger:           m.Logger,
		})
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		m.closers = append(m.closers, func() error { rc.Close(); return nil })
		backend = redis.NewBackend(rc)
		sessions = redis.NewSessionCache(rc)
		redisStatus = rc.Status
		limiterDB = redis.NewRateLimiter(rc)
		m.redis = redis.Redact(m.Config.Redis)
		if m.Config.NearCache {
			m.redis += " with near-cache"
		}
	}
	copts := cache.Options{Metrics: m.metrics, Logger: m.Logger}
	var (
		topics       recall.TopicStore    = cache.NewTopicStore(store, backend, copts)
		questions    recall.QuestionStore = cache.NewQuestionStore(store, backend, copts)
		tokens       recall.TokenStore    = cache.NewTokenStore(store, backend, copts)
		sessionStore recall.SessionStore  = cache.NewSessionStore(store, backend, copts)
		memories     recall.MemoryStore   = cache.NewMemoryStore(store, backend, copts)
		users        recall.UserStore     = cache.NewUserStore(store, backend, copts)
	)
	if w.noCache {
		// The database alone: the load generator's baseline.
		topics, questions, tokens, sessionStore, memories, users = store, store, store, store, store, store
		sessions = inmem.NopSessionCache{}
	}

	policies, err := ratelimit.LoadPolicies(m.Config.RateLimitFile, m.Config.RateLimits)
	if err != nil {
		return err
	}
	trusted, err := ratelimit.ParseTrustedProxies(m.Config.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	limiter, err := ratelimit.New(ratelimit.Config{
		Policies:  policies,
		Backend:   limiterDB,
		Failure:   m.Config.RateLimitFailure,
		Instances: m.Config.Instances,
		Metrics:   m.metrics,
		Logger:    m.Logger,
		Now:       now,
	})
	if err != nil {
		return err
	}
	m.closers = append(m.closers, func() error { limiter.Close(); return nil })

	if m.Config.LLMURL != "" {
		lc := m.Config.llmConfig()
		lc.Budget, lc.Metrics = limiter, m.metrics
		if m.llm, err = llm.New(lc); err != nil {
			return fmt.Errorf("--llm-*: %w", err)
		}
		m.Logger.Info("LLM configured; the rule-based tutor answers whenever it fails or a user's llm budget is spent",
			"url", m.llm.BaseURL(), "model", m.llm.Model(), "max_tokens", m.llm.MaxTokens(), "timeout", m.llm.Timeout(),
			"key", m.Config.LLMKey != "", "budget", policies[ratelimit.PolicyLLM].String())
	}

	engine := tutor.New(tutor.Config{
		Sessions:  sessionStore,
		Topics:    topics,
		Questions: questions,
		Cache:     sessions,
		Memories:  memories,
		Users:     users,
		Retention: m.Config.DesiredRetention,
		Idle:      m.Config.SessionIdle,
		Lifetime:  m.Config.SessionLifetime,
		Now:       now,
		Logger:    m.Logger,
	})
	app, err := webapp.New()
	if err != nil {
		return err
	}
	hashParams := m.HashParams
	if hashParams == (auth.HashParams{}) && m.Config.PasswordHash != "" {
		if hashParams, err = auth.ParseHashParams(m.Config.PasswordHash); err != nil {
			return fmt.Errorf("--password-hash: %w", err)
		}
	}
	authSvc := auth.New(auth.Config{Users: users, Tokens: tokens, Now: now, Logger: m.Logger, HashParams: hashParams})
	srv := recallhttp.NewServer(recallhttp.Config{
		Store:          store,
		Auth:           authSvc,
		Topics:         topics,
		Questions:      questions,
		Memories:       memories,
		Users:          users,
		Tutor:          engine,
		Limiter:        limiter,
		TrustedProxies: trusted,
		RedisStatus:    redisStatus,
		RequestTimeout: m.Config.RequestTimeout,
		Metrics:        m.metrics,
		Gatherer:       m.registry,
		Logger:         m.Logger,
		Now:            now,
		App:            app,
	})

	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	m.server = srv.HTTPServer(ln.Addr().String())
	return nil
}

// Serve serves HTTP until Close; it returns nil after a clean shutdown.
func (m *Main) Serve() error {
	if err := m.server.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// URL is the server's base URL.
func (m *Main) URL() string { return "http://" + m.Addr() }

// LLM returns the LLM client, or nil when --llm-url is not set (the
// rule-based tutor alone).
func (m *Main) LLM() *llm.Client { return m.llm }

// DBDescription says where the data lives.
func (m *Main) DBDescription() string { return m.dbDesc }

// RedisDescription says which Redis is used, or "disabled".
func (m *Main) RedisDescription() string { return m.redis }

// Close stops accepting requests, waits for those in flight (until ctx is
// done), then closes the caches and the database.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	if m.server != nil {
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	m.closers = nil
	return errors.Join(errs...)
}
