package firestore

import (
	"context"
	"slices"
	"strings"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// topicDoc is topics/{id}: the topic, its bank's question IDs in bank
// order, and the running stats of its completed sessions.
type topicDoc struct {
	UserID      string   `firestore:"user_id"`
	Title       string   `firestore:"title"`
	Description string   `firestore:"description"`
	QuestionIDs []string `firestore:"question_ids"`
	// NextPosition is the position the next question added gets: positions
	// only grow, so a deleted question leaves a gap, never a clash.
	NextPosition      int64 `firestore:"next_position"`
	SessionsCompleted int64 `firestore:"sessions_completed"`
	Answers           int64 `firestore:"answers"`
	Correct           int64 `firestore:"correct"`
	// LastStudiedUS is the latest UpdatedAt of a completed session in Unix
	// microseconds (the maximum transform works on numbers), nil if none.
	LastStudiedUS *int64 `firestore:"last_studied_us"`
	// Deleting marks a topic whose DeleteTopic has begun: it is not found
	// any more, and a DeleteTopic called again finishes the cascade.
	Deleting  bool      `firestore:"deleting"`
	CreatedAt time.Time `firestore:"created_at"`
	UpdatedAt time.Time `firestore:"updated_at"`
}

// Field names of topicDoc, for updates.
const (
	fTitle             = "title"
	fDescription       = "description"
	fQuestionIDs       = "question_ids"
	fNextPosition      = "next_position"
	fSessionsCompleted = "sessions_completed"
	fAnswers           = "answers"
	fCorrect           = "correct"
	fLastStudiedUS     = "last_studied_us"
	fDeleting          = "deleting"
	fUpdatedAt         = "updated_at"
	fCreatedAt         = "created_at"
	fUserID            = "user_id"
	fTopicID           = "topic_id"
)

// topic returns the domain topic of a topicDoc.
func (d *topicDoc) topic(id string) *recall.Topic {
	t := &recall.Topic{
		ID: id, UserID: d.UserID, Title: d.Title, Description: d.Description,
		QuestionIDs: d.QuestionIDs,
		Stats: recall.TopicStats{
			SessionsCompleted: int(d.SessionsCompleted), Answers: int(d.Answers), Correct: int(d.Correct),
		},
		CreatedAt: fromDB(d.CreatedAt), UpdatedAt: fromDB(d.UpdatedAt),
	}
	t.QuestionIDs = storecodec.ListOrEmpty(t.QuestionIDs)
	if d.LastStudiedUS != nil {
		at := time.UnixMicro(*d.LastStudiedUS).UTC()
		t.Stats.LastStudiedAt = &at
	}
	return t
}

func (s *Store) topicRef(id string) *fs.DocumentRef { return s.client.Collection(colTopics).Doc(id) }

// ownTopic decodes snap, the topic document, and returns ENOTFOUND unless
// it exists, is userID's and is not being deleted.
func ownTopic(snap *fs.DocumentSnapshot, userID string) (*topicDoc, error) {
	d, err := userTopic(snap, userID)
	if err == nil && d.Deleting {
		return nil, storeerr.TopicNotFound()
	}
	return d, err
}

// userTopic is ownTopic that also finds a topic being deleted.
func userTopic(snap *fs.DocumentSnapshot, userID string) (*topicDoc, error) {
	if snap == nil || !snap.Exists() {
		return nil, storeerr.TopicNotFound()
	}
	d, err := decode[topicDoc](snap, "topic")
	if err != nil {
		return nil, err
	}
	if d.UserID != userID {
		return nil, storeerr.TopicNotFound()
	}
	return d, nil
}

// CreateTopic stores t, whose ID, UserID and times the caller has set, in
// one write. Returns ECONFLICT if the ID is taken. It does not check that
// the user exists (that would cost a read; callers have authenticated the
// user).
func (s *Store) CreateTopic(ctx context.Context, t *recall.Topic) error {
	const op = "CreateTopic"
	if t == nil {
		return recall.Errorf(recall.EINVALID, "No topic was given.")
	}
	if !validID(t.ID) {
		return recall.Errorf(recall.EINVALID, "The topic ID is not valid.")
	}
	if err := s.before(ctx, kindWrite, op, 1); err != nil {
		return err
	}
	_, err := s.topicRef(t.ID).Create(ctx, topicDoc{
		UserID: t.UserID, Title: t.Title, Description: t.Description, QuestionIDs: []string{},
		CreatedAt: toDB(t.CreatedAt), UpdatedAt: toDB(t.UpdatedAt),
	})
	if status.Code(err) == codes.AlreadyExists {
		return storeerr.TopicExists()
	}
	return s.fail(ctx, op, err)
}

// Topics returns the user's topics, most recently updated first (then by
// ID), each with its question IDs and stats, in one query.
func (s *Store) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	const op = "Topics"
	if !validID(userID) {
		return []*recall.Topic{}, nil
	}
	q := s.client.Collection(colTopics).Where(fUserID, "==", userID)
	topics, err := queryAll(ctx, s, op, "topic", q, func(id string, d *topicDoc) (*recall.Topic, bool) {
		// ownTopic's test: not another user's, not being deleted.
		return d.topic(id), d.UserID == userID && !d.Deleting
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(topics, func(a, b *recall.Topic) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return topics, nil
}

// Topic returns one of the user's topics, in one read. Returns ENOTFOUND
// if it does not exist or is another user's.
func (s *Store) Topic(ctx context.Context, userID, id string) (*recall.Topic, error) {
	const op = "Topic"
	if !validID(id) {
		return nil, storeerr.TopicNotFound()
	}
	snap, err := s.get(ctx, op, s.topicRef(id))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	d, err := ownTopic(snap, userID)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return d.topic(id), nil
}

// UpdateTopic applies the non-nil fields of in and sets UpdatedAt to now,
// in a transaction that reads the topic, and returns the topic as Topic
// does. Returns ENOTFOUND as Topic does.
func (s *Store) UpdateTopic(ctx context.Context, userID, id string, in recall.TopicInput, now time.Time) (*recall.Topic, error) {
	const op = "UpdateTopic"
	if !validID(id) {
		return nil, storeerr.TopicNotFound()
	}
	ref := s.topicRef(id)
	var t *recall.Topic
	err := s.inTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		snaps, err := s.getAll(ctx, op, tx, ref)
		if err != nil {
			return err
		}
		d, err := ownTopic(snaps[0], userID)
		if err != nil {
			return err
		}
		d.UpdatedAt = toDB(now)
		ups := []fs.Update{{Path: fUpdatedAt, Value: d.UpdatedAt}}
		if in.Title != nil {
			d.Title = *in.Title
			ups = append(ups, fs.Update{Path: fTitle, Value: d.Title})
		}
		if in.Description != nil {
			d.Description = *in.Description
			ups = append(ups, fs.Update{Path: fDescription, Value: d.Description})
		}
		t = d.topic(id)
		return tx.Update(ref, ups)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteTopic deletes the topic with its questions and its sessions (with
// their turns, keys and guards). Firestore cannot delete an unbounded set
// of documents atomically, so it goes in steps: a transaction marks the
// topic as being deleted (from then on it is not found, and no question or
// session can be added to it); then the questions and sessions are deleted
// in commits of up to 500 documents (see cascade); the topic document goes
// last. If a
// step fails the topic stays marked, and calling DeleteTopic again finishes
// the job. Returns ENOTFOUND as Topic does.
func (s *Store) DeleteTopic(ctx context.Context, userID, id string) error {
	const op = "DeleteTopic"
	if !validID(id) {
		return storeerr.TopicNotFound()
	}
	ref := s.topicRef(id)
	err := s.inTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		snaps, err := s.getAll(ctx, op, tx, ref)
		if err != nil {
			return err
		}
		// A topic marked by an earlier, unfinished DeleteTopic of the same
		// user is found here, to finish the cascade.
		if _, err := userTopic(snaps[0], userID); err != nil {
			return err
		}
		return tx.Update(ref, []fs.Update{{Path: fDeleting, Value: true}})
	})
	if err != nil {
		return err
	}
	if err := s.cascade(ctx, op, id); err != nil {
		s.logger.WarnContext(ctx, "firestore: DeleteTopic stopped half-way; the topic stays hidden until DeleteTopic is called again",
			"topic_id", id, "err", err)
		return s.fail(ctx, op, err)
	}
	return s.deleteRefs(ctx, op, []*fs.DocumentRef{ref})
}

// cascade deletes the questions, sessions and conversations of topic id. A session goes
// in two steps. First a transaction reads it, deletes its guards and marks
// it: its read conflicts with any turn being saved (a turn updates the
// session), so once it commits no guard is left and no turn can be saved.
// Then its turns, keys and the session document go. A cascade that stops
// half-way leaves the session to be found by the next one.
func (s *Store) cascade(ctx context.Context, op, id string) error {
	qs, err := s.query(ctx, op, nil, s.client.Collection(colQuestions).Where(fTopicID, "==", id).Select())
	if err != nil {
		return err
	}
	if err := s.deleteRefs(ctx, op, refsOf(qs)); err != nil {
		return err
	}
	sessions, err := s.query(ctx, op, nil, s.client.Collection(colSessions).Where(fTopicID, "==", id).Select())
	if err != nil {
		return err
	}
	for _, ss := range sessions {
		err := s.runTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
			snaps, err := s.getAll(ctx, op, tx, ss.Ref)
			if err != nil || !snaps[0].Exists() {
				return err
			}
			guards, err := s.query(ctx, op, tx, ss.Ref.Collection(colGuards).Select())
			if err != nil {
				return err
			}
			for _, g := range guards {
				if err := tx.Delete(g.Ref); err != nil {
					return err
				}
			}
			return tx.Update(ss.Ref, []fs.Update{{Path: fDeleting, Value: true}})
		})
		if err != nil {
			return err
		}
		var refs []*fs.DocumentRef
		for _, sub := range []string{colTurns, colKeys} {
			docs, err := s.query(ctx, op, nil, ss.Ref.Collection(sub).Select())
			if err != nil {
				return err
			}
			refs = append(refs, refsOf(docs)...)
		}
		if err := s.deleteRefs(ctx, op, append(refs, ss.Ref)); err != nil {
			return err
		}
	}
	return s.cascadeConversations(ctx, op, id)
}

// refsOf returns the references of docs.
func refsOf(docs []*fs.DocumentSnapshot) []*fs.DocumentRef {
	refs := make([]*fs.DocumentRef, len(docs))
	for i, d := range docs {
		refs[i] = d.Ref
	}
	return refs
}

// deleteRefs deletes the documents, in order, in commits of up to
// maxWrites documents.
func (s *Store) deleteRefs(ctx context.Context, op string, refs []*fs.DocumentRef) error {
	for start := 0; start < len(refs); start += maxWrites {
		chunk := refs[start:min(start+maxWrites, len(refs))]
		err := s.inTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
			for _, ref := range chunk {
				if err := tx.Delete(ref); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
