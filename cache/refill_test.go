package cache_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// refills returns the refills of cache with result that in counted.
func (in *instance) refills(cache, result string) int {
	return int(testutil.ToFloat64(in.m.CacheRefills.WithLabelValues(cache, result)))
}

// reads returns the topic lists and question banks in read from the
// primary store so far.
func (in *instance) reads() (topics, questions int64) {
	return in.inner.topics.Load(), in.inner.questions.Load()
}

// wantHit reads the topic and fails unless it has title and was read
// without loading the topic list from the database.
func (in *instance) wantHit(t *testing.T, userID, topicID, title string) {
	t.Helper()
	before, _ := in.reads()
	if got, err := in.topics.Topic(context.Background(), userID, topicID); err != nil || got.Title != title {
		t.Fatalf("Topic = %+v, %v; want the title %s", got, err, title)
	}
	if after, _ := in.reads(); after != before {
		t.Fatalf("the read after the refill loaded %d topic lists from the database; want 0", after-before)
	}
}

// newRefiller returns a Refiller closed when the test ends.
func newRefiller(t *testing.T, opts cache.RefillOptions) *cache.Refiller {
	r := cache.NewRefiller(opts)
	t.Cleanup(r.Close)
	return r
}

// pause holds the first fill of one key between its load and its write to
// the backend (cache.Options.AfterLoad) until release: an exact
// interleaving, no sleeps.
type pause struct {
	key     string
	armed   atomic.Bool
	paused  atomic.Bool
	loaded  chan struct{} // closed once the held fill has loaded
	resume  chan struct{}
	release func() // lets it go on; safe to call more than once
}

// newPause returns an armed pause of key. Make it after the Refiller: it
// is released when the test ends, before the Refiller is closed.
func newPause(t *testing.T, key string) *pause {
	p := &pause{key: key, loaded: make(chan struct{}), resume: make(chan struct{})}
	p.release = sync.OnceFunc(func() { close(p.resume) })
	p.armed.Store(true)
	t.Cleanup(p.release)
	return p
}

// afterLoad is the hook.
func (p *pause) afterLoad(key string) {
	if key == p.key && p.armed.Load() && p.paused.CompareAndSwap(false, true) {
		close(p.loaded)
		<-p.resume
	}
}

// held is a Refiller of one worker, held by the paused refill of another
// user's topic list, and a user's topic, whose refills queue behind it.
type held struct {
	m  *metrics.Metrics // the Refiller's
	f  *fixture
	db recall.Store
	in *instance
	rf *cache.Refiller
	p  *pause
	u  *recall.User
	tp *recall.Topic
}

