package inmem_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/internal/fakeclock"
	"github.com/recallhq/recall/metrics"
)

// newClock returns the clock of the session cache's tests.
func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)) }

func session(id string, version int64) *recall.Session {
	return &recall.Session{
		ID: id, UserID: "u1", TopicID: "t1", State: recall.SessionActive,
		QuestionIDs:     []string{"q1", "q2", "q3"},
		Current:         1,
		Answered:        1,
		Version:         version,
		IdempotencyKeys: map[string]int{"k0": 0},
	}
}

func mustGet(tb testing.TB, c *inmem.SessionCache, id string) *recall.Session {
	tb.Helper()
	s, err := c.Get(context.Background(), "u1", id)
	if err != nil {
		tb.Fatalf("Get(%q): %v", id, err)
	}
	return s
}

func mustMiss(tb testing.TB, c *inmem.SessionCache, id string) {
	tb.Helper()
	if s, err := c.Get(context.Background(), "u1", id); !recall.IsCode(err, recall.ENOTFOUND) {
		tb.Fatalf("Get(%q) = %+v, %v; want ENOTFOUND", id, s, err)
	}
}

func mustPut(tb testing.TB, c sessionCacheImpl, s *recall.Session, ttl time.Duration, expiresAt time.Time) {
	tb.Helper()
	if err := c.Put(context.Background(), s, ttl, expiresAt); err != nil {
		tb.Fatalf("Put(%q v%d): %v", s.ID, s.Version, err)
	}
}

func TestSessionCache_Miss(t *testing.T) {
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{})
	mustMiss(t, c, "nope")
}

func TestSessionCache_DeepCopies(t *testing.T) {
	clk := newClock()
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{Now: clk.Now})
	far := clk.Now().Add(time.Hour)

	s := session("s1", 3)
	mustPut(t, c, s, time.Hour, far)
	// The caller changes its copy after the Put.
	s.QuestionIDs[0] = "changed"
	s.IdempotencyKeys["k1"] = 1
	s.Current = 2

	got := mustGet(t, c, "s1")
	if got.QuestionIDs[0] != "q1" || len(got.IdempotencyKeys) != 1 || got.Current != 1 || got.Version != 3 {
		t.Fatalf("cached state changed by the caller of Put: %+v", got)
	}
	// The caller of Get changes what it got.
	got.QuestionIDs[1] = "changed"
	got.IdempotencyKeys["k2"] = 2
	again := mustGet(t, c, "s1")
	if again.QuestionIDs[1] != "q2" || len(again.IdempotencyKeys) != 1 {
		t.Fatalf("cached state changed by the caller of Get: %+v", again)
	}
}

func TestSessionCache_PutIsMonotonic(t *testing.T) {
	clk := newClock()
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{Now: clk.Now})
	far := clk.Now().Add(time.Hour)

	mustPut(t, c, session("s1", 5), time.Hour, far)

	older := session("s1", 4)
	older.Current = 0
	mustPut(t, c, older, time.Hour, far)
	if got := mustGet(t, c, "s1"); got.Version != 5 || got.Current != 1 {
		t.Fatalf("older Put replaced newer state: %+v", got)
	}

	same := session("s1", 5)
	same.Current = 2
	mustPut(t, c, same, time.Hour, far)
	if got := mustGet(t, c, "s1"); got.Current != 1 {
		t.Fatalf("Put of the same version replaced the cached state: %+v", got)
	}

	newer := session("s1", 6)
	newer.Current = 2
	mustPut(t, c, newer, time.Hour, far)
	if got := mustGet(t, c, "s1"); got.Version != 6 || got.Current != 2 {
		t.Fatalf("newer Put was not stored: %+v", got)
	}
}

func TestSessionCache_IdleExpiry(t *testing.T) {
	clk := newClock()
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{Now: clk.Now})
	far := clk.Now().Add(24 * time.Hour)
	mustPut(t, c, session("s1", 1), 10*time.Minute, far)

	clk.Add(9 * time.Minute)
	mustGet(t, c, "s1") // refreshes the idle time
	clk.Add(9 * time.Minute)
	mustGet(t, c, "s1") // 18 minutes after the Put: alive thanks to the Get
	clk.Add(10 * time.Minute)
	mustMiss(t, c, "s1")
	if n := c.Len(); n != 0 {
		t.Fatalf("expired entry not removed on Get: Len = %d", n)
	}
}

