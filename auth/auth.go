// Package auth provides Recall's accounts and bearer tokens: sign-up with
// argon2id password hashes, sign-in that issues opaque random tokens, token
// authentication and revocation.
//
// A token is "rc_<user id>_" followed by 32 random bytes in unpadded
// base64url (tokens issued before the user id was added, "rc_" and the 32
// bytes, are still accepted). The user id in a token is a claim, not a
// proof: Claim reads it so that a cache can find the token under its
// user's keys (one Redis Cluster slot per user), and the token counts only
// once its hash has been found stored for that user. Only the SHA-256 hash
// of a whole token is ever stored (recall.TokenStore), so a copy of the
// database does not let anyone sign in; tokens are never logged.
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
	// secretLen is the length of the encoded random bytes.
	secretLen = (tokenBytes*8 + 5) / 6
	// tokenLen is the length of a token of the old form, without a user id.
	tokenLen = len(TokenPrefix) + secretLen
	// maxClaimLen bounds the user id a token may carry.
	maxClaimLen = 64
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

	token, sum, err := newToken(u.ID)
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
	claim, claimed := Claim(token)
	var t *recall.Token
	if ut, ok := s.tokens.(UserTokenStore); ok && claimed {
		t, err = ut.TokenOfUser(ctx, claim, sum)
	} else {
		t, err = s.tokens.TokenByHash(ctx, sum)
	}
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
	if claimed && t.UserID != claim {
		// Cannot happen for an issued token (its hash covers the claim),
		// but the claim must never name anyone but the token's owner.
		return "", recall.Errorf(recall.EUNAUTHORIZED, msgBadToken)
	}
	return t.UserID, nil
}

// UserTokenStore is a recall.TokenStore that can look a token up under the
// user it claims (the cache keeps tokens under their user's hash tag).
// Authenticate uses it for tokens that carry a user id.
type UserTokenStore interface {
	// TokenOfUser returns the token with that hash if it belongs to
	// userID; ENOTFOUND otherwise.
	TokenOfUser(ctx context.Context, userID string, hash []byte) (*recall.Token, error)
}

// Claim returns the user id a well-formed token carries, without checking
// it: ok is false for a malformed token and for one of the old form, which
// carries none. Anyone can write a token that claims any user; only a
// store that holds the token's hash for that user proves it.
func Claim(token string) (userID string, ok bool) {
	if len(token) <= tokenLen+1 || !strings.HasPrefix(token, TokenPrefix) {
		return "", false
	}
	rest := token[len(TokenPrefix):]
	id, secret := rest[:len(rest)-secretLen-1], rest[len(rest)-secretLen-1:]
	if secret[0] != '_' || len(id) > maxClaimLen || !validClaim(id) {
		return "", false
	}
	if _, ok := tokenHash(token); !ok {
		return "", false
	}
	return id, true
}

// TokenHash returns the SHA-256 hash a well-formed token is stored under;
// ok is false for a malformed token.
func TokenHash(token string) (sum []byte, ok bool) { return tokenHash(token) }

// validClaim reports whether id is a user id a token may carry: lower-case
// letters and digits (recall.NewID), never the separator.
func validClaim(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
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

// newToken returns a new token of userID and the SHA-256 hash under which
// it is stored.
func newToken(userID string) (token string, sum []byte, err error) {
	if !validClaim(userID) || len(userID) > maxClaimLen {
		return "", nil, fmt.Errorf("a token cannot carry the user id %q", userID)
	}
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("read token: %w", err)
	}
	token = TokenPrefix + userID + "_" + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(token))
	return token, h[:], nil
}

// tokenHash checks a token's form, "rc_<secret>" or "rc_<user id>_<secret>",
// and returns its SHA-256 hash.
func tokenHash(token string) ([]byte, bool) {
	if len(token) < tokenLen || len(token) > tokenLen+maxClaimLen+1 || !strings.HasPrefix(token, TokenPrefix) {
		return nil, false
	}
	if len(token) > tokenLen {
		id := token[len(TokenPrefix) : len(token)-secretLen-1]
		if token[len(token)-secretLen-1] != '_' || !validClaim(id) {
			return nil, false
		}
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token[len(token)-secretLen:])
	if err != nil || len(raw) != tokenBytes {
		return nil, false
	}
	h := sha256.Sum256([]byte(token))
	return h[:], true
}
