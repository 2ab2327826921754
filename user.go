package recall

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
	"unicode/utf8"
)

// User is an account holder.
type User struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	// TimeZone is the IANA name of the user's time zone, in which days of
	// study and daily caps are counted; "" means DefaultTimeZone.
	TimeZone string `json:"time_zone"`
	// Weights are the user's FSRS parameters; nil means the scheduler's
	// defaults (until they are optimized).
	Weights []float64 `json:"-"`
	// Admin says the user has the admin role: the operations page and
	// GET /v1/ops. It is granted and revoked from the command line only
	// (UserStore.SetAdmin), never through the API.
	Admin bool `json:"admin"`
}

// DefaultTimeZone is the time zone of a user who has not chosen one.
const DefaultTimeZone = "UTC"

// StoredTimeZone returns the time zone a store keeps for tz: "" is
// DefaultTimeZone.
func StoredTimeZone(tz string) string {
	if tz == "" {
		return DefaultTimeZone
	}
	return tz
}

// Location returns the user's time zone (UTC if it is unset or unknown).
func (u *User) Location() *time.Location {
	if u == nil || u.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// UserSettings is the body of PATCH /v1/me: the fields given (non-nil)
// change, the others stay.
type UserSettings struct {
	// TimeZone is an IANA time zone name such as "Europe/Paris".
	TimeZone *string `json:"time_zone"`
}

// Validate checks the fields that are present.
func (in *UserSettings) Validate() error {
	fields := map[string]string{}
	if in.TimeZone == nil {
		fields["body"] = "must change at least one field"
	} else if msg := checkTimeZone(*in.TimeZone); msg != "" {
		fields["time_zone"] = msg
	}
	return fieldsError(fields)
}

// checkTimeZone returns "" if tz names an IANA time zone, or what is wrong.
func checkTimeZone(tz string) string {
	if msg := checkText(tz, 1, 64); msg != "" {
		return msg
	}
	// LoadLocation also takes "Local" and paths; neither is a zone name.
	if tz == "Local" || strings.ContainsAny(tz, `\.`) || strings.HasPrefix(tz, "/") {
		return "must be an IANA time zone name such as Europe/Paris"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "must be an IANA time zone name such as Europe/Paris"
	}
	return ""
}

// Credentials is what a person types to sign up or sign in.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Normalize lower-cases the username and trims the white space around it.
func (c *Credentials) Normalize() {
	c.Username = strings.ToLower(strings.TrimSpace(c.Username))
}

// Validate checks the rules for a new account: a username of 3–32 characters
// of a-z, 0-9, '_', '.' and '-' (after Normalize) and a password of 8–256
// characters.
func (c *Credentials) Validate() error {
	fields := map[string]string{}
	if n := len(c.Username); n < 3 || n > 32 {
		fields["username"] = "must be 3 to 32 characters long"
	} else if !validUsername(c.Username) {
		fields["username"] = "may contain only a-z, 0-9, '_', '.' and '-'"
	}
	if msg := TextProblem(c.Password); msg != "" {
		fields["password"] = msg
	} else if n := utf8.RuneCountInString(c.Password); n < 8 || n > 256 {
		fields["password"] = "must be 8 to 256 characters long"
	}
	return fieldsError(fields)
}

func validUsername(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Token is a bearer token as stored: only the SHA-256 hash of its secret is
// kept, never the secret itself.
type Token struct {
	Hash      []byte
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// TokenLifetime is how long a token stays valid after it is issued.
const TokenLifetime = 30 * 24 * time.Hour

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser stores u with its password hash.
	// Returns ECONFLICT if the username is taken.
	CreateUser(ctx context.Context, u *User, passwordHash string) error

	// UserByUsername returns the user and its password hash.
	// Returns ENOTFOUND if there is no such user.
	UserByUsername(ctx context.Context, username string) (*User, string, error)

	// UserByID returns the user. Returns ENOTFOUND if there is no such user.
	UserByID(ctx context.Context, id string) (*User, error)

	// UpdateUser replaces the settings of user u.ID (TimeZone and Weights)
	// with u's. Returns ENOTFOUND if there is no such user.
	UpdateUser(ctx context.Context, u *User) error

	// SetAdmin grants (admin true) or revokes the admin role of user id.
	// Setting the role a user has already is not an error.
	// Returns ENOTFOUND if there is no such user.
	SetAdmin(ctx context.Context, id string, admin bool) error
}

// TokenStore keeps bearer tokens by the hash of their secret.
type TokenStore interface {
	// CreateToken stores t. Returns ECONFLICT if the hash exists already.
	CreateToken(ctx context.Context, t *Token) error

	// TokenByHash returns the token with that hash, expired or not.
	// Returns ENOTFOUND if there is none (never issued, or revoked).
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)

	// DeleteToken revokes the token with that hash. Deleting a token that
	// does not exist is not an error.
	DeleteToken(ctx context.Context, hash []byte) error
}

// NewID returns a new random identifier: 128 bits from crypto/rand in
// lower-case base32, 26 characters. Clients treat IDs as opaque.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails on supported platforms (Go 1.24+)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// fieldsError turns a map of invalid fields into one EINVALID error, or nil.
func fieldsError(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	msg := "The request is invalid."
	if len(fields) == 1 {
		for k, v := range fields {
			msg = k + " " + v + "."
		}
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}
