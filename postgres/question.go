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

// questionCols are the columns of a question row, in scanQuestion's order.
const questionCols = `q.id, q.topic_id, q.prompt, q.answers, q.choices, q.explanation, q.hint, q.abs_tol, q.rel_tol, q.unit, q.created_at, q.updated_at`

// scanQuestion reads the questionCols of one row.
func scanQuestion(row pgx.Row) (*recall.Question, error) {
	var (
		q                recall.Question
		answers, choices []byte
	)
	if err := row.Scan(&q.ID, &q.TopicID, &q.Prompt, &answers, &choices, &q.Explanation, &q.Hint, &q.AbsTol, &q.RelTol, &q.Unit, &q.CreatedAt, &q.UpdatedAt); err != nil {
		return nil, err
	}
	var err error
	if q.Answers, err = storecodec.DecodeList(answers); err != nil {
		return nil, err
	}
	if q.Choices, err = storecodec.DecodeList(choices); err != nil {
		return nil, err
	}
	q.CreatedAt, q.UpdatedAt = fromDB(q.CreatedAt), fromDB(q.UpdatedAt)
	return &q, nil
}

// touchTopic sets a topic's ($2) updated_at ($1) if it is the user's ($3),
// and locks it until the transaction ends: every change to a question bank
// starts with it (see the package comment).
const touchTopic = `UPDATE topics SET updated_at = $1 WHERE id = $2 AND user_id = $3`

// insertQuestions appends a batch of questions, one array per column, to
// the end of a topic's ($1) bank if the topic is the user's ($2). It runs
// after touchTopic in the same transaction, so its snapshot sees the bank
// as the previous writer of this topic left it.
const insertQuestions = `INSERT INTO questions (id, topic_id, position, prompt, answers, choices, explanation, hint, abs_tol, rel_tol, unit, created_at, updated_at)
SELECT n.id, $1, b.last + n.ord, n.prompt, n.answers, n.choices, n.explanation, n.hint, n.abs_tol, n.rel_tol, n.unit, n.created_at, n.updated_at
FROM (SELECT coalesce(max(position), -1) AS last FROM questions WHERE topic_id = $1) b
CROSS JOIN unnest($3::text[], $4::text[], $5::jsonb[], $6::jsonb[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[], $12::timestamptz[], $13::timestamptz[])
    WITH ORDINALITY AS n (id, prompt, answers, choices, explanation, hint, abs_tol, rel_tol, unit, created_at, updated_at, ord)
WHERE EXISTS (SELECT 1 FROM topics WHERE id = $1 AND user_id = $2)`

// AddQuestions appends qs to the end of the topic's bank in one transaction
// of two statements, whatever the number of questions, all or nothing, and
// sets the topic's UpdatedAt to the latest CreatedAt of qs. Each question
// is stored under topicID whatever its TopicID says. Returns ENOTFOUND if
// the topic does not exist or is another user's, and ECONFLICT if a
// question ID is taken.
func (s *Store) AddQuestions(ctx context.Context, userID, topicID string, qs []*recall.Question) error {
	const op = "AddQuestions"
	latest, err := storeerr.CheckQuestions(qs)
	if err != nil {
		return err
	}
	if badKey(userID, topicID) {
		return storeerr.TopicNotFound()
	}
	if len(qs) == 0 {
		return s.do(ctx, kindRead, op, func(c db) error {
			var one int
			err := c.queryRow(ctx, `SELECT 1 FROM topics WHERE id = $1 AND user_id = $2`, topicID, userID).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return storeerr.TopicNotFound()
			}
			return err
		})
	}

	n := len(qs)
	var (
		ids, prompts, explanations, hints = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		answers, choices                  = make([][]byte, n), make([][]byte, n)
		absTols, relTols, units           = make([]float64, n), make([]float64, n), make([]string, n)
		created, updated                  = make([]time.Time, n), make([]time.Time, n)
	)
	for i, q := range qs {
		var err error
		if answers[i], choices[i], err = storecodec.EncodeQuestion(q); err != nil {
			return s.fail(ctx, op, err)
		}
		ids[i], prompts[i], explanations[i], hints[i] = q.ID, q.Prompt, q.Explanation, q.Hint
		absTols[i], relTols[i], units[i] = q.AbsTol, q.RelTol, q.Unit
		created[i], updated[i] = toDB(q.CreatedAt), toDB(q.UpdatedAt)
	}
	return s.inTx(ctx, op, []stmt{
		{touchTopic, []any{toDB(latest), topicID, userID}},
		{insertQuestions, []any{topicID, userID, ids, prompts, answers, choices, explanations, hints, absTols, relTols, units, created, updated}},
	}, func(t *txn) error {
		tag, err := t.next()
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return storeerr.TopicNotFound()
		}
		if _, err := t.next(); err != nil {
			if isUnique(err, "questions_pkey") {
				return storeerr.QuestionTaken()
			}
			return err
		}
		return nil
	})
}

