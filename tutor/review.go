package tutor

import (
	"context"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/srs"
)

// This file is the spaced-repetition side of a session: the memory states
// a session starts from, the questions a due session asks, and the review
// each graded turn makes (right is Good, right after the hint Hard, wrong
// or skipped Again), which SaveTurn writes in the turn's transaction.

// scheduler returns the FSRS scheduler of user u.
func (e *Engine) scheduler(u *recall.User) srs.Scheduler {
	s := srs.Scheduler{Retention: e.retention}
	if u != nil && srs.ValidWeights(u.Weights) {
		s.Weights = u.Weights
	}
	return s
}

// memoriesOf returns the user's memory states of the topic, by question id,
// and the user (for its time zone and weights) when needDue is set. Both
// come through the cache decorators: a hot start reads no database row.
func (e *Engine) memoriesOf(ctx context.Context, userID, topicID string, needDue bool) (map[string]recall.Memory, *recall.User, error) {
	if e.memories == nil {
		if needDue {
			return nil, nil, recall.Invalid("mode", "Due sessions are not available on this server.")
		}
		return nil, nil, nil
	}
	list, err := e.memories.Memories(ctx, userID, topicID)
	if err != nil {
		return nil, nil, err
	}
	mems := make(map[string]recall.Memory, len(list))
	for _, m := range list {
		mems[m.QuestionID] = *m
	}
	// The user is read even when the plan does not need it: the session's
	// turns review with its settings, and reading it here, through the
	// cache, fills the key they hit, so no turn pays a cold read.
	var u *recall.User
	if e.users != nil {
		if u, err = e.users.UserByID(ctx, userID); err != nil {
			return nil, nil, err
		}
	}
	return mems, u, nil
}

// due returns the questions of a due session, in the order it asks them,
// or ENOTHINGDUE with the time the next one is due.
func (e *Engine) due(bank []string, mems map[string]recall.Memory, u *recall.User, in StartInput, now time.Time) ([]string, error) {
	start, end := srs.DayBounds(now, u.Location())
	p := e.scheduler(u).Plan(srs.PlanInput{
		Questions: bank, Memories: mems, Now: now, DayStart: start, DayEnd: end,
		NewLimit: planLimit(in.NewLimit), ReviewLimit: planLimit(in.ReviewLimit),
	})
	if p.Empty() {
		msg := "Nothing is due in this topic now, and no new question is left for today."
		if !p.NextDue.IsZero() {
			msg += " The next question is due at " + p.NextDue.UTC().Format(time.RFC3339) + "."
		}
		return nil, &recall.Error{Code: recall.ENOTHINGDUE, Message: msg, NextDueAt: p.NextDue.UTC()}
	}
	return p.IDs(), nil
}

// planLimit maps an API cap (nil: the default; 0: none) to srs's (0: the
// default; negative: none).
func planLimit(p *int) int {
	switch {
	case p == nil:
		return 0
	case *p == 0:
		return -1
	}
	return *p
}

// snapshot returns the memory states of the questions ids, nil if none.
func snapshot(ids []string, mems map[string]recall.Memory) map[string]recall.Memory {
	var out map[string]recall.Memory
	for _, id := range ids {
		if m, ok := mems[id]; ok {
			if out == nil {
				out = make(map[string]recall.Memory)
			}
			out[id] = m
		}
	}
	return out
}

// review returns the review that turn t, built on session state s, makes
// of its question, or nil: hints, summaries and questions since deleted
// from the bank are not reviewed. The previous memory state comes from the
// session's snapshot, the user's settings from the (cached) user.
func (e *Engine) review(ctx context.Context, s *recall.Session, qs bank, t *recall.Turn, now time.Time) (*recall.Review, error) {
	if e.memories == nil || t.Correct == nil || t.QuestionID == "" || qs.find(t.QuestionID) == nil ||
		(t.Kind != recall.TurnAnswer && t.Kind != recall.TurnSkip) {
		return nil, nil
	}
	u, err := e.users.UserByID(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	prev, ok := s.Memories[t.QuestionID]
	if !ok {
		prev = recall.Memory{UserID: s.UserID, TopicID: s.TopicID, QuestionID: t.QuestionID}
	}
	m := e.scheduler(u).Review(prev, srs.RatingFor(*t.Correct, s.Hinted), now)
	return &recall.Review{Memory: m, Day: int(srs.DayOf(now, u.Location()))}, nil
}

// rebuild restores what a session read from its store lacks: Hinted, from
// its last turn, and its memory snapshot, from the memory states now (the
// questions it has not asked yet are the ones that matter, and no later
// turn of this session has changed them).
func (e *Engine) rebuild(ctx context.Context, s *recall.Session) error {
	if s.Turns > 0 && s.Current < len(s.QuestionIDs) {
		last, err := e.sessions.Turn(ctx, s.ID, s.Turns-1)
		if err != nil && !recall.IsCode(err, recall.ENOTFOUND) {
			return err
		}
		s.Hinted = err == nil && last.Kind == recall.TurnHint && last.QuestionID == s.QuestionIDs[s.Current]
	}
	if e.memories == nil || s.State != recall.SessionActive {
		return nil
	}
	mems, _, err := e.memoriesOf(ctx, s.UserID, s.TopicID, false)
	if err != nil {
		return err
	}
	s.Memories = snapshot(s.QuestionIDs[min(s.Current, len(s.QuestionIDs)):], mems)
	return nil
}
