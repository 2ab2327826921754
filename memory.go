package recall

import (
	"context"
	"time"
)

// CardState is where a question stands in a user's memory, as FSRS sees it.
type CardState int8

// The card states, in the order FSRS numbers them.
const (
	// CardNew is a question the user has never been graded on.
	CardNew CardState = iota
	// CardLearning is a question being learned: short intervals.
	CardLearning
	// CardReview is a learned question, reviewed at growing intervals.
	CardReview
	// CardRelearning is a learned question the user forgot, being learned again.
	CardRelearning
)

// String returns the state's name as the API writes it.
func (s CardState) String() string {
	switch s {
	case CardNew:
		return "new"
	case CardLearning:
		return "learning"
	case CardReview:
		return "review"
	case CardRelearning:
		return "relearning"
	}
	return "unknown"
}

// Memory is one user's memory state of one question: what the spaced
// repetition scheduler knows and when the question is due again. A question
// without a Memory is new to the user.
type Memory struct {
	UserID     string
	TopicID    string
	QuestionID string
	State      CardState
	// Stability is the time, in days, over which recall falls to 90%.
	Stability float64
	// Difficulty is FSRS's difficulty, 1 (easy) to 10 (hard).
	Difficulty float64
	// Due is when the question should be asked again.
	Due time.Time
	// ScheduledDays is the interval, in days, that set Due.
	ScheduledDays int
	// Reps counts the graded reviews; Lapses the times it was forgotten
	// after it had been learned.
	Reps, Lapses int
	// FirstReview and LastReview are the times of the first and the latest
	// graded review.
	FirstReview, LastReview time.Time
}

// Review is what one graded turn changes in a user's memory: the new memory
// state of the turn's question, and the day of study it counts for.
type Review struct {
	// Memory is the question's memory state after the review, its
	// UserID, TopicID and QuestionID set.
	Memory Memory
	// Day is the calendar day of the review in the user's time zone, in
	// days since 1970-01-01: what the user's daily streak counts.
	Day int
}

// MemoryStore keeps users' memory states, written by SessionStore.SaveTurn
// (a turn's Review) in the turn's transaction.
type MemoryStore interface {
	// Memories returns the user's memory states of the questions of a
	// topic, in no particular order: one per question the user was graded
	// on. A question deleted from the bank may keep its state in some
	// stores, so callers go by the bank. An unknown topic, or another
	// user's, gives an empty list.
	Memories(ctx context.Context, userID, topicID string) ([]*Memory, error)

	// StudyDays returns the days (Review.Day) on which the user was
	// graded, in increasing order, each once.
	StudyDays(ctx context.Context, userID string) ([]int, error)
}
