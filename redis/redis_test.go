package redis_test

import (
	"context"
	"crypto/tls"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
	"github.com/recallhq/recall/sqlite"
	"github.com/recallhq/recall/storetest"
)

// openSQLite opens a primary store in a file of the test's own, closed
// after the test.
func openSQLite(tb testing.TB) *sqlite.Store {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "recall.db"), sqlite.Options{})
	return storetest.Opened(tb, db, err)
}

// seedTopic creates, in db, a user whose name starts with name and a topic
// of the user's.
func seedTopic(tb testing.TB, db *sqlite.Store, name string, now time.Time) (*recall.User, *recall.Topic) {
	tb.Helper()
	ctx := context.Background()
	u := &recall.User{ID: recall.NewID(), Username: name + recall.NewID()[:8], CreatedAt: now}
	if err := db.CreateUser(ctx, u, "hash"); err != nil {
		tb.Fatal(err)
	}
	tp := &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: "T", CreatedAt: now, UpdatedAt: now}
	if err := db.CreateTopic(ctx, tp); err != nil {
		tb.Fatal(err)
	}
	return u, tp
}

// connect returns a Client on the shared Redis with a key prefix of its
// own, deleted after the test.
func connect(tb testing.TB, opts redis.Options) *redis.Client {
	tb.Helper()
	if opts.Prefix == "" {
		opts.Prefix = redistest.Prefix(tb)
	}
	return connectURL(tb, redistest.SharedURL, opts)
}

// testTimeout bounds every call of a test's client unless the test sets
// its own Timeout. The production default (100 ms) is about when to give
// up on Redis in a request; a test that is not about timeouts must not
// fail because a loaded machine answered slower than that (the Cluster
// contract suites did, twice, under a parallel load).
const testTimeout = 10 * time.Second

func connectURL(tb testing.TB, url string, opts redis.Options) *redis.Client {
	tb.Helper()
	redistest.SkipShort(tb)
	if opts.Timeout == 0 {
		opts.Timeout = testTimeout
	}
	c, err := redis.Connect(context.Background(), url, opts)
	if err != nil {
		tb.Fatalf("Connect(%s): %v", url, err)
	}
	tb.Cleanup(c.Close)
	return c
}

func TestParseURL(t *testing.T) {
	for _, tt := range []struct {
		name, url string
		ok        bool
		live      bool // the outcome depends on the shared Redis
	}{
		{"Standalone", "redis://127.0.0.1:6379", true, true},
		{"DefaultPort", "redis://127.0.0.1", true, true},
		{"UserPasswordDB", "redis://default:@127.0.0.1:6379/0", true, true},
		// Seed nodes are for a Cluster: a standalone server refuses.
		{"SeedsOfAStandaloneServer", "redis://127.0.0.1:6379,127.0.0.1:6379", false, true},
		{"BadScheme", "http://127.0.0.1:6379", false, false},
		{"NoScheme", "127.0.0.1:6379", false, false},
		{"EmptySeed", "redis://127.0.0.1:6379,", false, false},
		{"BadDB", "redis://127.0.0.1:6379/x", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.live {
				redistest.SkipShort(t)
			}
			c, err := redis.Connect(context.Background(), tt.url, redis.Options{Prefix: "test:url:"})
			if tt.ok != (err == nil) {
				t.Fatalf("Connect(%q) = %v; want ok=%v", tt.url, err, tt.ok)
			}
			if err != nil {
				return
			}
			defer c.Close()
			if got := c.Status(context.Background()); got != redis.StatusOK {
				t.Fatalf("Status = %q; want ok", got)
			}
		})
	}
}

func TestParseURL_RedactsPassword(t *testing.T) {
	_, err := redis.Connect(context.Background(), "redis://user:s3cret@127.0.0.1:6379/x", redis.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error = %v; want an error that does not show the password", err)
	}
	// Before a "://" that ends no scheme, the userinfo of a URL without
	// one (found by FuzzParseURL).
	for _, u := range []string{"//:s3cret@h://", "x y://u:s3cret@h"} {
		if got := redis.Redact(u); strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) = %q; want no password", u, got)
		}
	}
}

func TestConnect_WrongPasswordIsRefused(t *testing.T) {
	redistest.SkipShort(t)
	_, err := redis.Connect(context.Background(), "redis://nobody:wrong@"+redistest.SharedAddr, redis.Options{})
	if err == nil {
		t.Fatal("Connect with a wrong password succeeded")
	}
}

func TestConnect_TLSToAPlainServerDegrades(t *testing.T) {
	// rediss:// turns TLS on: the handshake with a plain server fails,
	// which is Redis not being reachable, not a refusal.
	c, err := redis.Connect(context.Background(), "rediss://"+redistest.SharedAddr, redis.Options{DialTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("Connect(rediss://) = %v; want a degraded client", err)
	}
	defer c.Close()
	if got := c.Status(context.Background()); got != redis.StatusDegraded {
		t.Fatalf("Status = %q; want degraded", got)
	}
}

func TestConnect_TLS(t *testing.T) {
	srv := redistest.StartTLSServer(t)
	c := connectURL(t, srv.URL, redis.Options{Prefix: "test:tls:", TLSConfig: &tls.Config{RootCAs: srv.RootCAs, MinVersion: tls.VersionTLS12}})
	if got := c.Status(context.Background()); got != redis.StatusOK {
		t.Fatalf("Status over TLS = %q; want ok", got)
	}
	b := redis.NewBackend(c)
	fill(t, b, "k:{tls}", "v")
	if v, ok, err := b.Get(context.Background(), "k:{tls}"); err != nil || !ok || string(v) != "v" {
		t.Fatalf("Get over TLS = %q, %v, %v", v, ok, err)
	}
	// Without trusting the certificate the client cannot connect.
	bad := connectURL(t, srv.URL, redis.Options{Prefix: "test:tls:", DialTimeout: 300 * time.Millisecond})
	if got := bad.Status(context.Background()); got != redis.StatusDegraded {
		t.Fatalf("Status with an untrusted certificate = %q; want degraded", got)
	}
}

func TestConnect_RedisDownAtStartThenUp(t *testing.T) {
	srv := redistest.StartServer(t)
	srv.Kill(t)
	m := metrics.New(nil)
	c := connectURL(t, srv.URL, redis.Options{
		Prefix: "test:down:", BreakerCooldown: 50 * time.Millisecond,
		DialTimeout: 200 * time.Millisecond, Metrics: m,
	})
	if got := c.Status(context.Background()); got != redis.StatusDegraded {
		t.Fatalf("Status with Redis down = %q; want degraded", got)
	}
	b := redis.NewBackend(c)
	if _, _, err := b.Get(context.Background(), "k:{1}"); !errors.Is(err, redis.ErrUnavailable) {
		t.Fatalf("Get with Redis down = %v; want ErrUnavailable", err)
	}
	srv.Start(t)
	waitFor(t, 10*time.Second, "the client connects once Redis is up", func() bool {
		return c.Status(context.Background()) == redis.StatusOK
	})
	if _, _, err := b.Get(context.Background(), "k:{1}"); err != nil {
		t.Fatalf("Get once Redis is up = %v", err)
	}
}

// waitFor polls cond until it holds or the bound passes.
func waitFor(tb testing.TB, bound time.Duration, what string, cond func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > bound {
			tb.Fatalf("timed out after %v waiting until %s", bound, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}
