// Package auth provides Recall's accounts and bearer tokens: sign-up with
// argon2id password hashes, sign-in that issues opaque random tokens, token
// authentication and revocation.
//
// A token is "rc_" followed by 32 random bytes in unpadded base64url. Only
// the SHA-256 hash of a token is ever stored (recall.TokenStore), so a copy
// of the database does not let anyone sign in; tokens are never logged.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/recallhq/recall"
)

// Token format.
const (
	// TokenPrefix starts every token, so that leaked tokens are easy to
	// recognise by secret scanners.
	TokenPrefix = "rc_"
	// tokenBytes is the number of random bytes in a token: 256 bits.
	tokenBytes = 32
	// tokenLen is the length of an encoded token.
	tokenLen = len(TokenPrefix) + (tokenBytes*8+5)/6
)

// Messages shown to people.
const (
	msgUsernameTaken = "That username is taken."
	msgWrongPassword = "Wrong username or password."
	msgBadToken      = "The access token is missing, malformed, expired or revoked."
	msgLoginRequired = "Enter a username and a password."
)

// dummyPasswordSize is the length of the random password behind the dummy hash.
const dummyPasswordSize = 16

// Config configures a Service.
type Config struct {
	// Users keeps accounts.
	Users recall.UserStore
	// Tokens keeps token hashes.
	Tokens recall.TokenStore
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives account events (never passwords or tokens); nil
	// discards them.
	Logger *slog.Logger
	// HashParams are the argon2id parameters for new password hashes; zero
	// fields take DefaultHashParams.
	HashParams HashParams
}

