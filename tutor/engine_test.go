package tutor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/internal/fakeclock"
)

// env is an Engine over a fake store, wrapped in the session store
// decorator of package cache as the server wires it, the real in-process
// session cache and a fake clock.
type env struct {
	store   *fakeStore
	cache   *inmem.SessionCache
	clock   *fakeclock.Clock
	eng     *Engine
	dropped *droppingBackend

	mu       sync.Mutex
	shuffles int
}

// droppingBackend is the in-process cache backend, recording the keys it
// is asked to drop.
type droppingBackend struct {
	*inmem.Cache
	mu   sync.Mutex
	keys []string
}

func (b *droppingBackend) Invalidate(ctx context.Context, keys ...string) error {
	b.mu.Lock()
	b.keys = append(b.keys, keys...)
	b.mu.Unlock()
	return b.Cache.Invalidate(ctx, keys...)
}

const (
	idle     = 2 * time.Hour
	lifetime = 24 * time.Hour
)

func newEnv(tb testing.TB, configure ...func(*Config)) *env {
	tb.Helper()
	e := &env{
		store: newFakeStore(),
		clock: fakeclock.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)),
	}
	e.cache = inmem.NewSessionCache(inmem.SessionCacheOptions{Now: e.clock.Now})
	e.dropped = &droppingBackend{Cache: inmem.NewCache(inmem.CacheOptions{})}
	tb.Cleanup(func() { e.dropped.Close() })
	cfg := Config{
		Sessions:  cache.NewSessionStore(e.store, e.dropped, cache.Options{}),
		Topics:    e.store,
		Questions: e.store,
		Cache:     e.cache,
		Idle:      idle,
		Lifetime:  lifetime,
		Now:       e.clock.Now,
		Shuffle: func(n int, swap func(i, j int)) { // reverses: visible and deterministic
			e.mu.Lock()
			e.shuffles++
			e.mu.Unlock()
			for i := 0; i < n/2; i++ {
				swap(i, n-1-i)
			}
		},
	}
	for _, f := range configure {
		f(&cfg)
	}
	e.eng = New(cfg)

	ctx := context.Background()
	now := e.clock.Now()
	for _, t := range []*recall.Topic{
		{ID: "t1", UserID: "u1", Title: "General knowledge"},
		{ID: "t2", UserID: "u2", Title: "Someone else's"},
		{ID: "empty", UserID: "u1", Title: "Nothing yet"},
		{ID: "big", UserID: "u1", Title: "Many questions"},
	} {
		t.CreatedAt, t.UpdatedAt = now, now
		must(tb, e.store.CreateTopic(ctx, t))
	}
	must(tb, e.store.AddQuestions(ctx, "u1", "t1", []*recall.Question{
		{ID: "q1", TopicID: "t1", Prompt: "What is the capital of France?", Answers: []string{"Paris"},
			Explanation: "Paris has been the capital since 987.", Hint: "It lies on the Seine."},
		{ID: "q2", TopicID: "t1", Prompt: "Which planet is known as the Red Planet?",
			Choices: []string{"Venus", "Mars", "Jupiter"}, Answers: []string{"Mars"},
			Explanation: "Iron oxide makes it red."},
		{ID: "q3", TopicID: "t1", Prompt: "In which year did the Second World War end?", Answers: []string{"1945"}},
		{ID: "q4", TopicID: "t1", Prompt: "What is the powerhouse of the cell?", Answers: []string{"Mitochondria"}},
		{ID: "q5", TopicID: "t1", Prompt: "What is the largest ocean?", Answers: []string{"Pacific", "Pacific Ocean"}},
	}))
	must(tb, e.store.AddQuestions(ctx, "u2", "t2", []*recall.Question{
		{ID: "x1", TopicID: "t2", Prompt: "Secret?", Answers: []string{"secret"}},
	}))
	var big []*recall.Question
	for i := range 25 {
		big = append(big, &recall.Question{ID: fmt.Sprint("b", i), TopicID: "big", Prompt: fmt.Sprint("Question ", i), Answers: []string{fmt.Sprint(i)}})
	}
	must(tb, e.store.AddQuestions(ctx, "u1", "big", big))
	e.store.ResetCalls()
	return e
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if !recall.IsCode(err, code) {
		tb.Fatalf("err = %v, want code %q", err, code)
	}
}

// topicsChanged returns the users whose cached topic list a session write
// dropped, once per drop: a turn that completes a session changes its
// topic's stats.
func (e *env) topicsChanged() []string {
	e.dropped.mu.Lock()
	defer e.dropped.mu.Unlock()
	var users []string
	for _, k := range e.dropped.keys {
		for _, u := range []string{"u1", "u2"} {
			if k == cache.TopicsKey(u) {
				users = append(users, u)
			}
		}
	}
	return users
}

