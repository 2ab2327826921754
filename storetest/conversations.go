package storetest

import (
	"reflect"
	"testing"

	"github.com/recallhq/recall"
)

// conversation creates an active conversation of u on t.
func (f *fixture) conversation(u *recall.User, t *recall.Topic) *recall.Conversation {
	f.tb.Helper()
	at := f.tick()
	c := &recall.Conversation{
		ID: f.id("c"), UserID: u.ID, TopicID: t.ID, Title: "Chat about " + t.Title, State: recall.ConversationActive,
		Version: 1, CreatedAt: at, UpdatedAt: at,
	}
	if err := f.s.CreateConversation(f.ctx, c); err != nil {
		f.tb.Fatalf("CreateConversation: %v", err)
	}
	return c
}

// exchange builds, without saving it, the next exchange of c: a learner's
// message and the tutor's reply, both with key, and the conversation as it
// leaves it.
func (f *fixture) exchange(c *recall.Conversation, key string, qids ...string) (*recall.Conversation, []*recall.Message) {
	at := f.tick()
	yes := true
	learner := &recall.Message{ConversationID: c.ID, Index: c.Messages, Role: recall.RoleLearner,
		Content: "What about “this”? ünï", CreatedAt: at, IdempotencyKey: key}
	tutor := &recall.Message{ConversationID: c.ID, Index: c.Messages + 1, Role: recall.RoleTutor,
		Content: "Here is what your notes say…\nline two", QuestionIDs: qids, Correct: &yes, Tutor: "rules",
		CreatedAt: at, IdempotencyKey: key}
	n := c.Clone()
	n.Messages += 2
	n.Version++
	n.UpdatedAt = at
	n.Summary = c.Summary + "asked about this; "
	n.QuestionIDs = qids
	n.Quizzing = ""
	if len(qids) > 0 {
		n.Quizzing = qids[0]
	}
	return n, []*recall.Message{learner, tutor}
}

