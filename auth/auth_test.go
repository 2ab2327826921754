package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/internal/fakeclock"
)

// testParams keeps hashing cheap in tests.
func testParams() HashParams { return HashParams{Memory: 64, Time: 1, Threads: 1} }

// fakeStore is an in-memory UserStore and TokenStore. Fakes above the store
// layer are fine: the real stores are tested by the store contract suite.
type fakeStore struct {
	mu       sync.Mutex
	users    map[string]*recall.User // by ID
	hashes   map[string]string       // by username
	byName   map[string]string       // username -> ID
	tokens   map[string]*recall.Token
	tokenErr error // returned by TokenByHash when set
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		users:  map[string]*recall.User{},
		hashes: map[string]string{},
		byName: map[string]string{},
		tokens: map[string]*recall.Token{},
	}
}

func (f *fakeStore) CreateUser(_ context.Context, u *recall.User, hash string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.byName[u.Username]; ok {
		return recall.Errorf(recall.ECONFLICT, "duplicate username")
	}
	c := *u
	f.users[u.ID], f.hashes[u.Username], f.byName[u.Username] = &c, hash, u.ID
	return nil
}

func (f *fakeStore) UserByUsername(_ context.Context, name string) (*recall.User, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.byName[name]
	if !ok {
		return nil, "", recall.Errorf(recall.ENOTFOUND, "no user")
	}
	c := *f.users[id]
	return &c, f.hashes[name], nil
}

func (f *fakeStore) UserByID(_ context.Context, id string) (*recall.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, recall.Errorf(recall.ENOTFOUND, "no user")
	}
	c := *u
	return &c, nil
}

func (f *fakeStore) UpdateUser(_ context.Context, u *recall.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.users[u.ID]
	if !ok {
		return recall.Errorf(recall.ENOTFOUND, "no user")
	}
	old.TimeZone, old.Weights = u.TimeZone, u.Weights
	return nil
}

func (f *fakeStore) SetAdmin(_ context.Context, id string, admin bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return recall.Errorf(recall.ENOTFOUND, "no user")
	}
	u.Admin = admin
	return nil
}

func (f *fakeStore) CreateToken(_ context.Context, t *recall.Token) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokens[string(t.Hash)]; ok {
		return recall.Errorf(recall.ECONFLICT, "duplicate token")
	}
	c := *t
	f.tokens[string(t.Hash)] = &c
	return nil
}

func (f *fakeStore) TokenByHash(_ context.Context, h []byte) (*recall.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokenErr != nil {
		return nil, f.tokenErr
	}
	t, ok := f.tokens[string(h)]
	if !ok {
		return nil, recall.Errorf(recall.ENOTFOUND, "no token")
	}
	c := *t
	return &c, nil
}

func (f *fakeStore) DeleteToken(_ context.Context, h []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tokens, string(h))
	return nil
}

type fixture struct {
	svc   *Service
	store *fakeStore
	clock *fakeclock.Clock
	logs  *bytes.Buffer
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{
		store: newFakeStore(),
		clock: fakeclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)),
		logs:  &bytes.Buffer{},
	}
	f.svc = New(Config{
		Users: f.store, Tokens: f.store, Now: f.clock.Now,
		Logger:     slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HashParams: testParams(),
	})
	return f
}

func (f *fixture) register(tb testing.TB, name, pw string) *recall.User {
	tb.Helper()
	u, err := f.svc.Register(context.Background(), recall.Credentials{Username: name, Password: pw})
	if err != nil {
		tb.Fatalf("Register(%q): %v", name, err)
	}
	return u
}

