package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storecodec"
	"github.com/recallhq/recall/storeerr"
)

// sessionCols are the columns of a session row, in scanSession's order; the
// last one gathers the session's idempotency keys from its turns.
const sessionCols = `s.id, s.user_id, s.topic_id, s.state, s.question_ids, s.current, s.answered, s.correct,
       s.skipped, s.turns, s.version, s.created_at, s.updated_at,
       (SELECT json_group_object(k.idempotency_key, k.idx) FROM turns k
        WHERE k.session_id = s.id AND k.idempotency_key IS NOT NULL)`

// scanSession reads the sessionCols of one row.
func scanSession(sc scanner) (*recall.Session, error) {
	var (
		ss               recall.Session
		state, qids      string
		keys             string
		created, updated int64
	)
	if err := sc.Scan(&ss.ID, &ss.UserID, &ss.TopicID, &state, &qids, &ss.Current, &ss.Answered, &ss.Correct,
		&ss.Skipped, &ss.Turns, &ss.Version, &created, &updated, &keys); err != nil {
		return nil, err
	}
	ss.State = recall.SessionState(state)
	var err error
	if ss.QuestionIDs, err = storecodec.DecodeList([]byte(qids)); err != nil {
		return nil, err
	}
	if ss.IdempotencyKeys, err = storecodec.DecodeKeys([]byte(keys)); err != nil {
		return nil, err
	}
	ss.CreatedAt, ss.UpdatedAt = fromDB(created), fromDB(updated)
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
	qids, err := storecodec.EncodeList(ss.QuestionIDs)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		res, err := c.exec(ctx,
			`INSERT INTO sessions (id, user_id, topic_id, state, question_ids, current, answered, correct, skipped, turns, version, created_at, updated_at)
			 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
			 WHERE EXISTS (SELECT 1 FROM topics WHERE id = ? AND user_id = ?)`,
			ss.ID, ss.UserID, ss.TopicID, string(ss.State), string(qids), ss.Current, ss.Answered, ss.Correct, ss.Skipped,
			ss.Turns, ss.Version, toDB(ss.CreatedAt), toDB(ss.UpdatedAt), ss.TopicID, ss.UserID)
		switch {
		case isUnique(err, ""):
			return storeerr.SessionExists()
		case err != nil:
			return err
		}
		return wantRows(res, storeerr.TopicNotFound())
	})
}

