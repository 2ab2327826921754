package main

// Server-level tests of the Redis layer: real Main instances over
// real SQLite files, the shared Redis (each test under its own prefix,
// deleted afterwards) or a redis-server of the test's own when the test
// kills it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall/redis/redistest"
)

// rtLimits lifts every rate limit out of the way of the load.
func rtLimits() []string {
	return []string{"default=1000000/1m", "auth=1000000/1m", "writes=1000000/1m", "turns=1000000/1m"}
}

// rtConfig is the default configuration with Redis at url under prefix,
// the near-cache on or off, and no rate limit in the way.
func rtConfig(tb testing.TB, dbPath, url, prefix string, near bool) Config {
	tb.Helper()
	cfg := defaultConfig(tb, dbPath)
	cfg.Redis, cfg.RedisPrefix, cfg.NearCache = url, prefix, near
	cfg.RateLimits = rtLimits()
	return cfg
}

// rtModes are the two Redis shapes: Redis alone, and Redis with the
// near-cache.
func rtModes() []struct {
	name string
	near bool
} {
	return []struct {
		name string
		near bool
	}{{"RedisOnly", false}, {"NearCache", true}}
}

// rtCounts is what one step cost, from /metrics deltas.
type rtCounts struct {
	db    map[string]float64 // recall_db_queries_total by kind/op
	redis map[string]float64 // recall_redis_calls_total by op
	cache map[string]float64 // recall_cache_requests_total by cache/result
}

func (c rtCounts) String() string {
	return fmt.Sprintf("db %v, redis %v, cache %v", c.db, c.redis, c.cache)
}

// redisTotal is the number of Redis round trips.
// redisTotal returns the Redis round trips of the caches and the session
// store: the rate-limit decision (op "ratelimit", one per request by design)
// is counted apart.
func (c rtCounts) redisTotal() float64 {
	var n float64
	for op, v := range c.redis {
		if op != "ratelimit" {
			n += v
		}
	}
	return n
}

// dbReads returns the database reads, by op.
func (c rtCounts) dbReads() map[string]float64 {
	out := map[string]float64{}
	for k, v := range c.db {
		if strings.HasPrefix(k, "read/") {
			out[k] = v
		}
	}
	return out
}

// rtSeries returns the samples of name by the values of label (or of two
// labels joined by '/').
func rtSeries(samples []promSample, name string, labels ...string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		if s.name != name {
			continue
		}
		parts := make([]string, len(labels))
		for i, l := range labels {
			parts[i] = s.labels[l]
		}
		out[strings.Join(parts, "/")] += s.value
	}
	return out
}

