package http

import (
	"net/http"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/srs"
)

// topicViewParam reads ?view=, defaulting to def; "" counts as absent.
func topicViewParam(r *http.Request, def string) (string, error) {
	v := r.URL.Query().Get("view")
	switch v {
	case "":
		return def, nil
	case viewSummary, viewDashboard, viewFull:
		return v, nil
	}
	return "", recall.Invalid("view", "must be summary, dashboard or full")
}

// createTopic handles POST /v1/topics; it answers with the full view.
func (s *Server) createTopic(w http.ResponseWriter, r *http.Request) error {
	var in recall.TopicInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.Validate(true); err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	t := &recall.Topic{
		ID: recall.NewID(), UserID: userID(r), Title: *in.Title,
		QuestionIDs: []string{}, CreatedAt: now, UpdatedAt: now,
	}
	if in.Description != nil {
		t.Description = *in.Description
	}
	if err := s.cfg.Topics.CreateTopic(r.Context(), t); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/topics/"+t.ID)
	s.writeTopic(w, r, http.StatusCreated, t, viewFull)
	return nil
}

// listTopics handles GET /v1/topics?view=.
func (s *Server) listTopics(w http.ResponseWriter, r *http.Request) error {
	view, err := topicViewParam(r, viewSummary)
	if err != nil {
		return err
	}
	ts, err := s.cfg.Topics.Topics(r.Context(), userID(r))
	if err != nil {
		return err
	}
	if err := s.learning(r, ts, view); err != nil {
		return err
	}
	s.writeTopicList(w, r, ts, view)
	return nil
}

// getTopic handles GET /v1/topics/{id}?view=.
func (s *Server) getTopic(w http.ResponseWriter, r *http.Request) error {
	view, err := topicViewParam(r, viewSummary)
	if err != nil {
		return err
	}
	t, err := s.cfg.Topics.Topic(r.Context(), userID(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.learning(r, []*recall.Topic{t}, view); err != nil {
		return err
	}
	s.writeTopic(w, r, http.StatusOK, t, view)
	return nil
}

// updateTopic handles PATCH /v1/topics/{id}?view= (default full).
func (s *Server) updateTopic(w http.ResponseWriter, r *http.Request) error {
	view, err := topicViewParam(r, viewFull)
	if err != nil {
		return err
	}
	var in recall.TopicInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.Validate(false); err != nil {
		return err
	}
	t, err := s.cfg.Topics.UpdateTopic(r.Context(), userID(r), r.PathValue("id"), in, s.now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return err
	}
	s.writeTopic(w, r, http.StatusOK, t, view)
	return nil
}

// deleteTopic handles DELETE /v1/topics/{id}.
func (s *Server) deleteTopic(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Topics.DeleteTopic(r.Context(), userID(r), r.PathValue("id")); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// writeTopicList writes {"topics":[…]}, ts in view, encoded by hand (see
// appendTopic) into a buffer sized for it.
func (s *Server) writeTopicList(w http.ResponseWriter, r *http.Request, ts []*recall.Topic, view string) {
	n := len(`{"topics":[]}` + "\n")
	for _, t := range ts {
		n += topicSizeHint(t, view) + 1
	}
	buf := s.responseBuffer(n)
	defer s.releaseBuffer(buf)
	b := append(*buf, `{"topics":[`...)
	var err error
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendTopic(b, t, view); err != nil {
			s.encodeFailed(w, r, err)
			return
		}
	}
	b = append(b, "]}\n"...)
	*buf = b
	writeBody(w, http.StatusOK, b)
}

// writeTopic writes {"topic":{…}}, t in view, with the given status, as
// writeTopicList does.
func (s *Server) writeTopic(w http.ResponseWriter, r *http.Request, status int, t *recall.Topic, view string) {
	buf := s.responseBuffer(len(`{"topic":}`+"\n") + topicSizeHint(t, view))
	defer s.releaseBuffer(buf)
	b := append(*buf, `{"topic":`...)
	b, err := appendTopic(b, t, view)
	if err != nil {
		s.encodeFailed(w, r, err)
		return
	}
	b = append(b, "}\n"...)
	*buf = b
	writeBody(w, status, b)
}

// learning sets the Learning counts of ts (the caller's copies) from the
// user's memory states, read through the cache, for the views that show
// stats. Without a memory store it sets nothing.
func (s *Server) learning(r *http.Request, ts []*recall.Topic, view string) error {
	if s.cfg.Memories == nil || view == viewSummary {
		return nil
	}
	now := s.now().UTC()
	for _, t := range ts {
		ms, err := s.cfg.Memories.Memories(r.Context(), userID(r), t.ID)
		if err != nil {
			return err
		}
		byID := make(map[string]recall.Memory, len(ms))
		for _, m := range ms {
			byID[m.QuestionID] = *m
		}
		c := srs.Count(t.QuestionIDs, byID, now)
		l := &recall.LearningStats{New: c.New, Learning: c.Learning, Review: c.Review, DueNow: c.DueNow, Mastered: c.Mastered}
		if !c.NextDue.IsZero() {
			at := c.NextDue.UTC()
			l.NextDueAt = &at
		}
		t.Learning = l
	}
	return nil
}
