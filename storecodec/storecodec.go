// Package storecodec holds the encodings of domain values that the SQL
// stores (sqlite and postgres) keep in JSON columns, so that both write and
// read the same bytes: lists of strings (question IDs, answers, choices),
// the idempotency keys a session's turns gather, and a turn's After session.
// ListOrNil and ListOrEmpty are the normalisations every store, firestore
// too, applies to the lists it returns and writes.
//
// The functions work on []byte; a store whose column type wants a string
// converts at its boundary. A nil []byte stands for SQL NULL.
package storecodec

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/recallhq/recall"
)

// EncodeList returns list as a JSON array of strings ("[]" for none, nil
// included).
func EncodeList(list []string) ([]byte, error) {
	if len(list) == 0 {
		return []byte("[]"), nil
	}
	return json.Marshal(list)
}

// DecodeList reads a JSON array of strings. NULL (nil) or an empty array
// gives nil.
func DecodeList(b []byte) ([]string, error) {
	if b == nil {
		return nil, nil
	}
	if list, ok := decodePlainList(b); ok {
		return list, nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	return ListOrNil(list), nil
}

// decodePlainList is DecodeList's fast path, for the lists that IDs make
// (a topic's question IDs, read on every topic-list miss): a compact array
// of strings of printable ASCII with no escape, such as SQLite's
// json_group_array and json.Marshal write. It reports false for anything
// else, which then goes through encoding/json, so the two never disagree:
// without a backslash no string can hold a quote, so each `","` is a
// separator, and an element holding a quote means the input was not such
// a list.
func decodePlainList(b []byte) ([]string, bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	inner := b[1 : len(b)-1]
	if len(inner) == 0 {
		return nil, true
	}
	if len(inner) < 2 || inner[0] != '"' || inner[len(inner)-1] != '"' {
		return nil, false
	}
	for _, c := range inner {
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return nil, false
		}
	}
	// One string for all the elements, sliced: one allocation.
	all := string(inner[1 : len(inner)-1])
	list := make([]string, 0, strings.Count(all, `","`)+1)
	for {
		i := strings.Index(all, `","`)
		if i < 0 {
			break
		}
		list = append(list, all[:i])
		all = all[i+3:]
	}
	list = append(list, all)
	for _, e := range list {
		if strings.IndexByte(e, '"') >= 0 {
			return nil, false
		}
	}
	return list, true
}

// ListOrNil returns nil for an empty list, list otherwise: the stores
// return no items as nil.
func ListOrNil(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}

// ListOrEmpty returns an empty, non-nil list for nil, list otherwise: a
// list that is never nil, for a topic's or session's question IDs (which
// the stores return as [] when there are none) and for the columns and
// fields that must not hold NULL.
func ListOrEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// EncodeQuestion returns the stored forms of q's answers (a JSON array,
// never NULL) and choices (a JSON array, or nil, NULL, when there are
// none).
func EncodeQuestion(q *recall.Question) (answers, choices []byte, err error) {
	if answers, err = EncodeList(q.Answers); err != nil {
		return nil, nil, err
	}
	if len(q.Choices) > 0 {
		if choices, err = json.Marshal(q.Choices); err != nil {
			return nil, nil, err
		}
	}
	return answers, choices, nil
}

// DecodeKeys reads a JSON object of idempotency keys and turn indexes, as
// a session's turns gather them. NULL (nil) gives an empty map, as does an
// empty object: a stored session always has a non-nil map.
func DecodeKeys(b []byte) (map[string]int, error) {
	keys := map[string]int{}
	if b == nil {
		return keys, nil
	}
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("decode idempotency keys: %w", err)
	}
	return keys, nil
}

// sessionDoc is the stored JSON form of a turn's After: explicit names, so
// that renaming a Go field cannot silently change stored data, and times
// as Unix microseconds.
type sessionDoc struct {
	ID              string         `json:"id"`
	UserID          string         `json:"user_id"`
	TopicID         string         `json:"topic_id"`
	State           string         `json:"state"`
	QuestionIDs     []string       `json:"question_ids"`
	Current         int            `json:"current"`
	Answered        int            `json:"answered"`
	Correct         int            `json:"correct"`
	Skipped         int            `json:"skipped"`
	Turns           int            `json:"turns"`
	Version         int64          `json:"version"`
	IdempotencyKeys map[string]int `json:"idempotency_keys,omitempty"`
	CreatedAt       int64          `json:"created_at_us"`
	UpdatedAt       int64          `json:"updated_at_us"`
}

// EncodeAfter returns the JSON form of a turn's After session; nil (NULL)
// for a nil session. Its times are kept as Unix microseconds, so they come
// back in UTC, floored to the microsecond.
func EncodeAfter(ss *recall.Session) ([]byte, error) {
	if ss == nil {
		return nil, nil
	}
	b, err := json.Marshal(sessionDoc{
		ID: ss.ID, UserID: ss.UserID, TopicID: ss.TopicID, State: string(ss.State),
		QuestionIDs: ss.QuestionIDs, Current: ss.Current, Answered: ss.Answered, Correct: ss.Correct,
		Skipped: ss.Skipped, Turns: ss.Turns, Version: ss.Version, IdempotencyKeys: ss.IdempotencyKeys,
		CreatedAt: ss.CreatedAt.UnixMicro(), UpdatedAt: ss.UpdatedAt.UnixMicro(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode after: %w", err)
	}
	return b, nil
}

// DecodeAfter reads what EncodeAfter wrote. No question IDs give nil, and
// a session without keys gets an empty map, like the sessions a store's
// Session returns.
func DecodeAfter(b []byte) (*recall.Session, error) {
	var d sessionDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("decode after: %w", err)
	}
	ss := &recall.Session{
		ID: d.ID, UserID: d.UserID, TopicID: d.TopicID, State: recall.SessionState(d.State),
		QuestionIDs: ListOrNil(d.QuestionIDs), Current: d.Current, Answered: d.Answered, Correct: d.Correct,
		Skipped: d.Skipped, Turns: d.Turns, Version: d.Version, IdempotencyKeys: d.IdempotencyKeys,
		CreatedAt: time.UnixMicro(d.CreatedAt).UTC(), UpdatedAt: time.UnixMicro(d.UpdatedAt).UTC(),
	}
	if ss.IdempotencyKeys == nil {
		ss.IdempotencyKeys = map[string]int{}
	}
	return ss, nil
}
