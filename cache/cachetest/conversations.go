package cachetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/internal/fakeclock"
)

// NewConversationCache returns an empty recall.ConversationCache of its own
// for a subtest of RunConversationCache, reading the time from now, and
// elapse as NewSessionCache does (keyed by user and conversation id).
type NewConversationCache func(t *testing.T, now func() time.Time) (c recall.ConversationCache, elapse func(userID, id string, d time.Duration))

func newConversation(id string, version int64, at time.Time) *recall.Conversation {
	yes := true
	return &recall.Conversation{
		ID: id, UserID: "u1", TopicID: "t1", Title: "Rivers", State: recall.ConversationActive, Messages: 2,
		Version: version, Summary: "asked about the Nile", QuestionIDs: []string{"q1"}, Quizzing: "q1",
		CreatedAt: at.UTC(), UpdatedAt: at.UTC(),
		Recent: []*recall.Message{
			{ConversationID: id, Index: 0, Role: recall.RoleLearner, Content: "quiz me", CreatedAt: at.UTC()},
			{ConversationID: id, Index: 1, Role: recall.RoleTutor, Content: "Which river…?", QuestionIDs: []string{"q1"},
				Correct: &yes, Tutor: "rules", CreatedAt: at.UTC()},
		},
	}
}

// RunConversationCache runs the recall.ConversationCache contract suite:
// the semantics of a session cache (copies, version compare, idle and
// absolute expiry), and entries kept apart by user.
func RunConversationCache(t *testing.T, newCache NewConversationCache) {
	ctx := context.Background()
	open := func(t *testing.T) (recall.ConversationCache, *fakeclock.Clock, func(string, string, time.Duration)) {
		clk := fakeclock.New(time.Now())
		c, elapse := newCache(t, clk.Now)
		pass := func(userID, id string, d time.Duration) {
			clk.Add(d)
			if elapse != nil {
				elapse(userID, id, d)
			}
		}
		return c, clk, pass
	}
	put := func(t *testing.T, c recall.ConversationCache, v *recall.Conversation, ttl time.Duration, exp time.Time) {
		t.Helper()
		if err := c.Put(ctx, v, ttl, exp); err != nil {
			t.Fatalf("Put(v%d): %v", v.Version, err)
		}
	}
	get := func(t *testing.T, c recall.ConversationCache, userID, id string) *recall.Conversation {
		t.Helper()
		v, err := c.Get(ctx, userID, id)
		if recall.IsCode(err, recall.ENOTFOUND) {
			return nil
		}
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return v
	}
	t.Run("MissAndRoundTrip", func(t *testing.T) {
		c, clk, _ := open(t)
		if v := get(t, c, "u1", "c1"); v != nil {
			t.Fatalf("Get on an empty cache = %+v", v)
		}
		want := newConversation("c1", 3, clk.Now())
		put(t, c, want, time.Hour, clk.Now().Add(24*time.Hour))
		want.Recent[0].Content = "changed after Put"
		got := get(t, c, "u1", "c1")
		want = newConversation("c1", 3, clk.Now())
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Get = %+v; want %+v", got, want)
		}
		got.Recent[1].Content = "changed after Get"
		if again := get(t, c, "u1", "c1"); !reflect.DeepEqual(again, want) {
			t.Fatal("a change to what Get returned reached the cache")
		}
		if v := get(t, c, "u2", "c1"); v != nil {
			t.Fatal("another user's Get found the conversation")
		}
	})
	t.Run("OlderVersionRefused", func(t *testing.T) {
		c, clk, _ := open(t)
		exp := clk.Now().Add(24 * time.Hour)
		put(t, c, newConversation("c1", 5, clk.Now()), time.Hour, exp)
		put(t, c, newConversation("c1", 4, clk.Now()), time.Hour, exp)
		put(t, c, newConversation("c1", 5, clk.Now()), time.Hour, exp)
		if v := get(t, c, "u1", "c1"); v == nil || v.Version != 5 {
			t.Fatalf("after a stale Put, Get = %+v; want version 5", v)
		}
		put(t, c, newConversation("c1", 6, clk.Now()), time.Hour, exp)
		if v := get(t, c, "u1", "c1"); v == nil || v.Version != 6 {
			t.Fatalf("after a newer Put, Get = %+v; want version 6", v)
		}
	})
	t.Run("IdleExpiry", func(t *testing.T) {
		c, clk, pass := open(t)
		put(t, c, newConversation("c1", 1, clk.Now()), time.Hour, clk.Now().Add(24*time.Hour))
		pass("u1", "c1", 50*time.Minute)
		if get(t, c, "u1", "c1") == nil {
			t.Fatal("expired before its idle time")
		}
		pass("u1", "c1", 50*time.Minute) // the Get restarted the idle time
		if get(t, c, "u1", "c1") == nil {
			t.Fatal("a Get did not restart the idle time")
		}
		pass("u1", "c1", 61*time.Minute)
		if get(t, c, "u1", "c1") != nil {
			t.Fatal("alive after its idle time")
		}
	})
	t.Run("AbsoluteExpiry", func(t *testing.T) {
		c, clk, pass := open(t)
		put(t, c, newConversation("c1", 1, clk.Now()), time.Hour, clk.Now().Add(30*time.Minute))
		pass("u1", "c1", 31*time.Minute)
		if get(t, c, "u1", "c1") != nil {
			t.Fatal("alive past its absolute expiry")
		}
	})
	t.Run("Delete", func(t *testing.T) {
		c, clk, _ := open(t)
		put(t, c, newConversation("c1", 1, clk.Now()), time.Hour, clk.Now().Add(time.Hour))
		if err := c.Delete(ctx, "u1", "c1"); err != nil {
			t.Fatal(err)
		}
		if get(t, c, "u1", "c1") != nil {
			t.Fatal("found after Delete")
		}
		// After a delete any version may be put again.
		put(t, c, newConversation("c1", 1, clk.Now()), time.Hour, clk.Now().Add(time.Hour))
		if get(t, c, "u1", "c1") == nil {
			t.Fatal("not found after a Put that follows a Delete")
		}
	})
}