func rtDiff(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// rtMeasure runs step between two scrapes of srv's /metrics, once no
// refill a write asked for is queued or running (rtSettle).
func rtMeasure(tb testing.TB, srv *testServer, step func()) rtCounts {
	tb.Helper()
	before := rtSettle(tb, srv)
	step()
	after := srv.scrape(tb)
	return rtCounts{
		db: dbDelta(before, after),
		redis: rtDiff(rtSeries(before, "recall_redis_calls_total", "op"),
			rtSeries(after, "recall_redis_calls_total", "op")),
		cache: rtDiff(rtSeries(before, "recall_cache_requests_total", "cache", "result"),
			rtSeries(after, "recall_cache_requests_total", "cache", "result")),
	}
}

// rtSettle waits until srv has no refill queued or running
// (recall_cache_refills_pending is 0) and returns that scrape: a refill
// still finishing from an earlier write (its Fill call) must not be
// counted in the next step's Redis calls, as it was once on a loaded
// machine (a hot dashboard read showed fill:1).
func rtSettle(tb testing.TB, srv *testServer) []promSample {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		samples := srv.scrape(tb)
		var pending float64
		for _, s := range samples {
			if s.name == "recall_cache_refills_pending" {
				pending += s.value
			}
		}
		if pending == 0 {
			return samples
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%v refills still pending after 30 s", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rtBank builds n questions whose answer to "Question i?" is "answer-i".
func rtBank(n int) []map[string]any {
	qs := make([]map[string]any, n)
	for i := range qs {
		qs[i] = qFixture(fmt.Sprintf("Question %d?", i), fmt.Sprintf("answer-%d", i))
	}
	return qs
}

// TestRedisRoundTrips counts, from /metrics, what the hot paths cost with
// Redis: a dashboard read, a turn, and a session start on a cached bank.
func TestRedisRoundTrips(t *testing.T) {
	for _, mode := range rtModes() {
		t.Run(mode.name, func(t *testing.T) {
			prefix := redistest.Prefix(t)
			srv := startServer(t, rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), redistest.SharedURL, prefix, mode.near), newClock())
			_, tok := srv.signUp(t, "alice", "alice-password")
			topic := srv.createTopic(t, tok, "Capitals", "")
			srv.createTopic(t, tok, "Rivers", "")
			bank := srv.addQuestions(t, tok, topic.ID, rtBank(20)...)

			dashboard := func() {
				var out struct{ Topics []topicOut }
				srv.do(apiCall{method: "GET", path: "/v1/topics?view=dashboard", token: tok}).want(t, 200, &out)
				if len(out.Topics) != 2 {
					t.Fatalf("dashboard lists %d topics", len(out.Topics))
				}
			}
			dashboard()
			dashboard()
			hot := rtMeasure(t, srv, dashboard)
			t.Logf("hot GET /v1/topics?view=dashboard: %v", hot)
			if len(hot.db) != 0 {
				t.Errorf("a hot dashboard read reached the database: %v", hot.db)
			}
			if hot.cache["topics/hit"] != 1 || hot.cache["memories/hit"] != 2 {
				t.Errorf("a hot dashboard read was not cache hits of the topics and each topic's memories: %v", hot.cache)
			}
			if mode.near {
				if hot.cache["tokens/hit"] != 1 {
					t.Errorf("a hot dashboard read with the near-cache did not take the token from the cache: %v", hot.cache)
				}
				if n := hot.redisTotal(); n != 0 {
					t.Errorf("a repeated dashboard read with the near-cache made %v Redis round trips besides the rate limit, want 0: %v", n, hot.redis)
				}
			} else if hot.redis["gate"] != 1 || hot.redisTotal() != 1 || hot.redis["ratelimit"] != 0 {
				// One script (redis.Gate) checks the token, decides the
				// rate limits and reads the topic list and the memory
				// states of both topics.
				t.Errorf("a hot dashboard read without the near-cache made %v, want the gate's one round trip", hot.redis)
			}

			// Session start on a topic whose bank is cached.
			srv.do(apiCall{method: "GET", path: "/v1/topics/" + topic.ID + "/questions", token: tok}).want(t, 200, nil)
			// The user (time zone, FSRS weights) is cached too: a start
			// reads it for the turns' reviews, once from the database
			// while its key is cold.
			srv.do(apiCall{method: "GET", path: "/v1/me", token: tok}).want(t, 200, nil)
			var sess sessionOut
			start := rtMeasure(t, srv, func() { sess = srv.startSession(t, tok, topic.ID, 20) })
			t.Logf("POST /v1/sessions on a cached bank: %v", start)
			if reads := start.dbReads(); len(reads) != 0 {
				t.Errorf("a session start on a cached bank read the database: %v", reads)
			}
			if start.cache["questions/hit"] != 1 {
				t.Errorf("the session start did not take the bank from the cache: %v", start.cache)
			}

			// A turn on a cached session.
			srv.turn(t, tok, sess.ID, "answer-0", "")
			var reply turnReply
			turn := rtMeasure(t, srv, func() { reply, _ = srv.turn(t, tok, sess.ID, "answer-1", "") })
			t.Logf("POST /v1/sessions/{id}/turns: %v", turn)
			if reply.Turn.Correct == nil || !*reply.Turn.Correct || reply.Session.CurrentQuestion == nil || reply.Session.CurrentQuestion.ID != bank[2].ID {
				t.Fatalf("the turn went wrong: %+v", reply)
			}
			if len(turn.db) != 1 || turn.db["write/SaveTurn"] == 0 {
				t.Errorf("a turn sent %v to the database, want the statements of one SaveTurn transaction and no read", turn.db)
			}
			if turn.redis["ratelimit"]+turn.redis["gate"] != 1 {
				t.Errorf("a turn made %v rate-limit decisions in Redis, want 1 (every policy in one script call)", turn.redis)
			}
			// The gate reads the session (session:{<user>}:<id>, in the
			// user's slot) with the token check; the write is one script:
			// the session's compare-and-set and the invalidation of the
			// memory states and days of study the review changed.
			if turn.redis["gate"] != 1 || turn.redis["session_put"] != 1 || turn.redis["session_get"] != 0 ||
				turn.redis["invalidate"] != 0 || turn.cache["sessions/hit"] != 1 {
				t.Errorf("a turn made %v (cache %v), want the gate (which read the session) and one session_put that also invalidates", turn.redis, turn.cache)
			}
			if mode.near {
				// The bank and the user are near-cached: 2 round trips.
				if n := turn.redisTotal(); n != 2 {
					t.Errorf("a turn with the near-cache made %v Redis calls, want 2 (gate, session_put): %v", n, turn.redis)
				}
			} else if turn.redis["hgetall"] != 0 || turn.redisTotal() != 2 || turn.cache["questions/hit"] != 1 {
				// Without the near-cache the gate also reads the user
				// and the bank (questions:{<user>}:<topic>, in the
				// user's slot: this instance started the session, so it
				// knows its topic): 2 round trips too.
				t.Errorf("a turn without the near-cache made %v (cache %v), want gate (session, bank, user) and session_put", turn.redis, turn.cache)
			}
		})
	}
}

// rtClient sends requests from many goroutines; unlike testServer.do it
// returns its failures instead of ending the test.
type rtClient struct {
	hc *http.Client
}

func newRTClient(tb testing.TB) *rtClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	tb.Cleanup(tr.CloseIdleConnections)
	return &rtClient{hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// do sends a request to base and decodes a 2xx body into out.
func (c *rtClient) do(base, method, path, token string, body, out any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, err
	}
	if res.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, b, fmt.Errorf("decode %s: %w", b, err)
		}
	}
	return res.StatusCode, b, nil
}

