package http

import (
	"net/http"

	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/tutor"
)

// The keys each route reads, for Config.Gate to read with the token check
// (see Route.prefetch). A key the route ends up not reading costs Redis a
// little; one it reads that is not named here is read as usual.

// knownTopics is a TopicStore that can say which topics a user had when
// this process last read the user's list (cache.TopicStore).
type knownTopics interface {
	KnownTopicIDs(userID string) []string
}

// topicListKeys are the keys of GET /v1/topics: the list, and in a view
// with stats the memory states of each topic the process knows of.
func (s *Server) topicListKeys(r *http.Request, userID string) []cache.PrefetchKey {
	view, err := topicViewParam(r, viewSummary)
	if err != nil || view == viewSummary || s.cfg.Memories == nil {
		return cache.TopicListKeys(userID)
	}
	var ids []string
	if kt, ok := s.cfg.Topics.(knownTopics); ok {
		ids = kt.KnownTopicIDs(userID)
	}
	return cache.TopicListStatsKeys(userID, ids)
}

// topicKeys are the keys of GET /v1/topics/{id}: the list, and in a view
// with stats the topic's memory states.
func (s *Server) topicKeys(r *http.Request, userID string) []cache.PrefetchKey {
	view, err := topicViewParam(r, viewSummary)
	stats := err == nil && view != viewSummary && s.cfg.Memories != nil
	return cache.TopicKeys(userID, r.PathValue("id"), stats)
}

// turnKeys are the keys of POST /v1/sessions/{id}/turns: the session's
// state, the bank of its topic if this process has served the session
// (sessionTopics), and when turns review, the user.
func (s *Server) turnKeys(r *http.Request, userID string) []cache.PrefetchKey {
	id := r.PathValue("id")
	return cache.TurnKeys(userID, id, s.sessionTopics.Topic(userID, id), s.cfg.Memories != nil)
}

// sawSession records the topic of a session the user was served, for the
// gate of the session's next turns (turnKeys).
func (s *Server) sawSession(userID string, v *tutor.View) {
	if v != nil && v.Session != nil {
		s.sessionTopics.Remember(userID, v.Session.ID, v.Session.TopicID)
	}
}

// stateKeys keeps the keys of keys that are states (PrefetchKey.State).
func stateKeys(keys []cache.PrefetchKey) []cache.PrefetchKey {
	var out []cache.PrefetchKey
	for _, k := range keys {
		if k.State {
			out = append(out, k)
		}
	}
	return out
}

// meKeys are the keys of GET /v1/me: the user, and the days of study.
func (s *Server) meKeys(_ *http.Request, userID string) []cache.PrefetchKey {
	return cache.MeKeys(userID, s.cfg.Memories != nil)
}
