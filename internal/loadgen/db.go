package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"
	"github.com/rs/zerolog"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/firestore"
	"github.com/recallhq/recall/postgres"
	"github.com/recallhq/recall/redis"
)

// Template is the database the data set is seeded into once; every mode
// runs on a fresh copy of it, so the modes start from the same data.
type Template struct {
	// URL is the --db value to seed through, without added latency.
	URL string

	id      string
	latency time.Duration
	// SQLite: the template file, the directory of the copies (removed
	// after unless keep), or the path the user named (base; kept).
	path string
	dir  string
	base string
	keep bool
	// PostgreSQL: the connection for CREATE and DROP DATABASE, the
	// template's name, and the toxiproxy in front of the server that adds
	// the latency.
	admin string
	name  string
	pg    *url.URL
	proxy *toxiproxy.Proxy
	// analyzed is set once the template's statistics are gathered.
	analyzed bool
	// Firestore (the emulator): the --db project, the emulator, and the
	// template's project.
	fsBase, fsHost, fsProject string
}

// Database is the fresh primary database of one mode.
type Database struct {
	// ServeURL is the --db value of the server: for PostgreSQL, through
	// the latency proxy.
	ServeURL string
	// WrapStore, when not nil, is what the server must wrap its store in
	// to add the latency itself (WithLatency: SQLite and Firestore; nil for
	// PostgreSQL, whose proxy adds it, and without latency).
	WrapStore func(recall.Store) recall.Store

	close func(ctx context.Context) error
}

// Close removes the database, unless it is a SQLite file the user named.
func (d *Database) Close(ctx context.Context) error {
	if d.close == nil {
		return nil
	}
	return d.close(ctx)
}

// checkLabel checks that a database label is made of letters, digits, '-'
// and '_'.
func checkLabel(label string) error {
	if label == "" {
		return errors.New("empty database label")
	}
	for _, r := range label {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("database label %q: use letters, digits, '-' and '_'", label)
		}
	}
	return nil
}

// NewTemplate makes the empty template database, named after id:
//
//   - spec "": a SQLite file in a new temporary directory; the directory,
//     the template and its copies are removed after;
//   - "sqlite:PATH" or a plain path: the template is PATH-id (before the
//     extension), the copies PATH-label; none may exist yet, all are kept;
//   - "postgres://…": the database <name>_bench_<id>_template, created
//     through spec's connection; the copies are made with CREATE DATABASE …
//     TEMPLATE; all are dropped after. With a latency, the servers reach
//     them through an in-process toxiproxy whose latency toxic holds what
//     they send for that long, so that every round trip pays it once;
//     toxiproxy counts whole milliseconds, so the latency must be one.
//
// For SQLite and Firestore the servers add the latency themselves, before
// every call of their store (Database.WrapStore).
func NewTemplate(ctx context.Context, spec, id string, latency time.Duration) (*Template, error) {
	if err := checkLabel(id); err != nil {
		return nil, err
	}
	if latency < 0 {
		return nil, errors.New("--db-latency must not be negative")
	}
	switch {
	case spec == "":
		dir, err := os.MkdirTemp("", "recall-bench-")
		if err != nil {
			return nil, fmt.Errorf("temporary directory: %w", err)
		}
		path := filepath.Join(dir, "template.db")
		return &Template{URL: "sqlite:" + path, id: id, latency: latency, path: path, dir: dir}, nil
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return newPostgresTemplate(ctx, spec, id, latency)
	case strings.HasPrefix(spec, "firestore://"):
		return newFirestoreTemplate(spec, id, latency)
	case strings.HasPrefix(spec, "sqlite:"), !strings.Contains(spec, "://"):
		path := strings.TrimPrefix(strings.TrimPrefix(spec, "sqlite:"), "//")
		if path == "" {
			return nil, errors.New("--db: empty SQLite path")
		}
		t := &Template{id: id, latency: latency, path: labelled(path, id+"-template"), base: path, keep: true}
		if err := mustNotExist(t.path); err != nil {
			return nil, err
		}
		t.URL = "sqlite:" + t.path
		return t, nil
	default:
		return nil, fmt.Errorf("--db %q: the benchmark runs on SQLite, PostgreSQL or Firestore's emulator (sqlite:PATH, postgres://… or firestore://PROJECT_ID)", postgres.RedactURL(spec))
	}
}

