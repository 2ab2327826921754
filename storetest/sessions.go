package storetest

import (
	"testing"
	"time"

	"github.com/recallhq/recall"
)

func runStats(t *testing.T, open opener) {
	t.Run("Stats", func(t *testing.T) {
		test(t, open, "OKCompletedOnly", func(f *fixture) {
			u := f.user("alice")
			topic, other := f.topic(u, "Rivers"), f.topic(u, "Lakes")
			qs := f.questions(u, topic, 3)
			oqs := f.questions(u, other, 2)

			// Completed: 2 answered (1 correct), 1 skipped.
			s1 := f.session(u, topic, qs)
			s1, _ = f.save(s1, recall.TurnAnswer, true, "")
			s1, _ = f.save(s1, recall.TurnAnswer, false, "")
			s1, _ = f.save(s1, recall.TurnSkip, false, "")
			eq(f.tb, "s1.State", s1.State, recall.SessionCompleted)

			// Completed by ending it: a hint, 1 correct answer, 2 skipped.
			s2 := f.session(u, topic, qs)
			s2, _ = f.save(s2, recall.TurnHint, false, "")
			s2, _ = f.save(s2, recall.TurnAnswer, true, "")
			s2, _ = f.save(s2, recall.TurnSummary, false, "")
			eq(f.tb, "s2.State", s2.State, recall.SessionCompleted)

			// Active, and changed last: it counts for nothing.
			s3 := f.session(u, topic, qs)
			f.save(s3, recall.TurnAnswer, true, "")

			// Active on the other topic.
			s4 := f.session(u, other, oqs)
			f.save(s4, recall.TurnAnswer, true, "")

			last := s2.UpdatedAt
			want := recall.TopicStats{SessionsCompleted: 2, Answers: 6, Correct: 2, LastStudiedAt: &last}

			got, err := f.s.Topic(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Topic", err)
			eqStats(f.tb, "Topic.Stats", got.Stats, want)
			got, err = f.s.Topic(f.ctx, u.ID, other.ID)
			ok(f.tb, "Topic(other)", err)
			eqStats(f.tb, "Topic(other).Stats", got.Stats, recall.TopicStats{})

			list, err := f.s.Topics(f.ctx, u.ID)
			ok(f.tb, "Topics", err)
			eqLen(f.tb, "Topics", list, 2)
			for _, lt := range list {
				if lt.ID == topic.ID {
					eqStats(f.tb, "Topics[topic].Stats", lt.Stats, want)
				} else {
					eqStats(f.tb, "Topics[other].Stats", lt.Stats, recall.TopicStats{})
				}
			}
		})
		test(t, open, "OKOtherUsersApart", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			at, bt := f.topic(alice, "Rivers"), f.topic(bob, "Rivers")
			as := f.session(alice, at, f.questions(alice, at, 1))
			as, _ = f.save(as, recall.TurnAnswer, true, "")
			bs := f.session(bob, bt, f.questions(bob, bt, 1))
			bs, _ = f.save(bs, recall.TurnAnswer, false, "")

			got, err := f.s.Topics(f.ctx, alice.ID)
			ok(f.tb, "Topics(alice)", err)
			eqLen(f.tb, "Topics(alice)", got, 1)
			eqStats(f.tb, "alice's stats", got[0].Stats, recall.TopicStats{SessionsCompleted: 1, Answers: 1, Correct: 1, LastStudiedAt: &as.UpdatedAt})
			got, err = f.s.Topics(f.ctx, bob.ID)
			ok(f.tb, "Topics(bob)", err)
			eqLen(f.tb, "Topics(bob)", got, 1)
			eqStats(f.tb, "bob's stats", got[0].Stats, recall.TopicStats{SessionsCompleted: 1, Answers: 1, Correct: 0, LastStudiedAt: &bs.UpdatedAt})
		})
	})
}

