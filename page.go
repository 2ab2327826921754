package recall

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Lists that grow with a user's history are read a page at a time, newest
// first (by time, then ID), and continued from a Cursor: the position of
// the last item of the previous page. A page costs the same wherever it
// starts (every store serves it from an index), and an item added while a
// client pages, being newer, comes before the cursor: it neither shifts nor
// repeats the items after it.

// Page sizes.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// Cursor is a position in a list ordered by time, newest first, then by ID.
// The zero Cursor is the start of the list.
type Cursor struct {
	At time.Time
	ID string
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c.ID == "" }

// Before reports whether an item at (at, id) comes after the position c in
// the list, so on a page that continues from c.
func (c Cursor) Before(at time.Time, id string) bool {
	if c.IsZero() {
		return true
	}
	at, cat := at.UTC().Truncate(time.Microsecond), c.At.UTC().Truncate(time.Microsecond)
	return at.Before(cat) || at.Equal(cat) && id > c.ID
}

// cursorJSON is what an encoded cursor holds: microseconds and an ID.
type cursorJSON struct {
	T  int64  `json:"t"`
	ID string `json:"id"`
}

// String returns c in the opaque form clients send back: "" for the start
// of the list.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	b, _ := json.Marshal(cursorJSON{T: c.At.UnixMicro(), ID: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCursor decodes a cursor that String made; "" is the start of the
// list. Returns EINVALID (field "cursor") for anything else.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	bad := Invalid("cursor", "is not a cursor this server gave; start again without one")
	if len(s) > 1024 {
		return Cursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	var cj cursorJSON
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cj); err != nil || dec.More() || cj.ID == "" || !utf8.ValidString(cj.ID) || len(cj.ID) > 200 {
		return Cursor{}, bad
	}
	return Cursor{At: time.UnixMicro(cj.T).UTC(), ID: cj.ID}, nil
}

// ParseLimit reads a page size: "" gives DefaultPageLimit; anything but a
// whole number from 1 to MaxPageLimit is EINVALID (field "limit").
func ParseLimit(s string) (int, error) {
	if s == "" {
		return DefaultPageLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPageLimit {
		return 0, Invalid("limit", "must be a whole number from 1 to "+strconv.Itoa(MaxPageLimit))
	}
	return n, nil
}

// SessionPage asks a SessionStore for one page of a user's sessions,
// newest first (by CreatedAt, then ID).
type SessionPage struct {
	// After is where the page starts: after this position.
	After Cursor
	// Limit is the most sessions the page holds; at least 1.
	Limit int
	// State keeps only the sessions in this state at Now, as StateAt says
	// with Idle and Lifetime; "" keeps every session.
	State          SessionState
	Now            time.Time
	Idle, Lifetime time.Duration
}

// Includes reports whether s belongs on the page, Limit aside: it comes
// after the cursor and is in the state asked for.
func (p SessionPage) Includes(s *Session) bool {
	return p.After.Before(s.CreatedAt, s.ID) && (p.State == "" || s.StateAt(p.Now, p.Idle, p.Lifetime) == p.State)
}

// CursorOf returns the position of s in a list of sessions.
func CursorOf(s *Session) Cursor { return Cursor{At: s.CreatedAt, ID: s.ID} }
