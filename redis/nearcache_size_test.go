package redis_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/redis"
)

// get reads key through b and fails the test unless it holds want.
func get(tb testing.TB, b cache.Backend, key, want string) {
	tb.Helper()
	if v, ok, err := b.Get(context.Background(), key); err != nil || !ok || string(v) != want {
		tb.Fatalf("Get(%s) = %q, %v, %v; want %q", key, v, ok, err, want)
	}
}

// TestNearCacheSize: the reads of cache keys fill the near-cache, which the
// Client and the gauges report; a write by another client empties the
// copy of its key; closing the Client empties the rest.
func TestNearCacheSize(t *testing.T) {
	m := metrics.New(nil)
	c := connect(t, redis.Options{Metrics: m})
	b := redis.NewBackend(c)
	other := connect(t, redis.Options{Prefix: c.Prefix(), DisableNearCache: true})
	ctx := context.Background()
	if e, n := c.NearCacheSize(); e != 0 || n != 0 {
		t.Fatalf("a new Client's near-cache holds %d entries, %d bytes; want 0, 0", e, n)
	}
	val := strings.Repeat("v", 1000)
	for i := range 10 {
		fill(t, b, fmt.Sprintf("k:{%d}", i), val)
	}
	l, err := b.Lease(ctx, "h:{x}", true, 10*time.Second)
	if err != nil || l.Token == "" {
		t.Fatalf("Lease = %+v, %v", l, err)
	}
	if ok, err := b.FillHash(ctx, "h:{x}", l.Token, map[string][]byte{"a": []byte(val)}, time.Minute); !ok || err != nil {
		t.Fatalf("FillHash = %v, %v", ok, err)
	}
	for range 2 {
		for i := range 10 {
			get(t, b, fmt.Sprintf("k:{%d}", i), val)
		}
		if f, ok, err := b.GetHash(ctx, "h:{x}"); err != nil || !ok || string(f["a"]) != val {
			t.Fatalf("GetHash = %v, %v, %v", f, ok, err)
		}
	}
	entries, bytes := c.NearCacheSize()
	t.Logf("11 keys read twice: %d entries, %d bytes", entries, bytes)
	if entries != 11 {
		t.Fatalf("near-cache holds %d entries after reading 11 keys; want 11", entries)
	}
	if bytes < 11*1000 || bytes > 11*4000 {
		t.Fatalf("near-cache holds %d bytes for 11 values of 1000 bytes; want between 11000 and 44000", bytes)
	}
	if g, n := testutil.ToFloat64(m.NearCacheEntries), testutil.ToFloat64(m.NearCacheBytes); g != float64(entries) || n != float64(bytes) {
		t.Fatalf("gauges say %v entries, %v bytes; the Client %d, %d", g, n, entries, bytes)
	}

	// Another client's plain write: Redis's invalidation push drops the copy.
	rc := other.Rueidis()
	if err := rc.Do(ctx, rc.B().Set().Key(c.Prefix()+"k:{3}").Value("new").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the write's invalidation drops one entry", func() bool {
		e, _ := c.NearCacheSize()
		return e == entries-1
	})
	if _, n := c.NearCacheSize(); n >= bytes {
		t.Fatalf("bytes %d after an invalidation; want fewer than %d", n, bytes)
	}
	get(t, b, "k:{3}", "new")
	// And another instance's invalidation through its Backend.
	if err := redis.NewBackend(other).Invalidate(ctx, "k:{4}", "h:{x}"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the invalidation of two keys drops their entries", func() bool {
		e, _ := c.NearCacheSize()
		return e == entries-2
	})

	c.Close()
	waitFor(t, 10*time.Second, "a closed Client's near-cache is empty", func() bool {
		e, n := c.NearCacheSize()
		return e == 0 && n == 0
	})
}

// TestNearCacheSize_Off: without the near-cache nothing is held.
func TestNearCacheSize_Off(t *testing.T) {
	m := metrics.New(nil)
	c := connect(t, redis.Options{Metrics: m, DisableNearCache: true})
	b := redis.NewBackend(c)
	fill(t, b, "k:{1}", "v")
	get(t, b, "k:{1}", "v")
	if e, n := c.NearCacheSize(); e != 0 || n != 0 {
		t.Fatalf("near-cache off holds %d entries, %d bytes", e, n)
	}
	if g := testutil.ToFloat64(m.NearCacheEntries); g != 0 {
		t.Fatalf("entries gauge = %v with the near-cache off", g)
	}
}

