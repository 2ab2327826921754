package storeerr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storeerr"
)

func TestWithCause(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	err := storeerr.WithCause(recall.Errorf(recall.EUNAVAILABLE, "The database is unavailable."), cause)
	if code, msg := recall.ErrorCode(err), recall.ErrorMessage(err); code != recall.EUNAVAILABLE || msg != "The database is unavailable." {
		t.Errorf("code %q, message %q; want the domain error's", code, msg)
	}
	if !errors.Is(err, cause) {
		t.Errorf("%v does not wrap its cause", err)
	}
	if !strings.Contains(err.Error(), cause.Error()) || !strings.Contains(err.Error(), recall.EUNAVAILABLE) {
		t.Errorf("Error() = %q, want the code and the cause", err.Error())
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		code string
	}{
		{"UserNotFound", storeerr.UserNotFound(), recall.ENOTFOUND},
		{"TokenNotFound", storeerr.TokenNotFound(), recall.ENOTFOUND},
		{"TopicNotFound", storeerr.TopicNotFound(), recall.ENOTFOUND},
		{"QuestionNotFound", storeerr.QuestionNotFound(), recall.ENOTFOUND},
		{"SessionNotFound", storeerr.SessionNotFound(), recall.ENOTFOUND},
		{"TurnNotFound", storeerr.TurnNotFound(), recall.ENOTFOUND},
		{"UsernameTaken", storeerr.UsernameTaken(), recall.ECONFLICT},
		{"UserExists", storeerr.UserExists(), recall.ECONFLICT},
		{"TokenExists", storeerr.TokenExists(), recall.ECONFLICT},
		{"TopicExists", storeerr.TopicExists(), recall.ECONFLICT},
		{"SessionExists", storeerr.SessionExists(), recall.ECONFLICT},
		{"QuestionTaken", storeerr.QuestionTaken(), recall.ECONFLICT},
		{"SessionChanged", storeerr.SessionChanged(), recall.ECONFLICT},
		{"KeyUsed", storeerr.KeyUsed(), recall.ECONFLICT},
	} {
		if got := recall.ErrorCode(c.err); got != c.code {
			t.Errorf("%s: code %q, want %q", c.name, got, c.code)
		}
		if msg := recall.ErrorMessage(c.err); !strings.HasSuffix(msg, ".") || msg == "An internal error has occurred." {
			t.Errorf("%s: message %q, want a sentence for a person", c.name, msg)
		}
	}
}

