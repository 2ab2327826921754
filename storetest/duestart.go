package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/tutor"
)

// RunDueStart checks, on the store at hand, that a hot "mode": "due"
// session start reads nothing from the database: the tutor's engine wired
// as the server wires it (the cache decorators over the in-process cache
// backend, in front of the store), a topic whose questions were learnt a
// month before, one due start that fills the caches, then a second one,
// which must leave every recall_db_queries_total{kind="read"} series of
// the store as it was and plan the same session. open must return a new,
// empty store that counts in m and is closed when the test ends.
//
// writeReads lists the reads a store makes inside the writes of a start
// (the session's creation), which no cache can spare: Firestore reads the
// topic in the transaction that creates the session. Any other read fails
// the test, and so does one of these beyond its count.
func RunDueStart(t *testing.T, open func(t *testing.T, m *metrics.Metrics) recall.Store, writeReads ...Cost) {
	t.Helper()
	t.Run("HotDueStartReadsNothing", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		m := metrics.New(reg)
		f := newFixture(t, open(t, m))
		u := f.user("dana")
		topic := f.topic(u, "Capitals")
		qs := f.questions(u, topic, 4)

		now := f.tick()
		clock := func() time.Time { return now }
		eng := hotEngine(t, f.s, m, clock)

		// Learn three of the four questions (right, wrong, right), in bank
		// order; the fourth stays new.
		v, err := eng.Start(f.ctx, u.ID, tutor.StartInput{TopicID: topic.ID, Shuffle: new(false), QuestionCount: new(3)})
		ok(t, "Start", err)
		for i, right := range []bool{true, false, true} {
			msg := "wrong"
			if right {
				msg = qs[i].Answers[0]
			}
			_, v, err = eng.Turn(f.ctx, u.ID, v.Session.ID, msg, "")
			ok(t, "Turn", err)
		}
		eq(t, "learning session state", v.Session.State, recall.SessionCompleted)

		// A month later the three are due and the fourth is new.
		now = now.Add(30 * 24 * time.Hour)
		due := func() []string {
			t.Helper()
			v, err := eng.Start(f.ctx, u.ID, tutor.StartInput{TopicID: topic.ID, Mode: tutor.ModeDue})
			ok(t, "Start(due)", err)
			return v.Session.QuestionIDs
		}
		cold := due() // fills the caches the turns dropped
		eqLen(t, "questions of the due session", cold, 4)

		before := dbReads(t, reg)
		hot := due()
		after := dbReads(t, reg)
		for _, c := range writeReads {
			if c.Kind == "read" && after[c.Op]-before[c.Op] <= float64(c.N) {
				after[c.Op] = before[c.Op]
			}
		}
		if d := readDelta(before, after); len(d) > 0 {
			t.Errorf("a hot due start read the database: %v", d)
		}
		eqList(t, "questions of the hot due session", hot, cold)
	})
}

// hotEngine is a tutor engine as the server wires it with the in-process
// cache: every store it reads through a cache decorator over s.
func hotEngine(t *testing.T, s recall.Store, m *metrics.Metrics, now func() time.Time) *tutor.Engine {
	t.Helper()
	b := inmem.NewCache(inmem.CacheOptions{})
	t.Cleanup(func() { b.Close() })
	opts := cache.Options{Metrics: m}
	return tutor.New(tutor.Config{
		Sessions:  cache.NewSessionStore(s, b, opts),
		Topics:    cache.NewTopicStore(s, b, opts),
		Questions: cache.NewQuestionStore(s, b, opts),
		Cache:     inmem.NewSessionCache(inmem.SessionCacheOptions{Now: now}),
		Memories:  cache.NewMemoryStore(s, b, opts),
		Users:     cache.NewUserStore(s, b, opts),
		Now:       now,
	})
}

// dbReads returns the recall_db_queries_total{kind="read"} series of reg by
// op: every read the store counted, whatever its method.
func dbReads(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	ok(t, "Gather", err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "recall_db_queries_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			var kind, op string
			for _, l := range s.GetLabel() {
				switch l.GetName() {
				case "kind":
					kind = l.GetValue()
				case "op":
					op = l.GetValue()
				}
			}
			if kind == "read" {
				out[op] = s.GetCounter().GetValue()
			}
		}
	}
	return out
}

// readDelta lists the ops whose reads grew from before to after.
func readDelta(before, after map[string]float64) []string {
	var out []string
	for op, n := range after {
		if d := n - before[op]; d != 0 {
			out = append(out, fmt.Sprintf("%s +%v", op, d))
		}
	}
	slices.Sort(out)
	return out
}
