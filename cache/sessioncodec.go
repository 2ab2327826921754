package cache

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/recallhq/recall"
)

// sessionFormat is the first byte of an encoded session. Sessions have a
// version of their own, apart from formatVersion, because their format
// follows recall.Session and the session caches rather than the
// decorators: a change to either moves one of the two only.
//
// A session cache that is shared between processes (Redis) is read by
// every Recall of a rolling upgrade. A value of another version, or one
// that is not in this format at all (the JSON that Recall wrote before
// this format, or damage), does not decode: the cache drops it and the
// session is loaded again from its store. Never is a value half decoded,
// with the fields it does not know left zero, and then saved back.
//
// After the version byte, in the primitives of the cache format (see
// formatVersion):
//
//	ID, UserID, TopicID, State     strings
//	QuestionIDs                    string list (nil and empty kept apart)
//	Current, Answered, Correct,
//	Skipped, Turns, Version        unsigned integers
//	IdempotencyKeys                0 for nil, else the count plus one, then
//	                               each key (a string) and its turn index
//	                               (an unsigned integer), keys in strictly
//	                               increasing byte order
//	CreatedAt, UpdatedAt           times (decoded in UTC)
//	Hinted                         0 or 1 (since version 2)
//	Memories                       0 for nil, else the count plus one, then
//	                               each question id (a string, in strictly
//	                               increasing byte order) and its memory
//	                               state: State, then Stability and
//	                               Difficulty (IEEE 754 bits), Due,
//	                               ScheduledDays, Reps, Lapses (unsigned
//	                               integers), FirstReview, LastReview
//	                               (times); its UserID and TopicID are the
//	                               session's, its QuestionID the id
//
// The encoding is canonical: a value that decodes encodes again to the
// same bytes, so two encodings of one session compare equal.
const sessionFormat byte = 2

// sessionMinKeyBytes is the size of the smallest encoded idempotency key:
// an empty string and a one-byte turn index.
const sessionMinKeyBytes = 2

// EncodeSession returns s in the session cache format. It fails only for
// a session that no store would hold: nil, or with a negative counter.
func EncodeSession(s *recall.Session) ([]byte, error) {
	if s == nil {
		return nil, errors.New("cache: no session to encode")
	}
	size := 32 + len(s.ID) + len(s.UserID) + len(s.TopicID) + len(s.State)
	for _, id := range s.QuestionIDs {
		size += 1 + len(id)
	}
	for k := range s.IdempotencyKeys {
		size += 2 + len(k)
	}
	e := newEncoderOf(sessionFormat, size)
	e.str(s.ID)
	e.str(s.UserID)
	e.str(s.TopicID)
	e.str(string(s.State))
	e.list(s.QuestionIDs)
	for _, n := range []int{s.Current, s.Answered, s.Correct, s.Skipped, s.Turns} {
		if err := e.count(n); err != nil {
			return nil, err
		}
	}
	if s.Version < 0 {
		return nil, fmt.Errorf("cache: cannot encode the negative session version %d", s.Version)
	}
	e.uint(uint64(s.Version))
	if s.IdempotencyKeys == nil {
		e.uint(0)
	} else {
		keys := make([]string, 0, len(s.IdempotencyKeys))
		for k := range s.IdempotencyKeys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.uint(uint64(len(keys)) + 1)
		for _, k := range keys {
			e.str(k)
			if err := e.count(s.IdempotencyKeys[k]); err != nil {
				return nil, err
			}
		}
	}
	e.time(s.CreatedAt)
	e.time(s.UpdatedAt)
	if s.Hinted {
		e.uint(1)
	} else {
		e.uint(0)
	}
	if err := encodeSnapshot(e, s); err != nil {
		return nil, err
	}
	return e.b, nil
}

// sessionMinMemoryBytes is the size of the smallest encoded memory of a
// session: an empty id, seven one-byte numbers and three one-byte times.
const sessionMinMemoryBytes = 1 + 7 + 3*2

// encodeSnapshot writes s.Memories.
func encodeSnapshot(e *encoder, s *recall.Session) error {
	if s.Memories == nil {
		e.uint(0)
		return nil
	}
	ids := make([]string, 0, len(s.Memories))
	for id := range s.Memories {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	e.uint(uint64(len(ids)) + 1)
	for _, id := range ids {
		m := s.Memories[id]
		if m.QuestionID != id || m.UserID != s.UserID || m.TopicID != s.TopicID {
			return fmt.Errorf("cache: the memory of question %q is not the session's", id)
		}
		e.str(id)
		if err := e.memory(&m); err != nil {
			return err
		}
	}
	return nil
}

// decodeSnapshot reads what encodeSnapshot wrote into s.Memories.
func decodeSnapshot(d *decoder, s *recall.Session) {
	n := d.uint()
	if n == 0 || d.err != nil {
		return
	}
	count := d.items(n-1, sessionMinMemoryBytes)
	s.Memories = make(map[string]recall.Memory, count)
	prev := ""
	for i := range count {
		m := recall.Memory{UserID: s.UserID, TopicID: s.TopicID, QuestionID: d.str()}
		if i > 0 && cmp.Compare(m.QuestionID, prev) <= 0 && d.err == nil {
			d.fail("memories repeated or out of order")
		}
		d.memory(&m)
		s.Memories[m.QuestionID] = m
		prev = m.QuestionID
	}
}

// DecodeSession decodes a session that EncodeSession returned. Any other
// value is an error: one of another format version, a short or over-long
// one, one with idempotency keys repeated or out of order.
func DecodeSession(val []byte) (*recall.Session, error) {
	d := newDecoderOf(sessionFormat, val)
	s := &recall.Session{
		ID:          d.str(),
		UserID:      d.str(),
		TopicID:     d.str(),
		State:       recall.SessionState(d.str()),
		QuestionIDs: d.list(),
		Current:     d.count(),
		Answered:    d.count(),
		Correct:     d.count(),
		Skipped:     d.count(),
		Turns:       d.count(),
	}
	if v := d.uint(); v > math.MaxInt64 {
		d.fail("version out of range")
	} else {
		s.Version = int64(v)
	}
	if n := d.uint(); n > 0 && d.err == nil {
		n := d.items(n-1, sessionMinKeyBytes)
		s.IdempotencyKeys = make(map[string]int, n)
		prev := ""
		for i := range n {
			k := d.str()
			if i > 0 && cmp.Compare(k, prev) <= 0 && d.err == nil {
				d.fail("idempotency keys repeated or out of order")
			}
			s.IdempotencyKeys[k] = d.count()
			prev = k
		}
	}
	s.CreatedAt = d.time()
	s.UpdatedAt = d.time()
	switch d.uint() {
	case 0:
	case 1:
		s.Hinted = true
	default:
		d.fail("bad hinted flag")
	}
	decodeSnapshot(d, s)
	if err := d.end(); err != nil {
		return nil, err
	}
	return s, nil
}