// Questions returns the topic's bank in bank order, in one statement on
// topicID alone: the owner, which a cache keys the bank under, is not
// checked. No questions (or no topic) give an empty slice.
func (s *Store) Questions(ctx context.Context, _, topicID string) ([]*recall.Question, error) {
	const op = "Questions"
	qs := []*recall.Question{}
	if badKey(topicID) {
		return qs, nil
	}
	err := s.do(ctx, kindRead, op, func(c db) error {
		rows, err := c.query(ctx,
			`SELECT `+questionCols+` FROM questions q WHERE q.topic_id = $1 ORDER BY q.position`, topicID)
		if err != nil {
			return err
		}
		qs, err = collect(rows, qs, scanQuestion)
		return err
	})
	if err != nil {
		return nil, err
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
	if badKey(userID, topicID, id) {
		return nil, storeerr.QuestionNotFound()
	}
	at := toDB(now)
	var q *recall.Question
	err := s.inTx(ctx, op, []stmt{
		{touchTopic, []any{at, topicID, userID}},
		{`SELECT ` + questionCols + ` FROM questions q WHERE q.id = $1 AND q.topic_id = $2`, []any{id, topicID}},
	}, func(t *txn) error {
		tag, err := t.next()
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return storeerr.QuestionNotFound()
		}
		q, err = scanQuestion(t.nextRow())
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.QuestionNotFound()
		} else if err != nil {
			return err
		}
		in.Apply(q)
		if err := q.Check(""); err != nil {
			return err
		}
		q.UpdatedAt = at
		answers, choices, err := storecodec.EncodeQuestion(q)
		if err != nil {
			return err
		}
		c, err := t.rest()
		if err != nil {
			return err
		}
		_, err = c.exec(ctx,
			`UPDATE questions SET prompt = $1, answers = $2, choices = $3, explanation = $4, hint = $5, abs_tol = $6, rel_tol = $7, unit = $8, updated_at = $9 WHERE id = $10`,
			q.Prompt, answers, choices, q.Explanation, q.Hint, q.AbsTol, q.RelTol, q.Unit, at, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// DeleteQuestion removes the question and sets the topic's UpdatedAt to
// now, in one transaction of two statements sent together. Returns
// ENOTFOUND as UpdateQuestion does.
func (s *Store) DeleteQuestion(ctx context.Context, userID, topicID, id string, now time.Time) error {
	const op = "DeleteQuestion"
	if badKey(userID, topicID, id) {
		return storeerr.QuestionNotFound()
	}
	return s.inTx(ctx, op, []stmt{
		{touchTopic, []any{toDB(now), topicID, userID}},
		{`DELETE FROM questions WHERE id = $1 AND topic_id = $2
		  AND EXISTS (SELECT 1 FROM topics WHERE id = $2 AND user_id = $3)`, []any{id, topicID, userID}},
	}, func(t *txn) error {
		for range 2 {
			tag, err := t.next()
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return storeerr.QuestionNotFound()
			}
		}
		return nil
	})
}
