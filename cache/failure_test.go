package cache_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// TestRedisStalledOrDown: with Redis stalled (SIGSTOP) or killed, every
// read is served from the database within the Redis timeout, the breaker
// opens, writes stay visible, and when Redis is back the caches refill on
// their own without serving what the outage made stale.
func TestRedisStalledOrDown(t *testing.T) {
	for _, near := range []bool{false, true} {
		name := "NoNearCache"
		if near {
			name = "NearCache"
		}
		t.Run(name, func(t *testing.T) { testRedisStalledOrDown(t, near) })
	}
}

func testRedisStalledOrDown(t *testing.T, near bool) {
	const timeout = 100 * time.Millisecond
	// Slack for a loaded machine: a call may wait for its own timeout and
	// for one flush of kept invalidations, each bounded by the timeout.
	const bound = 2*timeout + 900*time.Millisecond
	ctx := context.Background()
	srv := redistest.StartServer(t)
	c := connect(t, srv.URL, redis.Options{
		Prefix: "recall:", Timeout: timeout, DisableNearCache: !near,
		BreakerThreshold: 3, BreakerCooldown: 100 * time.Millisecond, DialTimeout: 300 * time.Millisecond,
	})
	db := openDB(t)
	f := newFixture(t, db)
	in := newInstance(db, redis.NewBackend(c), cache.Options{})
	u := f.user()
	tp := f.newTopic(u, "v0")
	if err := in.topics.CreateTopic(ctx, tp); err != nil {
		t.Fatal(err)
	}
	if err := in.questions.AddQuestions(ctx, u.ID, tp.ID, f.newQuestions(tp, 5)); err != nil {
		t.Fatal(err)
	}
	hash, _ := f.token(u)

	// check reads all three caches, each within bound and equal to the
	// database.
	check := func(phase string) {
		t.Helper()
		for _, read := range []struct {
			name string
			got  func() (any, error)
			want func() (any, error)
		}{
			{"Topics", func() (any, error) { return in.topics.Topics(ctx, u.ID) }, func() (any, error) { return db.Topics(ctx, u.ID) }},
			{"Questions", func() (any, error) { return in.questions.Questions(ctx, tp.UserID, tp.ID) }, func() (any, error) { return db.Questions(ctx, tp.UserID, tp.ID) }},
			{"TokenByHash", func() (any, error) { return in.tokens.TokenByHash(ctx, hash) }, func() (any, error) { return db.TokenByHash(ctx, hash) }},
		} {
			start := time.Now()
			got, err := read.got()
			if d := time.Since(start); d > bound {
				t.Fatalf("%s: %s took %v; bound %v", phase, read.name, d, bound)
			}
			if err != nil {
				t.Fatalf("%s: %s failed: %v", phase, read.name, err)
			}
			if want, _ := read.want(); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: %s = %+v; want %+v", phase, read.name, got, want)
			}
		}
	}
	update := func(title string) {
		t.Helper()
		start := time.Now()
		if _, err := in.topics.UpdateTopic(ctx, u.ID, tp.ID, recall.TopicInput{Title: strp(title)}, f.tick()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > bound {
			t.Fatalf("UpdateTopic took %v; bound %v", d, bound)
		}
	}
	waitHits := func(phase string) {
		t.Helper()
		before := in.count("topics", "hit")
		deadline := time.Now().Add(10 * time.Second)
		for in.count("topics", "hit") <= before+1 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the cache did not serve hits again within 10s", phase)
			}
			check(phase)
			time.Sleep(20 * time.Millisecond)
		}
	}

	check("warm")
	check("warm")

	// Stalled: connections stay open, nothing answers.
	srv.Pause(t)
	errorsBefore := in.count("topics", "error")
	for i := range 15 {
		check("stalled")
		if i == 5 {
			update("v1") // its invalidation cannot reach Redis: kept
		}
	}
	if in.count("topics", "error") <= errorsBefore {
		t.Fatal("no lookup was counted as an error while Redis was stalled")
	}
	if got := c.Status(ctx); got != redis.StatusDegraded {
		t.Fatalf("Status while stalled = %q; want degraded", got)
	}
	srv.Resume(t)
	// Redis still holds the list with "v0": the kept invalidation is
	// replayed before the cache serves again, so "v1" is read.
	waitHits("resumed")
	if got, _ := in.topics.Topic(ctx, u.ID, tp.ID); got.Title != "v1" {
		t.Fatalf("after the stall the title is %q; want v1", got.Title)
	}

	// Killed: connections refused.
	srv.Kill(t)
	for i := range 15 {
		check("killed")
		if i == 5 {
			update("v2")
		}
	}
	if got := c.Status(ctx); got != redis.StatusDegraded {
		t.Fatalf("Status while down = %q; want degraded", got)
	}
	srv.Start(t)
	waitHits("restarted")
	if got, _ := in.topics.Topic(ctx, u.ID, tp.ID); got.Title != "v2" {
		t.Fatalf("after the restart the title is %q; want v2", got.Title)
	}
	if got := c.Status(ctx); got != redis.StatusOK {
		t.Fatalf("Status after the restart = %q; want ok", got)
	}
}