func runSessions(t *testing.T, open opener) {
	t.Run("CreateSession", func(t *testing.T) {
		test(t, open, "OK", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			qs := f.questions(u, topic, 3)
			s := f.session(u, topic, []*recall.Question{qs[2], qs[0]})
			got, err := f.s.Session(f.ctx, s.ID)
			ok(f.tb, "Session", err)
			eqSession(f.tb, got, s)
		})
		test(t, open, "ErrIDTaken", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			qs := f.questions(u, topic, 1)
			s := f.session(u, topic, qs)
			dup := s.Clone()
			dup.Current = 1
			err := f.s.CreateSession(f.ctx, dup)
			wantCode(f.tb, "CreateSession", err, recall.ECONFLICT)
			got, err := f.s.Session(f.ctx, s.ID)
			ok(f.tb, "Session", err)
			eqSession(f.tb, got, s)
		})
		test(t, open, "ErrTopicNotFound", func(f *fixture) {
			u := f.user("alice")
			at := f.tick()
			s := &recall.Session{ID: f.id("s"), UserID: u.ID, TopicID: "no-such-topic", State: recall.SessionActive,
				QuestionIDs: []string{"q"}, Version: 1, CreatedAt: at, UpdatedAt: at}
			err := f.s.CreateSession(f.ctx, s)
			wantCode(f.tb, "CreateSession", err, recall.ENOTFOUND)
		})
		test(t, open, "ErrOtherUsersTopic", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			topic := f.topic(alice, "Rivers")
			qs := f.questions(alice, topic, 1)
			at := f.tick()
			s := &recall.Session{ID: f.id("s"), UserID: bob.ID, TopicID: topic.ID, State: recall.SessionActive,
				QuestionIDs: ids(qs), Version: 1, CreatedAt: at, UpdatedAt: at}
			err := f.s.CreateSession(f.ctx, s)
			wantCode(f.tb, "CreateSession", err, recall.ENOTFOUND)
			_, err = f.s.Session(f.ctx, s.ID)
			wantCode(f.tb, "Session", err, recall.ENOTFOUND)
		})
	})

	t.Run("Session", func(t *testing.T) {
		test(t, open, "ErrNotFound", func(f *fixture) {
			_, err := f.s.Session(f.ctx, "no-such-session")
			wantCode(f.tb, "Session", err, recall.ENOTFOUND)
		})
		test(t, open, "OKIdempotencyKeysRebuilt", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			s := f.session(u, topic, f.questions(u, topic, 4))
			s, _ = f.save(s, recall.TurnAnswer, true, "key-1")
			s, _ = f.save(s, recall.TurnHint, false, "")
			s, _ = f.save(s, recall.TurnAnswer, false, "key-3 with “unicode” and \"quotes\"")
			got, err := f.s.Session(f.ctx, s.ID)
			ok(f.tb, "Session", err)
			eqSession(f.tb, got, s)
			eq(f.tb, "len(IdempotencyKeys)", len(got.IdempotencyKeys), 2)
			eq(f.tb, `IdempotencyKeys["key-1"]`, got.IdempotencyKeys["key-1"], 0)
		})
	})

	t.Run("Sessions", func(t *testing.T) {
		test(t, open, "OKNewestFirstOwnOnly", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			at, bt := f.topic(alice, "Rivers"), f.topic(bob, "Rivers")
			aq, bq := f.questions(alice, at, 2), f.questions(bob, bt, 2)
			s1 := f.session(alice, at, aq)
			f.session(bob, bt, bq)
			s2 := f.session(alice, at, aq)
			s3 := f.session(alice, at, aq)
			// Changing the oldest does not move it up: newest means created.
			s1, _ = f.save(s1, recall.TurnAnswer, true, "k")
			got, err := f.allSessions(alice.ID, 2)
			ok(f.tb, "Sessions", err)
			want := []*recall.Session{s3, s2, s1}
			eqLen(f.tb, "Sessions", got, len(want))
			for i := range want {
				eqSession(f.tb, got[i], want[i])
			}
		})
		test(t, open, "OKEmpty", func(f *fixture) {
			u := f.user("alice")
			got, err := f.allSessions(u.ID, 1)
			ok(f.tb, "Sessions", err)
			eqLen(f.tb, "Sessions", got, 0)
		})
	})
}

