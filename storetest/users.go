package storetest

import (
	"testing"

	"github.com/recallhq/recall"
)

func runUsers(t *testing.T, open opener) {
	t.Run("CreateUser", func(t *testing.T) {
		test(t, open, "OK", func(f *fixture) {
			u := f.user("alice")
			got, err := f.s.UserByID(f.ctx, u.ID)
			ok(f.tb, "UserByID", err)
			eqUser(f.tb, got, u)

			got, hash, err := f.s.UserByUsername(f.ctx, "alice")
			ok(f.tb, "UserByUsername", err)
			eqUser(f.tb, got, u)
			eq(f.tb, "password hash", hash, "hash-of-alice")
		})
		test(t, open, "ErrUsernameTaken", func(f *fixture) {
			first := f.user("alice")
			err := f.s.CreateUser(f.ctx, &recall.User{ID: f.id("u"), Username: "alice", CreatedAt: f.tick()}, "other")
			wantCode(f.tb, "CreateUser", err, recall.ECONFLICT)
			eq(f.tb, "message", recall.ErrorMessage(err), "That username is taken.")

			got, hash, err := f.s.UserByUsername(f.ctx, "alice")
			ok(f.tb, "UserByUsername", err)
			eqUser(f.tb, got, first)
			eq(f.tb, "password hash", hash, "hash-of-alice")
		})
		test(t, open, "ErrIDTaken", func(f *fixture) {
			first := f.user("alice")
			err := f.s.CreateUser(f.ctx, &recall.User{ID: first.ID, Username: "bob", CreatedAt: f.tick()}, "other")
			wantCode(f.tb, "CreateUser", err, recall.ECONFLICT)
			_, _, err = f.s.UserByUsername(f.ctx, "bob")
			wantCode(f.tb, "UserByUsername(bob)", err, recall.ENOTFOUND)
		})
	})

	t.Run("SetAdmin", func(t *testing.T) {
		test(t, open, "OK", func(f *fixture) {
			u := f.user("alice")
			other := f.user("bob")
			got, err := f.s.UserByID(f.ctx, u.ID)
			ok(f.tb, "UserByID", err)
			eq(f.tb, "Admin (new user)", got.Admin, false)

			ok(f.tb, "SetAdmin(true)", f.s.SetAdmin(f.ctx, u.ID, true))
			got, err = f.s.UserByID(f.ctx, u.ID)
			ok(f.tb, "UserByID", err)
			eq(f.tb, "Admin (granted)", got.Admin, true)
			got, _, err = f.s.UserByUsername(f.ctx, "alice")
			ok(f.tb, "UserByUsername", err)
			eq(f.tb, "UserByUsername.Admin (granted)", got.Admin, true)
			got, err = f.s.UserByID(f.ctx, other.ID)
			ok(f.tb, "UserByID(bob)", err)
			eq(f.tb, "Admin of another user", got.Admin, false)

			// Granting twice is not an error; the other settings stay.
			ok(f.tb, "SetAdmin(true) again", f.s.SetAdmin(f.ctx, u.ID, true))
			ok(f.tb, "UpdateUser", f.s.UpdateUser(f.ctx, &recall.User{ID: u.ID, TimeZone: "Europe/Paris"}))
			got, err = f.s.UserByID(f.ctx, u.ID)
			ok(f.tb, "UserByID", err)
			eq(f.tb, "Admin after UpdateUser", got.Admin, true)
			eq(f.tb, "TimeZone", got.TimeZone, "Europe/Paris")

			ok(f.tb, "SetAdmin(false)", f.s.SetAdmin(f.ctx, u.ID, false))
			got, err = f.s.UserByID(f.ctx, u.ID)
			ok(f.tb, "UserByID", err)
			eq(f.tb, "Admin (revoked)", got.Admin, false)
			eq(f.tb, "TimeZone after SetAdmin", got.TimeZone, "Europe/Paris")
		})
		test(t, open, "ErrNotFound", func(f *fixture) {
			f.user("alice")
			wantCode(f.tb, "SetAdmin", f.s.SetAdmin(f.ctx, "no-such-user", true), recall.ENOTFOUND)
		})
	})

	t.Run("UserByUsername", func(t *testing.T) {
		test(t, open, "ErrNotFound", func(f *fixture) {
			f.user("alice")
			_, _, err := f.s.UserByUsername(f.ctx, "bob")
			wantCode(f.tb, "UserByUsername", err, recall.ENOTFOUND)
		})
	})

	t.Run("UserByID", func(t *testing.T) {
		test(t, open, "ErrNotFound", func(f *fixture) {
			f.user("alice")
			_, err := f.s.UserByID(f.ctx, "no-such-user")
			wantCode(f.tb, "UserByID", err, recall.ENOTFOUND)
		})
	})
}

