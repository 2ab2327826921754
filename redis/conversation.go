package redis

import (
	"context"
	"errors"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
)

var _ recall.ConversationCache = (*ConversationCache)(nil)

// ConversationCache is the Redis recall.ConversationCache: each
// conversation's state under <prefix>conv:{<user_id>}:<id> (the user's hash
// tag, beside the user's other keys), encoded by cache.EncodeConversation
// and kept by a stateStore as sessions are: Put is a compare-and-set on the
// version with the idle and absolute expiry, Get refreshes the idle time,
// each in one round trip. Errors of Redis come back with the code
// EUNAVAILABLE: callers treat them as a miss and use the database.
type ConversationCache struct {
	stateStore
}

// NewConversationCache returns the conversation cache over c.
func NewConversationCache(c *Client) *ConversationCache {
	return &ConversationCache{newStateStore(c, "conversations", "conversation")}
}

func (s *ConversationCache) key(userID, id string) string {
	return s.c.opts.Prefix + "conv:{" + userID + "}:" + id
}

// Get returns the cached state and restarts its idle time. Returns
// ENOTFOUND on a miss; a value that does not decode, or is another user's
// or conversation's, is deleted and is a miss too.
func (s *ConversationCache) Get(ctx context.Context, userID, id string) (*recall.Conversation, error) {
	key := s.key(userID, id)
	data, err := s.load(ctx, key)
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, recall.Errorf(recall.ENOTFOUND, "Conversation not cached.")
	}
	c, err := cache.DecodeConversation(data)
	if err == nil && (c.ID != id || c.UserID != userID) {
		err = errors.New("the value is another conversation's")
	}
	if err != nil {
		s.bad(ctx, key, id, err)
		return nil, recall.Errorf(recall.ENOTFOUND, "Conversation not cached.")
	}
	s.c.m.Cache(s.name, "hit")
	return c, nil
}

// Put stores c unless the cache holds the same or a newer version, for ttl
// after this Put or the last Get and never past expiresAt.
func (s *ConversationCache) Put(ctx context.Context, c *recall.Conversation, ttl time.Duration, expiresAt time.Time) error {
	if c == nil || c.ID == "" {
		return recall.Errorf(recall.EINVALID, "No conversation to cache.")
	}
	data, err := cache.EncodeConversation(c)
	if err != nil {
		return recall.Errorf(recall.EINVALID, "Conversation cannot be cached: %v", err)
	}
	return s.store(ctx, s.key(c.UserID, c.ID), c.Version, data, ttl, expiresAt)
}

// Delete drops a conversation from the cache.
func (s *ConversationCache) Delete(ctx context.Context, userID, id string) error {
	return s.drop(ctx, s.key(userID, id))
}