func runTurns(t *testing.T, open opener) {
	// start makes a user, a topic of n questions and a session on it.
	start := func(f *fixture, n int) *recall.Session {
		f.tb.Helper()
		u := f.user("alice")
		topic := f.topic(u, "Rivers")
		return f.session(u, topic, f.questions(u, topic, n))
	}

	t.Run("SaveTurn", func(t *testing.T) {
		test(t, open, "OK", func(f *fixture) {
			s := start(f, 3)
			next, turn := f.save(s, recall.TurnAnswer, true, "key")
			got, err := f.s.Session(f.ctx, s.ID)
			ok(f.tb, "Session", err)
			eqSession(f.tb, got, next)
			eq(f.tb, "Version", got.Version, s.Version+1)

			gt, err := f.s.Turn(f.ctx, s.ID, 0)
			ok(f.tb, "Turn", err)
			eqTurn(f.tb, gt, turn, true)
		})
		test(t, open, "ErrSameVersionTwice", func(f *fixture) {
			s := start(f, 3)
			a, ta := f.next(s, recall.TurnAnswer, true, "a")
			b, tb := f.next(s, recall.TurnAnswer, false, "b")
			ok(f.tb, "SaveTurn(first)", f.s.SaveTurn(f.ctx, a, ta))
			wantCode(f.tb, "SaveTurn(second)", f.s.SaveTurn(f.ctx, b, tb), recall.ECONFLICT)

			got, err := f.s.Session(f.ctx, s.ID)
			ok(f.tb, "Session", err)
			eqSession(f.tb, got, a)
			gt, err := f.s.Turn(f.ctx, s.ID, 0)
			ok(f.tb, "Turn", err)
			eqTurn(f.tb, gt, ta, true)
		})
		test(t, open, "ErrStaleVersion", func(f *fixture) {
			// The stale turn's index is free, so only the version can refuse it.
			s := start(f, 3)
			a, _ := f.save(s, recall.TurnAnswer, true, "")
			stale, ts := f.next(s, recall.TurnAnswer, false, "stale")
			ts.Index = a.Turns
			stale.Turns = a.Turns + 1
			ts.After = stale.Clone()
			wantCode(f.tb, "SaveTurn(stale)", f.s.SaveTurn(f.ctx, stale, ts), recall.ECONFLICT)

			got, err := f.s.Session(f.ctx, s.ID)
			ok(f.tb, "Session", err)
			eqSession(f.tb, got, a)
			_, err = f.s.Turn(f.ctx, s.ID, ts.Index)
			wantCode(f.tb, "Turn(refused)", err, recall.ENOTFOUND)
			turns, err := f.s.Turns(f.ctx, s.ID)
			ok(f.tb, "Turns", err)
			eqLen(f.tb, "Turns", turns, 1)
		})
		test(t, open, "ErrIdempotencyKeyUsed", func(f *fixture) {
			s := start(f, 3)
			a, _ := f.save(s, recall.TurnAnswer, true, "key")
			b, tb := f.next(a, recall.TurnAnswer, true, "key")
			wantCode(f.tb, "SaveTurn(same key)", f.s.SaveTurn(f.ctx, b, tb), recall.ECONFLICT)

			got, err := f.s.Session(f.ctx, s.ID)
			ok(f.tb, "Session", err)
			eqSession(f.tb, got, a)
			_, err = f.s.Turn(f.ctx, s.ID, tb.Index)
			wantCode(f.tb, "Turn(refused)", err, recall.ENOTFOUND)

			// Another key on the same state goes through.
			c, tc := f.next(a, recall.TurnAnswer, true, "other")
			ok(f.tb, "SaveTurn(other key)", f.s.SaveTurn(f.ctx, c, tc))
		})
		test(t, open, "OKSameKeyOtherSession", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			qs := f.questions(u, topic, 2)
			s1, s2 := f.session(u, topic, qs), f.session(u, topic, qs)
			f.save(s1, recall.TurnAnswer, true, "key")
			s2, _ = f.save(s2, recall.TurnAnswer, false, "key")
			got, err := f.s.Session(f.ctx, s2.ID)
			ok(f.tb, "Session", err)
			eqSession(f.tb, got, s2)
		})
		test(t, open, "ErrSessionNotFound", func(f *fixture) {
			s := start(f, 2)
			ghost := s.Clone()
			ghost.ID = "no-such-session"
			n, turn := f.next(ghost, recall.TurnAnswer, true, "")
			wantCode(f.tb, "SaveTurn", f.s.SaveTurn(f.ctx, n, turn), recall.ENOTFOUND)
		})
	})

	t.Run("Turns", func(t *testing.T) {
		test(t, open, "OKOldestFirst", func(f *fixture) {
			s := start(f, 3)
			var want []*recall.Turn
			var turn *recall.Turn
			for _, k := range []recall.TurnKind{recall.TurnHint, recall.TurnAnswer, recall.TurnSkip, recall.TurnAnswer} {
				s, turn = f.save(s, k, k == recall.TurnAnswer && len(want) == 1, "")
				want = append(want, turn)
			}
			got, err := f.s.Turns(f.ctx, s.ID)
			ok(f.tb, "Turns", err)
			eqLen(f.tb, "Turns", got, len(want))
			for i := range want {
				eqTurn(f.tb, got[i], want[i], false)
			}
			if got[0].Correct != nil {
				f.tb.Errorf("hint's Correct = %v, want nil", *got[0].Correct)
			}
		})
		test(t, open, "OKEmpty", func(f *fixture) {
			s := start(f, 1)
			got, err := f.s.Turns(f.ctx, s.ID)
			ok(f.tb, "Turns", err)
			eqLen(f.tb, "Turns", got, 0)
		})
	})

	t.Run("Turn", func(t *testing.T) {
		test(t, open, "OKAfter", func(f *fixture) {
			s := start(f, 2)
			var turns []*recall.Turn
			var turn *recall.Turn
			s, turn = f.save(s, recall.TurnAnswer, true, "k1")
			turns = append(turns, turn)
			s, turn = f.save(s, recall.TurnHint, false, "")
			turns = append(turns, turn)
			_, turn = f.save(s, recall.TurnAnswer, false, "k3")
			turns = append(turns, turn)
			for _, want := range turns {
				got, err := f.s.Turn(f.ctx, s.ID, want.Index)
				ok(f.tb, "Turn", err)
				eqTurn(f.tb, got, want, true)
			}
		})
		test(t, open, "ErrNotFound", func(f *fixture) {
			s := start(f, 2)
			f.save(s, recall.TurnAnswer, true, "")
			_, err := f.s.Turn(f.ctx, s.ID, 1)
			wantCode(f.tb, "Turn(1)", err, recall.ENOTFOUND)
			_, err = f.s.Turn(f.ctx, s.ID, -1)
			wantCode(f.tb, "Turn(-1)", err, recall.ENOTFOUND)
			_, err = f.s.Turn(f.ctx, "no-such-session", 0)
			wantCode(f.tb, "Turn(no session)", err, recall.ENOTFOUND)
		})
	})
}

