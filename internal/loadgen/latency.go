package loadgen

import (
	"context"
	"time"

	"github.com/recallhq/recall"
)

// WithLatency returns s with a wait of d before every call that reaches the
// database (every method but Close), to put an in-process database (SQLite,
// or Firestore's emulator on loopback) at a network distance. The wait ends
// early, with the context's error, when the caller gives up. The store
// below is the real one: it counts its statements as always, and the
// decorator only delays them.
//
// The wait is per call, not per statement: a call of several statements
// (a turn's transaction) pays d once, where a networked database pays one
// round trip per statement. Wrapping the store rather than SQLite's
// database/sql connections keeps the stores free of a benchmark option;
// PostgreSQL, which is reached over TCP, gets its latency per round trip
// from a toxiproxy instead (see NewTemplate).
func WithLatency(s recall.Store, d time.Duration) recall.Store {
	if d <= 0 {
		return s
	}
	return &latencyStore{Store: s, d: d}
}

// latencyStore is the store of WithLatency.
type latencyStore struct {
	recall.Store
	d time.Duration
}

// wait waits out the latency, or until ctx is done.
func (s *latencyStore) wait(ctx context.Context) error {
	t := time.NewTimer(s.d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Ping waits, then pings the database.
func (s *latencyStore) Ping(ctx context.Context) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.Ping(ctx)
}

// CreateUser waits, then calls the store.
func (s *latencyStore) CreateUser(ctx context.Context, u *recall.User, passwordHash string) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.CreateUser(ctx, u, passwordHash)
}

// UserByUsername waits, then calls the store.
func (s *latencyStore) UserByUsername(ctx context.Context, username string) (*recall.User, string, error) {
	if err := s.wait(ctx); err != nil {
		return nil, "", err
	}
	return s.Store.UserByUsername(ctx, username)
}

// UserByID waits, then calls the store.
func (s *latencyStore) UserByID(ctx context.Context, id string) (*recall.User, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.UserByID(ctx, id)
}

// CreateToken waits, then calls the store.
func (s *latencyStore) CreateToken(ctx context.Context, t *recall.Token) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.CreateToken(ctx, t)
}

// TokenByHash waits, then calls the store.
func (s *latencyStore) TokenByHash(ctx context.Context, hash []byte) (*recall.Token, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.TokenByHash(ctx, hash)
}

// DeleteToken waits, then calls the store.
func (s *latencyStore) DeleteToken(ctx context.Context, hash []byte) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.DeleteToken(ctx, hash)
}

// CreateTopic waits, then calls the store.
func (s *latencyStore) CreateTopic(ctx context.Context, t *recall.Topic) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.CreateTopic(ctx, t)
}

// Topics waits, then calls the store.
func (s *latencyStore) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Topics(ctx, userID)
}

// Topic waits, then calls the store.
func (s *latencyStore) Topic(ctx context.Context, userID, id string) (*recall.Topic, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Topic(ctx, userID, id)
}

// UpdateTopic waits, then calls the store.
func (s *latencyStore) UpdateTopic(ctx context.Context, userID, id string, in recall.TopicInput, now time.Time) (*recall.Topic, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.UpdateTopic(ctx, userID, id, in, now)
}

// DeleteTopic waits, then calls the store.
func (s *latencyStore) DeleteTopic(ctx context.Context, userID, id string) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.DeleteTopic(ctx, userID, id)
}

// AddQuestions waits, then calls the store.
func (s *latencyStore) AddQuestions(ctx context.Context, userID, topicID string, qs []*recall.Question) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.AddQuestions(ctx, userID, topicID, qs)
}

// Questions waits, then calls the store.
func (s *latencyStore) Questions(ctx context.Context, userID, topicID string) ([]*recall.Question, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Questions(ctx, userID, topicID)
}

// UpdateQuestion waits, then calls the store.
func (s *latencyStore) UpdateQuestion(ctx context.Context, userID, topicID, id string, in recall.QuestionInput, now time.Time) (*recall.Question, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.UpdateQuestion(ctx, userID, topicID, id, in, now)
}

// DeleteQuestion waits, then calls the store.
func (s *latencyStore) DeleteQuestion(ctx context.Context, userID, topicID, id string, now time.Time) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.DeleteQuestion(ctx, userID, topicID, id, now)
}

// CreateSession waits, then calls the store.
func (s *latencyStore) CreateSession(ctx context.Context, sess *recall.Session) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.CreateSession(ctx, sess)
}

// Session waits, then calls the store.
func (s *latencyStore) Session(ctx context.Context, id string) (*recall.Session, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Session(ctx, id)
}

// Sessions waits, then calls the store.
func (s *latencyStore) Sessions(ctx context.Context, userID string, page recall.SessionPage) ([]*recall.Session, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Sessions(ctx, userID, page)
}

// SaveTurn waits, then calls the store.
func (s *latencyStore) SaveTurn(ctx context.Context, sess *recall.Session, t *recall.Turn) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.SaveTurn(ctx, sess, t)
}

// Turns waits, then calls the store.
func (s *latencyStore) Turns(ctx context.Context, sessionID string) ([]*recall.Turn, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Turns(ctx, sessionID)
}

// Turn waits, then calls the store.
func (s *latencyStore) Turn(ctx context.Context, sessionID string, index int) (*recall.Turn, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Turn(ctx, sessionID, index)
}

// UpdateUser waits, then calls the store.
func (s *latencyStore) UpdateUser(ctx context.Context, u *recall.User) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.UpdateUser(ctx, u)
}

// SetAdmin waits, then calls the store.
func (s *latencyStore) SetAdmin(ctx context.Context, id string, admin bool) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.SetAdmin(ctx, id, admin)
}

// Memories waits, then calls the store.
func (s *latencyStore) Memories(ctx context.Context, userID, topicID string) ([]*recall.Memory, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Memories(ctx, userID, topicID)
}

// StudyDays waits, then calls the store.
func (s *latencyStore) StudyDays(ctx context.Context, userID string) ([]int, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.StudyDays(ctx, userID)
}

// CreateConversation waits, then calls the store.
func (s *latencyStore) CreateConversation(ctx context.Context, c *recall.Conversation) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.CreateConversation(ctx, c)
}

// Conversation waits, then calls the store.
func (s *latencyStore) Conversation(ctx context.Context, id string) (*recall.Conversation, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Conversation(ctx, id)
}

// Conversations waits, then calls the store.
func (s *latencyStore) Conversations(ctx context.Context, userID string, page recall.ConversationPage) ([]*recall.Conversation, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.Conversations(ctx, userID, page)
}

// SaveConversation waits, then calls the store.
func (s *latencyStore) SaveConversation(ctx context.Context, c *recall.Conversation, msgs []*recall.Message) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.SaveConversation(ctx, c, msgs)
}

// ConversationMessages waits, then calls the store.
func (s *latencyStore) ConversationMessages(ctx context.Context, conversationID string, from, limit int) ([]*recall.Message, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.ConversationMessages(ctx, conversationID, from, limit)
}

// MessageByKey waits, then calls the store.
func (s *latencyStore) MessageByKey(ctx context.Context, conversationID, key string) (*recall.Message, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.MessageByKey(ctx, conversationID, key)
}

// DeleteConversation waits, then calls the store.
func (s *latencyStore) DeleteConversation(ctx context.Context, userID, id string) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.DeleteConversation(ctx, userID, id)
}
