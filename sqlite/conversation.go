package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// conversationCols are the columns of a conversation row, in
// scanConversation's order.
const conversationCols = `id, user_id, topic_id, title, state, messages, version, summary, question_ids, quizzing, created_at, updated_at`

func scanConversation(sc scanner) (*recall.Conversation, error) {
	var (
		c                recall.Conversation
		state, qids      string
		created, updated int64
	)
	if err := sc.Scan(&c.ID, &c.UserID, &c.TopicID, &c.Title, &state, &c.Messages, &c.Version, &c.Summary,
		&qids, &c.Quizzing, &created, &updated); err != nil {
		return nil, err
	}
	c.State = recall.ConversationState(state)
	var err error
	if c.QuestionIDs, err = storecodec.DecodeList([]byte(qids)); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromDB(created), fromDB(updated)
	return &c, nil
}

// CreateConversation stores a new conversation if its topic is c.UserID's
// (ENOTFOUND otherwise), in one statement; ECONFLICT if the ID is taken.
func (s *Store) CreateConversation(ctx context.Context, c *recall.Conversation) error {
	const op = "CreateConversation"
	if err := storeerr.CheckConversation(c, nil); err != nil {
		return err
	}
	qids, err := storecodec.EncodeList(c.QuestionIDs)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.inTx(ctx, op, func(ctx context.Context, cn conn) error {
		res, err := cn.exec(ctx,
			`INSERT INTO conversations (`+conversationCols+`)
			 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
			 WHERE EXISTS (SELECT 1 FROM topics WHERE id = ? AND user_id = ?)`,
			c.ID, c.UserID, c.TopicID, c.Title, string(c.State), c.Messages, c.Version, c.Summary, string(qids),
			c.Quizzing, toDB(c.CreatedAt), toDB(c.UpdatedAt), c.TopicID, c.UserID)
		switch {
		case isUnique(err, ""):
			return storeerr.ConversationExists()
		case err != nil:
			return err
		}
		return wantRows(res, storeerr.TopicNotFound())
	})
}

// Conversation returns one conversation, in one statement.
func (s *Store) Conversation(ctx context.Context, id string) (*recall.Conversation, error) {
	const op = "Conversation"
	c, err := scanConversation(s.reader(op).queryRow(ctx, `SELECT `+conversationCols+` FROM conversations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storeerr.ConversationNotFound()
	} else if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return c, nil
}

// Conversations returns one page of the user's conversations, newest
// first, in one statement served by conversations_user_id_created_at.
func (s *Store) Conversations(ctx context.Context, userID string, page recall.ConversationPage) ([]*recall.Conversation, error) {
	const op = "Conversations"
	if err := storeerr.CheckConversationPage(page.Limit); err != nil {
		return nil, err
	}
	q := `SELECT ` + conversationCols + ` FROM conversations WHERE user_id = ?`
	args := []any{userID}
	if !page.After.IsZero() {
		at := toDB(page.After.At)
		q += ` AND created_at <= ? AND (created_at < ? OR id > ?)`
		args = append(args, at, at, page.After.ID)
	}
	q += ` ORDER BY created_at DESC, id LIMIT ?`
	rows, err := s.reader(op).query(ctx, q, append(args, page.Limit)...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	list, err := collect(rows, scanConversation)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return list, nil
}

// SaveConversation inserts msgs and updates the conversation guarded by its
// version, in one write transaction that reads nothing unless it is
// refused (then one read tells a stale version from a deleted conversation).
func (s *Store) SaveConversation(ctx context.Context, c *recall.Conversation, msgs []*recall.Message) error {
	const op = "SaveConversation"
	if err := storeerr.CheckConversation(c, msgs); err != nil {
		return err
	}
	qids, err := storecodec.EncodeList(c.QuestionIDs)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	mq := make([][]byte, len(msgs))
	for i, m := range msgs {
		if mq[i], err = storecodec.EncodeList(m.QuestionIDs); err != nil {
			return s.fail(ctx, op, err)
		}
	}
	return s.inTx(ctx, op, func(ctx context.Context, cn conn) error {
		for i, m := range msgs {
			_, err := cn.exec(ctx,
				`INSERT INTO conversation_messages (conversation_id, idx, role, content, question_ids, correct, tutor, created_at, idempotency_key)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.ID, m.Index, string(m.Role), m.Content, string(mq[i]), nullBool(m.Correct), m.Tutor, toDB(m.CreatedAt),
				sql.NullString{String: m.IdempotencyKey, Valid: m.IdempotencyKey != ""})
			switch {
			case isUnique(err, ""):
				return storeerr.ConversationChanged()
			case isForeignKey(err):
				return storeerr.ConversationNotFound()
			case err != nil:
				return err
			}
		}
		res, err := cn.exec(ctx,
			`UPDATE conversations SET title = ?, state = ?, messages = ?, version = ?, summary = ?, question_ids = ?,
			        quizzing = ?, updated_at = ?
			 WHERE id = ? AND version = ?`,
			c.Title, string(c.State), c.Messages, c.Version, c.Summary, string(qids), c.Quizzing, toDB(c.UpdatedAt),
			c.ID, c.Version-1)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// Stale, or gone: a gone conversation is not found (its
			// messages would have failed their foreign key, but there
			// may be none).
			var one int
			err := cn.queryRow(ctx, `SELECT 1 FROM conversations WHERE id = ?`, c.ID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return storeerr.ConversationNotFound()
			}
			return storeerr.ConversationChanged()
		}
		return nil
	})
}

