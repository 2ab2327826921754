package firestore

import (
	"context"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// Collections of conversations: conversations/{id}, its messages under
// messages/{turnID(index)}, and under keys/{keyID(key)}-{role} one document
// per idempotency key and role, whose creation makes a key usable once.
const (
	colConversations = "conversations"
	colMessages      = "messages"
)

// conversationDoc is conversations/{id}.
type conversationDoc struct {
	UserID      string    `firestore:"user_id"`
	TopicID     string    `firestore:"topic_id"`
	Title       string    `firestore:"title"`
	State       string    `firestore:"state"`
	Messages    int       `firestore:"messages"`
	Version     int64     `firestore:"version"`
	Summary     string    `firestore:"summary"`
	QuestionIDs []string  `firestore:"question_ids"`
	Quizzing    string    `firestore:"quizzing"`
	CreatedAt   time.Time `firestore:"created_at"`
	UpdatedAt   time.Time `firestore:"updated_at"`
}

func newConversationDoc(c *recall.Conversation) *conversationDoc {
	return &conversationDoc{
		UserID: c.UserID, TopicID: c.TopicID, Title: c.Title, State: string(c.State), Messages: c.Messages,
		Version: c.Version, Summary: c.Summary, QuestionIDs: storecodec.ListOrEmpty(c.QuestionIDs), Quizzing: c.Quizzing,
		CreatedAt: toDB(c.CreatedAt), UpdatedAt: toDB(c.UpdatedAt),
	}
}

func (d *conversationDoc) conversation(id string) *recall.Conversation {
	return &recall.Conversation{
		ID: id, UserID: d.UserID, TopicID: d.TopicID, Title: d.Title, State: recall.ConversationState(d.State),
		Messages: d.Messages, Version: d.Version, Summary: d.Summary, QuestionIDs: storecodec.ListOrNil(d.QuestionIDs),
		Quizzing: d.Quizzing, CreatedAt: fromDB(d.CreatedAt), UpdatedAt: fromDB(d.UpdatedAt),
	}
}

// messageDoc is conversations/{id}/messages/{turnID(index)}.
type messageDoc struct {
	Index          int       `firestore:"index"`
	Role           string    `firestore:"role"`
	Content        string    `firestore:"content"`
	QuestionIDs    []string  `firestore:"question_ids"`
	Correct        *bool     `firestore:"correct"`
	Tutor          string    `firestore:"tutor"`
	CreatedAt      time.Time `firestore:"created_at"`
	IdempotencyKey string    `firestore:"idempotency_key"`
}

func (d *messageDoc) message(conversationID string) *recall.Message {
	return &recall.Message{
		ConversationID: conversationID, Index: d.Index, Role: recall.MessageRole(d.Role), Content: d.Content,
		QuestionIDs: storecodec.ListOrNil(d.QuestionIDs), Correct: d.Correct, Tutor: d.Tutor,
		CreatedAt: fromDB(d.CreatedAt), IdempotencyKey: d.IdempotencyKey,
	}
}

func (s *Store) conversationRef(id string) *fs.DocumentRef {
	return s.client.Collection(colConversations).Doc(id)
}

// CreateConversation stores a new conversation, in one transaction that
// reads the topic (ownership). ENOTFOUND unless the topic is c.UserID's,
// ECONFLICT if the ID is taken.
func (s *Store) CreateConversation(ctx context.Context, c *recall.Conversation) error {
	const op = "CreateConversation"
	if err := storeerr.CheckConversation(c, nil); err != nil {
		return err
	}
	if !validID(c.ID) {
		return recall.Errorf(recall.EINVALID, "The conversation ID is not valid.")
	}
	if !validID(c.TopicID) {
		return storeerr.TopicNotFound()
	}
	topic := s.topicRef(c.TopicID)
	err := s.runTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		snaps, err := s.getAll(ctx, op, tx, topic)
		if err != nil {
			return err
		}
		if _, err := ownTopic(snaps[0], c.UserID); err != nil {
			return err
		}
		return tx.Create(s.conversationRef(c.ID), newConversationDoc(c))
	})
	if status.Code(err) == codes.AlreadyExists {
		return storeerr.ConversationExists()
	}
	return s.fail(ctx, op, err)
}

