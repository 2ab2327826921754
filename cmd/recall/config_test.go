package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall/internal/server"
	"github.com/recallhq/recall/ratelimit"
)

// envMap is a getenv over a map.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// parseServe parses args and env as `recall serve` does.
func parseServe(args []string, env map[string]string) (Config, error) {
	var cfg Config
	err := parse(cfg.serveFlags(io.Discard), args, envMap(env))
	return cfg, err
}

func TestParseDefaults(t *testing.T) {
	cfg, err := parseServe(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Config: server.Config{
			Addr: "127.0.0.1:8080", DB: "sqlite:" + DefaultDBPath, RedisPrefix: "recall:", RedisTimeout: 100 * time.Millisecond,
			NearCache: true, NearCacheBytes: 64 << 20, Refill: true, RateLimitFailure: "local",
			SessionIdle: 2 * time.Hour, SessionLifetime: 24 * time.Hour, RequestTimeout: 5 * time.Second, DesiredRetention: 0.9,
		},
		LogLevel: "info", LogFormat: "text", ShutdownTimeout: 15 * time.Second,
		LLMMaxTokens: 512, LLMTimeout: 20 * time.Second,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults\n got %+v\nwant %+v", cfg, want)
	}
	if err := cfg.validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
}

func TestParseFlagWinsOverEnv(t *testing.T) {
	env := map[string]string{
		"RECALL_ADDR":             "10.0.0.1:1",
		"RECALL_DB":               "sqlite:/from/env.db",
		"RECALL_REDIS":            "redis://env:6379",
		"RECALL_REDIS_PREFIX":     "env:",
		"RECALL_SESSION_IDLE":     "30m",
		"RECALL_SESSION_LIFETIME": "12h",
		"RECALL_NEAR_CACHE":       "false",
		"RECALL_INSTANCES":        "3",
		"RECALL_LOG_FORMAT":       "json",
		"RECALL_RATE_LIMIT_FILE":  "/etc/recall/limits",
	}
	cfg, err := parseServe([]string{"--addr", "127.0.0.1:9", "--session-idle=45m", "-redis-prefix", "flag:", "--near-cache"}, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"addr (flag)", cfg.Addr, "127.0.0.1:9"},
		{"session-idle (flag)", cfg.SessionIdle, 45 * time.Minute},
		{"redis-prefix (flag)", cfg.RedisPrefix, "flag:"},
		{"near-cache (flag)", cfg.NearCache, true},
		{"db (env)", cfg.DB, "sqlite:/from/env.db"},
		{"redis (env)", cfg.Redis, "redis://env:6379"},
		{"session-lifetime (env)", cfg.SessionLifetime, 12 * time.Hour},
		{"instances (env)", cfg.Instances, 3},
		{"log-format (env)", cfg.LogFormat, "json"},
		{"rate-limit-file (env)", cfg.RateLimitFile, "/etc/recall/limits"},
		{"log-level (default)", cfg.LogLevel, "info"},
		{"redis-timeout (default)", cfg.RedisTimeout, 100 * time.Millisecond},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// An empty variable counts as unset.
	cfg, err = parseServe(nil, map[string]string{"RECALL_ADDR": "", "RECALL_REDIS_PREFIX": ""})
	if err != nil || cfg.Addr != "127.0.0.1:8080" || cfg.RedisPrefix != "recall:" {
		t.Fatalf("empty variables: %+v, %v", cfg, err)
	}
	// migrate knows --db and RECALL_DB too.
	var m Config
	if err := parse(m.flags("migrate", io.Discard), nil, envMap(map[string]string{"RECALL_DB": "x.db"})); err != nil || m.DB != "x.db" {
		t.Fatalf("migrate --db from the environment: %q, %v", m.DB, err)
	}
	if err := parse(m.flags("migrate", io.Discard), []string{"--db", "y.db"}, envMap(map[string]string{"RECALL_DB": "x.db"})); err != nil || m.DB != "y.db" {
		t.Fatalf("migrate --db flag over the environment: %q, %v", m.DB, err)
	}
}

