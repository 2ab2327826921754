package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// topicSelect reads topics with their question IDs in bank order and the
// stats of their completed sessions, which the topic row keeps (the
// triggers of migration 00006), so its cost does not grow with the
// sessions. topicsQuery and topicQuery complete it.
const topicSelect = `
SELECT t.id, t.user_id, t.title, t.description, t.created_at, t.updated_at,
       (SELECT json_group_array(q.id ORDER BY q.position) FROM questions q WHERE q.topic_id = t.id),
       t.sessions_completed, t.answers, t.correct, t.last_studied_at
FROM topics t`

// topicsQuery reads all of a user's topics (?1), most recently updated
// first.
const topicsQuery = topicSelect + `
WHERE t.user_id = ?1
ORDER BY t.updated_at DESC, t.id`

// topicQuery reads one topic (?2) of a user (?1).
const topicQuery = topicSelect + `
WHERE t.user_id = ?1 AND t.id = ?2`

// scanTopic reads one row of topicsQuery or topicQuery.
func scanTopic(sc scanner) (*recall.Topic, error) {
	var (
		t                 recall.Topic
		created, updated  int64
		qids              string
		last              sql.NullInt64
		n, answers, right int64
	)
	if err := sc.Scan(&t.ID, &t.UserID, &t.Title, &t.Description, &created, &updated,
		&qids, &n, &answers, &right, &last); err != nil {
		return nil, err
	}
	ids, err := storecodec.DecodeList([]byte(qids))
	if err != nil {
		return nil, err
	}
	t.QuestionIDs = storecodec.ListOrEmpty(ids)
	t.CreatedAt, t.UpdatedAt = fromDB(created), fromDB(updated)
	t.Stats = recall.TopicStats{SessionsCompleted: int(n), Answers: int(answers), Correct: int(right)}
	if last.Valid {
		at := fromDB(last.Int64)
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
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		_, err := c.exec(ctx,
			`INSERT INTO topics (id, user_id, title, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
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
	rows, err := s.reader(op).query(ctx, topicsQuery, userID)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	topics, err := collect(rows, scanTopic)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return topics, nil
}

// Topic returns one of the user's topics, in one statement. Returns
// ENOTFOUND if it does not exist or is another user's.
func (s *Store) Topic(ctx context.Context, userID, id string) (*recall.Topic, error) {
	const op = "Topic"
	return s.topic(ctx, s.reader(op), userID, id)
}

func (s *Store) topic(ctx context.Context, c conn, userID, id string) (*recall.Topic, error) {
	t, err := scanTopic(c.queryRow(ctx, topicQuery, userID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storeerr.TopicNotFound()
	} else if err != nil {
		return nil, s.fail(ctx, c.op, err)
	}
	return t, nil
}

// UpdateTopic applies the non-nil fields of in, sets UpdatedAt to now and
// returns the topic as Topic does. Returns ENOTFOUND as Topic does.
func (s *Store) UpdateTopic(ctx context.Context, userID, id string, in recall.TopicInput, now time.Time) (*recall.Topic, error) {
	const op = "UpdateTopic"
	var t *recall.Topic
	err := s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		res, err := c.exec(ctx,
			`UPDATE topics SET title = coalesce(?, title), description = coalesce(?, description), updated_at = ?
			 WHERE id = ? AND user_id = ?`,
			nullString(in.Title), nullString(in.Description), toDB(now), id, userID)
		if err != nil {
			return err
		}
		if err := wantRows(res, storeerr.TopicNotFound()); err != nil {
			return err
		}
		t, err = s.topic(ctx, c, userID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteTopic deletes the topic; its questions, sessions and their turns go
// with it (ON DELETE CASCADE). Returns ENOTFOUND as Topic does.
func (s *Store) DeleteTopic(ctx context.Context, userID, id string) error {
	const op = "DeleteTopic"
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		res, err := c.exec(ctx, `DELETE FROM topics WHERE id = ? AND user_id = ?`, id, userID)
		if err != nil {
			return err
		}
		return wantRows(res, storeerr.TopicNotFound())
	})
}

// nullString turns a nil *string into SQL NULL.
func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}
