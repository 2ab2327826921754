package recall

import (
	"context"
	"time"
)

// SessionState is where a learning session is in its life.
type SessionState string

// Session states.
const (
	SessionActive    SessionState = "active"
	SessionCompleted SessionState = "completed"
	SessionExpired   SessionState = "expired"
)

// Default session expiry.
const (
	DefaultSessionIdle     = 2 * time.Hour
	DefaultSessionLifetime = 24 * time.Hour
)

// Session is a learning session together with its conversation state: all a
// turn needs, so that a turn reads no database row.
type Session struct {
	ID      string
	UserID  string
	TopicID string
	// State is as stored: SessionActive or SessionCompleted. Whether an
	// active session has expired depends on the time: see StateAt.
	State SessionState
	// QuestionIDs is the order in which the session asks its questions.
	QuestionIDs []string
	// Current indexes QuestionIDs: the question being asked. It equals
	// len(QuestionIDs) once every question has been answered or skipped.
	Current  int
	Answered int
	Correct  int
	Skipped  int
	// Turns is the number of turns so far: the index of the next turn.
	Turns int
	// Version increases by one with every change; stores use it to refuse
	// a change made on a state that is no longer current.
	Version int64
	// IdempotencyKeys maps each Idempotency-Key used in this session to the
	// index of the turn it produced.
	IdempotencyKeys map[string]int
	CreatedAt       time.Time
	UpdatedAt       time.Time

	// Hinted says that the hint of the current question was given: a right
	// answer then counts as Hard rather than Good. Memories are the user's
	// memory states of the session's questions (those graded before) that
	// its turns build on, so that a turn reads no memory. Neither is kept
	// by a SessionStore: the session cache keeps them, and the tutor
	// rebuilds them from the transcript and the MemoryStore on a miss.
	Hinted   bool
	Memories map[string]Memory
}

// Clone returns a deep copy of s.
func (s *Session) Clone() *Session {
	c := *s
	c.QuestionIDs = append([]string(nil), s.QuestionIDs...)
	if s.IdempotencyKeys != nil {
		c.IdempotencyKeys = make(map[string]int, len(s.IdempotencyKeys))
		for k, v := range s.IdempotencyKeys {
			c.IdempotencyKeys[k] = v
		}
	}
	if s.Memories != nil {
		c.Memories = make(map[string]Memory, len(s.Memories))
		for k, v := range s.Memories {
			c.Memories[k] = v
		}
	}
	return &c
}

// ExpiresAt returns when an active session expires: idle after its last
// change, or lifetime after its start, whichever comes first.
func (s *Session) ExpiresAt(idle, lifetime time.Duration) time.Time {
	e := s.UpdatedAt.Add(idle)
	if abs := s.CreatedAt.Add(lifetime); abs.Before(e) {
		e = abs
	}
	return e
}

// StateAt returns the session's state at time now.
func (s *Session) StateAt(now time.Time, idle, lifetime time.Duration) SessionState {
	if s.State == SessionActive && !now.Before(s.ExpiresAt(idle, lifetime)) {
		return SessionExpired
	}
	return s.State
}

// TurnKind says what a turn did.
type TurnKind string

// Turn kinds.
const (
	TurnAnswer  TurnKind = "answer"
	TurnHint    TurnKind = "hint"
	TurnSkip    TurnKind = "skip"
	TurnSummary TurnKind = "summary"
)

// Turn is one exchange of a session's conversation: the user's message and
// the tutor's reply.
type Turn struct {
	SessionID  string
	Index      int
	Kind       TurnKind
	Message    string
	Reply      string
	QuestionID string
	Correct    *bool // nil for hints and summaries
	CreatedAt  time.Time
	// IdempotencyKey is the client's key for this turn, if it sent one.
	IdempotencyKey string
	// After is the session as this turn left it, kept so that a retry with
	// the same idempotency key gets the first response again.
	After *Session
	// Review, if not nil, is the graded review this turn makes of
	// QuestionID: SaveTurn stores its memory state and study day in the
	// turn's transaction. It is not kept with the turn: Turn and Turns
	// leave it nil.
	Review *Review
}

// SessionStore keeps learning sessions and their turns in the primary
// database.
type SessionStore interface {
	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s *Session) error

	// Session returns a session with its whole conversation state,
	// idempotency keys included. Returns ENOTFOUND if there is none.
	// Callers check s.UserID.
	Session(ctx context.Context, id string) (*Session, error)

	// Sessions returns one page of the user's sessions, newest first (by
	// CreatedAt, then ID): at most page.Limit of those page.Includes,
	// served by an index so that a page costs the same wherever it starts.
	Sessions(ctx context.Context, userID string, page SessionPage) ([]*Session, error)

	// SaveTurn records t and replaces the session with s in one write
	// transaction that reads nothing. It succeeds only if the stored
	// session's version is s.Version-1. Returns ECONFLICT if it is not
	// (a concurrent turn won), if t's idempotency key is already used in
	// the session, or if a turn with t's index exists; ENOTFOUND if the
	// session is gone.
	SaveTurn(ctx context.Context, s *Session, t *Turn) error

	// Turns returns a session's transcript, oldest first.
	Turns(ctx context.Context, sessionID string) ([]*Turn, error)

	// Turn returns one turn by index, with After set.
	// Returns ENOTFOUND if there is none.
	Turn(ctx context.Context, sessionID string, index int) (*Turn, error)
}

// SessionCache keeps the state of active sessions close at hand: in process
// for the embedded default, in Redis when Redis is configured. It is only an
// accelerator: the SessionStore is the truth, and a miss is rebuilt from it.
type SessionCache interface {
	// Get returns a cached session of the user. Returns ENOTFOUND on a
	// miss (another user's session included).
	Get(ctx context.Context, userID, id string) (*Session, error)

	// Put stores s unless the cache holds the same or a newer version of
	// it, so a slow writer never replaces newer state with older state.
	// The entry lives for ttl after its last Put or Get (the idle time),
	// never past s's absolute expiry given by expiresAt.
	Put(ctx context.Context, s *Session, ttl time.Duration, expiresAt time.Time) error

	// Delete drops a session of the user from the cache.
	Delete(ctx context.Context, userID, id string) error
}
