package inmem_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/cache/cachetest"
	"github.com/recallhq/recall/inmem"
)

func newCache(t *testing.T, opts inmem.CacheOptions) *inmem.Cache {
	c := inmem.NewCache(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCache_Contract(t *testing.T) {
	cachetest.Run(t, func(t *testing.T) cache.Backend { return newCache(t, inmem.CacheOptions{}) })
}

// The session contract suite runs here against the in-process session
// cache too, so that it and the Redis one are held to the same rules.
func TestSessionCache_Contract(t *testing.T) {
	cachetest.RunSessionCache(t, func(t *testing.T, now func() time.Time) (recall.SessionCache, func(string, time.Duration)) {
		return inmem.NewSessionCache(inmem.SessionCacheOptions{Now: now}), nil
	})
}

func TestCache_BoundedInBytes(t *testing.T) {
	const max = 1 << 20
	c := newCache(t, inmem.CacheOptions{MaxBytes: max})
	ctx := context.Background()
	val := make([]byte, 10<<10)
	for i := range 400 { // 4 MiB of values into a 1 MiB cache
		key := "k:{" + strconv.Itoa(i) + "}"
		l, err := c.Lease(ctx, key, false, time.Second)
		if err != nil || l.Token == "" {
			t.Fatal(l, err)
		}
		if ok, err := c.Fill(ctx, key, l.Token, val, time.Minute); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	// Eviction runs in the background of writes; a maintenance pass
	// brings the cache under its bound.
	c.CleanUp()
	if got := c.WeightedSize(); got > max+uint64(len(val))*8 {
		t.Fatalf("the cache holds %d bytes; bound %d", got, max)
	}
	hits := 0
	for i := range 400 {
		if _, ok, _ := c.Get(ctx, "k:{"+strconv.Itoa(i)+"}"); ok {
			hits++
		}
	}
	if hits == 0 || hits > 110 {
		t.Fatalf("%d of 400 values of 10 KiB are held in 1 MiB; want some, at most ~100", hits)
	}
}

func TestConversationCache_Contract(t *testing.T) {
	cachetest.RunConversationCache(t, func(t *testing.T, now func() time.Time) (recall.ConversationCache, func(string, string, time.Duration)) {
		return inmem.NewConversationCache(inmem.SessionCacheOptions{Now: now}), nil
	})
}
