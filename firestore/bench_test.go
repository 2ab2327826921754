package firestore_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/firestore"
	"github.com/recallhq/recall/metrics"
)

// turnsPerSession bounds a benchmark session, so that its idempotency keys
// stay the size of a real session's.
const turnsPerSession = 40

// nextTurn advances ss by one keyed hint turn, as the tutor would.
func nextTurn(ss *recall.Session) (*recall.Session, *recall.Turn) {
	n := ss.Clone()
	n.Turns++
	n.Version++
	n.UpdatedAt = time.Now()
	key := fmt.Sprintf("key-%d", ss.Turns)
	if n.IdempotencyKeys == nil {
		n.IdempotencyKeys = map[string]int{}
	}
	n.IdempotencyKeys[key] = ss.Turns
	t := &recall.Turn{SessionID: ss.ID, Index: ss.Turns, Kind: recall.TurnHint, Message: "/hint",
		Reply: "Think of the capital.", QuestionID: ss.QuestionIDs[0], CreatedAt: n.UpdatedAt,
		IdempotencyKey: key, After: n}
	return n, t
}

// BenchmarkSaveTurn measures one turn's commit (no read) on the emulator.
func BenchmarkSaveTurn(b *testing.B) {
	m := metrics.New(nil)
	s := open(b, firestore.Options{Metrics: m})
	u, topic, qs := seed(b, s, "alice", 20)

	b.Run("Serial", func(b *testing.B) {
		ss := newSession(b, s, u, topic, qs)
		for b.Loop() {
			if ss.Turns == turnsPerSession {
				b.StopTimer()
				ss = newSession(b, s, u, topic, qs)
				b.StartTimer()
			}
			n, t := nextTurn(ss)
			if err := s.SaveTurn(b.Context(), n, t); err != nil {
				b.Fatal(err)
			}
			ss = n
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		var failed atomic.Bool
		b.RunParallel(func(pb *testing.PB) {
			ss := newSession(b, s, u, topic, qs)
			for pb.Next() {
				if ss.Turns == turnsPerSession {
					ss = newSession(b, s, u, topic, qs)
				}
				n, t := nextTurn(ss)
				if err := s.SaveTurn(b.Context(), n, t); err != nil {
					failed.Store(true)
					return
				}
				ss = n
			}
		})
		if failed.Load() {
			b.Fatal("SaveTurn failed")
		}
	})
	if r := testutil.ToFloat64(m.DBQueries.WithLabelValues("read", "SaveTurn")); r != 0 {
		b.Errorf("SaveTurn read %v documents, want 0", r)
	}
}

// BenchmarkTopics measures the topic list of a user with 20 topics of 20
// questions: one query per call.
func BenchmarkTopics(b *testing.B) {
	s := open(b, firestore.Options{})
	ctx := b.Context()
	u, _, _ := seed(b, s, "alice", 20)
	for i := range 19 {
		now := time.Now()
		topic := &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: fmt.Sprintf("Topic %d", i), CreatedAt: now, UpdatedAt: now}
		if err := s.CreateTopic(ctx, topic); err != nil {
			b.Fatal(err)
		}
		if err := s.AddQuestions(ctx, u.ID, topic.ID, newQuestions(topic.ID, 20)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Serial", func(b *testing.B) {
		for b.Loop() {
			topics, err := s.Topics(ctx, u.ID)
			if err != nil {
				b.Fatal(err)
			}
			if len(topics) != 20 {
				b.Fatalf("%d topics, want 20", len(topics))
			}
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
