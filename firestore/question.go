package firestore

import (
	"cmp"
	"context"
	"slices"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// questionDoc is questions/{id}. Questions are a top-level collection so
// that an ID is unique across topics and Questions(topicID) is one query on
// topic_id; Position orders the bank.
type questionDoc struct {
	TopicID     string    `firestore:"topic_id"`
	Position    int64     `firestore:"position"`
	Prompt      string    `firestore:"prompt"`
	Answers     []string  `firestore:"answers"`
	Choices     []string  `firestore:"choices"`
	Explanation string    `firestore:"explanation"`
	Hint        string    `firestore:"hint"`
	AbsTol      float64   `firestore:"abs_tol,omitempty"`
	RelTol      float64   `firestore:"rel_tol,omitempty"`
	Unit        string    `firestore:"unit,omitempty"`
	CreatedAt   time.Time `firestore:"created_at"`
	UpdatedAt   time.Time `firestore:"updated_at"`
}

// newQuestionDoc returns the document of q at position pos in topicID.
func newQuestionDoc(q *recall.Question, topicID string, pos int64) *questionDoc {
	return &questionDoc{
		TopicID: topicID, Position: pos, Prompt: q.Prompt,
		Answers: q.Answers, Choices: storecodec.ListOrNil(q.Choices), Explanation: q.Explanation, Hint: q.Hint,
		AbsTol: q.AbsTol, RelTol: q.RelTol, Unit: q.Unit,
		CreatedAt: toDB(q.CreatedAt), UpdatedAt: toDB(q.UpdatedAt),
	}
}

// question returns the domain question of a questionDoc.
func (d *questionDoc) question(id string) *recall.Question {
	return &recall.Question{
		ID: id, TopicID: d.TopicID, Prompt: d.Prompt,
		Answers: d.Answers, Choices: storecodec.ListOrNil(d.Choices), Explanation: d.Explanation, Hint: d.Hint,
		AbsTol: d.AbsTol, RelTol: d.RelTol, Unit: d.Unit,
		CreatedAt: fromDB(d.CreatedAt), UpdatedAt: fromDB(d.UpdatedAt),
	}
}

func (s *Store) questionRef(id string) *fs.DocumentRef {
	return s.client.Collection(colQuestions).Doc(id)
}

// AddQuestions appends qs to the end of the topic's bank in one
// transaction, all or nothing: it reads the topic, creates one document per
// question and updates the topic's question IDs and UpdatedAt (to the
// latest CreatedAt of qs). Each question is stored under topicID whatever
// its TopicID says. Returns ENOTFOUND if the topic does not exist or is
// another user's, ECONFLICT if a question ID is taken (or given twice),
// EINVALID for an ID that cannot name a document.
func (s *Store) AddQuestions(ctx context.Context, userID, topicID string, qs []*recall.Question) error {
	const op = "AddQuestions"
	latest, err := storeerr.CheckQuestions(qs)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(qs))
	for i, q := range qs {
		if !validID(q.ID) {
			return recall.Errorf(recall.EINVALID, "The ID of question %d is not valid.", i)
		}
		if seen[q.ID] {
			return storeerr.QuestionTaken()
		}
		seen[q.ID] = true
	}
	if !validID(topicID) {
		return storeerr.TopicNotFound()
	}
	ref := s.topicRef(topicID)
	if len(qs) == 0 {
		snap, err := s.get(ctx, op, ref)
		if err != nil {
			return s.fail(ctx, op, err)
		}
		_, err = ownTopic(snap, userID)
		return s.fail(ctx, op, err)
	}
	err = s.runTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		snaps, err := s.getAll(ctx, op, tx, ref)
		if err != nil {
			return err
		}
		d, err := ownTopic(snaps[0], userID)
		if err != nil {
			return err
		}
		ids := slices.Grow(slices.Clone(d.QuestionIDs), len(qs))
		for i, q := range qs {
			if err := tx.Create(s.questionRef(q.ID), newQuestionDoc(q, topicID, d.NextPosition+int64(i))); err != nil {
				return err
			}
			ids = append(ids, q.ID)
		}
		return tx.Update(ref, []fs.Update{
			{Path: fQuestionIDs, Value: ids},
			{Path: fNextPosition, Value: d.NextPosition + int64(len(qs))},
			{Path: fUpdatedAt, Value: toDB(latest)},
		})
	})
	if status.Code(err) == codes.AlreadyExists {
		return storeerr.QuestionTaken()
	}
	return s.fail(ctx, op, err)
}

