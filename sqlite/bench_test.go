package sqlite_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/sqlite"
)

// benchSession creates a session on a topic of n questions.
func benchSession(b *testing.B, s *sqlite.Store, u *recall.User, topic *recall.Topic, qs []*recall.Question) *recall.Session {
	b.Helper()
	now := time.Now()
	ids := make([]string, len(qs))
	for i, q := range qs {
		ids[i] = q.ID
	}
	sess := &recall.Session{ID: recall.NewID(), UserID: u.ID, TopicID: topic.ID, State: recall.SessionActive,
		QuestionIDs: ids, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateSession(b.Context(), sess); err != nil {
		b.Fatal(err)
	}
	return sess
}

// nextTurn advances sess by one keyed hint turn, as the tutor would.
func nextTurn(sess *recall.Session) (*recall.Session, *recall.Turn) {
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

// turnsPerSession bounds a benchmark session, so that its idempotency keys
// (copied into every turn's After) stay the size of a real session's.
const turnsPerSession = 40

// BenchmarkSaveTurn measures one turn's write transaction (INSERT turn +
// version-checked UPDATE session, synchronous=FULL).
func BenchmarkSaveTurn(b *testing.B) {
	s, _ := open(b, sqlite.Options{})
	u, topic := seed(b, s, "alice")
	qs := newQuestions(topic.ID, 20)
	if err := s.AddQuestions(b.Context(), u.ID, topic.ID, qs); err != nil {
		b.Fatal(err)
	}

	b.Run("Serial", func(b *testing.B) {
		sess := benchSession(b, s, u, topic, qs)
		for b.Loop() {
			if sess.Turns == turnsPerSession {
				b.StopTimer()
				sess = benchSession(b, s, u, topic, qs)
				b.StartTimer()
			}
			n, t := nextTurn(sess)
			if err := s.SaveTurn(b.Context(), n, t); err != nil {
				b.Fatal(err)
			}
			sess = n
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		// One session per goroutine: the writes queue on the one writer.
		var failed atomic.Bool
		b.RunParallel(func(pb *testing.PB) {
			sess := benchSession(b, s, u, topic, qs)
			for pb.Next() {
				if sess.Turns == turnsPerSession {
					sess = benchSession(b, s, u, topic, qs)
				}
				n, t := nextTurn(sess)
				if err := s.SaveTurn(b.Context(), n, t); err != nil {
					failed.Store(true)
					return
				}
				sess = n
			}
		})
		if failed.Load() {
			b.Fatal("SaveTurn failed")
		}
	})
}

// BenchmarkTopics measures the topic list of a user with 20 topics of 20
// questions and 5 completed sessions each: one statement per call.
func BenchmarkTopics(b *testing.B) {
	s, _ := open(b, sqlite.Options{})
	ctx := b.Context()
	u, _ := seed(b, s, "alice")
	for i := range 20 {
		now := time.Now()
		topic := &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: fmt.Sprintf("Topic %d", i), CreatedAt: now, UpdatedAt: now}
		if err := s.CreateTopic(ctx, topic); err != nil {
			b.Fatal(err)
		}
		qs := newQuestions(topic.ID, 20)
		if err := s.AddQuestions(ctx, u.ID, topic.ID, qs); err != nil {
			b.Fatal(err)
		}
		for range 5 {
			sess := benchSession(b, s, u, topic, qs)
			n, t := nextTurn(sess)
			n.State, n.Answered, n.Correct, n.Skipped = recall.SessionCompleted, 15, 10, 5
			if err := s.SaveTurn(ctx, n, t); err != nil {
				b.Fatal(err)
			}
		}
	}
	check := func(topics []*recall.Topic) {
		if len(topics) != 21 || topics[0].Stats.SessionsCompleted != 5 || len(topics[0].QuestionIDs) != 20 {
			b.Fatalf("unexpected topics: %d topics", len(topics))
		}
	}

	b.Run("Serial", func(b *testing.B) {
		for b.Loop() {
			topics, err := s.Topics(ctx, u.ID)
			if err != nil {
				b.Fatal(err)
			}
			check(topics)
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		var failed atomic.Bool
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Topics(ctx, u.ID); err != nil {
					failed.Store(true)
					return
				}
			}
		})
		if failed.Load() {
			b.Fatal("Topics failed")
		}
	})
}
