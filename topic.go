package recall

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Topic is a subject a user studies. It owns a question bank.
type Topic struct {
	ID          string
	UserID      string
	Title       string
	Description string
	// QuestionIDs lists the topic's question bank in bank order.
	QuestionIDs []string
	// Stats summarises the completed sessions on this topic.
	Stats TopicStats
	// Learning counts the questions by where they stand in the owner's
	// memory. It is computed for a response from the memory states, never
	// stored: stores and caches leave it nil.
	Learning  *LearningStats
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TopicStats counts the turns of a topic's completed sessions.
type TopicStats struct {
	SessionsCompleted int
	// Answers counts the questions whose outcome is decided: answered or skipped.
	Answers       int
	Correct       int
	LastStudiedAt *time.Time
}

// LearningStats counts a topic's questions by their memory state.
type LearningStats struct {
	// New counts the questions never graded; Learning those being learned
	// or relearned; Review the learned ones; DueNow the graded ones due now;
	// Mastered the learned ones with a stability of 21 days or more.
	New, Learning, Review, DueNow, Mastered int
	// NextDueAt is the earliest due time of a graded question, nil if none.
	NextDueAt *time.Time
}

// Accuracy returns Correct/Answers, or nil before any answer.
func (s TopicStats) Accuracy() *float64 {
	if s.Answers == 0 {
		return nil
	}
	a := float64(s.Correct) / float64(s.Answers)
	return &a
}

// TopicInput is the body of a topic create (Title required) or update (any
// field may be nil, meaning unchanged).
type TopicInput struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
}

// Validate checks the fields that are present; create is true for a new
// topic, which must have a title.
func (in *TopicInput) Validate(create bool) error {
	fields := map[string]string{}
	if in.Title == nil {
		if create {
			fields["title"] = "is required"
		}
	} else {
		*in.Title = strings.TrimSpace(*in.Title)
		if msg := checkText(*in.Title, 1, 200); msg != "" {
			fields["title"] = msg
		}
	}
	if in.Description != nil {
		if msg := checkText(*in.Description, 0, 4000); msg != "" {
			fields["description"] = msg
		}
	}
	if !create && in.Title == nil && in.Description == nil {
		fields["body"] = "must change at least one field"
	}
	return fieldsError(fields)
}

// TextProblem returns "" if s is text every store keeps as it is: valid
// UTF-8 without NUL (U+0000) characters, which PostgreSQL cannot store.
// Otherwise it says what is wrong ("must not contain NUL characters").
// Every text a user sends (titles, prompts, answers, messages, usernames,
// passwords) is checked with it above the stores, so all stores agree.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "must not contain NUL characters"
	}
	return ""
}

// checkText returns "" if s is valid UTF-8 of min..max characters without
// NUL, or what is wrong.
func checkText(s string, min, max int) string {
	if msg := TextProblem(s); msg != "" {
		return msg
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < min && min == 1:
		return "must not be empty"
	case n < min:
		return "is too short"
	case n > max:
		return "must be at most " + strconv.Itoa(max) + " characters long"
	}
	return ""
}

// TopicStore keeps topics. Every method is scoped to one user: another
// user's topic is reported as ENOTFOUND, never as forbidden.
type TopicStore interface {
	// CreateTopic stores t, whose ID, UserID and times the caller has set.
	CreateTopic(ctx context.Context, t *Topic) error

	// Topics returns the user's topics, most recently updated first, each
	// with its question IDs and stats. The topic cache keeps this list, and
	// every topic view is a projection of it.
	Topics(ctx context.Context, userID string) ([]*Topic, error)

	// Topic returns one of the user's topics. Returns ENOTFOUND if it does
	// not exist or belongs to another user.
	Topic(ctx context.Context, userID, id string) (*Topic, error)

	// UpdateTopic applies the non-nil fields of in and sets UpdatedAt to now.
	// Returns ENOTFOUND as Topic does.
	UpdateTopic(ctx context.Context, userID, id string, in TopicInput, now time.Time) (*Topic, error)

	// DeleteTopic deletes the topic with its questions and sessions.
	// Returns ENOTFOUND as Topic does.
	DeleteTopic(ctx context.Context, userID, id string) error
}