// rtTopic is what the writers of one topic have had acknowledged.
type rtTopic struct {
	id    string
	user  int
	title atomic.Int64 // the last acknowledged title version
	count atomic.Int64 // the acknowledged number of questions

	mu      sync.Mutex
	titleAt []time.Time // titleAt[v]: when title version v was acknowledged
	countAt []time.Time // countAt[n]: when the n-th question was acknowledged
}

// ack records that version v of what is acknowledged at *at now is
// acknowledged, then publishes it in cur.
func (tp *rtTopic) ack(at *[]time.Time, cur *atomic.Int64, v int64) {
	tp.mu.Lock()
	for int64(len(*at)) <= v {
		*at = append(*at, time.Now())
	}
	tp.mu.Unlock()
	cur.Store(v)
}

// ackedAt returns when version v was acknowledged.
func (tp *rtTopic) ackedAt(at []time.Time, v int64) time.Time {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return at[v]
}

// rtTitle is the title of version v of a topic; rtVersion parses it.
func rtTitle(v int64) string { return "Topic v" + strconv.FormatInt(v, 10) }

func rtVersion(title string) (int64, bool) {
	v, err := strconv.ParseInt(strings.TrimPrefix(title, "Topic v"), 10, 64)
	return v, err == nil && strings.HasPrefix(title, "Topic v")
}

// rtStaleness is the checker's record of the reads that returned data
// older than what was acknowledged when they started.
type rtStaleness struct {
	mu      sync.Mutex
	reads   int
	slowest time.Duration // the longest read of the run
	stale   int
	windows []time.Duration // of each stale read: from the newer write's acknowledgement to the read's start
	max     time.Duration
	example string
}

// rtStaleLimit is the near-cache's allowance on a quiet machine: another
// instance may serve its old copy until Redis's invalidation push, queued
// for it before the writer's reply, has been read by that instance.
const rtStaleLimit = 5 * time.Millisecond

func (s *rtStaleness) read(took time.Duration) {
	s.mu.Lock()
	s.reads++
	s.slowest = max(s.slowest, took)
	s.mu.Unlock()
}

func (s *rtStaleness) staleRead(window time.Duration, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stale++
	s.windows = append(s.windows, window)
	if window > s.max {
		s.max, s.example = window, what
	}
}

