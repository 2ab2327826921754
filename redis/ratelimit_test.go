package redis_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/ratelimit/ratelimittest"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// limiters returns n Limiters over RateLimiter, each with a Client of its
// own on url (as n instances of the server would have), sharing prefix.
// The timeout is generous: these tests are about decisions Redis makes,
// not about the fallback.
func limiters(t *testing.T, url, prefix string, ps ratelimit.Policies, n int) []*ratelimit.Limiter {
	t.Helper()
	ls := make([]*ratelimit.Limiter, n)
	for i := range ls {
		c := connectURL(t, url, redis.Options{Prefix: prefix, DisableNearCache: true, Timeout: 10 * time.Second})
		l, err := ratelimit.New(ratelimit.Config{Policies: ps, Backend: redis.NewRateLimiter(c)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		ls[i] = l
	}
	return ls
}

func TestRateLimiterContract(t *testing.T) {
	t.Run("Standalone", func(t *testing.T) {
		ratelimittest.Run(t, func(t *testing.T, ps ratelimit.Policies, n int) []*ratelimit.Limiter {
			return limiters(t, redistest.SharedURL, redistest.Prefix(t), ps, n)
		})
	})
	t.Run("Cluster", func(t *testing.T) {
		cl := redistest.StartShardedCluster(t, 3)
		ratelimittest.Run(t, func(t *testing.T, ps ratelimit.Policies, n int) []*ratelimit.Limiter {
			// A private cluster: no cleanup.
			return limiters(t, cl.URL, "test:"+rand.Text()[:8]+":", ps, n)
		})
	})
}

// TestRateLimiterKeys checks what a decision leaves in Redis: only admitted
// requests write, every key of a principal shares its hash tag, and a key
// expires when its TAT passes.
func TestRateLimiterKeys(t *testing.T) {
	prefix := redistest.Prefix(t)
	c := connect(t, redis.Options{Prefix: prefix, DisableNearCache: true, Timeout: 10 * time.Second})
	rl := redis.NewRateLimiter(c)
	ctx := context.Background()
	rules := []ratelimit.Rule{
		{Policy: "small", Interval: 30 * time.Minute, Tolerance: time.Hour},
		{Policy: "big", Interval: 36 * time.Second, Tolerance: time.Hour},
	}
	d := make([]time.Duration, 2)
	for i := range 5 {
		ok, err := rl.Decide(ctx, "user:bob", rules, d)
		if err != nil || ok != (i < 2) {
			t.Fatalf("request %d: ok=%v, %v", i, ok, err)
		}
		// d is the state after the decision, to Redis's microsecond.
		if d[1] > 72*time.Second || d[1] <= 0 || d[0]%time.Microsecond != 0 || d[1]%time.Microsecond != 0 {
			t.Fatalf("request %d: d = %v", i, d)
		}
	}
	rc := c.Rueidis()
	n, err := rc.Do(ctx, rc.B().Exists().Key(prefix+"rl:user:{bob}:small", prefix+"rl:user:{bob}:big").Build()).AsInt64()
	if err != nil || n != 2 {
		t.Fatalf("EXISTS = %d, %v", n, err)
	}
	// big is 2 × T = 72 s ahead: the refused requests wrote nothing.
	ttl, err := rc.Do(ctx, rc.B().Pttl().Key(prefix+"rl:user:{bob}:big").Build()).AsInt64()
	if err != nil || ttl <= 36000 || ttl > 72000 {
		t.Fatalf("PTTL of big = %d, %v; want within (36000, 72000] ms", ttl, err)
	}
	// An empty principal still makes a hash tag.
	if ok, err := rl.Decide(ctx, "", rules[:1], d); err != nil || !ok {
		t.Fatalf("empty principal: %v, %v", ok, err)
	}
	if n, err := rc.Do(ctx, rc.B().Exists().Key(prefix+"rl:{-}:small").Build()).AsInt64(); err != nil || n != 1 {
		t.Fatalf("EXISTS rl:{-}:small = %d, %v", n, err)
	}
}

func TestRateLimiterHeartbeat(t *testing.T) {
	prefix := redistest.Prefix(t)
	newClient := func() *redis.Client {
		return connect(t, redis.Options{Prefix: prefix, DisableNearCache: true, Timeout: 10 * time.Second})
	}
	newInstance := func(cfg ratelimit.Config) *ratelimit.Limiter {
		l, err := ratelimit.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		return l
	}
	cfg := func() ratelimit.Config {
		return ratelimit.Config{Backend: redis.NewRateLimiter(newClient()), HeartbeatInterval: 50 * time.Millisecond, InstanceTTL: time.Minute}
	}
	a := newInstance(cfg())
	if a.Instances() != 1 {
		t.Fatalf("first instance counts %d", a.Instances())
	}
	b := newInstance(cfg())
	c := newInstance(cfg())
	if c.Instances() != 3 {
		t.Fatalf("third instance counts %d, want 3", c.Instances())
	}
	waitFor(t, 30*time.Second, "the first instance to count 3", func() bool { return a.Instances() == 3 })
	b.Close()
	c.Close()
	waitFor(t, 30*time.Second, "the first instance to count 1 after two left", func() bool { return a.Instances() == 1 })
	fixed := newInstance(ratelimit.Config{Backend: redis.NewRateLimiter(newClient()), Instances: 7})
	if fixed.Instances() != 7 {
		t.Fatalf("configured Instances 7, got %d", fixed.Instances())
	}
}
