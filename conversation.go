package recall

import (
	"context"
	"hash/fnv"
	"time"
)

// ConversationState is where a conversation with the tutor is in its life.
type ConversationState string

// Conversation states. An active conversation idle for longer than its idle
// time, or older than its lifetime, is expired (see StateAt); it is not
// stored so.
const (
	ConversationActive  ConversationState = "active"
	ConversationEnded   ConversationState = "ended"
	ConversationExpired ConversationState = "expired"
)

// Limits of a conversation.
const (
	// MaxConversationTitle is the longest title, in characters.
	MaxConversationTitle = 200
	// RecentMessages is how many of the latest messages a conversation's
	// state keeps; older ones live on in its Summary.
	RecentMessages = 8
)

// Conversation is a chat with the tutor about one topic, together with the
// state its next reply needs (recent messages, a summary of older ones, the
// questions in play), so that a reply on a cached conversation reads no
// database row.
type Conversation struct {
	ID      string
	UserID  string
	TopicID string
	Title   string
	// State is as stored: ConversationActive or ConversationEnded.
	State ConversationState
	// Messages is the number of messages so far: the index of the next.
	Messages int
	// Version increases by one with every change; stores use it to refuse
	// a change made on a state that is no longer current.
	Version int64
	// Summary sums up the messages older than Recent, oldest first.
	Summary string
	// QuestionIDs are the questions the last reply drew on: in play for
	// the next message.
	QuestionIDs []string
	// Quizzing is the question the tutor asked and the learner has not yet
	// answered; "" when none.
	Quizzing  string
	CreatedAt time.Time
	UpdatedAt time.Time

	// Recent are the latest messages (at most RecentMessages), oldest
	// first. A ConversationStore does not keep them in the conversation's
	// row: the state cache does, and they are rebuilt from the messages on
	// a miss.
	Recent []*Message

	// KeyHashes holds KeyHash of the Idempotency-Key of every exchange
	// from message KeysFrom on that was sent with one, so that a key is
	// known to be new without a read of the store, however long the
	// conversation. Like Recent it lives in the state cache only: a state
	// rebuilt from the store starts KeysFrom at its first recent message,
	// and a key that may be older is looked up in the store.
	KeyHashes []uint64
	// KeysFrom is the index of the first message KeyHashes covers.
	KeysFrom int
}

