package cache

import (
	"bytes"
	"hash/maphash"
	"sync"
	"time"

	"github.com/recallhq/recall"
)

// DefaultMemoBytes bounds the memo of decoded values of one decorator
// when Options.MemoBytes is zero.
const DefaultMemoBytes = 8 << 20

// memoShards is the number of independently locked parts of a memo.
const memoShards = 8

// memoOverhead is the weight added to every memo item for its bookkeeping
// and for the decoded value beside the raw bytes.
const memoOverhead = 128

// memo remembers, per key, the value last decoded from the key's entry
// together with that entry. A lookup whose entry equals the remembered one,
// byte for byte, gets a copy of the decoded value instead of decoding
// again: a hot key is decoded once, not on every hit.
//
// Coherence is untouched: the memo is consulted only with an entry the
// backend has just returned, and it answers only if that entry is exactly
// the one it decoded, so it never needs invalidating. Comparing the bytes,
// rather than hashes of them, costs about as much as hashing them would
// and leaves no room for a collision, crafted or not.
//
// Values handed out are copies (see codec.clone): a caller may change what
// it gets without changing the memo. The memo keeps the entry it is given
// without copying it; that is safe because a Backend's entries are never
// modified (see Backend). It is bounded in bytes by an LRU per shard.
type memo[T any] struct {
	seed   maphash.Seed
	shards [memoShards]memoShard[T]
	// maxItem is the weight of the largest item kept, the bound of a
	// shard; larger entries are decoded each time.
	maxItem int
}

type memoShard[T any] struct {
	mu    sync.Mutex
	items map[string]*memoItem[T]
	ring  memoItem[T] // sentinel of the LRU ring: ring.next is the newest
	size  int
	max   int
}

// memoItem is one remembered decoding. Its key, raw entry and value are
// never modified once it is stored; prev and next belong to the shard lock.
type memoItem[T any] struct {
	key        string
	raw        entry
	val        T
	cost       int
	prev, next *memoItem[T]
}

// newMemo returns a memo bounded to maxBytes, or nil (no memo) if maxBytes
// is negative.
func newMemo[T any](maxBytes int) *memo[T] {
	if maxBytes < 0 {
		return nil
	}
	if maxBytes == 0 {
		maxBytes = DefaultMemoBytes
	}
	m := &memo[T]{seed: maphash.MakeSeed(), maxItem: max(maxBytes/memoShards, 1)}
	for i := range m.shards {
		s := &m.shards[i]
		s.items = make(map[string]*memoItem[T])
		s.ring.prev, s.ring.next = &s.ring, &s.ring
		s.max = m.maxItem
	}
	return m
}

func (m *memo[T]) shard(key string) *memoShard[T] {
	return &m.shards[maphash.String(m.seed, key)%memoShards]
}

// get returns the value decoded from e at key, if the memo holds it. The
// value is shared: the caller must copy it before handing it out.
func (m *memo[T]) get(key string, e entry) (T, bool) {
	s := m.shard(key)
	s.mu.Lock()
	it := s.items[key]
	if it != nil {
		s.unlink(it)
		s.pushFront(it)
	}
	s.mu.Unlock()
	if it == nil || !sameEntry(it.raw, e) {
		var zero T
		return zero, false
	}
	return it.val, true
}

// put remembers that e at key decodes to v, which the memo now owns.
func (m *memo[T]) put(key string, e entry, v T) {
	cost := entryCost(key, e)
	if cost > m.maxItem {
		return
	}
	it := &memoItem[T]{key: key, raw: e, val: v, cost: cost}
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.items[key]; old != nil {
		s.unlink(old)
		s.size -= old.cost
	}
	s.items[key] = it
	s.pushFront(it)
	s.size += cost
	for s.size > s.max {
		last := s.ring.prev
		s.unlink(last)
		delete(s.items, last.key)
		s.size -= last.cost
	}
}

// len returns the number of items held (tests).
func (m *memo[T]) len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.items)
		s.mu.Unlock()
	}
	return n
}

func (s *memoShard[T]) unlink(it *memoItem[T]) {
	it.prev.next, it.next.prev = it.next, it.prev
	it.prev, it.next = nil, nil
}

func (s *memoShard[T]) pushFront(it *memoItem[T]) {
	it.prev, it.next = &s.ring, s.ring.next
	s.ring.next.prev = it
	s.ring.next = it
}

// sameEntry reports whether a and b hold the same bytes: the same value,
// or hashes with the same fields and values.
func sameEntry(a, b entry) bool {
	if (a.fields == nil) != (b.fields == nil) {
		return false
	}
	if a.fields == nil {
		return bytes.Equal(a.val, b.val)
	}
	if len(a.fields) != len(b.fields) {
		return false
	}
	for k, bv := range b.fields {
		av, ok := a.fields[k]
		if !ok || !bytes.Equal(av, bv) {
			return false
		}
	}
	return true
}

// entryCost is the weight of an item: its raw bytes, which the decoded
// value is about the size of, and the bookkeeping.
func entryCost(key string, e entry) int {
	n := memoOverhead + 2*(len(key)+len(e.val))
	for k, v := range e.fields {
		n += 2*(len(k)+len(v)) + 32
	}
	return n
}

// cloneTopics returns a copy of ts that shares nothing a caller could
// change with ts (strings are immutable and shared). It allocates a few
// backing arrays for the whole list rather than a few per topic; each
// slice handed out is capped at its own length, so an append to one
// reallocates instead of writing over its neighbour.
func cloneTopics(ts []*recall.Topic) []*recall.Topic {
	if ts == nil {
		return nil
	}
	nIDs, nTimes := 0, 0
	for _, t := range ts {
		nIDs += len(t.QuestionIDs)
		if t.Stats.LastStudiedAt != nil {
			nTimes++
		}
	}
	structs := make([]recall.Topic, len(ts))
	out := make([]*recall.Topic, len(ts))
	ids := make([]string, 0, nIDs)
	var times []time.Time
	if nTimes > 0 {
		times = make([]time.Time, 0, nTimes)
	}
	for i, t := range ts {
		c := &structs[i]
		*c = *t
		if t.QuestionIDs != nil {
			start := len(ids)
			ids = append(ids, t.QuestionIDs...)
			c.QuestionIDs = ids[start:len(ids):len(ids)]
		}
		if t.Stats.LastStudiedAt != nil {
			times = append(times, *t.Stats.LastStudiedAt)
			c.Stats.LastStudiedAt = &times[len(times)-1]
		}
		out[i] = c
	}
	return out
}

// cloneQuestions is cloneTopics for a question bank.
func cloneQuestions(qs []*recall.Question) []*recall.Question {
	if qs == nil {
		return nil
	}
	n := 0
	for _, q := range qs {
		n += len(q.Answers) + len(q.Choices)
	}
	structs := make([]recall.Question, len(qs))
	out := make([]*recall.Question, len(qs))
	strs := make([]string, 0, n)
	part := func(src []string) []string {
		if src == nil {
			return nil
		}
		start := len(strs)
		strs = append(strs, src...)
		return strs[start:len(strs):len(strs)]
	}
	for i, q := range qs {
		c := &structs[i]
		*c = *q
		c.Answers = part(q.Answers)
		c.Choices = part(q.Choices)
		out[i] = c
	}
	return out
}

// cloneToken returns a copy of t.
func cloneToken(t *recall.Token) *recall.Token {
	if t == nil {
		return nil
	}
	c := *t
	if t.Hash != nil {
		c.Hash = bytes.Clone(t.Hash)
	}
	return &c
}
