package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// The helpers below fill a store for a store's own tests and for the
// benchmarks. Unlike the suite's fixture they use the real clock, and the
// ones that take no testing.TB are safe to call from several goroutines.

// Seed creates a user named name, a topic of theirs ("Rivers") and n
// questions in its bank (none if n is 0).
func Seed(tb testing.TB, s recall.Store, name string, n int) (*recall.User, *recall.Topic, []*recall.Question) {
	tb.Helper()
	ctx := tb.Context()
	now := time.Now()
	u := &recall.User{ID: recall.NewID(), Username: name, CreatedAt: now}
	if err := s.CreateUser(ctx, u, "hash"); err != nil {
		tb.Fatalf("CreateUser: %v", err)
	}
	t := &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: "Rivers", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateTopic(ctx, t); err != nil {
		tb.Fatalf("CreateTopic: %v", err)
	}
	qs := NewQuestions(t.ID, n)
	if n > 0 {
		if err := s.AddQuestions(ctx, u.ID, t.ID, qs); err != nil {
			tb.Fatalf("AddQuestions: %v", err)
		}
	}
	return u, t, qs
}

// NewQuestions returns n new questions of a topic, not stored: question i
// asks "Qi?" and is answered by "i".
func NewQuestions(topicID string, n int) []*recall.Question {
	now := time.Now()
	qs := make([]*recall.Question, n)
	for i := range qs {
		qs[i] = &recall.Question{ID: recall.NewID(), TopicID: topicID, Prompt: fmt.Sprintf("Q%d?", i),
			Answers: []string{fmt.Sprint(i)}, CreatedAt: now, UpdatedAt: now}
	}
	return qs
}

// NewSession creates an active session of u on topic that asks qs.
func NewSession(tb testing.TB, s recall.Store, u *recall.User, topic *recall.Topic, qs []*recall.Question) *recall.Session {
	tb.Helper()
	sess, err := createSession(tb.Context(), s, u, topic, qs)
	if err != nil {
		tb.Fatalf("CreateSession: %v", err)
	}
	return sess
}

// createSession is NewSession for a goroutine that may not fail the test.
func createSession(ctx context.Context, s recall.Store, u *recall.User, topic *recall.Topic, qs []*recall.Question) (*recall.Session, error) {
	now := time.Now()
	sess := &recall.Session{ID: recall.NewID(), UserID: u.ID, TopicID: topic.ID, State: recall.SessionActive,
		QuestionIDs: ids(qs), Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// NextTurn builds, without saving it, the turn that follows sess as the
// tutor would for a hint asked with an idempotency key ("key-<index>"),
// and the session it leaves. sess must have a question.
func NextTurn(sess *recall.Session) (*recall.Session, *recall.Turn) {
	n := sess.Clone()
	n.Turns++
	n.Version++
	n.UpdatedAt = time.Now()
	key := fmt.Sprintf("key-%d", sess.Turns)
	if n.IdempotencyKeys == nil {
		n.IdempotencyKeys = map[string]int{}
	}
	n.IdempotencyKeys[key] = sess.Turns
	t := &recall.Turn{SessionID: sess.ID, Index: sess.Turns, Kind: recall.TurnHint, Message: "/hint",
		Reply: "Think of the capital.", QuestionID: sess.QuestionIDs[0], CreatedAt: n.UpdatedAt,
		IdempotencyKey: key, After: n}
	return n, t
}

// Next builds, without saving it, the turn that follows s at the time at,
// with the idempotency key key ("" for none), and the session it leaves:
// an answer (correct or not), a hint or a skip of the current question, or
// a summary. An answer or a skip once no question is left changes no
// counter. The session completes when no question is left.
func Next(s *recall.Session, kind recall.TurnKind, correct bool, key string, at time.Time) (*recall.Session, *recall.Turn) {
	n := s.Clone()
	n.Turns++
	n.Version++
	n.UpdatedAt = at
	t := &recall.Turn{
		SessionID: s.ID, Index: s.Turns, Kind: kind,
		Message: fmt.Sprintf("message %d of %s", s.Turns, kind), Reply: fmt.Sprintf("reply %d", s.Turns),
		CreatedAt: n.UpdatedAt, IdempotencyKey: key,
	}
	asking := n.Current < len(n.QuestionIDs)
	if asking {
		t.QuestionID = n.QuestionIDs[n.Current]
	}
	switch kind {
	case recall.TurnAnswer:
		t.Correct = &correct
		if asking {
			n.Answered++
			if correct {
				n.Correct++
			}
			n.Current++
		}
	case recall.TurnSkip:
		no := false
		t.Correct = &no
		if asking {
			n.Skipped++
			n.Current++
		}
	case recall.TurnSummary:
		n.Skipped += len(n.QuestionIDs) - n.Current
		n.Current = len(n.QuestionIDs)
	}
	if n.Current >= len(n.QuestionIDs) {
		n.State = recall.SessionCompleted
	}
	if key != "" {
		if n.IdempotencyKeys == nil {
			n.IdempotencyKeys = map[string]int{}
		}
		n.IdempotencyKeys[key] = t.Index
	}
	t.After = n.Clone()
	return n, t
}
