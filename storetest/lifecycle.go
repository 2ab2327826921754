package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// runLifecycle checks Ping, Close and the contexts the methods are given.
func runLifecycle(t *testing.T, open opener) {
	t.Run("Close", func(t *testing.T) {
		test(t, open, "OKIdempotent", func(f *fixture) {
			ok(f.tb, "Ping while open", f.s.Ping(f.ctx))
			ok(f.tb, "Close", f.s.Close())
			ok(f.tb, "Close again", f.s.Close())
		})
		test(t, open, "ErrUnavailableAfterClose", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			s := f.session(u, topic, f.questions(u, topic, 1))
			n, turn := f.next(s, recall.TurnHint, false, "")
			ok(f.tb, "Close", f.s.Close())

			wantCode(f.tb, "Ping after Close", f.s.Ping(f.ctx), recall.EUNAVAILABLE)
			_, err := f.s.Topics(f.ctx, u.ID)
			wantCode(f.tb, "Topics after Close", err, recall.EUNAVAILABLE)
			err = f.s.CreateUser(f.ctx, &recall.User{ID: f.id("u"), Username: "bob", CreatedAt: f.tick()}, "h")
			wantCode(f.tb, "CreateUser after Close", err, recall.EUNAVAILABLE)
			err = f.s.AddQuestions(f.ctx, u.ID, topic.ID, []*recall.Question{f.question(topic, f.tick())})
			wantCode(f.tb, "AddQuestions after Close", err, recall.EUNAVAILABLE)
			wantCode(f.tb, "SaveTurn after Close", f.s.SaveTurn(f.ctx, n, turn), recall.EUNAVAILABLE)
		})
	})

	t.Run("Context", func(t *testing.T) {
		// calls makes, with ctx, one call of each kind of work: reads, a
		// single write, a transaction, the turn and Ping.
		calls := func(f *fixture, ctx context.Context) map[string]error {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			s := f.session(u, topic, f.questions(u, topic, 1))
			n, turn := f.next(s, recall.TurnHint, false, "k")
			_, topicsErr := f.s.Topics(ctx, u.ID)
			_, sessionErr := f.s.Session(ctx, s.ID)
			return map[string]error{
				"Topics":       topicsErr,
				"Session":      sessionErr,
				"CreateTopic":  f.s.CreateTopic(ctx, &recall.Topic{ID: f.id("t"), UserID: u.ID, Title: "x", CreatedAt: f.tick()}),
				"AddQuestions": f.s.AddQuestions(ctx, u.ID, topic.ID, []*recall.Question{f.question(topic, f.tick())}),
				"SaveTurn":     f.s.SaveTurn(ctx, n, turn),
				"Ping":         f.s.Ping(ctx),
			}
		}
		test(t, open, "ErrCanceledPassesThrough", func(f *fixture) {
			ctx, cancel := context.WithCancel(f.ctx)
			cancel()
			for op, err := range calls(f, ctx) {
				if !errors.Is(err, context.Canceled) {
					f.tb.Errorf("%s(cancelled) = %v, want context.Canceled", op, err)
				}
			}
		})
		test(t, open, "ErrDeadlinePassesThrough", func(f *fixture) {
			ctx, cancel := context.WithDeadline(f.ctx, time.Now().Add(-time.Second))
			defer cancel()
			for op, err := range calls(f, ctx) {
				if !errors.Is(err, context.DeadlineExceeded) {
					f.tb.Errorf("%s(expired) = %v, want context.DeadlineExceeded", op, err)
				}
			}
		})
	})
}

// RunSlow checks that a call whose caller gives up returns at once, with
// the context's error, however long the database would take. open must
// return a store (closed when the test ends) whose database answers every
// read and write far later than the test may last, such as one reached
// through a proxy that holds what the store sends for an hour; it need
// hold no data.
func RunSlow(t *testing.T, open func(t *testing.T) recall.Store) {
	t.Helper()
	t.Run("ErrCanceledWhileWaiting", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 2)
		go func() {
			_, err := s.Topics(ctx, "u")
			errc <- err
		}()
		go func() {
			errc <- s.SaveTurn(ctx, &recall.Session{ID: "s", Version: 2}, &recall.Turn{})
		}()
		// Cancel once the calls are waiting: cancelled before they start,
		// a store could fail them before its wait and hide a wait that
		// ignores the context.
		time.AfterFunc(100*time.Millisecond, cancel)
		for range 2 {
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
		}
	})
}
