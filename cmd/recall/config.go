package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/recallhq/recall/auth"
	"github.com/recallhq/recall/internal/server"
	"github.com/recallhq/recall/llm"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/srs"
)

// Config is the command's configuration, from flags and RECALL_* variables:
// the server's own (internal/server's Config, whose fields the flags set
// directly) and what only the command uses.
type Config struct {
	server.Config
	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration
	// PasswordHash is the argon2id cost of new password hashes,
	// "m=KiB,t=PASSES,p=THREADS"; empty for auth.DefaultHashParams.
	PasswordHash string
	// LLMURL is the API root of an OpenAI-compatible chat-completions
	// endpoint; empty: no LLM, the rule-based tutor alone.
	LLMURL       string
	LLMModel     string
	LLMKeyFile   string
	LLMMaxTokens int64
	LLMTimeout   time.Duration
	// LLMKey is not a flag: readLLMKey fills it from --llm-key-file or
	// RECALL_LLM_KEY.
	LLMKey string
}

// DefaultDBPath is where the embedded default keeps its data.
const DefaultDBPath = "recall-data/recall.db"

// listFlag is a repeatable string flag.
type listFlag struct{ list *[]string }

func (f listFlag) String() string {
	if f.list == nil {
		return ""
	}
	return strings.Join(*f.list, ",")
}

func (f listFlag) Set(s string) error {
	*f.list = append(*f.list, s)
	return nil
}

// flags declares the flags every command that opens the database has;
// serveFlags adds the server's own on top.
func (c *Config) flags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("recall "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.DB, "db", "sqlite:"+DefaultDBPath, "primary database: sqlite:PATH (or a plain path), postgres://… or firestore://PROJECT_ID")
	return fs
}

func (c *Config) serveFlags(out io.Writer) *flag.FlagSet {
	fs := c.flags("serve", out)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "serve GET /metrics on a listener of its own at this address (e.g. 127.0.0.1:9090), off the public port; empty: on --addr")
	fs.StringVar(&c.Redis, "redis", "", "Redis URL: redis://[user:pass@]host:port[/db], rediss://… for TLS, redis://h1:p1,h2:p2 for a Cluster, redis-sentinel://[user:pass@]s1:p1,s2:p2/MASTER[?db=N] for Sentinel; empty: in-process equivalents")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", "recall:", "prefix of every Redis key")
	fs.DurationVar(&c.RedisTimeout, "redis-timeout", 100*time.Millisecond, "the longest a request waits for Redis before it falls back (a write's cache invalidation waits up to 1s, or this if longer)")
	fs.BoolVar(&c.NearCache, "near-cache", true, "keep a coherent in-process copy of hot Redis keys (server-assisted client-side caching)")
	fs.IntVar(&c.NearCacheBytes, "near-cache-bytes", 64<<20, "bytes of near-cache per Redis connection")
	fs.BoolVar(&c.Refill, "refill", true, "after a write drops a cached topic list or question bank, put it back in the background (under the same lease as a read miss) so that the next read hits")
	fs.Var(listFlag{&c.RateLimits}, "rate-limit", "override a rate-limit policy, NAME=QUOTA/WINDOW (repeatable), e.g. turns=30/1m")
	fs.StringVar(&c.RateLimitFile, "rate-limit-file", "", "file of extra rate-limit policies, one NAME=QUOTA/WINDOW a line")
	fs.StringVar(&c.RateLimitFailure, "rate-limit-failure", "local", "what the limiter does while Redis is down: open, local or closed")
	fs.IntVar(&c.Instances, "instances", 0, "number of server instances sharing the quota, for the fallback limiter (0: learned from Redis)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is trusted")
	fs.DurationVar(&c.SessionIdle, "session-idle", 2*time.Hour, "a session idle this long expires")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", 24*time.Hour, "a session older than this expires")
	fs.Float64Var(&c.DesiredRetention, "desired-retention", srs.DefaultRetention, "the probability of recall that spaced-repetition reviews are scheduled for, 0.7 to 0.99")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long a shutdown waits for requests in flight")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", 5*time.Second, "the longest one request may work; past it a database that does not answer gives 503")
	fs.StringVar(&c.LLMURL, "llm-url", "", "API root of an OpenAI-compatible chat-completions endpoint, e.g. https://api.openai.com/v1; empty: the rule-based tutor alone")
	fs.StringVar(&c.LLMModel, "llm-model", "", "the LLM's model name (required with --llm-url)")
	fs.StringVar(&c.LLMKeyFile, "llm-key-file", "", "file holding the LLM's API key; without it the key is read from "+llm.KeyEnv)
	fs.Int64Var(&c.LLMMaxTokens, "llm-max-tokens", llm.DefaultMaxTokens, "token budget of one LLM reply")
	fs.DurationVar(&c.LLMTimeout, "llm-timeout", llm.DefaultTimeout, "the longest one LLM call may take, streaming included; past it the rule-based tutor answers")
	fs.StringVar(&c.PasswordHash, "password-hash", "", "argon2id cost of new password hashes, m=KiB,t=PASSES,p=THREADS; empty: m=19456,t=2,p=1 (the OWASP baseline). Lower it only for tests: stored hashes keep the cost they were made with")
	return fs
}

