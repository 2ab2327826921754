package storetest

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// fixture holds one subtest's store and the helpers that fill it.
type fixture struct {
	tb  testing.TB
	s   recall.Store
	ctx context.Context
	// now is the fixture's clock. It starts away from UTC with nanoseconds,
	// so that every comparison also checks the UTC microsecond round trip.
	now time.Time
	seq int
}

func newFixture(tb testing.TB, s recall.Store) *fixture {
	tb.Helper()
	return &fixture{
		tb:  tb,
		s:   s,
		ctx: tb.Context(),
		now: time.Date(2025, 3, 14, 15, 9, 26, 535_897_932, time.FixedZone("UTC+2", 2*3600)),
	}
}

// tick advances the clock by a little over a second and returns it.
func (f *fixture) tick() time.Time {
	f.now = f.now.Add(time.Second + 1234*time.Nanosecond)
	return f.now
}

// id returns a new random ID with a readable prefix. IDs do not sort in
// the order they were made, so an order by ID cannot pass for bank or
// creation order.
func (f *fixture) id(prefix string) string {
	f.seq++
	return prefix + "-" + recall.NewID()
}

// user creates a user.
func (f *fixture) user(name string) *recall.User {
	f.tb.Helper()
	u := &recall.User{ID: f.id("u"), Username: name, CreatedAt: f.tick()}
	if err := f.s.CreateUser(f.ctx, u, "hash-of-"+name); err != nil {
		f.tb.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

// topic creates a topic of u.
func (f *fixture) topic(u *recall.User, title string) *recall.Topic {
	f.tb.Helper()
	at := f.tick()
	t := &recall.Topic{ID: f.id("t"), UserID: u.ID, Title: title, Description: "About " + title, CreatedAt: at, UpdatedAt: at}
	if err := f.s.CreateTopic(f.ctx, t); err != nil {
		f.tb.Fatalf("CreateTopic(%q): %v", title, err)
	}
	return t
}

// question returns a new question of topic t (not stored), all fields set;
// every third one is multiple choice.
func (f *fixture) question(t *recall.Topic, at time.Time) *recall.Question {
	id := f.id("q")
	q := &recall.Question{
		ID: id, TopicID: t.ID,
		Prompt:      "Prompt " + id + " — “quoted”, ünïcødé?",
		Answers:     []string{"answer " + id, "other"},
		Explanation: "Because " + id,
		Hint:        "Think of " + id,
		CreatedAt:   at, UpdatedAt: at,
	}
	switch f.seq % 3 {
	case 0:
		q.Choices = []string{"answer " + id, "other", "neither"}
	case 1:
		q.AbsTol, q.RelTol, q.Unit = 0.25, 0.05, "km/h"
	}
	return q
}

// questions adds n questions to t's bank in one call and returns them.
func (f *fixture) questions(u *recall.User, t *recall.Topic, n int) []*recall.Question {
	f.tb.Helper()
	at := f.tick()
	qs := make([]*recall.Question, n)
	for i := range qs {
		qs[i] = f.question(t, at)
	}
	if err := f.s.AddQuestions(f.ctx, u.ID, t.ID, qs); err != nil {
		f.tb.Fatalf("AddQuestions(%d): %v", n, err)
	}
	return qs
}

// session creates an active session of u on t that asks qs in that order.
func (f *fixture) session(u *recall.User, t *recall.Topic, qs []*recall.Question) *recall.Session {
	f.tb.Helper()
	at := f.tick()
	s := &recall.Session{
		ID: f.id("s"), UserID: u.ID, TopicID: t.ID, State: recall.SessionActive,
		QuestionIDs: ids(qs), Version: 1, CreatedAt: at, UpdatedAt: at,
	}
	if err := f.s.CreateSession(f.ctx, s); err != nil {
		f.tb.Fatalf("CreateSession: %v", err)
	}
	return s
}

// next builds, without saving it, the turn that follows s on the
// fixture's clock (Next).
func (f *fixture) next(s *recall.Session, kind recall.TurnKind, correct bool, key string) (*recall.Session, *recall.Turn) {
	return Next(s, kind, correct, key, f.tick())
}

// save builds the next turn of s and saves it; it returns the new session
// and the turn.
func (f *fixture) save(s *recall.Session, kind recall.TurnKind, correct bool, key string) (*recall.Session, *recall.Turn) {
	f.tb.Helper()
	n, t := f.next(s, kind, correct, key)
	if err := f.s.SaveTurn(f.ctx, n, t); err != nil {
		f.tb.Fatalf("SaveTurn(%d, %s): %v", t.Index, kind, err)
	}
	return n, t
}

// ids returns the IDs of qs in order.
func ids(qs []*recall.Question) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.ID
	}
	return out
}

