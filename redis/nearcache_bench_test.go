package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/redis/rueidis"

	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// BenchmarkNearCacheHit compares a DoCache hit of a 512-byte string through
// a plain rueidis client with rueidis's default store (default-lru), with
// the Client's store (recall-store) and with the SimpleCache adapter over
// otter (otter-adapter: it joins key and command into one string, one
// allocation per hit), serially and from parallel goroutines.
func BenchmarkNearCacheHit(b *testing.B) {
	redistest.SkipShort(b)
	ctx := context.Background()
	prefix := redistest.Prefix(b)
	key := prefix + "k:{bench}"
	plain := connect(b, redis.Options{Prefix: prefix, DisableNearCache: true})
	fill(b, redis.NewBackend(plain), "k:{bench}", string(make([]byte, 512)))
	stores := []struct {
		name string
		fn   rueidis.NewCacheStoreFn
	}{
		{"default-lru", nil},
		{"recall-store", func(o rueidis.CacheStoreOption) rueidis.CacheStore {
			s, _ := redis.NewNearStore(o.CacheSizeEachConn)
			return s
		}},
		{"otter-adapter", func(o rueidis.CacheStoreOption) rueidis.CacheStore {
			return rueidis.NewSimpleCacheAdapter(otterSimple{otter.Must(&otter.Options[string, rueidis.RedisMessage]{
				MaximumWeight: uint64(o.CacheSizeEachConn),
				Weigher:       func(k string, _ rueidis.RedisMessage) uint32 { return uint32(len(k) + 600) },
			})})
		}},
	}
	for _, st := range stores {
		rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{redistest.SharedAddr},
			CacheSizeEachConn: 32 << 20, NewCacheStoreFn: st.fn, PipelineMultiplex: -1})
		if err != nil {
			b.Fatal(err)
		}
		hit := func() {
			r := rc.DoCache(ctx, rc.B().Get().Key(key).Cache(), time.Minute)
			if r.Error() != nil {
				b.Fatal(r.Error())
			}
		}
		for range 3 { // the first read fills
			hit()
		}
		if !rc.DoCache(ctx, rc.B().Get().Key(key).Cache(), time.Minute).IsCacheHit() {
			b.Fatalf("%s: not a near-cache hit", st.name)
		}
		b.Run(st.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				hit()
			}
		})
		b.Run(st.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					hit()
				}
			})
		})
		rc.Close()
	}
}

// BenchmarkNearStoreFlight is the store's own hit (Flight of a filled
// entry), without the client around it.
func BenchmarkNearStoreFlight(b *testing.B) {
	s, _ := redis.NewNearStore(1 << 20)
	now := time.Now()
	const key, cmd = "recall:topics:{1234567}", "GET"
	s.Flight(key, cmd, time.Hour, now)
	s.Update(key, cmd, rueidis.RedisMessage{})
	b.ReportAllocs()
	for b.Loop() {
		if _, e := s.Flight(key, cmd, time.Hour, now); e != nil {
			b.Fatal("not a hit")
		}
	}
}

// otterSimple is a rueidis.SimpleCache over otter.
type otterSimple struct {
	c *otter.Cache[string, rueidis.RedisMessage]
}

// Get returns the value of key, or the empty message.
func (o otterSimple) Get(key string) rueidis.RedisMessage {
	v, _ := o.c.GetIfPresent(key)
	return v
}

// Set stores val under key.
func (o otterSimple) Set(key string, val rueidis.RedisMessage) { o.c.Set(key, val) }

// Del drops key.
func (o otterSimple) Del(key string) { o.c.Invalidate(key) }

// Flush drops everything.
func (o otterSimple) Flush() { o.c.InvalidateAll() }

// BenchmarkOtterLookup is the lookup an otter-based store would make on a
// hit (key and command as one comparable struct, no joined string), for a
// comparison with BenchmarkNearStoreFlight: otter is not used, as the
// store's own map is faster and keeps the per-key index that Redis's
// invalidations need.
func BenchmarkOtterLookup(b *testing.B) {
	type kc struct{ key, cmd string }
	c := otter.Must(&otter.Options[kc, rueidis.RedisMessage]{MaximumWeight: 1 << 20,
		Weigher: func(kc, rueidis.RedisMessage) uint32 { return 600 }})
	k := kc{"recall:topics:{1234567}", "GET"}
	c.Set(k, rueidis.RedisMessage{})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.GetIfPresent(k); !ok {
			b.Fatal("not a hit")
		}
	}
}
