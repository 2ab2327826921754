package tutor

import (
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/maypok86/otter/v2"

	"github.com/recallhq/recall"
)

// The context of a conversation's reply is chosen by BM25, a lexical
// ranking: each question of the topic's bank is a document made of its
// prompt, answers and explanation; a message's words score the documents
// that hold them, rare words more than common ones, and short documents a
// little more than long ones. The index of a bank is built once per bank
// version and kept in process (otter), so a reply on a hot bank costs one
// tokenization of the message and a few map lookups.

// BM25 parameters: the usual ones.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
	// minRelevance is the least score a question needs to be relevant to a
	// message at all: below it the tutor says the notes do not cover it.
	// One shared word of some rarity scores about 1 in a bank of a few
	// questions; a word held by every question scores near 0.
	minRelevance = 0.5
	// keepRatio keeps the questions that score at least this share of the
	// best one.
	keepRatio = 0.4
)

// stopwords are left out of the index and the queries: words that say
// nothing about a subject.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be but by can could did do does for from had has have
		how i if in into is it its me my of on or our so tell than that the their them then there these they
		this to was we were what when where which who whom why will with would you your about explain please
		quiz say says notes note know want give some any more again also not no yes ok okay`) {
		m[w] = true
	}
	return m
}()

// terms returns the indexable words of s: normalized as answers are
// (case, accents, width), split at anything but letters and digits, with
// stopwords and one-letter words left out.
func terms(s string) []string {
	words := strings.FieldsFunc(normalize(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := words[:0]
	for _, w := range words {
		if len([]rune(w)) > 1 && !stopwords[w] {
			out = append(out, w)
		}
	}
	return out
}

// bankIndex is the BM25 index of one version of a bank.
type bankIndex struct {
	version uint64
	qs      []*recall.Question
	tf      []map[string]int
	length  []int
	df      map[string]int
	avg     float64
}

// scored is a question with its score.
type scored struct {
	q     *recall.Question
	score float64
}

func buildIndex(qs []*recall.Question, version uint64) *bankIndex {
	x := &bankIndex{version: version, qs: qs, tf: make([]map[string]int, len(qs)), length: make([]int, len(qs)), df: map[string]int{}}
	total := 0
	for i, q := range qs {
		text := q.Prompt + " " + strings.Join(q.Answers, " ") + " " + q.Explanation
		tf := map[string]int{}
		for _, t := range terms(text) {
			tf[t]++
		}
		for t := range tf {
			x.df[t]++
		}
		x.tf[i] = tf
		x.length[i] = len(terms(text))
		total += x.length[i]
	}
	if len(qs) > 0 {
		x.avg = float64(total) / float64(len(qs))
	}
	return x
}

// search returns the questions relevant to query, best first: at most k,
// each scoring at least minRelevance and keepRatio of the best.
func (x *bankIndex) search(query string, k int) []scored {
	qt := terms(query)
	if len(qt) == 0 || len(x.qs) == 0 {
		return nil
	}
	slices.Sort(qt)
	qt = slices.Compact(qt)
	n := float64(len(x.qs))
	var out []scored
	for i, q := range x.qs {
		s := 0.0
		for _, t := range qt {
			f := float64(x.tf[i][t])
			if f == 0 {
				continue
			}
			df := float64(x.df[t])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			norm := 1 - bm25B + bm25B*float64(x.length[i])/max(x.avg, 1)
			s += idf * f * (bm25K1 + 1) / (f + bm25K1*norm)
		}
		if s >= minRelevance {
			out = append(out, scored{q, s})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	if len(out) > k {
		out = out[:k]
	}
	for i := range out {
		if out[i].score < keepRatio*out[0].score {
			return out[:i]
		}
	}
	return out
}

// bankVersion fingerprints a bank: its questions' ids and update times in
// bank order. Any write to the bank (add, change, delete, reorder) changes
// it.
func bankVersion(seed maphash.Seed, qs []*recall.Question) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, q := range qs {
		h.WriteString(q.ID)
		var b [8]byte
		u := uint64(q.UpdatedAt.UnixNano())
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

// indexMemo keeps the index of each topic's bank in process, rebuilt when
// the bank's version changes.
type indexMemo struct {
	seed maphash.Seed
	// indexes is an *otter.Cache, held as an interface: a field of an
	// otter type would make every package that imports tutor compile
	// hundreds of otter's generic methods again whenever it is rebuilt.
	indexes interface {
		GetIfPresent(key string) (*bankIndex, bool)
		Set(key string, value *bankIndex) (*bankIndex, bool)
	}
}

func newIndexMemo(size int) *indexMemo {
	return &indexMemo{
		seed:    maphash.MakeSeed(),
		indexes: otter.Must(&otter.Options[string, *bankIndex]{MaximumSize: size}),
	}
}

// index returns the index of topicID's bank qs.
func (m *indexMemo) index(topicID string, qs []*recall.Question) *bankIndex {
	v := bankVersion(m.seed, qs)
	if x, ok := m.indexes.GetIfPresent(topicID); ok && x.version == v {
		return x
	}
	x := buildIndex(qs, v)
	m.indexes.Set(topicID, x)
	return x
}