// allowance is the near-cache's window in this run: rtStaleLimit, or the
// slowest read if longer. A push waits for the reading instance's
// goroutines to be scheduled, as a request does, so on a loaded machine
// it is late by as much as a request is slow; a push that never came
// would leave a copy stale until the end of the run, past any request.
func (s *rtStaleness) allowance() time.Duration { return max(rtStaleLimit, s.slowest) }

// over counts the stale reads whose window passed the allowance.
func (s *rtStaleness) over() int {
	n := 0
	for _, w := range s.windows {
		if w > s.allowance() {
			n++
		}
	}
	return n
}

// TestRedisCoherence runs three server instances on one SQLite file and
// one Redis prefix under concurrent writes (topic titles with a version
// counter, questions added) and reads (a topic, the topic list, a bank) of
// the same users' topics spread over the instances. A checker snapshots,
// before each read, what had been acknowledged; the read must not return
// anything older. Without the near-cache: never. With it: another instance
// may serve its old copy until Redis's invalidation reaches it; no read
// that starts later after the acknowledgement than the allowance (5 ms,
// or the run's slowest read on a loaded machine) may, and the largest
// window seen is logged.
func TestRedisCoherence(t *testing.T) {
	for _, mode := range rtModes() {
		t.Run(mode.name, func(t *testing.T) {
			prefix := redistest.Prefix(t)
			cfg := rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), redistest.SharedURL, prefix, mode.near)
			clock := newClock()
			var insts []*testServer
			for range 3 {
				insts = append(insts, startServer(t, cfg, clock))
			}
			const users, topicsPerUser, writes = 3, 2, 10
			tokens := make([]string, users)
			var topics []*rtTopic
			for u := range users {
				_, tokens[u] = insts[u%3].signUp(t, fmt.Sprint("user", u), "user-password")
				for range topicsPerUser {
					tp := insts[u%3].createTopic(t, tokens[u], rtTitle(0), "")
					topics = append(topics, &rtTopic{id: tp.ID, user: u, titleAt: []time.Time{time.Now()}, countAt: []time.Time{time.Now()}})
				}
			}
			c := newRTClient(t)
			var st rtStaleness
			fail := func(format string, args ...any) { t.Errorf(format, args...) }

			// check compares what a read returned for topic tp with what
			// was acknowledged before the read started.
			check := func(tp *rtTopic, start time.Time, wantTitle, wantCount int64, title *string, count *int, where string) {
				if title != nil {
					v, ok := rtVersion(*title)
					if !ok {
						fail("%s: title %q", where, *title)
						return
					}
					if v < wantTitle {
						w := start.Sub(tp.ackedAt(tp.titleAt, v+1))
						st.staleRead(w, fmt.Sprintf("%s: title v%d, v%d acknowledged %v before the read started", where, v, wantTitle, w))
					}
				}
				if count != nil && int64(*count) < wantCount {
					w := start.Sub(tp.ackedAt(tp.countAt, int64(*count)+1))
					st.staleRead(w, fmt.Sprintf("%s: %d questions, %d acknowledged (the next one %v before the read started)", where, *count, wantCount, w))
				}
			}

			var writers, readers sync.WaitGroup
			done := make(chan struct{})
			for _, tp := range topics {
				writers.Go(func() {
					r := rand.New(rand.NewPCG(rand.Uint64(), 0))
					for i := int64(1); i <= writes; i++ {
						inst := insts[r.IntN(len(insts))]
						status, body, err := c.do(inst.m.URL(), "PATCH", "/v1/topics/"+tp.id, tokens[tp.user], map[string]string{"title": rtTitle(i)}, nil)
						if err != nil || status != 200 {
							fail("PATCH topic: %d %s %v", status, body, err)
							return
						}
						tp.ack(&tp.titleAt, &tp.title, i)
						if i%2 == 0 {
							n := tp.count.Load() + 1
							inst := insts[r.IntN(len(insts))]
							status, body, err := c.do(inst.m.URL(), "POST", "/v1/topics/"+tp.id+"/questions", tokens[tp.user],
								map[string]any{"questions": []map[string]any{qFixture(fmt.Sprintf("Question %d?", n), "yes")}}, nil)
							if err != nil || status != 201 {
								fail("POST questions: %d %s %v", status, body, err)
								return
							}
							tp.ack(&tp.countAt, &tp.count, n)
						}
					}
				})
			}
			for g := range 6 {
				readers.Go(func() {
					r := rand.New(rand.NewPCG(uint64(g), rand.Uint64()))
					for {
						select {
						case <-done:
							return
						default:
						}
						tp := topics[r.IntN(len(topics))]
						inst := insts[r.IntN(len(insts))]
						where := fmt.Sprintf("instance %d", slices.Index(insts, inst))
						// The snapshot of what is acknowledged, taken before
						// the request is sent.
						start := time.Now()
						wantTitle, wantCount := tp.title.Load(), tp.count.Load()
						switch r.IntN(3) {
						case 0:
							var out struct{ Topic topicOut }
							status, body, err := c.do(inst.m.URL(), "GET", "/v1/topics/"+tp.id+"?view=full", tokens[tp.user], nil, &out)
							if err != nil || status != 200 {
								fail("GET topic: %d %s %v", status, body, err)
								return
							}
							n := len(out.Topic.QuestionIDs)
							if n != out.Topic.QuestionCount {
								fail("question_count %d with %d ids", out.Topic.QuestionCount, n)
							}
							check(tp, start, wantTitle, wantCount, &out.Topic.Title, &n, where+" GET topic")
						case 1:
							// The whole list: every topic of the user.
							type snap struct{ title, count int64 }
							mine := map[string]snap{}
							for _, o := range topics {
								if o.user == tp.user {
									mine[o.id] = snap{o.title.Load(), o.count.Load()}
								}
							}
							var out struct{ Topics []topicOut }
							status, body, err := c.do(inst.m.URL(), "GET", "/v1/topics?view=full", tokens[tp.user], nil, &out)
							if err != nil || status != 200 || len(out.Topics) != topicsPerUser {
								fail("GET topics: %d %s %v", status, body, err)
								return
							}
							for _, got := range out.Topics {
								want, ok := mine[got.ID]
								if !ok {
									fail("GET topics returned another user's topic %s", got.ID)
									return
								}
								n := len(got.QuestionIDs)
								o := topics[slices.IndexFunc(topics, func(x *rtTopic) bool { return x.id == got.ID })]
								check(o, start, want.title, want.count, &got.Title, &n, where+" GET topics")
							}
						case 2:
							var out struct{ Questions []questionOut }
							status, body, err := c.do(inst.m.URL(), "GET", "/v1/topics/"+tp.id+"/questions", tokens[tp.user], nil, &out)
							if err != nil || status != 200 {
								fail("GET questions: %d %s %v", status, body, err)
								return
							}
							n := len(out.Questions)
							check(tp, start, wantTitle, wantCount, nil, &n, where+" GET questions")
						}
						st.read(time.Since(start))
					}
				})
			}
			writers.Wait()
			close(done)
			readers.Wait()

			// Every instance ends with the last acknowledged state.
			for i, inst := range insts {
				for _, tp := range topics {
					got := inst.topic(t, tokens[tp.user], tp.id, "full")
					if v, _ := rtVersion(got.Title); v != writes || int64(got.QuestionCount) != tp.count.Load() {
						t.Errorf("instance %d ends with %q and %d questions, want %q and %d", i, got.Title, got.QuestionCount, rtTitle(writes), tp.count.Load())
					}
				}
			}
			var hits float64
			for _, inst := range insts {
				s := inst.scrape(t)
				hits += promSum(s, "recall_cache_requests_total", map[string]string{"result": "hit", "cache": "topics"}) +
					promSum(s, "recall_cache_requests_total", map[string]string{"result": "hit", "cache": "questions"})
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			t.Logf("%d reads (the slowest %v), %d cache hits of topics and banks, %d stale reads, largest window %v (%s)",
				st.reads, st.slowest, int(hits), st.stale, st.max, st.example)
			if hits == 0 || st.reads == 0 {
				t.Fatal("no read was served from the cache: the test checked nothing")
			}
			if mode.near {
				if n := st.over(); n > 0 {
					t.Errorf("%d reads started more than %v (the allowance) after a newer write was acknowledged and returned the older data; largest window %v: %s",
						n, st.allowance(), st.max, st.example)
				}
			} else if st.stale > 0 {
				t.Errorf("%d stale reads without the near-cache, want none; e.g. %s", st.stale, st.example)
			}
		})
	}
}

