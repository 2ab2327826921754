package storecodec_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
)

func TestEncodeQuestion(t *testing.T) {
	answers, choices, err := storecodec.EncodeQuestion(&recall.Question{Answers: []string{"Paris"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(answers) != `["Paris"]` || choices != nil {
		t.Errorf("no choices: answers %s, choices %q; want [\"Paris\"] and nil (NULL)", answers, choices)
	}
	answers, choices, err = storecodec.EncodeQuestion(&recall.Question{Choices: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(answers) != `[]` || string(choices) != `["a","b"]` {
		t.Errorf("choices: answers %s, choices %s; want [] and [\"a\",\"b\"]", answers, choices)
	}
}

func TestList(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []string
		want string
	}{
		{"OKNil", nil, `[]`},
		{"OKEmpty", []string{}, `[]`},
		{"OKItems", []string{"a", `"quoted" ünïcødé`}, `["a","\"quoted\" ünïcødé"]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := storecodec.EncodeList(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.want {
				t.Errorf("EncodeList = %s, want %s", b, c.want)
			}
			got, err := storecodec.DecodeList(b)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.in) || (len(c.in) == 0) != (got == nil) {
				t.Errorf("DecodeList = %#v, want %#v (nil when empty)", got, c.in)
			}
		})
	}
	t.Run("OKNull", func(t *testing.T) {
		if got, err := storecodec.DecodeList(nil); got != nil || err != nil {
			t.Errorf("DecodeList(NULL) = %#v, %v; want nil, nil", got, err)
		}
	})
	t.Run("ErrNotAList", func(t *testing.T) {
		for _, b := range []string{``, `{}`, `[1]`, `"a"`} {
			if _, err := storecodec.DecodeList([]byte(b)); err == nil {
				t.Errorf("DecodeList(%q) gave no error", b)
			}
		}
	})
}

func TestListOrEmpty(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []string
	}{
		{"OKNil", nil},
		{"OKEmpty", []string{}},
		{"OKItems", []string{"a", "b"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := storecodec.ListOrEmpty(c.in)
			if got == nil || !slices.Equal(got, c.in) {
				t.Errorf("ListOrEmpty(%#v) = %#v, want a non-nil list of the same items", c.in, got)
			}
			if len(c.in) > 0 && &got[0] != &c.in[0] {
				t.Errorf("ListOrEmpty(%#v) copied the list; want it returned as it is", c.in)
			}
		})
	}
}

func TestDecodeKeys(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want map[string]int
	}{
		{nil, map[string]int{}},
		{[]byte(`{}`), map[string]int{}},
		{[]byte(`{"k1":0,"k/2":3}`), map[string]int{"k1": 0, "k/2": 3}},
	} {
		got, err := storecodec.DecodeKeys(c.in)
		if err != nil {
			t.Fatalf("DecodeKeys(%s): %v", c.in, err)
		}
		if got == nil || !maps.Equal(got, c.want) {
			t.Errorf("DecodeKeys(%s) = %#v, want %#v", c.in, got, c.want)
		}
	}
	if _, err := storecodec.DecodeKeys([]byte(`[1]`)); err == nil {
		t.Error("DecodeKeys([1]) gave no error")
	}
}

func TestAfter(t *testing.T) {
	t.Run("OKNil", func(t *testing.T) {
		if b, err := storecodec.EncodeAfter(nil); b != nil || err != nil {
			t.Errorf("EncodeAfter(nil) = %q, %v; want nil (NULL), nil", b, err)
		}
	})
	t.Run("OKRoundTrip", func(t *testing.T) {
		at := time.Date(2025, 3, 14, 15, 9, 26, 535_897_932, time.FixedZone("UTC+2", 2*3600))
		in := &recall.Session{
			ID: "s", UserID: "u", TopicID: "t", State: recall.SessionCompleted,
			QuestionIDs: []string{"q1", "q2"}, Current: 2, Answered: 1, Correct: 1, Skipped: 1, Turns: 3, Version: 4,
			IdempotencyKeys: map[string]int{"k": 1}, CreatedAt: at, UpdatedAt: at.Add(time.Minute),
		}
		b, err := storecodec.EncodeAfter(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := storecodec.DecodeAfter(b)
		if err != nil {
			t.Fatal(err)
		}
		want := in.Clone()
		want.CreatedAt = at.UTC().Truncate(time.Microsecond)
		want.UpdatedAt = at.Add(time.Minute).UTC().Truncate(time.Microsecond)
		if got.ID != want.ID || got.UserID != want.UserID || got.TopicID != want.TopicID || got.State != want.State ||
			!slices.Equal(got.QuestionIDs, want.QuestionIDs) || got.Current != want.Current ||
			got.Answered != want.Answered || got.Correct != want.Correct || got.Skipped != want.Skipped ||
			got.Turns != want.Turns || got.Version != want.Version || !maps.Equal(got.IdempotencyKeys, want.IdempotencyKeys) {
			t.Errorf("DecodeAfter = %+v, want %+v", got, want)
		}
		for _, c := range []struct {
			name      string
			got, want time.Time
		}{{"CreatedAt", got.CreatedAt, want.CreatedAt}, {"UpdatedAt", got.UpdatedAt, want.UpdatedAt}} {
			if !c.got.Equal(c.want) || c.got.Location() != time.UTC {
				t.Errorf("%s = %v, want %v in UTC", c.name, c.got, c.want)
			}
		}
	})
	t.Run("OKEmptyBecomesNilAndEmptyMap", func(t *testing.T) {
		b, err := storecodec.EncodeAfter(&recall.Session{ID: "s", QuestionIDs: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := storecodec.DecodeAfter(b)
		if err != nil {
			t.Fatal(err)
		}
		if got.QuestionIDs != nil || got.IdempotencyKeys == nil || len(got.IdempotencyKeys) != 0 {
			t.Errorf("DecodeAfter = QuestionIDs %#v, IdempotencyKeys %#v; want nil and an empty map", got.QuestionIDs, got.IdempotencyKeys)
		}
	})
	t.Run("ErrNotJSON", func(t *testing.T) {
		if _, err := storecodec.DecodeAfter([]byte(`{"id":`)); err == nil {
			t.Error("DecodeAfter(truncated) gave no error")
		}
	})
}

// FuzzDecodeList: DecodeList (with its fast path for plain lists of IDs)
// gives what encoding/json gives, for any input: the same list, or an
// error for both.
func FuzzDecodeList(f *testing.F) {
	for _, s := range []string{`[]`, `[""]`, `["a","b"]`, `["a",""]`, `["","a"]`, `["a" ,"b"]`, `["a\"b"]`,
		`["a"",""b"]`, `[1]`, `["é"]`, `["a",]`, `[null]`, `["a","b"] `, `["\u0041"]`, "[\"a\tb\"]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := storecodec.DecodeList(b)
		var want []string
		werr := json.Unmarshal(b, &want)
		if b == nil {
			want, werr = nil, nil
		}
		if (err != nil) != (werr != nil) {
			t.Fatalf("DecodeList(%q) error %v, encoding/json %v", b, err, werr)
		}
		if err == nil && (!slices.Equal(got, storecodec.ListOrNil(want)) || (got == nil) != (len(want) == 0)) {
			t.Fatalf("DecodeList(%q) = %#v, encoding/json %#v", b, got, want)
		}
	})
}

// TestDecodeListOfIDs: a list of IDs, as SQLite aggregates a topic's
// question IDs on every topic read, is decoded in two allocations (the
// list and one string its elements share), not through encoding/json's
// reflection (an allocation per element and more).
func TestDecodeListOfIDs(t *testing.T) {
	ids := make([]string, 30)
	for i := range ids {
		ids[i] = recall.NewID()
	}
	b, err := storecodec.EncodeList(ids)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	allocs := testing.AllocsPerRun(100, func() {
		if got, err = storecodec.DecodeList(b); err != nil {
			t.Fatal(err)
		}
	})
	if !slices.Equal(got, ids) {
		t.Fatalf("DecodeList = %q, want %q", got, ids)
	}
	if allocs > 2 {
		t.Errorf("DecodeList of 30 IDs: %.0f allocations, want at most 2", allocs)
	}
}
