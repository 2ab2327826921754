package redis_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/cache/cachetest"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// TestClusterThreeMasters runs everything of the Redis layer and the rate
// limiter on a Redis Cluster of three masters, where keys really live on
// different servers: the client refuses a command or script over keys of
// different slots, and a server refuses keys of a slot it does not serve.
func TestClusterThreeMasters(t *testing.T) {
	cl := redistest.StartShardedCluster(t, 3)
	newClient := func(t *testing.T, opts redis.Options) *redis.Client {
		if opts.Prefix == "" {
			opts.Prefix = "test:" + rand.Text()[:10] + ":" // a private cluster: no cleanup
		}
		return connectURL(t, cl.URL, opts)
	}
	c := newClient(t, redis.Options{})
	if mode := c.Rueidis().Mode(); mode != "cluster" {
		t.Fatalf("client mode = %q; want cluster", mode)
	}
	if n := len(c.Rueidis().Nodes()); n != 3 {
		t.Fatalf("the client knows %d nodes; want 3", n)
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

	t.Run("HashTags", func(t *testing.T) {
		// Redis's own KEYSLOT: the keys each script touches together are
		// in one slot, and the key families spread over the nodes.
		const prefix = "recall:"
		groups := [][]string{
			// A user's keys, the banks of the user's topics among them,
			// which a turn reads with the token check and the session.
			{prefix + cache.TopicsKey("u1"), prefix + cache.TopicsKey("u1") + ":lease",
				prefix + cache.QuestionsKey("u1", "t1"), prefix + cache.QuestionsKey("u1", "t1") + ":lease",
				prefix + cache.MemoriesKey("u1", "t1"), prefix + cache.SessionKey("u1", "s1")},
			{prefix + cache.TokenKey([]byte{0xab, 0xcd}), prefix + cache.TokenKey([]byte{0xab, 0xcd}) + ":lease"},
			// The rate limiter's keys of one principal (see ratelimit/redis.go).
			{prefix + "rl:user:{u1}:default", prefix + "rl:user:{u1}:turns", prefix + "rl:user:{u1}:writes"},
		}
		for _, g := range groups {
			want := cl.Slot(t, g[0])
			for _, k := range g[1:] {
				if got := cl.Slot(t, k); got != want {
					t.Errorf("%s is in slot %d, %s in slot %d: one script touches both", g[0], want, k, got)
				}
			}
		}
		owners := map[int]bool{}
		for i := range 30 {
			owners[cl.Owner(t, cl.Slot(t, prefix+cache.TopicsKey(fmt.Sprint("user", i))))] = true
		}
		if len(owners) != 3 {
			t.Fatalf("30 users' topic lists live on %d nodes; want all 3", len(owners))
		}
	})

	t.Run("InvalidateAcrossNodes", func(t *testing.T) {
		// An invalidation of keys on three different nodes in one call
		// (a topic list, a bank of another user, a token).
		c := newClient(t, redis.Options{})
		b := redis.NewBackend(c)
		keys := keysOnEveryNode(t, cl, c.Prefix())
		for _, k := range keys {
			fill(t, b, k, "v")
		}
		if err := b.Invalidate(context.Background(), keys...); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, ok, err := b.Get(context.Background(), k); ok || err != nil {
				t.Fatalf("%s after Invalidate: %v, %v", k, ok, err)
			}
			if n := exists(t, c, c.Prefix()+k); n != 0 {
				t.Fatalf("%s is still in Redis", k)
			}
		}
	})

	t.Run("RateLimitExact", func(t *testing.T) {
		rateLimitExact(t, cl.URL)
	})

	t.Run("Coherence", func(t *testing.T) {
		clusterCoherence(t, cl, newClient)
	})
}

// keysOnEveryNode returns a topic list, a question bank and a token key,
// each on another node of cl.
func keysOnEveryNode(tb testing.TB, cl *redistest.Cluster, prefix string) []string {
	tb.Helper()
	var keys []string
	used := map[int]bool{}
	for _, mk := range []func(string) string{
		cache.TopicsKey, func(s string) string { return cache.QuestionsKey(s, "t1") },
		func(s string) string { return cache.TokenKey([]byte(s)) },
	} {
		for i := 0; ; i++ {
			k := mk(fmt.Sprint("id", i))
			if n := cl.Owner(tb, cl.Slot(tb, prefix+k)); !used[n] {
				used[n] = true
				keys = append(keys, k)
				break
			}
		}
	}
	return keys
}

