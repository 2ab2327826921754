package firestore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// sessionDoc is sessions/{id}, and also the form of a turn's After (which
// sets ID). Keys maps keyID(key) to the key and the index of the turn it
// produced: the session's idempotency keys, kept on the document so that
// Session is one read.
type sessionDoc struct {
	ID          string              `firestore:"id,omitempty"`
	UserID      string              `firestore:"user_id"`
	TopicID     string              `firestore:"topic_id"`
	State       string              `firestore:"state"`
	QuestionIDs []string            `firestore:"question_ids"`
	Current     int                 `firestore:"current"`
	Answered    int                 `firestore:"answered"`
	Correct     int                 `firestore:"correct"`
	Skipped     int                 `firestore:"skipped"`
	Turns       int                 `firestore:"turns"`
	Version     int64               `firestore:"version"`
	Keys        map[string]keyEntry `firestore:"idempotency_keys"`
	CreatedAt   time.Time           `firestore:"created_at"`
	UpdatedAt   time.Time           `firestore:"updated_at"`
}

// keyEntry is one idempotency key: an entry of sessionDoc.Keys, and the
// document sessions/{id}/keys/{keyID(key)} whose creation makes a key
// usable once per session.
type keyEntry struct {
	Key   string `firestore:"key"`
	Index int    `firestore:"index"`
}

// turnDoc is sessions/{id}/turns/{turnID(index)}.
type turnDoc struct {
	Index          int         `firestore:"index"`
	Kind           string      `firestore:"kind"`
	Message        string      `firestore:"message"`
	Reply          string      `firestore:"reply"`
	QuestionID     string      `firestore:"question_id"`
	Correct        *bool       `firestore:"correct"`
	CreatedAt      time.Time   `firestore:"created_at"`
	IdempotencyKey string      `firestore:"idempotency_key"`
	After          *sessionDoc `firestore:"after"`
}

// turnFields returns the fields Turns reads: all but after.
func turnFields() []string {
	return []string{"index", "kind", "message", "reply", "question_id", "correct", "created_at", "idempotency_key"}
}

// Field names of sessionDoc, for updates.
const (
	fState    = "state"
	fCurrent  = "current"
	fAnswered = "answered"
	fSkipped  = "skipped"
	fTurns    = "turns"
	fVersion  = "version"
	fKeys     = "idempotency_keys"
)

// keyID names the document of an idempotency key: the hex SHA-256 of the
// key, which may hold any character.
func keyID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// turnID names a turn's document: its index, zero-padded so that the
// documents list in turn order.
func turnID(index int) string { return fmt.Sprintf("%010d", index) }

// guardID names the guard document of a session at version v in state:
// "{v}-c" if completed, "{v}-a" otherwise.
func guardID(v int64, state recall.SessionState) string {
	if state == recall.SessionCompleted {
		return fmt.Sprintf("%020d-c", v)
	}
	return fmt.Sprintf("%020d-a", v)
}

// newSessionDoc returns the document of ss. Its keys are taken from keys
// (nil: none).
func newSessionDoc(ss *recall.Session, keys map[string]int) *sessionDoc {
	d := &sessionDoc{
		UserID: ss.UserID, TopicID: ss.TopicID, State: string(ss.State),
		QuestionIDs: ss.QuestionIDs, Current: ss.Current, Answered: ss.Answered, Correct: ss.Correct,
		Skipped: ss.Skipped, Turns: ss.Turns, Version: ss.Version, Keys: make(map[string]keyEntry, len(keys)),
		CreatedAt: toDB(ss.CreatedAt), UpdatedAt: toDB(ss.UpdatedAt),
	}
	d.QuestionIDs = storecodec.ListOrEmpty(d.QuestionIDs)
	for k, i := range keys {
		d.Keys[keyID(k)] = keyEntry{Key: k, Index: i}
	}
	return d
}

