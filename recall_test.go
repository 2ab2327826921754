package recall_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

func ptr[T any](v T) *T { return &v }

func TestCredentialsValidate(t *testing.T) {
	for _, tc := range []struct {
		name, username, password string
		bad                      []string
	}{
		{"OK", "Ada.Lovelace_1-x", "correct horse", nil},
		{"OKLowerCased", "  ADA  ", "12345678", nil},
		{"ErrUsernameShort", "ab", "12345678", []string{"username"}},
		{"ErrUsernameLong", strings.Repeat("a", 33), "12345678", []string{"username"}},
		{"ErrUsernameChars", "ada lovelace", "12345678", []string{"username"}},
		{"ErrUsernameUnicode", "adà", "12345678", []string{"username"}},
		{"ErrPasswordShort", "ada", "1234567", []string{"password"}},
		{"OKPasswordRunes", "ada", "ééééééé€", nil},
		{"ErrPasswordLong", "ada", strings.Repeat("x", 257), []string{"password"}},
		{"ErrPasswordUTF8", "ada", "12345678\xff", []string{"password"}},
		{"ErrBoth", "", "", []string{"username", "password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := recall.Credentials{Username: tc.username, Password: tc.password}
			c.Normalize()
			wantFields(t, c.Validate(), tc.bad...)
			if tc.bad == nil && c.Username != strings.ToLower(strings.TrimSpace(tc.username)) {
				t.Fatalf("username = %q, not lower-cased and trimmed", c.Username)
			}
		})
	}
}

func TestTopicInputValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     recall.TopicInput
		create bool
		bad    []string
	}{
		{"CreateOK", recall.TopicInput{Title: ptr(" Capitals "), Description: ptr("")}, true, nil},
		{"CreateErrNoTitle", recall.TopicInput{}, true, []string{"title"}},
		{"CreateErrBlankTitle", recall.TopicInput{Title: ptr("   ")}, true, []string{"title"}},
		{"CreateErrLongTitle", recall.TopicInput{Title: ptr(strings.Repeat("é", 201))}, true, []string{"title"}},
		{"CreateOKTitle200Runes", recall.TopicInput{Title: ptr(strings.Repeat("é", 200))}, true, nil},
		{"CreateErrLongDescription", recall.TopicInput{Title: ptr("x"), Description: ptr(strings.Repeat("d", 4001))}, true, []string{"description"}},
		{"CreateErrNUL", recall.TopicInput{Title: ptr("a\x00b")}, true, []string{"title"}},
		{"UpdateOKDescriptionOnly", recall.TopicInput{Description: ptr("new")}, false, nil},
		{"UpdateErrNothing", recall.TopicInput{}, false, []string{"body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantFields(t, tc.in.Validate(tc.create), tc.bad...)
		})
	}
}

func TestQuestionInputValidate(t *testing.T) {
	answers := func(a ...string) *[]string { return &a }
	for _, tc := range []struct {
		name   string
		in     recall.QuestionInput
		create bool
		bad    []string
	}{
		{"CreateOK", recall.QuestionInput{Prompt: ptr("2+2?"), Answers: answers("4", "four")}, true, nil},
		{"CreateOKChoices", recall.QuestionInput{Prompt: ptr("Pick"), Answers: answers("b"), Choices: answers("a", "b")}, true, nil},
		{"CreateErrMissing", recall.QuestionInput{}, true, []string{"q.prompt", "q.answers"}},
		{"CreateErrNoAnswers", recall.QuestionInput{Prompt: ptr("p"), Answers: answers()}, true, []string{"q.answers"}},
		{"CreateErrBlankAnswer", recall.QuestionInput{Prompt: ptr("p"), Answers: answers(" ")}, true, []string{"q.answers"}},
		{"CreateErrTooManyAnswers", recall.QuestionInput{Prompt: ptr("p"), Answers: answers(strings.Split(strings.Repeat("a,", 21), ",")[:21]...)}, true, []string{"q.answers"}},
		{"CreateErrOneChoice", recall.QuestionInput{Prompt: ptr("p"), Answers: answers("a"), Choices: answers("a")}, true, []string{"q.choices"}},
		{"CreateOKEmptyChoicesMeanTyped", recall.QuestionInput{Prompt: ptr("p"), Answers: answers("a"), Choices: answers()}, true, nil},
		{"CreateErrNULPrompt", recall.QuestionInput{Prompt: ptr("p\x00"), Answers: answers("a")}, true, []string{"q.prompt"}},
		{"CreateErrNULAnswer", recall.QuestionInput{Prompt: ptr("p"), Answers: answers("a\x00b")}, true, []string{"q.answers"}},
		{"CreateErrDuplicateChoices", recall.QuestionInput{Prompt: ptr("p"), Answers: answers("a"), Choices: answers("a", " A ")}, true, []string{"q.choices"}},
		{"CreateErrLongHint", recall.QuestionInput{Prompt: ptr("p"), Answers: answers("a"), Hint: ptr(strings.Repeat("h", 501))}, true, []string{"q.hint"}},
		{"CreateErrLongPrompt", recall.QuestionInput{Prompt: ptr(strings.Repeat("p", 2001)), Answers: answers("a")}, true, []string{"q.prompt"}},
		{"UpdateOKClearChoices", recall.QuestionInput{Choices: answers()}, false, nil},
		{"UpdateErrNothing", recall.QuestionInput{}, false, []string{"body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantFields(t, tc.in.Validate(tc.create, "q."), tc.bad...)
		})
	}
}

