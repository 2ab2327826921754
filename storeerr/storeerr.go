// Package storeerr holds the errors that every primary store (sqlite,
// postgres, firestore) returns alike: the not-found and conflict errors of
// the store contract, worded once so that the engines cannot drift apart,
// the checks of SaveTurn's and AddQuestions' arguments, the unavailable
// error, an error type that carries a domain error together with the driver
// error behind it, and the translation of driver errors (Fail, Wrap,
// PingFailed), to which each engine adds only its Classify.
package storeerr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/recallhq/recall"
)

// UserNotFound is the error for a user that does not exist.
func UserNotFound() error { return recall.Errorf(recall.ENOTFOUND, "User not found.") }

// TokenNotFound is the error for a token hash that is not stored.
func TokenNotFound() error { return recall.Errorf(recall.ENOTFOUND, "Token not found.") }

// TopicNotFound is the error for a topic that does not exist or is another
// user's.
func TopicNotFound() error { return recall.Errorf(recall.ENOTFOUND, "Topic not found.") }

// QuestionNotFound is the error for a question that is not in the topic or
// whose topic is not the user's.
func QuestionNotFound() error { return recall.Errorf(recall.ENOTFOUND, "Question not found.") }

// SessionNotFound is the error for a session that does not exist.
func SessionNotFound() error { return recall.Errorf(recall.ENOTFOUND, "Session not found.") }

// TurnNotFound is the error for a turn index a session does not have.
func TurnNotFound() error { return recall.Errorf(recall.ENOTFOUND, "Turn not found.") }

// UsernameTaken is the error for a username that another user has.
func UsernameTaken() error { return recall.Errorf(recall.ECONFLICT, "That username is taken.") }

// UserExists is the error for a user ID that is used already.
func UserExists() error { return recall.Errorf(recall.ECONFLICT, "That user exists already.") }

// TokenExists is the error for a token hash that is stored already.
func TokenExists() error { return recall.Errorf(recall.ECONFLICT, "That token exists already.") }

// TopicExists is the error for a topic ID that is used already.
func TopicExists() error { return recall.Errorf(recall.ECONFLICT, "That topic exists already.") }

// SessionExists is the error for a session ID that is used already.
func SessionExists() error { return recall.Errorf(recall.ECONFLICT, "That session exists already.") }

// QuestionTaken is the error for a question ID that is used already.
func QuestionTaken() error {
	return recall.Errorf(recall.ECONFLICT, "A question with that ID exists already.")
}

// SessionChanged is SaveTurn's error when the stored session is not the
// version the turn was built on, or already has a turn of its index.
func SessionChanged() error {
	return recall.Errorf(recall.ECONFLICT, "The session has changed; try again.")
}

// KeyUsed is SaveTurn's error when the turn's idempotency key is already
// used in the session.
func KeyUsed() error {
	return recall.Errorf(recall.ECONFLICT, "That idempotency key was already used in this session.")
}

// CheckTurn returns the EINVALID error SaveTurn gives when ss or t is
// missing or t belongs to another session than ss, and nil otherwise.
func CheckTurn(ss *recall.Session, t *recall.Turn) error {
	if ss == nil || t == nil {
		return recall.Errorf(recall.EINVALID, "No session or turn was given.")
	}
	if t.SessionID != "" && t.SessionID != ss.ID {
		return recall.Errorf(recall.EINVALID, "The turn belongs to another session.")
	}
	return nil
}

// CheckPage returns the EINVALID error Sessions gives for a page limit
// under 1 or a state it does not know, and nil otherwise.
func CheckPage(p recall.SessionPage) error {
	if p.Limit < 1 {
		return recall.Errorf(recall.EINVALID, "The page limit must be at least 1.")
	}
	switch p.State {
	case "", recall.SessionActive, recall.SessionCompleted, recall.SessionExpired:
		return nil
	}
	return recall.Errorf(recall.EINVALID, "The session state is not known.")
}

// CheckQuestions returns the EINVALID error AddQuestions gives when one of
// qs is nil, and otherwise the latest CreatedAt of qs (the zero time for
// none) and nil.
func CheckQuestions(qs []*recall.Question) (latest time.Time, err error) {
	for i, q := range qs {
		if q == nil {
			return time.Time{}, recall.Errorf(recall.EINVALID, "Question %d is missing.", i)
		}
		if i == 0 || q.CreatedAt.After(latest) {
			latest = q.CreatedAt
		}
	}
	return latest, nil
}

// Unavailable returns an EUNAVAILABLE error that keeps its cause for the
// log (errors.Unwrap), while users only see the message.
func Unavailable(cause error) error {
	return WithCause(recall.Errorf(recall.EUNAVAILABLE, "The database is unavailable."), cause)
}

