package redis_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

func TestSentinelURL(t *testing.T) {
	// Nothing listens on these ports: a valid URL gives a degraded Client
	// that keeps trying, an invalid one an error.
	for _, tt := range []struct {
		name, url string
		ok        bool
	}{
		{"Sentinels", "redis-sentinel://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3/mymaster", true},
		{"OneSentinel", "redis-sentinel://127.0.0.1:1/mymaster", true},
		{"DefaultPort", "redis-sentinel://127.0.0.1/mymaster", true},
		{"IPv6", "redis-sentinel://[::1]:1,[::1]/mymaster", true},
		{"UserPasswordDB", "redis-sentinel://app:secret@127.0.0.1:1/mymaster?db=3", true},
		{"SentinelPassword", "redis-sentinel://127.0.0.1:1/mymaster?sentinel_username=s&sentinel_password=p", true},
		{"TLS", "rediss-sentinel://127.0.0.1:1/mymaster", true},
		{"NoMaster", "redis-sentinel://127.0.0.1:1", false},
		{"EmptyMaster", "redis-sentinel://127.0.0.1:1/", false},
		{"MasterWithSlash", "redis-sentinel://127.0.0.1:1/a/b", false},
		{"EmptyHost", "redis-sentinel://127.0.0.1:1,/mymaster", false},
		{"NoHost", "redis-sentinel:///mymaster", false},
		{"BadPort", "redis-sentinel://127.0.0.1:x/mymaster", false},
		{"PortZero", "redis-sentinel://127.0.0.1:0/mymaster", false},
		{"BadDB", "redis-sentinel://127.0.0.1:1/mymaster?db=x", false},
		{"NegativeDB", "redis-sentinel://127.0.0.1:1/mymaster?db=-1", false},
		{"UnknownParameter", "redis-sentinel://127.0.0.1:1/mymaster?master_set=other", false},
		{"Fragment", "redis-sentinel://127.0.0.1:1/mymaster#x", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := redis.Connect(context.Background(), tt.url, redis.Options{Prefix: "test:url:", DialTimeout: 100 * time.Millisecond})
			if tt.ok != (err == nil) {
				t.Fatalf("Connect(%q) = %v; want ok=%v", tt.url, err, tt.ok)
			}
			if err != nil {
				return
			}
			defer c.Close()
			if got := c.Status(context.Background()); got != redis.StatusDegraded {
				t.Fatalf("Status with no sentinel = %q; want degraded", got)
			}
		})
	}
	t.Run("RedactsPasswords", func(t *testing.T) {
		_, err := redis.Connect(context.Background(), "redis-sentinel://app:s3cret@127.0.0.1:1/m?db=x&sentinel_password=t0psecret", redis.Options{})
		if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "t0psecret") {
			t.Fatalf("error = %v; want an error that shows no password", err)
		}
		const u = "redis-sentinel://app:s3cret@127.0.0.1:1,127.0.0.1:2/m?sentinel_username=s&sentinel_password=t0psecret&db=1"
		const want = "redis-sentinel://app:xxxxx@127.0.0.1:1,127.0.0.1:2/m?sentinel_username=s&sentinel_password=xxxxx&db=1"
		if got := redis.Redact(u); got != want {
			t.Fatalf("Redact = %q; want %q", got, want)
		}
		if got := redis.Redact("redis://127.0.0.1:6379/0"); got != "redis://127.0.0.1:6379/0" {
			t.Fatalf("Redact of a URL without a password = %q", got)
		}
	})
}