// session returns the domain session of a sessionDoc.
func (d *sessionDoc) session(id string) *recall.Session {
	ss := &recall.Session{
		ID: id, UserID: d.UserID, TopicID: d.TopicID, State: recall.SessionState(d.State),
		QuestionIDs: storecodec.ListOrNil(d.QuestionIDs), Current: d.Current, Answered: d.Answered, Correct: d.Correct,
		Skipped: d.Skipped, Turns: d.Turns, Version: d.Version, IdempotencyKeys: make(map[string]int, len(d.Keys)),
		CreatedAt: fromDB(d.CreatedAt), UpdatedAt: fromDB(d.UpdatedAt),
	}
	for _, e := range d.Keys {
		ss.IdempotencyKeys[e.Key] = e.Index
	}
	return ss
}

func (s *Store) sessionRef(id string) *fs.DocumentRef {
	return s.client.Collection(colSessions).Doc(id)
}

// stats is what one session adds to its topic's stats.
type stats struct {
	n, answers, correct int64
}

// contribution returns what ss adds to its topic's stats: nothing unless it
// is completed.
func contribution(state recall.SessionState, answered, skipped, correct int) stats {
	if state != recall.SessionCompleted {
		return stats{}
	}
	return stats{n: 1, answers: int64(answered + skipped), correct: int64(correct)}
}

// statsUpdates returns the updates of a topic whose stats change by d, and
// whose last studied time becomes at least last if it is not nil; nil if
// nothing changes.
func statsUpdates(d stats, last *time.Time) []fs.Update {
	var ups []fs.Update
	for _, f := range []struct {
		path string
		n    int64
	}{{fSessionsCompleted, d.n}, {fAnswers, d.answers}, {fCorrect, d.correct}} {
		if f.n != 0 {
			ups = append(ups, fs.Update{Path: f.path, Value: fs.Increment(f.n)})
		}
	}
	if last != nil {
		ups = append(ups, fs.Update{Path: fLastStudiedUS, Value: fs.FieldTransformMaximum(last.UnixMicro())})
	}
	return ups
}

// CreateSession stores a new session, in one transaction that reads the
// topic (ownership), creates the session and its first guard, and counts
// the session in the topic's stats if it is created completed.
// s.IdempotencyKeys is ignored (keys are added by turns). Returns ENOTFOUND
// unless the topic is s.UserID's, ECONFLICT if the ID is taken.
func (s *Store) CreateSession(ctx context.Context, ss *recall.Session) error {
	const op = "CreateSession"
	if ss == nil {
		return recall.Errorf(recall.EINVALID, "No session was given.")
	}
	if !validID(ss.ID) {
		return recall.Errorf(recall.EINVALID, "The session ID is not valid.")
	}
	if !validID(ss.TopicID) {
		return storeerr.TopicNotFound()
	}
	topic, ref := s.topicRef(ss.TopicID), s.sessionRef(ss.ID)
	err := s.runTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		snaps, err := s.getAll(ctx, op, tx, topic)
		if err != nil {
			return err
		}
		if _, err := ownTopic(snaps[0], ss.UserID); err != nil {
			return err
		}
		if err := tx.Create(ref, newSessionDoc(ss, nil)); err != nil {
			return err
		}
		if err := tx.Create(ref.Collection(colGuards).Doc(guardID(ss.Version, ss.State)), map[string]any{}); err != nil {
			return err
		}
		if ss.State == recall.SessionCompleted {
			last := ss.UpdatedAt
			return tx.Update(topic, statsUpdates(contribution(ss.State, ss.Answered, ss.Skipped, ss.Correct), &last))
		}
		return nil
	})
	if status.Code(err) == codes.AlreadyExists {
		return storeerr.SessionExists()
	}
	return s.fail(ctx, op, err)
}

// Session returns the session with its idempotency keys, in one read.
// Returns ENOTFOUND if there is none.
func (s *Store) Session(ctx context.Context, id string) (*recall.Session, error) {
	const op = "Session"
	if !validID(id) {
		return nil, storeerr.SessionNotFound()
	}
	snap, err := s.get(ctx, op, s.sessionRef(id))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if !snap.Exists() {
		return nil, storeerr.SessionNotFound()
	}
	d, err := decode[sessionDoc](snap, "session")
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return d.session(id), nil
}