// messageCols are the columns of a message row, in scanMessage's order.
const messageCols = `conversation_id, idx, role, content, question_ids, correct, tutor, created_at, idempotency_key`

func scanMessage(sc scanner) (*recall.Message, error) {
	var (
		m       recall.Message
		role    string
		qids    string
		correct sql.NullBool
		created int64
		key     sql.NullString
	)
	if err := sc.Scan(&m.ConversationID, &m.Index, &role, &m.Content, &qids, &correct, &m.Tutor, &created, &key); err != nil {
		return nil, err
	}
	m.Role = recall.MessageRole(role)
	var err error
	if m.QuestionIDs, err = storecodec.DecodeList([]byte(qids)); err != nil {
		return nil, err
	}
	if correct.Valid {
		b := correct.Bool
		m.Correct = &b
	}
	m.CreatedAt = fromDB(created)
	m.IdempotencyKey = key.String
	return &m, nil
}

// ConversationMessages returns at most limit messages from index from on,
// in one statement served by the primary key.
func (s *Store) ConversationMessages(ctx context.Context, conversationID string, from, limit int) ([]*recall.Message, error) {
	const op = "ConversationMessages"
	if err := storeerr.CheckConversationPage(limit); err != nil {
		return nil, err
	}
	rows, err := s.reader(op).query(ctx,
		`SELECT `+messageCols+` FROM conversation_messages WHERE conversation_id = ? AND idx >= ? ORDER BY idx LIMIT ?`,
		conversationID, from, limit)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	list, err := collect(rows, scanMessage)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return list, nil
}

// MessageByKey returns the tutor's message of the exchange with that key.
func (s *Store) MessageByKey(ctx context.Context, conversationID, key string) (*recall.Message, error) {
	const op = "MessageByKey"
	m, err := scanMessage(s.reader(op).queryRow(ctx,
		`SELECT `+messageCols+` FROM conversation_messages WHERE conversation_id = ? AND idempotency_key = ? AND role = ?`,
		conversationID, key, string(recall.RoleTutor)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storeerr.MessageNotFound()
	} else if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return m, nil
}

// DeleteConversation removes the user's conversation; its messages go with
// it (ON DELETE CASCADE).
func (s *Store) DeleteConversation(ctx context.Context, userID, id string) error {
	const op = "DeleteConversation"
	return s.inTx(ctx, op, func(ctx context.Context, cn conn) error {
		res, err := cn.exec(ctx, `DELETE FROM conversations WHERE id = ? AND user_id = ?`, id, userID)
		if err != nil {
			return err
		}
		return wantRows(res, storeerr.ConversationNotFound())
	})
}
