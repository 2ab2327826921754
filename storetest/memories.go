package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// runMemories checks the memory states and days of study that SaveTurn
// writes with a turn's review, and the user settings that scheduling reads.
func runMemories(t *testing.T, open opener) {
	t.Run("Memories", func(t *testing.T) {
		test(t, open, "OKWrittenWithTheTurn", func(f *fixture) {
			u, other := f.user("alice"), f.user("bob")
			topic, second := f.topic(u, "Rivers"), f.topic(u, "Lakes")
			qs := f.questions(u, topic, 3)
			sqs := f.questions(u, second, 1)
			oqs := f.questions(other, f.topic(other, "Seas"), 1)

			s := f.session(u, topic, qs)
			s, _ = f.review(s, recall.TurnAnswer, true, 100)
			s, _ = f.review(s, recall.TurnSkip, false, 100)
			f.review(s, recall.TurnAnswer, true, 102)
			// The second answer to the first question replaces its state.
			s2 := f.session(u, topic, qs)
			_, t2 := f.review(s2, recall.TurnAnswer, false, 102)
			f.review(f.session(u, second, sqs), recall.TurnAnswer, true, 99)
			f.review(f.session(other, f.topicOf(other, oqs[0]), oqs), recall.TurnAnswer, true, 50)

			got, err := f.s.Memories(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Memories", err)
			eqLen(f.tb, "Memories", got, 3)
			byID := map[string]*recall.Memory{}
			for _, m := range got {
				byID[m.QuestionID] = m
			}
			eqMemory(f.tb, "Memories[q0]", byID[qs[0].ID], t2.Review.Memory)

			got, err = f.s.Memories(f.ctx, u.ID, second.ID)
			ok(f.tb, "Memories(second)", err)
			eqLen(f.tb, "Memories(second)", got, 1)
			got, err = f.s.Memories(f.ctx, other.ID, topic.ID)
			ok(f.tb, "Memories(other user)", err)
			eqLen(f.tb, "Memories(other user)", got, 0)
			got, err = f.s.Memories(f.ctx, u.ID, "no-such-topic")
			ok(f.tb, "Memories(unknown topic)", err)
			eqLen(f.tb, "Memories(unknown topic)", got, 0)

			days, err := f.s.StudyDays(f.ctx, u.ID)
			ok(f.tb, "StudyDays", err)
			if !slices.Equal(days, []int{99, 100, 102}) {
				f.tb.Errorf("StudyDays = %v, want [99 100 102]", days)
			}
			days, err = f.s.StudyDays(f.ctx, "no-such-user")
			ok(f.tb, "StudyDays(unknown user)", err)
			eqLen(f.tb, "StudyDays(unknown user)", days, 0)
		})

		test(t, open, "ErrRefusedTurnWritesNoMemory", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			qs := f.questions(u, topic, 2)
			s := f.session(u, topic, qs)
			f.review(s, recall.TurnAnswer, true, 100)
			// A second turn built on the same, now stale, version.
			n, tr := f.next(s, recall.TurnAnswer, true, "")
			tr.QuestionID = qs[1].ID
			tr.Review = &recall.Review{Memory: f.memory(u, topic, qs[1].ID, f.now), Day: 101}
			wantCode(f.tb, "SaveTurn(stale)", f.s.SaveTurn(f.ctx, n, tr), recall.ECONFLICT)

			got, err := f.s.Memories(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Memories", err)
			eqLen(f.tb, "Memories", got, 1)
			eq(f.tb, "Memories[0].QuestionID", got[0].QuestionID, qs[0].ID)
			days, err := f.s.StudyDays(f.ctx, u.ID)
			ok(f.tb, "StudyDays", err)
			if !slices.Equal(days, []int{100}) {
				f.tb.Errorf("StudyDays = %v, want [100]", days)
			}
		})

		test(t, open, "OKUserSettings", func(f *fixture) {
			u := f.user("alice")
			got, err := f.s.UserByID(f.ctx, u.ID)
			ok(f.tb, "UserByID", err)
			eq(f.tb, "TimeZone (default)", got.TimeZone, recall.DefaultTimeZone)
			if got.Weights != nil {
				f.tb.Errorf("Weights (default) = %v, want nil", got.Weights)
			}

			w := make([]float64, 19)
			for i := range w {
				w[i] = 0.25 * float64(i+1)
			}
			ok(f.tb, "UpdateUser", f.s.UpdateUser(f.ctx, &recall.User{ID: u.ID, TimeZone: "Europe/Paris", Weights: w}))
			got, err = f.s.UserByID(f.ctx, u.ID)
			ok(f.tb, "UserByID", err)
			eq(f.tb, "TimeZone", got.TimeZone, "Europe/Paris")
			eq(f.tb, "Username", got.Username, u.Username)
			if !slices.Equal(got.Weights, w) {
				f.tb.Errorf("Weights = %v, want %v", got.Weights, w)
			}
			got, _, err = f.s.UserByUsername(f.ctx, u.Username)
			ok(f.tb, "UserByUsername", err)
			eq(f.tb, "UserByUsername.TimeZone", got.TimeZone, "Europe/Paris")

			// Back to the defaults.
			ok(f.tb, "UpdateUser(defaults)", f.s.UpdateUser(f.ctx, &recall.User{ID: u.ID}))
			got, err = f.s.UserByID(f.ctx, u.ID)
			ok(f.tb, "UserByID", err)
			eq(f.tb, "TimeZone (reset)", got.TimeZone, recall.DefaultTimeZone)
			if got.Weights != nil {
				f.tb.Errorf("Weights (reset) = %v, want nil", got.Weights)
			}

			wantCode(f.tb, "UpdateUser(unknown)", f.s.UpdateUser(f.ctx, &recall.User{ID: "no-such-user"}), recall.ENOTFOUND)
		})
	})
}

// topicOf returns the stored topic of question q of u.
func (f *fixture) topicOf(u *recall.User, q *recall.Question) *recall.Topic {
	f.tb.Helper()
	t, err := f.s.Topic(f.ctx, u.ID, q.TopicID)
	if err != nil {
		f.tb.Fatalf("Topic: %v", err)
	}
	return t
}

// memory returns a memory state of question qid, reviewed at at, whose
// numbers differ from call to call.
func (f *fixture) memory(u *recall.User, t *recall.Topic, qid string, at time.Time) recall.Memory {
	f.seq++
	n := float64(f.seq)
	return recall.Memory{
		UserID: u.ID, TopicID: t.ID, QuestionID: qid, State: recall.CardState(1 + f.seq%3),
		Stability: 1.5 + n/7, Difficulty: 5 + n/11, Due: at.Add(time.Duration(f.seq) * time.Hour),
		ScheduledDays: f.seq, Reps: f.seq + 1, Lapses: f.seq % 2,
		FirstReview: at.Add(-time.Hour), LastReview: at,
	}
}

// review saves the next turn of s with a review of its question on day
// day, and returns the new session and the turn.
func (f *fixture) review(s *recall.Session, kind recall.TurnKind, correct bool, day int) (*recall.Session, *recall.Turn) {
	f.tb.Helper()
	n, t := f.next(s, kind, correct, "")
	tp := &recall.Topic{ID: s.TopicID}
	t.Review = &recall.Review{Memory: f.memory(&recall.User{ID: s.UserID}, tp, t.QuestionID, t.CreatedAt), Day: day}
	if err := f.s.SaveTurn(f.ctx, n, t); err != nil {
		f.tb.Fatalf("SaveTurn(%d, %s, review): %v", t.Index, kind, err)
	}
	return n, t
}

// eqMemory fails unless got is want as a store returns it.
func eqMemory(tb testing.TB, what string, got *recall.Memory, want recall.Memory) {
	tb.Helper()
	if got == nil {
		tb.Fatalf("%s is missing", what)
	}
	eq(tb, what+".UserID", got.UserID, want.UserID)
	eq(tb, what+".TopicID", got.TopicID, want.TopicID)
	eq(tb, what+".QuestionID", got.QuestionID, want.QuestionID)
	eq(tb, what+".State", got.State, want.State)
	eq(tb, what+".Stability", got.Stability, want.Stability)
	eq(tb, what+".Difficulty", got.Difficulty, want.Difficulty)
	eqTime(tb, what+".Due", got.Due, want.Due)
	eq(tb, what+".ScheduledDays", got.ScheduledDays, want.ScheduledDays)
	eq(tb, what+".Reps", got.Reps, want.Reps)
	eq(tb, what+".Lapses", got.Lapses, want.Lapses)
	eqTime(tb, what+".FirstReview", got.FirstReview, want.FirstReview)
	eqTime(tb, what+".LastReview", got.LastReview, want.LastReview)
}