// start starts a session of u1 on t1 in bank order.
func (e *env) start(tb testing.TB, count int) *View {
	tb.Helper()
	v, err := e.eng.Start(context.Background(), "u1", StartInput{TopicID: "t1", QuestionCount: &count, Shuffle: new(false)})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func (e *env) turn(tb testing.TB, id, message string) (*recall.Turn, *View) {
	tb.Helper()
	t, v, err := e.eng.Turn(context.Background(), "u1", id, message, "")
	if err != nil {
		tb.Fatalf("Turn(%q): %v", message, err)
	}
	return t, v
}

type progress struct{ current, answered, correct, skipped, turns int }

func wantProgress(tb testing.TB, s *recall.Session, want progress) {
	tb.Helper()
	got := progress{s.Current, s.Answered, s.Correct, s.Skipped, s.Turns}
	if got != want {
		tb.Fatalf("progress = %+v, want %+v", got, want)
	}
}

func ids(ss []string) string { return strings.Join(ss, ",") }

func TestStart(t *testing.T) {
	ctx := context.Background()

	t.Run("Defaults", func(t *testing.T) {
		e := newEnv(t)
		v, err := e.eng.Start(ctx, "u1", StartInput{TopicID: " t1 "})
		must(t, err)
		s := v.Session
		if s.ID == "" || s.UserID != "u1" || s.TopicID != "t1" || s.State != recall.SessionActive || s.Version != 1 {
			t.Fatalf("session = %+v", s)
		}
		// Shuffled by default (the test shuffle reverses), all 5 questions.
		if got := ids(s.QuestionIDs); got != "q5,q4,q3,q2,q1" || e.shuffles != 1 {
			t.Fatalf("questions = %s (shuffles %d), want q5..q1 after one shuffle", got, e.shuffles)
		}
		if v.State != recall.SessionActive || !v.ExpiresAt.Equal(e.clock.Now().Add(idle)) {
			t.Fatalf("view state %s expires %v", v.State, v.ExpiresAt)
		}
		if v.Current == nil || v.Current.ID != "q5" || v.Current.Prompt != "What is the largest ocean?" {
			t.Fatalf("current = %+v", v.Current)
		}
		if v.Current.Answers != nil || v.Current.Hint != "" || v.Current.Explanation != "" {
			t.Fatalf("the view exposes the answer: %+v", v.Current)
		}
		if n := e.store.Calls("CreateSession"); n != 1 {
			t.Fatalf("CreateSession calls = %d", n)
		}
		if _, err := e.cache.Get(ctx, "u1", s.ID); err != nil {
			t.Fatalf("new session not cached: %v", err)
		}
		stored, err := e.store.Session(ctx, s.ID)
		must(t, err)
		if stored.Version != 1 || ids(stored.QuestionIDs) != ids(s.QuestionIDs) {
			t.Fatalf("stored = %+v", stored)
		}
	})

	t.Run("DefaultCountIs20", func(t *testing.T) {
		e := newEnv(t)
		v, err := e.eng.Start(ctx, "u1", StartInput{TopicID: "big", Shuffle: new(false)})
		must(t, err)
		if n := len(v.Session.QuestionIDs); n != DefaultQuestionCount || v.Session.QuestionIDs[0] != "b0" {
			t.Fatalf("got %d questions starting %s, want %d from b0", n, v.Session.QuestionIDs[0], DefaultQuestionCount)
		}
	})

	t.Run("Count", func(t *testing.T) {
		e := newEnv(t)
		if v := e.start(t, 3); ids(v.Session.QuestionIDs) != "q1,q2,q3" {
			t.Fatalf("questions = %v", v.Session.QuestionIDs)
		}
		if e.shuffles != 0 {
			t.Fatal("shuffled with shuffle=false")
		}
		if v := e.start(t, 100); len(v.Session.QuestionIDs) != 5 {
			t.Fatalf("count over the bank size: %d questions, want 5", len(v.Session.QuestionIDs))
		}
	})

	t.Run("ShuffleThenTake", func(t *testing.T) {
		e := newEnv(t)
		v, err := e.eng.Start(ctx, "u1", StartInput{TopicID: "t1", QuestionCount: new(2), Shuffle: new(true)})
		must(t, err)
		if got := ids(v.Session.QuestionIDs); got != "q5,q4" {
			t.Fatalf("questions = %s, want q5,q4", got)
		}
	})

	for _, tt := range []struct {
		name  string
		in    StartInput
		field string
	}{
		{"ErrTopicIDRequired", StartInput{}, "topic_id"},
		{"ErrTopicIDBlank", StartInput{TopicID: "  "}, "topic_id"},
		{"ErrCountZero", StartInput{TopicID: "t1", QuestionCount: new(0)}, "question_count"},
		{"ErrCountNegative", StartInput{TopicID: "t1", QuestionCount: new(-1)}, "question_count"},
		{"ErrCountTooLarge", StartInput{TopicID: "t1", QuestionCount: new(101)}, "question_count"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.eng.Start(ctx, "u1", tt.in)
			wantCode(t, err, recall.EINVALID)
			if _, ok := recall.ErrorFields(err)[tt.field]; !ok {
				t.Fatalf("fields = %v, want %s", recall.ErrorFields(err), tt.field)
			}
			if n := e.store.Calls("CreateSession"); n != 0 {
				t.Fatal("a session was created")
			}
		})
	}

	t.Run("ErrEmptyBank", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.eng.Start(ctx, "u1", StartInput{TopicID: "empty"})
		wantCode(t, err, recall.EINVALID)
		if msg := recall.ErrorMessage(err); msg != "This topic has no questions yet." {
			t.Fatalf("message = %q", msg)
		}
	})

	t.Run("ErrOtherUsersTopic", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.eng.Start(ctx, "u1", StartInput{TopicID: "t2"})
		wantCode(t, err, recall.ENOTFOUND)
	})

	t.Run("ErrMissingTopic", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.eng.Start(ctx, "u1", StartInput{TopicID: "nope"})
		wantCode(t, err, recall.ENOTFOUND)
	})
}