// rtReadyz returns the "redis" member of GET /readyz, and fails the test
// unless the server is ready (200).
func rtReadyz(tb testing.TB, srv *testServer) string {
	tb.Helper()
	var out struct {
		DB    string `json:"db"`
		Redis string `json:"redis"`
	}
	srv.do(apiCall{method: "GET", path: "/readyz"}).want(tb, 200, &out)
	return out.Redis
}

// rtWaitFor polls cond every 20 ms, up to a generous bound that only
// guards against a hang: it is no timing assertion.
func rtWaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for range 1500 { // 30 s
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("gave up waiting for %s", what)
}

// rtCacheCount returns recall_cache_requests_total{cache, result} of srv.
func rtCacheCount(tb testing.TB, srv *testServer, cache, result string) float64 {
	tb.Helper()
	return promSum(srv.scrape(tb), "recall_cache_requests_total", map[string]string{"cache": cache, "result": result})
}

// rtAcked is an acknowledged turn.
type rtAcked struct {
	index   int
	message string
}

// TestRedisKilledUnderLoad kills the server's own redis-server in the
// middle of a load of turns and reads, then starts it again on the same
// port: no 5xx, no acknowledged turn missing from the transcripts,
// /readyz degraded while Redis is down, and cache hits come back without
// restarting Recall.
func TestRedisKilledUnderLoad(t *testing.T) {
	rs := redistest.StartServer(t)
	srv := startServer(t, rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), rs.URL, "recall:", true), newClock())
	if got := rtReadyz(t, srv); got != "ok" {
		t.Fatalf("readyz redis %q before the kill", got)
	}
	const users, bankSize = 3, 8
	tokens := make([]string, users)
	topicIDs := make([]string, users)
	for u := range users {
		_, tokens[u] = srv.signUp(t, fmt.Sprint("user", u), "user-password")
		topicIDs[u] = srv.createTopic(t, tokens[u], "Bank", "").ID
		srv.addQuestions(t, tokens[u], topicIDs[u], rtBank(bankSize)...)
	}

	c := newRTClient(t)
	base := srv.m.URL()
	var (
		acked, fiveXX atomic.Int64
		mu            sync.Mutex
		ackedTurns    = map[string][]rtAcked{} // by session id
		owner         = map[string]int{}       // session id → user
		wg            sync.WaitGroup
	)
	done := make(chan struct{})
	stopped := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	// request fails the test on anything but the wanted status.
	request := func(method, path, token string, body, out any, want int) bool {
		status, b, err := c.do(base, method, path, token, body, out)
		if status >= 500 {
			fiveXX.Add(1)
		}
		if err != nil || status != want {
			t.Errorf("%s %s: %d %s %v", method, path, status, b, err)
			return false
		}
		return true
	}
	for u := range users {
		// A learner: turn after turn, a new session when one completes.
		wg.Go(func() {
			var sid string
			for i := 0; !stopped(); i++ {
				if sid == "" {
					var out struct{ Session sessionOut }
					if !request("POST", "/v1/sessions", tokens[u], map[string]any{"topic_id": topicIDs[u], "shuffle": false}, &out, 201) {
						return
					}
					sid = out.Session.ID
					mu.Lock()
					owner[sid] = u
					mu.Unlock()
				}
				msg := fmt.Sprintf("answer-%d", i%bankSize)
				if i%5 == 4 {
					msg = "/hint"
				}
				var out turnReply
				if !request("POST", "/v1/sessions/"+sid+"/turns", tokens[u], map[string]string{"message": msg}, &out, 200) {
					return
				}
				mu.Lock()
				ackedTurns[sid] = append(ackedTurns[sid], rtAcked{out.Turn.Index, msg})
				mu.Unlock()
				acked.Add(1)
				if out.Session.State == "completed" {
					sid = ""
				}
			}
		})
		// A reader of the dashboard and the bank.
		wg.Go(func() {
			for !stopped() {
				if !request("GET", "/v1/topics?view=dashboard", tokens[u], nil, nil, 200) ||
					!request("GET", "/v1/topics/"+topicIDs[u]+"/questions", tokens[u], nil, nil, 200) {
					return
				}
			}
		})
	}
	// progress waits for n more acknowledged turns.
	progress := func(n int64, what string) {
		t.Helper()
		target := acked.Load() + n
		rtWaitFor(t, what, func() bool { return acked.Load() >= target || t.Failed() })
	}

	progress(12, "turns before the kill")
	rs.Kill(t)
	rtWaitFor(t, "/readyz to say degraded", func() bool { return rtReadyz(t, srv) == "degraded" })
	errorsAtKill := rtCacheCount(t, srv, "topics", "error")
	progress(12, "turns while Redis is down")
	if rtReadyz(t, srv) != "degraded" {
		t.Error("/readyz stopped saying degraded while Redis is down")
	}
	if rtCacheCount(t, srv, "topics", "error") <= errorsAtKill {
		t.Error("no cache lookup failed while Redis was down: was it?")
	}
	hitsBefore := rtCacheCount(t, srv, "topics", "hit")
	qHitsBefore := rtCacheCount(t, srv, "questions", "hit")
	rs.Start(t)
	rtWaitFor(t, "cache hits to resume", func() bool {
		return rtCacheCount(t, srv, "topics", "hit") > hitsBefore && rtCacheCount(t, srv, "questions", "hit") > qHitsBefore
	})
	rtWaitFor(t, "/readyz to say ok", func() bool { return rtReadyz(t, srv) == "ok" })
	progress(12, "turns after the restart")
	close(done)
	wg.Wait()

	if n := fiveXX.Load(); n != 0 {
		t.Errorf("%d responses were 5xx", n)
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for sid, want := range ackedTurns {
		got := srv.transcript(t, tokens[owner[sid]], sid)
		total += len(want)
		if len(got) != len(want) {
			t.Errorf("session %s: %d turns in the transcript, %d acknowledged", sid, len(got), len(want))
		}
		for _, a := range want {
			if a.index >= len(got) || got[a.index].Message != a.message {
				t.Errorf("session %s: acknowledged turn %d (%q) is not in the transcript", sid, a.index, a.message)
			}
		}
	}
	t.Logf("%d acknowledged turns over %d sessions, all in the transcripts; hits after the restart: topics %v→%v",
		total, len(ackedTurns), hitsBefore, rtCacheCount(t, srv, "topics", "hit"))
}

