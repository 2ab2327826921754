package http

import (
	"net/http"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/tutor"
)

// startSession handles POST /v1/sessions. The engine validates the input.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request) error {
	var in tutor.StartInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.cfg.Tutor.Start(r.Context(), userID(r), in)
	if err != nil {
		return err
	}
	s.sawSession(userID(r), v)
	w.Header().Set("Location", "/v1/sessions/"+v.Session.ID)
	s.writeJSON(w, r, http.StatusCreated, map[string]any{"session": sessionView(v)})
	return nil
}

// listSessions handles GET /v1/sessions?state=&limit=&cursor=: one page,
// and next_cursor, the cursor of the next page (null after the last).
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	// The engine checks the state (EINVALID) before it reads anything.
	limit, err := recall.ParseLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	after, err := recall.ParseCursor(q.Get("cursor"))
	if err != nil {
		return err
	}
	vs, next, err := s.cfg.Tutor.List(r.Context(), userID(r), tutor.ListQuery{
		State: recall.SessionState(q.Get("state")), After: after, Limit: limit,
	})
	if err != nil {
		return err
	}
	var nextCursor *string
	if !next.IsZero() {
		c := next.String()
		nextCursor = &c
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"sessions": sessionViews(vs), "next_cursor": nextCursor})
	return nil
}

// getSession handles GET /v1/sessions/{id}.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Tutor.Get(r.Context(), userID(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.sawSession(userID(r), v)
	s.writeJSON(w, r, http.StatusOK, map[string]any{"session": sessionView(v)})
	return nil
}

// turnBody is the body of POST /v1/sessions/{id}/turns.
type turnBody struct {
	Message string `json:"message"`
}

// turnResponse is the response of POST /v1/sessions/{id}/turns.
type turnResponse struct {
	Turn    turnJSON    `json:"turn"`
	Session sessionJSON `json:"session"`
}

// createTurn handles POST /v1/sessions/{id}/turns, with an optional
// Idempotency-Key header.
func (s *Server) createTurn(w http.ResponseWriter, r *http.Request) error {
	var body turnBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	// The engine checks the message and the key (at most 200 characters).
	key := r.Header.Get("Idempotency-Key")
	t, v, err := s.cfg.Tutor.Turn(r.Context(), userID(r), r.PathValue("id"), body.Message, key)
	if err != nil {
		return err
	}
	s.sawSession(userID(r), v)
	s.writeJSON(w, r, http.StatusOK, turnResponse{Turn: turnView(t), Session: sessionView(v)})
	return nil
}

// listTurns handles GET /v1/sessions/{id}/turns.
func (s *Server) listTurns(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.cfg.Tutor.Transcript(r.Context(), userID(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"turns": turnViews(ts)})
	return nil
}

// endSession handles POST /v1/sessions/{id}/end. It takes no body, and an
// optional Idempotency-Key header as turns do, so that a retry is safe.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Tutor.EndOnce(r.Context(), userID(r), r.PathValue("id"), r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"session": sessionView(v)})
	return nil
}
