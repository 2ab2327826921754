package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashParams are the argon2id cost parameters used for new password hashes.
// Stored hashes carry their own parameters (PHC string format), so these can
// be raised later without invalidating existing accounts.
type HashParams struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
	// SaltLen is the salt length in bytes.
	SaltLen uint32
	// KeyLen is the derived key length in bytes.
	KeyLen uint32
}

// DefaultHashParams returns the OWASP Password Storage Cheat Sheet baseline
// for argon2id: m=19 MiB, t=2, p=1, with a 16-byte salt and a 32-byte key.
// It costs tens of milliseconds per hash: enough to make offline guessing
// of a stolen database expensive, while keeping sign-in responsive and the
// memory of concurrent sign-ins bounded on a small server. Tests may lower it.
func DefaultHashParams() HashParams {
	return HashParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Bounds accepted when verifying a stored hash, so that a corrupt or hostile
// row cannot make one sign-in allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 64
	maxKeyLen  = 1024
	maxSaltLen = 1024
)

// withDefaults fills the zero fields of p from DefaultHashParams.
func (p HashParams) withDefaults() HashParams {
	d := DefaultHashParams()
	if p.Memory == 0 {
		p.Memory = d.Memory
	}
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.Threads == 0 {
		p.Threads = d.Threads
	}
	if p.SaltLen == 0 {
		p.SaltLen = d.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = d.KeyLen
	}
	return p
}

// hashPassword returns password's argon2id hash as a PHC string (the PHC
// format uses standard base64 without padding):
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func hashPassword(password string, p HashParams) (string, error) {
	p = p.withDefaults()
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// hashError is the error of a stored hash this package cannot read.
type hashError string

func (e hashError) Error() string { return string(e) }

// errBadHash reports a stored hash this package cannot read.
const errBadHash = hashError("auth: malformed password hash")

// parsedHash is a decoded PHC string.
type parsedHash struct {
	params HashParams
	salt   []byte
	key    []byte
}

// parseHash decodes a PHC argon2id string, checking its parameters against
// sane bounds.
func parseHash(encoded string) (*parsedHash, error) {
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, errBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, errBadHash
	}
	p, ok := parseCost(parts[3])
	if !ok {
		return nil, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > maxSaltLen {
		return nil, errBadHash
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > maxKeyLen {
		return nil, errBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return &parsedHash{params: p, salt: salt, key: key}, nil
}

// ParseHashParams reads the cost part of a PHC argon2id string,
// "m=KiB,t=PASSES,p=THREADS" (e.g. "m=19456,t=2,p=1", DefaultHashParams),
// within the bounds that verification accepts. The salt and key lengths
// are left zero, that is the defaults. It lets a server take a lower cost
// where hashing speed matters more than its strength: tests, load tests.
func ParseHashParams(s string) (HashParams, error) {
	p, ok := parseCost(s)
	if !ok {
		return HashParams{}, fmt.Errorf("auth: hash parameters %q: want m=KiB,t=PASSES,p=THREADS with t in 1..%d, p in 1..255 and m in 8×p..%d", s, maxTime, maxMemory)
	}
	return p, nil
}

// parseCost decodes "m=..,t=..,p=.." (in any order) and checks
// the values against the bounds of this package.
func parseCost(s string) (HashParams, bool) {
	var p HashParams
	seen := 0
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, false
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, false
		}
		switch k {
		case "m":
			p.Memory, seen = uint32(n), seen|1
		case "t":
			p.Time, seen = uint32(n), seen|2
		case "p":
			if n > 255 {
				return p, false
			}
			p.Threads, seen = uint8(n), seen|4
		default:
			return p, false
		}
	}
	ok := seen == 7 && p.Time >= 1 && p.Time <= maxTime && p.Threads >= 1 &&
		p.Memory >= 8*uint32(p.Threads) && p.Memory <= maxMemory
	return p, ok
}

// verifyPassword reports whether password matches the PHC string encoded,
// comparing the derived keys in constant time.
func verifyPassword(password, encoded string) (bool, error) {
	h, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	p := h.params
	key := argon2.IDKey([]byte(password), h.salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}
