package storetest

import (
	"testing"

	"github.com/recallhq/recall"
)

func runQuestions(t *testing.T, open opener) {
	t.Run("AddQuestions", func(t *testing.T) {
		test(t, open, "OKBankOrder", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			qs := f.questions(u, topic, 2)
			qs = append(qs, f.questions(u, topic, 1)...)
			last := f.questions(u, topic, 3)
			qs = append(qs, last...)

			got, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, got, qs)

			gt, err := f.s.Topic(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Topic", err)
			want := *topic
			want.UpdatedAt = last[0].CreatedAt
			eqTopic(f.tb, gt, &want, ids(qs))
		})
		test(t, open, "OKMany", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			qs := f.questions(u, topic, recall.MaxQuestionsPerRequest)
			qs = append(qs, f.questions(u, topic, 7)...)
			got, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, got, qs)
		})
		test(t, open, "ErrAllOrNothing", func(f *fixture) {
			u := f.user("alice")
			topic, other := f.topic(u, "Rivers"), f.topic(u, "Lakes")
			qs := f.questions(u, topic, 2)
			taken := f.questions(u, other, 1)[0]

			// The third new question reuses the ID of one in another topic.
			at := f.tick()
			batch := []*recall.Question{f.question(topic, at), f.question(topic, at), f.question(topic, at)}
			batch[2].ID = taken.ID
			err := f.s.AddQuestions(f.ctx, u.ID, topic.ID, batch)
			wantCode(f.tb, "AddQuestions(taken ID)", err, recall.ECONFLICT)

			// Two new questions share an ID.
			batch = []*recall.Question{f.question(topic, at), f.question(topic, at)}
			batch[1].ID = batch[0].ID
			err = f.s.AddQuestions(f.ctx, u.ID, topic.ID, batch)
			wantCode(f.tb, "AddQuestions(same ID twice)", err, recall.ECONFLICT)

			got, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, got, qs)
			gt, err := f.s.Topic(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Topic", err)
			want := *topic
			want.UpdatedAt = qs[0].CreatedAt
			eqTopic(f.tb, gt, &want, ids(qs))

			// The bank still grows at its end afterwards.
			more := f.questions(u, topic, 1)
			got, err = f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, got, append(qs, more...))
		})
		test(t, open, "ErrNotFound", func(f *fixture) {
			u := f.user("alice")
			ghost := &recall.Topic{ID: "no-such-topic", UserID: u.ID}
			err := f.s.AddQuestions(f.ctx, u.ID, ghost.ID, []*recall.Question{f.question(ghost, f.tick())})
			wantCode(f.tb, "AddQuestions", err, recall.ENOTFOUND)
		})
		test(t, open, "ErrOtherUser", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			topic := f.topic(alice, "Rivers")
			err := f.s.AddQuestions(f.ctx, bob.ID, topic.ID, []*recall.Question{f.question(topic, f.tick())})
			wantCode(f.tb, "AddQuestions", err, recall.ENOTFOUND)
			got, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqLen(f.tb, "Questions", got, 0)
			gt, err := f.s.Topic(f.ctx, alice.ID, topic.ID)
			ok(f.tb, "Topic", err)
			eqTopic(f.tb, gt, topic, nil)
		})
	})

	t.Run("Questions", func(t *testing.T) {
		test(t, open, "OKEmpty", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			got, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqLen(f.tb, "Questions", got, 0)
			got, err = f.s.Questions(f.ctx, u.ID, "no-such-topic")
			ok(f.tb, "Questions(unknown topic)", err)
			eqLen(f.tb, "Questions(unknown topic)", got, 0)
		})
	})

	t.Run("UpdateQuestion", func(t *testing.T) {
		test(t, open, "OK", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			qs := f.questions(u, topic, 3)
			prompt, hint := "  Which river flows through Vienna?", ""
			now := f.tick()
			got, err := f.s.UpdateQuestion(f.ctx, u.ID, topic.ID, qs[1].ID, recall.QuestionInput{Prompt: &prompt, Hint: &hint}, now)
			ok(f.tb, "UpdateQuestion", err)
			want := *qs[1]
			want.Prompt, want.Hint, want.UpdatedAt = prompt, hint, now
			eqQuestion(f.tb, got, &want)

			list, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, []*recall.Question{qs[0], &want, qs[2]})

			gt, err := f.s.Topic(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Topic", err)
			eqTime(f.tb, "Topic.UpdatedAt", gt.UpdatedAt, now)
			eqList(f.tb, "Topic.QuestionIDs", gt.QuestionIDs, ids(qs))
		})
		test(t, open, "OKChoices", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			q := f.questions(u, topic, 1)[0]
			choices, answers := []string{"Danube", "Rhine", "Elbe"}, []string{"Danube"}
			now := f.tick()
			got, err := f.s.UpdateQuestion(f.ctx, u.ID, topic.ID, q.ID, recall.QuestionInput{Choices: &choices, Answers: &answers}, now)
			ok(f.tb, "UpdateQuestion(set choices)", err)
			want := *q
			want.Choices, want.Answers, want.UpdatedAt = choices, answers, now
			eqQuestion(f.tb, got, &want)

			// An empty list removes the choices.
			none := []string{}
			now = f.tick()
			got, err = f.s.UpdateQuestion(f.ctx, u.ID, topic.ID, q.ID, recall.QuestionInput{Choices: &none}, now)
			ok(f.tb, "UpdateQuestion(clear choices)", err)
			want.Choices, want.UpdatedAt = nil, now
			eqQuestion(f.tb, got, &want)
			list, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, []*recall.Question{&want})
		})
		test(t, open, "OKTolerance", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Physics")
			at := f.tick()
			q := f.question(topic, at)
			q.Choices, q.AbsTol, q.RelTol, q.Unit = nil, 0, 0, ""
			ok(f.tb, "AddQuestions", f.s.AddQuestions(f.ctx, u.ID, topic.ID, []*recall.Question{q}))
			abs, rel, unit := 0.001, 0.125, "m/s²"
			now := f.tick()
			got, err := f.s.UpdateQuestion(f.ctx, u.ID, topic.ID, q.ID, recall.QuestionInput{AbsTol: &abs, RelTol: &rel, Unit: &unit}, now)
			ok(f.tb, "UpdateQuestion(set tolerance)", err)
			want := *q
			want.AbsTol, want.RelTol, want.Unit, want.UpdatedAt = abs, rel, unit, now
			eqQuestion(f.tb, got, &want)
			list, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, []*recall.Question{&want})

			// Zero values take the tolerance and the unit away.
			zero, none := 0.0, ""
			now = f.tick()
			_, err = f.s.UpdateQuestion(f.ctx, u.ID, topic.ID, q.ID, recall.QuestionInput{AbsTol: &zero, RelTol: &zero, Unit: &none}, now)
			ok(f.tb, "UpdateQuestion(clear tolerance)", err)
			want.AbsTol, want.RelTol, want.Unit, want.UpdatedAt = 0, 0, "", now
			list, err = f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, []*recall.Question{&want})
		})
		test(t, open, "ErrCheck", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			at := f.tick()
			q := f.question(topic, at)
			q.Choices, q.Answers = []string{"Danube", "Rhine"}, []string{"Danube"}
			ok(f.tb, "AddQuestions", f.s.AddQuestions(f.ctx, u.ID, topic.ID, []*recall.Question{q}))

			answers := []string{"Elbe"}
			_, err := f.s.UpdateQuestion(f.ctx, u.ID, topic.ID, q.ID, recall.QuestionInput{Answers: &answers}, f.tick())
			wantCode(f.tb, "UpdateQuestion", err, recall.EINVALID)

			list, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, []*recall.Question{q})
			gt, err := f.s.Topic(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Topic", err)
			eqTime(f.tb, "Topic.UpdatedAt", gt.UpdatedAt, at)
		})
		test(t, open, "ErrNotFound", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			f.questions(u, topic, 1)
			prompt := "New"
			_, err := f.s.UpdateQuestion(f.ctx, u.ID, topic.ID, "no-such-question", recall.QuestionInput{Prompt: &prompt}, f.tick())
			wantCode(f.tb, "UpdateQuestion", err, recall.ENOTFOUND)
		})
		test(t, open, "ErrOtherTopic", func(f *fixture) {
			u := f.user("alice")
			topic, other := f.topic(u, "Rivers"), f.topic(u, "Lakes")
			q := f.questions(u, other, 1)[0]
			prompt := "New"
			_, err := f.s.UpdateQuestion(f.ctx, u.ID, topic.ID, q.ID, recall.QuestionInput{Prompt: &prompt}, f.tick())
			wantCode(f.tb, "UpdateQuestion", err, recall.ENOTFOUND)
			list, err := f.s.Questions(f.ctx, other.UserID, other.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, []*recall.Question{q})
		})
		test(t, open, "ErrOtherUser", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			topic := f.topic(alice, "Rivers")
			q := f.questions(alice, topic, 1)[0]
			prompt := "Bob was here"
			_, err := f.s.UpdateQuestion(f.ctx, bob.ID, topic.ID, q.ID, recall.QuestionInput{Prompt: &prompt}, f.tick())
			wantCode(f.tb, "UpdateQuestion", err, recall.ENOTFOUND)
			list, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, []*recall.Question{q})
		})
	})

	t.Run("DeleteQuestion", func(t *testing.T) {
		test(t, open, "OK", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			qs := f.questions(u, topic, 3)
			now := f.tick()
			ok(f.tb, "DeleteQuestion", f.s.DeleteQuestion(f.ctx, u.ID, topic.ID, qs[1].ID, now))
			rest := []*recall.Question{qs[0], qs[2]}
			list, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, rest)
			gt, err := f.s.Topic(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Topic", err)
			eqTime(f.tb, "Topic.UpdatedAt", gt.UpdatedAt, now)
			eqList(f.tb, "Topic.QuestionIDs", gt.QuestionIDs, ids(rest))

			// New questions go after the last one, not into the gap.
			rest = append(rest, f.questions(u, topic, 1)...)
			list, err = f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, rest)
		})
		test(t, open, "ErrNotFound", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			err := f.s.DeleteQuestion(f.ctx, u.ID, topic.ID, "no-such-question", f.tick())
			wantCode(f.tb, "DeleteQuestion", err, recall.ENOTFOUND)
		})
		test(t, open, "ErrOtherUser", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			topic := f.topic(alice, "Rivers")
			qs := f.questions(alice, topic, 2)
			err := f.s.DeleteQuestion(f.ctx, bob.ID, topic.ID, qs[0].ID, f.tick())
			wantCode(f.tb, "DeleteQuestion", err, recall.ENOTFOUND)
			list, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqQuestions(f.tb, list, qs)
		})
	})
}