func TestOtherUsersSession(t *testing.T) {
	ctx := context.Background()
	for _, cached := range []bool{true, false} {
		t.Run(fmt.Sprint("Cached=", cached), func(t *testing.T) {
			e := newEnv(t)
			id := e.start(t, 3).Session.ID
			if !cached {
				must(t, e.cache.Delete(ctx, "u1", id))
			}
			_, err := e.eng.Get(ctx, "u2", id)
			wantCode(t, err, recall.ENOTFOUND)
			_, _, err = e.eng.Turn(ctx, "u2", id, "Paris", "")
			wantCode(t, err, recall.ENOTFOUND)
			_, err = e.eng.End(ctx, "u2", id)
			wantCode(t, err, recall.ENOTFOUND)
			_, err = e.eng.Transcript(ctx, "u2", id)
			wantCode(t, err, recall.ENOTFOUND)
			views, _, err := e.eng.List(ctx, "u2", ListQuery{})
			must(t, err)
			if len(views) != 0 {
				t.Fatalf("u2 lists %d sessions of u1", len(views))
			}
			// Nothing changed for the owner.
			v, err := e.eng.Get(ctx, "u1", id)
			must(t, err)
			wantProgress(t, v.Session, progress{})
		})
	}
	t.Run("Missing", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.eng.Get(ctx, "u1", "nope")
		wantCode(t, err, recall.ENOTFOUND)
		_, _, err = e.eng.Turn(ctx, "u1", "nope", "Paris", "")
		wantCode(t, err, recall.ENOTFOUND)
	})
}

func TestTurn_Progress(t *testing.T) {
	e := newEnv(t)
	v := e.start(t, 5)
	id := v.Session.ID

	// q1, right.
	tr, v := e.turn(t, id, "paris!")
	if tr.Kind != recall.TurnAnswer || tr.Correct == nil || !*tr.Correct || tr.QuestionID != "q1" || tr.Index != 0 || tr.Message != "paris!" {
		t.Fatalf("turn = %+v", tr)
	}
	for _, want := range []string{"Correct", "Paris", "Paris has been the capital since 987.", "Question 2 of 5: Which planet", "A) Venus\nB) Mars\nC) Jupiter"} {
		if !strings.Contains(tr.Reply, want) {
			t.Errorf("reply %q lacks %q", tr.Reply, want)
		}
	}
	wantProgress(t, v.Session, progress{current: 1, answered: 1, correct: 1, turns: 1})
	if v.Session.Version != 2 || v.Current == nil || v.Current.ID != "q2" || len(v.Current.Choices) != 3 || v.Current.Answers != nil {
		t.Fatalf("view = %+v current %+v", v.Session, v.Current)
	}

	// q2 (multiple choice), no hint, then wrong.
	tr, v = e.turn(t, id, " /HINT ")
	if tr.Kind != recall.TurnHint || tr.Correct != nil || tr.QuestionID != "q2" || !strings.Contains(tr.Reply, "no hint") {
		t.Fatalf("hint turn = %+v", tr)
	}
	wantProgress(t, v.Session, progress{current: 1, answered: 1, correct: 1, turns: 2})
	tr, v = e.turn(t, id, "a")
	if tr.Kind != recall.TurnAnswer || *tr.Correct || !strings.Contains(tr.Reply, "Not quite") || !strings.Contains(tr.Reply, "B) Mars") ||
		!strings.Contains(tr.Reply, "Iron oxide") || !strings.Contains(tr.Reply, "Question 3 of 5") {
		t.Fatalf("wrong answer turn = %+v", tr)
	}
	wantProgress(t, v.Session, progress{current: 2, answered: 2, correct: 1, turns: 3})

	// q3, skipped.
	tr, v = e.turn(t, id, "/skip")
	if tr.Kind != recall.TurnSkip || tr.Correct == nil || *tr.Correct || tr.QuestionID != "q3" || !strings.Contains(tr.Reply, "1945") {
		t.Fatalf("skip turn = %+v", tr)
	}
	wantProgress(t, v.Session, progress{current: 3, answered: 2, correct: 1, skipped: 1, turns: 4})

	// q4, a typo forgiven.
	tr, v = e.turn(t, id, "mitocondria")
	if !*tr.Correct {
		t.Fatalf("typo not forgiven: %+v", tr)
	}
	wantProgress(t, v.Session, progress{current: 4, answered: 3, correct: 2, skipped: 1, turns: 5})
	if v.Session.Version != 6 {
		t.Fatalf("version = %d, want 6", v.Session.Version)
	}

	// A hint with text, on the first question of another session.
	id2 := e.start(t, 1).Session.ID
	tr, _ = e.turn(t, id2, "/hint")
	if tr.Reply != "Hint: It lies on the Seine." {
		t.Fatalf("hint reply = %q", tr.Reply)
	}
}