func exists(tb testing.TB, c *redis.Client, key string) int64 {
	tb.Helper()
	rc := c.Rueidis()
	n, err := rc.Do(context.Background(), rc.B().Exists().Key(key).Build()).AsInt64()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// rateLimitExact is the exactness test of the rate limiter across three
// instances, each with its own connection to the cluster: for each of three
// principals (on different slots), 200 concurrent requests admit exactly the
// quota, and refused requests consume nothing of the other policy.
func rateLimitExact(t *testing.T, url string) {
	prefix := "test:rl:" + rand.Text()[:8] + ":"
	// A long window makes the refill during the burst (one per 72s) zero.
	ps := ratelimit.Policies{
		"burst": {Name: "burst", Quota: 50, Window: time.Hour},
		"other": {Name: "other", Quota: 1000, Window: time.Hour},
	}
	var ls [3]*ratelimit.Limiter
	var ms [3]*metrics.Metrics
	for i := range ls {
		c := connectURL(t, url, redis.Options{Prefix: prefix, DisableNearCache: true, Timeout: 5 * time.Second})
		ms[i] = metrics.New(nil)
		l, err := ratelimit.New(ratelimit.Config{Policies: ps, Backend: redis.NewRateLimiter(c), Metrics: ms[i]})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		ls[i] = l
	}
	principals := []string{"user:alice", "user:bob", "ip:192.0.2.7"}
	const perPrincipal = 200
	var admitted [3]atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	began := time.Now()
	for p := range principals {
		for i := range perPrincipal {
			wg.Go(func() {
				<-start
				if ok, _ := ls[i%3].Limit(context.Background(), principals[p], []string{"burst", "other"}, nil); ok {
					admitted[p].Add(1)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	refill := int64(time.Since(began) / (72 * time.Second))
	for p, who := range principals {
		if got := admitted[p].Load(); got < 50 || got > 50+refill {
			t.Errorf("%s: %d concurrent requests over 3 instances admitted %d; want the quota of 50 (+%d refilled)", who, perPrincipal, got, refill)
		}
	}
	for i, m := range ms {
		for _, r := range []string{ratelimit.ResultFallbackAllowed, ratelimit.ResultFallbackLimited} {
			if n := testutil.ToFloat64(m.RateLimitDecisions.WithLabelValues("burst", r)); n != 0 {
				t.Errorf("instance %d: %v %s decisions: Redis did not decide them all", i, n, r)
			}
		}
	}
	// The refused requests consumed nothing of "other": 1000 - 50 - this one.
	for _, who := range principals {
		h := http.Header{}
		if ok, _ := ls[0].Limit(context.Background(), who, []string{"other"}, h); !ok {
			t.Fatalf("%s: other refused", who)
		}
		if got, want := h.Get("RateLimit"), `"other";r=949;`; len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("%s: RateLimit = %q, want it to start with %q", who, got, want)
		}
	}
}

// instance is one server's caches over the shared database.
type instance struct {
	topics    *cache.TopicStore
	questions *cache.QuestionStore
}

// clusterCoherence repeats the coherence properties of the cache layer on
// the cluster: a fill that raced with an invalidation does not write the
// old value back; a write through one instance is seen at once by the
// others (near-cache off) or by itself (near-cache on); deleting a topic
// drops its user's list and its bank, both in the user's slot.
func clusterCoherence(t *testing.T, cl *redistest.Cluster, newClient func(*testing.T, redis.Options) *redis.Client) {
	ctx := context.Background()
	db := openSQLite(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tick := func() time.Time { now = now.Add(time.Second); return now }
	newUser := func() *recall.User {
		u := &recall.User{ID: recall.NewID(), CreatedAt: tick()}
		u.Username = "user" + u.ID[:10]
		if err := db.CreateUser(ctx, u, "hash"); err != nil {
			t.Fatal(err)
		}
		return u
	}
	newTopic := func(uid, title string) *recall.Topic {
		at := tick()
		return &recall.Topic{ID: recall.NewID(), UserID: uid, Title: title, CreatedAt: at, UpdatedAt: at}
	}
	newQuestion := func(tid string) *recall.Question {
		at := tick()
		id := recall.NewID()
		return &recall.Question{ID: id, TopicID: tid, Prompt: "Prompt " + id, Answers: []string{"a"}, CreatedAt: at, UpdatedAt: at}
	}
	newInstance := func(prefix string, near bool, opts cache.Options) *instance {
		b := redis.NewBackend(newClient(t, redis.Options{Prefix: prefix, DisableNearCache: !near}))
		return &instance{topics: cache.NewTopicStore(db, b, opts), questions: cache.NewQuestionStore(db, b, opts)}
	}
	title := func(in *instance, uid, tid string) string {
		t.Helper()
		tp, err := in.topics.Topic(ctx, uid, tid)
		if err != nil {
			t.Fatal(err)
		}
		return tp.Title
	}

	t.Run("FillRace", func(t *testing.T) {
		prefix := "test:" + rand.Text()[:10] + ":"
		u := newUser()
		tp := newTopic(u.ID, "old")
		if err := db.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		loaded, resume := make(chan struct{}), make(chan struct{})
		var once sync.Once
		reader := newInstance(prefix, false, cache.Options{AfterLoad: func(key string) {
			if key == cache.TopicsKey(u.ID) {
				once.Do(func() { close(loaded); <-resume })
			}
		}})
		writer := newInstance(prefix, false, cache.Options{})
		other := newInstance(prefix, false, cache.Options{})
		done := make(chan error, 1)
		go func() { _, err := reader.topics.Topics(ctx, u.ID); done <- err }()
		<-loaded // the reader has read "old" from the database and holds the lease
		if _, err := writer.topics.UpdateTopic(ctx, u.ID, tp.ID, recall.TopicInput{Title: strp("new")}, tick()); err != nil {
			t.Fatal(err)
		}
		close(resume) // now the reader tries to store "old"
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for name, in := range map[string]*instance{"reader": reader, "writer": writer, "other": other} {
			if got := title(in, u.ID, tp.ID); got != "new" {
				t.Fatalf("%s reads %q after the write was acknowledged: the raced fill wrote the old value back", name, got)
			}
		}
	})

	for _, near := range []bool{false, true} {
		t.Run(fmt.Sprintf("AcrossInstances/near=%v", near), func(t *testing.T) {
			prefix := "test:" + rand.Text()[:10] + ":"
			var ins [3]*instance
			for i := range ins {
				ins[i] = newInstance(prefix, near, cache.Options{})
			}
			users := []*recall.User{newUser(), newUser(), newUser()}
			topics := make([]*recall.Topic, len(users))
			banks := make([]int, len(users))
			for i, u := range users {
				topics[i] = newTopic(u.ID, "0")
				if err := ins[i].topics.CreateTopic(ctx, topics[i]); err != nil {
					t.Fatal(err)
				}
			}
			for n := 1; n <= 30; n++ {
				w, ui := ins[n%3], (n/3)%len(users)
				u, tp := users[ui], topics[ui]
				want := fmt.Sprint(n)
				if n%4 == 0 {
					if err := w.questions.AddQuestions(ctx, u.ID, tp.ID, []*recall.Question{newQuestion(tp.ID)}); err != nil {
						t.Fatal(err)
					}
					banks[ui]++
				}
				if _, err := w.topics.UpdateTopic(ctx, u.ID, tp.ID, recall.TopicInput{Title: &want}, tick()); err != nil {
					t.Fatal(err)
				}
				for i, in := range ins {
					check := func() error {
						got, err := in.topics.Topic(ctx, u.ID, tp.ID)
						if err != nil {
							return err
						}
						qs, err := in.questions.Questions(ctx, tp.UserID, tp.ID)
						if err != nil {
							return err
						}
						if got.Title != want || len(got.QuestionIDs) != banks[ui] || len(qs) != banks[ui] {
							return fmt.Errorf("instance %d reads title %q with %d/%d questions after write %d (title %q, %d questions) through instance %d",
								i, got.Title, len(got.QuestionIDs), len(qs), n, want, banks[ui], n%3)
						}
						return nil
					}
					if err := check(); err != nil {
						if !near || in == w {
							t.Fatal(err)
						}
						// With the near-cache another instance may read its
						// local copy until Redis's invalidation push arrives.
						waitFor(t, 2*time.Second, "another instance sees the write", func() bool { return check() == nil })
					}
				}
			}
		})
	}

	t.Run("DeleteTopic", func(t *testing.T) {
		// DeleteTopic drops the owner's topic list and the topic's bank,
		// which lives in the owner's slot, and both instances see it.
		prefix := "test:" + rand.Text()[:10] + ":"
		a := newInstance(prefix, true, cache.Options{})
		b := newInstance(prefix, true, cache.Options{})
		u := newUser()
		tp := newTopic(u.ID, "doomed")
		if ls, bs := cl.Slot(t, prefix+cache.TopicsKey(u.ID)), cl.Slot(t, prefix+cache.QuestionsKey(u.ID, tp.ID)); ls != bs {
			t.Fatalf("the topic list is in slot %d, the bank in slot %d; want the owner's one slot", ls, bs)
		}
		if err := a.topics.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		if err := a.questions.AddQuestions(ctx, u.ID, tp.ID, []*recall.Question{newQuestion(tp.ID)}); err != nil {
			t.Fatal(err)
		}
		for _, in := range []*instance{a, b} { // fill both caches, warm both near-caches
			if _, err := in.topics.Topics(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if qs, err := in.questions.Questions(ctx, tp.UserID, tp.ID); err != nil || len(qs) != 1 {
				t.Fatalf("Questions = %d, %v", len(qs), err)
			}
		}
		if err := b.topics.DeleteTopic(ctx, u.ID, tp.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.topics.Topic(ctx, u.ID, tp.ID); recall.ErrorCode(err) != recall.ENOTFOUND {
			t.Fatalf("the deleting instance: Topic = %v; want not found", err)
		}
		if qs, err := b.questions.Questions(ctx, tp.UserID, tp.ID); err == nil && len(qs) != 0 {
			t.Fatalf("the deleting instance still serves the deleted topic's %d questions", len(qs))
		}
		waitFor(t, 2*time.Second, "the other instance sees the delete", func() bool {
			_, err := a.topics.Topic(ctx, u.ID, tp.ID)
			qs, qerr := a.questions.Questions(ctx, tp.UserID, tp.ID)
			return recall.ErrorCode(err) == recall.ENOTFOUND && (qerr != nil || len(qs) == 0)
		})
	})
}

func strp(s string) *string { return &s }

// TestMovedDuringResharding moves the slot of a cached key, and the slot of
// a cached session, from one master to another, step by step as redis-cli
// --cluster reshard does, with reads going on all along: no read fails or
// returns anything but the current value. Reads of a key already moved are
// answered through ASK, then MOVED once the slot is reassigned; a write
// over a key and its lease that arrives while only part of the slot has
// moved gets TRYAGAIN, is retried by the Client, and succeeds once the slot
// is stable.
func TestMovedDuringResharding(t *testing.T) {
	cl := redistest.StartShardedCluster(t, 3)
	ctx := context.Background()
	const prefix = "test:moved:"
	wm := metrics.New(nil)
	// Every client waits up to 30 s for an answer: the test proves that
	// the answers are right across a resharding, not that they are quick
	// (with the default 100 ms a read timed out on a busy machine).
	const timeout = 30 * time.Second
	reader := redis.NewBackend(connectURL(t, cl.URL, redis.Options{Prefix: prefix, Timeout: timeout}))
	strictClient := connectURL(t, cl.URL, redis.Options{Prefix: prefix, Timeout: timeout, DisableNearCache: true})
	strict := redis.NewBackend(strictClient)
	writer := redis.NewBackend(connectURL(t, cl.URL, redis.Options{Prefix: prefix, Timeout: timeout, Metrics: wm}))
	sessions := redis.NewSessionCache(connectURL(t, cl.URL, redis.Options{Prefix: prefix, Timeout: timeout}))

	const key = "topics:{moving}"
	fill(t, writer, key, "v1")
	sessionExp := time.Now().Add(time.Hour)
	if err := sessions.Put(ctx, session("moving", 1), time.Hour, sessionExp); err != nil {
		t.Fatal(err)
	}
	slot, sslot := cl.Slot(t, prefix+key), cl.Slot(t, prefix+"session:{u}:moving")
	from, sfrom := cl.Owner(t, slot), cl.Owner(t, sslot)
	to, sto := (from+1)%3, (sfrom+1)%3

	var value atomic.Value // the value every read must return
	value.Store("v1")
	var version atomic.Int64 // the session version every read must return
	version.Store(1)
	var mayMiss atomic.Bool // set once the invalidation may delete the key
	stop := make(chan struct{})
	var reads atomic.Int64
	var wg sync.WaitGroup
	readErr := make(chan error, 2)
	for _, b := range []*redis.Backend{reader, strict} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				want := value.Load().(string)
				v, ok, err := b.Get(ctx, key)
				if err == nil && !ok && mayMiss.Load() {
					continue
				}
				if err != nil || !ok {
					readErr <- fmt.Errorf("Get during the resharding: %q, %v, %v", v, ok, err)
					return
				}
				if got := string(v); got != want && got != value.Load().(string) {
					readErr <- fmt.Errorf("Get during the resharding = %q; want %q", got, want)
					return
				}
				reads.Add(1)
			}
		})
	}
	// check reads synchronously too, so that each phase sees reads.
	check := func(phase string) {
		t.Helper()
		if v, ok, err := strict.Get(ctx, key); err != nil || !ok || string(v) != value.Load().(string) {
			t.Fatalf("%s: Get = %q, %v, %v; want %q", phase, v, ok, err, value.Load())
		}
		s, err := sessions.Get(ctx, "u", "moving")
		if err != nil || s.Version != version.Load() {
			t.Fatalf("%s: session Get = %+v, %v; want version %d", phase, s, err, version.Load())
		}
		// A single-key write follows ASK and MOVED at once.
		next := version.Load() + 1
		if err := sessions.Put(ctx, session("moving", next), time.Hour, sessionExp); err != nil {
			t.Fatalf("%s: session Put = %v", phase, err)
		}
		version.Store(next)
		if s, err := sessions.Get(ctx, "u", "moving"); err != nil || s.Version != next {
			t.Fatalf("%s: session Get after Put = %+v, %v; want version %d", phase, s, err, next)
		}
	}
	check("stable")
	// A question bank in the same slot, left without its marker (as by a
	// fill that never finished), with a fill lease taken on it.
	const bank = "questions:{moving}:t1"
	rc := strictClient.Rueidis()
	if err := rc.Do(ctx, rc.B().Hset().Key(prefix+bank).FieldValue().FieldValue("stale", "x").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	l, err := writer.Lease(ctx, bank, true, time.Minute)
	if err != nil || l.Token == "" {
		t.Fatalf("Lease(%s) = %+v, %v", bank, l, err)
	}

	m := cl.BeginMigration(t, slot, to)
	var sm *redistest.Migration
	if sslot != slot {
		sm = cl.BeginMigration(t, sslot, sto)
	}
	check("migrating, keys still at the source")
	// The fill replaces the hash at the source, where it still is.
	if ok, err := writer.FillHash(ctx, bank, l.Token, map[string][]byte{"q1": []byte("a")}, time.Minute); !ok || err != nil {
		t.Fatalf("FillHash while the slot is migrating = %v, %v", ok, err)
	}
	if f, ok, err := strict.GetHash(ctx, bank); err != nil || !ok || len(f) != 1 || string(f["q1"]) != "a" {
		t.Fatalf("GetHash after the fill = %v, %v, %v; want exactly q1=a", f, ok, err)
	}

	if n := m.MoveKeys(t); n == 0 {
		t.Fatal("no key moved")
	}
	if sm != nil && sm.MoveKeys(t) == 0 {
		t.Fatal("the session did not move")
	}
	if cl.KeysAt(t, from, slot) != 0 || cl.KeysAt(t, to, slot) == 0 {
		t.Fatal("the key is not at the target yet")
	}
	check("keys moved, slot still migrating (ASK)")

	// A write over the key and its lease: the target holds the key but not
	// the lease, so until the slot is stable Redis answers TRYAGAIN.
	calls := func() float64 { return testutil.ToFloat64(wm.RedisCalls.WithLabelValues("invalidate")) }
	before := calls()
	wrote := make(chan error, 1)
	go func() { wrote <- writer.Invalidate(ctx, key) }()
	waitFor(t, 30*time.Second, "the invalidation is retried", func() bool { return calls() >= before+2 })
	select {
	case err := <-wrote:
		t.Fatalf("the invalidation ended while the slot was migrating: %v", err)
	default:
	}

	mayMiss.Store(true)
	m.Finish(t)
	if sm != nil {
		sm.Finish(t)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("Invalidate across the resharding: %v", err)
	}
	if cl.Owner(t, slot) != to || cl.Owner(t, sslot) != sto {
		t.Fatal("the slots did not move")
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-readErr:
		t.Fatal(err)
	default:
	}
	fill(t, writer, key, "v2")
	value.Store("v2")
	check("moved (MOVED)")
	waitFor(t, 2*time.Second, "the near-cached reader sees v2", func() bool {
		v, ok, err := reader.Get(ctx, key)
		return err == nil && ok && string(v) == "v2"
	})
	t.Logf("%d reads during the resharding, none failed", reads.Load())
	if reads.Load() == 0 {
		t.Fatal("no read ran during the resharding")
	}
}
