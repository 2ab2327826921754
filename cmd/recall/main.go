// Command recall runs the Recall learning backend.
//
//	recall serve     run the HTTP server (embedded SQLite by default)
//	recall migrate   apply the database migrations and exit
//	recall version   print the version
//	recall bench     run the load generator
//	recall admin     grant or revoke the admin role of a user
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/recallhq/recall/internal/server"
)

// version is the release this source tree is.
const version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the default handling comes back: a
		// second Ctrl-C ends a shutdown that takes too long.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, getenvOS)
	stop()
	os.Exit(code)
}

// run is the one exit point: it returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr, getenv)
	case "migrate":
		err = runMigrate(ctx, args[1:], stdout, stderr, getenv)
	case "bench":
		err = runBench(ctx, args[1:], stdout, stderr)
	case "admin":
		err = runAdmin(ctx, args[1:], stdout, stderr, getenv)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "recall: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "recall: %v\n", err)
		return 1
	}
}

// errUsage marks an error already explained by the flag package.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: recall <command> [flags]

commands:
  serve     run the HTTP server (no flags: embedded SQLite in ./recall-data/, no Redis)
  migrate   apply the database migrations and exit
  bench     run the load generator and print a report
  admin     grant or revoke the admin role: recall admin grant|revoke USERNAME
  version   print the version

Run 'recall <command> -h' for the flags of a command. Every flag can also be
set with an environment variable: --redis-prefix is RECALL_REDIS_PREFIX.
`)
}

func versionString() string {
	s := "recall " + version
	if bi, ok := debug.ReadBuildInfo(); ok {
		s += " (" + bi.GoVersion
		for _, st := range bi.Settings {
			if st.Key == "vcs.revision" && len(st.Value) >= 12 {
				s += ", " + st.Value[:12]
			}
		}
		s += ")"
	}
	return s
}

// parseFlags parses args into fs, turning flag errors into errUsage (the
// flag package has already printed them).
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := parse(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		fmt.Fprintf(fs.Output(), "%s: %v\n", fs.Name(), err)
		return errUsage
	}
	return nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg Config
	fs := cfg.serveFlags(stderr)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if err := cfg.readLLMKey(getenv); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	logger, err := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	m := NewMain(cfg, logger)
	if err := m.Open(ctx); err != nil {
		m.Close(context.Background())
		return err
	}
	fmt.Fprintf(stdout, "recall %s listening on http://%s (database: %s, redis: %s)\n", version, m.Addr(), m.DBDescription(), m.RedisDescription())
	if a := m.MetricsAddr(); a != "" {
		fmt.Fprintf(stdout, "metrics on http://%s/metrics\n", a)
	}
	errc := make(chan error, 1)
	go func() { errc <- m.Serve() }()
	select {
	case err := <-errc:
		m.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := m.Close(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg Config
	fs := cfg.flags("migrate", stderr)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	logger, err := newLogger(stderr, "info", "text")
	if err != nil {
		return err
	}
	store, desc, err := server.OpenStore(ctx, cfg.DB, logger, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintf(stdout, "migrations applied to %s\n", desc)
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