// parse sets fs's flags from args, then every flag that args did not set
// from its environment variable (--redis-prefix ↔ RECALL_REDIS_PREFIX; a
// repeatable flag takes a comma-separated list). A flag wins over its
// variable, and a variable that a flag overrides is not even read.
func parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] {
			return
		}
		name := envName(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		vals := []string{v}
		if _, ok := f.Value.(listFlag); ok {
			vals = strings.Split(v, ",")
		}
		for _, x := range vals {
			if e := f.Value.Set(strings.TrimSpace(x)); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
				return
			}
		}
	})
	return err
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return "RECALL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// validate checks the values that flag parsing cannot.
func (c *Config) validate() error {
	var errs []error
	if c.SessionIdle <= 0 {
		errs = append(errs, errors.New("--session-idle must be positive"))
	}
	if c.SessionLifetime <= 0 {
		errs = append(errs, errors.New("--session-lifetime must be positive"))
	}
	if !srs.ValidRetention(c.DesiredRetention) {
		errs = append(errs, fmt.Errorf("--desired-retention must be between 0.7 and 0.99, not %g", c.DesiredRetention))
	}
	if c.RedisTimeout <= 0 {
		errs = append(errs, errors.New("--redis-timeout must be positive"))
	}
	switch c.RateLimitFailure {
	case "open", "local", "closed":
	default:
		errs = append(errs, fmt.Errorf("--rate-limit-failure must be open, local or closed, not %q", c.RateLimitFailure))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, errors.New("--request-timeout must be positive"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	if c.NearCacheBytes < 0 {
		errs = append(errs, errors.New("--near-cache-bytes must not be negative"))
	}
	if _, err := ratelimit.LoadPolicies(c.RateLimitFile, c.RateLimits); err != nil {
		errs = append(errs, err)
	}
	if _, err := ratelimit.ParseTrustedProxies(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("--trusted-proxies: %w", err))
	}
	if _, _, err := server.ParseDB(c.DB); err != nil {
		errs = append(errs, err)
	}
	if c.Instances < 0 {
		errs = append(errs, errors.New("--instances must not be negative"))
	}
	if c.PasswordHash != "" {
		if _, err := auth.ParseHashParams(c.PasswordHash); err != nil {
			errs = append(errs, fmt.Errorf("--password-hash: %w", err))
		}
	}
	if c.Redis != "" && c.RedisPrefix == "" {
		errs = append(errs, errors.New("--redis-prefix must not be empty"))
	}
	if c.LLMURL == "" {
		if c.LLMModel != "" || c.LLMKeyFile != "" {
			errs = append(errs, errors.New("--llm-model and --llm-key-file need --llm-url"))
		}
	} else {
		lc := c.llmConfig()
		if err := lc.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("--llm-*: %w", err))
		}
	}
	return errors.Join(errs...)
}

// readLLMKey fills LLMKey from --llm-key-file or RECALL_LLM_KEY when an
// LLM is configured.
func (c *Config) readLLMKey(getenv func(string) string) error {
	if c.LLMURL == "" {
		return nil
	}
	key, err := llm.ReadKey(getenv, c.LLMKeyFile)
	if err != nil {
		return fmt.Errorf("--llm-key-file: %w", err)
	}
	c.LLMKey = key
	return nil
}

// llmConfig is the LLM client's configuration (without its budget and
// metrics, which the server adds).
func (c *Config) llmConfig() llm.Config {
	return llm.Config{BaseURL: c.LLMURL, Model: c.LLMModel, Key: c.LLMKey, MaxTokens: c.LLMMaxTokens, Timeout: c.LLMTimeout}
}

// getenvOS reads the process environment.
func getenvOS(name string) string { return os.Getenv(name) }