// KeyHash is the hash a conversation's state keeps of an Idempotency-Key
// (64-bit FNV-1a).
func KeyHash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// KeyUnused reports whether no exchange of c was sent with key, as its
// state alone can tell: false means the key may have been used (a recent
// message or the store says whether it was).
func (c *Conversation) KeyUnused(key string) bool {
	if c.KeysFrom > 0 {
		return false
	}
	h := KeyHash(key)
	for _, x := range c.KeyHashes {
		if x == h {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of c (its recent messages copied too).
func (c *Conversation) Clone() *Conversation {
	n := *c
	n.QuestionIDs = append([]string(nil), c.QuestionIDs...)
	n.KeyHashes = append([]uint64(nil), c.KeyHashes...)
	if c.Recent != nil {
		n.Recent = make([]*Message, len(c.Recent))
		for i, m := range c.Recent {
			n.Recent[i] = m.Clone()
		}
	}
	return &n
}

// ExpiresAt returns when an active conversation expires: idle after its
// last change, or lifetime after its start, whichever comes first.
func (c *Conversation) ExpiresAt(idle, lifetime time.Duration) time.Time {
	e := c.UpdatedAt.Add(idle)
	if abs := c.CreatedAt.Add(lifetime); abs.Before(e) {
		e = abs
	}
	return e
}

// StateAt returns the conversation's state at time now.
func (c *Conversation) StateAt(now time.Time, idle, lifetime time.Duration) ConversationState {
	if c.State == ConversationActive && !now.Before(c.ExpiresAt(idle, lifetime)) {
		return ConversationExpired
	}
	return c.State
}

// MessageRole says who wrote a message.
type MessageRole string

// Message roles.
const (
	RoleLearner MessageRole = "learner"
	RoleTutor   MessageRole = "tutor"
)

// Message is one message of a conversation.
type Message struct {
	ConversationID string
	Index          int
	Role           MessageRole
	Content        string
	// QuestionIDs are the questions a tutor's reply drew on (or asked, or
	// graded).
	QuestionIDs []string
	// Correct is the grade of a quiz answer, on the tutor's reply that
	// grades it; nil otherwise.
	Correct *bool
	// Tutor names who wrote a tutor's reply: "rules" or "llm".
	Tutor     string
	CreatedAt time.Time
	// IdempotencyKey is the client's key of the exchange, on both its
	// messages, if it sent one.
	IdempotencyKey string
}

// Clone returns a deep copy of m.
func (m *Message) Clone() *Message {
	n := *m
	n.QuestionIDs = append([]string(nil), m.QuestionIDs...)
	if m.Correct != nil {
		b := *m.Correct
		n.Correct = &b
	}
	return &n
}

// ConversationPage asks a ConversationStore for one page of a user's
// conversations, newest first (by CreatedAt, then ID).
type ConversationPage struct {
	After Cursor
	// Limit is the most conversations the page holds; at least 1.
	Limit int
}

// ConversationCursor returns the position of c in a list of conversations.
func ConversationCursor(c *Conversation) Cursor { return Cursor{At: c.CreatedAt, ID: c.ID} }

// ConversationStore keeps conversations and their messages in the primary
// database.
type ConversationStore interface {
	// CreateConversation stores a new conversation (Recent is ignored).
	// The topic must be c.UserID's: ENOTFOUND otherwise; ECONFLICT if the
	// ID is taken.
	CreateConversation(ctx context.Context, c *Conversation) error

	// Conversation returns a conversation (Recent nil). Returns ENOTFOUND
	// if there is none. Callers check c.UserID.
	Conversation(ctx context.Context, id string) (*Conversation, error)

	// Conversations returns one page of the user's conversations, newest
	// first (by CreatedAt, then ID), served by an index.
	Conversations(ctx context.Context, userID string, page ConversationPage) ([]*Conversation, error)

	// SaveConversation records msgs (which may be none) and replaces the
	// conversation with c in one write transaction that reads nothing. It
	// succeeds only if the stored version is c.Version-1. Returns
	// ECONFLICT if it is not (a concurrent writer won), if a message's
	// index is taken or its idempotency key is used in the conversation by
	// another exchange; ENOTFOUND if the conversation is gone.
	SaveConversation(ctx context.Context, c *Conversation, msgs []*Message) error

	// ConversationMessages returns at most limit messages from index from
	// on, oldest first.
	ConversationMessages(ctx context.Context, conversationID string, from, limit int) ([]*Message, error)

	// MessageByKey returns the tutor's message of the exchange that used
	// the idempotency key. Returns ENOTFOUND if there is none.
	MessageByKey(ctx context.Context, conversationID, key string) (*Message, error)

	// DeleteConversation removes a conversation of the user with its
	// messages. Returns ENOTFOUND if it does not exist or is another
	// user's.
	DeleteConversation(ctx context.Context, userID, id string) error
}

// ConversationCache keeps the state of active conversations close at hand:
// in process for the embedded default, in Redis when Redis is configured.
// It is only an accelerator: the ConversationStore is the truth, and a miss
// is rebuilt from it.
type ConversationCache interface {
	// Get returns a cached conversation of the user. Returns ENOTFOUND on
	// a miss.
	Get(ctx context.Context, userID, id string) (*Conversation, error)

	// Put stores c unless the cache holds the same or a newer version of
	// it. The entry lives for ttl after its last Put or Get, never past
	// expiresAt.
	Put(ctx context.Context, c *Conversation, ttl time.Duration, expiresAt time.Time) error

	// Delete drops a conversation from the cache.
	Delete(ctx context.Context, userID, id string) error
}
