package cache

import (
	"context"
	"fmt"

	"github.com/recallhq/recall"
)

var _ recall.TokenStore = (*TokenStore)(nil)

// TokenStore is a recall.TokenStore that caches bearer tokens: under
// token:{<user_id>}:<hex hash> when looked up by the user the token claims
// (TokenOfUser: the user's hash tag, so that one script can check the token
// with the user's other keys), under token:{<hex hash>} by TokenByHash
// (tokens of the old form, which claim no user). DeleteToken deletes in the
// inner store, then invalidates both (see its rule in rules.go), so a
// revoked token stops working at once in every process that shares the
// backend. Unknown tokens (ENOTFOUND) are never cached.
type TokenStore struct {
	inner recall.TokenStore
	c     *core
	cd    codec[*recall.Token]
}

// NewTokenStore wraps inner with a cache kept in b. A zero opts.TTL means
// DefaultTokenTTL here, not DefaultTTL.
func NewTokenStore(inner recall.TokenStore, b Backend, opts Options) *TokenStore {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTokenTTL
	}
	return &TokenStore{
		inner: inner,
		c:     newCore(b, opts),
		cd:    codec[*recall.Token]{encode: encodeToken, decode: decodeToken, clone: cloneToken, memo: newMemo[*recall.Token](opts.MemoBytes)},
	}
}

// CreateToken stores t in the inner store; its rule drops nothing, since
// unknown tokens are never cached.
func (s *TokenStore) CreateToken(ctx context.Context, t *recall.Token) error {
	err := s.inner.CreateToken(ctx, t)
	var w write
	if t != nil {
		w = write{userID: t.UserID, tokenHash: t.Hash}
	}
	s.c.after(ctx, "TokenStore.CreateToken", w, err)
	return err
}

// TokenByHash returns the token from the cache, filling it on a miss.
// Returns ENOTFOUND, uncached, if the inner store has no such token.
func (s *TokenStore) TokenByHash(ctx context.Context, hash []byte) (*recall.Token, error) {
	if len(hash) == 0 {
		return s.inner.TokenByHash(ctx, hash)
	}
	return lookup(ctx, s.c, request[*recall.Token]{
		name: nameTokens,
		key:  TokenKey(hash),
		cd:   s.cd,
		load: func(ctx context.Context) (*recall.Token, error) {
			return s.inner.TokenByHash(ctx, hash)
		},
	})
}

// TokenOfUser returns the token with that hash if it belongs to userID,
// from the cache under the user's key, filling it on a miss. Returns
// ENOTFOUND, uncached, if the inner store has no such token or it is
// another user's.
func (s *TokenStore) TokenOfUser(ctx context.Context, userID string, hash []byte) (*recall.Token, error) {
	if len(hash) == 0 || userID == "" {
		return s.inner.TokenByHash(ctx, hash)
	}
	return lookup(ctx, s.c, request[*recall.Token]{
		name: nameTokens,
		key:  UserTokenKey(userID, hash),
		cd:   s.cd,
		load: func(ctx context.Context) (*recall.Token, error) {
			t, err := s.inner.TokenByHash(ctx, hash)
			if err == nil && t.UserID != userID {
				return nil, recall.Errorf(recall.ENOTFOUND, "Token not found.")
			}
			return t, err
		},
	})
}

// DeleteToken revokes the token in the inner store, then drops the keys of
// its rule: the token's, under its hash and under its user. The user is
// read from the inner store first (a revocation is rare; the interface
// gives the hash alone).
func (s *TokenStore) DeleteToken(ctx context.Context, hash []byte) error {
	w := write{tokenHash: hash}
	t, err := s.inner.TokenByHash(ctx, hash)
	switch {
	case err == nil:
		w.userID = t.UserID
	case recall.ErrorCode(err) != recall.ENOTFOUND:
		// Without the user, the key under the user's tag would outlive the
		// revocation: fail, and let the caller retry, rather than report a
		// revocation that some instances would not see for a minute.
		return fmt.Errorf("read the token's user: %w", err)
	}
	err = s.inner.DeleteToken(ctx, hash)
	s.c.after(ctx, "TokenStore.DeleteToken", w, err)
	return err
}