func TestTurn_Completion(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 3).Session.ID
	e.turn(t, id, "Paris")
	e.turn(t, id, "/skip")
	if got := e.topicsChanged(); len(got) != 0 {
		t.Fatalf("topic list dropped before completion: %v", got)
	}
	tr, v := e.turn(t, id, "1945")
	if v.Session.State != recall.SessionCompleted || v.State != recall.SessionCompleted || v.Current != nil {
		t.Fatalf("view after the last question: state %s/%s current %+v", v.Session.State, v.State, v.Current)
	}
	if !strings.Contains(tr.Reply, "You answered 2 of 3 correctly; 1 skipped.") || !strings.Contains(tr.Reply, "Correct") {
		t.Fatalf("final reply = %q", tr.Reply)
	}
	wantProgress(t, v.Session, progress{current: 3, answered: 2, correct: 2, skipped: 1, turns: 3})
	if got := e.topicsChanged(); ids(got) != "u1" {
		t.Fatalf("topic lists dropped = %v, want [u1]", got)
	}

	_, _, err := e.eng.Turn(ctx, "u1", id, "Paris", "")
	wantCode(t, err, recall.ECONFLICT)
	if msg := recall.ErrorMessage(err); msg != "This session is not active." {
		t.Fatalf("message = %q", msg)
	}
	_, err = e.eng.End(ctx, "u1", id)
	wantCode(t, err, recall.ECONFLICT)

	// The same from the store, with the cache gone.
	must(t, e.cache.Delete(ctx, "u1", id))
	g, err := e.eng.Get(ctx, "u1", id)
	must(t, err)
	if g.State != recall.SessionCompleted || g.Current != nil {
		t.Fatalf("Get after completion: %s %+v", g.State, g.Current)
	}
	_, _, err = e.eng.Turn(ctx, "u1", id, "Paris", "")
	wantCode(t, err, recall.ECONFLICT)
	if got := e.topicsChanged(); len(got) != 1 {
		t.Fatalf("topic lists dropped = %v, want one", got)
	}
}

func TestTurn_Validation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 5).Session.ID
	for _, tt := range []struct {
		name, msg, key, field string
	}{
		{"ErrEmpty", "", "", "message"},
		{"ErrBlank", " \t\n", "", "message"},
		{"ErrTooLong", strings.Repeat("a", MaxMessageLength+1), "", "message"},
		{"ErrTooLongMultibyte", strings.Repeat("é", MaxMessageLength+1), "", "message"},
		{"ErrInvalidUTF8", "Par\xffis", "", "message"},
		{"ErrKeyTooLong", "Paris", strings.Repeat("k", MaxIdempotencyKeyLength+1), "Idempotency-Key"},
		{"ErrKeyInvalidUTF8", "Paris", "k\xff", "Idempotency-Key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.eng.Turn(ctx, "u1", id, tt.msg, tt.key)
			wantCode(t, err, recall.EINVALID)
			if _, ok := recall.ErrorFields(err)[tt.field]; !ok {
				t.Fatalf("fields = %v, want %s", recall.ErrorFields(err), tt.field)
			}
		})
	}
	if n := e.store.Calls("SaveTurn"); n != 0 {
		t.Fatalf("invalid turns were saved: %d", n)
	}
	t.Run("LongestOK", func(t *testing.T) {
		tr, v, err := e.eng.Turn(ctx, "u1", id, strings.Repeat("é", MaxMessageLength), strings.Repeat("k", MaxIdempotencyKeyLength))
		must(t, err)
		if *tr.Correct || v.Session.Answered != 1 {
			t.Fatalf("turn %+v", tr)
		}
	})
}

func TestExpiry(t *testing.T) {
	ctx := context.Background()

	t.Run("Idle", func(t *testing.T) {
		e := newEnv(t)
		id := e.start(t, 5).Session.ID
		e.clock.Add(idle - time.Second)
		e.turn(t, id, "/hint") // activity restarts the idle time
		e.clock.Add(idle - time.Second)
		v, err := e.eng.Get(ctx, "u1", id)
		must(t, err)
		if v.State != recall.SessionActive || v.Current == nil {
			t.Fatalf("state %s before the idle time", v.State)
		}
		e.clock.Add(time.Second)
		v, err = e.eng.Get(ctx, "u1", id)
		must(t, err)
		if v.State != recall.SessionExpired || v.Current != nil {
			t.Fatalf("state %s current %+v after the idle time, want expired", v.State, v.Current)
		}
		_, _, err = e.eng.Turn(ctx, "u1", id, "Paris", "")
		wantCode(t, err, recall.ECONFLICT)
		_, err = e.eng.End(ctx, "u1", id)
		wantCode(t, err, recall.ECONFLICT)
		views, _, err := e.eng.List(ctx, "u1", ListQuery{State: recall.SessionExpired})
		must(t, err)
		if len(views) != 1 || views[0].Session.ID != id {
			t.Fatalf("expired sessions = %d", len(views))
		}
	})

	t.Run("Lifetime", func(t *testing.T) {
		e := newEnv(t)
		id := e.start(t, 5).Session.ID
		step := idle - time.Minute
		for elapsed := step; elapsed < lifetime; elapsed += step {
			e.clock.Add(step)
			e.turn(t, id, "/hint")
		}
		// Never idle, but the lifetime is over.
		e.clock.Add(lifetime - (lifetime/step)*step)
		v, err := e.eng.Get(ctx, "u1", id)
		must(t, err)
		if v.State != recall.SessionExpired || !v.ExpiresAt.Equal(v.Session.CreatedAt.Add(lifetime)) {
			t.Fatalf("state %s expires %v, want expired at the lifetime", v.State, v.ExpiresAt)
		}
		_, _, err = e.eng.Turn(ctx, "u1", id, "Paris", "")
		wantCode(t, err, recall.ECONFLICT)
	})
}

