package tutor

import (
	"context"
	"sync"
	"time"

	"github.com/recallhq/recall"
)

// fakeStore is an in-memory TopicStore, QuestionStore and SessionStore for
// the engine tests (a fake above the store layer; the real stores have
// their own contract suite). It keeps copies, enforces the SaveTurn
// contract and counts calls by method.
type fakeStore struct {
	mu        sync.Mutex
	topics    map[string]*recall.Topic
	questions map[string][]*recall.Question // by topic ID, in bank order
	sessions  map[string]*recall.Session
	turns     map[string][]*recall.Turn
	calls     map[string]int
}

var (
	_ recall.TopicStore    = (*fakeStore)(nil)
	_ recall.QuestionStore = (*fakeStore)(nil)
	_ recall.SessionStore  = (*fakeStore)(nil)
)

func newFakeStore() *fakeStore {
	return &fakeStore{
		topics:    map[string]*recall.Topic{},
		questions: map[string][]*recall.Question{},
		sessions:  map[string]*recall.Session{},
		turns:     map[string][]*recall.Turn{},
		calls:     map[string]int{},
	}
}

// count records a call; callers hold f.mu.
func (f *fakeStore) count(op string) { f.calls[op]++ }

// Calls returns how many times op was called.
func (f *fakeStore) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// ResetCalls forgets the counted calls.
func (f *fakeStore) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = map[string]int{}
}

// SessionReads returns the number of reads of the session store.
func (f *fakeStore) SessionReads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls["Session"] + f.calls["Sessions"] + f.calls["Turn"] + f.calls["Turns"]
}

func cloneTurn(t *recall.Turn) *recall.Turn {
	c := *t
	if t.Correct != nil {
		c.Correct = new(*t.Correct)
	}
	if t.After != nil {
		c.After = t.After.Clone()
	}
	return &c
}

func cloneQuestion(q *recall.Question) *recall.Question {
	c := *q
	c.Answers = append([]string(nil), q.Answers...)
	c.Choices = append([]string(nil), q.Choices...)
	return &c
}

func (f *fakeStore) CreateTopic(ctx context.Context, t *recall.Topic) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("CreateTopic")
	c := *t
	f.topics[t.ID] = &c
	return nil
}

func (f *fakeStore) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Topics")
	var ts []*recall.Topic
	for _, t := range f.topics {
		if t.UserID == userID {
			c := *t
			ts = append(ts, &c)
		}
	}
	return ts, nil
}

func (f *fakeStore) Topic(ctx context.Context, userID, id string) (*recall.Topic, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Topic")
	t, ok := f.topics[id]
	if !ok || t.UserID != userID {
		return nil, recall.Errorf(recall.ENOTFOUND, "Topic not found.")
	}
	c := *t
	return &c, nil
}

func (f *fakeStore) UpdateTopic(ctx context.Context, userID, id string, in recall.TopicInput, now time.Time) (*recall.Topic, error) {
	return nil, recall.Errorf(recall.EINTERNAL, "not implemented in the fake")
}

func (f *fakeStore) DeleteTopic(ctx context.Context, userID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("DeleteTopic")
	t, ok := f.topics[id]
	if !ok || t.UserID != userID {
		return recall.Errorf(recall.ENOTFOUND, "Topic not found.")
	}
	delete(f.topics, id)
	delete(f.questions, id)
	for sid, s := range f.sessions {
		if s.TopicID == id {
			delete(f.sessions, sid)
			delete(f.turns, sid)
		}
	}
	return nil
}

func (f *fakeStore) AddQuestions(ctx context.Context, userID, topicID string, qs []*recall.Question) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("AddQuestions")
	t, ok := f.topics[topicID]
	if !ok || t.UserID != userID {
		return recall.Errorf(recall.ENOTFOUND, "Topic not found.")
	}
	for _, q := range qs {
		f.questions[topicID] = append(f.questions[topicID], cloneQuestion(q))
		t.QuestionIDs = append(t.QuestionIDs, q.ID)
	}
	return nil
}

func (f *fakeStore) Questions(ctx context.Context, userID, topicID string) ([]*recall.Question, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Questions")
	qs := make([]*recall.Question, 0, len(f.questions[topicID]))
	for _, q := range f.questions[topicID] {
		qs = append(qs, cloneQuestion(q))
	}
	return qs, nil
}

