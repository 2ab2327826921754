package inmem

import (
	"context"
	"time"

	"github.com/recallhq/recall"
)

// NopSessionCache is a recall.SessionCache that keeps nothing: every Get
// misses. It runs the server on the database alone, which is how the load
// generator measures its "none" mode.
type NopSessionCache struct{}

var _ recall.SessionCache = NopSessionCache{}

// Get always misses.
func (NopSessionCache) Get(ctx context.Context, userID, id string) (*recall.Session, error) {
	return nil, recall.Errorf(recall.ENOTFOUND, "The session is not cached.")
}

// Put keeps nothing.
func (NopSessionCache) Put(ctx context.Context, s *recall.Session, ttl time.Duration, expiresAt time.Time) error {
	return nil
}

// Delete has nothing to drop.
func (NopSessionCache) Delete(ctx context.Context, userID, id string) error { return nil }

// NopConversationCache is a recall.ConversationCache that keeps nothing:
// every Get misses, so every message reads its conversation from the store.
type NopConversationCache struct{}

var _ recall.ConversationCache = NopConversationCache{}

// Get always misses.
func (NopConversationCache) Get(ctx context.Context, userID, id string) (*recall.Conversation, error) {
	return nil, recall.Errorf(recall.ENOTFOUND, "Conversation not cached.")
}

// Put keeps nothing.
func (NopConversationCache) Put(ctx context.Context, c *recall.Conversation, ttl time.Duration, expiresAt time.Time) error {
	return nil
}

// Delete has nothing to drop.
func (NopConversationCache) Delete(ctx context.Context, userID, id string) error { return nil }
