package redis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/cache/cachetest"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

func TestBackend_Contract(t *testing.T) {
	t.Run("NearCache", func(t *testing.T) {
		cachetest.Run(t, func(t *testing.T) cache.Backend {
			return redis.NewBackend(connect(t, redis.Options{}))
		})
	})
	t.Run("NoNearCache", func(t *testing.T) {
		cachetest.Run(t, func(t *testing.T) cache.Backend {
			return redis.NewBackend(connect(t, redis.Options{DisableNearCache: true}))
		})
	})
}

func TestSessionCache_Contract(t *testing.T) {
	cachetest.RunSessionCache(t, sessionCacheContract(func(t *testing.T) *redis.Client { return connect(t, redis.Options{}) }))
}

// sessionCacheContract returns the session contract suite's factory over
// the clients of newClient: the cache reads the suite's clock, and elapse
// shortens the key's TTL by the time that passed, as Redis would have.
func sessionCacheContract(newClient func(t *testing.T) *redis.Client) cachetest.NewSessionCache {
	return func(t *testing.T, now func() time.Time) (recall.SessionCache, func(string, time.Duration)) {
		c := newClient(t)
		s := redis.NewSessionCache(c)
		redis.SetSessionCacheClock(s, now)
		return s, func(id string, d time.Duration) {
			t.Helper()
			age(t, c, c.Prefix()+"session:{u1}:"+id, d)
		}
	}
}

func TestConversationCache_Contract(t *testing.T) {
	cachetest.RunConversationCache(t, func(t *testing.T, now func() time.Time) (recall.ConversationCache, func(string, string, time.Duration)) {
		c := connect(t, redis.Options{})
		s := redis.NewConversationCache(c)
		redis.SetConversationCacheClock(s, now)
		return s, func(userID, id string, d time.Duration) {
			t.Helper()
			age(t, c, c.Prefix()+"conv:{"+userID+"}:"+id, d)
		}
	})
}

// age shortens the TTL of key by d, as Redis would have after d, or
// deletes it if that leaves none.
func age(t *testing.T, c *redis.Client, key string, d time.Duration) {
	t.Helper()
	rc, ctx := c.Rueidis(), context.Background()
	ttl, err := rc.Do(ctx, rc.B().Pttl().Key(key).Build()).AsInt64()
	if err != nil {
		t.Fatalf("PTTL %s: %v", key, err)
	}
	if ttl < 0 {
		return // no key, or one without a TTL
	}
	if left := ttl - d.Milliseconds(); left > 0 {
		err = rc.Do(ctx, rc.B().Pexpire().Key(key).Milliseconds(left).Build()).Error()
	} else {
		err = rc.Do(ctx, rc.B().Del().Key(key).Build()).Error()
	}
	if err != nil {
		t.Fatalf("age %s by %v: %v", key, d, err)
	}
}

func TestBackend_KeysAndHashTags(t *testing.T) {
	c := connect(t, redis.Options{})
	b := redis.NewBackend(c)
	ctx := context.Background()
	l, err := b.Lease(ctx, "topics:{u1}", false, 10e9)
	if err != nil || l.Token == "" {
		t.Fatal(l, err)
	}
	rc := c.Rueidis()
	lease, err := rc.Do(ctx, rc.B().Get().Key(c.Prefix()+"topics:{u1}:lease").Build()).ToString()
	if err != nil || lease != l.Token {
		t.Fatalf("lease key %stopics:{u1}:lease = %q, %v; want the token", c.Prefix(), lease, err)
	}
	if ok, err := b.Fill(ctx, "topics:{u1}", l.Token, []byte("[]"), 60e9); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if v, err := rc.Do(ctx, rc.B().Get().Key(c.Prefix()+"topics:{u1}").Build()).ToString(); err != nil || v != "[]" {
		t.Fatalf("value key = %q, %v", v, err)
	}
	if n, _ := rc.Do(ctx, rc.B().Exists().Key(c.Prefix()+"topics:{u1}:lease").Build()).AsInt64(); n != 0 {
		t.Fatal("the fill left its lease behind")
	}
	if pttl, _ := rc.Do(ctx, rc.B().Pttl().Key(c.Prefix()+"topics:{u1}").Build()).AsInt64(); pttl <= 0 || pttl > 60000 {
		t.Fatalf("PTTL of a filled key = %d; want (0, 60000]", pttl)
	}
}