// TestSentinelFailover: one primary, one replica, three sentinels. The
// Client finds the primary through the sentinels; the primary is killed;
// once the sentinels have promoted the replica, the same Client (never
// restarted) reads what was written before the failover and writes again,
// through the cache backend, the session cache and the rate limiter.
func TestSentinelFailover(t *testing.T) {
	st := redistest.StartSentinel(t)
	ctx := context.Background()
	prefix := "test:" + rand.Text()[:8] + ":"
	c := connectURL(t, st.URL, redis.Options{Prefix: prefix, BreakerCooldown: 100 * time.Millisecond})
	if mode := c.Rueidis().Mode(); mode != "sentinel" {
		t.Fatalf("client mode = %q; want sentinel", mode)
	}
	// A master name the sentinels do not know is a mistake, not an outage.
	if _, err := redis.Connect(ctx, strings.Replace(st.URL, redistest.SentinelMaster, "nosuchmaster", 1), redis.Options{}); err == nil {
		t.Fatal("Connect with a master name the sentinels do not monitor succeeded")
	}
	b := redis.NewBackend(c)
	sc := redis.NewSessionCache(c)
	m := metrics.New(nil)
	limiter, err := ratelimit.New(ratelimit.Config{
		Policies: ratelimit.Policies{"p": {Name: "p", Quota: 1000, Window: time.Hour}},
		Backend:  redis.NewRateLimiter(c), Metrics: m,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(limiter.Close)
	decided := func() float64 {
		return testutil.ToFloat64(m.RateLimitDecisions.WithLabelValues("p", ratelimit.ResultAllowed))
	}

	fill(t, b, "topics:{u1}", "before")
	if v, ok, err := b.Get(ctx, "topics:{u1}"); err != nil || !ok || string(v) != "before" {
		t.Fatalf("Get = %q, %v, %v", v, ok, err)
	}
	exp := time.Now().Add(time.Hour)
	if err := sc.Put(ctx, session("s1", 1), time.Hour, exp); err != nil {
		t.Fatal(err)
	}
	if ok, _ := limiter.Limit(ctx, "user:u1", []string{"p"}, nil); !ok || decided() != 1 {
		t.Fatalf("the limiter did not decide through Redis: ok %v, allowed %v", ok, decided())
	}
	// Writes reach the replica asynchronously: wait until it has them all,
	// so that what the promoted replica serves is known.
	rc := c.Rueidis()
	if n, err := rc.Do(ctx, rc.B().Wait().Numreplicas(1).Timeout(10000).Build()).AsInt64(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v; want the replica to acknowledge", n, err)
	}

	old := st.MasterAddr(t)
	if old != st.Primary.Addr {
		t.Fatalf("the sentinels name %s as the primary; want %s", old, st.Primary.Addr)
	}
	killed := time.Now()
	st.Primary.Kill(t)
	if got := st.WaitFailover(t, old); got != st.Replica.Addr {
		t.Fatalf("the sentinels promoted %s; want the replica %s", got, st.Replica.Addr)
	}
	promoted := time.Since(killed)

	// The same Client follows: sessions are never near-cached, so this
	// read comes from the new primary.
	waitFor(t, 30*time.Second, "the Client reads through the new primary", func() bool {
		s, err := sc.Get(ctx, "u", "s1")
		return err == nil && s.Version == 1
	})
	t.Logf("primary killed; replica promoted after %v, the Client served from it after %v (down-after-milliseconds 500)",
		promoted.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	if got := c.Status(ctx); got != redis.StatusOK {
		t.Fatalf("Status after the failover = %q; want ok", got)
	}
	if err := sc.Put(ctx, session("s1", 2), time.Hour, exp); err != nil {
		t.Fatalf("session Put after the failover: %v", err)
	}
	if s, err := sc.Get(ctx, "u", "s1"); err != nil || s.Version != 2 {
		t.Fatalf("session Get after the failover = %+v, %v; want version 2", s, err)
	}
	if err := b.Invalidate(ctx, "topics:{u1}"); err != nil {
		t.Fatalf("Invalidate after the failover: %v", err)
	}
	if _, ok, err := b.Get(ctx, "topics:{u1}"); ok || err != nil {
		t.Fatalf("Get after Invalidate = %v, %v; want a miss", ok, err)
	}
	fill(t, b, "topics:{u1}", "after")
	if v, ok, err := b.Get(ctx, "topics:{u1}"); err != nil || !ok || string(v) != "after" {
		t.Fatalf("Get after the failover = %q, %v, %v", v, ok, err)
	}
	// The writes are on the promoted replica itself.
	direct := connectURL(t, st.Replica.URL, redis.Options{Prefix: prefix, DisableNearCache: true})
	if v, ok, err := redis.NewBackend(direct).Get(ctx, "topics:{u1}"); err != nil || !ok || string(v) != "after" {
		t.Fatalf("the new primary holds %q, %v, %v; want the write made after the failover", v, ok, err)
	}
	if s, err := redis.NewSessionCache(direct).Get(ctx, "u", "s1"); err != nil || s.Version != 2 {
		t.Fatalf("the new primary holds session %+v, %v; want version 2", s, err)
	}
	// The limiter decides through Redis again, and the decision made before
	// the failover counted: the bucket was replicated.
	var h http.Header
	waitFor(t, 30*time.Second, "the limiter decides through Redis again", func() bool {
		before := decided()
		h = http.Header{}
		ok, _ := limiter.Limit(ctx, "user:u1", []string{"p"}, h)
		return ok && decided() == before+1
	})
	if got, want := h.Get("RateLimit"), `"p";r=998;`; !strings.HasPrefix(got, want) {
		t.Fatalf("RateLimit after the failover = %q; want it to start with %q (one request before, this one)", got, want)
	}
}