func (f *fakeStore) UpdateQuestion(ctx context.Context, userID, topicID, id string, in recall.QuestionInput, now time.Time) (*recall.Question, error) {
	return nil, recall.Errorf(recall.EINTERNAL, "not implemented in the fake")
}

func (f *fakeStore) DeleteQuestion(ctx context.Context, userID, topicID, id string, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("DeleteQuestion")
	qs := f.questions[topicID]
	for i, q := range qs {
		if q.ID == id {
			f.questions[topicID] = append(qs[:i:i], qs[i+1:]...)
			return nil
		}
	}
	return recall.Errorf(recall.ENOTFOUND, "Question not found.")
}

func (f *fakeStore) CreateSession(ctx context.Context, s *recall.Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("CreateSession")
	if _, ok := f.sessions[s.ID]; ok {
		return recall.Errorf(recall.ECONFLICT, "Session exists.")
	}
	f.sessions[s.ID] = s.Clone()
	return nil
}

func (f *fakeStore) Session(ctx context.Context, id string) (*recall.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Session")
	s, ok := f.sessions[id]
	if !ok {
		return nil, recall.Errorf(recall.ENOTFOUND, "Session not found.")
	}
	return s.Clone(), nil
}

func (f *fakeStore) Sessions(ctx context.Context, userID string, page recall.SessionPage) ([]*recall.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Sessions")
	var ss []*recall.Session
	for _, s := range f.sessions {
		if s.UserID == userID && page.Includes(s) {
			ss = append(ss, s.Clone())
		}
	}
	// Newest first; IDs break ties so that the order is stable.
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && (ss[j].CreatedAt.After(ss[j-1].CreatedAt) ||
			ss[j].CreatedAt.Equal(ss[j-1].CreatedAt) && ss[j].ID < ss[j-1].ID); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
	return ss[:min(len(ss), page.Limit)], nil
}

func (f *fakeStore) SaveTurn(ctx context.Context, s *recall.Session, t *recall.Turn) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("SaveTurn")
	old, ok := f.sessions[s.ID]
	if !ok {
		return recall.Errorf(recall.ENOTFOUND, "Session not found.")
	}
	if old.Version != s.Version-1 {
		return recall.Errorf(recall.ECONFLICT, "Stale session version.")
	}
	if _, used := old.IdempotencyKeys[t.IdempotencyKey]; used && t.IdempotencyKey != "" {
		return recall.Errorf(recall.ECONFLICT, "Idempotency key used.")
	}
	if t.Index != len(f.turns[s.ID]) {
		return recall.Errorf(recall.ECONFLICT, "Turn index taken.")
	}
	f.sessions[s.ID] = s.Clone()
	f.turns[s.ID] = append(f.turns[s.ID], cloneTurn(t))
	return nil
}

func (f *fakeStore) Turns(ctx context.Context, sessionID string) ([]*recall.Turn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Turns")
	ts := make([]*recall.Turn, 0, len(f.turns[sessionID]))
	for _, t := range f.turns[sessionID] {
		ts = append(ts, cloneTurn(t))
	}
	return ts, nil
}

func (f *fakeStore) Turn(ctx context.Context, sessionID string, index int) (*recall.Turn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("Turn")
	ts := f.turns[sessionID]
	if index < 0 || index >= len(ts) {
		return nil, recall.Errorf(recall.ENOTFOUND, "Turn not found.")
	}
	return cloneTurn(ts[index]), nil
}

// brokenCache is a SessionCache whose backend is down.
type brokenCache struct {
	mu    sync.Mutex
	calls int
}

func (c *brokenCache) fail() error {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return recall.Errorf(recall.EUNAVAILABLE, "Cache unavailable.")
}

func (c *brokenCache) Get(ctx context.Context, userID, id string) (*recall.Session, error) {
	return nil, c.fail()
}

func (c *brokenCache) Put(ctx context.Context, s *recall.Session, ttl time.Duration, expiresAt time.Time) error {
	return c.fail()
}

func (c *brokenCache) Delete(ctx context.Context, userID, id string) error { return c.fail() }