// Conversation returns one conversation, in one read.
func (s *Store) Conversation(ctx context.Context, id string) (*recall.Conversation, error) {
	const op = "Conversation"
	if !validID(id) {
		return nil, storeerr.ConversationNotFound()
	}
	snap, err := s.get(ctx, op, s.conversationRef(id))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if !snap.Exists() {
		return nil, storeerr.ConversationNotFound()
	}
	d, err := decode[conversationDoc](snap, "conversation")
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return d.conversation(id), nil
}

// Conversations returns one page of the user's conversations, newest
// first, in one query served by the composite index on (user_id,
// created_at desc, __name__) (firestore.indexes.json).
func (s *Store) Conversations(ctx context.Context, userID string, page recall.ConversationPage) ([]*recall.Conversation, error) {
	const op = "Conversations"
	if err := storeerr.CheckConversationPage(page.Limit); err != nil {
		return nil, err
	}
	if !validID(userID) {
		return []*recall.Conversation{}, nil
	}
	q := s.client.Collection(colConversations).Where(fUserID, "==", userID).
		OrderBy(fCreatedAt, fs.Desc).OrderBy(fs.DocumentID, fs.Asc).Limit(page.Limit)
	if !page.After.IsZero() {
		q = q.StartAfter(toDB(page.After.At), page.After.ID)
	}
	return queryAll(ctx, s, op, "conversation", q, func(id string, d *conversationDoc) (*recall.Conversation, bool) {
		return d.conversation(id), true
	})
}

// SaveConversation records msgs and replaces the conversation with c in one
// transaction: it reads the conversation (its version), creates the
// messages and their keys' documents (each creation fails if the document
// exists) and updates the conversation. A transaction rather than a blind
// commit: it costs one read, and a conversation deleted meanwhile refuses it.
func (s *Store) SaveConversation(ctx context.Context, c *recall.Conversation, msgs []*recall.Message) error {
	const op = "SaveConversation"
	if err := storeerr.CheckConversation(c, msgs); err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Index < 0 {
			return recall.Errorf(recall.EINVALID, "A message index is negative.")
		}
	}
	if !validID(c.ID) {
		return storeerr.ConversationNotFound()
	}
	ref := s.conversationRef(c.ID)
	err := s.runTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		snaps, err := s.getAll(ctx, op, tx, ref)
		if err != nil {
			return err
		}
		if !snaps[0].Exists() {
			return storeerr.ConversationNotFound()
		}
		old, err := decode[conversationDoc](snaps[0], "conversation")
		if err != nil {
			return err
		}
		if old.Version != c.Version-1 {
			return storeerr.ConversationChanged()
		}
		for _, m := range msgs {
			d := &messageDoc{Index: m.Index, Role: string(m.Role), Content: m.Content,
				QuestionIDs: storecodec.ListOrEmpty(m.QuestionIDs), Correct: m.Correct, Tutor: m.Tutor,
				CreatedAt: toDB(m.CreatedAt), IdempotencyKey: m.IdempotencyKey}
			if err := tx.Create(ref.Collection(colMessages).Doc(turnID(m.Index)), d); err != nil {
				return err
			}
			if m.IdempotencyKey != "" {
				key := ref.Collection(colKeys).Doc(keyID(m.IdempotencyKey) + "-" + string(m.Role))
				if err := tx.Create(key, keyEntry{Key: m.IdempotencyKey, Index: m.Index}); err != nil {
					return err
				}
			}
		}
		nd := newConversationDoc(c)
		nd.UserID, nd.TopicID, nd.CreatedAt = old.UserID, old.TopicID, old.CreatedAt
		return tx.Set(ref, nd)
	})
	if status.Code(err) == codes.AlreadyExists {
		return storeerr.ConversationChanged()
	}
	return s.fail(ctx, op, err)
}

