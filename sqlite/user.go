package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storeerr"
)

// CreateUser stores u with its password hash. Returns ECONFLICT if the
// username is taken (or, improbably, the ID is).
func (s *Store) CreateUser(ctx context.Context, u *recall.User, passwordHash string) error {
	const op = "CreateUser"
	if u == nil {
		return recall.Errorf(recall.EINVALID, "No user was given.")
	}
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		_, err := c.exec(ctx,
			`INSERT INTO users (id, username, password_hash, created_at, time_zone) VALUES (?, ?, ?, ?, ?)`,
			u.ID, u.Username, passwordHash, toDB(u.CreatedAt), recall.StoredTimeZone(u.TimeZone))
		switch {
		case isUnique(err, "users.username"):
			return storeerr.UsernameTaken()
		case isUnique(err, ""):
			return storeerr.UserExists()
		}
		return err
	})
}

// UserByUsername returns the user with that username (matched exactly:
// callers normalise it) and its password hash. Returns ENOTFOUND if there is
// none.
func (s *Store) UserByUsername(ctx context.Context, username string) (*recall.User, string, error) {
	const op = "UserByUsername"
	var hash string
	u, err := scanUser(s.reader(op).queryRow(ctx,
		`SELECT `+userCols+`, password_hash FROM users WHERE username = ?`, username), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", storeerr.UserNotFound()
	} else if err != nil {
		return nil, "", s.fail(ctx, op, err)
	}
	return u, hash, nil
}

// UserByID returns the user. Returns ENOTFOUND if there is none.
func (s *Store) UserByID(ctx context.Context, id string) (*recall.User, error) {
	const op = "UserByID"
	u, err := scanUser(s.reader(op).queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storeerr.UserNotFound()
	} else if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return u, nil
}

// SetAdmin grants or revokes the admin role of user id. Returns ENOTFOUND
// if there is no such user.
func (s *Store) SetAdmin(ctx context.Context, id string, admin bool) error {
	const op = "SetAdmin"
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		res, err := c.exec(ctx, `UPDATE users SET admin = ? WHERE id = ?`, admin, id)
		if err != nil {
			return err
		}
		return wantRows(res, storeerr.UserNotFound())
	})
}

// userCols are the columns of a user, in scanUser's order.
const userCols = `id, username, created_at, time_zone, fsrs_weights, admin`

// scanUser reads the userCols of one row, then extra.
func scanUser(sc scanner, extra ...any) (*recall.User, error) {
	var (
		u       recall.User
		at      int64
		weights sql.NullString
	)
	if err := sc.Scan(append([]any{&u.ID, &u.Username, &at, &u.TimeZone, &weights, &u.Admin}, extra...)...); err != nil {
		return nil, err
	}
	u.CreatedAt = fromDB(at)
	var err error
	if u.Weights, err = decodeWeights([]byte(weights.String)); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateToken stores t. Returns ECONFLICT if the hash exists already and
// ENOTFOUND if its user does not exist.
func (s *Store) CreateToken(ctx context.Context, t *recall.Token) error {
	const op = "CreateToken"
	if t == nil || len(t.Hash) == 0 {
		return recall.Errorf(recall.EINVALID, "No token was given.")
	}
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		_, err := c.exec(ctx,
			`INSERT INTO tokens (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			t.Hash, t.UserID, toDB(t.CreatedAt), toDB(t.ExpiresAt))
		switch {
		case isUnique(err, ""):
			return storeerr.TokenExists()
		case isForeignKey(err):
			return storeerr.UserNotFound()
		}
		return err
	})
}

// TokenByHash returns the token with that hash, expired or not. Returns
// ENOTFOUND if there is none.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*recall.Token, error) {
	const op = "TokenByHash"
	var (
		t                  recall.Token
		created, expiresAt int64
	)
	err := s.reader(op).queryRow(ctx,
		`SELECT hash, user_id, created_at, expires_at FROM tokens WHERE hash = ?`, hash,
	).Scan(&t.Hash, &t.UserID, &created, &expiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storeerr.TokenNotFound()
	} else if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	t.CreatedAt, t.ExpiresAt = fromDB(created), fromDB(expiresAt)
	return &t, nil
}

// DeleteToken deletes the token with that hash, if there is one.
func (s *Store) DeleteToken(ctx context.Context, hash []byte) error {
	const op = "DeleteToken"
	return s.inTx(ctx, op, func(ctx context.Context, c conn) error {
		_, err := c.exec(ctx, `DELETE FROM tokens WHERE hash = ?`, hash)
		return err
	})
}