func TestIdempotency(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 2).Session.ID

	t1, v1, err := e.eng.Turn(ctx, "u1", id, "Paris", "key-1")
	must(t, err)
	t2, v2, err := e.eng.Turn(ctx, "u1", id, "Paris", "key-1")
	must(t, err)
	if t2.Index != t1.Index || t2.Reply != t1.Reply || *t2.Correct != *t1.Correct || v2.Session.Version != v1.Session.Version {
		t.Fatalf("retry got %+v, first %+v", t2, t1)
	}
	if n := e.store.Calls("SaveTurn"); n != 1 {
		t.Fatalf("SaveTurn calls = %d, want 1", n)
	}
	if v2.Session.Answered != 1 || v2.Current == nil || v2.Current.ID != "q2" {
		t.Fatalf("graded twice or wrong state: %+v", v2.Session)
	}

	// A different message with the same key changes nothing either.
	t3, _, err := e.eng.Turn(ctx, "u1", id, "Lyon", "key-1")
	must(t, err)
	if t3.Message != "Paris" || !*t3.Correct {
		t.Fatalf("retry with another message: %+v", t3)
	}

	// The last turn, then its retry once the session is completed.
	t4, _, err := e.eng.Turn(ctx, "u1", id, "b", "key-2")
	must(t, err)
	t5, v5, err := e.eng.Turn(ctx, "u1", id, "b", "key-2")
	must(t, err)
	if t5.Index != t4.Index || t5.Reply != t4.Reply || v5.State != recall.SessionCompleted {
		t.Fatalf("retry after completion: %+v %s", t5, v5.State)
	}
	// A retry of an earlier turn returns the state that turn left.
	_, v6, err := e.eng.Turn(ctx, "u1", id, "Paris", "key-1")
	must(t, err)
	if v6.Session.Version != 2 || v6.State != recall.SessionActive {
		t.Fatalf("retry of the first turn: version %d state %s", v6.Session.Version, v6.State)
	}
	if n := e.store.Calls("SaveTurn"); n != 2 {
		t.Fatalf("SaveTurn calls = %d, want 2", n)
	}
	s, err := e.store.Session(ctx, id)
	must(t, err)
	wantProgress(t, s, progress{current: 2, answered: 2, correct: 2, turns: 2})
	if len(s.IdempotencyKeys) != 2 || s.IdempotencyKeys["key-1"] != 0 || s.IdempotencyKeys["key-2"] != 1 {
		t.Fatalf("keys = %v", s.IdempotencyKeys)
	}
	if got := e.topicsChanged(); len(got) != 1 {
		t.Fatalf("topic lists dropped = %v, want one", got)
	}
}

// TestTwoInstances runs two engines on one store, each with its own cache,
// as two server instances would be: a turn applied by one makes the other's
// cached state stale.
func TestTwoInstances(t *testing.T) {
	ctx := context.Background()
	a := newEnv(t)
	b := &env{store: a.store, clock: a.clock}
	b.cache = inmem.NewSessionCache(inmem.SessionCacheOptions{Now: a.clock.Now})
	b.eng = New(Config{Sessions: a.store, Topics: a.store, Questions: a.store, Cache: b.cache, Now: a.clock.Now})

	id := a.start(t, 5).Session.ID
	_, err := b.eng.Get(ctx, "u1", id) // b caches version 1
	must(t, err)

	first, _, err := a.eng.Turn(ctx, "u1", id, "Paris", "k1")
	must(t, err)

	t.Run("RetryRacedOnOtherInstance", func(t *testing.T) {
		// The client retries on b, whose cache still has version 1.
		again, v, err := b.eng.Turn(ctx, "u1", id, "Paris", "k1")
		must(t, err)
		if again.Index != first.Index || again.Reply != first.Reply || v.Session.Answered != 1 {
			t.Fatalf("retry on b = %+v", again)
		}
	})

	t.Run("StaleStateWaits", func(t *testing.T) {
		_, _, err := a.eng.Turn(ctx, "u1", id, "/hint", "")
		must(t, err)
		// b's cached state is stale: the store refuses the turn built on
		// it, and b applies the message once more to the stored state,
		// as it would have had it waited behind a's turn.
		a.store.ResetCalls()
		tr, v, err := b.eng.Turn(ctx, "u1", id, "b", "")
		must(t, err)
		if tr.QuestionID != "q2" || !*tr.Correct || tr.Index != 2 {
			t.Fatalf("turn on stale state = %+v", tr)
		}
		wantProgress(t, v.Session, progress{current: 2, answered: 2, correct: 2, turns: 3})
		if n := a.store.Calls("SaveTurn"); n != 2 {
			t.Fatalf("SaveTurn calls = %d, want 2 (refused, then applied)", n)
		}
		if n := a.store.Calls("Session"); n != 1 {
			t.Fatalf("Session reads = %d, want 1 (the stored state after the refusal)", n)
		}
		// b's cache now holds the stored state: the next turn reads nothing.
		a.store.ResetCalls()
		_, _, err = b.eng.Turn(ctx, "u1", id, "/skip", "")
		must(t, err)
		if n := a.store.SessionReads(); n != 0 {
			t.Fatalf("session reads after the refresh = %d, want 0", n)
		}
	})
}

