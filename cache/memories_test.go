package cache

import (
	"reflect"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

func TestMemoryCodecs_RoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	ms := []*recall.Memory{
		{UserID: "u", TopicID: "t", QuestionID: "q1", State: recall.CardReview, Stability: 21.25, Difficulty: 4.5,
			Due: at.Add(24 * time.Hour), ScheduledDays: 21, Reps: 5, Lapses: 1, FirstReview: at.Add(-time.Hour), LastReview: at},
		{UserID: "u", TopicID: "t", QuestionID: "q2", State: recall.CardRelearning, Stability: 0.1, Difficulty: 9.99,
			Due: at, FirstReview: at, LastReview: at},
	}
	for _, list := range [][]*recall.Memory{ms, {}} {
		e, err := encodeMemories(list)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeMemories(e)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, list) {
			t.Errorf("memories: got %+v, want %+v", got, list)
		}
		// Every cut of the value is refused, none half decoded.
		for i := range len(e.val) {
			if _, err := decodeMemories(entry{val: e.val[:i]}); err == nil {
				t.Errorf("memories cut at %d of %d decode", i, len(e.val))
			}
		}
	}
	if _, err := encodeMemories([]*recall.Memory{ms[0], {UserID: "other", TopicID: "t"}}); err == nil {
		t.Error("a list of two users encodes")
	}

	for _, days := range [][]int{{}, {3}, {1, 2, 5, 20000}} {
		e, err := encodeDays(days)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeDays(e)
		if err != nil || !reflect.DeepEqual(got, days) {
			t.Errorf("days %v: got %v, %v", days, got, err)
		}
	}
	if _, err := encodeDays([]int{2, 2}); err == nil {
		t.Error("repeated days encode")
	}

	for _, u := range []*recall.User{
		{ID: "u", Username: "ann", CreatedAt: at, TimeZone: "Europe/Paris"},
		{ID: "u", Username: "ann", CreatedAt: at, TimeZone: "UTC", Weights: []float64{0.4, 1.2, 3.5}},
		{ID: "u", Username: "root", CreatedAt: at, TimeZone: "UTC", Admin: true},
	} {
		e, err := encodeUser(u)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeUser(e)
		if err != nil || !reflect.DeepEqual(got, u) {
			t.Errorf("user: got %+v, %v; want %+v", got, err, u)
		}
	}
	// A user cached before the role existed (the shared format, version 1)
	// does not decode: it is dropped and read again, never taken for a
	// user without the role.
	old := newEncoder(16)
	old.str("u")
	old.str("ann")
	old.time(at)
	old.str("UTC")
	old.uint(0)
	if got, err := decodeUser(entry{val: old.b}); err == nil {
		t.Errorf("a version 1 user decodes: %+v", got)
	}
}
