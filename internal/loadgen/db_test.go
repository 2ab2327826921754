package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"
)

const (
	testRedis    = "redis://127.0.0.1:6379"
	testPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

func TestTemplateSQLiteDefault(t *testing.T) {
	ctx := context.Background()
	tmpl, err := NewTemplate(ctx, "", "t1", 2*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(tmpl.URL, "sqlite:")
	if err := os.WriteFile(path, []byte("seeded"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+"-wal", []byte("wal"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := tmpl.Clone(ctx, "none")
	if err != nil {
		t.Fatal(err)
	}
	// The server adds the latency itself, with the store wrapper.
	if db.WrapStore == nil {
		t.Fatal("WrapStore is nil, want WithLatency's 2ms")
	}
	if ls, ok := db.WrapStore(nil).(*latencyStore); !ok || ls.d != 2*time.Millisecond {
		t.Errorf("WrapStore(s) = %#v, want WithLatency(s, 2ms)", db.WrapStore(nil))
	}
	clone := strings.TrimPrefix(db.ServeURL, "sqlite:")
	for suffix, want := range map[string]string{"": "seeded", "-wal": "wal"} {
		if b, err := os.ReadFile(clone + suffix); err != nil || string(b) != want {
			t.Errorf("copy%s = %q, %v; want %q", suffix, b, err, want)
		}
	}
	if _, err := tmpl.Clone(ctx, "none"); err == nil {
		t.Error("a second clone with the same label overwrote the first")
	}
	if _, err := tmpl.Clone(ctx, "../escape"); err == nil {
		t.Error("Clone accepted a label with a path in it")
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(clone); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy is still there after Close: %v", err)
	}
	if err := tmpl.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary directory is still there after Close: %v", err)
	}
}

func TestTemplateSQLiteNamedPathIsKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	base := filepath.Join(dir, "bench.db")
	tmpl, err := NewTemplate(ctx, "sqlite:"+base, "r1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sqlite:" + filepath.Join(dir, "bench-r1-template.db"); tmpl.URL != want {
		t.Fatalf("template URL %q, want %q", tmpl.URL, want)
	}
	if err := os.WriteFile(strings.TrimPrefix(tmpl.URL, "sqlite:"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := tmpl.Clone(ctx, "redis")
	if err != nil {
		t.Fatal(err)
	}
	if want := "sqlite:" + filepath.Join(dir, "bench-r1-redis.db"); db.ServeURL != want {
		t.Fatalf("copy URL %q, want %q", db.ServeURL, want)
	}
	if db.WrapStore != nil {
		t.Error("WrapStore is set without a latency")
	}
	if err := errors.Join(db.Close(ctx), tmpl.Close(ctx)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bench-r1-template.db", "bench-r1-redis.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s, which the user asked for, was removed: %v", name, err)
		}
	}
	if _, err := NewTemplate(ctx, "sqlite:"+base, "r1", 0); err == nil {
		t.Error("NewTemplate reused an existing file")
	}
	if _, err := NewTemplate(ctx, "firestore://project", "r2", 0); err == nil {
		t.Error("NewTemplate accepted a firestore database")
	}
}

// pgExists reports whether the database name exists.
func pgExists(t *testing.T, name string) bool {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, testPostgres)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestTemplatePostgresThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL: skipped under -short")
	}
	ctx := context.Background()
	id := "t" + runID()
	// toxiproxy counts whole milliseconds: refused before anything is made.
	if _, err := NewTemplate(ctx, testPostgres, id, 1500*time.Microsecond); err == nil || !strings.Contains(err.Error(), "whole milliseconds") {
		t.Fatalf("NewTemplate(1.5ms) = %v, want a refusal of a latency toxiproxy cannot hold", err)
	}
	tmpl, err := NewTemplate(ctx, testPostgres, id, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tmpl.Close(context.Background()) })
	// Seed the template directly (no proxy, no latency).
	c, err := pgx.Connect(ctx, tmpl.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE seeded (v text); INSERT INTO seeded VALUES ('hello')"); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)

	db, err := tmpl.Clone(ctx, "near")
	if err != nil {
		t.Fatal(err)
	}
	if db.WrapStore != nil {
		t.Error("WrapStore is set, want nil: the proxy adds the latency")
	}
	if strings.Contains(db.ServeURL, ":5432") {
		t.Fatalf("the server's URL %q bypasses the proxy", db.ServeURL)
	}
	c, err = pgx.Connect(ctx, db.ServeURL)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var v string
	if err := c.QueryRow(ctx, "SELECT v FROM seeded").Scan(&v); err != nil {
		t.Fatal(err)
	}
	// One round trip at least, through a proxy holding requests 10ms.
	if rtt := time.Since(start); rtt < 10*time.Millisecond {
		t.Errorf("a query through the proxy took %v, want ≥ 10ms", rtt)
	}
	if v != "hello" {
		t.Fatalf("the copy holds %q, want the template's row", v)
	}
	// The template was analyzed before it was copied: the copy has the
	// planner's statistics of the seeded table.
	var stats int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_stats WHERE tablename = 'seeded'").Scan(&stats); err != nil {
		t.Fatal(err)
	}
	if stats == 0 {
		t.Error("the copy has no statistics of the seeded table: the template was not analyzed")
	}
	// And vacuumed: the copy's visibility map marks the seeded page
	// all-visible, which index-only scans need.
	var visible int
	if err := c.QueryRow(ctx, "SELECT relallvisible FROM pg_class WHERE relname = 'seeded'").Scan(&visible); err != nil {
		t.Fatal(err)
	}
	if visible == 0 {
		t.Error("the copy's seeded table has no all-visible page: the template was not vacuumed")
	}
	c.Close(ctx)
	u, err := url.Parse(db.ServeURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if !pgExists(t, name) {
		t.Fatalf("database %s does not exist", name)
	}
	if err := db.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if pgExists(t, name) {
		t.Errorf("database %s survived Close", name)
	}
	if err := tmpl.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if pgExists(t, tmpl.name) {
		t.Errorf("template %s survived Close", tmpl.name)
	}
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("the proxy at %s still accepts connections after Close", u.Host)
	}
}

// countKeys counts the keys that start with prefix.
func countKeys(t *testing.T, rc rueidis.Client, prefix string) int {
	t.Helper()
	n := 0
	var cursor uint64
	for {
		e, err := rc.Do(context.Background(), rc.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Fatal(err)
		}
		n += len(e.Elements)
		if cursor = e.Cursor; cursor == 0 {
			return n
		}
	}
}

func TestDeleteRedisKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Redis: skipped under -short")
	}
	ctx := context.Background()
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{"127.0.0.1:6379"}, DisableCache: true})
	if err != nil {
		t.Fatalf("Redis at 127.0.0.1:6379: %v", err)
	}
	defer rc.Close()
	prefix := "test:bench:" + runID() + ":"
	other := "test:bench:" + runID() + ":" // another run: must survive
	t.Cleanup(func() { _, _ = DeleteRedisKeys(context.Background(), testRedis, other) })
	for i := range 2500 {
		if err := rc.Do(ctx, rc.B().Set().Key(fmt.Sprintf("%sk%d", prefix, i)).Value("v").Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rc.Do(ctx, rc.B().Set().Key(other+"keep").Value("v").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	n, err := DeleteRedisKeys(ctx, testRedis, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2500 {
		t.Errorf("deleted %d keys, want 2500", n)
	}
	if left := countKeys(t, rc, prefix); left != 0 {
		t.Errorf("%d keys of the prefix are left", left)
	}
	if v, err := rc.Do(ctx, rc.B().Get().Key(other+"keep").Build()).ToString(); err != nil || v != "v" {
		t.Errorf("another prefix's key is gone: %q, %v", v, err)
	}
	for _, bad := range []string{"", "recall:", "x*y:abcdef", "bench:[a]:"} {
		if _, err := DeleteRedisKeys(ctx, testRedis, bad); err == nil {
			t.Errorf("DeleteRedisKeys(%q) = nil error, want a refusal", bad)
		}
	}
}
