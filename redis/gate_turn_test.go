package redis_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/tutor"
)

// TestGateTurn_RacingWrite: a turn's gate reads the session and the
// topic's question bank ahead (cache.TurnKeys), in the user's slot. Then,
// before the turn runs, another instance changes the question's answer
// and makes a turn of its own on the session. The turn, built on the
// session read ahead, is refused by the store (another version won) and
// applied again to the stored session; that retry must grade against the
// bank as it is now, not against the bank the gate read before the
// change: the answer that is right only since the change is graded right.
func TestGateTurn_RacingWrite(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	c := connect(t, redis.Options{DisableNearCache: true})
	b := redis.NewBackend(c)
	sc := redis.NewSessionCache(c)
	// Two instances over one database and one Redis: each its own
	// decorators and engine (its own per-session lock).
	newEngine := func() (*tutor.Engine, *cache.QuestionStore) {
		questions := cache.NewQuestionStore(db, b, cache.Options{})
		return tutor.New(tutor.Config{
			Sessions:  cache.NewSessionStore(db, b, cache.Options{}),
			Topics:    cache.NewTopicStore(db, b, cache.Options{}),
			Questions: questions,
			Cache:     sc,
		}), questions
	}
	eng, questions := newEngine()
	other, otherQuestions := newEngine()

	now := time.Now().UTC().Truncate(time.Microsecond)
	u, tp := seedTopic(t, db, "race", now)
	q := &recall.Question{ID: recall.NewID(), TopicID: tp.ID, Prompt: "The capital?", Answers: []string{"Paris"},
		CreatedAt: now, UpdatedAt: now}
	if err := db.AddQuestions(ctx, u.ID, tp.ID, []*recall.Question{q}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("race-token"))
	tok := &recall.Token{Hash: sum[:], UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.NewTokenStore(db, b, cache.Options{}).TokenOfUser(ctx, u.ID, sum[:]); err != nil {
		t.Fatal(err)
	}
	v, err := eng.Start(ctx, u.ID, tutor.StartInput{TopicID: tp.ID})
	if err != nil {
		t.Fatal(err)
	}
	sid := v.Session.ID
	if bank, err := questions.Questions(ctx, u.ID, tp.ID); err != nil || len(bank) != 1 {
		t.Fatalf("Questions = %d, %v", len(bank), err) // the bank is cached
	}

	// The gate of the turn: the token, the limit, the session and the bank.
	keys := cache.TurnKeys(u.ID, sid, tp.ID, false)
	if len(keys) != 2 || keys[1].Key != cache.QuestionsKey(u.ID, tp.ID) || !keys[1].Hash {
		t.Fatalf("TurnKeys = %+v; want the session and the bank", keys)
	}
	pre := cache.NewPrefetched()
	rules := []ratelimit.Rule{{Policy: "turns", Interval: time.Millisecond, Tolerance: time.Minute}}
	d := make([]time.Duration, len(rules))
	verified, admitted, err := redis.NewGate(c).Pass(ctx, u.ID, sum[:], now, rules, d, keys, pre)
	if err != nil || !verified || !admitted || pre.Len() != 2 {
		t.Fatalf("Pass = %v, %v, %v with %d keys read; want the session and the bank", verified, admitted, err, pre.Len())
	}

	// Another instance, meanwhile: the answer changes, and a hint turn
	// moves the session on.
	lyon := []string{"Lyon"}
	if _, err := otherQuestions.UpdateQuestion(ctx, u.ID, tp.ID, q.ID, recall.QuestionInput{Answers: &lyon}, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Turn(ctx, u.ID, sid, "/hint", ""); err != nil {
		t.Fatal(err)
	}

	turn, view, err := eng.Turn(cache.WithPrefetched(ctx, pre), u.ID, sid, "Lyon", "")
	if err != nil {
		t.Fatal(err)
	}
	if turn.Index != 1 || turn.Correct == nil || !*turn.Correct {
		t.Fatalf("the turn after the racing writes: index %d, correct %v; want index 1 graded right against "+
			"the changed answer, not against the bank read before the change", turn.Index, deref(turn.Correct))
	}
	if stored, err := db.Session(ctx, sid); err != nil || stored.Version != view.Session.Version || stored.Turns != 2 {
		t.Fatalf("the store after the turn: %+v, %v", stored, err)
	}
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}