// Sessions returns one page of the user's sessions, newest first (by
// CreatedAt, then ID), each with its idempotency keys. One query, served by
// the composite index on (user_id, created_at desc, __name__), or (user_id,
// state, created_at desc, __name__) for a state (firestore.indexes.json),
// starts after the cursor. The state at page.Now is asked of the stored
// state (and, for active, of created_at); what the query cannot say (an
// active session idle too long, or not) is filtered here, and another query
// continues while the page is short and the last one was full. Returns
// EINVALID for a limit under 1.
func (s *Store) Sessions(ctx context.Context, userID string, page recall.SessionPage) ([]*recall.Session, error) {
	const op = "Sessions"
	if err := storeerr.CheckPage(page); err != nil {
		return nil, err
	}
	list := []*recall.Session{}
	if !validID(userID) {
		return list, nil
	}
	q := s.client.Collection(colSessions).Where(fUserID, "==", userID)
	switch page.State {
	case recall.SessionCompleted:
		q = q.Where(fState, "==", string(recall.SessionCompleted))
	case recall.SessionActive:
		q = q.Where(fState, "==", string(recall.SessionActive)).Where(fCreatedAt, ">", toDB(page.Now.Add(-page.Lifetime)))
	case recall.SessionExpired:
		q = q.Where(fState, "==", string(recall.SessionActive))
	}
	q = q.OrderBy(fCreatedAt, fs.Desc).OrderBy(fs.DocumentID, fs.Asc).Limit(page.Limit)
	for after := page.After; ; {
		pq := q
		if !after.IsZero() {
			pq = q.StartAfter(toDB(after.At), after.ID)
		}
		got, err := queryAll(ctx, s, op, "session", pq, func(id string, d *sessionDoc) (*recall.Session, bool) {
			return d.session(id), true
		})
		if err != nil {
			return nil, err
		}
		for _, ss := range got {
			if len(list) < page.Limit && page.Includes(ss) {
				list = append(list, ss)
			}
		}
		if len(list) == page.Limit || len(got) < page.Limit {
			return list, nil
		}
		after = recall.CursorOf(got[len(got)-1])
	}
}

// turnWrite holds the documents and updates a turn writes.
type turnWrite struct {
	ref                    *fs.DocumentRef // the session
	turn, key, guard, from *fs.DocumentRef // from: the guard to delete
	turnDoc                *turnDoc
	keyDoc                 *keyEntry
	session                []fs.Update
	topic                  *fs.DocumentRef
	// review queues the writes of the turn's review (queueReview).
	review func(tx *fs.Transaction) error
}

// newTurnWrite prepares the writes of t and ss, leaving from and the topic
// updates to the caller.
func (s *Store) newTurnWrite(ss *recall.Session, t *recall.Turn) *turnWrite {
	ref := s.sessionRef(ss.ID)
	w := &turnWrite{
		ref:    ref,
		turn:   ref.Collection(colTurns).Doc(turnID(t.Index)),
		guard:  ref.Collection(colGuards).Doc(guardID(ss.Version, ss.State)),
		topic:  s.topicRef(ss.TopicID),
		review: func(tx *fs.Transaction) error { return s.queueReview(tx, t) },
		turnDoc: &turnDoc{
			Index: t.Index, Kind: string(t.Kind), Message: t.Message, Reply: t.Reply, QuestionID: t.QuestionID,
			Correct: t.Correct, CreatedAt: toDB(t.CreatedAt), IdempotencyKey: t.IdempotencyKey,
		},
	}
	if t.After != nil {
		w.turnDoc.After = newSessionDoc(t.After, t.After.IdempotencyKeys)
		w.turnDoc.After.ID = t.After.ID
	}
	qids := storecodec.ListOrEmpty(ss.QuestionIDs)
	w.session = []fs.Update{
		{Path: fState, Value: string(ss.State)},
		{Path: fQuestionIDs, Value: qids},
		{Path: fCurrent, Value: ss.Current},
		{Path: fAnswered, Value: ss.Answered},
		{Path: fCorrect, Value: ss.Correct},
		{Path: fSkipped, Value: ss.Skipped},
		{Path: fTurns, Value: ss.Turns},
		{Path: fVersion, Value: ss.Version},
		{Path: fUpdatedAt, Value: toDB(ss.UpdatedAt)},
	}
	if t.IdempotencyKey != "" {
		id := keyID(t.IdempotencyKey)
		w.key = ref.Collection(colKeys).Doc(id)
		w.keyDoc = &keyEntry{Key: t.IdempotencyKey, Index: t.Index}
		w.session = append(w.session, fs.Update{FieldPath: fs.FieldPath{fKeys, id}, Value: *w.keyDoc})
	}
	return w
}

