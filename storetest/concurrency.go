package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/recallhq/recall"
)

func runConcurrency(t *testing.T, open opener) {
	t.Run("Concurrency", func(t *testing.T) {
		test(t, open, "SaveTurnRaceOneWins", func(f *fixture) {
			const racers = 8
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			s := f.session(u, topic, f.questions(u, topic, 3))
			s, _ = f.save(s, recall.TurnHint, false, "")

			// Every racer builds its turn on the same state.
			type attempt struct {
				s *recall.Session
				t *recall.Turn
			}
			attempts := make([]attempt, racers)
			for i := range attempts {
				n, turn := f.next(s, recall.TurnAnswer, i%2 == 0, fmt.Sprintf("key-%d", i))
				attempts[i] = attempt{n, turn}
			}
			errs := make([]error, racers)
			var ready, done sync.WaitGroup
			ready.Add(racers)
			start := make(chan struct{})
			for i := range attempts {
				done.Go(func() {
					ready.Done()
					<-start
					errs[i] = f.s.SaveTurn(f.ctx, attempts[i].s, attempts[i].t)
				})
			}
			ready.Wait()
			close(start)
			done.Wait()

			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					f.tb.Errorf("racers %d and %d both saved a turn on version %d", winner, i, s.Version)
				case err == nil:
					winner = i
				default:
					wantCode(f.tb, fmt.Sprintf("racer %d", i), err, recall.ECONFLICT)
				}
			}
			if winner < 0 {
				f.tb.Fatalf("no racer saved its turn")
			}
			got, err := f.s.Session(f.ctx, s.ID)
			ok(f.tb, "Session", err)
			eqSession(f.tb, got, attempts[winner].s)
			turns, err := f.s.Turns(f.ctx, s.ID)
			ok(f.tb, "Turns", err)
			eqLen(f.tb, "Turns", turns, 2)
			eqTurn(f.tb, turns[1], attempts[winner].t, false)
		})

		test(t, open, "WritersAllSucceed", func(f *fixture) {
			const (
				writers = 6
				rounds  = 5
			)
			users := make([]*recall.User, writers)
			topics := make([]*recall.Topic, writers)
			for i := range users {
				users[i] = f.user(fmt.Sprintf("user%d", i))
				topics[i] = f.topic(users[i], "Shared")
			}
			// The fixture's clock and ID counter are not safe for concurrent
			// use: build everything before the goroutines start.
			type work struct {
				topics    []*recall.Topic
				questions [][]*recall.Question
				session   *recall.Session
				turns     []*recall.Turn
				states    []*recall.Session
			}
			plans := make([]work, writers)
			for i := range plans {
				p := &plans[i]
				for r := 0; r < rounds; r++ {
					at := f.tick()
					p.topics = append(p.topics, &recall.Topic{ID: f.id("t"), UserID: users[i].ID, Title: fmt.Sprintf("T%d", r), CreatedAt: at, UpdatedAt: at})
					p.questions = append(p.questions, []*recall.Question{f.question(topics[i], at), f.question(topics[i], at)})
				}
				at := f.tick()
				var qids []string
				for _, qs := range p.questions {
					qids = append(qids, ids(qs)...)
				}
				p.session = &recall.Session{ID: f.id("s"), UserID: users[i].ID, TopicID: topics[i].ID, State: recall.SessionActive,
					QuestionIDs: qids, Version: 1, CreatedAt: at, UpdatedAt: at}
				cur := p.session
				for r := 0; r < rounds; r++ {
					n, turn := f.next(cur, recall.TurnAnswer, true, fmt.Sprintf("k%d", r))
					p.states, p.turns = append(p.states, n), append(p.turns, turn)
					cur = n
				}
			}

			errs := make(chan error, writers*rounds*4)
			var wg sync.WaitGroup
			for i := range plans {
				p := &plans[i]
				wg.Go(func() {
					for r := 0; r < rounds; r++ {
						if err := f.s.AddQuestions(f.ctx, users[i].ID, topics[i].ID, p.questions[r]); err != nil {
							errs <- fmt.Errorf("AddQuestions: %w", err)
						}
						if err := f.s.CreateTopic(f.ctx, p.topics[r]); err != nil {
							errs <- fmt.Errorf("CreateTopic: %w", err)
						}
						if _, err := f.s.Topics(f.ctx, users[i].ID); err != nil {
							errs <- fmt.Errorf("Topics: %w", err)
						}
					}
					if err := f.s.CreateSession(f.ctx, p.session); err != nil {
						errs <- fmt.Errorf("CreateSession: %w", err)
						return
					}
					for r := 0; r < rounds; r++ {
						if err := f.s.SaveTurn(f.ctx, p.states[r], p.turns[r]); err != nil {
							errs <- fmt.Errorf("SaveTurn: %w", err)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				f.tb.Error(err)
			}

			for i, p := range plans {
				list, err := f.s.Topics(f.ctx, users[i].ID)
				ok(f.tb, "Topics", err)
				eqLen(f.tb, "Topics", list, rounds+1)
				got, err := f.s.Questions(f.ctx, topics[i].UserID, topics[i].ID)
				ok(f.tb, "Questions", err)
				eqList(f.tb, "question IDs", ids(got), p.session.QuestionIDs)
				s, err := f.s.Session(f.ctx, p.session.ID)
				ok(f.tb, "Session", err)
				eqSession(f.tb, s, p.states[rounds-1])
			}
		})
	})
}
