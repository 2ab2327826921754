package http

import (
	"time"

	"net/http"
	"strconv"

	"github.com/recallhq/recall"
)

// maxReportedFields bounds the fields named in one EINVALID response for a
// question batch, so that 500 bad items do not make a huge error.
const maxReportedFields = 50

// addQuestionsBody is the body of POST /v1/topics/{id}/questions.
type addQuestionsBody struct {
	Questions []recall.QuestionInput `json:"questions"`
}

// addQuestions handles POST /v1/topics/{id}/questions: all or nothing.
func (s *Server) addQuestions(w http.ResponseWriter, r *http.Request) error {
	var body addQuestionsBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	uid, tid := userID(r), r.PathValue("id")
	// invalid answers an invalid body: 404 first if the topic is not the
	// user's. A valid body needs no such read: AddQuestions answers
	// ENOTFOUND itself.
	invalid := func(err error) error {
		if _, terr := s.cfg.Topics.Topic(r.Context(), uid, tid); terr != nil {
			return terr
		}
		return err
	}
	switch n := len(body.Questions); {
	case body.Questions == nil:
		return invalid(recall.Invalid("questions", "is required"))
	case n < 1 || n > recall.MaxQuestionsPerRequest:
		return invalid(recall.Invalid("questions", "must have 1 to "+strconv.Itoa(recall.MaxQuestionsPerRequest)+" items"))
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	qs := make([]*recall.Question, len(body.Questions))
	fields := map[string]string{}
	for i := range body.Questions {
		in := &body.Questions[i]
		prefix := "questions[" + strconv.Itoa(i) + "]."
		if err := in.Validate(true, prefix); err != nil {
			addFields(fields, err)
			continue
		}
		q := &recall.Question{ID: recall.NewID(), TopicID: tid, CreatedAt: now, UpdatedAt: now}
		in.Apply(q)
		if err := q.Check(prefix); err != nil {
			addFields(fields, err)
			continue
		}
		qs[i] = q
	}
	if len(fields) > 0 {
		msg := "The request is invalid: no question was added."
		if len(fields) == 1 {
			for k, v := range fields {
				msg = k + " " + v + ". No question was added."
			}
		}
		return invalid(&recall.Error{Code: recall.EINVALID, Message: msg, Fields: fields})
	}
	if err := s.cfg.Questions.AddQuestions(r.Context(), uid, tid, qs); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, map[string]any{"questions": questionViews(qs)})
	return nil
}

// addFields merges the invalid fields of err into fields, up to
// maxReportedFields of them.
func addFields(fields map[string]string, err error) {
	for k, v := range recall.ErrorFields(err) {
		if len(fields) >= maxReportedFields {
			return
		}
		fields[k] = v
	}
}

// bank returns the bank of one of the user's topics, ownership checked.
func (s *Server) bank(r *http.Request) ([]*recall.Question, error) {
	uid, tid := userID(r), r.PathValue("id")
	if _, err := s.cfg.Topics.Topic(r.Context(), uid, tid); err != nil {
		return nil, err
	}
	return s.cfg.Questions.Questions(r.Context(), uid, tid)
}

// listQuestions handles GET /v1/topics/{id}/questions.
func (s *Server) listQuestions(w http.ResponseWriter, r *http.Request) error {
	qs, err := s.bank(r)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"questions": questionViews(qs)})
	return nil
}

// getQuestion handles GET /v1/topics/{id}/questions/{qid}. The bank is read
// whole (one query or one cache hit); a question of another topic is not
// in it and gives 404.
func (s *Server) getQuestion(w http.ResponseWriter, r *http.Request) error {
	qs, err := s.bank(r)
	if err != nil {
		return err
	}
	qid := r.PathValue("qid")
	for _, q := range qs {
		if q.ID == qid {
			s.writeJSON(w, r, http.StatusOK, map[string]any{"question": questionView(q)})
			return nil
		}
	}
	return recall.Errorf(recall.ENOTFOUND, "Question not found.")
}

// updateQuestion handles PATCH /v1/topics/{id}/questions/{qid}.
func (s *Server) updateQuestion(w http.ResponseWriter, r *http.Request) error {
	var in recall.QuestionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.Validate(false, ""); err != nil {
		return err
	}
	q, err := s.cfg.Questions.UpdateQuestion(r.Context(), userID(r), r.PathValue("id"), r.PathValue("qid"), in, s.now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"question": questionView(q)})
	return nil
}

// deleteQuestion handles DELETE /v1/topics/{id}/questions/{qid}.
func (s *Server) deleteQuestion(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Questions.DeleteQuestion(r.Context(), userID(r), r.PathValue("id"), r.PathValue("qid"), s.now().UTC().Truncate(time.Microsecond)); err != nil {
		return err
	}
	noContent(w)
	return nil
}
