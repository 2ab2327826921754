package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storeerr"
)

// saveReview writes the review of a turn, if it has one, with c: the
// question's memory state (unless the question was deleted meanwhile) and
// the user's day of study. SaveTurn calls it in its transaction.
func saveReview(ctx context.Context, c conn, t *recall.Turn) error {
	if t.Review == nil {
		return nil
	}
	m := t.Review.Memory
	if _, err := c.exec(ctx,
		`INSERT INTO memories (user_id, question_id, topic_id, state, stability, difficulty, due, scheduled_days,
		                       reps, lapses, first_review, last_review)
		 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM questions WHERE id = ? AND topic_id = ?)
		 ON CONFLICT (user_id, question_id) DO UPDATE SET
		     state = excluded.state, stability = excluded.stability, difficulty = excluded.difficulty,
		     due = excluded.due, scheduled_days = excluded.scheduled_days, reps = excluded.reps,
		     lapses = excluded.lapses, first_review = excluded.first_review, last_review = excluded.last_review`,
		m.UserID, m.QuestionID, m.TopicID, int(m.State), m.Stability, m.Difficulty, toDB(m.Due), m.ScheduledDays,
		m.Reps, m.Lapses, toDB(m.FirstReview), toDB(m.LastReview), m.QuestionID, m.TopicID); err != nil {
		return err
	}
	_, err := c.exec(ctx, `INSERT INTO study_days (user_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		m.UserID, t.Review.Day)
	return err
}

// Memories returns the user's memory states of the topic's questions, in
// one statement.
func (s *Store) Memories(ctx context.Context, userID, topicID string) ([]*recall.Memory, error) {
	const op = "Memories"
	rows, err := s.reader(op).query(ctx,
		`SELECT user_id, topic_id, question_id, state, stability, difficulty, due, scheduled_days, reps, lapses,
		        first_review, last_review
		 FROM memories WHERE user_id = ? AND topic_id = ?`, userID, topicID)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	list, err := collect(rows, func(sc scanner) (*recall.Memory, error) {
		var (
			m                      recall.Memory
			state                  int
			due, first, lastReview int64
		)
		if err := sc.Scan(&m.UserID, &m.TopicID, &m.QuestionID, &state, &m.Stability, &m.Difficulty, &due,
			&m.ScheduledDays, &m.Reps, &m.Lapses, &first, &lastReview); err != nil {
			return nil, err
		}
		m.State = recall.CardState(state)
		m.Due, m.FirstReview, m.LastReview = fromDB(due), fromDB(first), fromDB(lastReview)
		return &m, nil
	})
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return list, nil
}

// StudyDays returns the user's days of study in increasing order, in one
// statement.
func (s *Store) StudyDays(ctx context.Context, userID string) ([]int, error) {
	const op = "StudyDays"
	rows, err := s.reader(op).query(ctx, `SELECT day FROM study_days WHERE user_id = ? ORDER BY day`, userID)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	days, err := collect(rows, func(sc scanner) (int, error) {
		var d int
		err := sc.Scan(&d)
		return d, err
	})
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return days, nil
}

// UpdateUser replaces the user's time zone and FSRS weights. Returns
// ENOTFOUND if there is no such user.
func (s *Store) UpdateUser(ctx context.Context, u *recall.User) error {
	const op = "UpdateUser"
	if u == nil {
		return recall.Errorf(recall.EINVALID, "No user was given.")
	}
	weights, err := encodeWeights(u.Weights)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		res, err := c.exec(ctx, `UPDATE users SET time_zone = ?, fsrs_weights = ? WHERE id = ?`,
			recall.StoredTimeZone(u.TimeZone), nullText(weights), u.ID)
		if err != nil {
			return err
		}
		return wantRows(res, storeerr.UserNotFound())
	})
}

// encodeWeights is the JSON of a user's weights, nil (NULL) for none.
func encodeWeights(w []float64) ([]byte, error) {
	if len(w) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode weights: %w", err)
	}
	return b, nil
}

// decodeWeights reads what encodeWeights wrote.
func decodeWeights(b []byte) ([]float64, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var w []float64
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decode weights: %w", err)
	}
	return w, nil
}
