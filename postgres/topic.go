package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// topicCols are the columns of a topic row, in scanTopic's order: the
// topic t with its question IDs in bank order and the stats of its
// completed sessions, which the topic row keeps (the trigger of migration
// 00006), so reading a topic costs the same whatever its history.
const topicCols = `t.id, t.user_id, t.title, t.description, t.created_at, t.updated_at,
       ARRAY(SELECT q.id FROM questions q WHERE q.topic_id = t.id ORDER BY q.position),
       t.sessions_completed, t.answers, t.correct, t.last_studied_at`

// topicsQuery reads all of a user's topics ($1), most recently updated
// first, in one statement.
const topicsQuery = `SELECT ` + topicCols + `
FROM topics t
WHERE t.user_id = $1
ORDER BY t.updated_at DESC, t.id`

// topicQuery reads one topic ($2) of a user ($1).
const topicQuery = `SELECT ` + topicCols + `
FROM topics t
WHERE t.user_id = $1 AND t.id = $2`

// updateTopicQuery updates one topic ($2) of a user ($1), setting the
// title ($3) and description ($4) unless NULL and updated_at ($5), and
// reads it back as topicQuery does, in one statement.
const updateTopicQuery = `WITH t AS (
    UPDATE topics SET title = coalesce($3, title), description = coalesce($4, description), updated_at = $5
    WHERE id = $2 AND user_id = $1
    RETURNING id, user_id, title, description, created_at, updated_at,
              sessions_completed, answers, correct, last_studied_at
)
SELECT ` + topicCols + `
FROM t`

// scanTopic reads one row of topicCols.
func scanTopic(row pgx.Row) (*recall.Topic, error) {
	var (
		t                 recall.Topic
		last              *time.Time
		n, answers, right int64
	)
	if err := row.Scan(&t.ID, &t.UserID, &t.Title, &t.Description, &t.CreatedAt, &t.UpdatedAt,
		&t.QuestionIDs, &n, &answers, &right, &last); err != nil {
		return nil, err
	}
	t.QuestionIDs = storecodec.ListOrEmpty(t.QuestionIDs)
	t.CreatedAt, t.UpdatedAt = fromDB(t.CreatedAt), fromDB(t.UpdatedAt)
	t.Stats = recall.TopicStats{SessionsCompleted: int(n), Answers: int(answers), Correct: int(right)}
	if last != nil {
		at := fromDB(*last)
		t.Stats.LastStudiedAt = &at
	}
	return &t, nil
}

// CreateTopic stores t, whose ID, UserID and times the caller has set.
// Returns ENOTFOUND if the user does not exist, ECONFLICT if the ID is taken.
func (s *Store) CreateTopic(ctx context.Context, t *recall.Topic) error {
	const op = "CreateTopic"
	if t == nil {
		return recall.Errorf(recall.EINVALID, "No topic was given.")
	}
	return s.do(ctx, kindWrite, op, func(c db) error {
		_, err := c.exec(ctx,
			`INSERT INTO topics (id, user_id, title, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			t.ID, t.UserID, t.Title, t.Description, toDB(t.CreatedAt), toDB(t.UpdatedAt))
		switch {
		case isUnique(err, ""):
			return storeerr.TopicExists()
		case isForeignKey(err):
			return storeerr.UserNotFound()
		}
		return err
	})
}

// Topics returns the user's topics, most recently updated first (then by
// ID), each with its question IDs and stats, in one statement.
func (s *Store) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	const op = "Topics"
	topics := []*recall.Topic{}
	if badKey(userID) {
		return topics, nil
	}
	err := s.do(ctx, kindRead, op, func(c db) error {
		rows, err := c.query(ctx, topicsQuery, userID)
		if err != nil {
			return err
		}
		topics, err = collect(rows, topics, scanTopic)
		return err
	})
	if err != nil {
		return nil, err
	}
	return topics, nil
}

// Topic returns one of the user's topics, in one statement. Returns
// ENOTFOUND if it does not exist or is another user's.
func (s *Store) Topic(ctx context.Context, userID, id string) (*recall.Topic, error) {
	const op = "Topic"
	return s.topic(ctx, kindRead, op, topicQuery, userID, id)
}

// topic reads one topic with query, a statement of kind whose first
// arguments are the user's ID and the topic's.
func (s *Store) topic(ctx context.Context, kind, op, query, userID, id string, args ...any) (*recall.Topic, error) {
	if badKey(userID, id) {
		return nil, storeerr.TopicNotFound()
	}
	var t *recall.Topic
	err := s.do(ctx, kind, op, func(c db) error {
		var err error
		t, err = scanTopic(c.queryRow(ctx, query, append([]any{userID, id}, args...)...))
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.TopicNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTopic applies the non-nil fields of in, sets UpdatedAt to now and
// returns the topic as Topic does, in one statement. Returns ENOTFOUND as
// Topic does.
func (s *Store) UpdateTopic(ctx context.Context, userID, id string, in recall.TopicInput, now time.Time) (*recall.Topic, error) {
	const op = "UpdateTopic"
	return s.topic(ctx, kindWrite, op, updateTopicQuery, userID, id, in.Title, in.Description, toDB(now))
}

// DeleteTopic deletes the topic; its questions, sessions and their turns go
// with it (ON DELETE CASCADE). Returns ENOTFOUND as Topic does.
func (s *Store) DeleteTopic(ctx context.Context, userID, id string) error {
	const op = "DeleteTopic"
	if badKey(userID, id) {
		return storeerr.TopicNotFound()
	}
	return s.do(ctx, kindWrite, op, func(c db) error {
		tag, err := c.exec(ctx, `DELETE FROM topics WHERE id = $1 AND user_id = $2`, id, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return storeerr.TopicNotFound()
		}
		return nil
	})
}