func (f *fixture) login(tb testing.TB, name, pw string) string {
	tb.Helper()
	tok, _, err := f.svc.Login(context.Background(), recall.Credentials{Username: name, Password: pw})
	if err != nil {
		tb.Fatalf("Login(%q): %v", name, err)
	}
	return tok
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := recall.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestRegister(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newFixture(t)
		u := f.register(t, "  Ada.Lovelace ", "correct horse")
		if u.Username != "ada.lovelace" || u.ID == "" || !u.CreatedAt.Equal(f.clock.Now()) {
			t.Fatalf("user = %+v", u)
		}
		hash := f.store.hashes["ada.lovelace"]
		if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("hash %q is not a PHC argon2id string with the configured params", hash)
		}
		if strings.Contains(hash, "correct horse") {
			t.Fatal("the hash contains the password")
		}
		got, err := f.svc.User(ctx, u.ID)
		if err != nil || got.Username != "ada.lovelace" {
			t.Fatalf("User = %+v, %v", got, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Register(ctx, recall.Credentials{Username: "a!", Password: "short"})
		wantCode(t, err, recall.EINVALID)
		fields := recall.ErrorFields(err)
		if fields["username"] == "" || fields["password"] == "" {
			t.Fatalf("fields = %v, want username and password", fields)
		}
	})
	t.Run("ErrUsernameTaken", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "grace", "password1")
		_, err := f.svc.Register(ctx, recall.Credentials{Username: "GRACE", Password: "password2"})
		wantCode(t, err, recall.ECONFLICT)
		if msg := recall.ErrorMessage(err); msg != "That username is taken." {
			t.Fatalf("message = %q", msg)
		}
	})
	t.Run("ErrUnknownUser", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.User(ctx, "nope")
		wantCode(t, err, recall.ENOTFOUND)
	})
}

