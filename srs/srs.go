// Package srs schedules reviews: it applies FSRS to a user's memory of a
// question after each graded answer, chooses which questions a "due"
// session asks (the most forgotten first, within daily caps), and counts a
// topic's cards by state for the dashboard.
//
// It is pure: no store, no clock of its own. Every function takes the time it
// works at.
//
// go-fsrs writes the seed of its interval fuzz into the Parameters that an
// *fsrs.FSRS holds, so one scheduler shared by goroutines is a data race.
// Scheduler builds a new fsrs.FSRS for each decision (a copy of a small
// struct) and is safe for concurrent use.
package srs

import (
	"hash/fnv"
	"math"
	"time"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v3"

	"github.com/recallhq/recall"
)

// Rating is the grade of one review, as FSRS takes it.
type Rating int8

// The ratings FSRS knows. Recall gives Again, Hard and Good.
const (
	Again Rating = Rating(fsrs.Again)
	Hard  Rating = Rating(fsrs.Hard)
	Good  Rating = Rating(fsrs.Good)
	Easy  Rating = Rating(fsrs.Easy)
)

// RatingFor maps the outcome of a question in a session to a rating: right
// is Good, right after asking for the hint is Hard, wrong or skipped is Again.
func RatingFor(correct, hinted bool) Rating {
	switch {
	case !correct:
		return Again
	case hinted:
		return Hard
	default:
		return Good
	}
}

// Defaults of a Scheduler.
const (
	// DefaultRetention is the probability of recall a review is scheduled
	// for.
	DefaultRetention = 0.9
	// MasteredStability is the stability, in days, from which a card counts
	// as mastered.
	MasteredStability = 21
)

// NumWeights is how many FSRS parameters a user's weights hold.
const NumWeights = len(fsrs.Weights{})

// Scheduler applies FSRS with one desired retention and one set of weights.
// The zero value uses DefaultRetention and FSRS's default weights.
type Scheduler struct {
	// Retention is the desired retention, in (0, 1); zero means
	// DefaultRetention.
	Retention float64
	// Weights are the user's FSRS parameters: NumWeights of them, or none
	// for FSRS's defaults.
	Weights []float64
}

// ValidRetention reports whether r can be a desired retention.
func ValidRetention(r float64) bool { return r >= 0.7 && r <= 0.99 }

// ValidWeights reports whether w can be a user's FSRS parameters: empty
// (the defaults) or NumWeights finite numbers.
func ValidWeights(w []float64) bool {
	if len(w) == 0 {
		return true
	}
	if len(w) != NumWeights {
		return false
	}
	for _, x := range w {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// fsrs returns a scheduler of its own for one decision: the library keeps
// per-decision state in its Parameters.
func (s Scheduler) fsrs() *fsrs.FSRS {
	p := fsrs.DefaultParam()
	p.RequestRetention = DefaultRetention
	if s.Retention > 0 {
		p.RequestRetention = s.Retention
	}
	if len(s.Weights) == NumWeights {
		copy(p.W[:], s.Weights)
	}
	p.EnableFuzz = true
	return fsrs.NewFSRS(p)
}

// Review returns m after one review rated r at now. m may be the zero
// Memory of a new question (its ids are kept as given).
func (s Scheduler) Review(m recall.Memory, r Rating, now time.Time) recall.Memory {
	if r < Again || r > Easy {
		r = Again
	}
	now = now.UTC()
	// go-fsrs seeds its fuzz with the review's Unix second, the number of
	// reps and difficulty × stability: cards learned together in one second
	// would get the same fuzz and stay due together for ever. The review
	// time it sees is moved by 0–59 s, fixed per card, so the fuzz differs
	// from card to card (and stays deterministic per card and review); a
	// minute is nothing at the scale of the intervals it sets.
	shift := time.Duration(cardSalt(m.UserID, m.QuestionID)%60) * time.Second
	at := now.Truncate(time.Second).Add(shift)
	info := s.fsrs().Next(toCard(m, shift), at, fsrs.Rating(r))
	c := info.Card
	out := m
	out.State = recall.CardState(c.State)
	out.Stability = c.Stability
	out.Difficulty = c.Difficulty
	out.Due = c.Due.Add(-shift).UTC()
	out.ScheduledDays = int(c.ScheduledDays)
	out.Reps = int(c.Reps)
	out.Lapses = int(c.Lapses)
	out.LastReview = now
	if m.FirstReview.IsZero() {
		out.FirstReview = now
	}
	return out
}

// Retrievability is the probability that the user recalls the question at
// now; 0 for a new question.
func (s Scheduler) Retrievability(m recall.Memory, now time.Time) float64 {
	if m.State == recall.CardNew || m.LastReview.IsZero() {
		return 0
	}
	return s.fsrs().GetRetrievability(toCard(m, 0), now)
}

// toCard is m as go-fsrs's Card, its review times moved by shift.
func toCard(m recall.Memory, shift time.Duration) fsrs.Card {
	c := fsrs.NewCard()
	if m.State == recall.CardNew || m.LastReview.IsZero() {
		return c
	}
	c.State = fsrs.State(m.State)
	c.Stability = m.Stability
	c.Difficulty = m.Difficulty
	c.Due = m.Due.Add(shift)
	c.ScheduledDays = uint64(max(m.ScheduledDays, 0))
	c.Reps = uint64(max(m.Reps, 0))
	c.Lapses = uint64(max(m.Lapses, 0))
	c.LastReview = m.LastReview.Truncate(time.Second).Add(shift)
	return c
}

// cardSalt is a number fixed for one user's card.
func cardSalt(userID, questionID string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(userID))
	h.Write([]byte{0})
	h.Write([]byte(questionID))
	return h.Sum32()
}
