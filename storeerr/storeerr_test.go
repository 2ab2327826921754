package storeerr_test

import (
	"errors"
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