func TestConcurrentTurns(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 5).Session.ID
	const n = 24

	turns := make([]*recall.Turn, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tr, _, err := e.eng.Turn(ctx, "u1", id, "/hint", fmt.Sprint("key-", i))
			if err != nil {
				t.Errorf("turn %d: %v", i, err)
				return
			}
			turns[i] = tr
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	s, err := e.store.Session(ctx, id)
	must(t, err)
	if s.Turns != n || s.Version != n+1 || len(s.IdempotencyKeys) != n {
		t.Fatalf("stored session: turns %d version %d keys %d; want %d, %d, %d", s.Turns, s.Version, len(s.IdempotencyKeys), n, n+1, n)
	}
	seen := make([]bool, n)
	for _, tr := range turns {
		if seen[tr.Index] {
			t.Fatalf("turn index %d used twice", tr.Index)
		}
		seen[tr.Index] = true
		if tr.After.Version != int64(tr.Index)+2 {
			t.Fatalf("turn %d left version %d, want %d", tr.Index, tr.After.Version, tr.Index+2)
		}
	}
	if c := e.store.Calls("SaveTurn"); c != n {
		t.Fatalf("SaveTurn calls = %d, want %d", c, n)
	}
	if k := e.eng.locks.len(); k != 0 {
		t.Fatalf("%d session locks left behind", k)
	}
}

func TestCacheMissRebuild(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 5).Session.ID
	e.turn(t, id, "Paris")
	e.turn(t, id, "/hint")

	must(t, e.cache.Delete(ctx, "u1", id))
	e.store.ResetCalls()
	tr, v := e.turn(t, id, "Mars")
	if tr.QuestionID != "q2" || !*tr.Correct || tr.Index != 2 {
		t.Fatalf("turn after a cache miss = %+v", tr)
	}
	wantProgress(t, v.Session, progress{current: 2, answered: 2, correct: 2, turns: 3})
	if n := e.store.Calls("Session"); n != 1 {
		t.Fatalf("Session reads = %d, want 1 (the rebuild)", n)
	}
	// Rebuilt: the next turn reads nothing.
	e.store.ResetCalls()
	e.turn(t, id, "1945")
	if n := e.store.SessionReads(); n != 0 {
		t.Fatalf("session reads after the rebuild = %d, want 0", n)
	}
}

func TestTurn_TopicDeletedWhileCached(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 5).Session.ID
	e.turn(t, id, "Paris")
	// The session is cached; deleting its topic cascades in the store only.
	must(t, e.store.DeleteTopic(ctx, "u1", "t1"))
	if _, err := e.eng.Get(ctx, "u1", id); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Get after the topic was deleted: err = %v, want not found", err)
	}
	if _, err := e.eng.Transcript(ctx, "u1", id); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Transcript after the topic was deleted: err = %v, want not found", err)
	}
	if _, _, err := e.eng.Turn(ctx, "u1", id, "Mars", ""); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Turn after the topic was deleted: err = %v, want not found", err)
	}
}

func TestTurn_CachedCost(t *testing.T) {
	e := newEnv(t)
	id := e.start(t, 5).Session.ID
	e.store.ResetCalls()
	e.turn(t, id, "Paris")
	if n := e.store.SessionReads(); n != 0 {
		t.Errorf("session store reads = %d, want 0", n)
	}
	if n := e.store.Calls("SaveTurn"); n != 1 {
		t.Errorf("SaveTurn calls = %d, want 1", n)
	}
	// The bank proves the topic alive: no topic lookup.
	if n := e.store.Calls("Topic") + e.store.Calls("Topics"); n != 0 {
		t.Errorf("topic reads = %d, want 0", n)
	}
	// The one bank lookup; in production the question cache answers it.
	if n := e.store.Calls("Questions"); n != 1 {
		t.Errorf("Questions calls = %d, want 1", n)
	}
}

