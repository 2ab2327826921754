package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/recallhq/recall"
)

var _ recall.QuestionStore = (*QuestionStore)(nil)

// orderField is the field of a question-bank hash that holds the question
// ids in bank order (see encodeOrder). Question ids never start with '_'.
const orderField = "_order"

var (
	errNilItem      = errors.New("cache: a nil item in a list")
	errMissingField = errors.New("cache: question-bank hash lacks a question")
)

// QuestionStore is a recall.QuestionStore that caches each topic's whole
// question bank as a hash under questions:{<user_id>}:<topic_id>, in its
// owner's hash slot: one field per question plus the bank order. A miss
// loads the bank with one call of the inner store and fills the hash in
// one backend call. After the inner store committed a write, the write
// drops the keys its rule in rules.go names.
type QuestionStore struct {
	inner recall.QuestionStore
	c     *core
	cd    codec[[]*recall.Question]
}

// NewQuestionStore wraps inner with a cache kept in b.
// With opts.Refill set, the writes of every decorator sharing it refill
// the question banks they drop through this store.
func NewQuestionStore(inner recall.QuestionStore, b Backend, opts Options) *QuestionStore {
	s := &QuestionStore{
		inner: inner,
		c:     newCore(b, opts),
		cd:    codec[[]*recall.Question]{encode: encodeQuestions, decode: decodeQuestions, clone: cloneQuestions, memo: newMemo[[]*recall.Question](opts.MemoBytes)},
	}
	if opts.Refill != nil {
		opts.Refill.register(nameQuestions, filler{m: opts.Metrics, fill: func(ctx context.Context, userID, topicID string) (*flight, error) {
			return refill(ctx, s.c, s.request(userID, topicID))
		}})
	}
	return s
}

// AddQuestions adds qs in the inner store, then drops the keys of its rule.
func (s *QuestionStore) AddQuestions(ctx context.Context, userID, topicID string, qs []*recall.Question) error {
	err := s.inner.AddQuestions(ctx, userID, topicID, qs)
	s.c.after(ctx, "QuestionStore.AddQuestions", write{userID: userID, topicID: topicID}, err)
	return err
}

// Questions returns the topic's bank from the cache, filling it on a miss.
// Like the inner store, it does not check ownership: userID must be the
// topic's owner, whose key the bank is cached under and whose writes drop
// it (a bank read under another user would miss those drops).
func (s *QuestionStore) Questions(ctx context.Context, userID, topicID string) ([]*recall.Question, error) {
	if userID == "" || topicID == "" {
		return s.inner.Questions(ctx, userID, topicID)
	}
	return lookup(ctx, s.c, s.request(userID, topicID))
}

func (s *QuestionStore) request(userID, topicID string) request[[]*recall.Question] {
	return request[[]*recall.Question]{
		name: nameQuestions,
		key:  questionsKey(userID, topicID),
		hash: true,
		cd:   s.cd,
		load: func(ctx context.Context) ([]*recall.Question, error) {
			return s.inner.Questions(ctx, userID, topicID)
		},
	}
}

// UpdateQuestion updates the question in the inner store, then drops the
// keys of its rule.
func (s *QuestionStore) UpdateQuestion(ctx context.Context, userID, topicID, id string, in recall.QuestionInput, now time.Time) (*recall.Question, error) {
	q, err := s.inner.UpdateQuestion(ctx, userID, topicID, id, in, now)
	s.c.after(ctx, "QuestionStore.UpdateQuestion", write{userID: userID, topicID: topicID}, err)
	return q, err
}

// DeleteQuestion deletes the question in the inner store, then drops the
// keys of its rule.
func (s *QuestionStore) DeleteQuestion(ctx context.Context, userID, topicID, id string, now time.Time) error {
	err := s.inner.DeleteQuestion(ctx, userID, topicID, id, now)
	s.c.after(ctx, "QuestionStore.DeleteQuestion", write{userID: userID, topicID: topicID}, err)
	return err
}

func encodeQuestions(qs []*recall.Question) (entry, error) {
	fields := make(map[string][]byte, len(qs)+1)
	ids := make([]string, 0, len(qs))
	for _, q := range qs {
		if q == nil || q.ID == "" || strings.HasPrefix(q.ID, "_") {
			return entry{}, errors.New("cache: a question id is empty or reserved")
		}
		fields[q.ID] = encodeQuestion(q)
		ids = append(ids, q.ID)
	}
	fields[orderField] = encodeOrder(ids)
	return entry{fields: fields}, nil
}

func decodeQuestions(e entry) ([]*recall.Question, error) {
	ids, err := decodeOrder(e.fields[orderField])
	if err != nil {
		return nil, err
	}
	qs := make([]*recall.Question, 0, len(ids))
	for _, id := range ids {
		b, ok := e.fields[id]
		if !ok {
			return nil, errMissingField
		}
		q, err := decodeQuestion(b)
		if err != nil {
			return nil, err
		}
		if q.ID != id {
			return nil, fmt.Errorf("cache: the question-bank field %q holds question %q", id, q.ID)
		}
		qs = append(qs, q)
	}
	return qs, nil
}
