package recall

import "context"

// Store is everything the primary database keeps. The sqlite and postgres
// packages implement it, and the store contract suite in storetest checks
// that they behave alike.
type Store interface {
	UserStore
	TokenStore
	TopicStore
	QuestionStore
	SessionStore
	MemoryStore
	ConversationStore

	// Ping returns nil while the database answers, EUNAVAILABLE otherwise.
	Ping(ctx context.Context) error

	// Close releases the store's connections.
	Close() error
}