// ConversationMessages returns at most limit messages from index from on,
// in one query on the document IDs (turnID keeps them in index order).
func (s *Store) ConversationMessages(ctx context.Context, conversationID string, from, limit int) ([]*recall.Message, error) {
	const op = "ConversationMessages"
	if err := storeerr.CheckConversationPage(limit); err != nil {
		return nil, err
	}
	if !validID(conversationID) {
		return []*recall.Message{}, nil
	}
	col := s.conversationRef(conversationID).Collection(colMessages)
	q := col.OrderBy(fs.DocumentID, fs.Asc).StartAt(col.Doc(turnID(max(from, 0)))).Limit(limit)
	return queryAll(ctx, s, op, "message", q, func(_ string, d *messageDoc) (*recall.Message, bool) {
		return d.message(conversationID), true
	})
}

// MessageByKey returns the tutor's message of the exchange with that key,
// in two reads: the key's document, then the message.
func (s *Store) MessageByKey(ctx context.Context, conversationID, key string) (*recall.Message, error) {
	const op = "MessageByKey"
	if !validID(conversationID) {
		return nil, storeerr.MessageNotFound()
	}
	ref := s.conversationRef(conversationID)
	snap, err := s.get(ctx, op, ref.Collection(colKeys).Doc(keyID(key)+"-"+string(recall.RoleTutor)))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if !snap.Exists() {
		return nil, storeerr.MessageNotFound()
	}
	k, err := decode[keyEntry](snap, "key")
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if snap, err = s.get(ctx, op, ref.Collection(colMessages).Doc(turnID(k.Index))); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if !snap.Exists() {
		return nil, storeerr.MessageNotFound()
	}
	d, err := decode[messageDoc](snap, "message")
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return d.message(conversationID), nil
}

// DeleteConversation removes the user's conversation: a transaction reads
// and deletes its document (so no message can be saved after it), then its
// messages and keys go.
func (s *Store) DeleteConversation(ctx context.Context, userID, id string) error {
	const op = "DeleteConversation"
	if !validID(id) {
		return storeerr.ConversationNotFound()
	}
	ref := s.conversationRef(id)
	err := s.runTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		snaps, err := s.getAll(ctx, op, tx, ref)
		if err != nil {
			return err
		}
		if !snaps[0].Exists() {
			return storeerr.ConversationNotFound()
		}
		d, err := decode[conversationDoc](snaps[0], "conversation")
		if err != nil {
			return err
		}
		if d.UserID != userID {
			return storeerr.ConversationNotFound()
		}
		return tx.Delete(ref)
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.deleteConversationDocs(ctx, op, ref)
}

// deleteConversationDocs deletes the messages and keys of a conversation
// whose document is gone.
func (s *Store) deleteConversationDocs(ctx context.Context, op string, ref *fs.DocumentRef) error {
	var refs []*fs.DocumentRef
	for _, sub := range []string{colMessages, colKeys} {
		docs, err := s.query(ctx, op, nil, ref.Collection(sub).Select())
		if err != nil {
			return s.fail(ctx, op, err)
		}
		refs = append(refs, refsOf(docs)...)
	}
	return s.deleteRefs(ctx, op, refs)
}

// cascadeConversations deletes the conversations of topic id, each
// document first (so no message is saved after it), then its messages and
// keys.
func (s *Store) cascadeConversations(ctx context.Context, op, id string) error {
	convs, err := s.query(ctx, op, nil, s.client.Collection(colConversations).Where(fTopicID, "==", id).Select())
	if err != nil {
		return err
	}
	for _, c := range convs {
		if err := s.deleteRefs(ctx, op, []*fs.DocumentRef{c.Ref}); err != nil {
			return err
		}
		if err := s.deleteConversationDocs(ctx, op, c.Ref); err != nil {
			return err
		}
	}
	return nil
}
