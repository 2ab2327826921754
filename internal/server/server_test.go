package server_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/internal/server"
)

// closeCounter counts the Close calls of the store it wraps.
type closeCounter struct {
	recall.Store
	closed *int
}

func (c closeCounter) Close() error {
	*c.closed++
	return c.Store.Close()
}

// TestNew starts a server on a temporary SQLite file and serves the API
// and the web app from it; Close closes the store it opened.
func TestNew(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "recall.db")
	var wrapped int
	srv, err := server.New(ctx, server.Config{DB: "sqlite:" + db, WrapStore: func(s recall.Store) recall.Store {
		wrapped++
		return s
	}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	if wrapped != 1 {
		t.Errorf("WrapStore called %d times, want once", wrapped)
	}
	if d := srv.DBDescription(); !strings.HasPrefix(d, "SQLite file /") || !strings.HasSuffix(d, db) {
		t.Errorf("DBDescription %q", d)
	}
	if r := srv.RedisDescription(); r != "disabled" {
		t.Errorf("RedisDescription %q, want disabled without Redis", r)
	}
	if srv.LLM() != nil {
		t.Error("an LLM client without Config.LLM.BaseURL")
	}
	for path, want := range map[string]string{"/readyz": "ok", "/": "<html"} {
		res, err := http.Get(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), want) {
			t.Errorf("GET %s: %d %.200s; want 200 with %q", path, res.StatusCode, body, want)
		}
	}
	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after Close: %v", err)
	}
	if _, err := http.Get(srv.URL() + "/readyz"); err == nil {
		t.Error("still serving after Close")
	}
}

// TestNewFails checks that a wiring error is returned and closes what New
// had opened already.
func TestNewFails(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"TrustedProxies", server.Config{TrustedProxies: "not-a-cidr"}, "--trusted-proxies"},
		{"RateLimits", server.Config{RateLimits: []string{"turns=lots"}}, "turns"},
		{"RateLimitFailure", server.Config{RateLimitFailure: "maybe"}, "maybe"},
		{"Addr", server.Config{Addr: "256.0.0.1:0"}, "listen on 256.0.0.1:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var closed int
			cfg := tc.cfg
			cfg.DB = filepath.Join(dir, tc.name+".db")
			cfg.WrapStore = func(s recall.Store) recall.Store { return closeCounter{s, &closed} }
			srv, err := server.New(ctx, cfg)
			if err == nil {
				srv.Close(ctx)
				t.Fatalf("New succeeded, want an error saying %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error saying %q", err, tc.want)
			}
			if _, statErr := os.Stat(cfg.DB); statErr != nil {
				t.Errorf("the database was not opened before the failure: %v", statErr)
			}
			if closed != 1 {
				t.Errorf("the store was closed %d times after the failure, want once", closed)
			}
		})
	}
	if _, err := server.New(ctx, server.Config{DB: "mysql://x"}); err == nil || !strings.Contains(err.Error(), "unknown scheme") {
		t.Errorf("New with an unknown --db scheme: %v", err)
	}
}
