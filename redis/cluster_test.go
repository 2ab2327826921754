package redis_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/cache/cachetest"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// TestCluster runs the contract suites in Cluster mode: the client checks
// that every command and script stays within one hash slot.
func TestCluster(t *testing.T) {
	srv := redistest.StartCluster(t)
	newClient := func(t *testing.T, opts redis.Options) *redis.Client {
		opts.Prefix = "test:" + rand.Text() + ":" // a private server: no cleanup
		return connectURL(t, srv.URL, opts)
	}
	c := newClient(t, redis.Options{})
	if mode := c.Rueidis().Mode(); mode != "cluster" {
		t.Fatalf("client mode = %q; want cluster", mode)
	}
	t.Run("Backend/NearCache", func(t *testing.T) {
		cachetest.Run(t, func(t *testing.T) cache.Backend { return redis.NewBackend(newClient(t, redis.Options{})) })
	})
	t.Run("Backend/NoNearCache", func(t *testing.T) {
		cachetest.Run(t, func(t *testing.T) cache.Backend {
			return redis.NewBackend(newClient(t, redis.Options{DisableNearCache: true}))
		})
	})
	t.Run("SessionCache", func(t *testing.T) {
		cachetest.RunSessionCache(t, sessionCacheContract(func(t *testing.T) *redis.Client { return newClient(t, redis.Options{}) }))
	})
	t.Run("InvalidateAcrossSlots", func(t *testing.T) {
		b := redis.NewBackend(newClient(t, redis.Options{}))
		ctx := context.Background()
		keys := []string{"topics:{u1}", "questions:{t1}", "token:{ab}"}
		for _, k := range keys {
			fill(t, b, k, "v")
		}
		if err := b.Invalidate(ctx, keys...); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, ok, err := b.Get(ctx, k); ok || err != nil {
				t.Fatalf("%s after Invalidate: %v, %v", k, ok, err)
			}
		}
	})
}

// tokenStore is a recall.TokenStore of one token, the inner store of the
// token cache a gate test fills.
type tokenStore struct{ t *recall.Token }

func (s tokenStore) CreateToken(context.Context, *recall.Token) error { return nil }
func (s tokenStore) DeleteToken(context.Context, []byte) error        { return nil }
func (s tokenStore) TokenByHash(_ context.Context, h []byte) (*recall.Token, error) {
	if !bytes.Equal(h, s.t.Hash) {
		return nil, recall.Errorf(recall.ENOTFOUND, "no token")
	}
	return s.t, nil
}

// TestGateCluster: on Redis Cluster the gate checks the token, decides and
// reads the user's keys in one script (one slot: the user's hash tag, the
// banks of the user's topics included), and leaves a key of another slot
// for the request to read itself.
func TestGateCluster(t *testing.T) {
	srv := redistest.StartCluster(t)
	c := connectURL(t, srv.URL, redis.Options{Prefix: "test:" + rand.Text() + ":", DisableNearCache: true})
	ctx := context.Background()
	b := redis.NewBackend(c)
	now := time.Now()
	sum := sha256.Sum256([]byte("rc_u1_secret"))
	tok := &recall.Token{Hash: sum[:], UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if _, err := cache.NewTokenStore(tokenStore{tok}, b, cache.Options{}).TokenOfUser(ctx, "u1", sum[:]); err != nil {
		t.Fatal(err)
	}
	fill(t, b, "topics:{u1}", "list")
	bank := cache.QuestionsKey("u1", "t1")
	l, err := b.Lease(ctx, bank, true, 10*time.Second)
	if err != nil || l.Token == "" {
		t.Fatalf("Lease(%s) = %+v, %v", bank, l, err)
	}
	if ok, err := b.FillHash(ctx, bank, l.Token, map[string][]byte{"q1": []byte("question")}, time.Minute); !ok || err != nil {
		t.Fatalf("FillHash(%s) = %v, %v", bank, ok, err)
	}
	fill(t, b, "topics:{u2}", "list of another slot")
	// A session of u1 and one of u2, read as states (PrefetchKey.State).
	sc := redis.NewSessionCache(c)
	for _, u := range []string{"u1", "u2"} {
		s := &recall.Session{ID: "s-" + u, UserID: u, TopicID: "t1", State: recall.SessionActive,
			QuestionIDs: []string{"q1"}, Version: 3, CreatedAt: now, UpdatedAt: now}
		if err := sc.Put(ctx, s, time.Hour, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	g := redis.NewGate(c)
	rules := []ratelimit.Rule{{Policy: "default", Interval: time.Second, Tolerance: 10 * time.Second}}
	keys := []cache.PrefetchKey{{Key: "topics:{u1}"}, {Key: "memories:{u1}:t1"}, {Key: bank, Hash: true},
		{Key: "topics:{u2}"}, {Key: cache.SessionKey("u1", "s-u1"), State: true}}
	d := make([]time.Duration, 1)
	pre := cache.NewPrefetched()
	verified, admitted, err := g.Pass(ctx, "u1", sum[:], now, rules, d, keys, pre)
	if err != nil || !verified || !admitted {
		t.Fatalf("Pass = %v, %v, %v; want verified and admitted", verified, admitted, err)
	}
	if d[0] != time.Second {
		t.Fatalf("d = %v; want 1s (one interval ahead)", d[0])
	}
	if pre.Len() != 4 {
		t.Fatalf("%d keys read; want 4 (the user's: the list, a miss, the bank and the session), not the key of another slot", pre.Len())
	}
	ctxPre := cache.WithPrefetched(ctx, pre)
	// (PrefetchedState takes any key the gate read: a hash's found flag.)
	if _, found, known := cache.PrefetchedState(ctxPre, bank); !known || !found {
		t.Fatalf("the bank was not read whole: found %v, known %v", found, known)
	}
	if _, _, known := cache.PrefetchedState(ctxPre, "topics:{u2}"); known {
		t.Fatal("the gate read a key of another slot")
	}
	if val, found, known := cache.PrefetchedState(ctxPre, cache.SessionKey("u1", "s-u1")); !known || !found {
		t.Fatalf("the session was not read as a state: found %v, known %v", found, known)
	} else if s, err := cache.DecodeSession(val); err != nil || s.ID != "s-u1" || s.Version != 3 {
		t.Fatalf("the session read = %+v, %v", s, err)
	}
	// Another user's claim with this token: not verified, nothing charged,
	// and nothing of that user's read (their session included).
	pre = cache.NewPrefetched()
	keys = []cache.PrefetchKey{{Key: "topics:{u2}"}, {Key: cache.SessionKey("u2", "s-u2"), State: true}}
	verified, _, err = g.Pass(ctx, "u2", sum[:], now, rules, d, keys, pre)
	if err != nil || verified || pre.Len() != 0 {
		t.Fatalf("Pass under another user = %v, %v, %d keys read; want not verified, none", verified, err, pre.Len())
	}
	n, err := c.Rueidis().Do(ctx, c.Rueidis().B().Exists().Key(c.Prefix()+"rl:user:{u2}:default").Build()).AsInt64()
	if err != nil || n != 0 {
		t.Fatalf("the claimed user was charged: %d, %v", n, err)
	}
}