func TestParseRateLimits(t *testing.T) {
	t.Run("RepeatedFlag", func(t *testing.T) {
		cfg, err := parseServe([]string{"--rate-limit", "turns=30/1m", "--rate-limit=auth=5/1m"}, nil)
		if err != nil || !slices.Equal(cfg.RateLimits, []string{"turns=30/1m", "auth=5/1m"}) {
			t.Fatalf("rate limits %q, %v", cfg.RateLimits, err)
		}
	})
	t.Run("CommaSeparatedEnv", func(t *testing.T) {
		cfg, err := parseServe(nil, map[string]string{"RECALL_RATE_LIMIT": "turns=30/1m, auth=5/1m ,writes=1/1s"})
		if err != nil || !slices.Equal(cfg.RateLimits, []string{"turns=30/1m", "auth=5/1m", "writes=1/1s"}) {
			t.Fatalf("rate limits %q, %v", cfg.RateLimits, err)
		}
	})
	t.Run("FlagWins", func(t *testing.T) {
		cfg, err := parseServe([]string{"--rate-limit", "turns=30/1m"}, map[string]string{"RECALL_RATE_LIMIT": "turns=5/1m"})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := ratelimit.LoadPolicies(cfg.RateLimitFile, cfg.RateLimits)
		if err != nil {
			t.Fatal(err)
		}
		if got := ps["turns"]; got.Quota != 30 || got.Window != time.Minute {
			t.Fatalf("turns = %v, want the flag's 30/1m", got)
		}
		if got := ps["auth"]; got.Quota != 10 {
			t.Fatalf("auth = %v, want the built-in 10/1m", got)
		}
	})
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"UnknownFlag", []string{"--bad-flag"}, nil, "bad-flag"},
		{"BadDurationFlag", []string{"--session-idle", "soon"}, nil, "session-idle"},
		{"BadIntFlag", []string{"--instances", "many"}, nil, "instances"},
		{"BadDurationEnv", nil, map[string]string{"RECALL_SESSION_IDLE": "soon"}, "RECALL_SESSION_IDLE"},
		{"BadBoolEnv", nil, map[string]string{"RECALL_NEAR_CACHE": "maybe"}, "RECALL_NEAR_CACHE"},
		{"ExtraArgument", []string{"--addr", ":1", "extra"}, nil, `unexpected argument "extra"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseServe(c.args, c.env)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	base, err := parseServe(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; nil: valid
	}{
		{"Defaults", func(*Config) {}, nil},
		{"AllModes", func(c *Config) { c.RateLimitFailure = "closed"; c.LogFormat = "json" }, nil},
		{"EmptyPrefixWithoutRedis", func(c *Config) { c.RedisPrefix = "" }, nil},
		{"ZeroIdle", func(c *Config) { c.SessionIdle = 0 }, []string{"--session-idle"}},
		{"NegativeIdle", func(c *Config) { c.SessionIdle = -time.Hour }, []string{"--session-idle"}},
		{"ZeroLifetime", func(c *Config) { c.SessionLifetime = 0 }, []string{"--session-lifetime"}},
		{"ZeroRedisTimeout", func(c *Config) { c.RedisTimeout = 0 }, []string{"--redis-timeout"}},
		{"FailureMode", func(c *Config) { c.RateLimitFailure = "sometimes" }, []string{"--rate-limit-failure", `"sometimes"`}},
		{"LogFormat", func(c *Config) { c.LogFormat = "xml" }, []string{"--log-format", `"xml"`}},
		{"NegativeInstances", func(c *Config) { c.Instances = -1 }, []string{"--instances"}},
		{"EmptyPrefixWithRedis", func(c *Config) { c.Redis = "redis://127.0.0.1:6379"; c.RedisPrefix = "" }, []string{"--redis-prefix"}},
		{"PasswordHash", func(c *Config) { c.PasswordHash = "m=64,t=1,p=1" }, nil},
		{"BadPasswordHash", func(c *Config) { c.PasswordHash = "m=64,t=1" }, []string{"--password-hash", `"m=64,t=1"`}},
		{"SeveralAtOnce", func(c *Config) { c.SessionIdle = 0; c.LogFormat = "xml" }, []string{"--session-idle", "--log-format"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := base
			c.edit(&cfg)
			err := cfg.validate()
			if c.want == nil {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("validate passed %+v", cfg)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

// TestPasswordHash checks that --password-hash reaches the hashes stored
// for new accounts.
func TestPasswordHash(t *testing.T) {
	srv := startDefault(t, func(cfg *Config) { cfg.PasswordHash = "p=1,m=72,t=1" })
	srv.signUp(t, "ada", "correct horse battery")
	_, hash, err := srv.m.Store().UserByUsername(t.Context(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=72,t=1,p=1$") {
		t.Errorf("stored hash %q; want the cost m=72,t=1,p=1 of --password-hash", hash)
	}
}

func TestDBKind(t *testing.T) {
	for _, c := range []struct {
		in, kind, addr string
		err            string
	}{
		{in: "sqlite:/var/lib/recall.db", kind: "sqlite", addr: "/var/lib/recall.db"},
		{in: "sqlite:///var/lib/recall.db", kind: "sqlite", addr: "/var/lib/recall.db"},
		{in: "sqlite:data/recall.db", kind: "sqlite", addr: "data/recall.db"},
		{in: "sqlite:" + DefaultDBPath, kind: "sqlite", addr: DefaultDBPath},
		{in: "data/recall.db", kind: "sqlite", addr: "data/recall.db"},
		{in: "./data/../recall.db", kind: "sqlite", addr: "recall.db"},
		{in: "/abs/recall.db", kind: "sqlite", addr: "/abs/recall.db"},
		{in: "postgres://u:p@127.0.0.1:5432/recall?sslmode=disable", kind: "postgres", addr: "postgres://u:p@127.0.0.1:5432/recall?sslmode=disable"},
		{in: "postgresql://127.0.0.1/recall", kind: "postgres", addr: "postgresql://127.0.0.1/recall"},
		{in: "firestore://my-project", kind: "firestore", addr: "my-project"},
		{in: "mysql://127.0.0.1/recall", err: "unknown scheme"},
		{in: "redis://127.0.0.1:6379", err: "unknown scheme"},
		{in: "", err: "empty"},
		{in: "sqlite:", err: "empty"},
	} {
		t.Run(c.in, func(t *testing.T) {
			kind, addr, err := server.ParseDB(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("server.ParseDB(%q) = %q, %q, %v; want an error saying %q", c.in, kind, addr, err, c.err)
				}
				return
			}
			if err != nil || kind != c.kind || addr != c.addr {
				t.Fatalf("server.ParseDB(%q) = %q, %q, %v; want %q, %q", c.in, kind, addr, err, c.kind, c.addr)
			}
		})
	}
}

// cmdResult is what one call of run did.
type cmdResult struct {
	code           int
	stdout, stderr string
}

func runCmd(ctx context.Context, env map[string]string, args ...string) cmdResult {
	var out, errOut syncBuffer
	code := run(ctx, args, &out, &errOut, envMap(env))
	return cmdResult{code, out.String(), errOut.String()}
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name       string
		args       []string
		env        map[string]string
		code       int
		stdout     string
		stderr     string
		noDBCreate bool
	}{
		{name: "NoCommand", args: nil, code: 2, stderr: "usage: recall"},
		{name: "UnknownCommand", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "Version", args: []string{"version"}, code: 0, stdout: "recall " + version},
		{name: "VersionFlag", args: []string{"--version"}, code: 0, stdout: "recall " + version},
		{name: "Help", args: []string{"help"}, code: 0, stdout: "usage: recall"},
		{name: "ServeHelp", args: []string{"serve", "-h"}, code: 0, stderr: "-rate-limit"},
		{name: "ServeBadFlag", args: []string{"serve", "--bad-flag"}, code: 2, stderr: "bad-flag"},
		{name: "ServeExtraArgument", args: []string{"serve", "now"}, code: 2, stderr: `unexpected argument "now"`},
		{name: "ServeBadEnv", args: []string{"serve"}, env: map[string]string{"RECALL_SESSION_IDLE": "soon"}, code: 2, stderr: "RECALL_SESSION_IDLE"},
		{name: "ServeInvalid", args: []string{"serve", "--session-idle", "0s"}, code: 1, stderr: "--session-idle must be positive", noDBCreate: true},
		{name: "ServeInvalidEnv", args: []string{"serve"}, env: map[string]string{"RECALL_LOG_FORMAT": "xml"}, code: 1, stderr: "--log-format", noDBCreate: true},
		{name: "ServeLogLevel", args: []string{"serve", "--log-level", "loud"}, code: 1, stderr: "--log-level", noDBCreate: true},
		{name: "ServeUnknownDB", args: []string{"serve", "--db", "mysql://127.0.0.1/recall"}, code: 1, stderr: "unknown scheme", noDBCreate: true},
		{name: "ServeBadRateLimit", args: []string{"serve", "--rate-limit", "bogus"}, code: 1, stderr: `rate limit "bogus": missing '='`},
		{name: "ServeBadRateLimitEnv", args: []string{"serve"}, env: map[string]string{"RECALL_RATE_LIMIT": "turns=30/1m,turns=-1/1m"}, code: 1, stderr: `rate limit "turns=-1/1m"`},
		{name: "ServeBadTrustedProxies", args: []string{"serve", "--trusted-proxies", "not-a-cidr"}, code: 1, stderr: "--trusted-proxies"},
		{name: "ServeBadRateLimitFile", args: []string{"serve", "--rate-limit-file", "/no/such/file"}, code: 1, stderr: "/no/such/file"},
		{name: "MigrateBadFlag", args: []string{"migrate", "--addr", ":1"}, code: 2, stderr: "addr"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "sub", "recall.db")
			args := c.args
			if len(args) > 0 && (args[0] == "serve" || args[0] == "migrate") && !slices.Contains(args, "-h") {
				// Keep the default database and port out of the way;
				// the case's own flags come last and win.
				args = append([]string{args[0], "--db", db}, args[1:]...)
				if args[0] == "serve" {
					args = append([]string{args[0], "--addr", "127.0.0.1:0"}, args[1:]...)
				}
			}
			// A safety net: a server that starts by mistake stops when
			// this expires, and the exit code tells.
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			r := runCmd(ctx, c.env, args...)
			if r.code != c.code {
				t.Fatalf("run %q: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, c.code, r.stdout, r.stderr)
			}
			if c.stdout != "" && !strings.HasPrefix(r.stdout, c.stdout) {
				t.Errorf("stdout %q, want it to start with %q", r.stdout, c.stdout)
			}
			if c.stderr != "" && !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("stderr %q, want it to say %q", r.stderr, c.stderr)
			}
			if strings.Contains(r.stdout, "listening") {
				t.Errorf("the server started: %s", r.stdout)
			}
			if c.noDBCreate {
				if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a configuration error left a database behind (%v)", err)
				}
			}
		})
	}
}

func TestRunMigrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "recall.db")
	for range 2 { // migrations are idempotent
		r := runCmd(context.Background(), map[string]string{"RECALL_DB": "sqlite:" + db}, "migrate")
		if r.code != 0 || !strings.Contains(r.stdout, "migrations applied to SQLite file "+db) {
			t.Fatalf("migrate: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("no database after migrate: %v", err)
	}
}

// TestRunServe runs `recall serve` as main does, with flags winning over
// variables, until its context is cancelled.
func TestRunServe(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "recall.db")
	env := map[string]string{
		"RECALL_ADDR":       "256.0.0.1:1",                  // unusable: the flag must win
		"RECALL_DB":         filepath.Join(dir, "other.db"), // the flag must win
		"RECALL_RATE_LIMIT": "auth=2/1m, turns=5/1m",        // the env list reaches the limiter
		"RECALL_LOG_LEVEL":  "warn",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + db}, &stdout, &stderr, envMap(env))
	}()

	// Wait for the line that says where it listens.
	var base string
	for i := 0; base == ""; i++ {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before listening\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
		default:
		}
		if _, rest, ok := strings.Cut(stdout.String(), "listening on "); ok {
			base, _, _ = strings.Cut(rest, " ")
			break
		}
		if i > 4000 {
			t.Fatalf("serve did not say where it listens\nstderr: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	line := stdout.String()
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.Contains(line, "database: SQLite file "+db) ||
		!strings.Contains(line, "redis: disabled") {
		t.Fatalf("start-up line %q", line)
	}

	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"db":"ok","redis":"disabled"}` {
		t.Fatalf("readyz %d %s", res.StatusCode, b)
	}
	res, err = http.Post(base+"/v1/tokens", "application/json", strings.NewReader(`{"username": "nobody", "password": "password"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || res.Header.Get("RateLimit-Policy") != `"auth";q=2;w=60` {
		t.Fatalf("sign-in: %s, RateLimit-Policy %q", res.Status, res.Header.Get("RateLimit-Policy"))
	}
	if _, err := os.Stat(filepath.Join(dir, "other.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("RECALL_DB was used although --db was given (%v)", err)
	}

	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d after its context was cancelled\nstderr: %s", code, stderr.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the server still answers after serve returned")
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("no database at --db: %v", err)
	}
}
