package storetest

import (
	"testing"

	"github.com/recallhq/recall"
)

func runTopics(t *testing.T, open opener) {
	t.Run("CreateTopic", func(t *testing.T) {
		test(t, open, "OK", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			got, err := f.s.Topic(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Topic", err)
			eqTopic(f.tb, got, topic, nil)
			eqStats(f.tb, "Topic.Stats", got.Stats, recall.TopicStats{})
		})
		test(t, open, "ErrIDTaken", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			err := f.s.CreateTopic(f.ctx, &recall.Topic{ID: topic.ID, UserID: u.ID, Title: "Other", CreatedAt: f.tick(), UpdatedAt: f.now})
			wantCode(f.tb, "CreateTopic", err, recall.ECONFLICT)
			got, err := f.s.Topic(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Topic", err)
			eqTopic(f.tb, got, topic, nil)
		})
	})

	t.Run("Topics", func(t *testing.T) {
		test(t, open, "OKEmpty", func(f *fixture) {
			u := f.user("alice")
			f.topic(f.user("bob"), "Bob's")
			got, err := f.s.Topics(f.ctx, u.ID)
			ok(f.tb, "Topics", err)
			eqLen(f.tb, "Topics", got, 0)
		})
		test(t, open, "OKNewestFirstOwnOnly", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			old := f.topic(alice, "Old")
			f.topic(bob, "Bob's")
			mid := f.topic(alice, "Middle")
			// Two topics updated at the same moment are ordered by ID.
			tieA, tieB := f.topic(alice, "Tie A"), f.topic(alice, "Tie B")
			tieB.UpdatedAt = f.tick()
			tieA.UpdatedAt = f.now
			ok(f.tb, "UpdateTopic", updateTime(f, alice, tieA))
			ok(f.tb, "UpdateTopic", updateTime(f, alice, tieB))
			first, second := tieA, tieB
			if second.ID < first.ID {
				first, second = second, first
			}
			got, err := f.s.Topics(f.ctx, alice.ID)
			ok(f.tb, "Topics", err)
			want := []*recall.Topic{first, second, mid, old}
			eqLen(f.tb, "Topics", got, len(want))
			for i := range want {
				eqTopic(f.tb, got[i], want[i], nil)
			}
		})
		test(t, open, "OKQuestionIDs", func(f *fixture) {
			u := f.user("alice")
			a, b := f.topic(u, "A"), f.topic(u, "B")
			qa := f.questions(u, a, 3)
			qb := f.questions(u, b, 2)
			qa = append(qa, f.questions(u, a, 2)...)
			got, err := f.s.Topics(f.ctx, u.ID)
			ok(f.tb, "Topics", err)
			eqLen(f.tb, "Topics", got, 2)
			// a's second AddQuestions made it the most recently updated.
			eqList(f.tb, "Topics[0].QuestionIDs", got[0].QuestionIDs, ids(qa))
			eqList(f.tb, "Topics[1].QuestionIDs", got[1].QuestionIDs, ids(qb))
		})
	})

	t.Run("Topic", func(t *testing.T) {
		test(t, open, "ErrNotFound", func(f *fixture) {
			u := f.user("alice")
			f.topic(u, "Rivers")
			_, err := f.s.Topic(f.ctx, u.ID, "no-such-topic")
			wantCode(f.tb, "Topic", err, recall.ENOTFOUND)
		})
		test(t, open, "ErrOtherUser", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			topic := f.topic(alice, "Rivers")
			_, err := f.s.Topic(f.ctx, bob.ID, topic.ID)
			wantCode(f.tb, "Topic", err, recall.ENOTFOUND)
		})
	})

	t.Run("UpdateTopic", func(t *testing.T) {
		test(t, open, "OKTitle", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			other := f.topic(u, "Lakes")
			qs := f.questions(u, topic, 2)
			title := "Rivers of Europe"
			now := f.tick()
			got, err := f.s.UpdateTopic(f.ctx, u.ID, topic.ID, recall.TopicInput{Title: &title}, now)
			ok(f.tb, "UpdateTopic", err)
			want := *topic
			want.Title, want.UpdatedAt = title, now
			eqTopic(f.tb, got, &want, ids(qs))

			got, err = f.s.Topic(f.ctx, u.ID, topic.ID)
			ok(f.tb, "Topic", err)
			eqTopic(f.tb, got, &want, ids(qs))

			list, err := f.s.Topics(f.ctx, u.ID)
			ok(f.tb, "Topics", err)
			eqLen(f.tb, "Topics", list, 2)
			eq(f.tb, "Topics[0].ID", list[0].ID, topic.ID)
			eq(f.tb, "Topics[1].ID", list[1].ID, other.ID)
		})
		test(t, open, "OKDescription", func(f *fixture) {
			u := f.user("alice")
			topic := f.topic(u, "Rivers")
			desc := ""
			now := f.tick()
			got, err := f.s.UpdateTopic(f.ctx, u.ID, topic.ID, recall.TopicInput{Description: &desc}, now)
			ok(f.tb, "UpdateTopic", err)
			want := *topic
			want.Description, want.UpdatedAt = "", now
			eqTopic(f.tb, got, &want, nil)
		})
		test(t, open, "ErrNotFound", func(f *fixture) {
			u := f.user("alice")
			title := "New"
			_, err := f.s.UpdateTopic(f.ctx, u.ID, "no-such-topic", recall.TopicInput{Title: &title}, f.tick())
			wantCode(f.tb, "UpdateTopic", err, recall.ENOTFOUND)
		})
		test(t, open, "ErrOtherUser", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			topic := f.topic(alice, "Rivers")
			title := "Bob was here"
			_, err := f.s.UpdateTopic(f.ctx, bob.ID, topic.ID, recall.TopicInput{Title: &title}, f.tick())
			wantCode(f.tb, "UpdateTopic", err, recall.ENOTFOUND)
			got, err := f.s.Topic(f.ctx, alice.ID, topic.ID)
			ok(f.tb, "Topic", err)
			eqTopic(f.tb, got, topic, nil)
		})
	})

	t.Run("DeleteTopic", func(t *testing.T) {
		test(t, open, "OKCascades", func(f *fixture) {
			u := f.user("alice")
			topic, keep := f.topic(u, "Rivers"), f.topic(u, "Lakes")
			qs := f.questions(u, topic, 3)
			kept := f.questions(u, keep, 2)
			s := f.session(u, topic, qs)
			f.save(s, recall.TurnAnswer, true, "key")
			ks := f.session(u, keep, kept)
			ks, _ = f.save(ks, recall.TurnAnswer, true, "key")

			ok(f.tb, "DeleteTopic", f.s.DeleteTopic(f.ctx, u.ID, topic.ID))

			_, err := f.s.Topic(f.ctx, u.ID, topic.ID)
			wantCode(f.tb, "Topic", err, recall.ENOTFOUND)
			got, err := f.s.Questions(f.ctx, topic.UserID, topic.ID)
			ok(f.tb, "Questions", err)
			eqLen(f.tb, "Questions", got, 0)
			_, err = f.s.Session(f.ctx, s.ID)
			wantCode(f.tb, "Session", err, recall.ENOTFOUND)
			turns, err := f.s.Turns(f.ctx, s.ID)
			ok(f.tb, "Turns", err)
			eqLen(f.tb, "Turns", turns, 0)
			_, err = f.s.Turn(f.ctx, s.ID, 0)
			wantCode(f.tb, "Turn", err, recall.ENOTFOUND)
			list, err := f.allSessions(u.ID, recall.DefaultPageLimit)
			ok(f.tb, "Sessions", err)
			eqLen(f.tb, "Sessions", list, 1)
			eq(f.tb, "Sessions[0].ID", list[0].ID, ks.ID)

			// The other topic keeps everything.
			topics, err := f.s.Topics(f.ctx, u.ID)
			ok(f.tb, "Topics", err)
			eqLen(f.tb, "Topics", topics, 1)
			eqList(f.tb, "Topics[0].QuestionIDs", topics[0].QuestionIDs, ids(kept))
			got, err = f.s.Questions(f.ctx, keep.UserID, keep.ID)
			ok(f.tb, "Questions(kept)", err)
			eqQuestions(f.tb, got, kept)
			gs, err := f.s.Session(f.ctx, ks.ID)
			ok(f.tb, "Session(kept)", err)
			eqSession(f.tb, gs, ks)
		})
		test(t, open, "ErrNotFound", func(f *fixture) {
			u := f.user("alice")
			err := f.s.DeleteTopic(f.ctx, u.ID, "no-such-topic")
			wantCode(f.tb, "DeleteTopic", err, recall.ENOTFOUND)
		})
		test(t, open, "ErrOtherUser", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			topic := f.topic(alice, "Rivers")
			qs := f.questions(alice, topic, 1)
			err := f.s.DeleteTopic(f.ctx, bob.ID, topic.ID)
			wantCode(f.tb, "DeleteTopic", err, recall.ENOTFOUND)
			got, err := f.s.Topic(f.ctx, alice.ID, topic.ID)
			ok(f.tb, "Topic", err)
			want := *topic
			want.UpdatedAt = qs[0].CreatedAt
			eqTopic(f.tb, got, &want, ids(qs))
		})
	})
}

// updateTime stores t.UpdatedAt by an UpdateTopic that sets the title it
// has.
func updateTime(f *fixture, u *recall.User, t *recall.Topic) error {
	_, err := f.s.UpdateTopic(f.ctx, u.ID, t.ID, recall.TopicInput{Title: &t.Title}, t.UpdatedAt)
	return err
}