// labelled inserts "-label" before path's extension.
func labelled(path, label string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + label + ext
}

func mustNotExist(path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("--db: %s exists already; the benchmark needs fresh databases", path)
	}
	return nil
}

// Clone returns a fresh copy of the seeded template, named after label.
// The template must be closed by whoever seeded it (no open connection).
func (t *Template) Clone(ctx context.Context, label string) (*Database, error) {
	if err := checkLabel(label); err != nil {
		return nil, err
	}
	if t.pg != nil {
		return t.clonePostgres(ctx, label)
	}
	if t.fsProject != "" {
		return t.cloneFirestore(ctx, label)
	}
	var dst string
	if t.keep {
		dst = labelled(t.base, t.id+"-"+label)
	} else {
		dst = filepath.Join(t.dir, label+".db")
	}
	if err := mustNotExist(dst); err != nil {
		return nil, err
	}
	remove := func(context.Context) error {
		var errs []error
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(dst + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	// The WAL holds committed pages not yet checkpointed: copy it too.
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(t.path+suffix, dst+suffix); err != nil {
			if suffix != "" && errors.Is(err, os.ErrNotExist) {
				continue
			}
			_ = remove(ctx)
			return nil, fmt.Errorf("copy the seeded database: %w", err)
		}
	}
	d := &Database{ServeURL: "sqlite:" + dst, WrapStore: t.wrapStore()}
	if !t.keep {
		d.close = remove
	}
	return d, nil
}

// wrapStore is the Database.WrapStore of an in-process database.
func (t *Template) wrapStore() func(recall.Store) recall.Store {
	if t.latency <= 0 {
		return nil
	}
	return func(s recall.Store) recall.Store { return WithLatency(s, t.latency) }
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Close removes the template (and, for the default, its directory), and
// stops the proxy.
func (t *Template) Close(ctx context.Context) error {
	switch {
	case t.fsProject != "":
		return firestore.ResetEmulator(ctx, t.fsHost, t.fsProject)
	case t.pg != nil:
		var errs []error
		if t.proxy != nil {
			t.proxy.Stop()
		}
		errs = append(errs, t.dropPostgres(ctx, t.name))
		return errors.Join(errs...)
	case !t.keep:
		return os.RemoveAll(t.dir)
	}
	return nil
}

// newPostgresTemplate creates the template database on the server of spec.
func newPostgresTemplate(ctx context.Context, spec, id string, latency time.Duration) (*Template, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	if u.Host == "" || strings.Contains(u.Host, ",") {
		return nil, fmt.Errorf("--db %q: the benchmark needs one host:port", postgres.RedactURL(spec))
	}
	if latency%time.Millisecond != 0 {
		return nil, fmt.Errorf("--db-latency %s: PostgreSQL's latency comes from a toxiproxy, which counts whole milliseconds", latency)
	}
	// The pool settings (pool_max_conns, …) are pgxpool's, not the
	// server's: the one-off admin connections must not send them.
	admin := *u
	q := admin.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	admin.RawQuery = q.Encode()
	t := &Template{id: id, latency: latency, admin: admin.String(), pg: u}
	t.name = t.pgName(id + "_template")
	if err := t.execAdmin(ctx, "CREATE DATABASE "+pgx.Identifier{t.name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", t.name, err)
	}
	t.URL = t.pgURL(t.name, u.Host)
	if latency > 0 {
		host, port := u.Hostname(), u.Port()
		if port == "" {
			port = "5432"
		}
		p, err := latencyProxy(net.JoinHostPort(host, port), latency)
		if err != nil {
			_ = t.dropPostgres(context.WithoutCancel(ctx), t.name)
			return nil, err
		}
		t.proxy = p
	}
	return t, nil
}

// latencyProxy starts a toxiproxy on 127.0.0.1:0 to upstream whose latency
// toxic holds what the client sends for latency (a whole number of
// milliseconds, toxiproxy's unit): the whole latency on the way in, so a
// round trip pays it once, with one timer's slack, as a SQLite call does.
// The toxic delays data, it does not throttle it: later chunks are read
// while earlier ones wait, each leaving at its own arrival plus latency.
func latencyProxy(upstream string, latency time.Duration) (*toxiproxy.Proxy, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "postgres", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("latency proxy: %w", err)
	}
	toxic := fmt.Sprintf(`{"name":"latency","type":"latency","stream":"upstream","toxicity":1,"attributes":{"latency":%d}}`, latency.Milliseconds())
	if _, err := p.Toxics.AddToxicJson(strings.NewReader(toxic)); err != nil {
		p.Stop()
		return nil, fmt.Errorf("latency proxy: %w", err)
	}
	return p, nil
}

// pgName is the name of a database of this benchmark.
func (t *Template) pgName(suffix string) string {
	base := strings.TrimPrefix(t.pg.Path, "/")
	if base == "" {
		base = "recall"
	}
	name := strings.ToLower(strings.ReplaceAll(base+"_bench_"+suffix, "-", "_"))
	if len(name) > 63 {
		name = name[len(name)-63:]
	}
	return name
}

// pgURL is spec with another database and host:port.
func (t *Template) pgURL(name, hostport string) string {
	u := *t.pg
	u.Path = "/" + name
	u.Host = hostport
	return u.String()
}

func (t *Template) execAdmin(ctx context.Context, sql string) error {
	c, err := pgx.Connect(ctx, t.admin)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL %s: %w", postgres.RedactURL(t.admin), err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	_, err = c.Exec(ctx, sql)
	return err
}

func (t *Template) dropPostgres(ctx context.Context, name string) error {
	return t.execAdmin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// analyzePostgres vacuums and analyzes the seeded template (VACUUM
// ANALYZE), which its copies inherit. A database in service has both from
// autovacuum; a freshly seeded one has neither. Without the planner's
// statistics PostgreSQL estimates the topic-list statement at about 100
// times its cost, past jit_above_cost, and JIT-compiles it on every run
// (EXPLAIN ANALYZE on a copy: 325 ms, of which 130 ms compiling), so that
// `none` would measure the compiler. Without the visibility map that
// VACUUM sets, the topic reads' index-only scan of question IDs reads
// every question's row anyway.
func (t *Template) analyzePostgres(ctx context.Context) error {
	u, err := url.Parse(t.admin)
	if err != nil {
		return err
	}
	u.Path = "/" + t.name
	c, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL %s: %w", postgres.RedactURL(u.String()), err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return fmt.Errorf("vacuum and analyze the seeded database: %w", err)
	}
	return nil
}

func (t *Template) clonePostgres(ctx context.Context, label string) (*Database, error) {
	if !t.analyzed {
		if err := t.analyzePostgres(ctx); err != nil {
			return nil, err
		}
		t.analyzed = true
	}
	name := t.pgName(t.id + "_" + label)
	if err := t.execAdmin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{t.name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("copy the seeded database: %w", err)
	}
	host := t.pg.Host
	if t.proxy != nil {
		host = t.proxy.Listen
	}
	return &Database{ServeURL: t.pgURL(name, host), close: func(ctx context.Context) error { return t.dropPostgres(ctx, name) }}, nil
}

// DeleteRedisKeys deletes every key that starts with prefix, on every
// node, with SCAN and DEL (never FLUSHALL), and returns how many it deleted.
// prefix must be a plain prefix (no glob characters) of 8 or more characters,
// so that a mistake cannot delete another deployment's keys.
func DeleteRedisKeys(ctx context.Context, redisURL, prefix string) (int, error) {
	if len(prefix) < 8 || strings.ContainsAny(prefix, `*?[]\`) {
		return 0, fmt.Errorf("refusing to delete the keys of prefix %q", prefix)
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return 0, fmt.Errorf("--redis: %w", err)
	}
	opt.DisableCache = true
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		return 0, fmt.Errorf("connect to Redis %s: %w", redis.Redact(redisURL), err)
	}
	defer rc.Close()
	n := 0
	for _, node := range rc.Nodes() {
		var cursor uint64
		for {
			e, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				return n, fmt.Errorf("SCAN: %w", err)
			}
			if len(e.Elements) > 0 {
				cmds := make(rueidis.Commands, len(e.Elements))
				for i, k := range e.Elements {
					cmds[i] = rc.B().Del().Key(k).Build()
				}
				for _, r := range rc.DoMulti(ctx, cmds...) {
					if err := r.Error(); err != nil {
						return n, fmt.Errorf("DEL: %w", err)
					}
				}
				n += len(e.Elements)
			}
			cursor = e.Cursor
			if cursor == 0 {
				break
			}
		}
	}
	return n, nil
}
