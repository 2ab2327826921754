package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/recallhq/recall"
)

// FuzzTokenHash checks token parsing: only a token of an issued form
// (prefix, an optional user id of lower-case letters and digits with its
// separator, 43 characters of canonical unpadded base64url) is hashed, its
// hash is its SHA-256, and Authenticate refuses every string but the one
// token issued, with EUNAUTHORIZED.
func FuzzTokenHash(f *testing.F) {
	fx := newFixture(f)
	fx.register(f, "ada", "correct horse")
	issued := fx.login(f, "ada", "correct horse")
	for _, s := range []string{issued, "", TokenPrefix, "rc_" + strings.Repeat("A", 43), "rc_" + strings.Repeat("A", 42) + "B",
		"rc_" + strings.Repeat("/", 43), "RC_" + issued[3:], issued + "=", " " + issued, issued[:len(issued)-1], "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		sum, ok := tokenHash(tok)
		if ok {
			if len(tok) < tokenLen || !strings.HasPrefix(tok, TokenPrefix) {
				t.Fatalf("tokenHash accepted %q", tok)
			}
			claim := ""
			if len(tok) > tokenLen {
				id, ok := Claim(tok)
				if !ok {
					t.Fatalf("tokenHash accepted %q, whose claim Claim refuses", tok)
				}
				claim = id + "_"
			}
			raw, err := base64.RawURLEncoding.DecodeString(tok[len(tok)-secretLen:])
			if err != nil || TokenPrefix+claim+base64.RawURLEncoding.EncodeToString(raw) != tok {
				t.Fatalf("tokenHash accepted %q, which is not canonical", tok)
			}
			if want := sha256.Sum256([]byte(tok)); !bytes.Equal(sum, want[:]) {
				t.Fatalf("tokenHash(%q) is not its SHA-256", tok)
			}
		}
		uid, err := fx.svc.Authenticate(context.Background(), tok)
		if tok == issued {
			if err != nil || uid == "" {
				t.Fatalf("the issued token was refused: %v", err)
			}
			return
		}
		if err == nil || recall.ErrorCode(err) != recall.EUNAUTHORIZED {
			t.Fatalf("Authenticate(%q) = %q, %v; want EUNAUTHORIZED", tok, uid, err)
		}
		if err := fx.svc.Revoke(context.Background(), tok); ok != (err == nil) {
			t.Fatalf("Revoke(%q) = %v, for a token whose form is ok=%v", tok, err, ok)
		}
	})
}

// FuzzParseHash checks the stored password-hash parser against hostile
// rows: no panic, and whatever it accepts stays inside the bounds that keep
// one sign-in from allocating gigabytes or running for minutes.
func FuzzParseHash(f *testing.F) {
	good, err := hashPassword("correct horse", testParams())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{good, "", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5", "$argon2id$v=19$t=1,m=64,p=1,m=9$x$y", "$$$$$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHash(s)
		if err != nil {
			return
		}
		p := h.params
		if p.Memory > maxMemory || p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) ||
			len(h.salt) < 8 || len(h.salt) > maxSaltLen || len(h.key) < 16 || len(h.key) > maxKeyLen ||
			int(p.SaltLen) != len(h.salt) || int(p.KeyLen) != len(h.key) {
			t.Fatalf("parseHash(%q) accepted %+v", s, p)
		}
	})
}

// FuzzPassword checks that any password hashes and verifies, and that no
// other password (here: it with one more byte) verifies against its hash.
func FuzzPassword(f *testing.F) {
	for _, s := range []string{"correct horse", "", "é", "\x00", strings.Repeat("x", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		h, err := hashPassword(pw, testParams())
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := verifyPassword(pw, h); !ok || err != nil {
			t.Fatalf("verifyPassword(%q, its own hash) = %v, %v", pw, ok, err)
		}
		if ok, _ := verifyPassword(pw+"x", h); ok {
			t.Fatalf("verifyPassword accepted %q for the hash of %q", pw+"x", pw)
		}
	})
}
