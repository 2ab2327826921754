package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/recallhq/recall"
)

// The values the decorators keep in a Backend are in a compact binary
// format of their own rather than JSON: a hit that is not in the memo
// decodes its value, and a topic list of the default bench data set (10
// topics, 30 question ids each) decodes about ten times faster this way,
// with a single string allocation for all of its text. See
// BenchmarkCodec.
//
// Every value starts with formatVersion, a byte no JSON document starts
// with; a value that is not of this format (one a Recall of another
// version wrote, or damage) fails to decode and is treated like any
// corrupt entry: dropped and loaded again from the primary store.
//
// The format is a sequence of
//   - unsigned integers as uvarints (lengths, counts, stats counters, which
//     are never negative);
//   - strings as their length then their bytes;
//   - string lists as 0 for nil, otherwise the count plus one, then the
//     strings, so that nil and empty lists survive the round trip;
//   - times as the Unix second (a varint) then the nanosecond (a uvarint),
//     decoded in UTC, which is what the stores return.
//
// Decoding is strict: a short, over-long or malformed value is an error.
const formatVersion byte = 1

// errFormat is a cached value that is not in the format this Recall writes.
var errFormat = errors.New("cache: value is not in this version's format")

type encoder struct{ b []byte }

// newEncoder starts a value of this format (formatVersion).
func newEncoder(sizeHint int) *encoder { return newEncoderOf(formatVersion, sizeHint) }

// newEncoderOf starts a value whose first byte is version: a kind of value
// whose format changes apart from the others (see sessionFormat) has a
// version of its own.
func newEncoderOf(version byte, sizeHint int) *encoder {
	e := &encoder{b: make([]byte, 0, sizeHint+1)}
	e.b = append(e.b, version)
	return e
}

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// count writes a non-negative int.
func (e *encoder) count(v int) error {
	if v < 0 {
		return fmt.Errorf("cache: cannot encode the negative count %d", v)
	}
	e.uint(uint64(v))
	return nil
}

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) list(l []string) {
	if l == nil {
		e.uint(0)
		return
	}
	e.uint(uint64(len(l)) + 1)
	for _, s := range l {
		e.str(s)
	}
}

// float writes a tolerance: a finite number ≥ 0, as the uvarint of its
// IEEE 754 bits (one byte for the usual 0).
func (e *encoder) float(v float64) { e.uint(math.Float64bits(v)) }

func (e *encoder) time(t time.Time) {
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.uint(uint64(t.Nanosecond()))
}

// decoder reads a value. b and s hold the same bytes: numbers are read
// from b, and strings are cut out of s, so that all the strings of a value
// share one allocation. The first error sticks; later reads return zero
// values.
type decoder struct {
	b   []byte
	s   string
	i   int
	err error
}

// newDecoder reads a value of this format (formatVersion).
func newDecoder(val []byte) *decoder { return newDecoderOf(formatVersion, val) }

// newDecoderOf reads a value that must start with version.
func newDecoderOf(version byte, val []byte) *decoder {
	if len(val) == 0 || val[0] != version {
		return &decoder{err: errFormat}
	}
	return &decoder{b: val, s: string(val), i: 1}
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("cache: malformed value: %s at byte %d", what, d.i)
	}
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.i:])
	if n <= 0 || overlong(d.b[d.i:], n) {
		d.fail("bad unsigned integer")
		return 0
	}
	d.i += n
	return v
}

// overlong reports whether the n-byte varint at the start of b has
// redundant trailing groups (a last byte of 0): the encoder never writes
// one, so a value that holds one is not canonical and is refused.
func overlong(b []byte, n int) bool { return n > 1 && b[n-1] == 0 }

// count reads a count that must fit an int.
func (d *decoder) count() int {
	v := d.uint()
	if v > math.MaxInt {
		d.fail("count out of range")
		return 0
	}
	return int(v)
}

// items checks v, the number of items that follow, against the bytes
// left, each item taking at least minBytes of them: a damaged count is an
// error rather than a huge allocation. What a count can allocate stays
// within a small multiple of the value's size (a string header, 16 bytes,
// per byte of a list; a decoded topic, about 180 bytes, per topicMinBytes).
func (d *decoder) items(v uint64, minBytes int) int {
	if v > uint64((len(d.b)-d.i)/minBytes) {
		d.fail("more items than bytes")
		return 0
	}
	return int(v)
}

// topicMinBytes is the size of the smallest encoded topic: four empty
// strings, a nil list, three zero counts, an absent LastStudiedAt and two
// times of one-byte second and nanosecond.
const topicMinBytes = 4 + 1 + 3 + 1 + 2*2

func (d *decoder) str() string {
	n := d.uint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)-d.i) {
		d.fail("string longer than the value")
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) list() []string {
	n := d.uint()
	if n == 0 || d.err != nil {
		return nil
	}
	l := make([]string, d.items(n-1, 1))
	for i := range l {
		l[i] = d.str()
	}
	return l
}

// float reads a tolerance; anything but a finite number ≥ 0 (which the
// stores never hold) is an error, so that every value that decodes is one
// the encoder writes.
func (d *decoder) float() float64 {
	v := math.Float64frombits(d.uint())
	if d.err == nil && !(v >= 0 && v <= math.MaxFloat64) {
		d.fail("tolerance out of range")
		return 0
	}
	return v
}