// queue adds the writes to tx; topic holds the topic's updates (none if
// empty). Each write carries a precondition: the old guard must exist, the
// new guard, the turn and the key must not, the session and the topic must.
func (w *turnWrite) queue(tx *fs.Transaction, topic []fs.Update) error {
	if err := tx.Delete(w.from, fs.Exists); err != nil {
		return err
	}
	if err := tx.Create(w.guard, map[string]any{}); err != nil {
		return err
	}
	if err := tx.Create(w.turn, w.turnDoc); err != nil {
		return err
	}
	if w.key != nil {
		if err := tx.Create(w.key, w.keyDoc); err != nil {
			return err
		}
	}
	if err := tx.Update(w.ref, w.session); err != nil {
		return err
	}
	if err := w.review(tx); err != nil {
		return err
	}
	if len(topic) > 0 {
		return tx.Update(w.topic, topic)
	}
	return nil
}

// SaveTurn records t and replaces the session with ss in one commit that
// reads nothing (see the package documentation): it deletes the guard of
// version ss.Version-1 in state active, creates the guard of ss.Version,
// the turn and the idempotency key's document, updates the session, and,
// if the turn completes the session, adds it to the topic's stats.
//
// Only a refused commit costs reads: one lookup of the session, the turn
// and the key tells ENOTFOUND (no session) from ECONFLICT (its version is
// not ss.Version-1, the key is used in the session, or a turn with t's
// index exists). A session that is already completed fails the guard too;
// its turn is then saved by a read-write transaction, which moves the
// topic's stats by the difference.
//
// ss.UserID and ss.TopicID are not written: they are the stored ones. t
// is stored under ss.ID; EINVALID if t belongs to another session or has
// a negative index.
func (s *Store) SaveTurn(ctx context.Context, ss *recall.Session, t *recall.Turn) error {
	const op = "SaveTurn"
	if err := storeerr.CheckTurn(ss, t); err != nil {
		return err
	}
	if t.Index < 0 {
		return recall.Errorf(recall.EINVALID, "The turn index is negative.")
	}
	if !validID(ss.ID) {
		return storeerr.SessionNotFound()
	}
	w := s.newTurnWrite(ss, t)
	w.from = w.ref.Collection(colGuards).Doc(guardID(ss.Version-1, recall.SessionActive))
	var topic []fs.Update
	if ss.State == recall.SessionCompleted {
		// The guard proves the session was active: the turn completes it.
		last := ss.UpdatedAt
		topic = statsUpdates(contribution(ss.State, ss.Answered, ss.Skipped, ss.Correct), &last)
	}
	err := s.runTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		return w.queue(tx, topic)
	})
	if err == nil || !preconditionFailed(err) {
		return s.fail(ctx, op, err)
	}

	// Refused: find out why, without a transaction (and its locks).
	old, err := s.checkTurn(ctx, op, nil, w)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if old.Version != ss.Version-1 {
		return storeerr.SessionChanged()
	}
	// Nothing refuses the turn but the guard: the stored session is not
	// active. Save it in a transaction that reads the session first.
	err = s.runTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		old, err := s.checkTurn(ctx, op, tx, w)
		if err != nil {
			return err
		}
		if old.Version != ss.Version-1 {
			return storeerr.SessionChanged()
		}
		prev := recall.SessionState(old.State)
		w.from = w.ref.Collection(colGuards).Doc(guardID(old.Version, prev))
		before := contribution(prev, old.Answered, old.Skipped, old.Correct)
		after := contribution(ss.State, ss.Answered, ss.Skipped, ss.Correct)
		var last *time.Time
		if ss.State == recall.SessionCompleted {
			last = &ss.UpdatedAt
		}
		return w.queue(tx, statsUpdates(stats{after.n - before.n, after.answers - before.answers, after.correct - before.correct}, last))
	})
	switch status.Code(err) {
	case codes.NotFound:
		// The guard or the topic is gone: the session is being deleted
		// with its topic.
		return storeerr.SessionNotFound()
	case codes.AlreadyExists:
		return storeerr.SessionChanged()
	}
	return s.fail(ctx, op, err)
}

