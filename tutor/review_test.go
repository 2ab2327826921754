package tutor

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/sqlite"
)

// srsEnv is an Engine as the server wires it: a real SQLite file, the cache
// decorators over the in-process backend, and a clock the test moves.
type srsEnv struct {
	path string
	db   *sqlite.Store
	m    *metrics.Metrics
	eng  *Engine
	now  time.Time
	user *recall.User
	tp   *recall.Topic
	qs   []*recall.Question
}

func newSRSEnv(t *testing.T, n int) *srsEnv {
	t.Helper()
	e := &srsEnv{path: filepath.Join(t.TempDir(), "recall.db"), now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	e.open(t)
	ctx := context.Background()
	e.user = &recall.User{ID: recall.NewID(), Username: "ann", CreatedAt: e.now}
	if err := e.db.CreateUser(ctx, e.user, "x"); err != nil {
		t.Fatal(err)
	}
	e.tp = &recall.Topic{ID: recall.NewID(), UserID: e.user.ID, Title: "Capitals", CreatedAt: e.now, UpdatedAt: e.now}
	if err := e.db.CreateTopic(ctx, e.tp); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		e.qs = append(e.qs, &recall.Question{ID: recall.NewID(), TopicID: e.tp.ID, Prompt: "Q" + string(rune('A'+i)),
			Answers: []string{"answer" + string(rune('a'+i))}, Hint: "a hint", CreatedAt: e.now, UpdatedAt: e.now})
	}
	if err := e.db.AddQuestions(ctx, e.user.ID, e.tp.ID, e.qs); err != nil {
		t.Fatal(err)
	}
	return e
}

