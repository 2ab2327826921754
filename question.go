package recall

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Question is one item of a topic's question bank.
type Question struct {
	ID          string
	TopicID     string
	Prompt      string
	Answers     []string
	Choices     []string // non-empty makes it multiple choice
	Explanation string
	Hint        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// QuestionInput is a new question (Prompt and Answers required) or the
// fields of an update (nil means unchanged).
type QuestionInput struct {
	Prompt      *string   `json:"prompt"`
	Answers     *[]string `json:"answers"`
	Choices     *[]string `json:"choices"`
	Explanation *string   `json:"explanation"`
	Hint        *string   `json:"hint"`
}

// Limits of the question bank API.
const (
	MaxQuestionsPerRequest = 500
	MaxAnswers             = 20
)

// Validate checks a new question (create) or the fields of an update.
// Names of bad fields are prefixed with prefix, e.g. "questions[3].".
func (in *QuestionInput) Validate(create bool, prefix string) error {
	fields := map[string]string{}
	if in.Prompt == nil {
		if create {
			fields[prefix+"prompt"] = "is required"
		}
	} else {
		*in.Prompt = strings.TrimSpace(*in.Prompt)
		if msg := checkText(*in.Prompt, 1, 2000); msg != "" {
			fields[prefix+"prompt"] = msg
		}
	}
	if in.Answers == nil {
		if create {
			fields[prefix+"answers"] = "is required"
		}
	} else if msg := checkList(*in.Answers, 1, MaxAnswers, 500); msg != "" {
		fields[prefix+"answers"] = msg
	}
	// An empty list of choices means a typed answer, on a create as on an
	// update (where it turns multiple choice off); null is absent.
	if in.Choices != nil && len(*in.Choices) > 0 {
		if msg := checkList(*in.Choices, 2, 10, 500); msg != "" {
			fields[prefix+"choices"] = msg
		} else if hasDuplicates(*in.Choices) {
			fields[prefix+"choices"] = "must all differ"
		}
	}
	if in.Explanation != nil {
		if msg := checkText(*in.Explanation, 0, 4000); msg != "" {
			fields[prefix+"explanation"] = msg
		}
	}
	if in.Hint != nil {
		if msg := checkText(*in.Hint, 0, 500); msg != "" {
			fields[prefix+"hint"] = msg
		}
	}
	if !create && in.Prompt == nil && in.Answers == nil && in.Choices == nil && in.Explanation == nil && in.Hint == nil {
		fields["body"] = "must change at least one field"
	}
	return fieldsError(fields)
}

// Apply copies the non-nil fields of in onto q.
func (in *QuestionInput) Apply(q *Question) {
	if in.Prompt != nil {
		q.Prompt = *in.Prompt
	}
	if in.Answers != nil {
		q.Answers = append([]string(nil), (*in.Answers)...)
	}
	if in.Choices != nil {
		q.Choices = append([]string(nil), (*in.Choices)...)
		if len(q.Choices) == 0 {
			q.Choices = nil
		}
	}
	if in.Explanation != nil {
		q.Explanation = *in.Explanation
	}
	if in.Hint != nil {
		q.Hint = *in.Hint
	}
}

// Check validates a whole question, after an update was applied: every
// accepted answer of a multiple-choice question must be one of its choices.
func (q *Question) Check(prefix string) error {
	if len(q.Choices) == 0 {
		return nil
	}
	choices := make(map[string]bool, len(q.Choices))
	for _, c := range q.Choices {
		choices[strings.TrimSpace(c)] = true
	}
	for _, a := range q.Answers {
		if !choices[strings.TrimSpace(a)] {
			return fieldsError(map[string]string{prefix + "answers": "must each be one of the choices"})
		}
	}
	return nil
}

func checkList(list []string, min, max, maxLen int) string {
	if len(list) < min || len(list) > max {
		return "must have " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + " items"
	}
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			return "must not contain empty items"
		}
		if msg := checkText(s, 1, maxLen); msg != "" {
			return "items " + msg
		}
	}
	return ""
}

// QuestionStore keeps question banks.
type QuestionStore interface {
	// AddQuestions appends qs to the end of the topic's bank in one
	// transaction, all or nothing, and sets the topic's UpdatedAt to the
	// questions' CreatedAt. The caller sets IDs and times.
	// Returns ENOTFOUND if the topic does not exist or is another user's.
	AddQuestions(ctx context.Context, userID, topicID string, qs []*Question) error

	// Questions returns a topic's whole bank in bank order, in one query.
	// It does not check ownership: callers check the topic first.
	// A topic with no questions (or none at all) gives an empty slice.
	Questions(ctx context.Context, topicID string) ([]*Question, error)

	// UpdateQuestion applies in to one question and sets its UpdatedAt (and
	// the topic's) to now. Returns ENOTFOUND if the topic is not the user's
	// or the question is not in it; EINVALID if the result fails Check.
	UpdateQuestion(ctx context.Context, userID, topicID, id string, in QuestionInput, now time.Time) (*Question, error)

	// DeleteQuestion removes one question and sets the topic's UpdatedAt to
	// now. Returns ENOTFOUND as UpdateQuestion does.
	DeleteQuestion(ctx context.Context, userID, topicID, id string, now time.Time) error
}

// hasDuplicates reports whether two items are equal once trimmed and
// case-folded: such choices would make a choice letter ambiguous.
func hasDuplicates(list []string) bool {
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		k := strings.ToLower(strings.TrimSpace(s))
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}
