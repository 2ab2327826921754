package http

import (
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/tutor"
)

// userJSON is a User as the API shows it.
type userJSON struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
}

func userView(u *recall.User) userJSON {
	return userJSON{ID: u.ID, Username: u.Username, CreatedAt: u.CreatedAt.UTC()}
}

// Topic views: each adds fields to the one before.
const (
	viewSummary   = "summary"
	viewDashboard = "dashboard"
	viewFull      = "full"
)

type topicSummary struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	QuestionCount int       `json:"question_count"`
	UpdatedAt     time.Time `json:"updated_at"`
}

type topicDashboard struct {
	topicSummary
	Description string    `json:"description"`
	Stats       statsJSON `json:"stats"`
}

type topicFull struct {
	topicDashboard
	CreatedAt   time.Time `json:"created_at"`
	QuestionIDs []string  `json:"question_ids"`
}

type statsJSON struct {
	SessionsCompleted int        `json:"sessions_completed"`
	Answers           int        `json:"answers"`
	Correct           int        `json:"correct"`
	Accuracy          *float64   `json:"accuracy"`
	LastStudiedAt     *time.Time `json:"last_studied_at"`
}

// topicView projects t onto one of the views; view has been checked.
func topicView(t *recall.Topic, view string) any {
	sum := topicSummary{ID: t.ID, Title: t.Title, QuestionCount: len(t.QuestionIDs), UpdatedAt: t.UpdatedAt.UTC()}
	if view == viewSummary {
		return sum
	}
	st := statsJSON{
		SessionsCompleted: t.Stats.SessionsCompleted,
		Answers:           t.Stats.Answers,
		Correct:           t.Stats.Correct,
		Accuracy:          t.Stats.Accuracy(),
	}
	if t.Stats.LastStudiedAt != nil {
		at := t.Stats.LastStudiedAt.UTC()
		st.LastStudiedAt = &at
	}
	dash := topicDashboard{topicSummary: sum, Description: t.Description, Stats: st}
	if view == viewDashboard {
		return dash
	}
	ids := t.QuestionIDs
	if ids == nil {
		ids = []string{}
	}
	return topicFull{topicDashboard: dash, CreatedAt: t.CreatedAt.UTC(), QuestionIDs: ids}
}

// questionJSON is a Question as the API shows it. Choices is omitted when
// the question is not multiple choice.
type questionJSON struct {
	ID          string    `json:"id"`
	TopicID     string    `json:"topic_id"`
	Prompt      string    `json:"prompt"`
	Answers     []string  `json:"answers"`
	Choices     []string  `json:"choices,omitempty"`
	Explanation string    `json:"explanation"`
	Hint        string    `json:"hint"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func questionView(q *recall.Question) questionJSON {
	answers := q.Answers
	if answers == nil {
		answers = []string{}
	}
	return questionJSON{
		ID: q.ID, TopicID: q.TopicID, Prompt: q.Prompt, Answers: answers, Choices: q.Choices,
		Explanation: q.Explanation, Hint: q.Hint,
		CreatedAt: q.CreatedAt.UTC(), UpdatedAt: q.UpdatedAt.UTC(),
	}
}

func questionViews(qs []*recall.Question) []questionJSON {
	out := make([]questionJSON, len(qs))
	for i, q := range qs {
		out[i] = questionView(q)
	}
	return out
}

// sessionJSON is a Session as the API shows it: never an accepted answer,
// a hint or an explanation.
type sessionJSON struct {
	ID              string               `json:"id"`
	TopicID         string               `json:"topic_id"`
	State           recall.SessionState  `json:"state"`
	CreatedAt       time.Time            `json:"created_at"`
	UpdatedAt       time.Time            `json:"updated_at"`
	ExpiresAt       time.Time            `json:"expires_at"`
	Progress        progressJSON         `json:"progress"`
	CurrentQuestion *currentQuestionJSON `json:"current_question"`
}

type progressJSON struct {
	Total    int `json:"total"`
	Answered int `json:"answered"`
	Correct  int `json:"correct"`
	Skipped  int `json:"skipped"`
}

// currentQuestionJSON is the question being asked: prompt and choices only.
type currentQuestionJSON struct {
	ID      string   `json:"id"`
	Prompt  string   `json:"prompt"`
	Choices []string `json:"choices,omitempty"`
}

func sessionView(v *tutor.View) sessionJSON {
	s := v.Session
	out := sessionJSON{
		ID: s.ID, TopicID: s.TopicID, State: v.State,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(), ExpiresAt: v.ExpiresAt.UTC(),
		Progress: progressJSON{Total: len(s.QuestionIDs), Answered: s.Answered, Correct: s.Correct, Skipped: s.Skipped},
	}
	if q := v.Current; q != nil && v.State == recall.SessionActive {
		out.CurrentQuestion = &currentQuestionJSON{ID: q.ID, Prompt: q.Prompt, Choices: q.Choices}
	}
	return out
}

func sessionViews(vs []*tutor.View) []sessionJSON {
	out := make([]sessionJSON, len(vs))
	for i, v := range vs {
		out[i] = sessionView(v)
	}
	return out
}

// turnJSON is a Turn as the API shows it. QuestionID is null for a summary;
// Correct is null for hints and summaries.
type turnJSON struct {
	Index      int             `json:"index"`
	Kind       recall.TurnKind `json:"kind"`
	Message    string          `json:"message"`
	Reply      string          `json:"reply"`
	QuestionID *string         `json:"question_id"`
	Correct    *bool           `json:"correct"`
	CreatedAt  time.Time       `json:"created_at"`
}

func turnView(t *recall.Turn) turnJSON {
	out := turnJSON{Index: t.Index, Kind: t.Kind, Message: t.Message, Reply: t.Reply, Correct: t.Correct, CreatedAt: t.CreatedAt.UTC()}
	if t.QuestionID != "" {
		qid := t.QuestionID
		out.QuestionID = &qid
	}
	return out
}

func turnViews(ts []*recall.Turn) []turnJSON {
	out := make([]turnJSON, len(ts))
	for i, t := range ts {
		out[i] = turnView(t)
	}
	return out
}
