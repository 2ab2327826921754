package http

import (
	"strconv"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/tutor"
)

// userJSON is a User as the API shows it.
type userJSON struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	TimeZone  string    `json:"time_zone"`
	Admin     bool      `json:"admin"`
}

func userView(u *recall.User) userJSON {
	tz := u.TimeZone
	if tz == "" {
		tz = recall.DefaultTimeZone
	}
	return userJSON{ID: u.ID, Username: u.Username, CreatedAt: u.CreatedAt.UTC(), TimeZone: tz, Admin: u.Admin}
}

// Topic views: each adds fields to the one before.
const (
	viewSummary   = "summary"
	viewDashboard = "dashboard"
	viewFull      = "full"
)

// appendTopic appends t as a JSON object in view, which has been checked:
//
//	summary:   id, title, question_count, updated_at
//	dashboard: summary + description, stats {sessions_completed, answers,
//	           correct, accuracy (null before any answer), last_studied_at (null before)
//	           [, new, learning, review, due_now, mastered, next_due_at (null if none)]}
//	           (the learning counts when t.Learning is set)
//	full:      dashboard + created_at, question_ids ([] when there are none)
//
// Times are in UTC. The topic views are the hottest responses of the API,
// so they are encoded by hand rather than through encoding/json's
// reflection, maps and interfaces; the bytes are exactly those encoding/json
// gives for the struct views they replaced (topicjson_test.go keeps those as
// the reference and compares). The only error is a time that RFC 3339
// cannot show, which encoding/json refused too.
func appendTopic(b []byte, t *recall.Topic, view string) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = appendJSONString(b, t.ID)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, t.Title)
	b = append(b, `,"question_count":`...)
	b = strconv.AppendInt(b, int64(len(t.QuestionIDs)), 10)
	b = append(b, `,"updated_at":`...)
	if b, err = appendJSONTime(b, t.UpdatedAt); err != nil {
		return b, err
	}
	if view == viewSummary {
		return append(b, '}'), nil
	}

	st := &t.Stats
	b = append(b, `,"description":`...)
	b = appendJSONString(b, t.Description)
	b = append(b, `,"stats":{"sessions_completed":`...)
	b = strconv.AppendInt(b, int64(st.SessionsCompleted), 10)
	b = append(b, `,"answers":`...)
	b = strconv.AppendInt(b, int64(st.Answers), 10)
	b = append(b, `,"correct":`...)
	b = strconv.AppendInt(b, int64(st.Correct), 10)
	b = append(b, `,"accuracy":`...)
	if a := st.Accuracy(); a == nil {
		b = append(b, "null"...)
	} else if b, err = appendJSONFloat(b, *a); err != nil {
		return b, err
	}
	b = append(b, `,"last_studied_at":`...)
	if st.LastStudiedAt == nil {
		b = append(b, "null"...)
	} else if b, err = appendJSONTime(b, *st.LastStudiedAt); err != nil {
		return b, err
	}
	if l := t.Learning; l != nil {
		for _, f := range []struct {
			name string
			n    int
		}{{`,"new":`, l.New}, {`,"learning":`, l.Learning}, {`,"review":`, l.Review}, {`,"due_now":`, l.DueNow}, {`,"mastered":`, l.Mastered}} {
			b = append(b, f.name...)
			b = strconv.AppendInt(b, int64(f.n), 10)
		}
		b = append(b, `,"next_due_at":`...)
		if l.NextDueAt == nil {
			b = append(b, "null"...)
		} else if b, err = appendJSONTime(b, *l.NextDueAt); err != nil {
			return b, err
		}
	}
	b = append(b, '}')
	if view == viewDashboard {
		return append(b, '}'), nil
	}

	b = append(b, `,"created_at":`...)
	if b, err = appendJSONTime(b, t.CreatedAt); err != nil {
		return b, err
	}
	b = append(b, `,"question_ids":[`...)
	for i, id := range t.QuestionIDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, id)
	}
	return append(b, "]}"...), nil
}

// topicSizeHint is about the size of t in view as appendTopic writes it
// (exact but for escapes and the width of numbers), so that a response
// buffer can be sized once instead of grown by doubling.
func topicSizeHint(t *recall.Topic, view string) int {
	// The fixed parts: names, punctuation, 30-byte times, short numbers.
	n := 90 + len(t.ID) + len(t.Title)
	if view == viewSummary {
		return n
	}
	n += 170 + len(t.Description)
	if t.Learning != nil {
		n += 130
	}
	if view == viewDashboard {
		return n
	}
	n += 65
	for _, id := range t.QuestionIDs {
		n += len(id) + 3
	}
	return n
}

// questionJSON is a Question as the API shows it. Choices is omitted when
// the question is not multiple choice; the tolerances and the unit when
// they are zero or empty (exact values, no unit).
type questionJSON struct {
	ID          string    `json:"id"`
	TopicID     string    `json:"topic_id"`
	Prompt      string    `json:"prompt"`
	Answers     []string  `json:"answers"`
	Choices     []string  `json:"choices,omitempty"`
	Explanation string    `json:"explanation"`
	Hint        string    `json:"hint"`
	AbsTol      float64   `json:"abs_tol,omitempty"`
	RelTol      float64   `json:"rel_tol,omitempty"`
	Unit        string    `json:"unit,omitempty"`
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
		Explanation: q.Explanation, Hint: q.Hint, AbsTol: q.AbsTol, RelTol: q.RelTol, Unit: q.Unit,
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