// TestNoStampedeWithoutRedis: with Redis down, concurrent lookups of a key
// still share their database reads.
func TestNoStampedeWithoutRedis(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartServer(t)
	c := connect(t, srv.URL, redis.Options{Prefix: "recall:", BreakerThreshold: 1, BreakerCooldown: time.Hour})
	db := openDB(t)
	f := newFixture(t, db)
	in := newInstance(db, redis.NewBackend(c), cache.Options{})
	in.inner.delay = 20 * time.Millisecond
	u := f.user()
	if err := db.CreateTopic(ctx, f.newTopic(u, "Go")); err != nil {
		t.Fatal(err)
	}
	srv.Kill(t)
	c.Status(ctx) // opens the breaker
	const readers = 50
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			<-start
			if list, err := in.topics.Topics(ctx, u.ID); err != nil || len(list) != 1 {
				t.Error(list, err)
			}
		})
	}
	close(start)
	wg.Wait()
	n := in.inner.topics.Load()
	t.Logf("%d concurrent lookups with Redis down made %d database reads", readers, n)
	if n > readers/5 {
		t.Fatalf("%d concurrent lookups with Redis down made %d database reads; want them shared", readers, n)
	}
	if got := in.count("topics", "error"); got != readers {
		t.Fatalf("%d lookups counted as errors; want %d", got, readers)
	}
}

// TestCorruptEntry: an entry that does not decode is dropped and the
// lookup is served from the database.
func TestCorruptEntry(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		b := k.new(t, space)
		in := newInstance(db, b, cache.Options{})
		u := f.user()
		if err := db.CreateTopic(ctx, f.newTopic(u, "Go")); err != nil {
			t.Fatal(err)
		}
		key := cache.TopicsKey(u.ID)
		l, err := b.Lease(ctx, key, false, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := b.Fill(ctx, key, l.Token, []byte("{not json"), time.Minute); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if list, err := in.topics.Topics(ctx, u.ID); err != nil || len(list) != 1 || list[0].Title != "Go" {
			t.Fatalf("Topics over a corrupt entry = %+v, %v", list, err)
		}
		if in.count("topics", "error") != 1 {
			t.Fatal("the corrupt entry was not counted as an error")
		}
		if list, err := in.topics.Topics(ctx, u.ID); err != nil || len(list) != 1 {
			t.Fatalf("Topics after the corrupt entry was dropped = %+v, %v", list, err)
		}
		if in.count("topics", "miss") != 1 {
			t.Fatalf("after a corrupt entry: %d misses; want 1 (the entry dropped, then filled)", in.count("topics", "miss"))
		}
	})
}
