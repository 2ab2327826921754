package inmem

import (
	"context"
	"errors"
	"hash/maphash"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/recallhq/recall/cache"
)

// DefaultCacheBytes bounds a Cache when CacheOptions.MaxBytes is zero.
const DefaultCacheBytes = 64 << 20

// leaseShards is the number of lease maps, each under its own mutex.
const leaseShards = 32

// itemOverhead is the weight added to every cached item for the memory
// its bookkeeping takes.
const itemOverhead = 96

var _ cache.Backend = (*Cache)(nil)

var errBadTTL = errors.New("inmem: the ttl must be positive")

// CacheOptions configures a Cache.
type CacheOptions struct {
	// MaxBytes bounds the bytes held (keys and values plus a small
	// per-item overhead); zero means DefaultCacheBytes. When full, the
	// least useful items are evicted (W-TinyLFU).
	MaxBytes int64
}

// Cache is the in-process cache.Backend of the embedded default: values
// live in an otter cache bounded in bytes, and the fill leases in sharded
// maps. A lease and a fill or an invalidation of the same key run under the
// key's shard mutex, so they are atomic just like the Redis scripts. It is
// safe for concurrent use; Close stops its maintenance goroutine.
type Cache struct {
	values otterCache
	seed   maphash.Seed
	shards [leaseShards]leaseShard
	tokens atomic.Uint64
}

// otterCache is the part of an *otter.Cache[string, *item] that Cache uses.
// Cache holds it as this interface rather than as the otter type: a field of
// an otter type, in a type that other packages see, makes each of them
// compile hundreds of otter's generic methods again whenever it is rebuilt.
type otterCache interface {
	GetIfPresent(key string) (*item, bool)
	Set(key string, value *item) (*item, bool)
	Invalidate(key string) (*item, bool)
	CleanUp()
	WeightedSize() uint64
	StopAllGoroutines() bool
}

// item is one cached value or hash. It is never modified once stored.
type item struct {
	val    []byte
	fields map[string][]byte
	hash   bool
	ttl    time.Duration
}

type leaseShard struct {
	mu     sync.Mutex
	leases map[string]lease
}

type lease struct {
	token string
	until time.Time
}

// NewCache returns an empty Cache.
func NewCache(opts CacheOptions) *Cache {
	max := opts.MaxBytes
	if max <= 0 {
		max = DefaultCacheBytes
	}
	c := &Cache{seed: maphash.MakeSeed()}
	c.values = otter.Must(&otter.Options[string, *item]{
		MaximumWeight: uint64(max),
		Weigher:       weigh,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *item]) time.Duration {
			return e.Value.ttl
		}),
	})
	for i := range c.shards {
		c.shards[i].leases = make(map[string]lease)
	}
	return c
}

func weigh(key string, it *item) uint32 {
	n := uint64(len(key)) + uint64(len(it.val)) + itemOverhead
	for k, v := range it.fields {
		n += uint64(len(k)) + uint64(len(v)) + 16
	}
	return uint32(min(n, math.MaxUint32))
}

// Close stops the cache's maintenance goroutine. The cache stays usable.
func (c *Cache) Close() error {
	c.values.StopAllGoroutines()
	return nil
}

// CleanUp runs the pending maintenance (evictions, expiries) now instead
// of at the next write or periodic pass.
func (c *Cache) CleanUp() { c.values.CleanUp() }

// WeightedSize returns the bytes held, as counted against MaxBytes.
func (c *Cache) WeightedSize() uint64 { return c.values.WeightedSize() }

func (c *Cache) shard(key string) *leaseShard {
	return &c.shards[maphash.String(c.seed, key)%leaseShards]
}

// Get returns the value at key.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	it, ok := c.values.GetIfPresent(key)
	if !ok || it.hash {
		return nil, false, nil
	}
	return it.val, true, nil
}

// GetHash returns the fields of the hash at key.
func (c *Cache) GetHash(ctx context.Context, key string) (map[string][]byte, bool, error) {
	it, ok := c.values.GetIfPresent(key)
	if !ok || !it.hash {
		return nil, false, nil
	}
	return it.fields, true, nil
}

// Lease returns the value at key if there is one, else takes the key's
// lease for ttl unless somebody holds it.
func (c *Cache) Lease(ctx context.Context, key string, hash bool, ttl time.Duration) (cache.Lease, error) {
	if ttl <= 0 {
		return cache.Lease{}, errBadTTL
	}
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if it, ok := c.values.GetIfPresent(key); ok && it.hash == hash {
		return cache.Lease{Found: true, Val: it.val, Fields: it.fields}, nil
	}
	now := time.Now()
	if l, ok := sh.leases[key]; ok && now.Before(l.until) {
		return cache.Lease{}, nil
	}
	sh.sweep(now)
	token := strconv.FormatUint(c.tokens.Add(1), 36)
	sh.leases[key] = lease{token: token, until: now.Add(ttl)}
	return cache.Lease{Token: token}, nil
}

// Fill stores val at key if the key's lease still holds token.
func (c *Cache) Fill(ctx context.Context, key, token string, val []byte, ttl time.Duration) (bool, error) {
	return c.fill(key, token, &item{val: val, ttl: ttl})
}

// FillHash stores a hash at key if the key's lease still holds token.
func (c *Cache) FillHash(ctx context.Context, key, token string, fields map[string][]byte, ttl time.Duration) (bool, error) {
	if fields == nil {
		fields = map[string][]byte{}
	}
	return c.fill(key, token, &item{fields: fields, hash: true, ttl: ttl})
}

func (c *Cache) fill(key, token string, it *item) (bool, error) {
	if it.ttl <= 0 {
		return false, errBadTTL
	}
	sh := c.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	l, ok := sh.leases[key]
	if !ok || l.token != token {
		return false, nil
	}
	delete(sh.leases, key)
	if !time.Now().Before(l.until) {
		return false, nil
	}
	c.values.Set(key, it)
	return true, nil
}

// Release drops the key's lease if it still holds token.
func (c *Cache) Release(ctx context.Context, key, token string) error {
	sh := c.shard(key)
	sh.mu.Lock()
	if l, ok := sh.leases[key]; ok && l.token == token {
		delete(sh.leases, key)
	}
	sh.mu.Unlock()
	return nil
}

// Invalidate deletes the values and leases of keys.
func (c *Cache) Invalidate(ctx context.Context, keys ...string) error {
	for _, key := range keys {
		sh := c.shard(key)
		sh.mu.Lock()
		c.values.Invalidate(key)
		delete(sh.leases, key)
		sh.mu.Unlock()
	}
	return nil
}

// sweep drops a few expired leases, those of fills that never came back.
// Callers hold sh.mu.
func (sh *leaseShard) sweep(now time.Time) {
	n := 0
	for k, l := range sh.leases {
		if !now.Before(l.until) {
			delete(sh.leases, k)
		}
		if n++; n == 4 {
			return
		}
	}
}