// WithCause returns an error that is err to the caller (recall.ErrorCode
// and recall.ErrorMessage see err's code and message) and keeps cause in
// its chain and its Error text, for the log.
func WithCause(err *recall.Error, cause error) error {
	return &causedError{err: err, cause: cause}
}

// causedError is a domain error with the error that caused it.
type causedError struct {
	err   *recall.Error
	cause error
}

func (e *causedError) Error() string   { return e.err.Error() + ": " + e.cause.Error() }
func (e *causedError) Unwrap() []error { return []error{e.err, e.cause} }

// Classify maps a driver error of one engine to the domain code it stands
// for and, for a code other than EUNAVAILABLE and EINTERNAL, a message for
// a person. An error it does not know is EINTERNAL.
type Classify func(err error) (code, msg string)

// Fail translates err, returned by the store method op of engine (the
// package name: "sqlite"), into the error the caller gets:
//   - nil and domain errors (*recall.Error) pass unchanged;
//   - once ctx is done, the context's error, since drivers report an
//     interrupted statement in their own words;
//   - a context error while ctx is not done (a timeout of the driver's own)
//     and what classify calls EUNAVAILABLE: Unavailable, keeping the cause;
//   - another code classify gives: a domain error with classify's message;
//   - anything else: an internal error "engine: op: err".
func Fail(ctx context.Context, engine, op string, err error, classify Classify) error {
	if err == nil {
		return nil
	}
	var re *recall.Error
	if errors.As(err, &re) {
		return err
	}
	if ctx.Err() == nil {
		if code, msg := classifyAll(err, classify); code != recall.EUNAVAILABLE && code != recall.EINTERNAL {
			return &recall.Error{Code: code, Message: msg}
		}
	}
	return Wrap(ctx, engine, op, err, classify)
}

// Wrap translates err, which happened outside a store method while the
// store of engine was doing what (say "migrate"): the context's error once
// ctx is done, Unavailable where Fail would give it, and otherwise an
// internal error "engine: what: err", whatever code classify gives (a
// unique violation in a migration is a bug, not a conflict to show).
func Wrap(ctx context.Context, engine, what string, err error, classify Classify) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	err = fmt.Errorf("%s: %s: %w", engine, what, err)
	if code, _ := classifyAll(err, classify); code == recall.EUNAVAILABLE {
		return Unavailable(err)
	}
	return err
}

// PingFailed returns the error of a failed Ping of engine: the context's
// error once ctx is done and otherwise Unavailable, since whatever keeps
// the database from answering makes it unavailable.
func PingFailed(ctx context.Context, engine string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if recall.ErrorCode(err) == recall.EUNAVAILABLE {
		return err
	}
	return Unavailable(fmt.Errorf("%s: Ping: %w", engine, err))
}

// classifyAll is classify, with a context error (the caller's context not
// being done) as EUNAVAILABLE.
func classifyAll(err error, classify Classify) (code, msg string) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return recall.EUNAVAILABLE, ""
	}
	return classify(err)
}

// ConversationNotFound is the error for a conversation that does not exist
// or is another user's.
func ConversationNotFound() error { return recall.Errorf(recall.ENOTFOUND, "Conversation not found.") }

// ConversationExists is the error for a conversation ID that is used
// already.
func ConversationExists() error {
	return recall.Errorf(recall.ECONFLICT, "That conversation exists already.")
}

// ConversationChanged is SaveConversation's error when the stored
// conversation is not the version the change was built on, a message index
// is taken or an idempotency key is used.
func ConversationChanged() error {
	return recall.Errorf(recall.ECONFLICT, "The conversation has changed; try again.")
}

// MessageNotFound is the error for a message a conversation does not have.
func MessageNotFound() error { return recall.Errorf(recall.ENOTFOUND, "Message not found.") }

// CheckConversation returns the EINVALID error SaveConversation gives when c
// is missing or a message belongs to another conversation, and nil
// otherwise.
func CheckConversation(c *recall.Conversation, msgs []*recall.Message) error {
	if c == nil {
		return recall.Errorf(recall.EINVALID, "No conversation was given.")
	}
	for _, m := range msgs {
		if m == nil || m.ConversationID != "" && m.ConversationID != c.ID {
			return recall.Errorf(recall.EINVALID, "A message belongs to another conversation.")
		}
	}
	return nil
}

// CheckConversationPage returns the EINVALID error of a page limit under 1.
func CheckConversationPage(limit int) error {
	if limit < 1 {
		return recall.Errorf(recall.EINVALID, "The page limit must be at least 1.")
	}
	return nil
}
