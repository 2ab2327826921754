package postgres

import (
	"context"
	"errors"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// conversationCols are the columns of a conversation row, in
// scanConversation's order.
const conversationCols = `id, user_id, topic_id, title, state, messages, version, summary, question_ids, quizzing, created_at, updated_at`

func scanConversation(row pgx.Row) (*recall.Conversation, error) {
	var (
		c     recall.Conversation
		state string
	)
	if err := row.Scan(&c.ID, &c.UserID, &c.TopicID, &c.Title, &state, &c.Messages, &c.Version, &c.Summary,
		&c.QuestionIDs, &c.Quizzing, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.State = recall.ConversationState(state)
	c.QuestionIDs = storecodec.ListOrNil(c.QuestionIDs)
	c.CreatedAt, c.UpdatedAt = fromDB(c.CreatedAt), fromDB(c.UpdatedAt)
	return &c, nil
}

// CreateConversation stores a new conversation if its topic is c.UserID's
// (ENOTFOUND otherwise), in one statement; ECONFLICT if the ID is taken.
func (s *Store) CreateConversation(ctx context.Context, c *recall.Conversation) error {
	const op = "CreateConversation"
	if err := storeerr.CheckConversation(c, nil); err != nil {
		return err
	}
	if badKey(c.UserID, c.TopicID) {
		return storeerr.TopicNotFound()
	}
	return s.do(ctx, kindWrite, op, func(d db) error {
		tag, err := d.exec(ctx,
			`INSERT INTO conversations (`+conversationCols+`)
			 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
			 WHERE EXISTS (SELECT 1 FROM topics WHERE id = $3 AND user_id = $2)`,
			c.ID, c.UserID, c.TopicID, c.Title, string(c.State), c.Messages, c.Version, c.Summary,
			storecodec.ListOrEmpty(c.QuestionIDs), c.Quizzing, toDB(c.CreatedAt), toDB(c.UpdatedAt))
		switch {
		case isUnique(err, ""):
			return storeerr.ConversationExists()
		case isForeignKey(err):
			return storeerr.TopicNotFound()
		case err != nil:
			return err
		case tag.RowsAffected() == 0:
			return storeerr.TopicNotFound()
		}
		return nil
	})
}

// Conversation returns one conversation, in one statement.
func (s *Store) Conversation(ctx context.Context, id string) (*recall.Conversation, error) {
	const op = "Conversation"
	if badKey(id) {
		return nil, storeerr.ConversationNotFound()
	}
	var c *recall.Conversation
	err := s.do(ctx, kindRead, op, func(d db) error {
		var err error
		c, err = scanConversation(d.queryRow(ctx, `SELECT `+conversationCols+` FROM conversations WHERE id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.ConversationNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
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
	list := []*recall.Conversation{}
	if badKey(userID) || badKey(page.After.ID) {
		return list, nil
	}
	q := `SELECT ` + conversationCols + ` FROM conversations WHERE user_id = $1`
	args := []any{userID}
	if !page.After.IsZero() {
		q += ` AND created_at <= $2 AND (created_at < $2 OR id > $3) ORDER BY created_at DESC, id LIMIT $4`
		args = append(args, toDB(page.After.At), page.After.ID, page.Limit)
	} else {
		q += ` ORDER BY created_at DESC, id LIMIT $2`
		args = append(args, page.Limit)
	}
	err := s.do(ctx, kindRead, op, func(d db) error {
		rows, err := d.query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = collect(rows, list, scanConversation)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

const insertMessage = `INSERT INTO conversation_messages (conversation_id, idx, role, content, question_ids, correct, tutor, created_at, idempotency_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// SaveConversation inserts msgs and updates the conversation guarded by its
// version, sent with the BEGIN in one round trip; it reads nothing unless
// it is refused (then one read tells a stale version from a deleted
// conversation).
func (s *Store) SaveConversation(ctx context.Context, c *recall.Conversation, msgs []*recall.Message) error {
	const op = "SaveConversation"
	if err := storeerr.CheckConversation(c, msgs); err != nil {
		return err
	}
	if badKey(c.ID) {
		return storeerr.ConversationNotFound()
	}
	var stmts []stmt
	for _, m := range msgs {
		var key *string
		if m.IdempotencyKey != "" {
			k := m.IdempotencyKey
			key = &k
		}
		stmts = append(stmts, stmt{insertMessage, []any{c.ID, m.Index, string(m.Role), m.Content,
			storecodec.ListOrEmpty(m.QuestionIDs), m.Correct, m.Tutor, toDB(m.CreatedAt), key}})
	}
	stmts = append(stmts, stmt{`UPDATE conversations SET title = $1, state = $2, messages = $3, version = $4, summary = $5,
       question_ids = $6, quizzing = $7, updated_at = $8
WHERE id = $9 AND version = $10`, []any{c.Title, string(c.State), c.Messages, c.Version, c.Summary,
		storecodec.ListOrEmpty(c.QuestionIDs), c.Quizzing, toDB(c.UpdatedAt), c.ID, c.Version - 1}})
	return s.inTx(ctx, op, stmts, func(tx *txn) error {
		for range msgs {
			_, err := tx.next()
			switch {
			case isUnique(err, ""):
				return storeerr.ConversationChanged()
			case isForeignKey(err):
				return storeerr.ConversationNotFound()
			case err != nil:
				return err
			}
		}
		tag, err := tx.next()
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		d, err := tx.rest()
		if err != nil {
			return err
		}
		var one int
		err = d.queryRow(ctx, `SELECT 1 FROM conversations WHERE id = $1`, c.ID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.ConversationNotFound()
		} else if err != nil {
			return err
		}
		return storeerr.ConversationChanged()
	})
}

// messageCols are the columns of a message row, in scanMessage's order.
const messageCols = `conversation_id, idx, role, content, question_ids, correct, tutor, created_at, idempotency_key`

func scanMessage(row pgx.Row) (*recall.Message, error) {
	var (
		m    recall.Message
		role string
		key  *string
	)
	if err := row.Scan(&m.ConversationID, &m.Index, &role, &m.Content, &m.QuestionIDs, &m.Correct, &m.Tutor,
		&m.CreatedAt, &key); err != nil {
		return nil, err
	}
	m.Role = recall.MessageRole(role)
	m.QuestionIDs = storecodec.ListOrNil(m.QuestionIDs)
	m.CreatedAt = fromDB(m.CreatedAt)
	if key != nil {
		m.IdempotencyKey = *key
	}
	return &m, nil
}

// ConversationMessages returns at most limit messages from index from on,
// in one statement served by the primary key.
func (s *Store) ConversationMessages(ctx context.Context, conversationID string, from, limit int) ([]*recall.Message, error) {
	const op = "ConversationMessages"
	if err := storeerr.CheckConversationPage(limit); err != nil {
		return nil, err
	}
	list := []*recall.Message{}
	if badKey(conversationID) || from > math.MaxInt32 {
		return list, nil
	}
	from = max(from, 0)
	limit = min(limit, math.MaxInt32)
	err := s.do(ctx, kindRead, op, func(d db) error {
		rows, err := d.query(ctx,
			`SELECT `+messageCols+` FROM conversation_messages WHERE conversation_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3`,
			conversationID, from, limit)
		if err != nil {
			return err
		}
		list, err = collect(rows, list, scanMessage)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// MessageByKey returns the tutor's message of the exchange with that key.
func (s *Store) MessageByKey(ctx context.Context, conversationID, key string) (*recall.Message, error) {
	const op = "MessageByKey"
	if badKey(conversationID, key) {
		return nil, storeerr.MessageNotFound()
	}
	var m *recall.Message
	err := s.do(ctx, kindRead, op, func(d db) error {
		var err error
		m, err = scanMessage(d.queryRow(ctx,
			`SELECT `+messageCols+` FROM conversation_messages WHERE conversation_id = $1 AND idempotency_key = $2 AND role = $3`,
			conversationID, key, string(recall.RoleTutor)))
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.MessageNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DeleteConversation removes the user's conversation; its messages go with
// it (ON DELETE CASCADE).
func (s *Store) DeleteConversation(ctx context.Context, userID, id string) error {
	const op = "DeleteConversation"
	if badKey(userID, id) {
		return storeerr.ConversationNotFound()
	}
	return s.do(ctx, kindWrite, op, func(d db) error {
		tag, err := d.exec(ctx, `DELETE FROM conversations WHERE id = $1 AND user_id = $2`, id, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return storeerr.ConversationNotFound()
		}
		return nil
	})
}