func TestSessionCache_AbsoluteExpiry(t *testing.T) {
	clk := newClock()
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{Now: clk.Now})
	mustPut(t, c, session("s1", 1), 10*time.Minute, clk.Now().Add(15*time.Minute))

	clk.Add(8 * time.Minute)
	mustGet(t, c, "s1")
	clk.Add(6 * time.Minute) // 14 min: within both limits
	mustGet(t, c, "s1")
	clk.Add(time.Minute) // 15 min: the Gets cannot push it past expiresAt
	mustMiss(t, c, "s1")
}

func TestSessionCache_ExpiredEntryIsReplacedByAnyVersion(t *testing.T) {
	clk := newClock()
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{Now: clk.Now})
	mustPut(t, c, session("s1", 9), time.Minute, clk.Now().Add(time.Hour))
	clk.Add(2 * time.Minute)
	mustPut(t, c, session("s1", 3), time.Minute, clk.Now().Add(time.Hour))
	if got := mustGet(t, c, "s1"); got.Version != 3 {
		t.Fatalf("got version %d, want 3: an expired entry must not block a Put", got.Version)
	}
}

func TestSessionCache_PutAlreadyExpired(t *testing.T) {
	clk := newClock()
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{Now: clk.Now})
	mustPut(t, c, session("s1", 1), time.Hour, clk.Now().Add(time.Hour))

	t.Run("NewerDropsOlder", func(t *testing.T) {
		mustPut(t, c, session("s1", 2), time.Hour, clk.Now().Add(-time.Second))
		mustMiss(t, c, "s1")
	})
	t.Run("NothingStored", func(t *testing.T) {
		mustPut(t, c, session("s2", 1), 0, clk.Now().Add(time.Hour))
		mustMiss(t, c, "s2")
	})
	t.Run("OlderKeepsNewer", func(t *testing.T) {
		mustPut(t, c, session("s3", 5), time.Hour, clk.Now().Add(time.Hour))
		mustPut(t, c, session("s3", 4), time.Hour, clk.Now().Add(-time.Second))
		if got := mustGet(t, c, "s3"); got.Version != 5 {
			t.Fatalf("got version %d, want 5", got.Version)
		}
	})
}

func TestSessionCache_Delete(t *testing.T) {
	clk := newClock()
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{Now: clk.Now})
	mustPut(t, c, session("s1", 1), time.Hour, clk.Now().Add(time.Hour))
	if err := c.Delete(context.Background(), "u1", "s1"); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, c, "s1")
	if err := c.Delete(context.Background(), "u1", "never"); err != nil {
		t.Fatalf("Delete of a missing entry: %v", err)
	}
	// After a Delete any version may be stored again.
	mustPut(t, c, session("s1", 1), time.Hour, clk.Now().Add(time.Hour))
	mustGet(t, c, "s1")
}

func TestSessionCache_PutNil(t *testing.T) {
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{})
	if err := c.Put(context.Background(), nil, time.Hour, time.Now().Add(time.Hour)); !recall.IsCode(err, recall.EINVALID) {
		t.Fatalf("Put(nil) = %v, want EINVALID", err)
	}
}