func (d *decoder) time() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	sec, n := binary.Varint(d.b[d.i:])
	if n <= 0 || overlong(d.b[d.i:], n) {
		d.fail("bad time")
		return time.Time{}
	}
	d.i += n
	nsec := d.uint()
	if nsec >= uint64(time.Second) {
		d.fail("nanoseconds out of range")
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// end reports the first error, or an error if bytes are left over.
func (d *decoder) end() error {
	if d.err == nil && d.i != len(d.b) {
		d.fail("trailing bytes")
	}
	return d.err
}

func encodeTopics(ts []*recall.Topic) (entry, error) {
	size := 0
	for _, t := range ts {
		if t == nil {
			return entry{}, errNilItem
		}
		size += 64 + len(t.ID) + len(t.UserID) + len(t.Title) + len(t.Description)
		for _, id := range t.QuestionIDs {
			size += 1 + len(id)
		}
	}
	e := newEncoder(size)
	e.uint(uint64(len(ts)))
	for _, t := range ts {
		e.str(t.ID)
		e.str(t.UserID)
		e.str(t.Title)
		e.str(t.Description)
		e.list(t.QuestionIDs)
		for _, n := range []int{t.Stats.SessionsCompleted, t.Stats.Answers, t.Stats.Correct} {
			if err := e.count(n); err != nil {
				return entry{}, err
			}
		}
		if t.Stats.LastStudiedAt == nil {
			e.uint(0)
		} else {
			e.uint(1)
			e.time(*t.Stats.LastStudiedAt)
		}
		e.time(t.CreatedAt)
		e.time(t.UpdatedAt)
	}
	return entry{val: e.b}, nil
}

// decodeTopics decodes a topic list. Its topics share a few backing arrays
// (see cloneTopics): a caller that appends to a slice reallocates it.
func decodeTopics(en entry) ([]*recall.Topic, error) {
	d := newDecoder(en.val)
	n := d.items(d.uint(), topicMinBytes)
	structs := make([]recall.Topic, n)
	ts := make([]*recall.Topic, n)
	for i := range ts {
		t := &structs[i]
		t.ID = d.str()
		t.UserID = d.str()
		t.Title = d.str()
		t.Description = d.str()
		t.QuestionIDs = d.list()
		t.Stats.SessionsCompleted = d.count()
		t.Stats.Answers = d.count()
		t.Stats.Correct = d.count()
		switch d.uint() {
		case 0:
		case 1:
			at := d.time()
			t.Stats.LastStudiedAt = &at
		default:
			d.fail("bad presence flag")
		}
		t.CreatedAt = d.time()
		t.UpdatedAt = d.time()
		ts[i] = t
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return ts, nil
}

// questionFormat is the first byte of an encoded question. Questions have
// a version of their own: version 2 added the numeric tolerances and the
// unit after the hint; a question cached by a Recall that wrote version 1
// (the shared formatVersion) is dropped and loaded again.
const questionFormat byte = 2

func encodeQuestion(q *recall.Question) []byte {
	e := newEncoderOf(questionFormat, 64+len(q.ID)+len(q.TopicID)+len(q.Prompt)+len(q.Explanation)+len(q.Hint)+len(q.Unit))
	e.str(q.ID)
	e.str(q.TopicID)
	e.str(q.Prompt)
	e.list(q.Answers)
	e.list(q.Choices)
	e.str(q.Explanation)
	e.str(q.Hint)
	e.float(q.AbsTol)
	e.float(q.RelTol)
	e.str(q.Unit)
	e.time(q.CreatedAt)
	e.time(q.UpdatedAt)
	return e.b
}

func decodeQuestion(val []byte) (*recall.Question, error) {
	d := newDecoderOf(questionFormat, val)
	q := &recall.Question{
		ID:          d.str(),
		TopicID:     d.str(),
		Prompt:      d.str(),
		Answers:     d.list(),
		Choices:     d.list(),
		Explanation: d.str(),
		Hint:        d.str(),
		AbsTol:      d.float(),
		RelTol:      d.float(),
		Unit:        d.str(),
		CreatedAt:   d.time(),
		UpdatedAt:   d.time(),
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return q, nil
}

// encodeOrder and decodeOrder are the bank order of a question-bank hash.
func encodeOrder(ids []string) []byte {
	e := newEncoder(len(ids) * 27)
	e.list(ids)
	return e.b
}

func decodeOrder(val []byte) ([]string, error) {
	d := newDecoder(val)
	ids := d.list()
	if err := d.end(); err != nil {
		return nil, err
	}
	return ids, nil
}

func encodeToken(t *recall.Token) (entry, error) {
	if t == nil {
		return entry{}, errNilItem
	}
	e := newEncoder(32 + len(t.Hash) + len(t.UserID))
	e.str(string(t.Hash))
	e.str(t.UserID)
	e.time(t.CreatedAt)
	e.time(t.ExpiresAt)
	return entry{val: e.b}, nil
}

func decodeToken(en entry) (*recall.Token, error) {
	d := newDecoder(en.val)
	t := &recall.Token{}
	if h := d.str(); h != "" {
		t.Hash = []byte(h)
	}
	t.UserID = d.str()
	t.CreatedAt = d.time()
	t.ExpiresAt = d.time()
	if err := d.end(); err != nil {
		return nil, err
	}
	return t, nil
}
