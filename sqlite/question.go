package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// questionBatch is how many questions one INSERT statement carries.
const questionBatch = 100

// questionCols are the columns of a question row, in scanQuestion's order.
const questionCols = `q.id, q.topic_id, q.prompt, q.answers, q.choices, q.explanation, q.hint, q.abs_tol, q.rel_tol, q.unit, q.created_at, q.updated_at`

// scanQuestion reads the questionCols of one row.
func scanQuestion(sc scanner) (*recall.Question, error) {
	var (
		q                recall.Question
		answers          string
		choices          sql.NullString
		created, updated int64
	)
	if err := sc.Scan(&q.ID, &q.TopicID, &q.Prompt, &answers, &choices, &q.Explanation, &q.Hint, &q.AbsTol, &q.RelTol, &q.Unit, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if q.Answers, err = storecodec.DecodeList([]byte(answers)); err != nil {
		return nil, err
	}
	if choices.Valid {
		if q.Choices, err = storecodec.DecodeList([]byte(choices.String)); err != nil {
			return nil, err
		}
	}
	q.CreatedAt, q.UpdatedAt = fromDB(created), fromDB(updated)
	return &q, nil
}

// AddQuestions appends qs to the end of the topic's bank in one transaction,
// all or nothing, and sets the topic's UpdatedAt to the latest CreatedAt of
// qs. Each question is stored under topicID whatever its TopicID says.
// Returns ENOTFOUND if the topic does not exist or is another user's, and
// ECONFLICT if a question ID is taken.
func (s *Store) AddQuestions(ctx context.Context, userID, topicID string, qs []*recall.Question) error {
	const op = "AddQuestions"
	latest, err := storeerr.CheckQuestions(qs)
	if err != nil {
		return err
	}
	if len(qs) == 0 {
		var one int
		err := s.reader(op).queryRow(ctx, `SELECT 1 FROM topics WHERE id = ? AND user_id = ?`, topicID, userID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return storeerr.TopicNotFound()
		}
		return s.fail(ctx, op, err)
	}
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		// One statement checks ownership, touches the topic and finds the
		// end of the bank.
		var last int64
		err := c.queryRow(ctx,
			`UPDATE topics SET updated_at = ? WHERE id = ? AND user_id = ?
			 RETURNING (SELECT coalesce(max(position), -1) FROM questions WHERE topic_id = topics.id)`,
			toDB(latest), topicID, userID).Scan(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return storeerr.TopicNotFound()
		} else if err != nil {
			return err
		}
		for start := 0; start < len(qs); start += questionBatch {
			batch := qs[start:min(start+questionBatch, len(qs))]
			var b strings.Builder
			b.WriteString(`INSERT INTO questions (id, topic_id, position, prompt, answers, choices, explanation, hint, abs_tol, rel_tol, unit, created_at, updated_at) VALUES `)
			args := make([]any, 0, len(batch)*13)
			for i, q := range batch {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				answers, choices, err := storecodec.EncodeQuestion(q)
				if err != nil {
					return err
				}
				last++
				args = append(args, q.ID, topicID, last, q.Prompt, string(answers), nullText(choices), q.Explanation, q.Hint,
					q.AbsTol, q.RelTol, q.Unit, toDB(q.CreatedAt), toDB(q.UpdatedAt))
			}
			if _, err := c.exec(ctx, b.String(), args...); err != nil {
				if isUnique(err, "questions.id") {
					return storeerr.QuestionTaken()
				}
				return err
			}
		}
		return nil
	})
}

// Questions returns the topic's bank in bank order, in one statement on
// topicID alone: the owner, which a cache keys the bank under, is not
// checked. No questions (or no topic) give an empty slice.
func (s *Store) Questions(ctx context.Context, _, topicID string) ([]*recall.Question, error) {
	const op = "Questions"
	rows, err := s.reader(op).query(ctx,
		`SELECT `+questionCols+` FROM questions q WHERE q.topic_id = ? ORDER BY q.position`, topicID)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	qs, err := collect(rows, scanQuestion)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return qs, nil
}

// UpdateQuestion applies in to the question, checks the result with
// Question.Check and sets its UpdatedAt and the topic's to now, in one
// transaction. It does not call in.Validate: callers do. Returns ENOTFOUND
// if the topic is not the user's or the question is not in it, EINVALID if
// the result fails Check.
func (s *Store) UpdateQuestion(ctx context.Context, userID, topicID, id string, in recall.QuestionInput, now time.Time) (*recall.Question, error) {
	const op = "UpdateQuestion"
	var q *recall.Question
	err := s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		var err error
		q, err = scanQuestion(c.queryRow(ctx,
			`SELECT `+questionCols+` FROM questions q JOIN topics t ON t.id = q.topic_id
			 WHERE q.id = ? AND q.topic_id = ? AND t.user_id = ?`, id, topicID, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return storeerr.QuestionNotFound()
		} else if err != nil {
			return err
		}
		in.Apply(q)
		if err := q.Check(""); err != nil {
			return err
		}
		q.UpdatedAt = trunc(now)
		answers, choices, err := storecodec.EncodeQuestion(q)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx,
			`UPDATE questions SET prompt = ?, answers = ?, choices = ?, explanation = ?, hint = ?, abs_tol = ?, rel_tol = ?, unit = ?, updated_at = ? WHERE id = ?`,
			q.Prompt, string(answers), nullText(choices), q.Explanation, q.Hint, q.AbsTol, q.RelTol, q.Unit, toDB(now), id); err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE topics SET updated_at = ? WHERE id = ?`, toDB(now), topicID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// DeleteQuestion removes the question and sets the topic's UpdatedAt to
// now, in one transaction. Returns ENOTFOUND as UpdateQuestion does.
func (s *Store) DeleteQuestion(ctx context.Context, userID, topicID, id string, now time.Time) error {
	const op = "DeleteQuestion"
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		res, err := c.exec(ctx,
			`DELETE FROM questions WHERE id = ? AND topic_id = (SELECT id FROM topics WHERE id = ? AND user_id = ?)`,
			id, topicID, userID)
		if err != nil {
			return err
		}
		if err := wantRows(res, storeerr.QuestionNotFound()); err != nil {
			return err
		}
		_, err = c.exec(ctx, `UPDATE topics SET updated_at = ? WHERE id = ?`, toDB(now), topicID)
		return err
	})
}
