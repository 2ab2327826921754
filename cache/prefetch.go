package cache

import (
	"context"
	"sync"
)

// A request that knows its user before it reads anything (a token that
// claims its user) can have the keys it will read fetched ahead, in the
// same Redis round trip that checks its token and decides its rate limits
// (redis.Gate). The values travel in the request's context: a decorator's
// lookup takes a prefetched value instead of reading the backend, and a
// prefetched miss goes straight to the fill, without a read that would miss
// again. A prefetched value is what a read at the start of the request
// would have returned; a write the request makes drops the keys it
// invalidates from the prefetched set, so the request never reads back
// what it has just changed.

// PrefetchKey is a key a request will read: a plain value, a hash that
// the backend stores whole (FillHash), or a versioned state that a state
// cache keeps (a session: see SessionKey), read the way that cache reads
// it (its idle time restarts, a value past its absolute expiry is a miss).
// A state is never near-cached.
type PrefetchKey struct {
	Key   string
	Hash  bool
	State bool
}

// Prefetched holds the values read ahead for one request, by key. It is
// safe for concurrent use.
type Prefetched struct {
	mu sync.Mutex
	m  map[string]prefetched
}

type prefetched struct {
	e     entry
	found bool
}

// NewPrefetched returns an empty set.
func NewPrefetched() *Prefetched { return &Prefetched{m: map[string]prefetched{}} }

// Set records what key held: val, or nothing if found is false.
func (p *Prefetched) Set(key string, val []byte, found bool) {
	p.put(key, prefetched{e: entry{val: val}, found: found})
}

// SetHash records what the hash at key held: its fields, or nothing (no
// complete hash) if found is false.
func (p *Prefetched) SetHash(key string, fields map[string][]byte, found bool) {
	p.put(key, prefetched{e: entry{fields: fields}, found: found})
}

func (p *Prefetched) put(key string, v prefetched) {
	p.mu.Lock()
	p.m[key] = v
	p.mu.Unlock()
}

// Len is the number of keys the set knows.
func (p *Prefetched) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// get returns what key held; known is false if the set does not know it.
func (p *Prefetched) get(key string) (e entry, found, known bool) {
	p.mu.Lock()
	v, known := p.m[key]
	p.mu.Unlock()
	return v.e, v.found, known
}

// PrefetchedState returns, and forgets, the state value the request's
// gate read at key (PrefetchKey.State): found is false for a miss, known
// false if nothing was read ahead for key. It is taken once: a second
// lookup in the same request reads the cache again.
func PrefetchedState(ctx context.Context, key string) (val []byte, found, known bool) {
	p := prefetchedOf(ctx)
	if p == nil {
		return nil, false, false
	}
	p.mu.Lock()
	v, known := p.m[key]
	delete(p.m, key)
	p.mu.Unlock()
	return v.e.val, v.found, known
}

// drop forgets keys (the request changed them).
func (p *Prefetched) drop(keys ...string) {
	p.mu.Lock()
	for _, k := range keys {
		delete(p.m, k)
	}
	p.mu.Unlock()
}

// maxPrefetchID bounds an id taken from a URL that names a prefetched key.
const maxPrefetchID = 64

type prefetchedKey struct{}

// WithPrefetched returns ctx carrying p for the lookups made with it.
func WithPrefetched(ctx context.Context, p *Prefetched) context.Context {
	return context.WithValue(ctx, prefetchedKey{}, p)
}

func prefetchedOf(ctx context.Context) *Prefetched {
	p, _ := ctx.Value(prefetchedKey{}).(*Prefetched)
	return p
}

// The key lists of the routes that read a user's cached data. Each names
// only keys under the user's hash tag, so that the read can travel with
// the token check on Redis Cluster too.

// TopicListKeys are the keys of GET /v1/topics in the summary view: the
// user's topic list.
func TopicListKeys(userID string) []PrefetchKey {
	return []PrefetchKey{{Key: topicsKey(userID)}}
}

// TopicListStatsKeys are the keys of GET /v1/topics in a view with
// learning stats (dashboard, full): the topic list and the memory states
// of each of topicIDs (TopicStore.KnownTopicIDs).
func TopicListStatsKeys(userID string, topicIDs []string) []PrefetchKey {
	ks := make([]PrefetchKey, 0, 1+len(topicIDs))
	ks = append(ks, PrefetchKey{Key: topicsKey(userID)})
	for _, id := range topicIDs {
		ks = append(ks, PrefetchKey{Key: memoriesKey(userID, id)})
	}
	return ks
}

// TopicKeys are the keys of GET /v1/topics/{id}: the topic list, and with
// stats the memory states of the topic.
func TopicKeys(userID, topicID string, stats bool) []PrefetchKey {
	if !stats || topicID == "" || len(topicID) > maxPrefetchID {
		return TopicListKeys(userID)
	}
	return []PrefetchKey{{Key: topicsKey(userID)}, {Key: memoriesKey(userID, topicID)}}
}

// KnownTopicIDs returns the ids of the user's topics as this process last
// decoded them, or nil: a hint of which memory states a dashboard will
// read, which may be out of date (a prefetched key the request does not
// read costs a little; one it reads and the hint missed is read as usual).
func (s *TopicStore) KnownTopicIDs(userID string) []string {
	list, ok := s.cd.memo.peek(topicsKey(userID))
	if !ok {
		return nil
	}
	ids := make([]string, len(list))
	for i, t := range list {
		ids[i] = t.ID
	}
	return ids
}

// TurnKeys are the keys of POST /v1/sessions/{id}/turns: the session's
// state and, with reviews, the user (the review's time zone and weights).
// None for an id that cannot be a session's.
func TurnKeys(userID, sessionID string, reviews bool) []PrefetchKey {
	if sessionID == "" || len(sessionID) > maxPrefetchID {
		return nil
	}
	ks := []PrefetchKey{{Key: SessionKey(userID, sessionID), State: true}}
	if reviews {
		ks = append(ks, PrefetchKey{Key: userKey(userID)})
	}
	return ks
}

// MeKeys are the keys of GET /v1/me: the user, and with days the user's
// days of study.
func MeKeys(userID string, days bool) []PrefetchKey {
	if !days {
		return []PrefetchKey{{Key: userKey(userID)}}
	}
	return []PrefetchKey{{Key: userKey(userID)}, {Key: daysKey(userID)}}
}
