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

// seedSessions creates the sessions newSession(0) to newSession(n-1), by 16 writers
// at once (a store that groups its writes commits them together).
func seedSessions(b *testing.B, s recall.Store, n int, newSession func(i int) *recall.Session) {
	b.Helper()
	var failed firstError
	var next atomic.Int64
	done := make(chan struct{})
	for range 16 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				if err := s.CreateSession(b.Context(), newSession(int(i))); err != nil {
					failed.set(fmt.Errorf("CreateSession: %w", err))
					return
				}
			}
		}()
	}
	for range 16 {
		<-done
	}
	failed.check(b)
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

// BenchTopicsHistory measures Topics for two users alike but for their
// history: 6 topics (5 of 20 questions, one empty), and either no completed session
// or sessions completed sessions spread over the topics. A store that keeps
// the stats on the topic answers both in the same time; one that
// aggregates the sessions on every call grows with them. Compare the
// ns/op of "History=0" and "History=<sessions>".
func BenchTopicsHistory(b *testing.B, open func(b *testing.B) recall.Store, sessions int) {
	s := open(b)
	ctx := b.Context()
	for _, n := range []int{0, sessions} {
		u, _, _ := Seed(b, s, fmt.Sprintf("user%d", n), 0)
		topics := make([]*recall.Topic, 5)
		for i := range topics {
			now := time.Now()
			topics[i] = &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: fmt.Sprintf("Topic %d", i), CreatedAt: now, UpdatedAt: now}
			if err := s.CreateTopic(ctx, topics[i]); err != nil {
				b.Fatal(err)
			}
			if err := s.AddQuestions(ctx, u.ID, topics[i].ID, NewQuestions(topics[i].ID, 20)); err != nil {
				b.Fatal(err)
			}
		}
		seedSessions(b, s, n, func(i int) *recall.Session {
			now := time.Now()
			return &recall.Session{ID: recall.NewID(), UserID: u.ID, TopicID: topics[i%5].ID, State: recall.SessionCompleted,
				QuestionIDs: []string{}, Answered: 3, Correct: 2, Skipped: 1, Version: 1, CreatedAt: now, UpdatedAt: now}
		})

		b.Run(fmt.Sprintf("History=%d", n), func(b *testing.B) {
			for b.Loop() {
				list, err := s.Topics(b.Context(), u.ID)
				if err != nil {
					b.Fatal(err)
				}
				total := 0
				for _, t := range list {
					total += t.Stats.SessionsCompleted
				}
				if len(list) != 6 || total != n {
					b.Fatalf("%d topics, %d completed sessions; want 6 and %d", len(list), total, n)
				}
			}
		})
	}
}

// BenchSessionPages measures a page of 50 of a user's sessions at the start
// of a history of sessions and deep in it (the page after the first
// sessions-100): served by an index from the cursor, both cost the same.
// Compare the ns/op of "Page=first" and "Page=deep".
func BenchSessionPages(b *testing.B, open func(b *testing.B) recall.Store, sessions int) {
	s := open(b)
	ctx := b.Context()
	u, topic, _ := Seed(b, s, "alice", 0)
	start := time.Now()
	seedSessions(b, s, sessions, func(i int) *recall.Session {
		at := start.Add(-time.Duration(i) * time.Millisecond)
		return &recall.Session{ID: recall.NewID(), UserID: u.ID, TopicID: topic.ID, State: recall.SessionCompleted,
			QuestionIDs: []string{}, Version: 1, CreatedAt: at, UpdatedAt: at}
	})
	// The cursor of the session at index sessions-101, newest first.
	deep := recall.Cursor{At: start.Add(-time.Duration(sessions-101) * time.Millisecond), ID: ""}
	list, err := s.Sessions(ctx, u.ID, recall.SessionPage{Limit: 1, After: recall.Cursor{At: deep.At.Add(time.Microsecond), ID: "~"}})
	if err != nil || len(list) != 1 {
		b.Fatalf("Sessions at depth: %v, %d sessions", err, len(list))
	}
	deep = recall.CursorOf(list[0])
	for _, tc := range []struct {
		name  string
		after recall.Cursor
	}{{"first", recall.Cursor{}}, {"deep", deep}} {
		b.Run("Page="+tc.name, func(b *testing.B) {
			for b.Loop() {
				list, err := s.Sessions(b.Context(), u.ID, recall.SessionPage{After: tc.after, Limit: 50})
				if err != nil {
					b.Fatal(err)
				}
				if len(list) != 50 {
					b.Fatalf("%d sessions, want 50", len(list))
				}
			}
		})
	}
}
