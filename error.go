// Package recall holds the domain of the Recall learning backend: its types,
// their validation, the error codes every layer speaks, and the interfaces
// that the storage, cache, session-state and rate-limit adapters implement.
//
// The package imports no adapter. Each technology lives in a package of its
// own (sqlite, redis, inmem, ...) and cmd/recall wires them together.
package recall

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error codes. The http package holds the only table that maps them to
// HTTP statuses.
const (
	EINVALID      = "invalid"
	EUNAUTHORIZED = "unauthorized"
	// EFORBIDDEN says that a signed-in user lacks the role an operation
	// needs (admin operations only: data of another user is ENOTFOUND).
	EFORBIDDEN   = "forbidden"
	ENOTFOUND    = "not_found"
	ECONFLICT    = "conflict"
	ETOOLARGE    = "too_large"
	ERATELIMITED = "rate_limited"
	EINTERNAL    = "internal"
	EUNAVAILABLE = "unavailable"
	// ENOTHINGDUE says that a due session has nothing to ask yet: no
	// question is due and no new one is left for today. Error.NextDueAt
	// says when the next one is due.
	ENOTHINGDUE = "nothing_due"
)

// Error is the domain error: a code from the list above and a message meant
// for a person. Fields, when set, names the invalid input fields; Lines,
// when set, the bad lines of an uploaded text (notes, a card file).
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	// NextDueAt is set on ENOTHINGDUE: when the next question is due
	// (zero if none ever will be).
	NextDueAt time.Time
	Lines     []LineProblem
}

// LineProblem is what is wrong on one line of an uploaded text.
type LineProblem struct {
	// Line is 1-based.
	Line int `json:"line"`
	// Message says what is wrong, for a person.
	Message string `json:"message"`
}

// ErrorLines returns the Lines of the first *Error in err's chain.
func ErrorLines(err error) []LineProblem {
	var e *Error
	if errors.As(err, &e) {
		return e.Lines
	}
	return nil
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("recall error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming one bad field.
// A message that is not already a sentence ("must be positive") is
// prefixed with the field's name to make one ("count must be positive.").
func Invalid(field, message string) *Error {
	sentence := message
	if !strings.HasSuffix(message, ".") {
		sentence = field + " " + message + "."
	}
	return &Error{Code: EINVALID, Message: sentence, Fields: map[string]string{field: message}}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message for any other error: internals never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error has occurred."
}

// ErrorFields returns the invalid fields named by err, if any.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// ErrorNextDueAt returns the NextDueAt of err, if it has one.
func ErrorNextDueAt(err error) time.Time {
	var e *Error
	if errors.As(err, &e) {
		return e.NextDueAt
	}
	return time.Time{}
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool {
	return err != nil && ErrorCode(err) == code
}
