package recall

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
	// AbsTol, RelTol and Unit say how a numeric answer is graded: within
	// AbsTol of an accepted answer, or within RelTol of its magnitude
	// (0.05 is 5 %), and Unit is the unit of accepted answers written
	// without one. Zero values ask for the exact value and no unit.
	AbsTol    float64
	RelTol    float64
	Unit      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// QuestionInput is a new question (Prompt and Answers required) or the
// fields of an update (nil means unchanged).
type QuestionInput struct {
	Prompt      *string   `json:"prompt"`
	Answers     *[]string `json:"answers"`
	Choices     *[]string `json:"choices"`
	Explanation *string   `json:"explanation"`
	Hint        *string   `json:"hint"`
	AbsTol      *float64  `json:"abs_tol"`
	RelTol      *float64  `json:"rel_tol"`
	Unit        *string   `json:"unit"`
}

// Limits of the question bank API.
const (
	MaxQuestionsPerRequest = 500
	MaxAnswers             = 20
	// MaxUnitLength is the longest Unit, in characters.
	MaxUnitLength = 32
	// MaxRelTol is the largest RelTol (100 %).
	MaxRelTol = 1
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
	if in.AbsTol != nil && !(*in.AbsTol >= 0 && *in.AbsTol <= math.MaxFloat64) {
		fields[prefix+"abs_tol"] = "must be a number ≥ 0"
	}
	if in.RelTol != nil && !(*in.RelTol >= 0 && *in.RelTol <= MaxRelTol) {
		fields[prefix+"rel_tol"] = "must be a number from 0 to 1"
	}
	if in.Unit != nil {
		*in.Unit = strings.TrimSpace(*in.Unit)
		if msg := checkUnit(*in.Unit); msg != "" {
			fields[prefix+"unit"] = msg
		}
	}
	if !create && in.Prompt == nil && in.Answers == nil && in.Choices == nil && in.Explanation == nil && in.Hint == nil &&
		in.AbsTol == nil && in.RelTol == nil && in.Unit == nil {
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
	if in.AbsTol != nil {
		q.AbsTol = *in.AbsTol
	}
	if in.RelTol != nil {
		q.RelTol = *in.RelTol
	}
	if in.Unit != nil {
		q.Unit = *in.Unit
	}
}

// checkUnit returns what is wrong with a unit, "" if nothing: at most
// MaxUnitLength characters, not starting with a digit (it would read as
// a part of the number).
func checkUnit(u string) string {
	if msg := checkText(u, 0, MaxUnitLength); msg != "" {
		return msg
	}
	if r, _ := utf8.DecodeRuneInString(u); unicode.IsDigit(r) {
		return "must not start with a digit"
	}
	return ""
}

// Check validates a whole question, after an update was applied: every
// accepted answer of a multiple-choice question must be one of its choices,
// and only a typed answer has a tolerance or a unit (a choice is graded by
// the choice it names, never by value).
func (q *Question) Check(prefix string) error {
	if len(q.Choices) == 0 {
		return nil
	}
	if q.AbsTol != 0 || q.RelTol != 0 || q.Unit != "" {
		fields := map[string]string{}
		for name, set := range map[string]bool{"abs_tol": q.AbsTol != 0, "rel_tol": q.RelTol != 0, "unit": q.Unit != ""} {
			if set {
				fields[prefix+name] = "applies only to a typed answer, not to a multiple-choice question"
			}
		}
		return fieldsError(fields)
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
	// userID is the topic's owner: the caller checks the topic first, and
	// passes its owner, which a cache keys the bank under (the stores do
	// not check it: the query is on topicID alone). A topic with no
	// questions (or none at all) gives an empty slice.
	Questions(ctx context.Context, userID, topicID string) ([]*Question, error)

	// UpdateQuestion applies in to one question and sets its UpdatedAt (and
	// the topic's) to now. Returns ENOTFOUND if the topic is not the user's
	// or the question is not in it; EINVALID if the result fails Check.
	UpdateQuestion(ctx context.Context, userID, topicID, id string, in QuestionInput, now time.Time) (*Question, error)

	// DeleteQuestion removes one question and sets the topic's UpdatedAt to
	// now. Returns ENOTFOUND as UpdateQuestion does.
	DeleteQuestion(ctx context.Context, userID, topicID, id string, now time.Time) error
}

// QuestionKey identifies the text of a question, for spotting duplicates:
// two questions with the same key ask the same thing with the same
// answers, case and white space aside.
func QuestionKey(prompt string, answers []string) string {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	var b strings.Builder
	b.WriteString(norm(prompt))
	for _, a := range answers {
		b.WriteByte(0)
		b.WriteString(norm(a))
	}
	return b.String()
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