func runTimes(t *testing.T, open opener) {
	t.Run("Times", func(t *testing.T) {
		test(t, open, "OKUTCMicroseconds", func(f *fixture) {
			zone := time.FixedZone("UTC-7", -7*3600)
			cases := []struct {
				name string
				in   time.Time
				want time.Time
			}{
				{"nanoseconds are truncated", time.Date(2030, 1, 1, 0, 0, 0, 999_999_999, zone), time.Date(2030, 1, 1, 7, 0, 0, 999_999_000, time.UTC)},
				{"before 1970", time.Date(1969, 12, 31, 16, 59, 59, 999_999_500, zone), time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.UTC)},
				{"zero", time.Time{}, time.Time{}},
			}
			for i, c := range cases {
				u := &recall.User{ID: f.id("u"), Username: "user" + string(rune('a'+i)), CreatedAt: c.in}
				ok(f.tb, "CreateUser", f.s.CreateUser(f.ctx, u, "hash"))
				got, err := f.s.UserByID(f.ctx, u.ID)
				ok(f.tb, "UserByID", err)
				if !got.CreatedAt.Equal(c.want) || got.CreatedAt.Location() != time.UTC {
					f.tb.Errorf("%s: CreatedAt = %v, want %v", c.name, got.CreatedAt.Format(time.RFC3339Nano), c.want.Format(time.RFC3339Nano))
				}
			}
		})
	})
}