// Service registers users, signs them in and authenticates their tokens.
// It is safe for concurrent use.
type Service struct {
	users  recall.UserStore
	tokens recall.TokenStore
	now    func() time.Time
	log    *slog.Logger
	params HashParams

	// dummyHash is a hash of a random password with the current
	// parameters, verified for unknown usernames so that a sign-in takes
	// as long whether the user exists or not. It is made on first use.
	dummyOnce sync.Once
	dummyHash string
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{
		users:  cfg.Users,
		tokens: cfg.Tokens,
		now:    cfg.Now,
		log:    cfg.Logger,
		params: cfg.HashParams.withDefaults(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Register creates an account. The username is normalised (trimmed,
// lower-cased) first. Returns EINVALID if the credentials break the rules
// of recall.Credentials.Validate, ECONFLICT if the username is taken.
func (s *Service) Register(ctx context.Context, c recall.Credentials) (*recall.User, error) {
	c.Normalize()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	hash, err := hashPassword(c.Password, s.params)
	if err != nil {
		return nil, err
	}
	u := &recall.User{ID: recall.NewID(), Username: c.Username, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if err := s.users.CreateUser(ctx, u, hash); err != nil {
		if recall.IsCode(err, recall.ECONFLICT) {
			return nil, recall.Errorf(recall.ECONFLICT, msgUsernameTaken)
		}
		return nil, fmt.Errorf("create user: %w", err)
	}
	s.log.InfoContext(ctx, "user registered", "user_id", u.ID)
	return u, nil
}

// Login checks the credentials and issues a new token, valid for
// recall.TokenLifetime. A wrong password and an unknown username give the
// same EUNAUTHORIZED error and take the same time. Returns EINVALID if the
// username or password is empty.
func (s *Service) Login(ctx context.Context, c recall.Credentials) (token string, expiresAt time.Time, err error) {
	c.Normalize()
	if c.Username == "" || c.Password == "" {
		fields := map[string]string{}
		if c.Username == "" {
			fields["username"] = "is required"
		}
		if c.Password == "" {
			fields["password"] = "is required"
		}
		return "", time.Time{}, &recall.Error{Code: recall.EINVALID, Message: msgLoginRequired, Fields: fields}
	}
	u, hash, err := s.users.UserByUsername(ctx, c.Username)
	switch {
	case recall.IsCode(err, recall.ENOTFOUND):
		// Spend the same effort as for a real account.
		_, _ = verifyPassword(c.Password, s.dummy())
		return "", time.Time{}, recall.Errorf(recall.EUNAUTHORIZED, msgWrongPassword)
	case err != nil:
		return "", time.Time{}, fmt.Errorf("user by username: %w", err)
	}
	ok, err := verifyPassword(c.Password, hash)
	if err != nil {
		// A stored hash we cannot read is a bug or corruption, not a
		// wrong password: log it (without the hash) and refuse.
		s.log.ErrorContext(ctx, "unreadable password hash", "user_id", u.ID, "err", err)
		return "", time.Time{}, recall.Errorf(recall.EUNAUTHORIZED, msgWrongPassword)
	}
	if !ok {
		return "", time.Time{}, recall.Errorf(recall.EUNAUTHORIZED, msgWrongPassword)
	}

	token, sum, err := newToken()
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	t := &recall.Token{Hash: sum, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(recall.TokenLifetime)}
	if err := s.tokens.CreateToken(ctx, t); err != nil {
		return "", time.Time{}, fmt.Errorf("create token: %w", err)
	}
	s.log.InfoContext(ctx, "token issued", "user_id", u.ID)
	return token, t.ExpiresAt, nil
}

// Authenticate returns the ID of the user a token belongs to. Returns
// EUNAUTHORIZED if the token is malformed, unknown, revoked or expired;
// other errors (e.g. EUNAVAILABLE) come from the token store.
func (s *Service) Authenticate(ctx context.Context, token string) (userID string, err error) {
	sum, ok := tokenHash(token)
	if !ok {
		return "", recall.Errorf(recall.EUNAUTHORIZED, msgBadToken)
	}
	t, err := s.tokens.TokenByHash(ctx, sum)
	switch {
	case recall.IsCode(err, recall.ENOTFOUND):
		return "", recall.Errorf(recall.EUNAUTHORIZED, msgBadToken)
	case err != nil:
		return "", fmt.Errorf("token by hash: %w", err)
	}
	// The store looked the token up by its hash; compare again in
	// constant time so that no lookup path (an index, a cache) can leak
	// a near match through timing.
	if subtle.ConstantTimeCompare(t.Hash, sum) != 1 {
		return "", recall.Errorf(recall.EUNAUTHORIZED, msgBadToken)
	}
	if !s.now().Before(t.ExpiresAt) {
		return "", recall.Errorf(recall.EUNAUTHORIZED, msgBadToken)
	}
	return t.UserID, nil
}

// Revoke makes a token stop working at once. Revoking an unknown or
// already revoked token is not an error; a malformed token gives
// EUNAUTHORIZED.
func (s *Service) Revoke(ctx context.Context, token string) error {
	sum, ok := tokenHash(token)
	if !ok {
		return recall.Errorf(recall.EUNAUTHORIZED, msgBadToken)
	}
	if err := s.tokens.DeleteToken(ctx, sum); err != nil {
		return fmt.Errorf("delete token: %w", err)
	}
	return nil
}

// User returns the user with that ID. Returns ENOTFOUND if there is none.
func (s *Service) User(ctx context.Context, id string) (*recall.User, error) {
	return s.users.UserByID(ctx, id)
}

// dummy returns the hash verified for unknown usernames.
func (s *Service) dummy() string {
	s.dummyOnce.Do(func() {
		pw := make([]byte, dummyPasswordSize)
		_, _ = rand.Read(pw)
		// hashPassword fails only if crypto/rand does, which it does not
		// on supported platforms; an empty hash would merely make unknown
		// users fail faster.
		s.dummyHash, _ = hashPassword(string(pw), s.params)
	})
	return s.dummyHash
}

// newToken returns a new token and the SHA-256 hash under which it is stored.
func newToken() (token string, sum []byte, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("read token: %w", err)
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(token))
	return token, h[:], nil
}

// tokenHash checks a token's form and returns its SHA-256 hash.
func tokenHash(token string) ([]byte, bool) {
	if len(token) != tokenLen || !strings.HasPrefix(token, TokenPrefix) {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token[len(TokenPrefix):])
	if err != nil || len(raw) != tokenBytes {
		return nil, false
	}
	h := sha256.Sum256([]byte(token))
	return h[:], true
}
