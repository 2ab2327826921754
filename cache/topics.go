package cache

import (
	"context"
	"time"

	"github.com/recallhq/recall"
)

var _ recall.TopicStore = (*TopicStore)(nil)

// TopicStore is a recall.TopicStore that caches each user's topic list,
// with stats and question ids, under topics:{<user_id>}. Topic is answered
// from the cached list. After the inner store committed a write, the write
// drops the keys its rule in rules.go names.
type TopicStore struct {
	inner recall.TopicStore
	c     *core
	cd    codec[[]*recall.Topic]
	known otterCache[string, []string] // see KnownTopicIDs
}

// NewTopicStore wraps inner with a cache kept in b.
// With opts.Refill set, the writes of every decorator sharing it refill
// the topic lists they drop through this store.
func NewTopicStore(inner recall.TopicStore, b Backend, opts Options) *TopicStore {
	s := &TopicStore{
		inner: inner,
		c:     newCore(b, opts),
		cd:    codec[[]*recall.Topic]{encode: encodeTopics, decode: decodeTopics, clone: cloneTopics, memo: newMemo[[]*recall.Topic](opts.MemoBytes)},
		known: newKnownTopics(),
	}
	if opts.Refill != nil {
		opts.Refill.register(nameTopics, filler{m: opts.Metrics, fill: func(ctx context.Context, userID, _ string) (*flight, error) {
			return refill(ctx, s.c, s.request(userID))
		}})
	}
	return s
}

// CreateTopic creates t in the inner store, then drops the keys of its rule.
func (s *TopicStore) CreateTopic(ctx context.Context, t *recall.Topic) error {
	err := s.inner.CreateTopic(ctx, t)
	var w write
	if t != nil {
		w = write{userID: t.UserID, topicID: t.ID}
	}
	s.c.after(ctx, "TopicStore.CreateTopic", w, err)
	return err
}

// Topics returns the user's topics from the cache, filling it on a miss.
func (s *TopicStore) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	if userID == "" {
		return s.inner.Topics(ctx, userID)
	}
	list, err := lookup(ctx, s.c, s.request(userID))
	if err == nil {
		s.rememberTopics(userID, list)
	}
	return list, err
}

func (s *TopicStore) request(userID string) request[[]*recall.Topic] {
	return request[[]*recall.Topic]{
		name: nameTopics,
		key:  topicsKey(userID),
		cd:   s.cd,
		load: func(ctx context.Context) ([]*recall.Topic, error) {
			return s.inner.Topics(ctx, userID)
		},
	}
}

// Topic returns one of the user's topics, found in the cached list.
// Returns ENOTFOUND if it is not there. When the cache is unavailable it
// asks the inner store for that one topic.
func (s *TopicStore) Topic(ctx context.Context, userID, id string) (*recall.Topic, error) {
	if userID == "" {
		return s.inner.Topic(ctx, userID, id)
	}
	r := s.request(userID)
	r.fallback = func(ctx context.Context) ([]*recall.Topic, error) {
		t, err := s.inner.Topic(ctx, userID, id)
		if err != nil {
			return nil, err
		}
		return []*recall.Topic{t}, nil
	}
	r.fallbackID = id
	// A hit copies out the one topic asked for, not the whole list.
	r.part = func(list []*recall.Topic) []*recall.Topic {
		for _, t := range list {
			if t.ID == id {
				return cloneTopics([]*recall.Topic{t})
			}
		}
		return nil
	}
	list, err := lookup(ctx, s.c, r)
	if err != nil {
		return nil, err
	}
	for _, t := range list {
		if t.ID == id && t.UserID == userID {
			return t, nil
		}
	}
	return nil, recall.Errorf(recall.ENOTFOUND, "Topic not found.")
}

// UpdateTopic updates the topic in the inner store, then drops the keys of
// its rule.
func (s *TopicStore) UpdateTopic(ctx context.Context, userID, id string, in recall.TopicInput, now time.Time) (*recall.Topic, error) {
	t, err := s.inner.UpdateTopic(ctx, userID, id, in, now)
	s.c.after(ctx, "TopicStore.UpdateTopic", write{userID: userID, topicID: id}, err)
	return t, err
}

// DeleteTopic deletes the topic in the inner store, then drops the keys of
// its rule.
func (s *TopicStore) DeleteTopic(ctx context.Context, userID, id string) error {
	err := s.inner.DeleteTopic(ctx, userID, id)
	s.c.after(ctx, "TopicStore.DeleteTopic", write{userID: userID, topicID: id}, err)
	return err
}
