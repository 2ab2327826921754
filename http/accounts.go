package http

import (
	"net/http"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/srs"
)

// createUser handles POST /v1/users.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var c recall.Credentials
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	u, err := s.cfg.Auth.Register(r.Context(), c)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, map[string]any{"user": userView(u)})
	return nil
}

// tokenJSON is the response of POST /v1/tokens.
type tokenJSON struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createToken handles POST /v1/tokens.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var c recall.Credentials
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	tok, exp, err := s.cfg.Auth.Login(r.Context(), c)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, tokenJSON{Token: tok, ExpiresAt: exp.UTC()})
	return nil
}

// deleteToken handles DELETE /v1/tokens/current: the token of the request
// stops working.
func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Auth.Revoke(r.Context(), info(r).token); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// me handles GET /v1/me.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	u, err := s.cfg.Auth.User(r.Context(), userID(r))
	if recall.IsCode(err, recall.ENOTFOUND) {
		// A valid token of a user that is gone.
		return recall.Errorf(recall.EUNAUTHORIZED, "The account of this token no longer exists.")
	} else if err != nil {
		return err
	}
	body := map[string]any{"user": userView(u)}
	if s.cfg.Memories != nil {
		days, err := s.cfg.Memories.StudyDays(r.Context(), u.ID)
		if err != nil {
			return err
		}
		studied := make([]srs.Day, len(days))
		for i, d := range days {
			studied[i] = srs.Day(d)
		}
		current, longest := srs.Streak(studied, srs.DayOf(s.now(), u.Location()))
		body["streak"] = map[string]int{"current": current, "longest": longest}
	}
	s.writeJSON(w, r, http.StatusOK, body)
	return nil
}

// updateMe handles PATCH /v1/me: the user's settings (time_zone, an IANA
// name: 400 invalid for any other).
func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) error {
	var in recall.UserSettings
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	u, err := s.cfg.Users.UserByID(r.Context(), userID(r))
	if recall.IsCode(err, recall.ENOTFOUND) {
		return recall.Errorf(recall.EUNAUTHORIZED, "The account of this token no longer exists.")
	} else if err != nil {
		return err
	}
	u.TimeZone = *in.TimeZone
	if err := s.cfg.Users.UpdateUser(r.Context(), u); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"user": userView(u)})
	return nil
}
