package srs_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/srs"
)

func bank(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("q%04d", i)
	}
	return ids
}

func TestPlanOrder(t *testing.T) {
	var s srs.Scheduler
	now := t0.Add(60 * 24 * time.Hour)
	start, end := srs.DayBounds(now, time.UTC)
	mems := map[string]recall.Memory{}
	// q0: learned, due long ago (most forgotten); q1: due an hour ago;
	// q2: due tomorrow; q3, q4: new.
	learn := func(id string, due time.Time) {
		m, _ := reviewAtDue(s, card(id), srs.Good, 3)
		shift := due.Sub(m.Due)
		m.Due, m.LastReview, m.FirstReview = m.Due.Add(shift), m.LastReview.Add(shift), m.FirstReview.Add(shift)
		mems[id] = m
	}
	learn("q1", now.Add(-time.Hour))
	learn("q0", now.Add(-40*24*time.Hour))
	learn("q2", now.Add(24*time.Hour))
	p := s.Plan(srs.PlanInput{Questions: []string{"q0", "q1", "q2", "q3", "q4"}, Memories: mems, Now: now, DayStart: start, DayEnd: end})
	if want := []string{"q0", "q1"}; !slices.Equal(p.Reviews, want) {
		t.Fatalf("reviews %v, want %v (lowest retrievability first)", p.Reviews, want)
	}
	if want := []string{"q3", "q4"}; !slices.Equal(p.New, want) {
		t.Fatalf("new %v, want %v", p.New, want)
	}
	if got := p.IDs(); !slices.Equal(got, []string{"q0", "q1", "q3", "q4"}) {
		t.Fatalf("IDs %v", got)
	}

	t.Run("NewLimit", func(t *testing.T) {
		p := s.Plan(srs.PlanInput{Questions: bank(50), Now: now, DayStart: start, DayEnd: end, NewLimit: 7})
		if len(p.New) != 7 || p.New[0] != "q0000" || p.New[6] != "q0006" {
			t.Fatalf("new %v, want the first 7 in bank order", p.New)
		}
		if p := s.Plan(srs.PlanInput{Questions: bank(50), Now: now, DayStart: start, DayEnd: end}); len(p.New) != srs.DefaultNewLimit {
			t.Fatalf("default new limit: %d", len(p.New))
		}
	})
	t.Run("NothingDue", func(t *testing.T) {
		only := map[string]recall.Memory{"q2": mems["q2"]}
		p := s.Plan(srs.PlanInput{Questions: []string{"q2"}, Memories: only, Now: now, DayStart: start, DayEnd: end})
		if !p.Empty() || !p.NextDue.Equal(mems["q2"].Due) {
			t.Fatalf("plan %+v, want empty and next due %v", p, mems["q2"].Due)
		}
		if p := s.Plan(srs.PlanInput{Now: now, DayStart: start, DayEnd: end}); !p.Empty() || !p.NextDue.IsZero() {
			t.Fatalf("an empty bank: %+v", p)
		}
	})
	t.Run("ReviewCapSpentButNewComes", func(t *testing.T) {
		p := s.Plan(srs.PlanInput{Questions: []string{"q0", "q1", "q3"}, Memories: mems, Now: now, DayStart: start, DayEnd: end, ReviewLimit: -1})
		if len(p.Reviews) != 0 || !slices.Equal(p.New, []string{"q3"}) {
			t.Fatalf("plan %+v, want no reviews and the new question", p)
		}
		p = s.Plan(srs.PlanInput{Questions: []string{"q0", "q1"}, Memories: mems, Now: now, DayStart: start, DayEnd: end, ReviewLimit: -1})
		if !p.Empty() || !p.NextDue.Equal(end) {
			t.Fatalf("plan %+v, want empty until the next day %v", p, end)
		}
	})
}

func TestCount(t *testing.T) {
	var s srs.Scheduler
	mems := map[string]recall.Memory{}
	mastered, _ := reviewAtDue(s, card("m"), srs.Good, 7)
	mems["m"] = mastered
	learning := s.Review(card("l"), srs.Again, t0)
	mems["l"] = learning
	young, _ := reviewAtDue(s, card("y"), srs.Good, 3)
	mems["y"] = young
	now := young.Due.Add(time.Minute)
	c := srs.Count([]string{"m", "l", "y", "n1", "n2"}, mems, now)
	if mastered.Stability < srs.MasteredStability || young.Stability >= srs.MasteredStability {
		t.Fatalf("fixture: stabilities %v, %v", mastered.Stability, young.Stability)
	}
	want := srs.Counts{New: 2, Learning: 1, Review: 2, DueNow: 2, Mastered: 1, NextDue: learning.Due}
	if c != want {
		t.Fatalf("Count = %+v, want %+v", c, want)
	}
}

// TestBacklogAfterBreak: 1,000 questions learned at 20 new a day, then a
// 30-day break. Coming back, the backlog is cleared within 7 days, no day
// asks more reviews than the cap, and new questions of another topic would
// still come (the cap is per kind).
func TestBacklogAfterBreak(t *testing.T) {
	var s srs.Scheduler
	ids := bank(1000)
	mems := map[string]recall.Memory{}
	day0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	// study runs the sessions of one day: a due session at 09:00 and one at
	// 18:00 (the learning steps of the morning come back then). Every
	// tenth answer is wrong. It returns the learned questions reviewed that
	// day (not first seen that day).
	study := func(day int) map[string]bool {
		start := day0.AddDate(0, 0, day)
		reviewed := map[string]bool{}
		for _, hour := range []int{9, 18} {
			now := start.Add(time.Duration(hour) * time.Hour)
			p := s.Plan(srs.PlanInput{Questions: ids, Memories: mems, Now: now, DayStart: start, DayEnd: start.AddDate(0, 0, 1)})
			for i, id := range p.IDs() {
				m, ok := mems[id]
				if !ok {
					m = card(id)
				}
				if !m.FirstReview.IsZero() && m.FirstReview.Before(start) {
					reviewed[id] = true
				}
				r := srs.Good
				if i%10 == 9 {
					r = srs.Again
				}
				mems[id] = s.Review(m, r, now.Add(time.Duration(i)*time.Second))
			}
		}
		return reviewed
	}
	for day := range 60 {
		if n := len(study(day)); n > srs.DefaultReviewLimit {
			t.Fatalf("day %d: %d reviews, over the cap", day, n)
		}
	}
	if len(mems) != 1000 {
		t.Fatalf("after 60 days %d questions learned, want 1000", len(mems))
	}
	back := 60 + 30
	backStart := day0.AddDate(0, 0, back)
	backlog := map[string]bool{}
	for id, m := range mems {
		if !m.Due.After(backStart) {
			backlog[id] = true
		}
	}
	if len(backlog) < 2*srs.DefaultReviewLimit {
		t.Fatalf("the break left only %d questions due: not a backlog", len(backlog))
	}
	t.Logf("backlog after the break: %d questions", len(backlog))
	for day := back; day < back+7 && len(backlog) > 0; day++ {
		reviewed := study(day)
		if len(reviewed) > srs.DefaultReviewLimit {
			t.Fatalf("day %d after the break: %d reviews, over the cap of %d", day-back+1, len(reviewed), srs.DefaultReviewLimit)
		}
		for id := range reviewed {
			delete(backlog, id)
		}
		t.Logf("day %d after the break: %d reviews, %d of the backlog left", day-back+1, len(reviewed), len(backlog))
	}
	if len(backlog) > 0 {
		t.Fatalf("%d questions of the backlog still unreviewed after 7 days", len(backlog))
	}
}