func runTokens(t *testing.T, open opener) {
	// token creates a token of u, valid for TokenLifetime, whose hash
	// is made from secret.
	token := func(f *fixture, u *recall.User, secret string) *recall.Token {
		f.tb.Helper()
		at := f.tick()
		tok := &recall.Token{Hash: []byte("sha256:" + secret + "\x00\xff"), UserID: u.ID, CreatedAt: at, ExpiresAt: at.Add(recall.TokenLifetime)}
		ok(f.tb, "CreateToken", f.s.CreateToken(f.ctx, tok))
		return tok
	}

	t.Run("CreateToken", func(t *testing.T) {
		test(t, open, "OK", func(f *fixture) {
			u := f.user("alice")
			tok := token(f, u, "one")
			got, err := f.s.TokenByHash(f.ctx, tok.Hash)
			ok(f.tb, "TokenByHash", err)
			eqToken(f.tb, got, tok)
		})
		test(t, open, "OKExpired", func(f *fixture) {
			u := f.user("alice")
			at := f.tick()
			tok := &recall.Token{Hash: []byte("expired"), UserID: u.ID, CreatedAt: at.Add(-2 * recall.TokenLifetime), ExpiresAt: at.Add(-recall.TokenLifetime)}
			ok(f.tb, "CreateToken", f.s.CreateToken(f.ctx, tok))
			got, err := f.s.TokenByHash(f.ctx, tok.Hash)
			ok(f.tb, "TokenByHash", err)
			eqToken(f.tb, got, tok)
		})
		test(t, open, "ErrHashTaken", func(f *fixture) {
			alice, bob := f.user("alice"), f.user("bob")
			tok := token(f, alice, "one")
			err := f.s.CreateToken(f.ctx, &recall.Token{Hash: tok.Hash, UserID: bob.ID, CreatedAt: f.tick(), ExpiresAt: f.tick()})
			wantCode(f.tb, "CreateToken", err, recall.ECONFLICT)
			got, err := f.s.TokenByHash(f.ctx, tok.Hash)
			ok(f.tb, "TokenByHash", err)
			eqToken(f.tb, got, tok)
		})
	})

	t.Run("TokenByHash", func(t *testing.T) {
		test(t, open, "ErrNotFound", func(f *fixture) {
			token(f, f.user("alice"), "one")
			_, err := f.s.TokenByHash(f.ctx, []byte("sha256:two\x00\xff"))
			wantCode(f.tb, "TokenByHash", err, recall.ENOTFOUND)
		})
	})

	t.Run("DeleteToken", func(t *testing.T) {
		test(t, open, "OK", func(f *fixture) {
			u := f.user("alice")
			one, two := token(f, u, "one"), token(f, u, "two")
			ok(f.tb, "DeleteToken", f.s.DeleteToken(f.ctx, one.Hash))
			_, err := f.s.TokenByHash(f.ctx, one.Hash)
			wantCode(f.tb, "TokenByHash(deleted)", err, recall.ENOTFOUND)
			got, err := f.s.TokenByHash(f.ctx, two.Hash)
			ok(f.tb, "TokenByHash(other)", err)
			eqToken(f.tb, got, two)
		})
		test(t, open, "OKUnknown", func(f *fixture) {
			tok := token(f, f.user("alice"), "one")
			ok(f.tb, "DeleteToken(unknown)", f.s.DeleteToken(f.ctx, []byte("unknown")))
			_, err := f.s.TokenByHash(f.ctx, tok.Hash)
			ok(f.tb, "TokenByHash", err)
		})
	})
}
