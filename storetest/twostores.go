package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// RunTwoStores checks two stores that share one database, as two
// processes or two instances of the server do: writers on both append to,
// edit and read one question bank at once, and none may fail for the
// other's sake (a busy database, a position another append took). Every
// append lands whole at the end of the bank, each batch in its order.
// open must return two stores on one new, empty database, both closed when
// the test ends.
func RunTwoStores(t *testing.T, open func(t *testing.T) (recall.Store, recall.Store)) {
	t.Helper()
	t.Run("OKOneBankManyWriters", func(t *testing.T) {
		s, other := open(t)
		ctx := t.Context()
		u, topic, _ := Seed(t, s, "alice", 0)
		const writers, rounds = 8, 20
		batches := make([][][]*recall.Question, writers)
		for w := range batches {
			for range rounds {
				batches[w] = append(batches[w], NewQuestions(topic.ID, 2))
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers*rounds*4)
		for w := range writers {
			store := s
			if w%2 == 1 {
				store = other
			}
			wg.Go(func() {
				for r, qs := range batches[w] {
					if err := store.AddQuestions(ctx, u.ID, topic.ID, qs); err != nil {
						errs <- fmt.Errorf("writer %d round %d: AddQuestions: %w", w, r, err)
						continue
					}
					// A transaction that reads before it writes.
					hint := fmt.Sprintf("hint %d/%d", w, r)
					if _, err := store.UpdateQuestion(ctx, u.ID, topic.ID, qs[0].ID, recall.QuestionInput{Hint: &hint}, time.Now()); err != nil {
						errs <- fmt.Errorf("writer %d round %d: UpdateQuestion: %w", w, r, err)
					}
					now := time.Now()
					tp := &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: "T", CreatedAt: now, UpdatedAt: now}
					if err := store.CreateTopic(ctx, tp); err != nil {
						errs <- fmt.Errorf("writer %d round %d: CreateTopic: %w", w, r, err)
					}
					if _, err := store.Topics(ctx, u.ID); err != nil {
						errs <- fmt.Errorf("writer %d round %d: Topics: %w", w, r, err)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}

		got, err := s.Questions(ctx, topic.UserID, topic.ID)
		ok(t, "Questions", err)
		eqLen(t, "Questions", got, writers*rounds*2)
		// Each batch of two sits together, in its order; a writer's
		// batches in the order it added them.
		pos := map[string]int{}
		for i, q := range got {
			pos[q.ID] = i
		}
		for w, bs := range batches {
			last := -1
			for r, qs := range bs {
				a, b := pos[qs[0].ID], pos[qs[1].ID]
				if b != a+1 || a <= last {
					t.Errorf("writer %d round %d: questions at %d and %d (previous batch at %d)", w, r, a, b, last)
				}
				last = b
				eq(t, fmt.Sprintf("question %d: hint", a), got[a].Hint, fmt.Sprintf("hint %d/%d", w, r))
			}
		}
		topics, err := s.Topics(ctx, u.ID)
		ok(t, "Topics", err)
		eqLen(t, "Topics", topics, writers*rounds+1)
	})
}
