package cache

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// sampleSession has every field set, its times with nanoseconds and in UTC.
func sampleSession() *recall.Session {
	at := time.Date(2026, 3, 14, 15, 9, 26, 535_897_932, time.UTC)
	return &recall.Session{
		ID: "s1", UserID: "u1", TopicID: "t1", State: recall.SessionActive,
		QuestionIDs:     []string{"q1", "q2", "q3"},
		Current:         2,
		Answered:        1,
		Correct:         1,
		Skipped:         1,
		Turns:           3,
		Version:         4,
		IdempotencyKeys: map[string]int{"k0": 0, "k2": 2, "": 1},
		CreatedAt:       at,
		UpdatedAt:       at.Add(90 * time.Second),
		Hinted:          true,
		Memories: map[string]recall.Memory{
			"q3": {UserID: "u1", TopicID: "t1", QuestionID: "q3", State: recall.CardReview, Stability: 23.5,
				Difficulty: 4.25, Due: at.Add(72 * time.Hour), ScheduledDays: 3, Reps: 4, Lapses: 1,
				FirstReview: at.Add(-240 * time.Hour), LastReview: at.Add(-time.Hour)},
		},
	}
}

func mustEncodeSession(t testing.TB, s *recall.Session) []byte {
	t.Helper()
	b, err := EncodeSession(s)
	if err != nil {
		t.Fatalf("EncodeSession(%+v): %v", s, err)
	}
	return b
}

func TestSessionCodec_RoundTrip(t *testing.T) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	cases := map[string]func(s *recall.Session){
		"AllFields": func(s *recall.Session) {},
		"NilSlices": func(s *recall.Session) { s.QuestionIDs, s.IdempotencyKeys, s.Memories = nil, nil, nil },
		"EmptySlices": func(s *recall.Session) {
			s.QuestionIDs, s.IdempotencyKeys, s.Memories = []string{}, map[string]int{}, map[string]recall.Memory{}
		},
		"ZeroSession": func(s *recall.Session) { *s = recall.Session{} },
		"Completed": func(s *recall.Session) {
			s.State, s.Current, s.Answered, s.Correct, s.Skipped = recall.SessionCompleted, 3, 2, 1, 1
		},
		"Unicode": func(s *recall.Session) {
			s.ID, s.UserID, s.TopicID, s.Memories = "séance-📚", "ユーザー", "tópico\u2028", nil
			s.QuestionIDs = []string{"", "\x00\xff", strings.Repeat("問", 200)}
			s.IdempotencyKeys = map[string]int{"clé": 0, "🔑": 7, "\xff": 1 << 40}
		},
		"LargeNumbers": func(s *recall.Session) {
			s.Version, s.Turns, s.Current = 1<<62, 1<<40, 1<<33
		},
	}
	for _, at := range oddTimes() {
		cases["Time "+at.String()] = func(s *recall.Session) { s.CreatedAt, s.UpdatedAt = at, at }
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			s := sampleSession()
			change(s)
			got, err := DecodeSession(mustEncodeSession(t, s))
			if err != nil || !reflect.DeepEqual(got, s) {
				t.Fatalf("round trip = %+v, %v; want %+v", got, err, s)
			}
		})
	}
	// Times in another zone come back as the same instant in UTC, and
	// without a monotonic clock reading.
	s := sampleSession()
	s.CreatedAt = time.Date(2026, 3, 14, 20, 39, 26, 1, zone)
	s.UpdatedAt = time.Now()
	got, err := DecodeSession(mustEncodeSession(t, s))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ got, in time.Time }{{got.CreatedAt, s.CreatedAt}, {got.UpdatedAt, s.UpdatedAt}} {
		if !tt.got.Equal(tt.in) || tt.got.Location() != time.UTC || tt.got != tt.in.Round(0).UTC() {
			t.Errorf("time %v came back as %v; want %v", tt.in, tt.got, tt.in.Round(0).UTC())
		}
	}
	// Keys are written in order: the same session encodes to the same
	// bytes whatever the order of its map.
	a := mustEncodeSession(t, sampleSession())
	for range 20 {
		if b := mustEncodeSession(t, sampleSession()); !bytes.Equal(a, b) {
			t.Fatal("two encodings of one session differ")
		}
	}
	// What is decoded is the caller's: changing it changes no later decode.
	got, _ = DecodeSession(a)
	got.QuestionIDs[0] = "changed"
	got.IdempotencyKeys["new"] = 9
	if again, _ := DecodeSession(a); !reflect.DeepEqual(again, sampleSession()) {
		t.Fatalf("a change to a decoded session reached the next decode: %+v", again)
	}
}

// sessionWith encodes sampleSession's fields up to its idempotency keys,
// then lets keys write those, then the two times.
func sessionWith(keys func(e *encoder)) []byte {
	s := sampleSession()
	e := newEncoderOf(sessionFormat, 0)
	e.str(s.ID)
	e.str(s.UserID)
	e.str(s.TopicID)
	e.str(string(s.State))
	e.list(s.QuestionIDs)
	for _, n := range []int{s.Current, s.Answered, s.Correct, s.Skipped, s.Turns} {
		e.uint(uint64(n))
	}
	e.uint(uint64(s.Version))
	keys(e)
	e.time(s.CreatedAt)
	e.time(s.UpdatedAt)
	e.uint(0) // Hinted
	e.uint(0) // Memories
	return e.b
}

