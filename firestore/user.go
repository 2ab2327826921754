package firestore

import (
	"context"
	"encoding/hex"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/storeerr"
)

// userDoc is users/{id}.
type userDoc struct {
	Username     string    `firestore:"username"`
	PasswordHash string    `firestore:"password_hash"`
	CreatedAt    time.Time `firestore:"created_at"`
	TimeZone     string    `firestore:"time_zone"`
	Weights      []float64 `firestore:"fsrs_weights"`
	Admin        bool      `firestore:"admin"`
}

// user returns the domain user of a userDoc.
func (d *userDoc) user(id string) *recall.User {
	u := &recall.User{ID: id, Username: d.Username, CreatedAt: fromDB(d.CreatedAt), TimeZone: recall.StoredTimeZone(d.TimeZone), Admin: d.Admin}
	if len(d.Weights) > 0 {
		u.Weights = d.Weights
	}
	return u
}

// usernameDoc is usernames/{hex(username)}: it exists to make usernames
// unique, created in the same commit as the user.
type usernameDoc struct {
	UserID string `firestore:"user_id"`
}

// tokenDoc is tokens/{hex(hash)}.
type tokenDoc struct {
	Hash      []byte    `firestore:"hash"`
	UserID    string    `firestore:"user_id"`
	CreatedAt time.Time `firestore:"created_at"`
	ExpiresAt time.Time `firestore:"expires_at"`
}

// hexID returns the document ID made of b in hex, and whether it is valid
// (b not empty, at most 750 bytes).
func hexID(b []byte) (string, bool) {
	if len(b) == 0 || len(b) > 750 {
		return "", false
	}
	return hex.EncodeToString(b), true
}

// CreateUser stores u with its password hash: the user document and the
// username's document in one commit, which reads nothing. Returns
// ECONFLICT "That username is taken." if the username is (found out by one
// read after the commit failed), or ECONFLICT if the ID is taken.
func (s *Store) CreateUser(ctx context.Context, u *recall.User, passwordHash string) error {
	const op = "CreateUser"
	if u == nil {
		return recall.Errorf(recall.EINVALID, "No user was given.")
	}
	if !validID(u.ID) {
		return recall.Errorf(recall.EINVALID, "The user ID is not valid.")
	}
	nameID, ok := hexID([]byte(u.Username))
	if !ok {
		return recall.Errorf(recall.EINVALID, "The username is not valid.")
	}
	userRef := s.client.Collection(colUsers).Doc(u.ID)
	nameRef := s.client.Collection(colUsernames).Doc(nameID)
	err := s.runTx(ctx, op, func(ctx context.Context, tx *fs.Transaction) error {
		if err := tx.Create(userRef, userDoc{Username: u.Username, PasswordHash: passwordHash, CreatedAt: toDB(u.CreatedAt), TimeZone: recall.StoredTimeZone(u.TimeZone)}); err != nil {
			return err
		}
		return tx.Create(nameRef, usernameDoc{UserID: u.ID})
	})
	if status.Code(err) != codes.AlreadyExists {
		return s.fail(ctx, op, err)
	}
	// Which of the two exists? Only the refused sign-up pays this read.
	snap, rerr := s.get(ctx, op, nameRef)
	if rerr != nil {
		return s.fail(ctx, op, rerr)
	}
	if snap.Exists() {
		return storeerr.UsernameTaken()
	}
	return storeerr.UserExists()
}

// UserByUsername returns the user with that username (matched exactly:
// callers normalise it) and its password hash, in one query. Returns
// ENOTFOUND if there is none.
func (s *Store) UserByUsername(ctx context.Context, username string) (*recall.User, string, error) {
	const op = "UserByUsername"
	if username == "" || len(username) > 750 {
		return nil, "", storeerr.UserNotFound()
	}
	docs, err := s.query(ctx, op, nil, s.client.Collection(colUsers).Where("username", "==", username).Limit(1))
	if err != nil {
		return nil, "", s.fail(ctx, op, err)
	}
	if len(docs) == 0 {
		return nil, "", storeerr.UserNotFound()
	}
	d, err := decode[userDoc](docs[0], "user")
	if err != nil {
		return nil, "", s.fail(ctx, op, err)
	}
	return d.user(docs[0].Ref.ID), d.PasswordHash, nil
}

// UserByID returns the user, in one read. Returns ENOTFOUND if there is
// none.
func (s *Store) UserByID(ctx context.Context, id string) (*recall.User, error) {
	const op = "UserByID"
	if !validID(id) {
		return nil, storeerr.UserNotFound()
	}
	snap, err := s.get(ctx, op, s.client.Collection(colUsers).Doc(id))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if !snap.Exists() {
		return nil, storeerr.UserNotFound()
	}
	d, err := decode[userDoc](snap, "user")
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return d.user(id), nil
}

// SetAdmin grants or revokes the admin role of user id, in one write (an
// update, which fails on a missing document). Returns ENOTFOUND if there is
// no such user.
func (s *Store) SetAdmin(ctx context.Context, id string, admin bool) error {
	const op = "SetAdmin"
	if !validID(id) {
		return storeerr.UserNotFound()
	}
	if err := s.before(ctx, kindWrite, op, 1); err != nil {
		return err
	}
	_, err := s.client.Collection(colUsers).Doc(id).Update(ctx, []fs.Update{{Path: fAdmin, Value: admin}})
	if status.Code(err) == codes.NotFound {
		return storeerr.UserNotFound()
	}
	return s.fail(ctx, op, err)
}

// CreateToken stores t in one write. Returns ECONFLICT if the hash exists
// already. It does not check that the user exists (that would cost a read;
// the caller has just authenticated the user).
func (s *Store) CreateToken(ctx context.Context, t *recall.Token) error {
	const op = "CreateToken"
	if t == nil {
		return recall.Errorf(recall.EINVALID, "No token was given.")
	}
	id, ok := hexID(t.Hash)
	if !ok {
		return recall.Errorf(recall.EINVALID, "The token hash is empty or too long.")
	}
	if err := s.before(ctx, kindWrite, op, 1); err != nil {
		return err
	}
	_, err := s.client.Collection(colTokens).Doc(id).Create(ctx, tokenDoc{
		Hash: t.Hash, UserID: t.UserID, CreatedAt: toDB(t.CreatedAt), ExpiresAt: toDB(t.ExpiresAt),
	})
	if status.Code(err) == codes.AlreadyExists {
		return storeerr.TokenExists()
	}
	return s.fail(ctx, op, err)
}

// TokenByHash returns the token with that hash, expired or not, in one
// read. Returns ENOTFOUND if there is none.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*recall.Token, error) {
	const op = "TokenByHash"
	id, ok := hexID(hash)
	if !ok {
		return nil, storeerr.TokenNotFound()
	}
	snap, err := s.get(ctx, op, s.client.Collection(colTokens).Doc(id))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if !snap.Exists() {
		return nil, storeerr.TokenNotFound()
	}
	d, err := decode[tokenDoc](snap, "token")
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return &recall.Token{Hash: d.Hash, UserID: d.UserID, CreatedAt: fromDB(d.CreatedAt), ExpiresAt: fromDB(d.ExpiresAt)}, nil
}

// DeleteToken deletes the token with that hash, if there is one, in one
// write.
func (s *Store) DeleteToken(ctx context.Context, hash []byte) error {
	const op = "DeleteToken"
	id, ok := hexID(hash)
	if !ok {
		return nil
	}
	if err := s.before(ctx, kindWrite, op, 1); err != nil {
		return err
	}
	_, err := s.client.Collection(colTokens).Doc(id).Delete(ctx)
	return s.fail(ctx, op, err)
}
