package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/internal/server"
	"github.com/recallhq/recall/redis"
)

// runAdmin runs `recall admin grant|revoke USERNAME`: it gives or takes the
// admin role of a user in the primary database and, with --redis, drops the
// user's cached copy, so that every running instance reads the new role at
// the user's next request.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || (args[0] != "grant" && args[0] != "revoke") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			adminUsage(stdout)
			return flag.ErrHelp
		}
		adminUsage(stderr)
		return errUsage
	}
	action := args[0]
	var cfg Config
	fs := cfg.flags("admin "+action, stderr)
	fs.StringVar(&cfg.Redis, "redis", "", "Redis URL of the running servers, whose cached copy of the user is dropped; empty: no Redis")
	fs.StringVar(&cfg.RedisPrefix, "redis-prefix", "recall:", "prefix of every Redis key")
	fs.Usage = func() { adminUsage(stderr); fs.PrintDefaults() }
	// Flags may come before or after the username: parse, take the
	// positional arguments out, parse what follows them, then read the
	// environment for the flags left unset.
	var names []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if err := parseFlags(fs, nil, getenv); err != nil {
		return err
	}
	switch {
	case len(names) == 0:
		fmt.Fprintf(stderr, "recall admin %s: missing USERNAME\n", action)
		return errUsage
	case len(names) > 1:
		fmt.Fprintf(stderr, "recall admin %s: unexpected argument %q\n", action, names[1])
		return errUsage
	}
	username := names[0]
	logger, err := newLogger(stderr, "warn", "text")
	if err != nil {
		return err
	}
	store, _, err := server.OpenStore(ctx, cfg.DB, logger, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	var users recall.UserStore = store
	if cfg.Redis != "" {
		rc, err := redis.Connect(ctx, cfg.Redis, redis.Options{Prefix: cfg.RedisPrefix, DisableNearCache: true, Logger: logger})
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		defer rc.Close()
		// The cache decorator's SetAdmin drops the user's key by the rule
		// of cache/rules.go: the same code path as a server's writes.
		users = cache.NewUserStore(store, redis.NewBackend(rc), cache.Options{Logger: logger})
	}

	c := recall.Credentials{Username: username}
	c.Normalize()
	u, _, err := users.UserByUsername(ctx, c.Username)
	if recall.IsCode(err, recall.ENOTFOUND) {
		return fmt.Errorf("no user %q", username)
	} else if err != nil {
		return err
	}
	grant := action == "grant"
	if err := users.SetAdmin(ctx, u.ID, grant); recall.IsCode(err, recall.ENOTFOUND) {
		return fmt.Errorf("no user %q", username)
	} else if err != nil {
		return err
	}
	switch {
	case grant && u.Admin:
		fmt.Fprintf(stdout, "%s was already an admin\n", u.Username)
	case grant:
		fmt.Fprintf(stdout, "%s is now an admin\n", u.Username)
	case u.Admin:
		fmt.Fprintf(stdout, "%s is no longer an admin\n", u.Username)
	default:
		fmt.Fprintf(stdout, "%s was not an admin\n", u.Username)
	}
	return nil
}

func adminUsage(w io.Writer) {
	fmt.Fprint(w, strings.TrimLeft(`
usage: recall admin grant USERNAME [flags]
       recall admin revoke USERNAME [flags]

Gives or takes the admin role, which opens the operations page (/ops) and
GET /v1/ops. Use the --db (and, for a deployment with Redis, --redis and
--redis-prefix) that the servers use.
`, "\n"))
}
