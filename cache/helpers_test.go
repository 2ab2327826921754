package cache_test

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
	"github.com/recallhq/recall/sqlite"
)

// countingStore counts the reads the decorators make of the primary store;
// delay, if set, slows each counted read down so that concurrent misses
// overlap.
type countingStore struct {
	recall.Store
	delay     time.Duration
	topics    atomic.Int64
	questions atomic.Int64
	tokens    atomic.Int64
	// failTokens makes TokenByHash fail as a database that does not answer.
	failTokens atomic.Bool
}

func (s *countingStore) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	s.topics.Add(1)
	time.Sleep(s.delay)
	return s.Store.Topics(ctx, userID)
}

func (s *countingStore) Questions(ctx context.Context, userID, topicID string) ([]*recall.Question, error) {
	s.questions.Add(1)
	time.Sleep(s.delay)
	return s.Store.Questions(ctx, userID, topicID)
}

func (s *countingStore) TokenByHash(ctx context.Context, hash []byte) (*recall.Token, error) {
	s.tokens.Add(1)
	time.Sleep(s.delay)
	if s.failTokens.Load() {
		return nil, recall.Errorf(recall.EUNAVAILABLE, "The database did not answer.")
	}
	return s.Store.TokenByHash(ctx, hash)
}

// openDB opens a SQLite store in a temporary directory.
func openDB(tb testing.TB) *sqlite.Store {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "recall.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// instance is one server instance's decorators over a shared database.
type instance struct {
	topics    *cache.TopicStore
	questions *cache.QuestionStore
	tokens    *cache.TokenStore
	memories  *cache.MemoryStore
	users     *cache.UserStore
	inner     *countingStore
	b         cache.Backend
	m         *metrics.Metrics
}

func newInstance(db recall.Store, b cache.Backend, opts cache.Options) *instance {
	m := metrics.New(nil)
	opts.Metrics = m
	inner := &countingStore{Store: db}
	return &instance{
		topics:    cache.NewTopicStore(inner, b, opts),
		questions: cache.NewQuestionStore(inner, b, opts),
		tokens:    cache.NewTokenStore(inner, b, opts),
		memories:  cache.NewMemoryStore(inner, b, opts),
		users:     cache.NewUserStore(inner, b, opts),
		inner:     inner,
		b:         b,
		m:         m,
	}
}

// count returns the lookups of cache with result.
func (in *instance) count(cache, result string) int {
	return int(testutil.ToFloat64(in.m.CacheRequests.WithLabelValues(cache, result)))
}

// backendKind makes backends of one kind. Backends made with the same
// space share their entries when shared is true (Redis): they stand for
// several server instances.
type backendKind struct {
	name   string
	shared bool
	new    func(tb testing.TB, space string) cache.Backend
}

// sharedTimeout bounds the calls of the backends on the shared Redis. The
// tests count loads exactly, and a call that outlived the 100 ms default on
// a loaded machine (the race detector, other packages' tests) would fall
// back to the store and load once more; the failure tests, which are about
// timeouts, make their own clients.
const sharedTimeout = 5 * time.Second

func backendKinds() []backendKind {
	return []backendKind{
		{"inmem", false, func(tb testing.TB, _ string) cache.Backend {
			c := inmem.NewCache(inmem.CacheOptions{})
			tb.Cleanup(func() { c.Close() })
			return c
		}},
		{"redis", true, func(tb testing.TB, space string) cache.Backend {
			return redis.NewBackend(connect(tb, redistest.SharedURL, redis.Options{Prefix: space, DisableNearCache: true, Timeout: sharedTimeout}))
		}},
		{"redis-near", true, func(tb testing.TB, space string) cache.Backend {
			return redis.NewBackend(connect(tb, redistest.SharedURL, redis.Options{Prefix: space, Timeout: sharedTimeout}))
		}},
	}
}

func connect(tb testing.TB, url string, opts redis.Options) *redis.Client {
	tb.Helper()
	redistest.SkipShort(tb)
	c, err := redis.Connect(context.Background(), url, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// forEachBackend runs fn once per backend kind; space is a key prefix of
// the subtest's own on the shared Redis.
func forEachBackend(t *testing.T, sharedOnly bool, fn func(t *testing.T, k backendKind, space string)) {
	for _, k := range backendKinds() {
		if sharedOnly && !k.shared {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			fn(t, k, redistest.Prefix(t))
		})
	}
}

// fixture creates rows in the primary store directly.
type fixture struct {
	tb  testing.TB
	db  recall.Store
	now time.Time
}

func newFixture(tb testing.TB, db recall.Store) *fixture {
	return &fixture{tb: tb, db: db, now: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)}
}

func (f *fixture) tick() time.Time {
	f.now = f.now.Add(time.Second)
	return f.now
}

func (f *fixture) user() *recall.User {
	f.tb.Helper()
	id := recall.NewID()
	u := &recall.User{ID: id, Username: "user" + id[:10], CreatedAt: f.tick()}
	if err := f.db.CreateUser(context.Background(), u, "hash"); err != nil {
		f.tb.Fatal(err)
	}
	return u
}

func (f *fixture) newTopic(u *recall.User, title string) *recall.Topic {
	at := f.tick()
	return &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: title, Description: "About " + title, CreatedAt: at, UpdatedAt: at}
}

func (f *fixture) newQuestions(t *recall.Topic, n int) []*recall.Question {
	at := f.tick()
	qs := make([]*recall.Question, n)
	for i := range qs {
		id := recall.NewID()
		qs[i] = &recall.Question{ID: id, TopicID: t.ID, Prompt: "Prompt " + id, Answers: []string{"a" + id},
			Explanation: "Because", Hint: "Think", CreatedAt: at, UpdatedAt: at}
		if i%3 == 0 {
			qs[i].Choices = []string{"a" + id, "b"}
		}
	}
	return qs
}

func (f *fixture) token(u *recall.User) ([]byte, *recall.Token) {
	f.tb.Helper()
	sum := sha256.Sum256([]byte(recall.NewID()))
	tok := &recall.Token{Hash: sum[:], UserID: u.ID, CreatedAt: f.tick(), ExpiresAt: f.now.Add(recall.TokenLifetime)}
	if err := f.db.CreateToken(context.Background(), tok); err != nil {
		f.tb.Fatal(err)
	}
	return sum[:], tok
}

func strp(s string) *string { return &s }