// Session returns the session with its idempotency keys (rebuilt from its
// turns), in one statement. Returns ENOTFOUND if there is none.
func (s *Store) Session(ctx context.Context, id string) (*recall.Session, error) {
	const op = "Session"
	ss, err := scanSession(s.reader(op).queryRow(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storeerr.SessionNotFound()
	} else if err != nil {
		return nil, s.fail(ctx, op, err)
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
	q, args := sessionPageQuery(userID, page)
	rows, err := s.reader(op).query(ctx, q, args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	list, err := collect(rows, scanSession)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return list, nil
}

// sessionPageQuery returns the statement of Sessions and its arguments.
// The cursor is a range on created_at (the index seeks to it) and a
// tie-break on id; the state at page.Now is a condition on the stored
// state and times (see recall.Session.StateAt).
func sessionPageQuery(userID string, page recall.SessionPage) (string, []any) {
	q := `SELECT ` + sessionCols + ` FROM sessions s WHERE s.user_id = ?`
	args := []any{userID}
	if !page.After.IsZero() {
		at := toDB(page.After.At)
		q += ` AND s.created_at <= ? AND (s.created_at < ? OR s.id > ?)`
		args = append(args, at, at, page.After.ID)
	}
	idle, life := toDB(page.Now.Add(-page.Idle)), toDB(page.Now.Add(-page.Lifetime))
	switch page.State {
	case recall.SessionCompleted:
		q += ` AND s.state = 'completed'`
	case recall.SessionActive:
		q += ` AND s.state = 'active' AND s.created_at > ? AND s.updated_at > ?`
		args = append(args, life, idle)
	case recall.SessionExpired:
		q += ` AND s.state = 'active' AND (s.created_at <= ? OR s.updated_at <= ?)`
		args = append(args, life, idle)
	}
	return q + ` ORDER BY s.created_at DESC, s.id LIMIT ?`, append(args, page.Limit)
}

// SaveTurn records t and replaces the session with ss in one write
// transaction of two statements that reads nothing: the turn's INSERT, then
// an UPDATE of the session guarded by its version (ss.Version-1). The turn
// is stored under ss.ID and t.After is kept as JSON.
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
	write, err := saveTurn(ss, t)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.inTx(ctx, op, write)
}

// saveTurn returns the write of SaveTurn: one job of the group commit
// (commit.go), whose statements share a transaction with the writes queued
// beside it, inside a savepoint of their own. A write that belongs to the
// turn goes in it, after these.
func saveTurn(ss *recall.Session, t *recall.Turn) (func(ctx context.Context, c conn) error, error) {
	qids, err := storecodec.EncodeList(ss.QuestionIDs)
	if err != nil {
		return nil, err
	}
	after, err := storecodec.EncodeAfter(t.After)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c conn) error {
		if err := insertTurn(ctx, c, ss.ID, t, after); err != nil {
			return err
		}
		if err := updateSession(ctx, c, ss, qids); err != nil {
			return err
		}
		return saveReview(ctx, c, t)
	}, nil
}

// insertTurn stores t under sessionID, with after (storecodec JSON) as its
// After. Returns ECONFLICT if its idempotency key is used in the session or
// its index is taken, ENOTFOUND if the session does not exist.
func insertTurn(ctx context.Context, c conn, sessionID string, t *recall.Turn, after []byte) error {
	_, err := c.exec(ctx,
		`INSERT INTO turns (session_id, idx, kind, message, reply, question_id, correct, created_at, idempotency_key, after)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sessionID, t.Index, string(t.Kind), t.Message, t.Reply, t.QuestionID, nullBool(t.Correct), toDB(t.CreatedAt),
		sql.NullString{String: t.IdempotencyKey, Valid: t.IdempotencyKey != ""}, nullText(after))
	switch {
	case isUnique(err, "turns.idempotency_key"):
		return storeerr.KeyUsed()
	case isUnique(err, ""):
		return storeerr.SessionChanged()
	case isForeignKey(err):
		return storeerr.SessionNotFound()
	}
	return err
}

// updateSession replaces the stored session with ss if its version is
// ss.Version-1 (qids are ss.QuestionIDs encoded); ECONFLICT otherwise. The
// sessions_topic_stats triggers move the topic's stats with it.
func updateSession(ctx context.Context, c conn, ss *recall.Session, qids []byte) error {
	res, err := c.exec(ctx,
		`UPDATE sessions SET state = ?, question_ids = ?, current = ?, answered = ?, correct = ?, skipped = ?,
		        turns = ?, version = ?, updated_at = ?
		 WHERE id = ? AND version = ?`,
		string(ss.State), string(qids), ss.Current, ss.Answered, ss.Correct, ss.Skipped,
		ss.Turns, ss.Version, toDB(ss.UpdatedAt), ss.ID, ss.Version-1)
	if err != nil {
		return err
	}
	return wantRows(res, storeerr.SessionChanged())
}

// turnCols are the columns of a turn row, in scanTurn's order.
const turnCols = `session_id, idx, kind, message, reply, question_id, correct, created_at, idempotency_key`

// scanTurn reads the turnCols of one row, and after too if it is non-nil.
func scanTurn(sc scanner, after *sql.NullString) (*recall.Turn, error) {
	var (
		t       recall.Turn
		kind    string
		correct sql.NullBool
		created int64
		key     sql.NullString
	)
	dest := []any{&t.SessionID, &t.Index, &kind, &t.Message, &t.Reply, &t.QuestionID, &correct, &created, &key}
	if after != nil {
		dest = append(dest, after)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	t.Kind = recall.TurnKind(kind)
	if correct.Valid {
		b := correct.Bool
		t.Correct = &b
	}
	t.CreatedAt = fromDB(created)
	t.IdempotencyKey = key.String
	return &t, nil
}

// Turns returns the session's transcript, oldest first, in one statement.
// The turns' After is left nil: Turn has it. An unknown session gives an
// empty slice.
func (s *Store) Turns(ctx context.Context, sessionID string) ([]*recall.Turn, error) {
	const op = "Turns"
	rows, err := s.reader(op).query(ctx, `SELECT `+turnCols+` FROM turns WHERE session_id = ? ORDER BY idx`, sessionID)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	list, err := collect(rows, func(sc scanner) (*recall.Turn, error) { return scanTurn(sc, nil) })
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return list, nil
}

// Turn returns one turn by index, with After as it was saved (its times in
// UTC microseconds). Returns ENOTFOUND if there is none.
func (s *Store) Turn(ctx context.Context, sessionID string, index int) (*recall.Turn, error) {
	const op = "Turn"
	var after sql.NullString
	t, err := scanTurn(s.reader(op).queryRow(ctx,
		`SELECT `+turnCols+`, after FROM turns WHERE session_id = ? AND idx = ?`, sessionID, index), &after)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storeerr.TurnNotFound()
	} else if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if after.Valid {
		if t.After, err = storecodec.DecodeAfter([]byte(after.String)); err != nil {
			return nil, s.fail(ctx, op, err)
		}
	}
	return t, nil
}

// nullBool turns a nil *bool into SQL NULL.
func nullBool(p *bool) sql.NullBool {
	if p == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *p, Valid: true}
}
