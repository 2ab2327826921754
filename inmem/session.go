// Package inmem provides in-process equivalents of the Redis-backed parts,
// for the embedded default: one server instance with no Redis configured.
package inmem

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/metrics"
)

// DefaultSessionCacheSize is the number of sessions a SessionCache holds
// when SessionCacheOptions.MaxEntries is zero.
const DefaultSessionCacheSize = 100_000

const (
	// shardedMin is the smallest MaxEntries for which the cache is split
	// into sessionShards shards; smaller caches use one shard, so that the
	// bound is exact where it is small.
	shardedMin    = 1024
	sessionShards = 16
	// probeCount is how many entries a Put looks at to drop expired ones,
	// so that expired sessions do not linger until their shard fills.
	probeCount = 4
)

var _ recall.SessionCache = (*SessionCache)(nil)

// SessionCacheOptions configures a SessionCache.
type SessionCacheOptions struct {
	// MaxEntries bounds the number of sessions held. When a Put needs room,
	// expired entries go first, then the entries closest to their expiry.
	// Zero means DefaultSessionCacheSize.
	MaxEntries int
	// Now returns the current time; nil means time.Now. Tests pass a fake
	// clock.
	Now func() time.Time
	// Metrics, if not nil, counts each Get as a hit or a miss of the
	// "sessions" cache.
	Metrics *metrics.Metrics
}

// SessionCache is an in-process recall.SessionCache. It keeps deep copies,
// so neither the caller of Put nor the caller of Get can change what is
// cached. Its size is bounded and it runs no goroutine: expired entries are
// removed when they are looked up, when a Put needs room, and a few at a
// time by every Put. It is safe for concurrent use.
type SessionCache struct {
	now      func() time.Time
	metrics  *metrics.Metrics
	seed     maphash.Seed
	shardMax int
	shards   []sessionShard
}

type sessionShard struct {
	mu sync.Mutex
	m  map[string]*sessionEntry
}

type sessionEntry struct {
	s       *recall.Session // never modified once stored
	ttl     time.Duration
	limit   time.Time // absolute expiry
	expires time.Time // min(last Put or Get + ttl, limit)
}

// NewSessionCache returns an empty cache.
func NewSessionCache(opts SessionCacheOptions) *SessionCache {
	size := opts.MaxEntries
	if size <= 0 {
		size = DefaultSessionCacheSize
	}
	n := 1
	if size >= shardedMin {
		n = sessionShards
	}
	c := &SessionCache{
		now:      opts.Now,
		metrics:  opts.Metrics,
		seed:     maphash.MakeSeed(),
		shardMax: (size + n - 1) / n,
		shards:   make([]sessionShard, n),
	}
	if c.now == nil {
		c.now = time.Now
	}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*sessionEntry)
	}
	return c
}

func (c *SessionCache) shard(id string) *sessionShard {
	if len(c.shards) == 1 {
		return &c.shards[0]
	}
	return &c.shards[maphash.String(c.seed, id)%uint64(len(c.shards))]
}

// Get returns a copy of the cached session and restarts its idle time.
// Returns ENOTFOUND on a miss, expired entries included.
func (c *SessionCache) Get(ctx context.Context, id string) (*recall.Session, error) {
	now := c.now()
	sh := c.shard(id)
	sh.mu.Lock()
	e, ok := sh.m[id]
	if ok && !now.Before(e.expires) {
		delete(sh.m, id)
		ok = false
	}
	if !ok {
		sh.mu.Unlock()
		c.metrics.Cache("sessions", "miss")
		return nil, recall.Errorf(recall.ENOTFOUND, "Session not cached.")
	}
	e.expires = earlier(now.Add(e.ttl), e.limit)
	s := e.s
	sh.mu.Unlock()
	c.metrics.Cache("sessions", "hit")
	return s.Clone(), nil
}

// Put caches a copy of s for ttl after this Put or the last Get, and never
// past expiresAt, unless the cache holds the same or a newer version of the
// session. A Put whose expiry has already passed stores nothing but still
// drops an older cached version.
func (c *SessionCache) Put(ctx context.Context, s *recall.Session, ttl time.Duration, expiresAt time.Time) error {
	if s == nil {
		return recall.Errorf(recall.EINVALID, "No session to cache.")
	}
	now := c.now()
	e := &sessionEntry{s: s.Clone(), ttl: ttl, limit: expiresAt, expires: earlier(now.Add(ttl), expiresAt)}
	sh := c.shard(s.ID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, ok := sh.m[s.ID]
	if ok && now.Before(old.expires) && old.s.Version >= s.Version {
		return nil
	}
	if ttl <= 0 || !now.Before(e.expires) {
		delete(sh.m, s.ID)
		return nil
	}
	if !ok {
		sh.makeRoom(now, c.shardMax)
	}
	sh.m[s.ID] = e
	sh.probe(now)
	return nil
}

// Delete drops a session from the cache. Deleting a session that is not
// cached is not an error.
func (c *SessionCache) Delete(ctx context.Context, id string) error {
	sh := c.shard(id)
	sh.mu.Lock()
	delete(sh.m, id)
	sh.mu.Unlock()
	return nil
}

// Len returns the number of entries held, including expired ones that have
// not been removed yet.
func (c *SessionCache) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// makeRoom makes sure the shard can take one more entry: it removes the
// expired entries and, if the shard is still full, the eighth of its entries
// closest to expiry (at least one), so that a full cache of live sessions
// pays for the sort only once every limit/8 Puts. Callers hold sh.mu.
func (sh *sessionShard) makeRoom(now time.Time, limit int) {
	if len(sh.m) < limit {
		return
	}
	for id, e := range sh.m {
		if !now.Before(e.expires) {
			delete(sh.m, id)
		}
	}
	if len(sh.m) < limit {
		return
	}
	times := make([]time.Time, 0, len(sh.m))
	for _, e := range sh.m {
		times = append(times, e.expires)
	}
	slices.SortFunc(times, time.Time.Compare)
	evict := max(len(sh.m)-limit+1, limit/8)
	cut := times[evict-1]
	for id, e := range sh.m {
		if evict == 0 {
			break
		}
		if !e.expires.After(cut) {
			delete(sh.m, id)
			evict--
		}
	}
}

// probe looks at a few entries (map iteration starts at a random place) and
// removes those that have expired. Callers hold sh.mu.
func (sh *sessionShard) probe(now time.Time) {
	n := 0
	for id, e := range sh.m {
		if !now.Before(e.expires) {
			delete(sh.m, id)
		}
		if n++; n == probeCount {
			return
		}
	}
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
