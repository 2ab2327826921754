package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

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
	return s.do(ctx, kindWrite, op, func(c db) error {
		_, err := c.exec(ctx,
			`INSERT INTO users (id, username, password_hash, created_at, time_zone) VALUES ($1, $2, $3, $4, $5)`,
			u.ID, u.Username, passwordHash, toDB(u.CreatedAt), recall.StoredTimeZone(u.TimeZone))
		switch {
		case isUnique(err, "users_username_key"):
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
	if badKey(username) {
		return nil, "", storeerr.UserNotFound()
	}
	var (
		u    *recall.User
		hash string
	)
	err := s.do(ctx, kindRead, op, func(c db) error {
		var err error
		u, err = scanUser(c.queryRow(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE username = $1`, username), &hash)
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.UserNotFound()
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return u, hash, nil
}

// UserByID returns the user. Returns ENOTFOUND if there is none.
func (s *Store) UserByID(ctx context.Context, id string) (*recall.User, error) {
	const op = "UserByID"
	if badKey(id) {
		return nil, storeerr.UserNotFound()
	}
	var u *recall.User
	err := s.do(ctx, kindRead, op, func(c db) error {
		var err error
		u, err = scanUser(c.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.UserNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// SetAdmin grants or revokes the admin role of user id. Returns ENOTFOUND
// if there is no such user.
func (s *Store) SetAdmin(ctx context.Context, id string, admin bool) error {
	const op = "SetAdmin"
	if badKey(id) {
		return storeerr.UserNotFound()
	}
	return s.do(ctx, kindWrite, op, func(c db) error {
		tag, err := c.exec(ctx, `UPDATE users SET admin = $1 WHERE id = $2`, admin, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return storeerr.UserNotFound()
		}
		return nil
	})
}

// CreateToken stores t. Returns ECONFLICT if the hash exists already and
// ENOTFOUND if its user does not exist.
func (s *Store) CreateToken(ctx context.Context, t *recall.Token) error {
	const op = "CreateToken"
	if t == nil || len(t.Hash) == 0 {
		return recall.Errorf(recall.EINVALID, "No token was given.")
	}
	return s.do(ctx, kindWrite, op, func(c db) error {
		_, err := c.exec(ctx,
			`INSERT INTO tokens (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
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
	var t recall.Token
	var created, expires time.Time
	err := s.do(ctx, kindRead, op, func(c db) error {
		err := c.queryRow(ctx,
			`SELECT hash, user_id, created_at, expires_at FROM tokens WHERE hash = $1`, hash,
		).Scan(&t.Hash, &t.UserID, &created, &expires)
		if errors.Is(err, pgx.ErrNoRows) {
			return storeerr.TokenNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt = fromDB(created), fromDB(expires)
	return &t, nil
}

// DeleteToken deletes the token with that hash, if there is one.
func (s *Store) DeleteToken(ctx context.Context, hash []byte) error {
	const op = "DeleteToken"
	return s.do(ctx, kindWrite, op, func(c db) error {
		_, err := c.exec(ctx, `DELETE FROM tokens WHERE hash = $1`, hash)
		return err
	})
}