func TestQuestionCheck(t *testing.T) {
	q := &recall.Question{Answers: []string{"Tokyo"}, Choices: []string{"Kyoto", "Tokyo"}}
	if err := q.Check(""); err != nil {
		t.Fatalf("answer among the choices: %v", err)
	}
	q.Answers = []string{"Osaka"}
	wantFields(t, q.Check(""), "answers")
	q.Choices = nil
	if err := q.Check(""); err != nil {
		t.Fatalf("no choices: %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	s := &recall.Session{State: recall.SessionActive, CreatedAt: start, UpdatedAt: start.Add(23 * time.Hour)}
	idle, life := 2*time.Hour, 24*time.Hour
	if got := s.ExpiresAt(idle, life); !got.Equal(start.Add(life)) {
		t.Fatalf("ExpiresAt = %v, want the absolute lifetime %v", got, start.Add(life))
	}
	s.UpdatedAt = start.Add(time.Hour)
	if got := s.ExpiresAt(idle, life); !got.Equal(start.Add(3 * time.Hour)) {
		t.Fatalf("ExpiresAt = %v, want idle expiry", got)
	}
	if st := s.StateAt(start.Add(3*time.Hour-time.Nanosecond), idle, life); st != recall.SessionActive {
		t.Fatalf("state just before expiry = %s", st)
	}
	if st := s.StateAt(start.Add(3*time.Hour), idle, life); st != recall.SessionExpired {
		t.Fatalf("state at expiry = %s", st)
	}
	s.State = recall.SessionCompleted
	if st := s.StateAt(start.Add(48*time.Hour), idle, life); st != recall.SessionCompleted {
		t.Fatalf("a completed session never expires, got %s", st)
	}
}

func TestSessionClone(t *testing.T) {
	s := &recall.Session{QuestionIDs: []string{"a"}, IdempotencyKeys: map[string]int{"k": 0}}
	c := s.Clone()
	c.QuestionIDs[0] = "b"
	c.IdempotencyKeys["k"] = 9
	if s.QuestionIDs[0] != "a" || s.IdempotencyKeys["k"] != 0 {
		t.Fatal("Clone shares memory with the original")
	}
}

func TestErrors(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", recall.Errorf(recall.ENOTFOUND, "Topic %s not found.", "x"))
	if recall.ErrorCode(err) != recall.ENOTFOUND || recall.ErrorMessage(err) != "Topic x not found." {
		t.Fatalf("code/message through a wrap = %q/%q", recall.ErrorCode(err), recall.ErrorMessage(err))
	}
	plain := errors.New("disk on fire at /var/lib")
	if recall.ErrorCode(plain) != recall.EINTERNAL || strings.Contains(recall.ErrorMessage(plain), "disk") {
		t.Fatal("an internal error must be EINTERNAL with a generic message")
	}
	if recall.ErrorCode(nil) != "" || recall.IsCode(nil, recall.EINTERNAL) {
		t.Fatal("nil is no error")
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := recall.NewID()
		if len(id) != 26 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("NewID = %q: want 26 lower-case base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
}

// wantFields checks that err is EINVALID naming exactly the fields bad, or
// nil when bad is empty.
func wantFields(tb testing.TB, err error, bad ...string) {
	tb.Helper()
	if len(bad) == 0 {
		if err != nil {
			tb.Fatalf("unexpected error %v (fields %v)", err, recall.ErrorFields(err))
		}
		return
	}
	if recall.ErrorCode(err) != recall.EINVALID {
		tb.Fatalf("err = %v, want invalid", err)
	}
	got := recall.ErrorFields(err)
	if len(got) != len(bad) {
		tb.Fatalf("fields = %v, want %v", got, bad)
	}
	for _, f := range bad {
		if _, ok := got[f]; !ok {
			tb.Fatalf("fields = %v, want %v", got, bad)
		}
	}
}