// holdWorker returns a held Refiller over b, its worker paused.
func holdWorker(t *testing.T, b cache.Backend) *held {
	t.Helper()
	ctx := context.Background()
	db := openDB(t)
	h := &held{f: newFixture(t, db), db: db, m: metrics.New(nil)}
	other := h.f.user()
	h.u = h.f.user()
	blocker := h.f.newTopic(other, "b0")
	h.tp = h.f.newTopic(h.u, "v0")
	for _, x := range []*recall.Topic{h.tp, blocker} {
		if err := db.CreateTopic(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	h.rf = newRefiller(t, cache.RefillOptions{Workers: 1, Metrics: h.m})
	h.p = newPause(t, cache.TopicsKey(other.ID))
	h.in = newInstance(db, b, cache.Options{Refill: h.rf, AfterLoad: h.p.afterLoad})
	if _, err := h.in.topics.UpdateTopic(ctx, other.ID, blocker.ID, recall.TopicInput{Title: strp("b1")}, h.f.tick()); err != nil {
		t.Fatal(err)
	}
	<-h.p.loaded
	return h
}

// update sets the title of the user's topic.
func (h *held) update(t *testing.T, title string) {
	t.Helper()
	if _, err := h.in.topics.UpdateTopic(context.Background(), h.u.ID, h.tp.ID, recall.TopicInput{Title: strp(title)}, h.f.tick()); err != nil {
		t.Fatalf("UpdateTopic %s: %v", title, err)
	}
}

// TestRefillAfterWrite: after a write drops a topic list and a question
// bank, the writer refills both in the background, and the next reads
// hit without reading the database, on the writing instance and (its
// near-cache told by Redis) on another one. Without a refiller the same
// reads load from the database.
func TestRefillAfterWrite(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		rf := newRefiller(t, cache.RefillOptions{})
		a := newInstance(db, k.new(t, space), cache.Options{Refill: rf})
		u := f.user()
		tp := f.newTopic(u, "v0")
		if err := db.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		qs := f.newQuestions(tp, 4)
		if err := db.AddQuestions(ctx, u.ID, tp.ID, qs); err != nil {
			t.Fatal(err)
		}
		var b *instance
		if k.shared {
			// Another instance, without a refiller, whose near-cache (if
			// any) holds the values the write drops.
			b = newInstance(db, k.new(t, space), cache.Options{})
		}
		for _, in := range []*instance{a, b} {
			if in == nil {
				continue
			}
			if _, err := in.topics.Topics(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := in.questions.Questions(ctx, tp.UserID, tp.ID); err != nil {
				t.Fatal(err)
			}
		}

		// UpdateQuestion drops the bank and the owner's topic list.
		explanation := "Edited"
		if _, err := a.questions.UpdateQuestion(ctx, u.ID, tp.ID, qs[1].ID, recall.QuestionInput{Explanation: &explanation}, f.tick()); err != nil {
			t.Fatal(err)
		}
		rf.Wait()
		if got := a.refills("topics", "filled") + a.refills("questions", "filled"); got != 2 {
			t.Fatalf("refills filled = %d; want 2 (the topic list and the bank)", got)
		}
		want, err := db.Topics(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, in *instance) {
			t.Helper()
			topics, questions := in.reads()
			hits := in.count("topics", "hit") + in.count("questions", "hit")
			got, err := in.topics.Topics(ctx, u.ID)
			if err != nil || len(got) != 1 || !got[0].UpdatedAt.Equal(want[0].UpdatedAt) {
				t.Fatalf("%s: Topics = %+v, %v; want %+v", name, got, err, want)
			}
			bank, err := in.questions.Questions(ctx, tp.UserID, tp.ID)
			if err != nil || len(bank) != len(qs) || bank[1].Explanation != explanation {
				t.Fatalf("%s: Questions = %+v, %v; want the question edited", name, bank, err)
			}
			if t2, q2 := in.reads(); t2 != topics || q2 != questions {
				t.Fatalf("%s: the reads after the refill loaded %d topic lists and %d banks from the database; want 0", name, t2-topics, q2-questions)
			}
			if got := in.count("topics", "hit") + in.count("questions", "hit"); got != hits+2 {
				t.Fatalf("%s: %d hits; want 2", name, got-hits)
			}
		}
		check("the writing instance", a)
		if b == nil {
			return
		}
		// Another instance serves what Redis holds once Redis's push has
		// dropped its near-cache copy; whatever it serves meanwhile is a
		// hit, never a read of the database, since the refill was done
		// before it read.
		topics, questions := b.reads()
		deadline := time.Now().Add(10 * time.Second)
		for {
			bank, err := b.questions.Questions(ctx, tp.UserID, tp.ID)
			if err != nil {
				t.Fatal(err)
			}
			if bank[1].Explanation == explanation {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("another instance still reads the old bank after 10s")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if t2, q2 := b.reads(); t2 != topics || q2 != questions {
			t.Fatalf("another instance loaded %d topic lists and %d banks from the database; want 0", t2-topics, q2-questions)
		}
		check("another instance", b)
	})
}

// TestRefillOffMisses is the baseline of TestRefillAfterWrite: without a
// refiller the read after a write loads from the database.
func TestRefillOffMisses(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		a := newInstance(db, k.new(t, space), cache.Options{})
		u := f.user()
		tp := f.newTopic(u, "v0")
		if err := a.topics.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		if _, err := a.topics.Topics(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.topics.UpdateTopic(ctx, u.ID, tp.ID, recall.TopicInput{Title: strp("v1")}, f.tick()); err != nil {
			t.Fatal(err)
		}
		before, _ := a.reads()
		if got, err := a.topics.Topic(ctx, u.ID, tp.ID); err != nil || got.Title != "v1" {
			t.Fatalf("Topic = %+v, %v; want v1", got, err)
		}
		if after, _ := a.reads(); after != before+1 {
			t.Fatalf("the read after the write loaded %d topic lists; want 1", after-before)
		}
	})
}

// TestRefillLosesToARacingWrite: a write that commits while a refill has
// loaded the older row and not yet filled it wins: the refill's fill finds
// its lease gone and stores nothing, the write's own refill stores the
// newer row, and reads serve it. The refill is paused in the fill's
// AfterLoad hook, so the interleaving is exact.
func TestRefillLosesToARacingWrite(t *testing.T) {
	forEachBackend(t, false, func(t *testing.T, k backendKind, space string) {
		ctx := context.Background()
		db := openDB(t)
		f := newFixture(t, db)
		u := f.user()
		tp := f.newTopic(u, "v0")
		if err := db.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		rf := newRefiller(t, cache.RefillOptions{})
		p := newPause(t, cache.TopicsKey(u.ID))
		p.armed.Store(false)
		a := newInstance(db, k.new(t, space), cache.Options{Refill: rf, AfterLoad: p.afterLoad})
		if _, err := a.topics.Topics(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		p.armed.Store(true)
		if _, err := a.topics.UpdateTopic(ctx, u.ID, tp.ID, recall.TopicInput{Title: strp("v1")}, f.tick()); err != nil {
			t.Fatal(err)
		}
		<-p.loaded // the refill has read "v1"
		// The racing write commits and drops the key (and the lease the
		// paused refill holds) before that refill fills.
		if _, err := a.topics.UpdateTopic(ctx, u.ID, tp.ID, recall.TopicInput{Title: strp("v2")}, f.tick()); err != nil {
			t.Fatal(err)
		}
		p.release()
		rf.Wait()

		if got := a.refills("topics", "lost"); got != 1 {
			t.Fatalf("refills lost = %d; want 1 (the refill that read v1)", got)
		}
		if got := a.refills("topics", "filled"); got != 1 {
			t.Fatalf("refills filled = %d; want 1 (the racing write's)", got)
		}
		val, ok, err := a.b.Get(ctx, cache.TopicsKey(u.ID))
		if err != nil || !ok {
			t.Fatalf("the backend holds no topic list after the refills: %v", err)
		}
		list, err := cache.DecodeTopics(val)
		if err != nil || len(list) != 1 || list[0].Title != "v2" {
			t.Fatalf("the backend holds %+v, %v; want the title v2", list, err)
		}
		a.wantHit(t, u.ID, tp.ID, "v2")
	})
}

// TestRefillCoalesces: writes to one key while its refill waits for a
// worker queue one refill, which loads after all of them.
func TestRefillCoalesces(t *testing.T) {
	h := holdWorker(t, backendKinds()[0].new(t, ""))
	for _, title := range []string{"v1", "v2", "v3"} {
		h.update(t, title)
	}
	if got := testutil.ToFloat64(h.m.CacheRefillsPending); got != 2 {
		t.Fatalf("refills pending = %v; want 2 (the held one and u's)", got)
	}
	h.p.release()
	h.rf.Wait()
	if got := testutil.ToFloat64(h.m.CacheRefillsPending); got != 0 {
		t.Fatalf("refills pending = %v after Wait; want 0", got)
	}
	if got := h.in.refills("topics", "coalesced"); got != 2 {
		t.Fatalf("refills coalesced = %d; want 2", got)
	}
	if got := h.in.refills("topics", "filled"); got != 2 {
		t.Fatalf("refills filled = %d; want 2 (one per user)", got)
	}
	h.in.wantHit(t, h.u.ID, h.tp.ID, "v3")
}

// TestRefillRedisDown: refills that meet a Redis that is down fail in
// the background and change nothing for the writer: its writes return
// nil, and once Redis is back the reads serve the last write.
func TestRefillRedisDown(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartServer(t)
	c := connect(t, srv.URL, redis.Options{
		Prefix: "recall:", Timeout: 100 * time.Millisecond, DisableNearCache: true,
		BreakerThreshold: 3, BreakerCooldown: 100 * time.Millisecond, DialTimeout: 300 * time.Millisecond,
	})
	h := holdWorker(t, redis.NewBackend(c))
	in, u, tp := h.in, h.u, h.tp
	if _, err := in.topics.Topics(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	// u's write invalidates while Redis is up; its refill waits behind
	// the held one, which has loaded and not filled.
	h.update(t, "v1")
	srv.Kill(t)
	h.p.release()
	h.rf.Wait()
	if got := in.refills("topics", "error"); got != 2 {
		t.Fatalf("refills failed = %d; want 2 (the fill and the lease that met Redis down)", got)
	}
	// A write while Redis is down: its invalidation is kept, and nothing
	// is refilled.
	h.update(t, "v2")
	h.rf.Wait()
	if got := in.refills("topics", "error"); got != 2 {
		t.Fatalf("refills failed = %d after a write while Redis is down; want still 2 (no refill asked for)", got)
	}
	if got, err := h.db.Topic(ctx, u.ID, tp.ID); err != nil || got.Title != "v2" {
		t.Fatalf("the database holds %+v, %v; want v2", got, err)
	}

	srv.Start(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := in.topics.Topic(ctx, u.ID, tp.ID)
		if err != nil || got.Title != "v2" {
			t.Fatalf("Topic = %+v, %v; want v2 (the last write) whether Redis answers or not", got, err)
		}
		if c.Status(ctx) == redis.StatusOK && in.count("topics", "hit") > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache did not serve hits again within 10s of Redis's restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRefillClose: Close abandons the queued refills and cancels the
// running one, and writes after Close refill nothing.
func TestRefillClose(t *testing.T) {
	h := holdWorker(t, backendKinds()[0].new(t, ""))
	h.update(t, "v1")
	// Close while the worker is still held, so u's refill is queued, not
	// started, when Close abandons it; the held refill ends on release.
	closed := make(chan struct{})
	go func() {
		h.rf.Close()
		close(closed)
	}()
	for !h.rf.Closed() {
		time.Sleep(time.Millisecond)
	}
	h.p.release()
	<-closed
	h.rf.Close() // twice is fine
	h.rf.Wait()  // nothing outstanding
	h.update(t, "v2")
	if got := h.in.refills("topics", "filled") + h.in.refills("topics", "error") + h.in.refills("topics", "lost"); got > 1 {
		t.Fatalf("%d refills ran; want at most the one running at Close", got)
	}
	if got, err := h.in.topics.Topic(context.Background(), h.u.ID, h.tp.ID); err != nil || got.Title != "v2" {
		t.Fatalf("Topic = %+v, %v; want v2", got, err)
	}
}