// rtRueidis is a plain client of the shared Redis, for looking at keys.
func rtRueidis(tb testing.TB) rueidis.Client {
	tb.Helper()
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{redistest.SharedAddr}, DisableCache: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(rc.Close)
	return rc
}

// TestRedisFlushSessionKeys deletes every session key of the prefix in the
// middle of a session: the session goes on from where it was, on whichever
// instance, and an Idempotency-Key used before the flush still replays.
func TestRedisFlushSessionKeys(t *testing.T) {
	prefix := redistest.Prefix(t)
	cfg := rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), redistest.SharedURL, prefix, true)
	clock := newClock()
	a, b := startServer(t, cfg, clock), startServer(t, cfg, clock)
	alice, tok := a.signUp(t, "alice", "alice-password")
	topic := a.createTopic(t, tok, "Bank", "")
	bank := a.addQuestions(t, tok, topic.ID, rtBank(6)...)
	s := a.startSession(t, tok, topic.ID, 6)

	a.turn(t, tok, s.ID, "answer-0", "")
	_, keyed := b.turn(t, tok, s.ID, "wrong", "before-flush")
	third, _ := a.turn(t, tok, s.ID, "answer-2", "")
	want := progressOut{Total: 6, Answered: 3, Correct: 2}
	if third.Session.Progress != want {
		t.Fatalf("progress before the flush %+v", third.Session.Progress)
	}
	before := a.transcript(t, tok, s.ID)

	rc := rtRueidis(t)
	ctx := context.Background()
	key := prefix + "session:{" + alice.ID + "}:" + s.ID
	if n, err := rc.Do(ctx, rc.B().Exists().Key(key).Build()).AsInt64(); err != nil || n != 1 {
		t.Fatalf("the session is not in Redis under %s before the flush: %v %v", key, n, err)
	}
	redistest.DeletePrefix(t, redistest.SharedAddr, prefix+"session:")
	if n, err := rc.Do(ctx, rc.B().Exists().Key(key).Build()).AsInt64(); err != nil || n != 0 {
		t.Fatalf("the session key survived the flush: %v %v", n, err)
	}

	misses := rtCacheCount(t, b, "sessions", "miss")
	got := b.session(t, tok, s.ID)
	if got.State != "active" || got.Progress != want || got.CurrentQuestion == nil || got.CurrentQuestion.ID != bank[3].ID {
		t.Fatalf("after the flush the session is %+v", got)
	}
	if rtCacheCount(t, b, "sessions", "miss") != misses+1 {
		t.Fatal("the read after the flush was no session-cache miss: the flush did not reach the server")
	}
	if n, err := rc.Do(ctx, rc.B().Exists().Key(key).Build()).AsInt64(); err != nil || n != 1 {
		t.Fatalf("the session was not cached again after the miss: %v %v", n, err)
	}
	// A retry from before the flush replays; it applies nothing.
	if _, r := a.turn(t, tok, s.ID, "wrong", "before-flush"); !bytes.Equal(r.body, keyed.body) {
		t.Fatalf("the replay after the flush differs:\n%s\n%s", r.body, keyed.body)
	}
	fourth, _ := a.turn(t, tok, s.ID, "answer-3", "")
	if fourth.Turn.Correct == nil || !*fourth.Turn.Correct || fourth.Turn.Index != 3 ||
		fourth.Session.Progress != (progressOut{Total: 6, Answered: 4, Correct: 3}) {
		t.Fatalf("the turn after the flush: %+v", fourth)
	}
	for i := 4; i < 6; i++ {
		b.turn(t, tok, s.ID, fmt.Sprintf("answer-%d", i), "")
	}
	final := a.session(t, tok, s.ID)
	if final.State != "completed" || final.Progress != (progressOut{Total: 6, Answered: 6, Correct: 5}) {
		t.Fatalf("the session ends %+v", final)
	}
	after := b.transcript(t, tok, s.ID)
	if len(after) != 6 || !sameTurns(after[:3], before) {
		t.Fatalf("transcript after the flush:\n%+v\nbefore:\n%+v", after, before)
	}
}

