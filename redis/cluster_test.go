package redis_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/cache/cachetest"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// TestCluster runs the contract suites in Cluster mode: the client checks
// that every command and script stays within one hash slot.
func TestCluster(t *testing.T) {
	srv := redistest.StartCluster(t)
	newClient := func(t *testing.T, opts redis.Options) *redis.Client {
		opts.Prefix = "test:" + rand.Text() + ":" // a private server: no cleanup
		return connectURL(t, srv.URL, opts)
	}
	c := newClient(t, redis.Options{})
	if mode := c.Rueidis().Mode(); mode != "cluster" {
		t.Fatalf("client mode = %q; want cluster", mode)
	}
	t.Run("Backend/NearCache", func(t *testing.T) {
		cachetest.Run(t, func(t *testing.T) cache.Backend { return redis.NewBackend(newClient(t, redis.Options{})) })
	})
	t.Run("Backend/NoNearCache", func(t *testing.T) {
		cachetest.Run(t, func(t *testing.T) cache.Backend {
			return redis.NewBackend(newClient(t, redis.Options{DisableNearCache: true}))
		})
	})
	t.Run("SessionCache", func(t *testing.T) {
		cachetest.RunSessionCache(t, sessionCacheContract(func(t *testing.T) *redis.Client { return newClient(t, redis.Options{}) }))
	})
	t.Run("InvalidateAcrossSlots", func(t *testing.T) {
		b := redis.NewBackend(newClient(t, redis.Options{}))
		ctx := context.Background()
		keys := []string{"topics:{u1}", "questions:{t1}", "token:{ab}"}
		for _, k := range keys {
			fill(t, b, k, "v")
		}
		if err := b.Invalidate(ctx, keys...); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, ok, err := b.Get(ctx, k); ok || err != nil {
				t.Fatalf("%s after Invalidate: %v, %v", k, ok, err)
			}
		}
	})
}
