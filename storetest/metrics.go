package storetest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/metrics"
)

// Cost is the count of one series of recall_db_queries_total that
// RunMetrics expects once its calls are made: what the store method Op
// cost in database operations of Kind ("read" or "write"), as the store
// counts them. Reads and Writes make one.
type Cost struct {
	Kind string
	Op   string
	N    int
}

// Reads is the Cost of n reads by op.
func Reads(op string, n int) Cost { return Cost{Kind: "read", Op: op, N: n} }

// Writes is the Cost of n writes by op.
func Writes(op string, n int) Cost { return Cost{Kind: "write", Op: op, N: n} }

// RunMetrics makes the same calls on every store, then checks the counts
// of recall_db_queries_total listed in want, which say what each method
// costs on the store at hand; a series not listed is not checked. open
// must return a new, empty store that counts in m and is closed when the
// test ends.
//
// The calls, in order:
//
//   - two users: alice (CreateUser, CreateTopic, AddQuestions of 150
//     questions) and bob (the same with 1 question);
//   - Topics of alice three times, then Topic, Questions and
//     UserByUsername once each;
//   - UpdateTopic and UpdateQuestion once each;
//   - CreateSession of alice on two questions, then two answers that
//     complete it (SaveTurn twice), then Session, Turns and Turn once each;
//   - CreateSession of bob on his one question and the answer that
//     completes it (SaveTurn), then a stale turn on it, which SaveTurn
//     refuses (ECONFLICT);
//   - Ping once.
func RunMetrics(t *testing.T, open func(t *testing.T, m *metrics.Metrics) recall.Store, want []Cost) {
	t.Helper()
	m := metrics.New(nil)
	f := newFixture(t, open(t, m))

	alice := f.user("alice")
	topic := f.topic(alice, "Rivers")
	qs := f.questions(alice, topic, 150)
	bob := f.user("bob")
	other := f.topic(bob, "Lakes")
	oqs := f.questions(bob, other, 1)

	for range 3 {
		_, err := f.s.Topics(f.ctx, alice.ID)
		ok(t, "Topics", err)
	}
	_, err := f.s.Topic(f.ctx, alice.ID, topic.ID)
	ok(t, "Topic", err)
	_, err = f.s.Questions(f.ctx, topic.UserID, topic.ID)
	ok(t, "Questions", err)
	_, _, err = f.s.UserByUsername(f.ctx, "alice")
	ok(t, "UserByUsername", err)
	title, hint := "Streams", "Think"
	_, err = f.s.UpdateTopic(f.ctx, alice.ID, topic.ID, recall.TopicInput{Title: &title}, f.tick())
	ok(t, "UpdateTopic", err)
	_, err = f.s.UpdateQuestion(f.ctx, alice.ID, topic.ID, qs[0].ID, recall.QuestionInput{Hint: &hint}, f.tick())
	ok(t, "UpdateQuestion", err)

	s := f.session(alice, topic, qs[1:3])
	s, _ = f.save(s, recall.TurnAnswer, true, "k1")
	s, _ = f.save(s, recall.TurnAnswer, false, "k2")
	eq(t, "session state", s.State, recall.SessionCompleted)
	_, err = f.s.Session(f.ctx, s.ID)
	ok(t, "Session", err)
	_, err = f.s.Turns(f.ctx, s.ID)
	ok(t, "Turns", err)
	_, err = f.s.Turn(f.ctx, s.ID, 0)
	ok(t, "Turn", err)

	bs := f.session(bob, other, oqs)
	done, _ := f.save(bs, recall.TurnAnswer, true, "")
	stale, st := f.next(bs, recall.TurnAnswer, false, "stale") // built on the version before done
	st.Index = done.Turns
	wantCode(t, "SaveTurn(stale)", f.s.SaveTurn(f.ctx, stale, st), recall.ECONFLICT)

	ok(t, "Ping", f.s.Ping(f.ctx))

	for _, c := range want {
		if got := testutil.ToFloat64(m.DBQueries.WithLabelValues(c.Kind, c.Op)); got != float64(c.N) {
			t.Errorf("recall_db_queries_total{kind=%q,op=%q} = %v, want %v", c.Kind, c.Op, got, c.N)
		}
	}
}