// TestRedisRevocation revokes tokens through instance A while instance B
// holds them in its near-cache: A refuses each one at once, B as soon as
// Redis's invalidation reaches it.
func TestRedisRevocation(t *testing.T) {
	prefix := redistest.Prefix(t)
	cfg := rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), redistest.SharedURL, prefix, true)
	clock := newClock()
	a, b := startServer(t, cfg, clock), startServer(t, cfg, clock)
	a.signUp(t, "alice", "alice-password")
	list := func(srv *testServer, tok string) *apiResp {
		return srv.do(apiCall{method: "GET", path: "/v1/topics", token: tok})
	}
	var maxWindow time.Duration
	for i := range 10 {
		tok := a.signIn(t, "alice", "alice-password")
		// The first read fills the cache, the second brings the value into
		// B's near-cache (a fill changes the key, which drops local copies).
		list(b, tok).want(t, 200, nil)
		list(b, tok).want(t, 200, nil)
		if i == 0 {
			// B answers from its near-cache: not even a Redis round trip.
			c := rtMeasure(t, b, func() { list(b, tok).want(t, 200, nil) })
			if c.redisTotal() != 0 || c.cache["tokens/hit"] != 1 {
				t.Fatalf("B does not hold the token in its near-cache: %v", c)
			}
		}
		a.do(apiCall{method: "DELETE", path: "/v1/tokens/current", token: tok}).want(t, 204, nil)
		// The revoking instance refuses the token at once (read-your-writes).
		list(a, tok).wantError(t, 401, "unauthorized")
		// B drops its local copy when Redis's invalidation push arrives,
		// which is asynchronous: usually before B's next request, but on a
		// loaded machine a request can overtake it. It must not take long;
		// the bound here only catches a copy that is never invalidated.
		revoked := time.Now()
		for {
			r := list(b, tok)
			if r.status == 401 {
				r.wantError(t, 401, "unauthorized")
				break
			}
			r.want(t, 200, nil)
			if time.Since(revoked) > 2*time.Second {
				t.Fatalf("instance B still accepts a token revoked on A %v ago", time.Since(revoked))
			}
			time.Sleep(time.Millisecond)
		}
		if w := time.Since(revoked); w > maxWindow {
			maxWindow = w
		}
	}
	t.Logf("longest time B accepted a revoked token: %v", maxWindow)
}