func TestSessionCodec_Rejects(t *testing.T) {
	good := mustEncodeSession(t, sampleSession())
	// The format of the sessions cached before this one.
	oldJSON, err := json.Marshal(sampleSession())
	if err != nil {
		t.Fatal(err)
	}
	pairs := func(kv ...any) func(e *encoder) {
		return func(e *encoder) {
			e.uint(uint64(len(kv)/2) + 1)
			for i := 0; i < len(kv); i += 2 {
				e.str(kv[i].(string))
				e.uint(uint64(kv[i+1].(int)))
			}
		}
	}
	if _, err := DecodeSession(sessionWith(pairs("a", 1, "b", 2))); err != nil {
		t.Fatalf("the well-formed value of sessionWith does not decode: %v", err)
	}
	bad := map[string][]byte{
		"Empty":             nil,
		"VersionOnly":       {sessionFormat},
		"JSON":              oldJSON,
		"OtherVersion":      append([]byte{sessionFormat + 1}, good[1:]...),
		"Trailing":          append(append([]byte(nil), good...), 0),
		"HugeString":        {sessionFormat, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"BadVarint":         {sessionFormat, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
		"KeysOutOfOrder":    sessionWith(pairs("b", 1, "a", 2)),
		"KeyRepeated":       sessionWith(pairs("a", 1, "a", 2)),
		"MoreKeysThanBytes": sessionWith(func(e *encoder) { e.uint(1 << 40) }),
		"HugeTurnIndex":     sessionWith(func(e *encoder) { e.uint(2); e.str("k"); e.uint(1 << 63) }),
	}
	// Every value cut short.
	for i := range len(good) - 1 {
		bad[fmt.Sprint("TruncatedTo", i)] = good[:i]
	}
	// A version past int64.
	{
		s := sampleSession()
		e := newEncoderOf(sessionFormat, 0)
		e.str(s.ID)
		e.str(s.UserID)
		e.str(s.TopicID)
		e.str(string(s.State))
		e.list(s.QuestionIDs)
		for range 5 {
			e.uint(0)
		}
		e.uint(1 << 63)
		e.uint(0)
		e.time(s.CreatedAt)
		e.time(s.UpdatedAt)
		e.uint(0)
		e.uint(0)
		bad["HugeVersion"] = e.b
		// UpdatedAt at the epoch ends the value with its nanosecond, 0:
		// put one that is out of range instead.
		// (The value ends with Hinted and Memories, both 0 here.)
		s.UpdatedAt = time.Unix(0, 0).UTC()
		s.Hinted, s.Memories = false, nil
		b := mustEncodeSession(t, s)
		head := b[: len(b)-3 : len(b)-3]
		bad["BadNanosecond"] = append(binary.AppendUvarint(head, uint64(time.Second)), 0, 0)
		if _, err := DecodeSession(append(binary.AppendUvarint(head, uint64(time.Second-1)), 0, 0)); err != nil {
			t.Fatalf("the largest nanosecond is refused: %v", err)
		}
	}
	for name, val := range bad {
		if got, err := DecodeSession(val); err == nil {
			t.Errorf("%s: %q decoded to %+v", name, val, got)
		}
	}

	for name, change := range map[string]func(s *recall.Session){
		"NegativeCount":     func(s *recall.Session) { s.Skipped = -1 },
		"NegativeVersion":   func(s *recall.Session) { s.Version = -1 },
		"NegativeTurnIndex": func(s *recall.Session) { s.IdempotencyKeys["k"] = -1 },
		"ForeignMemory": func(s *recall.Session) {
			s.Memories["q1"] = recall.Memory{UserID: "other", TopicID: "t1", QuestionID: "q1"}
		},
		"MisfiledMemory": func(s *recall.Session) {
			s.Memories["q1"] = recall.Memory{UserID: "u1", TopicID: "t1", QuestionID: "q2"}
		},
	} {
		s := sampleSession()
		change(s)
		if b, err := EncodeSession(s); err == nil {
			t.Errorf("%s: encoded to %q", name, b)
		}
	}
	if b, err := EncodeSession(nil); err == nil {
		t.Errorf("a nil session encoded to %q", b)
	}
}

// FuzzSessionCodec: any bytes decode as a session without panicking, and a
// value that decodes is the canonical encoding of what it decodes to.
// Sessions built from the fuzzer's strings and numbers round-trip.
func FuzzSessionCodec(f *testing.F) {
	f.Add(mustEncodeSession(f, sampleSession()), "s", "k", int64(4), int64(0), int64(0), 3)
	f.Add([]byte(`{"ID":"s1"}`), "é\xff", "", int64(1), int64(-62135596800), int64(999_999_999), 0)
	f.Add([]byte{sessionFormat}, "", "", int64(0), int64(253402300799), int64(1), -1)
	f.Fuzz(func(t *testing.T, raw []byte, s1, s2 string, version, sec, nsec int64, n int) {
		if s, err := DecodeSession(raw); err == nil {
			again, err := EncodeSession(s)
			if err != nil {
				t.Fatalf("a decoded session does not encode: %v", err)
			}
			if !bytes.Equal(again, raw) {
				t.Fatalf("%q decoded to %+v, which encodes to %q", raw, s, again)
			}
		}

		at := time.Unix(sec, nsec).UTC()
		s := &recall.Session{ID: s1, UserID: s2, TopicID: s1 + s2, State: recall.SessionState(s2),
			QuestionIDs: []string{s1, s2}, Current: n, Answered: n, Version: version,
			IdempotencyKeys: map[string]int{s1: n, s2 + "x": 0}, CreatedAt: at, UpdatedAt: at}
		b, err := EncodeSession(s)
		if n < 0 || version < 0 {
			if err == nil {
				t.Fatal("a negative count or version encoded")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeSession(b)
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Fatalf("round trip of %+v = %+v, %v", s, got, err)
		}
	})
}
