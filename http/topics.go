package http

import (
	"time"

	"net/http"

	"github.com/recallhq/recall"
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
	s.writeJSON(w, r, http.StatusCreated, map[string]any{"topic": topicView(t, viewFull)})
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
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = topicView(t, view)
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"topics": out})
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
	s.writeJSON(w, r, http.StatusOK, map[string]any{"topic": topicView(t, view)})
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
	s.writeJSON(w, r, http.StatusOK, map[string]any{"topic": topicView(t, view)})
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
