package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/auth"
	"github.com/recallhq/recall/internal/server"
	"github.com/recallhq/recall/llm"
)

// Main is one running Recall server built from the command's Config. The
// wiring itself is internal/server's, shared with the load generator;
// Main maps the flags onto it. Tests build it on 127.0.0.1:0 with a
// temporary database, just as `recall serve` does.
type Main struct {
	Config Config
	Logger *slog.Logger
	// Now, when set, replaces the clock (tests).
	Now func() time.Time
	// HashParams, when set, replaces the password-hash cost of
	// Config.PasswordHash (tests, the load generator).
	HashParams auth.HashParams

	srv *server.Server
}

// NewMain returns a Main for cfg; Open starts it.
func NewMain(cfg Config, logger *slog.Logger) *Main {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Main{Config: cfg, Logger: logger}
}

// Open opens the database, wires the server and starts listening.
func (m *Main) Open(ctx context.Context) error {
	sc, err := m.serverConfig()
	if err != nil {
		return err
	}
	return m.open(ctx, sc)
}

// open opens the server of sc (which the load generator extends).
func (m *Main) open(ctx context.Context, sc server.Config) error {
	srv, err := server.New(ctx, sc)
	if err != nil {
		return err
	}
	m.srv = srv
	return nil
}

// serverConfig maps the command's Config onto the server's.
func (m *Main) serverConfig() (server.Config, error) {
	c := m.Config
	hashParams := m.HashParams
	if hashParams == (auth.HashParams{}) && c.PasswordHash != "" {
		var err error
		if hashParams, err = auth.ParseHashParams(c.PasswordHash); err != nil {
			return server.Config{}, fmt.Errorf("--password-hash: %w", err)
		}
	}
	sc := c.Config
	sc.HashParams = hashParams
	if c.LLMURL != "" {
		sc.LLM = c.llmConfig()
	}
	sc.Logger, sc.Now = m.Logger, m.Now
	return sc, nil
}

// Serve serves HTTP until Close; it returns nil after a clean shutdown.
func (m *Main) Serve() error { return m.srv.Serve() }

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.srv.Addr() }

// URL is the server's base URL.
func (m *Main) URL() string { return m.srv.URL() }

// Store is the primary store, without the caches.
func (m *Main) Store() recall.Store { return m.srv.Store() }

// LLM returns the LLM client, or nil when --llm-url is not set (the
// rule-based tutor alone).
func (m *Main) LLM() *llm.Client { return m.srv.LLM() }

// DBDescription says where the data lives.
func (m *Main) DBDescription() string { return m.srv.DBDescription() }

// RedisDescription says which Redis is used, or "disabled".
func (m *Main) RedisDescription() string { return m.srv.RedisDescription() }

// MetricsAddr is the address of the --metrics-addr listener, or "".
func (m *Main) MetricsAddr() string { return m.srv.MetricsAddr() }

// Close stops accepting requests, waits for those in flight (until ctx is
// done), then closes the caches and the database. A Main that never
// opened has nothing to close.
func (m *Main) Close(ctx context.Context) error {
	if m.srv == nil {
		return nil
	}
	return m.srv.Close(ctx)
}
