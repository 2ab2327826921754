package cache

import (
	"bytes"
	"math"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/recallhq/recall"
)

// DefaultMemoBytes bounds the memo of decoded values of one decorator
// when Options.MemoBytes is zero.
const DefaultMemoBytes = 8 << 20

// memoMaxItemShare is the share of the bound (1/memoMaxItemShare) that one
// item may weigh at most: larger entries are decoded each time rather than
// pushing many small hot ones out.
const memoMaxItemShare = 8

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
// modified (see Backend). It is an otter cache bounded in bytes (the
// weight of entryCost); which items go when it is full is otter's choice
// (W-TinyLFU), and it has no expiry: an item outlives its entry only
// until the next put of its key or its eviction.
type memo[T any] struct {
	items otterCache[string, *memoItem[T]]
	// maxItem is the weight of the largest item kept.
	maxItem int
}

// otterCache is the part of an *otter.Cache that this package uses. Fields
// hold it as this interface rather than as the otter type: a field of an
// otter type, in a type that other packages see, makes each of them compile
// hundreds of otter's generic methods again whenever it is rebuilt (the
// fast test loop paid seconds a package for it). The call through the
// interface did not show in `go test -run '^$' -bench BenchmarkMemo ./cache/`
// (Get: 29 ns before, 31 ns after, best of three on a noisy machine).
type otterCache[K comparable, V any] interface {
	GetIfPresent(key K) (V, bool)
	Set(key K, value V) (V, bool)
	CleanUp()
	EstimatedSize() int
	WeightedSize() uint64
}

// memoItem is one remembered decoding. It is never modified once stored.
type memoItem[T any] struct {
	raw  entry
	val  T
	cost uint32
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
	return &memo[T]{
		items: otter.Must(&otter.Options[string, *memoItem[T]]{
			MaximumWeight: uint64(maxBytes),
			Weigher:       func(_ string, it *memoItem[T]) uint32 { return it.cost },
		}),
		maxItem: min(max(maxBytes/memoMaxItemShare, 1), math.MaxUint32),
	}
}

// get returns the value decoded from e at key, if the memo holds it. The
// value is shared: the caller must copy it before handing it out.
func (m *memo[T]) get(key string, e entry) (T, bool) {
	it, ok := m.items.GetIfPresent(key)
	if !ok || !sameEntry(it.raw, e) {
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
	m.items.Set(key, &memoItem[T]{raw: e, val: v, cost: uint32(cost)})
}

// len returns the number of items held once pending evictions have run
// (tests).
func (m *memo[T]) len() int {
	m.items.CleanUp()
	return m.items.EstimatedSize()
}

// weight returns the bytes held, as counted against the bound, once
// pending evictions have run (tests).
func (m *memo[T]) weight() uint64 {
	m.items.CleanUp()
	return m.items.WeightedSize()
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