// Questions returns the topic's bank in bank order, in one query (on
// topic_id, sorted here by position): the owner, which a cache keys the
// bank under, is not checked. No questions (or no topic) give an empty
// slice.
func (s *Store) Questions(ctx context.Context, _, topicID string) ([]*recall.Question, error) {
	const op = "Questions"
	if !validID(topicID) {
		return []*recall.Question{}, nil
	}
	type positioned struct {
		pos int64
		q   *recall.Question
	}
	q := s.client.Collection(colQuestions).Where(fTopicID, "==", topicID)
	list, err := queryAll(ctx, s, op, "question", q, func(id string, d *questionDoc) (positioned, bool) {
		return positioned{d.Position, d.question(id)}, true
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b positioned) int { return cmp.Compare(a.pos, b.pos) })
	qs := make([]*recall.Question, len(list))
	for i, p := range list {
		qs[i] = p.q
	}
	return qs, nil
}

// bankQuestion reads, in tx, the topic and the question (two document
// reads) and returns them, or ENOTFOUND unless the topic is userID's and
// the question is in it.
func (s *Store) bankQuestion(ctx context.Context, op string, tx *fs.Transaction, userID, topicID, id string) (*topicDoc, *questionDoc, error) {
	snaps, err := s.getAll(ctx, op, tx, s.topicRef(topicID), s.questionRef(id))
	if err != nil {
		return nil, nil, err
	}
	t, err := ownTopic(snaps[0], userID)
	if recall.IsCode(err, recall.ENOTFOUND) || err == nil && !snaps[1].Exists() {
		return nil, nil, storeerr.QuestionNotFound()
	} else if err != nil {
		return nil, nil, err
	}
	q, err := decode[questionDoc](snaps[1], "question")
	if err != nil {
		return nil, nil, err
	}
	if q.TopicID != topicID {
		return nil, nil, storeerr.QuestionNotFound()
	}
	return t, q, nil
}

// UpdateQuestion applies in to the question, checks the result with
// Question.Check and sets its UpdatedAt and the topic's to now, in one
// transaction that reads the topic and the question. It does not call
// in.Validate: callers do. Returns ENOTFOUND if the topic is not the user's
// or the question is not in it, EINVALID if the result fails Check.
func (s *Store) UpdateQuestion(ctx context.Context, userID, topicID, id string, in recall.QuestionInput, now time.Time) (*recall.Question, error) {
	const op = "UpdateQuestion"
	if !validIDs(topicID, id) {
		return nil, storeerr.QuestionNotFound()
	}
	var q *recall.Question
	err := s.inTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		_, d, err := s.bankQuestion(ctx, op, tx, userID, topicID, id)
		if err != nil {
			return err
		}
		q = d.question(id)
		in.Apply(q)
		if err := q.Check(""); err != nil {
			return err
		}
		q.UpdatedAt = toDB(now)
		if err := tx.Set(s.questionRef(id), newQuestionDoc(q, topicID, d.Position)); err != nil {
			return err
		}
		return tx.Update(s.topicRef(topicID), []fs.Update{{Path: fUpdatedAt, Value: q.UpdatedAt}})
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// DeleteQuestion removes the question from the bank and sets the topic's
// UpdatedAt to now, in one transaction that reads the topic and the
// question. Returns ENOTFOUND as UpdateQuestion does.
func (s *Store) DeleteQuestion(ctx context.Context, userID, topicID, id string, now time.Time) error {
	const op = "DeleteQuestion"
	if !validIDs(topicID, id) {
		return storeerr.QuestionNotFound()
	}
	return s.inTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		t, _, err := s.bankQuestion(ctx, op, tx, userID, topicID, id)
		if err != nil {
			return err
		}
		ids := slices.DeleteFunc(slices.Clone(t.QuestionIDs), func(q string) bool { return q == id })
		if err := tx.Delete(s.questionRef(id)); err != nil {
			return err
		}
		return tx.Update(s.topicRef(topicID), []fs.Update{
			{Path: fQuestionIDs, Value: ids},
			{Path: fUpdatedAt, Value: toDB(now)},
		})
	})
}