// --- assertions ---

// wantCode fails unless err carries code and a message for a person.
func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := recall.ErrorCode(err); got != code {
		tb.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
	if msg := recall.ErrorMessage(err); msg == "" {
		tb.Errorf("%s: %s error without a message", what, code)
	}
}

// ok fails the test if err is not nil.
func ok(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// stored returns t as a store gives it back: UTC, microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// eqTime fails unless got is want in UTC truncated to the microsecond.
func eqTime(tb testing.TB, what string, got, want time.Time) {
	tb.Helper()
	if got.Location() != time.UTC {
		tb.Errorf("%s = %v: location %v, want UTC", what, got, got.Location())
	}
	if w := stored(want); !got.Equal(w) {
		tb.Errorf("%s = %v, want %v", what, got.Format(time.RFC3339Nano), w.Format(time.RFC3339Nano))
	}
}

// eq fails unless got == want.
func eq[T comparable](tb testing.TB, what string, got, want T) {
	tb.Helper()
	if got != want {
		tb.Errorf("%s = %v, want %v", what, got, want)
	}
}

// eqList fails unless got and want hold the same items in the same order
// (nil and empty are alike).
func eqList(tb testing.TB, what string, got, want []string) {
	tb.Helper()
	if !slices.Equal(got, want) {
		tb.Errorf("%s = %q, want %q", what, got, want)
	}
}

// eqLen fails the test now unless len(got) == n.
func eqLen[T any](tb testing.TB, what string, got []T, n int) {
	tb.Helper()
	if len(got) != n {
		tb.Fatalf("len(%s) = %d, want %d", what, len(got), n)
	}
}

func eqUser(tb testing.TB, got, want *recall.User) {
	tb.Helper()
	eq(tb, "User.ID", got.ID, want.ID)
	eq(tb, "User.Username", got.Username, want.Username)
	eqTime(tb, "User.CreatedAt", got.CreatedAt, want.CreatedAt)
}

func eqToken(tb testing.TB, got, want *recall.Token) {
	tb.Helper()
	eq(tb, "Token.Hash", string(got.Hash), string(want.Hash))
	eq(tb, "Token.UserID", got.UserID, want.UserID)
	eqTime(tb, "Token.CreatedAt", got.CreatedAt, want.CreatedAt)
	eqTime(tb, "Token.ExpiresAt", got.ExpiresAt, want.ExpiresAt)
}

// eqTopic compares the stored fields of a topic; wantIDs is its bank.
func eqTopic(tb testing.TB, got, want *recall.Topic, wantIDs []string) {
	tb.Helper()
	eq(tb, "Topic.ID", got.ID, want.ID)
	eq(tb, "Topic.UserID", got.UserID, want.UserID)
	eq(tb, "Topic.Title", got.Title, want.Title)
	eq(tb, "Topic.Description", got.Description, want.Description)
	eqList(tb, "Topic.QuestionIDs", got.QuestionIDs, wantIDs)
	eqTime(tb, "Topic.CreatedAt", got.CreatedAt, want.CreatedAt)
	eqTime(tb, "Topic.UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

// eqStats compares topic stats.
func eqStats(tb testing.TB, what string, got, want recall.TopicStats) {
	tb.Helper()
	eq(tb, what+".SessionsCompleted", got.SessionsCompleted, want.SessionsCompleted)
	eq(tb, what+".Answers", got.Answers, want.Answers)
	eq(tb, what+".Correct", got.Correct, want.Correct)
	switch {
	case got.LastStudiedAt == nil && want.LastStudiedAt == nil:
	case got.LastStudiedAt == nil || want.LastStudiedAt == nil:
		tb.Errorf("%s.LastStudiedAt = %v, want %v", what, got.LastStudiedAt, want.LastStudiedAt)
	default:
		eqTime(tb, what+".LastStudiedAt", *got.LastStudiedAt, *want.LastStudiedAt)
	}
}

func eqQuestion(tb testing.TB, got, want *recall.Question) {
	tb.Helper()
	eq(tb, "Question.ID", got.ID, want.ID)
	eq(tb, "Question.TopicID", got.TopicID, want.TopicID)
	eq(tb, "Question.Prompt", got.Prompt, want.Prompt)
	eqList(tb, "Question.Answers", got.Answers, want.Answers)
	eqList(tb, "Question.Choices", got.Choices, want.Choices)
	eq(tb, "Question.Explanation", got.Explanation, want.Explanation)
	eq(tb, "Question.Hint", got.Hint, want.Hint)
	eq(tb, "Question.AbsTol", got.AbsTol, want.AbsTol)
	eq(tb, "Question.RelTol", got.RelTol, want.RelTol)
	eq(tb, "Question.Unit", got.Unit, want.Unit)
	eqTime(tb, "Question.CreatedAt", got.CreatedAt, want.CreatedAt)
	eqTime(tb, "Question.UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func eqQuestions(tb testing.TB, got, want []*recall.Question) {
	tb.Helper()
	eqList(tb, "question IDs", ids(got), ids(want))
	if len(got) == len(want) {
		for i := range got {
			eqQuestion(tb, got[i], want[i])
		}
	}
}

// eqSession compares sessions, idempotency keys included (nil and empty
// maps are alike).
func eqSession(tb testing.TB, got, want *recall.Session) {
	tb.Helper()
	if got == nil || want == nil {
		if got != want {
			tb.Errorf("session = %v, want %v", got, want)
		}
		return
	}
	eq(tb, "Session.ID", got.ID, want.ID)
	eq(tb, "Session.UserID", got.UserID, want.UserID)
	eq(tb, "Session.TopicID", got.TopicID, want.TopicID)
	eq(tb, "Session.State", got.State, want.State)
	eqList(tb, "Session.QuestionIDs", got.QuestionIDs, want.QuestionIDs)
	eq(tb, "Session.Current", got.Current, want.Current)
	eq(tb, "Session.Answered", got.Answered, want.Answered)
	eq(tb, "Session.Correct", got.Correct, want.Correct)
	eq(tb, "Session.Skipped", got.Skipped, want.Skipped)
	eq(tb, "Session.Turns", got.Turns, want.Turns)
	eq(tb, "Session.Version", got.Version, want.Version)
	if !maps.Equal(got.IdempotencyKeys, want.IdempotencyKeys) {
		tb.Errorf("Session.IdempotencyKeys = %v, want %v", got.IdempotencyKeys, want.IdempotencyKeys)
	}
	eqTime(tb, "Session.CreatedAt", got.CreatedAt, want.CreatedAt)
	eqTime(tb, "Session.UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

// eqTurn compares turns; After only if withAfter.
func eqTurn(tb testing.TB, got, want *recall.Turn, withAfter bool) {
	tb.Helper()
	eq(tb, "Turn.SessionID", got.SessionID, want.SessionID)
	eq(tb, "Turn.Index", got.Index, want.Index)
	eq(tb, "Turn.Kind", got.Kind, want.Kind)
	eq(tb, "Turn.Message", got.Message, want.Message)
	eq(tb, "Turn.Reply", got.Reply, want.Reply)
	eq(tb, "Turn.QuestionID", got.QuestionID, want.QuestionID)
	switch {
	case got.Correct == nil && want.Correct == nil:
	case got.Correct == nil || want.Correct == nil:
		tb.Errorf("Turn.Correct = %v, want %v", got.Correct, want.Correct)
	default:
		eq(tb, "*Turn.Correct", *got.Correct, *want.Correct)
	}
	eqTime(tb, "Turn.CreatedAt", got.CreatedAt, want.CreatedAt)
	eq(tb, "Turn.IdempotencyKey", got.IdempotencyKey, want.IdempotencyKey)
	if withAfter {
		eqSession(tb, got.After, want.After)
	}
}
