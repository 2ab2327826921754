package faults

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/recallhq/recall"
)

// Source is what the Checker reads the primary database through: the
// store itself (sqlite.Store, postgres.Store), never a cache.
type Source interface {
	Topic(ctx context.Context, userID, id string) (*recall.Topic, error)
	Questions(ctx context.Context, userID, topicID string) ([]*recall.Question, error)
	Turns(ctx context.Context, sessionID string) ([]*recall.Turn, error)
}

// Checker records the writes clients were acknowledged (a 2xx response)
// and checks that the primary database holds every one of them. A write
// that was not acknowledged (an error, a cut connection, a killed server)
// may or may not have landed; the Checker allows both. It is safe for
// concurrent use.
type Checker struct {
	mu        sync.Mutex
	topics    map[string]ackTopic                // by topic id
	questions map[string]ackQuestion             // by question id
	turns     map[string]map[int]recall.TurnKind // session id → index → kind
	messages  map[string]map[int]string          // session id → index → message
}

type ackTopic struct{ userID, title string }

type ackQuestion struct{ topicID, prompt string }

// NewChecker returns an empty Checker.
func NewChecker() *Checker {
	return &Checker{
		topics:    map[string]ackTopic{},
		questions: map[string]ackQuestion{},
		turns:     map[string]map[int]recall.TurnKind{},
		messages:  map[string]map[int]string{},
	}
}

// Topic records an acknowledged topic creation.
func (c *Checker) Topic(userID, topicID, title string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.topics[topicID] = ackTopic{userID: userID, title: title}
}

// Question records an acknowledged question of a topic.
func (c *Checker) Question(topicID, questionID, prompt string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.questions[questionID] = ackQuestion{topicID: topicID, prompt: prompt}
}

// Turn records an acknowledged turn: the index the server gave it, its
// kind and the client's message. Messages must be unique within a session
// (the load makes them so): Verify uses them to find turns applied twice.
// A turn acknowledged twice (a retry with its Idempotency-Key) must have
// the same index both times; Turn reports an error if not.
func (c *Checker) Turn(sessionID string, index int, kind recall.TurnKind, message string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.turns[sessionID] == nil {
		c.turns[sessionID] = map[int]recall.TurnKind{}
		c.messages[sessionID] = map[int]string{}
	}
	if prev, ok := c.messages[sessionID][index]; ok && prev != message {
		return fmt.Errorf("session %s: turn %d acknowledged for %q and for %q", sessionID, index, prev, message)
	}
	for i, m := range c.messages[sessionID] {
		if m == message && i != index {
			return fmt.Errorf("session %s: %q acknowledged as turn %d and as turn %d", sessionID, message, i, index)
		}
	}
	c.turns[sessionID][index] = kind
	c.messages[sessionID][index] = message
	return nil
}

// Result is what Verify found.
type Result struct {
	// Topics, Questions and Turns are the acknowledged writes checked.
	Topics, Questions, Turns int
	// Lost describes each acknowledged write the database does not hold
	// as acknowledged.
	Lost []string
	// Duplicated describes each acknowledged turn the database holds more
	// than once.
	Duplicated []string
}

// OK reports whether nothing was lost or duplicated.
func (r Result) OK() bool { return len(r.Lost) == 0 && len(r.Duplicated) == 0 }

// String summarises r.
func (r Result) String() string {
	return fmt.Sprintf("checked %d topics, %d questions, %d turns: %d lost, %d duplicated",
		r.Topics, r.Questions, r.Turns, len(r.Lost), len(r.Duplicated))
}

// Verify compares every acknowledged write with what db holds. An error is
// returned only if db cannot be read.
func (c *Checker) Verify(ctx context.Context, db Source) (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r Result
	lost := func(format string, args ...any) { r.Lost = append(r.Lost, fmt.Sprintf(format, args...)) }

	banks := map[string]map[string]string{} // topic id → question id → prompt
	for id, at := range c.topics {
		r.Topics++
		t, err := db.Topic(ctx, at.userID, id)
		switch {
		case recall.IsCode(err, recall.ENOTFOUND):
			lost("topic %s (%q) of user %s is missing", id, at.title, at.userID)
			continue
		case err != nil:
			return r, fmt.Errorf("read topic %s: %w", id, err)
		}
		if t.Title != at.title {
			lost("topic %s has the title %q, acknowledged %q", id, t.Title, at.title)
		}
	}
	for id, aq := range c.questions {
		r.Questions++
		bank, ok := banks[aq.topicID]
		if !ok {
			// The store reads the bank by topic alone: the owner, known
			// when the topic's creation was acknowledged, is for a cache.
			qs, err := db.Questions(ctx, c.topics[aq.topicID].userID, aq.topicID)
			if err != nil {
				return r, fmt.Errorf("read the questions of topic %s: %w", aq.topicID, err)
			}
			bank = make(map[string]string, len(qs))
			for _, q := range qs {
				bank[q.ID] = q.Prompt
			}
			banks[aq.topicID] = bank
		}
		if prompt, ok := bank[id]; !ok {
			lost("question %s (%q) of topic %s is missing", id, aq.prompt, aq.topicID)
		} else if prompt != aq.prompt {
			lost("question %s has the prompt %q, acknowledged %q", id, prompt, aq.prompt)
		}
	}
	sessions := make([]string, 0, len(c.turns))
	for id := range c.turns {
		sessions = append(sessions, id)
	}
	sort.Strings(sessions)
	for _, sid := range sessions {
		ts, err := db.Turns(ctx, sid)
		if err != nil && !recall.IsCode(err, recall.ENOTFOUND) {
			return r, fmt.Errorf("read the turns of session %s: %w", sid, err)
		}
		byIndex := make(map[int]*recall.Turn, len(ts))
		count := map[string]int{}
		for _, t := range ts {
			byIndex[t.Index] = t
			count[t.Message]++
		}
		for idx, kind := range c.turns[sid] {
			r.Turns++
			msg := c.messages[sid][idx]
			t, ok := byIndex[idx]
			switch {
			case !ok:
				lost("turn %d (%q) of session %s is missing", idx, msg, sid)
			case t.Message != msg || t.Kind != kind:
				lost("turn %d of session %s is %s %q, acknowledged %s %q", idx, sid, t.Kind, t.Message, kind, msg)
			}
			if n := count[msg]; n > 1 {
				r.Duplicated = append(r.Duplicated, fmt.Sprintf("turn %q of session %s is stored %d times", msg, sid, n))
			}
		}
	}
	sort.Strings(r.Lost)
	sort.Strings(r.Duplicated)
	return r, nil
}
