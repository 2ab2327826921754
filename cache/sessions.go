package cache

import (
	"context"

	"github.com/recallhq/recall"
)

var _ recall.SessionStore = (*SessionStore)(nil)

// SessionStore is a recall.SessionStore that caches nothing itself: its
// reads go to the inner store (session state is kept by a
// recall.SessionCache, which the tutor engine updates by version). It is
// there so that session writes drop the keys of other caches that they
// change, by the rules of rules.go: a turn that completes its session
// changes the topic's stats, which the owner's cached topic list holds.
type SessionStore struct {
	inner recall.SessionStore
	c     *core
}

// NewSessionStore wraps inner so that its writes drop keys in b.
func NewSessionStore(inner recall.SessionStore, b Backend, opts Options) *SessionStore {
	return &SessionStore{inner: inner, c: newCore(b, opts)}
}

// CreateSession stores s in the inner store, then drops the keys of its
// rule (none).
func (s *SessionStore) CreateSession(ctx context.Context, ss *recall.Session) error {
	err := s.inner.CreateSession(ctx, ss)
	s.c.after(ctx, "SessionStore.CreateSession", sessionWrite(ss), err)
	return err
}

// Session returns the session from the inner store.
func (s *SessionStore) Session(ctx context.Context, id string) (*recall.Session, error) {
	return s.inner.Session(ctx, id)
}

// Sessions returns a page of the user's sessions from the inner store.
func (s *SessionStore) Sessions(ctx context.Context, userID string, page recall.SessionPage) ([]*recall.Session, error) {
	return s.inner.Sessions(ctx, userID, page)
}

// SaveTurn records t and ss in the inner store, then drops the keys of its
// rule: the owner's topic list if the turn completed the session, the
// user's memory states of the topic and days of study if it has a review.
//
// A turn refused for a version conflict was built on a state older than
// the stored one, read ahead with the rest of the request's values (see
// Prefetched): another write won since. SaveTurn forgets them all, so that
// the caller's retry on the stored state reads the question bank, the user
// and the memory states again instead of grading against values that may
// predate the write that won.
func (s *SessionStore) SaveTurn(ctx context.Context, ss *recall.Session, t *recall.Turn) error {
	err := s.inner.SaveTurn(ctx, ss, t)
	if recall.IsCode(err, recall.ECONFLICT) {
		forgetPrefetched(ctx)
	}
	w := sessionWrite(ss)
	w.reviewed = t != nil && t.Review != nil
	s.c.after(ctx, "SessionStore.SaveTurn", w, err)
	return err
}

// Turns returns the transcript from the inner store.
func (s *SessionStore) Turns(ctx context.Context, sessionID string) ([]*recall.Turn, error) {
	return s.inner.Turns(ctx, sessionID)
}

// Turn returns one turn from the inner store.
func (s *SessionStore) Turn(ctx context.Context, sessionID string, index int) (*recall.Turn, error) {
	return s.inner.Turn(ctx, sessionID, index)
}

// sessionWrite is what a write of ss names.
func sessionWrite(ss *recall.Session) write {
	if ss == nil {
		return write{}
	}
	return write{userID: ss.UserID, topicID: ss.TopicID, session: ss}
}
