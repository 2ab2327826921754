package cache

import (
	"context"
	"time"

	"github.com/recallhq/recall"
)

var _ recall.TopicStore = (*TopicStore)(nil)

// TopicStore is a recall.TopicStore that caches each user's topic list,
// with stats and question ids, under topics:{<user_id>}. Topic is answered
// from the cached list. Every write invalidates the list after the inner
// store committed it.
type TopicStore struct {
	inner recall.TopicStore
	c     *core
	cd    codec[[]*recall.Topic]
}

// NewTopicStore wraps inner with a cache kept in b.
func NewTopicStore(inner recall.TopicStore, b Backend, opts Options) *TopicStore {
	return &TopicStore{
		inner: inner,
		c:     newCore(b, opts),
		cd:    codec[[]*recall.Topic]{encode: encodeTopics, decode: decodeTopics, clone: cloneTopics, memo: newMemo[[]*recall.Topic](opts.MemoBytes)},
	}
}

// CreateTopic creates t in the inner store and invalidates its user's list.
func (s *TopicStore) CreateTopic(ctx context.Context, t *recall.Topic) error {
	err := s.inner.CreateTopic(ctx, t)
	if mayHaveWritten(err) && t != nil && t.UserID != "" {
		s.c.invalidate(ctx, topicsKey(t.UserID))
	}
	return err
}

// Topics returns the user's topics from the cache, filling it on a miss.
func (s *TopicStore) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	if userID == "" {
		return s.inner.Topics(ctx, userID)
	}
	return lookup(ctx, s.c, s.request(userID))
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

// UpdateTopic updates the topic in the inner store and invalidates the
// user's list.
func (s *TopicStore) UpdateTopic(ctx context.Context, userID, id string, in recall.TopicInput, now time.Time) (*recall.Topic, error) {
	t, err := s.inner.UpdateTopic(ctx, userID, id, in, now)
	if mayHaveWritten(err) && userID != "" {
		s.c.invalidate(ctx, topicsKey(userID))
	}
	return t, err
}

// DeleteTopic deletes the topic in the inner store and invalidates the
// user's list and the topic's question bank.
func (s *TopicStore) DeleteTopic(ctx context.Context, userID, id string) error {
	err := s.inner.DeleteTopic(ctx, userID, id)
	if mayHaveWritten(err) {
		s.c.invalidateTopic(ctx, userID, id)
	}
	return err
}

// InvalidateUser drops the user's cached topic list. The session engine
// calls it after a session completes or is ended, since that changes the
// topic's stats. A failure is logged and returned; the caller may ignore it.
func (s *TopicStore) InvalidateUser(ctx context.Context, userID string) error {
	if userID == "" {
		return nil
	}
	return s.c.invalidate(ctx, topicsKey(userID))
}