// checkTurn reads (in tx if not nil) the session, the turn and the key of
// w, and returns the stored session, ENOTFOUND if there is none, or
// ECONFLICT if the turn or the key exists. It does not compare versions.
func (s *Store) checkTurn(ctx context.Context, op string, tx *fs.Transaction, w *turnWrite) (*sessionDoc, error) {
	refs := []*fs.DocumentRef{w.ref, w.turn}
	if w.key != nil {
		refs = append(refs, w.key)
	}
	snaps, err := s.getAll(ctx, op, tx, refs...)
	if err != nil {
		return nil, err
	}
	if !snaps[0].Exists() {
		return nil, storeerr.SessionNotFound()
	}
	if len(snaps) > 2 && snaps[2].Exists() {
		return nil, storeerr.KeyUsed()
	}
	if snaps[1].Exists() {
		return nil, storeerr.SessionChanged()
	}
	return decode[sessionDoc](snaps[0], "session")
}

// turn returns the domain turn of a turnDoc of session sessionID.
func (d *turnDoc) turn(sessionID string) *recall.Turn {
	t := &recall.Turn{
		SessionID: sessionID, Index: d.Index, Kind: recall.TurnKind(d.Kind), Message: d.Message, Reply: d.Reply,
		QuestionID: d.QuestionID, Correct: d.Correct, CreatedAt: fromDB(d.CreatedAt), IdempotencyKey: d.IdempotencyKey,
	}
	if d.After != nil {
		t.After = d.After.session(d.After.ID)
	}
	return t
}

// Turns returns the session's transcript, oldest first, in one query that
// leaves out the turns' After (Turn has it). An unknown session gives an
// empty slice.
func (s *Store) Turns(ctx context.Context, sessionID string) ([]*recall.Turn, error) {
	const op = "Turns"
	if !validID(sessionID) {
		return []*recall.Turn{}, nil
	}
	q := s.sessionRef(sessionID).Collection(colTurns).Select(turnFields()...)
	list, err := queryAll(ctx, s, op, "turn", q, func(_ string, d *turnDoc) (*recall.Turn, bool) {
		return d.turn(sessionID), true
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b *recall.Turn) int { return cmp.Compare(a.Index, b.Index) })
	return list, nil
}

// Turn returns one turn by index with After as it was saved, in one read.
// Returns ENOTFOUND if there is none.
func (s *Store) Turn(ctx context.Context, sessionID string, index int) (*recall.Turn, error) {
	const op = "Turn"
	if index < 0 || !validID(sessionID) {
		return nil, storeerr.TurnNotFound()
	}
	snap, err := s.get(ctx, op, s.sessionRef(sessionID).Collection(colTurns).Doc(turnID(index)))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if !snap.Exists() {
		return nil, storeerr.TurnNotFound()
	}
	d, err := decode[turnDoc](snap, "turn")
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return d.turn(sessionID), nil
}