// open opens the store and a new engine with empty caches: a restart.
func (e *srsEnv) open(t *testing.T) {
	t.Helper()
	if e.db != nil {
		_ = e.db.Close()
	}
	e.m = metrics.New(prometheus.NewRegistry())
	db, err := sqlite.Open(context.Background(), e.path, sqlite.Options{Metrics: e.m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	b := inmem.NewCache(inmem.CacheOptions{})
	t.Cleanup(func() { b.Close() })
	opts := cache.Options{Metrics: e.m}
	topics := cache.NewTopicStore(db, b, opts)
	questions := cache.NewQuestionStore(db, b, opts)
	e.eng = New(Config{
		Sessions: cache.NewSessionStore(db, b, opts), Topics: topics, Questions: questions,
		Cache:    inmem.NewSessionCache(inmem.SessionCacheOptions{Now: func() time.Time { return e.now }}),
		Memories: cache.NewMemoryStore(db, b, opts), Users: cache.NewUserStore(db, b, opts),
		Now: func() time.Time { return e.now },
	})
}

// reads is the number of database reads so far.
func (e *srsEnv) reads(t *testing.T) int {
	t.Helper()
	n := 0
	for _, op := range []string{"Topics", "Topic", "Questions", "Memories", "StudyDays", "UserByID", "Session", "Turn"} {
		n += int(testutil.ToFloat64(e.m.DBQueries.WithLabelValues("read", op)))
	}
	return n
}

func (e *srsEnv) startDue(t *testing.T) (*View, error) {
	t.Helper()
	return e.eng.Start(context.Background(), e.user.ID, StartInput{TopicID: e.tp.ID, Mode: ModeDue})
}

// answer answers the current question of v, right or wrong.
func (e *srsEnv) answer(t *testing.T, v *View, right bool) *View {
	t.Helper()
	msg := "wrong"
	if right {
		for _, q := range e.qs {
			if q.ID == v.Current.ID {
				msg = q.Answers[0]
			}
		}
	}
	_, nv, err := e.eng.Turn(context.Background(), e.user.ID, v.Session.ID, msg, "")
	if err != nil {
		t.Fatal(err)
	}
	return nv
}

// memory returns the stored memory state of question id.
func (e *srsEnv) memory(t *testing.T, id string) recall.Memory {
	t.Helper()
	ms, err := e.db.Memories(context.Background(), e.user.ID, e.tp.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.QuestionID == id {
			return *m
		}
	}
	t.Fatalf("no memory state of %s", id)
	return recall.Memory{}
}

// TestDue_IntervalsGrowAndReset: each right answer, given when the question
// is due, schedules it further away; a wrong one brings it back within a
// day and counts a lapse. The states survive a restart with empty caches.
func TestDue_IntervalsGrowAndReset(t *testing.T) {
	e := newSRSEnv(t, 1)
	q := e.qs[0].ID
	var last time.Duration
	for i := range 6 {
		v, err := e.startDue(t)
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		e.answer(t, v, true)
		m := e.memory(t, q)
		gap := m.Due.Sub(e.now)
		if i >= 2 && gap <= last {
			t.Fatalf("round %d: the interval %v did not grow past %v", i, gap, last)
		}
		last = gap
		e.now = m.Due.Add(time.Minute)
		if i == 3 {
			e.open(t) // a restart: every cache empty
		}
	}
	if last < 10*24*time.Hour {
		t.Fatalf("after six right answers the interval is only %v", last)
	}
	v, err := e.startDue(t)
	if err != nil {
		t.Fatal(err)
	}
	e.answer(t, v, false)
	m := e.memory(t, q)
	if gap := m.Due.Sub(e.now); gap > 24*time.Hour || m.Lapses != 1 || m.State != recall.CardRelearning {
		t.Fatalf("after a lapse: due in %v, lapses %d, state %v", gap, m.Lapses, m.State)
	}
}

// TestDue_OrderAndNothingDue: a due session asks the most forgotten
// question first, then the new ones; when nothing is due it answers
// nothing_due with the next due time. A hot due start reads nothing from
// the database.
func TestDue_OrderAndNothingDue(t *testing.T) {
	e := newSRSEnv(t, 4)
	// Learn three questions on three days; the fourth stays new.
	ctx := context.Background()
	v, err := e.eng.Start(ctx, e.user.ID, StartInput{TopicID: e.tp.ID, Shuffle: new(false), QuestionCount: new(3)})
	if err != nil {
		t.Fatal(err)
	}
	// The first right after the hint (Hard), the others right (Good).
	if _, v, err = e.eng.Turn(ctx, e.user.ID, v.Session.ID, "/hint", ""); err != nil {
		t.Fatal(err)
	}
	v = e.answer(t, v, true)
	v = e.answer(t, v, true)
	e.answer(t, v, true)
	hard, good := e.memory(t, e.qs[0].ID), e.memory(t, e.qs[1].ID)
	if hard.Stability >= good.Stability {
		t.Fatalf("right after the hint: stability %v, not below a plain right answer's %v", hard.Stability, good.Stability)
	}

	// Nothing due the same minute, and the new question is asked.
	v, err = e.startDue(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Session.QuestionIDs; len(got) != 1 || got[0] != e.qs[3].ID {
		t.Fatalf("due session right after learning asks %v, want only the new question", got)
	}
	e.answer(t, v, true)
	_, err = e.startDue(t)
	if recall.ErrorCode(err) != recall.ENOTHINGDUE {
		t.Fatalf("nothing due: got %v", err)
	}
	next := recall.ErrorNextDueAt(err)
	earliest := e.memory(t, e.qs[0].ID).Due
	for _, q := range e.qs[1:] {
		if d := e.memory(t, q.ID).Due; d.Before(earliest) {
			earliest = d
		}
	}
	if !next.Equal(earliest) {
		t.Fatalf("next_due_at = %v, want %v", next, earliest)
	}

	// A month later everything is due: the lowest retrievability first.
	e.now = e.now.Add(30 * 24 * time.Hour)
	v, err = e.startDue(t)
	if err != nil {
		t.Fatal(err)
	}
	sch := e.eng.scheduler(nil)
	ids := v.Session.QuestionIDs
	if len(ids) != 4 {
		t.Fatalf("a month later the due session asks %d questions, want 4", len(ids))
	}
	for i := 1; i < len(ids); i++ {
		a, b := sch.Retrievability(e.memory(t, ids[i-1]), e.now), sch.Retrievability(e.memory(t, ids[i]), e.now)
		if a > b {
			t.Fatalf("question %d (retrievability %v) comes before one of %v", i-1, a, b)
		}
	}

	// The same start again is hot: no database read at all.
	if _, err := e.eng.End(ctx, e.user.ID, v.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.startDue(t); err != nil { // refills what End dropped
		t.Fatal(err)
	}
	before := e.reads(t)
	if _, err := e.startDue(t); err != nil {
		t.Fatal(err)
	}
	if got := e.reads(t) - before; got != 0 {
		t.Fatalf("a hot due start made %d database reads, want 0", got)
	}
}