func eqConversation(tb testing.TB, got, want *recall.Conversation) {
	tb.Helper()
	eq(tb, "ID", got.ID, want.ID)
	eq(tb, "UserID", got.UserID, want.UserID)
	eq(tb, "TopicID", got.TopicID, want.TopicID)
	eq(tb, "Title", got.Title, want.Title)
	eq(tb, "State", got.State, want.State)
	eq(tb, "Messages", got.Messages, want.Messages)
	eq(tb, "Version", got.Version, want.Version)
	eq(tb, "Summary", got.Summary, want.Summary)
	eqList(tb, "QuestionIDs", got.QuestionIDs, want.QuestionIDs)
	eq(tb, "Quizzing", got.Quizzing, want.Quizzing)
	eqTime(tb, "CreatedAt", got.CreatedAt, want.CreatedAt)
	eqTime(tb, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if got.Recent != nil {
		tb.Errorf("Recent = %v; a store does not keep it", got.Recent)
	}
}

func eqMessages(tb testing.TB, got, want []*recall.Message) {
	tb.Helper()
	eqLen(tb, "messages", got, len(want))
	for i := range want {
		g, w := *got[i], *want[i]
		eqTime(tb, "message CreatedAt", g.CreatedAt, w.CreatedAt)
		g.CreatedAt = w.CreatedAt
		if len(g.QuestionIDs) == 0 && len(w.QuestionIDs) == 0 {
			g.QuestionIDs, w.QuestionIDs = nil, nil
		}
		if !reflect.DeepEqual(g, w) {
			tb.Fatalf("message %d = %+v; want %+v", i, g, w)
		}
	}
}

func runConversations(t *testing.T, open opener) {
	t.Run("Conversations", func(t *testing.T) {
		test(t, open, "OKCreateGet", func(f *fixture) {
			u := f.user("alice")
			c := f.conversation(u, f.topic(u, "Rivers"))
			got, err := f.s.Conversation(f.ctx, c.ID)
			ok(f.tb, "Conversation", err)
			eqConversation(f.tb, got, c)
			_, err = f.s.Conversation(f.ctx, "c-missing")
			wantCode(f.tb, "Conversation(missing)", err, recall.ENOTFOUND)
			wantCode(f.tb, "CreateConversation(taken ID)", f.s.CreateConversation(f.ctx, c), recall.ECONFLICT)
		})
		test(t, open, "ErrTopicOfAnotherUser", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			tp := f.topic(alice, "Rivers")
			at := f.tick()
			c := &recall.Conversation{ID: f.id("c"), UserID: bob.ID, TopicID: tp.ID, State: recall.ConversationActive,
				Version: 1, CreatedAt: at, UpdatedAt: at}
			wantCode(f.tb, "CreateConversation(alice's topic for bob)", f.s.CreateConversation(f.ctx, c), recall.ENOTFOUND)
		})
		test(t, open, "OKPages", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			tp := f.topic(alice, "Rivers")
			var want []string
			for range 5 {
				want = append([]string{f.conversation(alice, tp).ID}, want...)
			}
			f.conversation(bob, f.topic(bob, "Lakes"))
			var got []string
			page := recall.ConversationPage{Limit: 2}
			for range 4 {
				list, err := f.s.Conversations(f.ctx, alice.ID, page)
				ok(f.tb, "Conversations", err)
				for _, c := range list {
					got = append(got, c.ID)
				}
				if len(list) < page.Limit {
					break
				}
				page.After = recall.ConversationCursor(list[len(list)-1])
			}
			eqList(f.tb, "alice's conversations, newest first, in pages of 2", got, want)
			_, err := f.s.Conversations(f.ctx, alice.ID, recall.ConversationPage{})
			wantCode(f.tb, "Conversations(limit 0)", err, recall.EINVALID)
		})
		test(t, open, "OKSaveMessages", func(f *fixture) {
			u := f.user("alice")
			tp := f.topic(u, "Rivers")
			qs := f.questions(u, tp, 2)
			c := f.conversation(u, tp)
			c1, m1 := f.exchange(c, "key-1", qs[0].ID)
			ok(f.tb, "SaveConversation", f.s.SaveConversation(f.ctx, c1, m1))
			c2, m2 := f.exchange(c1, "", qs[1].ID, qs[0].ID)
			ok(f.tb, "SaveConversation(second)", f.s.SaveConversation(f.ctx, c2, m2))

			got, err := f.s.Conversation(f.ctx, c.ID)
			ok(f.tb, "Conversation", err)
			eqConversation(f.tb, got, c2)
			msgs, err := f.s.ConversationMessages(f.ctx, c.ID, 0, 10)
			ok(f.tb, "ConversationMessages", err)
			eqMessages(f.tb, msgs, append(m1, m2...))
			msgs, err = f.s.ConversationMessages(f.ctx, c.ID, 1, 2)
			ok(f.tb, "ConversationMessages(1, 2)", err)
			eqMessages(f.tb, msgs, []*recall.Message{m1[1], m2[0]})

			m, err := f.s.MessageByKey(f.ctx, c.ID, "key-1")
			ok(f.tb, "MessageByKey", err)
			eqMessages(f.tb, []*recall.Message{m}, m1[1:])
			_, err = f.s.MessageByKey(f.ctx, c.ID, "key-2")
			wantCode(f.tb, "MessageByKey(unused)", err, recall.ENOTFOUND)
		})
		test(t, open, "ErrStaleWriterRefused", func(f *fixture) {
			u := f.user("alice")
			c := f.conversation(u, f.topic(u, "Rivers"))
			a, am := f.exchange(c, "a")
			b, bm := f.exchange(c, "b") // built on the same version
			ok(f.tb, "SaveConversation(a)", f.s.SaveConversation(f.ctx, a, am))
			wantCode(f.tb, "SaveConversation(stale b)", f.s.SaveConversation(f.ctx, b, bm), recall.ECONFLICT)
			// Nothing of b is stored.
			got, err := f.s.Conversation(f.ctx, c.ID)
			ok(f.tb, "Conversation", err)
			eqConversation(f.tb, got, a)
			msgs, err := f.s.ConversationMessages(f.ctx, c.ID, 0, 10)
			ok(f.tb, "ConversationMessages", err)
			eqMessages(f.tb, msgs, am)
			_, err = f.s.MessageByKey(f.ctx, c.ID, "b")
			wantCode(f.tb, "MessageByKey(b)", err, recall.ENOTFOUND)

			// A used key in a later exchange is refused too.
			d, dm := f.exchange(a, "a")
			wantCode(f.tb, "SaveConversation(used key)", f.s.SaveConversation(f.ctx, d, dm), recall.ECONFLICT)
			// And so is a write on an unknown conversation.
			ghost := a.Clone()
			ghost.ID = f.id("c")
			ghost.Version++
			wantCode(f.tb, "SaveConversation(unknown)", f.s.SaveConversation(f.ctx, ghost, nil), recall.ENOTFOUND)
		})
		test(t, open, "OKEnd", func(f *fixture) {
			u := f.user("alice")
			c := f.conversation(u, f.topic(u, "Rivers"))
			e := c.Clone()
			e.State, e.Version, e.UpdatedAt = recall.ConversationEnded, e.Version+1, f.tick()
			ok(f.tb, "SaveConversation(ended)", f.s.SaveConversation(f.ctx, e, nil))
			got, err := f.s.Conversation(f.ctx, c.ID)
			ok(f.tb, "Conversation", err)
			eqConversation(f.tb, got, e)
		})
		test(t, open, "OKDeleteOwnOnly", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			c := f.conversation(alice, f.topic(alice, "Rivers"))
			c1, m1 := f.exchange(c, "k")
			ok(f.tb, "SaveConversation", f.s.SaveConversation(f.ctx, c1, m1))
			wantCode(f.tb, "DeleteConversation(bob)", f.s.DeleteConversation(f.ctx, bob.ID, c.ID), recall.ENOTFOUND)
			_, err := f.s.Conversation(f.ctx, c.ID)
			ok(f.tb, "Conversation after bob's delete", err)
			ok(f.tb, "DeleteConversation(alice)", f.s.DeleteConversation(f.ctx, alice.ID, c.ID))
			_, err = f.s.Conversation(f.ctx, c.ID)
			wantCode(f.tb, "Conversation(deleted)", err, recall.ENOTFOUND)
			msgs, err := f.s.ConversationMessages(f.ctx, c.ID, 0, 10)
			ok(f.tb, "ConversationMessages(deleted)", err)
			eqLen(f.tb, "messages of a deleted conversation", msgs, 0)
			c2, m2 := f.exchange(c1, "k2")
			wantCode(f.tb, "SaveConversation(deleted)", f.s.SaveConversation(f.ctx, c2, m2), recall.ENOTFOUND)
			wantCode(f.tb, "DeleteConversation(again)", f.s.DeleteConversation(f.ctx, alice.ID, c.ID), recall.ENOTFOUND)
		})
		test(t, open, "OKGoesWithItsTopic", func(f *fixture) {
			u := f.user("alice")
			tp := f.topic(u, "Rivers")
			c := f.conversation(u, tp)
			c1, m1 := f.exchange(c, "k")
			ok(f.tb, "SaveConversation", f.s.SaveConversation(f.ctx, c1, m1))
			ok(f.tb, "DeleteTopic", f.s.DeleteTopic(f.ctx, u.ID, tp.ID))
			_, err := f.s.Conversation(f.ctx, c.ID)
			wantCode(f.tb, "Conversation(topic deleted)", err, recall.ENOTFOUND)
			list, err := f.s.Conversations(f.ctx, u.ID, recall.ConversationPage{Limit: 10})
			ok(f.tb, "Conversations", err)
			eqLen(f.tb, "Conversations", list, 0)
		})
		test(t, open, "OKUsersApart", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			f.conversation(alice, f.topic(alice, "Rivers"))
			list, err := f.s.Conversations(f.ctx, bob.ID, recall.ConversationPage{Limit: 10})
			ok(f.tb, "Conversations(bob)", err)
			eqLen(f.tb, "bob's conversations", list, 0)
		})
	})
}
