package cache

import (
	"errors"
	"fmt"
	"math"

	"github.com/recallhq/recall"
)

// conversationFormat is the first byte of an encoded conversation state.
// Like sessions, conversations have a format version of their own: it
// follows recall.Conversation and the conversation caches. A value of
// another version, or one not in this format at all, does not decode: the
// cache drops it and the state is rebuilt from the store.
//
// After the version byte, in the primitives of the cache format (see
// formatVersion):
//
//	ID, UserID, TopicID, Title, State  strings
//	Messages, Version                  unsigned integers
//	Summary                            string
//	QuestionIDs                        string list (nil and empty kept apart)
//	Quizzing                           string
//	CreatedAt, UpdatedAt               times (decoded in UTC)
//	Recent                             0 for nil, else the count plus one,
//	                                   then each message: Index (unsigned),
//	                                   Role, Content (strings), QuestionIDs
//	                                   (string list), Correct (0 nil, 1
//	                                   false, 2 true), Tutor (string),
//	                                   CreatedAt (time), IdempotencyKey
//	                                   (string); its ConversationID is the
//	                                   conversation's; indexes strictly
//	                                   increasing
//	KeyHashes                          the count, then each hash (unsigned)
//	KeysFrom                           unsigned integer
//
// The encoding is canonical: a value that decodes encodes again to the
// same bytes.
//
// Format 1 had no KeyHashes and KeysFrom. Format 2 is skipped: it is the
// session format's, and a session's value must never pass for a
// conversation's.
const conversationFormat byte = 3

// conversationMinMessageBytes is the size of the smallest encoded message.
const conversationMinMessageBytes = 1 + 1 + 1 + 1 + 1 + 1 + 2 + 1

// EncodeConversation returns c in the conversation cache format. It fails
// only for a state no store would hold: nil, a negative counter, or a
// recent message of another conversation or out of order.
func EncodeConversation(c *recall.Conversation) ([]byte, error) {
	if c == nil {
		return nil, errors.New("cache: no conversation to encode")
	}
	size := 48 + len(c.ID) + len(c.UserID) + len(c.TopicID) + len(c.Title) + len(c.Summary) + len(c.Quizzing)
	for _, id := range c.QuestionIDs {
		size += 1 + len(id)
	}
	for _, m := range c.Recent {
		size += 24 + len(m.Content) + len(m.IdempotencyKey) + 8*len(m.QuestionIDs)
	}
	size += 10 * len(c.KeyHashes)
	e := newEncoderOf(conversationFormat, size)
	e.str(c.ID)
	e.str(c.UserID)
	e.str(c.TopicID)
	e.str(c.Title)
	e.str(string(c.State))
	if err := e.count(c.Messages); err != nil {
		return nil, err
	}
	if c.Version < 0 {
		return nil, fmt.Errorf("cache: cannot encode the negative conversation version %d", c.Version)
	}
	e.uint(uint64(c.Version))
	e.str(c.Summary)
	e.list(c.QuestionIDs)
	e.str(c.Quizzing)
	e.time(c.CreatedAt)
	e.time(c.UpdatedAt)
	if c.Recent == nil {
		e.uint(0)
	} else {
		e.uint(uint64(len(c.Recent)) + 1)
	}
	for i, m := range c.Recent {
		if m == nil || m.ConversationID != c.ID {
			return nil, errors.New("cache: a recent message is not the conversation's")
		}
		if i > 0 && m.Index <= c.Recent[i-1].Index {
			return nil, errors.New("cache: recent messages out of order")
		}
		if err := e.count(m.Index); err != nil {
			return nil, err
		}
		e.str(string(m.Role))
		e.str(m.Content)
		e.list(m.QuestionIDs)
		switch {
		case m.Correct == nil:
			e.uint(0)
		case *m.Correct:
			e.uint(2)
		default:
			e.uint(1)
		}
		e.str(m.Tutor)
		e.time(m.CreatedAt)
		e.str(m.IdempotencyKey)
	}
	e.uint(uint64(len(c.KeyHashes)))
	for _, h := range c.KeyHashes {
		e.uint(h)
	}
	if err := e.count(c.KeysFrom); err != nil {
		return nil, err
	}
	return e.b, nil
}

// DecodeConversation decodes a state that EncodeConversation returned. Any
// other value is an error.
func DecodeConversation(val []byte) (*recall.Conversation, error) {
	d := newDecoderOf(conversationFormat, val)
	c := &recall.Conversation{
		ID:       d.str(),
		UserID:   d.str(),
		TopicID:  d.str(),
		Title:    d.str(),
		State:    recall.ConversationState(d.str()),
		Messages: d.count(),
	}
	if v := d.uint(); v > math.MaxInt64 {
		d.fail("version out of range")
	} else {
		c.Version = int64(v)
	}
	c.Summary = d.str()
	c.QuestionIDs = d.list()
	c.Quizzing = d.str()
	c.CreatedAt = d.time()
	c.UpdatedAt = d.time()
	if n := d.uint(); n > 0 && d.err == nil {
		n := d.items(n-1, conversationMinMessageBytes)
		c.Recent = make([]*recall.Message, 0, n)
		for i := range n {
			m := &recall.Message{ConversationID: c.ID, Index: d.count(), Role: recall.MessageRole(d.str()),
				Content: d.str(), QuestionIDs: d.list()}
			switch d.uint() {
			case 0:
			case 1:
				f := false
				m.Correct = &f
			case 2:
				t := true
				m.Correct = &t
			default:
				d.fail("bad correct flag")
			}
			m.Tutor = d.str()
			m.CreatedAt = d.time()
			m.IdempotencyKey = d.str()
			if i > 0 && m.Index <= c.Recent[i-1].Index && d.err == nil {
				d.fail("recent messages out of order")
			}
			c.Recent = append(c.Recent, m)
		}
	}
	if n := d.items(d.uint(), 1); n > 0 {
		c.KeyHashes = make([]uint64, n)
		for i := range c.KeyHashes {
			c.KeyHashes[i] = d.uint()
		}
	}
	c.KeysFrom = d.count()
	if err := d.end(); err != nil {
		return nil, err
	}
	return c, nil
}
