package cache

import (
	"context"
	"slices"
	"sync"

	"github.com/maypok86/otter/v2"

	"github.com/recallhq/recall"
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
// what it has just changed; and a session write refused for a version
// conflict drops the whole set, so that the turn's retry on the stored
// state reads every value again (the question bank it grades against
// above all) rather than what was read before the write that won.

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

// forgetPrefetched forgets every value read ahead for the request of ctx:
// they proved older than the store (see SessionStore.SaveTurn), so its
// next lookups read the backend.
func forgetPrefetched(ctx context.Context) {
	if p := prefetchedOf(ctx); p != nil {
		p.mu.Lock()
		clear(p.m)
		p.mu.Unlock()
	}
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
// read them, or nil: a hint of which memory states a dashboard will read,
// which may be out of date (a prefetched key the request does not read
// costs a little; one it reads and the hint missed is read as usual). The
// slice is shared: the caller must not change it.
func (s *TopicStore) KnownTopicIDs(userID string) []string {
	ids, _ := s.known.GetIfPresent(userID)
	return ids
}

// knownTopicsBytes bounds what a TopicStore remembers of which topics each
// user has (KnownTopicIDs): by newKnownTopics' weigher, about 16,000 users
// of ten topics.
const knownTopicsBytes = 8 << 20

// newKnownTopics returns the hint of KnownTopicIDs.
//
// It is its own cache, not the memo of decoded lists: a list weighs tens
// of times its ids (question ids, stats), so a memo of 8 MiB held the
// lists of about 420 of 1,000 seeded users, and the dashboards of all the
// others made a Redis round trip per topic after the gate's.
func newKnownTopics() otterCache[string, []string] {
	return otter.Must(&otter.Options[string, []string]{
		MaximumWeight: knownTopicsBytes,
		Weigher: func(userID string, ids []string) uint32 {
			n := 64 + len(userID)
			for _, id := range ids {
				n += 16 + len(id)
			}
			return uint32(n)
		},
	})
}

// rememberTopics records the ids of the user's topics for KnownTopicIDs,
// unless they are what it holds already.
func (s *TopicStore) rememberTopics(userID string, list []*recall.Topic) {
	old, ok := s.known.GetIfPresent(userID)
	if ok && slices.EqualFunc(old, list, func(id string, t *recall.Topic) bool { return id == t.ID }) {
		return
	}
	ids := make([]string, len(list))
	for i, t := range list {
		ids[i] = t.ID
	}
	s.known.Set(userID, ids)
}

// TurnKeys are the keys of POST /v1/sessions/{id}/turns: the session's
// state, the question bank of its topic if topicID names it (a
// SessionTopics hint: "" when the process has not seen the session) and,
// with reviews, the user (the review's time zone and weights). None for an
// id that cannot be a session's.
func TurnKeys(userID, sessionID, topicID string, reviews bool) []PrefetchKey {
	if sessionID == "" || len(sessionID) > maxPrefetchID {
		return nil
	}
	ks := make([]PrefetchKey, 1, 3)
	ks[0] = PrefetchKey{Key: SessionKey(userID, sessionID), State: true}
	if topicID != "" && len(topicID) <= maxPrefetchID {
		ks = append(ks, PrefetchKey{Key: questionsKey(userID, topicID), Hash: true})
	}
	if reviews {
		ks = append(ks, PrefetchKey{Key: userKey(userID)})
	}
	return ks
}

// DefaultSessionTopics bounds a SessionTopics: the sessions a process
// remembers (about 200 bytes each).
const DefaultSessionTopics = 1 << 15

// SessionTopics remembers the topic of each session this process has
// served, so that a turn's gate can read the topic's question bank along
// with the session (TurnKeys), before the session itself says its topic.
// A session never changes topic, so an entry is never wrong for its
// session; a session it does not know (served by another process, or
// forgotten to keep the bound) costs its turn the bank's own read. Least
// recently used entries go first (otter's choice). It is safe for
// concurrent use; a nil *SessionTopics remembers nothing.
type SessionTopics struct {
	c otterCache[string, string] // see otterCache
}

// NewSessionTopics returns a memo of at most max sessions; max <= 0 means
// DefaultSessionTopics.
func NewSessionTopics(max int) *SessionTopics {
	if max <= 0 {
		max = DefaultSessionTopics
	}
	return &SessionTopics{c: otter.Must(&otter.Options[string, string]{MaximumSize: max})}
}

// Remember records that the user's session studies topicID.
func (m *SessionTopics) Remember(userID, sessionID, topicID string) {
	if m == nil || userID == "" || sessionID == "" || topicID == "" {
		return
	}
	m.c.Set(sessionTopicKey(userID, sessionID), topicID)
}

// Topic returns the topic of the user's session, or "" if the memo does
// not know the session.
func (m *SessionTopics) Topic(userID, sessionID string) string {
	if m == nil {
		return ""
	}
	topicID, _ := m.c.GetIfPresent(sessionTopicKey(userID, sessionID))
	return topicID
}

// sessionTopicKey is the memo's key of a session: its user's, so that a
// session id claimed under another user finds nothing.
func sessionTopicKey(userID, sessionID string) string { return userID + "\x00" + sessionID }

// MeKeys are the keys of GET /v1/me: the user, and with days the user's
// days of study.
func MeKeys(userID string, days bool) []PrefetchKey {
	if !days {
		return []PrefetchKey{{Key: userKey(userID)}}
	}
	return []PrefetchKey{{Key: userKey(userID)}, {Key: daysKey(userID)}}
}