func TestSessionCache_Bounded(t *testing.T) {
	t.Run("EvictsClosestToExpiry", func(t *testing.T) {
		clk := newClock()
		c := inmem.NewSessionCache(inmem.SessionCacheOptions{MaxEntries: 10, Now: clk.Now})
		for i := range 10 {
			// s0 expires first, s9 last.
			mustPut(t, c, session(fmt.Sprint("s", i), 1), time.Hour, clk.Now().Add(time.Duration(i+1)*time.Minute))
		}
		mustPut(t, c, session("new", 1), time.Hour, clk.Now().Add(time.Hour))
		if n := c.Len(); n != 10 {
			t.Fatalf("Len = %d, want 10", n)
		}
		mustMiss(t, c, "s0")
		for i := 1; i < 10; i++ {
			mustGet(t, c, fmt.Sprint("s", i))
		}
		mustGet(t, c, "new")
	})

	t.Run("ExpiredGoFirst", func(t *testing.T) {
		clk := newClock()
		c := inmem.NewSessionCache(inmem.SessionCacheOptions{MaxEntries: 10, Now: clk.Now})
		far := clk.Now().Add(24 * time.Hour)
		for i := range 10 {
			ttl := time.Hour
			if i%2 == 0 {
				ttl = time.Minute
			}
			mustPut(t, c, session(fmt.Sprint("s", i), 1), ttl, far)
		}
		clk.Add(2 * time.Minute)
		for i := range 3 {
			mustPut(t, c, session(fmt.Sprint("n", i), 1), time.Hour, far)
		}
		if n := c.Len(); n != 8 {
			t.Fatalf("Len = %d, want 8: the 5 expired entries removed, 5 live + 3 new kept", n)
		}
		for i := 1; i < 10; i += 2 {
			mustGet(t, c, fmt.Sprint("s", i))
		}
	})

	t.Run("Sharded", func(t *testing.T) {
		clk := newClock()
		const max = 2048
		c := inmem.NewSessionCache(inmem.SessionCacheOptions{MaxEntries: max, Now: clk.Now})
		for i := range 5 * max {
			mustPut(t, c, session(fmt.Sprint("s", i), 1), time.Hour, clk.Now().Add(time.Hour))
			clk.Add(time.Millisecond)
		}
		if n := c.Len(); n > max || n < max/2 {
			t.Fatalf("Len = %d, want between %d and %d", n, max/2, max)
		}
		mustGet(t, c, fmt.Sprint("s", 5*max-1))
	})
}

// TestSessionCache_Concurrent has writers put versions of the same sessions
// in random order while readers read and a deleter deletes: once the
// writers are done the cache holds the newest version of each session that
// was put after the last delete, and never an older one.
func TestSessionCache_Concurrent(t *testing.T) {
	clk := newClock()
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{MaxEntries: 4096, Now: clk.Now})
	ctx := context.Background()
	far := clk.Now().Add(time.Hour)
	const ids, versions, writers = 8, 200, 4

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			order := rand.Perm(versions)
			for _, v := range order {
				for i := range ids {
					s := session(fmt.Sprint("s", i), int64(v+1))
					s.Current = w
					if err := c.Put(ctx, s, time.Hour, far); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for j := range versions * ids {
				if s, err := c.Get(ctx, "u1", fmt.Sprint("s", j%ids)); err == nil {
					s.QuestionIDs[0] = "mutated" // must not reach the cache
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			_ = c.Delete(ctx, "u1", "s0")
		}
	})
	wg.Wait()

	// Every writer put the last version after any delete, so each id ends at
	// the newest version.
	for i := range ids {
		got := mustGet(t, c, fmt.Sprint("s", i))
		if i != 0 && got.Version != versions {
			t.Errorf("s%d: version %d, want %d", i, got.Version, versions)
		}
		if got.QuestionIDs[0] != "q1" {
			t.Errorf("s%d: a reader's change reached the cache", i)
		}
	}
	// s0 may have been deleted after its newest Put, then refilled by an
	// older one; a final newest Put must win again.
	mustPut(t, c, session("s0", versions), time.Hour, far)
	if got := mustGet(t, c, "s0"); got.Version != versions {
		t.Errorf("s0: version %d, want %d", got.Version, versions)
	}
}

func BenchmarkSessionCache_Get(b *testing.B) {
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{})
	ctx := context.Background()
	mustPut(b, c, session("s1", 1), time.Hour, time.Now().Add(time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, "u1", "s1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSessionCache_Put(b *testing.B) {
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{})
	ctx := context.Background()
	s := session("s1", 1)
	exp := time.Now().Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		s.Version++
		if err := c.Put(ctx, s, time.Hour, exp); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSessionCache_Metrics(t *testing.T) {
	m := metrics.New(nil)
	clk := newClock()
	c := inmem.NewSessionCache(inmem.SessionCacheOptions{Now: clk.Now, Metrics: m})
	mustMiss(t, c, "s1")
	mustPut(t, c, session("s1", 1), time.Hour, clk.Now().Add(time.Hour))
	mustGet(t, c, "s1")
	mustGet(t, c, "s1")
	hits := testutil.ToFloat64(m.CacheRequests.WithLabelValues("sessions", "hit"))
	misses := testutil.ToFloat64(m.CacheRequests.WithLabelValues("sessions", "miss"))
	if hits != 2 || misses != 1 {
		t.Fatalf("hits %v misses %v, want 2 and 1", hits, misses)
	}
}