// TestNearCacheTTL: a copy older than NearCacheTTL is read from Redis
// again, and so is one whose key expired in Redis.
func TestNearCacheTTL(t *testing.T) {
	const ttl = 300 * time.Millisecond
	m := metrics.New(nil)
	c := connect(t, redis.Options{Metrics: m, NearCacheTTL: ttl})
	b := redis.NewBackend(c)
	trips := func() int { return int(testutil.ToFloat64(m.RedisCalls.WithLabelValues("get"))) }
	fill(t, b, "k:{1}", "v")
	get(t, b, "k:{1}", "v")
	if e, _ := c.NearCacheSize(); e != 1 {
		t.Fatalf("%d entries after one read; want 1", e)
	}
	before := trips()
	time.Sleep(ttl + 100*time.Millisecond)
	get(t, b, "k:{1}", "v")
	if got := trips() - before; got != 1 {
		t.Fatalf("a read after the near-cache TTL made %d round trips; want 1", got)
	}
	if e, _ := c.NearCacheSize(); e != 1 {
		t.Fatalf("%d entries after the copy was read again; want 1 (the old one replaced)", e)
	}

	// The key's own TTL in Redis bounds the copy too (NearCacheTTL is
	// long here): once the key is gone, a read misses.
	c2 := connect(t, redis.Options{Metrics: m, Prefix: c.Prefix()})
	b2 := redis.NewBackend(c2)
	rc := c2.Rueidis()
	ctx := context.Background()
	if err := rc.Do(ctx, rc.B().Set().Key(c.Prefix()+"short").Value("s").Px(ttl).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	get(t, b2, "short", "s")
	time.Sleep(ttl + 100*time.Millisecond)
	if v, ok, err := b2.Get(ctx, "short"); err != nil || ok {
		t.Fatalf("Get of a key expired in Redis = %q, %v, %v; want a miss", v, ok, err)
	}
}

// TestNearCacheBytesBound: reading many more keys than NearCacheBytes
// holds keeps the near-cache within it, and a key read between the others
// stays (CLOCK: a copy read since the last pass is spared).
func TestNearCacheBytesBound(t *testing.T) {
	const bound = 64 << 10
	m := metrics.New(nil)
	c := connect(t, redis.Options{Metrics: m, NearCacheBytes: bound})
	b := redis.NewBackend(c)
	val := strings.Repeat("x", 1024)
	const keys = 300 // about 300 KiB of values
	for i := range keys {
		fill(t, b, fmt.Sprintf("k:{%d}", i), val)
	}
	fill(t, b, "hot", "h")
	get(t, b, "hot", "h")
	worst := int64(0)
	trips0 := testutil.ToFloat64(m.RedisCalls.WithLabelValues("get"))
	for i := range keys {
		get(t, b, fmt.Sprintf("k:{%d}", i), val)
		get(t, b, "hot", "h")
		_, n := c.NearCacheSize()
		worst = max(worst, n)
	}
	if trips := int(testutil.ToFloat64(m.RedisCalls.WithLabelValues("get")) - trips0); trips != keys {
		t.Fatalf("the reads made %d round trips; want %d, one per key: the hot key, read between every two, is never dropped", trips, keys)
	}
	entries, bytes := c.NearCacheSize()
	t.Logf("%d keys of 1 KiB read, bound %d: %d entries, %d bytes now, %d at most", keys, bound, entries, bytes, worst)
	if worst > bound {
		t.Fatalf("near-cache reached %d bytes; bound %d", worst, bound)
	}
	if entries < 10 || entries >= keys {
		t.Fatalf("near-cache holds %d entries; want some, fewer than the %d read", entries, keys)
	}
	before := int(testutil.ToFloat64(m.RedisCalls.WithLabelValues("get")))
	get(t, b, "hot", "h")
	if after := int(testutil.ToFloat64(m.RedisCalls.WithLabelValues("get"))); after != before {
		t.Fatal("the key read between every other was evicted")
	}
}

// TestNearCacheConcurrent: readers of the same keys share one read in
// flight (the others wait on it) while another client rewrites the keys;
// afterwards every reader sees the last value and the counts hold at most
// one entry per key (run with -race).
func TestNearCacheConcurrent(t *testing.T) {
	c := connect(t, redis.Options{})
	b := redis.NewBackend(c)
	other := connect(t, redis.Options{Prefix: c.Prefix(), DisableNearCache: true})
	rc := other.Rueidis()
	ctx := context.Background()
	const keys = 20
	set := func(round int) {
		for i := range keys {
			if err := rc.Do(ctx, rc.B().Set().Key(fmt.Sprintf("%sk:{%d}", c.Prefix(), i)).Value(fmt.Sprint(round)).Build()).Error(); err != nil {
				t.Error(err)
			}
		}
	}
	set(0)
	done := make(chan struct{})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for n := 0; ; n++ {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				if _, _, err := b.Get(ctx, fmt.Sprintf("k:{%d}", n%keys)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for round := 1; round <= 20; round++ {
		set(round)
	}
	close(done)
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if e, _ := c.NearCacheSize(); e > keys {
		t.Fatalf("%d entries for %d keys", e, keys)
	}
	for i := range keys {
		waitFor(t, 10*time.Second, "the last write is read", func() bool {
			v, ok, err := b.Get(ctx, fmt.Sprintf("k:{%d}", i))
			return err == nil && ok && string(v) == "20"
		})
	}
}