func TestLogin(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newFixture(t)
		u := f.register(t, "ada", "correct horse")
		tok, exp, err := f.svc.Login(ctx, recall.Credentials{Username: " ADA ", Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "rc_"+u.ID+"_") || len(tok) != 3+len(u.ID)+1+43 {
			t.Fatalf("token %q: want rc_<user id>_ and 43 base64url characters", tok)
		}
		if want := f.clock.Now().Add(recall.TokenLifetime); !exp.Equal(want) {
			t.Fatalf("expiresAt = %v, want %v", exp, want)
		}
		sum := sha256.Sum256([]byte(tok))
		stored, ok := f.store.tokens[string(sum[:])]
		if !ok || len(f.store.tokens) != 1 {
			t.Fatal("the token's SHA-256 is not what is stored")
		}
		if stored.UserID != u.ID || !stored.ExpiresAt.Equal(exp) {
			t.Fatalf("stored token = %+v", stored)
		}
		for k := range f.store.tokens {
			if strings.Contains(k, tok[3:]) {
				t.Fatal("the token secret is stored in clear")
			}
		}
		if tok2 := f.login(t, "ada", "correct horse"); tok2 == tok {
			t.Fatal("two logins gave the same token")
		}
		if strings.Contains(f.logs.String(), tok) || strings.Contains(f.logs.String(), "correct horse") {
			t.Fatalf("a token or password reached the log:\n%s", f.logs)
		}
	})
	t.Run("ErrWrongPasswordEqualsUnknownUser", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada", "correct horse")
		_, _, errWrong := f.svc.Login(ctx, recall.Credentials{Username: "ada", Password: "wrong horse"})
		_, _, errUnknown := f.svc.Login(ctx, recall.Credentials{Username: "bob", Password: "wrong horse"})
		wantCode(t, errWrong, recall.EUNAUTHORIZED)
		wantCode(t, errUnknown, recall.EUNAUTHORIZED)
		if errWrong.Error() != errUnknown.Error() || recall.ErrorMessage(errWrong) != "Wrong username or password." {
			t.Fatalf("errors differ or have the wrong message: %v / %v", errWrong, errUnknown)
		}
		// The unknown user was checked against a real hash (same cost).
		if _, err := parseHash(f.svc.dummyHash); err != nil {
			t.Fatalf("no dummy hash was verified for the unknown user: %v", err)
		}
		if len(f.store.tokens) != 0 {
			t.Fatal("a failed login issued a token")
		}
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		f := newFixture(t)
		_, _, err := f.svc.Login(ctx, recall.Credentials{Username: " ", Password: ""})
		wantCode(t, err, recall.EINVALID)
		if fs := recall.ErrorFields(err); fs["username"] == "" || fs["password"] == "" {
			t.Fatalf("fields = %v", fs)
		}
	})
	t.Run("ErrUnreadableHash", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada", "correct horse")
		f.store.hashes["ada"] = "$argon2id$v=19$m=99999999999,t=1,p=1$AAAA$AAAA"
		_, _, err := f.svc.Login(ctx, recall.Credentials{Username: "ada", Password: "correct horse"})
		wantCode(t, err, recall.EUNAUTHORIZED)
	})
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	u := f.register(t, "ada", "correct horse")
	tok := f.login(t, "ada", "correct horse")

	t.Run("OK", func(t *testing.T) {
		id, err := f.svc.Authenticate(ctx, tok)
		if err != nil || id != u.ID {
			t.Fatalf("Authenticate = %q, %v; want %q", id, err, u.ID)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, bad := range []string{
			"",
			"rc_",
			tok[:len(tok)-1],
			tok + "A",
			"xx_" + tok[3:],
			"rc_" + strings.Repeat("!", 43),
			"rc_" + strings.Repeat("A", 42) + "B", // non-canonical trailing bits
			"Bearer " + tok,
		} {
			_, err := f.svc.Authenticate(ctx, bad)
			wantCode(t, err, recall.EUNAUTHORIZED)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		other, _, err := newToken(u.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Authenticate(ctx, other)
		wantCode(t, err, recall.EUNAUTHORIZED)
	})
	t.Run("ErrStoreDown", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada", "correct horse")
		tok := f.login(t, "ada", "correct horse")
		f.store.tokenErr = recall.Errorf(recall.EUNAVAILABLE, "down")
		_, err := f.svc.Authenticate(ctx, tok)
		wantCode(t, err, recall.EUNAVAILABLE) // not a 401: the token may be fine
	})
	t.Run("ErrExpired", func(t *testing.T) {
		f := newFixture(t)
		f.register(t, "ada", "correct horse")
		tok := f.login(t, "ada", "correct horse")
		f.clock.Add(recall.TokenLifetime - time.Second)
		if _, err := f.svc.Authenticate(ctx, tok); err != nil {
			t.Fatalf("a token one second before expiry: %v", err)
		}
		f.clock.Add(time.Second)
		_, err := f.svc.Authenticate(ctx, tok)
		wantCode(t, err, recall.EUNAUTHORIZED)
	})
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.register(t, "ada", "correct horse")
	tok := f.login(t, "ada", "correct horse")
	keep := f.login(t, "ada", "correct horse")

	if err := f.svc.Revoke(ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Authenticate(ctx, tok)
	wantCode(t, err, recall.EUNAUTHORIZED)
	if _, err := f.svc.Authenticate(ctx, keep); err != nil {
		t.Fatalf("revoking one token revoked another: %v", err)
	}
	if err := f.svc.Revoke(ctx, tok); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	wantCode(t, f.svc.Revoke(ctx, "garbage"), recall.EUNAUTHORIZED)
}

func TestPasswordHash(t *testing.T) {
	t.Run("ParamsChangeLater", func(t *testing.T) {
		old, err := hashPassword("correct horse", HashParams{Memory: 32, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 16})
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t) // hashes new passwords with testParams
		if err := f.store.CreateUser(context.Background(), &recall.User{ID: "u1", Username: "ada"}, old); err != nil {
			t.Fatal(err)
		}
		f.login(t, "ada", "correct horse")
	})
	t.Run("Defaults", func(t *testing.T) {
		p := HashParams{}.withDefaults()
		if p != DefaultHashParams() || p.Memory != 19*1024 || p.Time != 2 || p.Threads != 1 {
			t.Fatalf("defaults = %+v", p)
		}
	})
	t.Run("Verify", func(t *testing.T) {
		h, err := hashPassword("pässwörd", testParams())
		if err != nil {
			t.Fatal(err)
		}
		for pw, want := range map[string]bool{"pässwörd": true, "passwörd": false, "pässwörd ": false, "": false} {
			if ok, err := verifyPassword(pw, h); err != nil || ok != want {
				t.Errorf("verify(%q) = %v, %v; want %v", pw, ok, err, want)
			}
		}
		if h2, _ := hashPassword("pässwörd", testParams()); h2 == h {
			t.Error("two hashes of one password are equal: the salt is not random")
		}
	})
	t.Run("ParseHashParams", func(t *testing.T) {
		d := DefaultHashParams()
		got, err := ParseHashParams(fmt.Sprintf("m=%d,t=%d,p=%d", d.Memory, d.Time, d.Threads))
		if err != nil || got.withDefaults() != d {
			t.Fatalf("ParseHashParams(the defaults) = %+v, %v; want %+v", got, err, d)
		}
		got, err = ParseHashParams("p=1,t=1,m=64")
		if want := (HashParams{Memory: 64, Time: 1, Threads: 1}); err != nil || got != want {
			t.Fatalf("ParseHashParams(p=1,t=1,m=64) = %+v, %v; want %+v", got, err, want)
		}
		for _, bad := range []string{"", "m=64", "m=64,t=1", "m=64,t=1,p=1,x=1", "m=64,t=0,p=1", "m=64,t=1,p=0",
			"m=7,t=1,p=1", "m=64,t=1,p=256", "m=4194304,t=1,p=1", "m=64,t=65,p=1", "m=-1,t=1,p=1", "m=64;t=1;p=1"} {
			if p, err := ParseHashParams(bad); err == nil {
				t.Errorf("ParseHashParams(%q) = %+v; want an error", bad, p)
			}
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		good, _ := hashPassword("x", testParams())
		parts := strings.Split(good, "$")
		salt, key := parts[4], parts[5]
		for _, bad := range []string{
			"",
			"plain",
			"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
			"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
			"$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
			"$argon2id$v=19$m=64,t=1,p=1,x=2$" + salt + "$" + key,
			"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
			"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
			"$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key,
			"$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
			"$argon2id$v=19$m=64,t=1,p=1$!!$" + key,
			"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
			"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA",
		} {
			if _, err := verifyPassword("x", bad); err == nil {
				t.Errorf("verify accepted %q", bad)
			}
		}
		if ok, err := verifyPassword("x", good); !ok || err != nil {
			t.Fatalf("the good hash: %v, %v", ok, err)
		}
	})
}

func BenchmarkAuthenticate(b *testing.B) {
	f := newFixture(b)
	f.register(b, "ada", "correct horse")
	tok := f.login(b, "ada", "correct horse")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.svc.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTokenClaim: an issued token carries its user's id, which Claim reads;
// a token whose claim is changed to another user's is refused (its hash is
// stored for nobody), and a token of the old form, without a claim, still
// works.
func TestTokenClaim(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ada := f.register(t, "ada", "correct horse")
	bob := f.register(t, "bob", "battery staple")
	tok := f.login(t, "ada", "correct horse")

	if id, ok := Claim(tok); !ok || id != ada.ID {
		t.Fatalf("Claim(issued) = %q, %v; want %q", id, ok, ada.ID)
	}
	forged := TokenPrefix + bob.ID + tok[len(TokenPrefix)+len(ada.ID):]
	if id, ok := Claim(forged); !ok || id != bob.ID {
		t.Fatalf("Claim(forged) = %q, %v; want the claim %q, unchecked", id, ok, bob.ID)
	}
	_, err := f.svc.Authenticate(ctx, forged)
	wantCode(t, err, recall.EUNAUTHORIZED)

	for _, bad := range []string{"", tok[:len(tok)-1], TokenPrefix + "_" + tok[len(tok)-secretLen:],
		TokenPrefix + "Ada_" + tok[len(tok)-secretLen:], TokenPrefix + "a-b_" + tok[len(tok)-secretLen:],
		TokenPrefix + strings.Repeat("a", maxClaimLen+1) + "_" + tok[len(tok)-secretLen:]} {
		if id, ok := Claim(bad); ok {
			t.Errorf("Claim(%q) = %q; want no claim", bad, id)
		}
		_, err := f.svc.Authenticate(ctx, bad)
		wantCode(t, err, recall.EUNAUTHORIZED)
	}

	// A token of the old form: no claim, found by its hash alone.
	old := TokenPrefix + tok[len(tok)-secretLen:]
	if _, ok := Claim(old); ok {
		t.Fatalf("Claim(old form) found a claim")
	}
	sum := sha256.Sum256([]byte(old))
	if err := f.store.CreateToken(ctx, &recall.Token{Hash: sum[:], UserID: ada.ID, ExpiresAt: f.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if id, err := f.svc.Authenticate(ctx, old); err != nil || id != ada.ID {
		t.Fatalf("Authenticate(old form) = %q, %v; want %q", id, err, ada.ID)
	}
}
