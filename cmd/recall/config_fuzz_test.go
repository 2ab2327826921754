package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recallhq/recall/internal/server"
)

// FuzzDBKind checks the --db parser: no panic; an accepted value names a
// known engine, a PostgreSQL URL is passed on untouched and an SQLite path
// is non-empty and clean; a value with an unknown scheme is refused.
func FuzzDBKind(f *testing.F) {
	for _, s := range []string{"", "recall.db", "sqlite:recall.db", "sqlite://tmp/x.db", "sqlite:", "sqlite://", "postgres://u:p@h:5432/db?sslmode=disable",
		"postgresql://h/db", "firestore://proj", "mysql://u:p@h/db", "./a/../b.db", "/abs/path", "sqlite:../../etc/passwd", "C:\\x.db", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, db string) {
		kind, addr, err := server.ParseDB(db)
		if err != nil {
			if err.Error() == "" || kind != "" || addr != "" {
				t.Fatalf("server.ParseDB(%q) = %q, %q, %v", db, kind, addr, err)
			}
			return
		}
		switch kind {
		case "postgres":
			if addr != db || !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
				t.Fatalf("server.ParseDB(%q) = postgres %q", db, addr)
			}
		case "firestore":
			if !strings.HasPrefix(db, "firestore://") {
				t.Fatalf("server.ParseDB(%q) = firestore %q", db, addr)
			}
		case "sqlite":
			if addr == "" || addr != filepath.Clean(addr) {
				t.Fatalf("server.ParseDB(%q) = sqlite %q: empty or not clean", db, addr)
			}
			if strings.Contains(db, "://") && !strings.HasPrefix(db, "sqlite:") {
				t.Fatalf("server.ParseDB(%q) took an unknown scheme for an SQLite path", db)
			}
		default:
			t.Fatalf("server.ParseDB(%q) = unknown kind %q", db, kind)
		}
	})
}

// FuzzServeFlags parses any command line and environment for `recall
// serve`, then validates the result: no panic, whatever the input.
// args is split on NUL; env holds NAME=value lines.
func FuzzServeFlags(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""},
		{"--addr\x00127.0.0.1:0\x00--redis-prefix\x00x:", "RECALL_REDIS=redis://h:1\nRECALL_SESSION_IDLE=1h"},
		{"--rate-limit\x00turns=30/1m\x00--rate-limit\x00auth=1/1s", "RECALL_RATE_LIMIT=a=1/1s,b=2/2m"},
		{"--session-idle\x00-1s", "RECALL_LOG_FORMAT=xml"},
		{"--near-cache=maybe", "RECALL_INSTANCES=-3"},
		{"stray", "RECALL_REDIS_TIMEOUT=forever"},
		{"-h", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, args, env string) {
		vars := map[string]string{}
		for _, line := range strings.Split(env, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				vars[k] = v
			}
		}
		var argv []string
		if args != "" {
			argv = strings.Split(args, "\x00")
		}
		var cfg Config
		fs := cfg.serveFlags(io.Discard)
		if err := parse(fs, argv, func(name string) string { return vars[name] }); err != nil {
			return
		}
		_ = cfg.validate()
	})
}
