package postgres

import (
	"context"
	"errors"
	"math"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// sessionCols are the columns of a session row, in scanSession's order; the
// last one gathers the session's idempotency keys from its turns (NULL
// when there are none).
const sessionCols = `s.id, s.user_id, s.topic_id, s.state, s.question_ids, s.current, s.answered, s.correct,
       s.skipped, s.turns, s.version, s.created_at, s.updated_at,
       (SELECT json_object_agg(k.idempotency_key, k.idx) FROM turns k
        WHERE k.session_id = s.id AND k.idempotency_key IS NOT NULL)`

// scanSession reads the sessionCols of one row.
func scanSession(row pgx.Row) (*recall.Session, error) {
	var (
		ss    recall.Session
		state string
		keys  []byte
	)
	if err := row.Scan(&ss.ID, &ss.UserID, &ss.TopicID, &state, &ss.QuestionIDs, &ss.Current, &ss.Answered, &ss.Correct,
		&ss.Skipped, &ss.Turns, &ss.Version, &ss.CreatedAt, &ss.UpdatedAt, &keys); err != nil {
		return nil, err
	}
	ss.State = recall.SessionState(state)
	ss.QuestionIDs = storecodec.ListOrNil(ss.QuestionIDs)
	var err error
	if ss.IdempotencyKeys, err = storecodec.DecodeKeys(keys); err != nil {
		return nil, err
	}
	ss.CreatedAt, ss.UpdatedAt = fromDB(ss.CreatedAt), fromDB(ss.UpdatedAt)
	return &ss, nil
}

// CreateSession stores a new session; s.IdempotencyKeys is ignored (the
// keys live with the turns). The topic must be s.UserID's: returns
// ENOTFOUND otherwise, and ECONFLICT if the ID is taken.
func (s *Store) CreateSession(ctx context.Context, ss *recall.Session) error {
	const op = "CreateSession"
	if ss == nil {
		return recall.Errorf(recall.EINVALID, "No session was given.")
	}
	if badKey(ss.UserID, ss.TopicID) {
		return storeerr.TopicNotFound()
	}
	return s.do(ctx, kindWrite, op, func(c db) error {
		tag, err := c.exec(ctx,
			`INSERT INTO sessions (id, user_id, topic_id, state, question_ids, current, answered, correct, skipped, turns, version, created_at, updated_at)
			 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
			 WHERE EXISTS (SELECT 1 FROM topics WHERE id = $3 AND user_id = $2)`,
			ss.ID, ss.UserID, ss.TopicID, string(ss.State), storecodec.ListOrEmpty(ss.QuestionIDs), ss.Current, ss.Answered, ss.Correct,
			ss.Skipped, ss.Turns, ss.Version, toDB(ss.CreatedAt), toDB(ss.UpdatedAt))
		switch {
		case isUnique(err, ""):
			return storeerr.SessionExists()
		case isForeignKey(err): // the topic went between the check and the insert
			return storeerr.TopicNotFound()
		case err != nil:
			return err
		case tag.RowsAffected() == 0:
			return storeerr.TopicNotFound()
		}
		return nil
	})
}

// Session returns the session with its idempotency keys (rebuilt from its
// turns), in one statement. Returns ENOTFOUND if there is none.
func (s *Store) Session(ctx context.Context, id string) (*recall.Session, error) {
	const op = "Session"
	if badKey(id) {
		return nil, storeerr.SessionNotFound()
	}
	var ss *recall.Session
	err := s.do(ctx, kindRead, op, func(c db) error {
		var err error
		ss, err = scanSession(c.queryRow(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.SessionNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return ss, nil
}

// Sessions returns one page of the user's sessions, newest first (by
// CreatedAt, then ID), each with its idempotency keys, in one statement
// that the index on (user_id, created_at, id), or (user_id, state,
// created_at, id) for a state, serves from the cursor on. Returns EINVALID
// for a limit under 1.
func (s *Store) Sessions(ctx context.Context, userID string, page recall.SessionPage) ([]*recall.Session, error) {
	const op = "Sessions"
	if err := storeerr.CheckPage(page); err != nil {
		return nil, err
	}
	list := []*recall.Session{}
	if badKey(userID) || badKey(page.After.ID) {
		return list, nil
	}
	q, args := sessionPageQuery(userID, page)
	err := s.do(ctx, kindRead, op, func(c db) error {
		rows, err := c.query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = collect(rows, list, scanSession)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// sessionPageQuery returns the statement of Sessions and its arguments.
// The cursor is a range on created_at (the index seeks to it) and a
// tie-break on id; the state at page.Now is a condition on the stored
// state and times (see recall.Session.StateAt).
func sessionPageQuery(userID string, page recall.SessionPage) (string, []any) {
	args := []any{userID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q := `SELECT ` + sessionCols + ` FROM sessions s WHERE s.user_id = $1`
	if !page.After.IsZero() {
		at, id := arg(toDB(page.After.At)), arg(page.After.ID)
		q += ` AND s.created_at <= ` + at + ` AND (s.created_at < ` + at + ` OR s.id > ` + id + `)`
	}
	switch page.State {
	case recall.SessionCompleted:
		q += ` AND s.state = 'completed'`
	case recall.SessionActive:
		q += ` AND s.state = 'active' AND s.created_at > ` + arg(toDB(page.Now.Add(-page.Lifetime))) +
			` AND s.updated_at > ` + arg(toDB(page.Now.Add(-page.Idle)))
	case recall.SessionExpired:
		q += ` AND s.state = 'active' AND (s.created_at <= ` + arg(toDB(page.Now.Add(-page.Lifetime))) +
			` OR s.updated_at <= ` + arg(toDB(page.Now.Add(-page.Idle))) + `)`
	}
	q += ` ORDER BY s.created_at DESC, s.id LIMIT ` + arg(page.Limit)
	return q, args
}

// insertTurn and updateSession are the two statements of SaveTurn.
const (
	insertTurn = `INSERT INTO turns (session_id, idx, kind, message, reply, question_id, correct, created_at, idempotency_key, after)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	updateSession = `UPDATE sessions SET state = $1, question_ids = $2, current = $3, answered = $4, correct = $5, skipped = $6,
       turns = $7, version = $8, updated_at = $9
WHERE id = $10 AND version = $11`
)

// SaveTurn records t and replaces the session with ss in one write
// transaction of two statements that reads nothing: the turn's INSERT, then
// an UPDATE of the session guarded by its version (ss.Version-1), sent in
// one round trip with the BEGIN; the COMMIT (or ROLLBACK) is the second.
// The turn is stored under ss.ID and t.After is kept as JSON.
//
// Returns ENOTFOUND if the session does not exist (the turn's foreign key
// says so); ECONFLICT if its version is not ss.Version-1, if t's
// idempotency key is already used in the session or if a turn with t's
// index exists; EINVALID if t belongs to another session.
func (s *Store) SaveTurn(ctx context.Context, ss *recall.Session, t *recall.Turn) error {
	const op = "SaveTurn"
	if err := storeerr.CheckTurn(ss, t); err != nil {
		return err
	}
	after, err := storecodec.EncodeAfter(t.After)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	var key *string
	if t.IdempotencyKey != "" {
		key = &t.IdempotencyKey
	}
	return s.inTx(ctx, op, append([]stmt{
		{insertTurn, []any{ss.ID, t.Index, string(t.Kind), t.Message, t.Reply, t.QuestionID, t.Correct,
			toDB(t.CreatedAt), key, after}},
		{updateSession, []any{string(ss.State), storecodec.ListOrEmpty(ss.QuestionIDs), ss.Current, ss.Answered, ss.Correct, ss.Skipped,
			ss.Turns, ss.Version, toDB(ss.UpdatedAt), ss.ID, ss.Version - 1}},
	}, reviewStmts(t)...), func(tx *txn) error {
		_, err := tx.next()
		switch {
		case isUnique(err, "turns_idempotency_key"):
			return storeerr.KeyUsed()
		case isUnique(err, ""):
			return storeerr.SessionChanged()
		case isForeignKey(err):
			return storeerr.SessionNotFound()
		case err != nil:
			return err
		}
		tag, err := tx.next()
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return storeerr.SessionChanged()
		}
		return readReview(tx, t)
	})
}

// turnCols are the columns of a turn row, in scanTurn's order.
const turnCols = `session_id, idx, kind, message, reply, question_id, correct, created_at, idempotency_key`

// scanTurn reads the turnCols of one row, and after too if it is non-nil.
func scanTurn(row pgx.Row, after *[]byte) (*recall.Turn, error) {
	var (
		t    recall.Turn
		kind string
		key  *string
	)
	dest := []any{&t.SessionID, &t.Index, &kind, &t.Message, &t.Reply, &t.QuestionID, &t.Correct, &t.CreatedAt, &key}
	if after != nil {
		dest = append(dest, after)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	t.Kind = recall.TurnKind(kind)
	t.CreatedAt = fromDB(t.CreatedAt)
	if key != nil {
		t.IdempotencyKey = *key
	}
	return &t, nil
}

// Turns returns the session's transcript, oldest first, in one statement.
// The turns' After is left nil: Turn has it. An unknown session gives an
// empty slice.
func (s *Store) Turns(ctx context.Context, sessionID string) ([]*recall.Turn, error) {
	const op = "Turns"
	list := []*recall.Turn{}
	if badKey(sessionID) {
		return list, nil
	}
	err := s.do(ctx, kindRead, op, func(c db) error {
		rows, err := c.query(ctx, `SELECT `+turnCols+` FROM turns WHERE session_id = $1 ORDER BY idx`, sessionID)
		if err != nil {
			return err
		}
		list, err = collect(rows, list, func(r pgx.Row) (*recall.Turn, error) { return scanTurn(r, nil) })
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Turn returns one turn by index, with After as it was saved (its times in
// UTC microseconds). Returns ENOTFOUND if there is none.
func (s *Store) Turn(ctx context.Context, sessionID string, index int) (*recall.Turn, error) {
	const op = "Turn"
	if badKey(sessionID) || index < math.MinInt32 || index > math.MaxInt32 {
		return nil, storeerr.TurnNotFound()
	}
	var t *recall.Turn
	err := s.do(ctx, kindRead, op, func(c db) error {
		var (
			after []byte
			err   error
		)
		t, err = scanTurn(c.queryRow(ctx,
			`SELECT `+turnCols+`, after FROM turns WHERE session_id = $1 AND idx = $2`, sessionID, index), &after)
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.TurnNotFound()
		} else if err != nil {
			return err
		}
		if after != nil {
			t.After, err = storecodec.DecodeAfter(after)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