func TestCheckTurn(t *testing.T) {
	ss := &recall.Session{ID: "s"}
	for _, c := range []struct {
		name string
		ss   *recall.Session
		t    *recall.Turn
		want string
	}{
		{"OK", ss, &recall.Turn{SessionID: "s"}, ""},
		{"OKSessionIDLeftOut", ss, &recall.Turn{}, ""},
		{"ErrNoSession", nil, &recall.Turn{}, recall.EINVALID},
		{"ErrNoTurn", ss, nil, recall.EINVALID},
		{"ErrOtherSession", ss, &recall.Turn{SessionID: "other"}, recall.EINVALID},
	} {
		if got := recall.ErrorCode(storeerr.CheckTurn(c.ss, c.t)); got != c.want {
			t.Errorf("%s: code %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCheckQuestions(t *testing.T) {
	t1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	t2, t3 := t1.Add(time.Hour), t1.Add(2*time.Hour)
	for _, c := range []struct {
		name   string
		qs     []*recall.Question
		latest time.Time
		code   string
		msg    string
	}{
		{"OKNone", nil, time.Time{}, "", ""},
		{"OKOne", []*recall.Question{{CreatedAt: t2}}, t2, "", ""},
		{"OKLatestInTheMiddle", []*recall.Question{{CreatedAt: t1}, {CreatedAt: t3}, {CreatedAt: t2}}, t3, "", ""},
		{"ErrFirstMissing", []*recall.Question{nil, {CreatedAt: t1}}, time.Time{}, recall.EINVALID, "Question 0 is missing."},
		{"ErrLaterMissing", []*recall.Question{{CreatedAt: t1}, {CreatedAt: t2}, nil}, time.Time{}, recall.EINVALID, "Question 2 is missing."},
	} {
		latest, err := storeerr.CheckQuestions(c.qs)
		if got := recall.ErrorCode(err); got != c.code {
			t.Errorf("%s: code %q, want %q", c.name, got, c.code)
		}
		if err != nil {
			if msg := recall.ErrorMessage(err); msg != c.msg {
				t.Errorf("%s: message %q, want %q", c.name, msg, c.msg)
			}
		}
		if !latest.Equal(c.latest) {
			t.Errorf("%s: latest %v, want %v", c.name, latest, c.latest)
		}
	}
}

func TestUnavailable(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	err := storeerr.Unavailable(cause)
	if code, msg := recall.ErrorCode(err), recall.ErrorMessage(err); code != recall.EUNAVAILABLE || msg != "The database is unavailable." {
		t.Errorf("code %q, message %q; want %q, %q", code, msg, recall.EUNAVAILABLE, "The database is unavailable.")
	}
	if !errors.Is(err, cause) {
		t.Errorf("%v does not wrap its cause", err)
	}
	if !strings.Contains(err.Error(), cause.Error()) {
		t.Errorf("Error() = %q, want the cause in it", err.Error())
	}
}

// classifyStub stands for an engine's Classify: "dup" is a conflict, "down"
// makes the database unavailable, anything else is unknown.
func classifyStub(err error) (code, msg string) {
	switch {
	case strings.Contains(err.Error(), "dup"):
		return recall.ECONFLICT, "It exists already."
	case strings.Contains(err.Error(), "down"):
		return recall.EUNAVAILABLE, ""
	}
	return recall.EINTERNAL, ""
}

func TestFail(t *testing.T) {
	ctx := t.Context()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	domain := recall.Errorf(recall.ENOTFOUND, "Topic not found.")
	for _, c := range []struct {
		name      string
		ctx       context.Context
		err       error
		code, msg string
		cause     bool // the error wraps err
	}{
		{"domain error passes", ctx, domain, recall.ENOTFOUND, "Topic not found.", true},
		{"domain error passes a done context", cancelled, domain, recall.ENOTFOUND, "Topic not found.", true},
		{"classified", ctx, errors.New("dup key"), recall.ECONFLICT, "It exists already.", false},
		{"unavailable keeps the cause", ctx, errors.New("server down"), recall.EUNAVAILABLE, "The database is unavailable.", true},
		{"driver's own timeout", ctx, fmt.Errorf("dial: %w", context.DeadlineExceeded), recall.EUNAVAILABLE, "The database is unavailable.", true},
		{"unknown is internal", ctx, errors.New("cannot encode"), recall.EINTERNAL, "", true},
	} {
		err := storeerr.Fail(c.ctx, "engine", "Topics", c.err, classifyStub)
		if code := recall.ErrorCode(err); code != c.code {
			t.Errorf("%s: %v has code %q, want %q", c.name, err, code, c.code)
		}
		if c.msg != "" && recall.ErrorMessage(err) != c.msg {
			t.Errorf("%s: message %q, want %q", c.name, recall.ErrorMessage(err), c.msg)
		}
		if c.cause && !errors.Is(err, c.err) {
			t.Errorf("%s: %v lost its cause", c.name, err)
		}
		if c.code == recall.EINTERNAL && !strings.HasPrefix(err.Error(), "engine: Topics: ") {
			t.Errorf("%s: %q does not name the engine and the method", c.name, err)
		}
	}
	if err := storeerr.Fail(ctx, "engine", "Topics", nil, classifyStub); err != nil {
		t.Errorf("Fail(nil) = %v", err)
	}
	// Once the caller's context is done, its error wins over the driver's
	// words for the interruption, and over a conflict.
	for _, in := range []error{errors.New("server down"), errors.New("dup key"), io.ErrUnexpectedEOF} {
		if err := storeerr.Fail(cancelled, "engine", "Topics", in, classifyStub); err != context.Canceled {
			t.Errorf("Fail(cancelled, %v) = %v, want context.Canceled", in, err)
		}
	}
}

func TestWrap(t *testing.T) {
	ctx := t.Context()
	// A conflict outside a store method is a bug, not a conflict to show.
	err := storeerr.Wrap(ctx, "engine", "migrate", errors.New("dup key"), classifyStub)
	if recall.ErrorCode(err) != recall.EINTERNAL || err.Error() != "engine: migrate: dup key" {
		t.Errorf("Wrap(conflict) = %v (code %q)", err, recall.ErrorCode(err))
	}
	cause := errors.New("server down")
	if err := storeerr.Wrap(ctx, "engine", "migrate", cause, classifyStub); recall.ErrorCode(err) != recall.EUNAVAILABLE || !errors.Is(err, cause) {
		t.Errorf("Wrap(unavailable) = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := storeerr.Wrap(cancelled, "engine", "migrate", cause, classifyStub); err != context.Canceled {
		t.Errorf("Wrap(cancelled) = %v, want context.Canceled", err)
	}
}

func TestPingFailed(t *testing.T) {
	ctx := t.Context()
	cause := errors.New("no schema")
	err := storeerr.PingFailed(ctx, "engine", cause)
	if recall.ErrorCode(err) != recall.EUNAVAILABLE || !errors.Is(err, cause) || !strings.Contains(err.Error(), "engine: Ping") {
		t.Errorf("PingFailed(other) = %v", err)
	}
	if again := storeerr.PingFailed(ctx, "engine", err); again != err {
		t.Errorf("PingFailed(unavailable) = %v, want it unchanged", again)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := storeerr.PingFailed(cancelled, "engine", cause); err != context.Canceled {
		t.Errorf("PingFailed(cancelled) = %v, want context.Canceled", err)
	}
}
