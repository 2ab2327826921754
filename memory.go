package recall

import "time"

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