func TestBackend_HashWithoutMarkerIsAMiss(t *testing.T) {
	c := connect(t, redis.Options{})
	b := redis.NewBackend(c)
	ctx := context.Background()
	rc := c.Rueidis()
	key := c.Prefix() + "questions:{t1}"
	if err := rc.Do(ctx, rc.B().Hset().Key(key).FieldValue().FieldValue("q1", "{}").FieldValue("_order", `["q1"]`).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := b.GetHash(ctx, "questions:{t1}"); ok || err != nil {
		t.Fatalf("GetHash of a partial hash = %v, %v; want a miss", ok, err)
	}
	l, err := b.Lease(ctx, "questions:{t1}", true, 10e9)
	if err != nil || l.Found || l.Token == "" {
		t.Fatalf("Lease of a partial hash = %+v, %v; want a lease", l, err)
	}
	if ok, err := b.FillHash(ctx, "questions:{t1}", l.Token, map[string][]byte{"q2": []byte("{}")}, 60e9); !ok || err != nil {
		t.Fatal(ok, err)
	}
	f, ok, err := b.GetHash(ctx, "questions:{t1}")
	if !ok || err != nil || len(f) != 1 || f["q2"] == nil {
		t.Fatalf("GetHash after FillHash = %q, %v, %v; want exactly the filled fields", f, ok, err)
	}
}

// TestBackend_InvalidateReachesRedis: once the invalidation that follows
// a write has returned, no other client reads the old value, even when
// Redis answered it later than the read timeout (it is waited for, within
// InvalidateTimeout) or this client's breaker is open (timeouts of a
// loaded Redis open it while the other instances still read Redis). Before,
// the invalidation gave up and was kept for this client's next call, and
// the write was acknowledged while the other instances read the old value.
func TestBackend_InvalidateReachesRedis(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	other := redis.NewBackend(connectURL(t, srv.URL, redis.Options{DisableNearCache: true}))
	for _, near := range []bool{false, true} {
		for _, how := range []string{"slow", "breaker open"} {
			c := connectURL(t, srv.URL, redis.Options{Timeout: 100 * time.Millisecond, DisableNearCache: !near})
			writer := redis.NewBackend(c)
			key := "topics:{u}" + strconv.FormatBool(near) + how
			l, err := other.Lease(ctx, key, false, time.Minute)
			if err != nil || l.Token == "" {
				t.Fatalf("Lease: %+v, %v", l, err)
			}
			if ok, err := other.Fill(ctx, key, l.Token, []byte("old"), time.Minute); err != nil || !ok {
				t.Fatalf("Fill: %v, %v", ok, err)
			}
			if _, ok, err := writer.Get(ctx, key); err != nil || !ok {
				t.Fatalf("the writer's Get: %v, %v", ok, err) // near-cached, with the near-cache on
			}
			resumed := make(chan struct{})
			if how == "slow" {
				// Redis stops answering for three read timeouts.
				srv.Pause(t)
				go func() {
					time.Sleep(300 * time.Millisecond)
					srv.Resume(t)
					close(resumed)
				}()
			} else {
				redis.TripBreaker(c)
				close(resumed)
			}
			err = writer.Invalidate(ctx, key)
			<-resumed
			if err != nil {
				t.Fatalf("near-cache %v, Redis %s: Invalidate = %v; want it to reach Redis", near, how, err)
			}
			if v, ok, err := other.Get(ctx, key); err != nil || ok {
				t.Fatalf("near-cache %v, Redis %s: after the invalidation returned, another client reads %q (found %v, err %v)", near, how, v, ok, err)
			}
		}
	}
}
