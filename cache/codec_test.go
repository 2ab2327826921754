package cache

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// oddTimes are times at the edges of what the format must carry.
func oddTimes() []time.Time {
	return []time.Time{
		{},
		time.Unix(0, 0).UTC(),
		time.Unix(-1, 999_999_999).UTC(),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 11, 26, 2, 30, 0, 123_456_000, time.UTC),
	}
}

func TestCodec_RoundTrip(t *testing.T) {
	for i, at := range oddTimes() {
		ts := sampleTopics()
		ts[0].CreatedAt, ts[1].UpdatedAt, ts[2].Stats.LastStudiedAt = at, at, &at
		ts[1].QuestionIDs = nil
		ts[2].Description = "é\x00\xff<&>\u2028" + strings.Repeat("x", 300)
		ts[2].Stats = recall.TopicStats{SessionsCompleted: 1 << 40, Answers: 3, Correct: 2, LastStudiedAt: &at}
		e, err := encodeTopics(ts)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeTopics(e); err != nil || !reflect.DeepEqual(got, ts) {
			t.Fatalf("time %d: topics round trip = %+v, %v; want %+v", i, got, err, ts)
		}

		qs := sampleQuestions()
		qs[1].CreatedAt, qs[2].UpdatedAt = at, at
		qs[0].Answers = nil
		e, err = encodeQuestions(qs)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeQuestions(e); err != nil || !reflect.DeepEqual(got, qs) {
			t.Fatalf("time %d: questions round trip = %+v, %v; want %+v", i, got, err, qs)
		}

		tok := &recall.Token{Hash: []byte{0, 1, 0xff}, UserID: "u1", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		e, err = encodeToken(tok)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeToken(e); err != nil || !reflect.DeepEqual(got, tok) {
			t.Fatalf("time %d: token round trip = %+v, %v; want %+v", i, got, err, tok)
		}
	}
	// Empty lists and banks.
	for _, ts := range [][]*recall.Topic{nil, {}} {
		e, err := encodeTopics(ts)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeTopics(e); err != nil || len(got) != 0 {
			t.Fatalf("an empty list decoded to %+v, %v", got, err)
		}
	}
	e, err := encodeQuestions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeQuestions(e); err != nil || len(got) != 0 {
		t.Fatalf("an empty bank decoded to %+v, %v", got, err)
	}
}

func TestCodec_Rejects(t *testing.T) {
	good, _ := encodeTopics(sampleTopics())
	json, _ := json.Marshal(sampleTopics())
	for name, val := range map[string][]byte{
		"empty":          nil,
		"json":           json,
		"other version":  append([]byte{formatVersion + 1}, good.val[1:]...),
		"truncated":      good.val[:len(good.val)-1],
		"trailing":       append(append([]byte(nil), good.val...), 0),
		"huge count":     {formatVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge string":    {formatVersion, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"bad varint":     {formatVersion, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
		"bad presence":   topicsWithFlag(t, 2),
		"bad nanosecond": tokenWithNanos(t, uint64(time.Second)),
	} {
		if name == "bad nanosecond" {
			if _, err := decodeToken(entry{val: val}); err == nil {
				t.Errorf("%s: decoded", name)
			}
			continue
		}
		if got, err := decodeTopics(entry{val: val}); err == nil {
			t.Errorf("%s: decoded to %+v", name, got)
		}
	}
	if _, err := encodeTopics([]*recall.Topic{nil}); err == nil {
		t.Error("a nil topic encoded")
	}
	neg := sampleTopics()
	neg[0].Stats.Answers = -1
	if _, err := encodeTopics(neg); err == nil {
		t.Error("a negative count encoded")
	}
	// A bank whose field holds another question than its name says.
	e, _ := encodeQuestions(sampleQuestions())
	e.fields["q1"] = e.fields["q2"]
	if _, err := decodeQuestions(e); err == nil {
		t.Error("a bank with a misfiled question decoded")
	}
}

// TestCodec_DamagedCountsAllocateLittle: a count that the bytes left could
// not hold is refused before anything of its size is allocated, and
// topicMinBytes is the size of the smallest topic.
func TestCodec_DamagedCountsAllocateLittle(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	e, err := encodeTopics([]*recall.Topic{{CreatedAt: epoch, UpdatedAt: epoch}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.val) - 2; n != topicMinBytes { // less the version byte and the count
		t.Fatalf("the smallest topic takes %d bytes; topicMinBytes is %d", n, topicMinBytes)
	}
	const size = 1 << 20
	for name, fill := range map[string]func(e *encoder){
		// A topic for every other byte: fewer than the bytes left, but
		// more than 1/topicMinBytes of them.
		"topics": func(e *encoder) { e.uint(size / 2) },
		// A list claiming four times as many strings as there are bytes.
		"list": func(e *encoder) { e.uint(4 * size) },
	} {
		e := newEncoder(size)
		fill(e)
		for len(e.b) < size {
			e.b = append(e.b, 0x7f) // a string of 127 bytes, when read as a length
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var err error
		if name == "topics" {
			_, err = decodeTopics(entry{val: e.b})
		} else {
			_, err = decodeOrder(e.b)
		}
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: a damaged value decoded", name)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 20*size {
			t.Errorf("%s: decoding a damaged %d-byte value allocated %d bytes", name, size, grew)
		}
	}
}

// topicsWithFlag returns one encoded topic whose LastStudiedAt presence
// flag is flag.
func topicsWithFlag(t *testing.T, flag uint64) []byte {
	t.Helper()
	e := newEncoder(0)
	e.uint(1)
	for range 4 {
		e.str("s")
	}
	e.list(nil)
	e.uint(0)
	e.uint(0)
	e.uint(0)
	e.uint(flag)
	e.time(time.Time{})
	e.time(time.Time{})
	e.time(time.Time{})
	return e.b
}

// tokenWithNanos returns an encoded token whose first time has nanos as
// its nanosecond.
func tokenWithNanos(t *testing.T, nanos uint64) []byte {
	t.Helper()
	e := newEncoder(0)
	e.str("h")
	e.str("u")
	e.b = append(e.b, 0) // Unix second 0
	e.uint(nanos)
	e.time(time.Time{})
	return e.b
}

// FuzzCodec: any bytes decode without panicking as any cached value, and
// what decodes encodes back to a value that decodes to the same thing.
// Values built from the fuzzer's strings and numbers round-trip.
func FuzzCodec(f *testing.F) {
	good, _ := encodeTopics(sampleTopics())
	f.Add(good.val, "t", "title", int64(0), int64(0), 3)
	bank, _ := encodeQuestions(sampleQuestions())
	f.Add(bank.fields["q1"], "é\xff", "", int64(-62135596800), int64(999_999_999), 0)
	f.Add(bank.fields[orderField], "", "<&>", int64(253402300799), int64(1), -1)
	tok, _ := encodeToken(&recall.Token{Hash: []byte("h"), UserID: "u"})
	f.Add(tok.val, "x", "y", int64(1), int64(2), 1<<40)
	f.Fuzz(func(t *testing.T, raw []byte, s1, s2 string, sec, nsec int64, n int) {
		if ts, err := decodeTopics(entry{val: raw}); err == nil {
			e, err := encodeTopics(ts)
			if err != nil {
				t.Fatalf("a decoded list does not encode: %v", err)
			}
			if again, err := decodeTopics(e); err != nil || !reflect.DeepEqual(again, ts) {
				t.Fatalf("re-encoded list decoded to %+v, %v; want %+v", again, err, ts)
			}
		}
		if q, err := decodeQuestion(raw); err == nil {
			if again, err := decodeQuestion(encodeQuestion(q)); err != nil || !reflect.DeepEqual(again, q) {
				t.Fatalf("re-encoded question decoded to %+v, %v; want %+v", again, err, q)
			}
		}
		if ids, err := decodeOrder(raw); err == nil {
			if again, err := decodeOrder(encodeOrder(ids)); err != nil || !reflect.DeepEqual(again, ids) {
				t.Fatalf("re-encoded order decoded to %q, %v; want %q", again, err, ids)
			}
		}
		if tk, err := decodeToken(entry{val: raw}); err == nil {
			e, _ := encodeToken(tk)
			if again, err := decodeToken(e); err != nil || !reflect.DeepEqual(again, tk) {
				t.Fatalf("re-encoded token decoded to %+v, %v; want %+v", again, err, tk)
			}
		}

		at := time.Unix(sec, nsec).UTC()
		topic := &recall.Topic{ID: s1, UserID: s2, Title: s1 + s2, Description: s2, QuestionIDs: []string{s1, s2},
			Stats: recall.TopicStats{SessionsCompleted: n, LastStudiedAt: &at}, CreatedAt: at, UpdatedAt: at}
		e, err := encodeTopics([]*recall.Topic{topic})
		if n < 0 {
			if err == nil {
				t.Fatal("a negative count encoded")
			}
			topic.Stats.SessionsCompleted = 0
			e, err = encodeTopics([]*recall.Topic{topic})
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeTopics(e); err != nil || !reflect.DeepEqual(got, []*recall.Topic{topic}) {
			t.Fatalf("round trip of %+v = %+v, %v", topic, got, err)
		}
	})
}

// BenchmarkCodec compares decoding a topic list of the bench's default
// data set (10 topics of 30 question ids) from this format and from the
// JSON the decorators used before, and the copy a memo hit makes:
//
//	go test -run '^$' -bench Codec -benchmem ./cache/
func BenchmarkCodec(b *testing.B) {
	at := time.Date(2026, 11, 26, 2, 30, 0, 123_456_000, time.UTC)
	ts := make([]*recall.Topic, 10)
	for i := range ts {
		ids := make([]string, 30)
		for j := range ids {
			ids[j] = recall.NewID()
		}
		ts[i] = &recall.Topic{ID: recall.NewID(), UserID: recall.NewID(), Title: fmt.Sprintf("Topic %d", i),
			Description: "A topic of the bench's data set, with a description of a usual length.",
			QuestionIDs: ids, Stats: recall.TopicStats{SessionsCompleted: 3, Answers: 60, Correct: 41, LastStudiedAt: &at},
			CreatedAt: at, UpdatedAt: at}
	}
	bin, err := encodeTopics(ts)
	if err != nil {
		b.Fatal(err)
	}
	js, err := json.Marshal(ts)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode/binary", func(b *testing.B) {
		b.ReportMetric(float64(len(bin.val)), "bytes")
		for b.Loop() {
			if _, err := decodeTopics(bin); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/json", func(b *testing.B) {
		b.ReportMetric(float64(len(js)), "bytes")
		for b.Loop() {
			var out []*recall.Topic
			if err := json.Unmarshal(js, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("clone", func(b *testing.B) {
		for b.Loop() {
			cloneTopics(ts)
		}
	})
	b.Run("encode/binary", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeTopics(ts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(ts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCodec_QuestionTolerances: a question's tolerances and unit survive
// the round trip; a question of the format before them (the shared version
// byte) and a tolerance that no store holds (negative, NaN, infinite) are
// refused, so the entry is loaded again from the store.
func TestCodec_QuestionTolerances(t *testing.T) {
	q := sampleQuestions()[1]
	got, err := decodeQuestion(encodeQuestion(q))
	if err != nil || !reflect.DeepEqual(got, q) {
		t.Fatalf("decoded %+v, %v; want %+v", got, err, q)
	}
	v1 := newEncoder(64)
	v1.str(q.ID)
	v1.str(q.TopicID)
	v1.str(q.Prompt)
	v1.list(q.Answers)
	v1.list(q.Choices)
	v1.str(q.Explanation)
	v1.str(q.Hint)
	v1.time(q.CreatedAt)
	v1.time(q.UpdatedAt)
	if got, err := decodeQuestion(v1.b); err == nil {
		t.Errorf("a question of the format before tolerances decoded to %+v", got)
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		b := *q
		b.RelTol = bad
		if got, err := decodeQuestion(encodeQuestion(&b)); err == nil {
			t.Errorf("rel_tol %v decoded to %+v", bad, got)
		}
	}
}