func TestEnd(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		id := e.start(t, 5).Session.ID
		e.turn(t, id, "Paris")
		e.turn(t, id, "/hint")
		v, err := e.eng.End(ctx, "u1", id)
		must(t, err)
		if v.State != recall.SessionCompleted || v.Current != nil {
			t.Fatalf("state %s current %+v", v.State, v.Current)
		}
		wantProgress(t, v.Session, progress{current: 5, answered: 1, correct: 1, skipped: 4, turns: 3})
		ts, err := e.eng.Transcript(ctx, "u1", id)
		must(t, err)
		last := ts[len(ts)-1]
		if last.Kind != recall.TurnSummary || last.Message != "/end" || last.Correct != nil ||
			last.Reply != "Session ended. You answered 1 of 5 correctly; 4 skipped." {
			t.Fatalf("summary turn = %+v", last)
		}
		if got := e.topicsChanged(); ids(got) != "u1" {
			t.Fatalf("topic lists dropped = %v", got)
		}
		_, err = e.eng.End(ctx, "u1", id)
		wantCode(t, err, recall.ECONFLICT)
	})

	t.Run("ByMessage", func(t *testing.T) {
		e := newEnv(t)
		id := e.start(t, 3).Session.ID
		tr, v := e.turn(t, id, " /End")
		if tr.Kind != recall.TurnSummary || v.State != recall.SessionCompleted || v.Session.Skipped != 3 {
			t.Fatalf("turn %+v state %s", tr, v.State)
		}
	})
}

func TestDeletedQuestion(t *testing.T) {
	ctx := context.Background()
	now := time.Now()

	t.Run("Next", func(t *testing.T) {
		e := newEnv(t)
		id := e.start(t, 4).Session.ID
		must(t, e.store.DeleteQuestion(ctx, "u1", "t1", "q2", now))
		tr, v := e.turn(t, id, "Paris")
		if !strings.Contains(tr.Reply, "Question 3 of 4: In which year") || v.Current == nil || v.Current.ID != "q3" {
			t.Fatalf("reply %q current %+v", tr.Reply, v.Current)
		}
		wantProgress(t, v.Session, progress{current: 2, answered: 1, correct: 1, skipped: 1, turns: 1})
	})

	t.Run("Current", func(t *testing.T) {
		e := newEnv(t)
		id := e.start(t, 2).Session.ID
		must(t, e.store.DeleteQuestion(ctx, "u1", "t1", "q1", now))
		v, err := e.eng.Get(ctx, "u1", id)
		must(t, err)
		if v.State != recall.SessionActive || v.Current != nil {
			t.Fatalf("state %s current %+v", v.State, v.Current)
		}
		tr, v := e.turn(t, id, "Paris")
		if tr.Kind != recall.TurnSkip || tr.QuestionID != "q1" || *tr.Correct || v.Current == nil || v.Current.ID != "q2" {
			t.Fatalf("turn %+v current %+v", tr, v.Current)
		}
		wantProgress(t, v.Session, progress{current: 1, skipped: 1, turns: 1})
	})

	t.Run("Last", func(t *testing.T) {
		e := newEnv(t)
		id := e.start(t, 2).Session.ID
		must(t, e.store.DeleteQuestion(ctx, "u1", "t1", "q2", now))
		tr, v := e.turn(t, id, "Lyon")
		if v.State != recall.SessionCompleted || !strings.Contains(tr.Reply, "You answered 0 of 2 correctly; 1 skipped.") {
			t.Fatalf("state %s reply %q", v.State, tr.Reply)
		}
	})
}

func TestList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	expired := e.start(t, 2).Session.ID
	e.clock.Add(idle)
	completed := e.start(t, 1).Session.ID
	e.turn(t, completed, "Paris")
	e.clock.Add(time.Minute)
	active := e.start(t, 2).Session.ID
	_, err := e.eng.Start(ctx, "u2", StartInput{TopicID: "t2"})
	must(t, err)

	for _, tt := range []struct {
		state recall.SessionState
		want  []string
	}{
		{"", []string{active, completed, expired}},
		{recall.SessionActive, []string{active}},
		{recall.SessionCompleted, []string{completed}},
		{recall.SessionExpired, []string{expired}},
	} {
		views, _, err := e.eng.List(ctx, "u1", ListQuery{State: tt.state})
		must(t, err)
		var got []string
		for _, v := range views {
			got = append(got, v.Session.ID)
			if v.Current != nil {
				t.Errorf("list view has a current question")
			}
			if tt.state != "" && v.State != tt.state {
				t.Errorf("state %s in list of %s", v.State, tt.state)
			}
		}
		if ids(got) != ids(tt.want) {
			t.Errorf("List(%q) = %v, want %v", tt.state, got, tt.want)
		}
	}
	_, _, err = e.eng.List(ctx, "u1", ListQuery{State: "paused"})
	wantCode(t, err, recall.EINVALID)
}

func TestTranscript(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 2).Session.ID
	e.turn(t, id, "/hint")
	e.turn(t, id, "Paris")
	e.turn(t, id, "/skip")
	ts, err := e.eng.Transcript(ctx, "u1", id)
	must(t, err)
	var kinds []string
	for i, tr := range ts {
		if tr.Index != i {
			t.Fatalf("turn %d has index %d", i, tr.Index)
		}
		kinds = append(kinds, string(tr.Kind)+":"+tr.QuestionID)
	}
	if got := ids(kinds); got != "hint:q1,answer:q1,skip:q2" {
		t.Fatalf("transcript = %s", got)
	}
}

func TestSessionDeletedWithTopic(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 2).Session.ID
	must(t, e.store.DeleteTopic(ctx, "u1", "t1"))
	_, _, err := e.eng.Turn(ctx, "u1", id, "Paris", "")
	wantCode(t, err, recall.ENOTFOUND)
	if _, err := e.cache.Get(ctx, "u1", id); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("the deleted session is still cached: %v", err)
	}
	_, err = e.eng.Get(ctx, "u1", id)
	wantCode(t, err, recall.ENOTFOUND)
}

