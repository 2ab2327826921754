package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storeerr"
)

// upsertMemory and insertStudyDay are the statements of a turn's review,
// sent in SaveTurn's first round trip. A question deleted meanwhile gets no
// memory state.
const (
	upsertMemory = `INSERT INTO memories (user_id, question_id, topic_id, state, stability, difficulty, due, scheduled_days,
                      reps, lapses, first_review, last_review)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 WHERE EXISTS (SELECT 1 FROM questions WHERE id = $2 AND topic_id = $3)
ON CONFLICT (user_id, question_id) DO UPDATE SET
    state = excluded.state, stability = excluded.stability, difficulty = excluded.difficulty,
    due = excluded.due, scheduled_days = excluded.scheduled_days, reps = excluded.reps,
    lapses = excluded.lapses, first_review = excluded.first_review, last_review = excluded.last_review`
	insertStudyDay = `INSERT INTO study_days (user_id, day) VALUES ($1, $2) ON CONFLICT DO NOTHING`
)

// reviewStmts returns the statements that write t's review: none if it
// has none.
func reviewStmts(t *recall.Turn) []stmt {
	if t.Review == nil {
		return nil
	}
	m := t.Review.Memory
	return []stmt{
		{upsertMemory, []any{m.UserID, m.QuestionID, m.TopicID, int16(m.State), m.Stability, m.Difficulty, toDB(m.Due),
			m.ScheduledDays, m.Reps, m.Lapses, toDB(m.FirstReview), toDB(m.LastReview)}},
		{insertStudyDay, []any{m.UserID, t.Review.Day}},
	}
}

// readReview reads the results of reviewStmts(t).
func readReview(tx *txn, t *recall.Turn) error {
	for range reviewStmts(t) {
		if _, err := tx.next(); err != nil {
			return err
		}
	}
	return nil
}

// Memories returns the user's memory states of the topic's questions, in
// one statement.
func (s *Store) Memories(ctx context.Context, userID, topicID string) ([]*recall.Memory, error) {
	const op = "Memories"
	list := []*recall.Memory{}
	if badKey(userID, topicID) {
		return list, nil
	}
	err := s.do(ctx, kindRead, op, func(c db) error {
		rows, err := c.query(ctx,
			`SELECT user_id, topic_id, question_id, state, stability, difficulty, due, scheduled_days, reps, lapses,
			        first_review, last_review
			 FROM memories WHERE user_id = $1 AND topic_id = $2`, userID, topicID)
		if err != nil {
			return err
		}
		list, err = collect(rows, list, func(r pgx.Row) (*recall.Memory, error) {
			var (
				m     recall.Memory
				state int16
			)
			if err := r.Scan(&m.UserID, &m.TopicID, &m.QuestionID, &state, &m.Stability, &m.Difficulty, &m.Due,
				&m.ScheduledDays, &m.Reps, &m.Lapses, &m.FirstReview, &m.LastReview); err != nil {
				return nil, err
			}
			m.State = recall.CardState(state)
			m.Due, m.FirstReview, m.LastReview = fromDB(m.Due), fromDB(m.FirstReview), fromDB(m.LastReview)
			return &m, nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// StudyDays returns the user's days of study in increasing order, in one
// statement.
func (s *Store) StudyDays(ctx context.Context, userID string) ([]int, error) {
	const op = "StudyDays"
	days := []int{}
	if badKey(userID) {
		return days, nil
	}
	err := s.do(ctx, kindRead, op, func(c db) error {
		rows, err := c.query(ctx, `SELECT day FROM study_days WHERE user_id = $1 ORDER BY day`, userID)
		if err != nil {
			return err
		}
		days, err = collect(rows, days, func(r pgx.Row) (int, error) {
			var d int
			err := r.Scan(&d)
			return d, err
		})
		return err
	})
	if err != nil {
		return nil, err
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
	if badKey(u.ID) {
		return storeerr.UserNotFound()
	}
	return s.do(ctx, kindWrite, op, func(c db) error {
		tag, err := c.exec(ctx, `UPDATE users SET time_zone = $1, fsrs_weights = $2 WHERE id = $3`,
			recall.StoredTimeZone(u.TimeZone), weightsOrNull(u.Weights), u.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return storeerr.UserNotFound()
		}
		return nil
	})
}

// weightsOrNull is NULL for no weights.
func weightsOrNull(w []float64) []float64 {
	if len(w) == 0 {
		return nil
	}
	return w
}

// userCols are the columns of a user, in scanUser's order.
const userCols = `id, username, created_at, time_zone, fsrs_weights, admin`

// scanUser reads the userCols of one row, then extra.
func scanUser(r pgx.Row, extra ...any) (*recall.User, error) {
	var (
		u  recall.User
		at time.Time
	)
	if err := r.Scan(append([]any{&u.ID, &u.Username, &at, &u.TimeZone, &u.Weights, &u.Admin}, extra...)...); err != nil {
		return nil, err
	}
	u.CreatedAt = fromDB(at)
	if len(u.Weights) == 0 {
		u.Weights = nil
	}
	return &u, nil
}
