package postgres_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/postgres"
)

// turnsPerSession bounds a benchmark session, so that its idempotency keys
// (copied into every turn's After) stay the size of a real session's.
const turnsPerSession = 40

// BenchmarkSaveTurn measures one turn's write transaction: BEGIN + INSERT
// turn + version-checked UPDATE session in one round trip, then COMMIT.
func BenchmarkSaveTurn(b *testing.B) {
	s, _ := open(b, postgres.Options{})
	u, topic := seed(b, s, "alice")
	qs := newQuestions(topic.ID, 20)
	if err := s.AddQuestions(b.Context(), u.ID, topic.ID, qs); err != nil {
		b.Fatal(err)
	}

	b.Run("Serial", func(b *testing.B) {
		sess := newSession(b, s, u, topic, qs)
		for b.Loop() {
			if sess.Turns == turnsPerSession {
				b.StopTimer()
				sess = newSession(b, s, u, topic, qs)
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
		// One session per goroutine: the transactions run side by side on
		// the pool's connections.
		var failed atomic.Bool
		b.RunParallel(func(pb *testing.PB) {
			sess := newSession(b, s, u, topic, qs)
			for pb.Next() {
				if sess.Turns == turnsPerSession {
					sess = newSession(b, s, u, topic, qs)
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
	s, _ := open(b, postgres.Options{})
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
			sess := newSession(b, s, u, topic, qs)
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