// TestCacheDown checks that the cache is only an accelerator: with every
// cache call failing, sessions work from the store alone.
func TestCacheDown(t *testing.T) {
	ctx := context.Background()
	broken := &brokenCache{}
	e := newEnv(t, func(c *Config) { c.Cache = broken })
	id := e.start(t, 2).Session.ID
	_, v := e.turn(t, id, "Paris")
	wantProgress(t, v.Session, progress{current: 1, answered: 1, correct: 1, turns: 1})
	_, v = e.turn(t, id, "b")
	if v.State != recall.SessionCompleted || v.Session.Correct != 2 {
		t.Fatalf("state %s correct %d", v.State, v.Session.Correct)
	}
	g, err := e.eng.Get(ctx, "u1", id)
	must(t, err)
	if g.State != recall.SessionCompleted {
		t.Fatalf("Get state %s", g.State)
	}
	if broken.calls == 0 {
		t.Fatal("the cache was never tried")
	}
}

func TestKeyedMutex(t *testing.T) {
	var k keyedMutex
	unlock, err := k.lock(context.Background(), "s1")
	must(t, err)

	// A waiter that gives up leaves nothing behind.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.lock(ctx, "s1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("lock with a cancelled context = %v", err)
	}
	// Another key is not blocked.
	unlock2, err := k.lock(context.Background(), "s2")
	must(t, err)
	unlock2()

	// A waiter gets the lock once it is released.
	got := make(chan struct{})
	go func() {
		u, err := k.lock(context.Background(), "s1")
		if err == nil {
			u()
		}
		close(got)
	}()
	unlock()
	<-got
	if n := k.len(); n != 0 {
		t.Fatalf("%d entries left, want 0", n)
	}
}

// cachedBank stands for a question cache that holds the bank: it answers
// Questions without copying, so that BenchmarkTurn measures the engine and
// not the fake store.
type cachedBank struct {
	recall.QuestionStore
	qs []*recall.Question
}

func (c cachedBank) Questions(ctx context.Context, userID, topicID string) ([]*recall.Question, error) {
	return c.qs, nil
}

// BenchmarkTurn measures a graded turn (a forgiven typo) on a cached session
// and bank of 100 questions.
func BenchmarkTurn(b *testing.B) {
	ctx := context.Background()
	var qs []*recall.Question
	for i := range MaxQuestionCount {
		qs = append(qs, &recall.Question{ID: fmt.Sprint("m", i), TopicID: "big", Prompt: "Name the treaty of 1648.",
			Answers: []string{"Peace of Westphalia"}, Explanation: "It ended the Thirty Years' War."})
	}
	e := newEnv(b, func(c *Config) { c.Questions = cachedBank{c.Questions, qs} })
	start := func() string {
		v, err := e.eng.Start(ctx, "u1", StartInput{TopicID: "big", QuestionCount: new(MaxQuestionCount)})
		must(b, err)
		return v.Session.ID
	}
	id := start()
	left := MaxQuestionCount
	b.ReportAllocs()
	for b.Loop() {
		if left == 0 {
			b.StopTimer()
			id, left = start(), MaxQuestionCount
			b.StartTimer()
		}
		if _, _, err := e.eng.Turn(ctx, "u1", id, "peace of westfalia", ""); err != nil {
			b.Fatal(err)
		}
		left--
	}
}

func TestTurnLimit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 5).Session.ID
	for i := range MaxTurns {
		if _, _, err := e.eng.Turn(ctx, "u1", id, "/hint", fmt.Sprint("k", i)); err != nil {
			t.Fatalf("turn %d: %v", i, err)
		}
	}
	_, _, err := e.eng.Turn(ctx, "u1", id, "/hint", "")
	wantCode(t, err, recall.ECONFLICT)
	// Ending the session is still possible.
	v, err := e.eng.End(ctx, "u1", id)
	must(t, err)
	if v.State != recall.SessionCompleted {
		t.Fatalf("state after End = %s", v.State)
	}
	// A turn's record keeps the session it left, without every earlier key.
	last, err := e.store.Turn(ctx, id, MaxTurns-1)
	must(t, err)
	if last.After == nil || len(last.After.IdempotencyKeys) != 0 || last.After.Turns != MaxTurns {
		t.Fatalf("the last turn's After = %+v", last.After)
	}
}

func TestEndOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.start(t, 5).Session.ID
	e.turn(t, id, "Paris")
	first, err := e.eng.EndOnce(ctx, "u1", id, "end-1")
	must(t, err)
	again, err := e.eng.EndOnce(ctx, "u1", id, "end-1")
	must(t, err)
	if again.State != recall.SessionCompleted || again.Session.Skipped != first.Session.Skipped || again.Session.Turns != first.Session.Turns {
		t.Fatalf("retry of End = %+v, first %+v", again.Session, first.Session)
	}
	_, err = e.eng.EndOnce(ctx, "u1", id, "end-2")
	wantCode(t, err, recall.ECONFLICT)
}
