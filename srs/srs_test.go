package srs_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/srs"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func card(id string) recall.Memory {
	return recall.Memory{UserID: "u1", TopicID: "t1", QuestionID: id}
}

func TestRatingFor(t *testing.T) {
	for _, tc := range []struct {
		correct, hinted bool
		want            srs.Rating
	}{
		{true, false, srs.Good},
		{true, true, srs.Hard},
		{false, false, srs.Again},
		{false, true, srs.Again},
	} {
		if got := srs.RatingFor(tc.correct, tc.hinted); got != tc.want {
			t.Errorf("RatingFor(%v, %v) = %v, want %v", tc.correct, tc.hinted, got, tc.want)
		}
	}
}

// review answers m at each of its due times with r, n times.
func reviewAtDue(s srs.Scheduler, m recall.Memory, r srs.Rating, n int) (recall.Memory, []time.Duration) {
	now := t0
	var ivls []time.Duration
	for range n {
		m = s.Review(m, r, now)
		ivls = append(ivls, m.Due.Sub(now))
		now = m.Due
	}
	return m, ivls
}

func TestIntervalsGrowAndResetOnLapse(t *testing.T) {
	var s srs.Scheduler
	m, ivls := reviewAtDue(s, card("q1"), srs.Good, 6)
	for i := 3; i < len(ivls); i++ {
		if ivls[i] <= ivls[i-1] {
			t.Fatalf("interval %d (%v) did not grow past %v; all: %v", i, ivls[i], ivls[i-1], ivls)
		}
	}
	if m.State != recall.CardReview || m.Reps != 6 || m.Lapses != 0 {
		t.Fatalf("after six Good reviews: %+v", m)
	}
	if ivls[len(ivls)-1] < 20*24*time.Hour {
		t.Fatalf("after six Good reviews the interval is only %v", ivls[len(ivls)-1])
	}
	lapse := s.Review(m, srs.Again, m.Due)
	if lapse.Lapses != 1 || lapse.State != recall.CardRelearning {
		t.Fatalf("after a lapse: state %v lapses %d", lapse.State, lapse.Lapses)
	}
	if got := lapse.Due.Sub(m.Due); got > 24*time.Hour {
		t.Fatalf("after a lapse the card is due in %v, want within a day", got)
	}
	if lapse.Stability >= m.Stability {
		t.Fatalf("stability %v did not fall below %v after a lapse", lapse.Stability, m.Stability)
	}
	hard := s.Review(m, srs.Hard, m.Due)
	good := s.Review(m, srs.Good, m.Due)
	if !hard.Due.Before(good.Due) {
		t.Fatalf("Hard due %v is not before Good due %v", hard.Due, good.Due)
	}
	if m.FirstReview != t0 || lapse.FirstReview != t0 {
		t.Fatalf("first review moved: %v, %v", m.FirstReview, lapse.FirstReview)
	}
}

func TestRetentionShortensIntervals(t *testing.T) {
	lo, _ := reviewAtDue(srs.Scheduler{Retention: 0.8}, card("q1"), srs.Good, 5)
	hi, _ := reviewAtDue(srs.Scheduler{Retention: 0.95}, card("q1"), srs.Good, 5)
	if lo.ScheduledDays <= hi.ScheduledDays {
		t.Fatalf("retention 0.8 gives %d days, 0.95 gives %d: want the higher retention to ask sooner", lo.ScheduledDays, hi.ScheduledDays)
	}
}

func TestWeightsAreUsed(t *testing.T) {
	w := make([]float64, srs.NumWeights)
	def, _ := reviewAtDue(srs.Scheduler{}, card("q1"), srs.Good, 1)
	copy(w, []float64{0.4, 1.2, 30, 15.7, 7.2, 0.53, 1.46, 0.0046, 1.55, 0.12, 1.02, 1.94, 0.11, 0.3, 2.27, 0.23, 2.99, 0.52, 0.66})
	own, _ := reviewAtDue(srs.Scheduler{Weights: w}, card("q1"), srs.Good, 1)
	if own.Stability == def.Stability {
		t.Fatalf("the user's weights changed nothing: stability %v", own.Stability)
	}
	if srs.ValidWeights(w[:5]) || !srs.ValidWeights(nil) || !srs.ValidWeights(w) {
		t.Fatal("ValidWeights")
	}
}

func TestDeterministic(t *testing.T) {
	var s srs.Scheduler
	a, _ := reviewAtDue(s, card("q1"), srs.Good, 8)
	b, _ := reviewAtDue(s, card("q1"), srs.Good, 8)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("the same reviews gave %+v and %+v", a, b)
	}
}

// TestFuzzSpreadsCardsLearnedTogether: fifty cards learned at the same
// moment with the same answers do not all fall due on the same day.
func TestFuzzSpreadsCardsLearnedTogether(t *testing.T) {
	var s srs.Scheduler
	days := map[string]bool{}
	for i := range 50 {
		m := card(fmt.Sprintf("q%02d", i))
		now := t0
		for range 5 {
			m = s.Review(m, srs.Good, now)
			now = now.Add(time.Duration(m.ScheduledDays) * 24 * time.Hour)
		}
		days[m.Due.Format(time.DateOnly)] = true
	}
	if len(days) < 3 {
		t.Fatalf("fifty cards learned together fall due on %d distinct days, want fuzz to spread them", len(days))
	}
}

// TestConcurrentScheduler: one Scheduler used by 100 goroutines at once
// gives every goroutine what it gives one goroutine alone (and the race
// detector sees no shared write: go-fsrs keeps a per-decision seed in its
// Parameters).
func TestConcurrentScheduler(t *testing.T) {
	s := srs.Scheduler{Retention: 0.9}
	want := make([]recall.Memory, 100)
	for i := range want {
		want[i], _ = reviewAtDue(s, card(fmt.Sprintf("q%d", i)), srs.Good, 4)
	}
	got := make([]recall.Memory, 100)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], _ = reviewAtDue(s, card(fmt.Sprintf("q%d", i)), srs.Good, 4) })
	}
	wg.Wait()
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("goroutine %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestRetrievability(t *testing.T) {
	var s srs.Scheduler
	m, _ := reviewAtDue(s, card("q1"), srs.Good, 3)
	if r := s.Retrievability(card("new"), t0); r != 0 {
		t.Fatalf("a new card's retrievability = %v", r)
	}
	r1 := s.Retrievability(m, m.LastReview.Add(time.Hour))
	r2 := s.Retrievability(m, m.Due)
	r3 := s.Retrievability(m, m.Due.Add(30*24*time.Hour))
	if !(r1 > r2 && r2 > r3 && r3 > 0 && r1 <= 1) {
		t.Fatalf("retrievability does not fall with time: %v, %v, %v", r1, r2, r3)
	}
	if r2 < 0.85 || r2 > 0.95 {
		t.Fatalf("retrievability at the due time = %v, want about the desired 0.9", r2)
	}
}
