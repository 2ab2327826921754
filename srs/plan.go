package srs

import (
	"slices"
	"time"

	"github.com/recallhq/recall"
)

// Daily caps of a due session, per topic and per day of the user's time zone.
const (
	// DefaultNewLimit is how many new questions a day may bring.
	DefaultNewLimit = 20
	// DefaultReviewLimit is how many reviews of learned questions a day may
	// bring; a backlog over it is spread over the following days.
	DefaultReviewLimit = 200
)

// PlanInput is what Plan chooses from.
type PlanInput struct {
	// Questions is the topic's bank, in bank order.
	Questions []string
	// Memories are the user's memory states of the topic's questions, by
	// question id; a question without one is new.
	Memories map[string]recall.Memory
	// Now is the time of the session's start.
	Now time.Time
	// DayStart and DayEnd bound the user's current day (DayBounds).
	DayStart, DayEnd time.Time
	// NewLimit and ReviewLimit are the daily caps; zero means the defaults,
	// a negative value zero.
	NewLimit, ReviewLimit int
}

// Plan is what a due session asks, in order: the reviews, then the new
// questions.
type Plan struct {
	// Reviews are the learned questions due now, the lowest retrievability
	// (the most forgotten) first.
	Reviews []string
	// New are questions never graded, in bank order.
	New []string
	// NextDue, when the plan is empty, is when the next question falls due
	// (zero when the topic has nothing left to schedule).
	NextDue time.Time
}

// Empty reports whether the plan asks nothing.
func (p Plan) Empty() bool { return len(p.Reviews) == 0 && len(p.New) == 0 }

// IDs returns the plan's questions in the order a session asks them.
func (p Plan) IDs() []string { return append(slices.Clip(p.Reviews), p.New...) }

// limit returns n, or def for zero, or 0 for a negative n.
func limit(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}

// Plan chooses the questions of a due session. Reviews already made today
// of questions learned before today count against ReviewLimit, and
// questions first graded today against NewLimit; a question that was
// reviewed today and is due again (a learning step) comes back without
// counting twice. New questions come up to NewLimit even when the review
// cap is reached.
func (s Scheduler) Plan(in PlanInput) Plan {
	newLeft := limit(in.NewLimit, DefaultNewLimit)
	reviewLeft := limit(in.ReviewLimit, DefaultReviewLimit)
	for _, m := range in.Memories {
		if m.FirstReview.IsZero() {
			continue
		}
		switch {
		case !m.FirstReview.Before(in.DayStart):
			newLeft--
		case !m.LastReview.Before(in.DayStart):
			reviewLeft--
		}
	}

	type due struct {
		id  string
		r   float64
		due time.Time
		pos int
	}
	var dues []due
	var p Plan
	var nextDue time.Time
	capped := false
	for pos, id := range in.Questions {
		m, ok := in.Memories[id]
		if !ok || m.State == recall.CardNew || m.LastReview.IsZero() {
			if len(p.New) < newLeft {
				p.New = append(p.New, id)
			}
			continue
		}
		if m.Due.After(in.Now) {
			if nextDue.IsZero() || m.Due.Before(nextDue) {
				nextDue = m.Due
			}
			continue
		}
		dues = append(dues, due{id: id, r: s.Retrievability(m, in.Now), due: m.Due, pos: pos})
	}
	slices.SortFunc(dues, func(a, b due) int {
		switch {
		case a.r < b.r:
			return -1
		case a.r > b.r:
			return 1
		}
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return a.pos - b.pos
	})
	for _, d := range dues {
		m := in.Memories[d.id]
		if !m.LastReview.Before(in.DayStart) {
			p.Reviews = append(p.Reviews, d.id) // a learning step of today
			continue
		}
		if reviewLeft <= 0 {
			capped = true
			continue
		}
		reviewLeft--
		p.Reviews = append(p.Reviews, d.id)
	}
	if p.Empty() {
		p.NextDue = nextDue
		if capped && (nextDue.IsZero() || nextDue.Before(in.DayEnd)) {
			// Due questions are waiting, but today's reviews are spent.
			p.NextDue = in.DayEnd
		}
	}
	return p
}

// Counts are a topic's questions by where they stand in the user's memory.
type Counts struct {
	// New counts the questions never graded.
	New int
	// Learning counts the questions being learned or relearned.
	Learning int
	// Review counts the learned questions.
	Review int
	// DueNow counts the graded questions due now.
	DueNow int
	// Mastered counts the learned questions with a stability of
	// MasteredStability days or more.
	Mastered int
	// NextDue is the earliest due time of a graded question (zero if none).
	NextDue time.Time
}

// Count counts the questions of a bank by their memory states at now.
func Count(questions []string, memories map[string]recall.Memory, now time.Time) Counts {
	var c Counts
	for _, id := range questions {
		m, ok := memories[id]
		if !ok || m.State == recall.CardNew || m.LastReview.IsZero() {
			c.New++
			continue
		}
		switch m.State {
		case recall.CardReview:
			c.Review++
			if m.Stability >= MasteredStability {
				c.Mastered++
			}
		default:
			c.Learning++
		}
		if !m.Due.After(now) {
			c.DueNow++
		}
		if c.NextDue.IsZero() || m.Due.Before(c.NextDue) {
			c.NextDue = m.Due
		}
	}
	return c
}
