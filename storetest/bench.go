package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// The benchmarks below are the same on every store, so that their figures
// compare. A store's bench_test.go calls them with a function that opens a
// new, empty store and closes it when the benchmark ends:
//
//	func BenchmarkSaveTurn(b *testing.B) { storetest.BenchSaveTurn(b, openBench) }
//
// Each runs a "Serial" and a "Parallel" (b.RunParallel) sub-benchmark on one
// store.

// turnsPerSession bounds a benchmark session, so that its idempotency keys
// (copied into every turn's After) stay the size of a real session's.
const turnsPerSession = 40

// BenchSaveTurn measures SaveTurn: a keyed hint turn on a session of 20
// questions, which starts anew every turnsPerSession turns. In parallel,
// each goroutine has a session of its own.
func BenchSaveTurn(b *testing.B, open func(b *testing.B) recall.Store) {
	s := open(b)
	u, topic, qs := Seed(b, s, "alice", 20)

	b.Run("Serial", func(b *testing.B) {
		sess := NewSession(b, s, u, topic, qs)
		for b.Loop() {
			if sess.Turns == turnsPerSession {
				b.StopTimer()
				sess = NewSession(b, s, u, topic, qs)
				b.StartTimer()
			}
			n, t := NextTurn(sess)
			if err := s.SaveTurn(b.Context(), n, t); err != nil {
				b.Fatal(err)
			}
			sess = n
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		var failed firstError
		b.RunParallel(func(pb *testing.PB) {
			sess, err := createSession(b.Context(), s, u, topic, qs)
			if err != nil {
				failed.set(fmt.Errorf("CreateSession: %w", err))
				return
			}
			for pb.Next() {
				if sess.Turns == turnsPerSession {
					if sess, err = createSession(b.Context(), s, u, topic, qs); err != nil {
						failed.set(fmt.Errorf("CreateSession: %w", err))
						return
					}
				}
				n, t := NextTurn(sess)
				if err := s.SaveTurn(b.Context(), n, t); err != nil {
					failed.set(fmt.Errorf("SaveTurn: %w", err))
					return
				}
				sess = n
			}
		})
		failed.check(b)
	})
}

// BenchTopics measures Topics for a user with 21 topics: 20 of 20
// questions with 5 completed sessions each, and one empty.
func BenchTopics(b *testing.B, open func(b *testing.B) recall.Store) {
	s := open(b)
	ctx := b.Context()
	u, _, _ := Seed(b, s, "alice", 0)
	for i := range 20 {
		now := time.Now()
		topic := &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: fmt.Sprintf("Topic %d", i), CreatedAt: now, UpdatedAt: now}
		if err := s.CreateTopic(ctx, topic); err != nil {
			b.Fatal(err)
		}
		qs := NewQuestions(topic.ID, 20)
		if err := s.AddQuestions(ctx, u.ID, topic.ID, qs); err != nil {
			b.Fatal(err)
		}
		for range 5 {
			n, t := NextTurn(NewSession(b, s, u, topic, qs))
			n.State, n.Answered, n.Correct, n.Skipped = recall.SessionCompleted, 15, 10, 5
			if err := s.SaveTurn(ctx, n, t); err != nil {
				b.Fatal(err)
			}
		}
	}

	b.Run("Serial", func(b *testing.B) {
		for b.Loop() {
			topics, err := s.Topics(b.Context(), u.ID)
			if err != nil {
				b.Fatal(err)
			}
			if len(topics) != 21 {
				b.Fatalf("%d topics, want 21", len(topics))
			}
			if first := topics[0]; first.Stats.SessionsCompleted != 5 || len(first.QuestionIDs) != 20 {
				b.Fatalf("latest topic: %d questions, %d completed sessions; want 20 and 5",
					len(first.QuestionIDs), first.Stats.SessionsCompleted)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		var failed firstError
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Topics(b.Context(), u.ID); err != nil {
					failed.set(fmt.Errorf("Topics: %w", err))
					return
				}
			}
		})
		failed.check(b)
	})
}

// firstError keeps the first error of the goroutines of b.RunParallel,
// which may not fail the benchmark themselves.
type firstError struct{ p atomic.Pointer[error] }

func (e *firstError) set(err error) { e.p.CompareAndSwap(nil, &err) }

// check fails b with the error kept, if any.
func (e *firstError) check(b *testing.B) {
	b.Helper()
	if p := e.p.Load(); p != nil {
		b.Fatal(*p)
	}
}
