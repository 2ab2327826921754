package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// stats are the requests of one phase of a test.
type stats struct {
	name      string
	index     int // in recorder.phases
	requests  int
	statuses  map[int]int
	transport int // connection refused, reset, EOF: the server was gone
	hangs     int // the client's own timeout fired: a request that hung
	max       time.Duration
	pureMax   time.Duration // of the requests that started and ended in the phase
	durations []time.Duration
	examples  []string // the first non-2xx answers
	stale     int      // reads that missed an acknowledged write
	badBodies int      // error answers without the JSON error body of their status
}

// errors5xx counts the 5xx answers of the phase, but those with status allow.
func (s *stats) errors5xx(allow ...int) int {
	n := 0
	for code, c := range s.statuses {
		if code >= 500 && !slices.Contains(allow, code) {
			n += c
		}
	}
	return n
}

// non2xx counts the answers that were not 2xx, but those with status allow.
func (s *stats) non2xx(allow ...int) int {
	n := 0
	for code, c := range s.statuses {
		if (code < 200 || code > 299) && !slices.Contains(allow, code) {
			n += c
		}
	}
	return n
}

// p returns the q-quantile (0..1) of the phase's latencies.
func (s *stats) p(q float64) time.Duration {
	if len(s.durations) == 0 {
		return 0
	}
	d := slices.Clone(s.durations)
	slices.Sort(d)
	i := int(q*float64(len(d))+0.999999) - 1
	return d[max(0, min(i, len(d)-1))]
}

// String is one line of the report.
func (s *stats) String() string {
	codes := make([]int, 0, len(s.statuses))
	for c := range s.statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", s.statuses[c], c))
	}
	return fmt.Sprintf("%-18s requests %5d  [%s]  transport errors %d  hangs %d  stale reads %d  bad error bodies %d  p50 %s  p99 %s  max %s",
		s.name, s.requests, strings.Join(parts, " "), s.transport, s.hangs, s.stale, s.badBodies,
		s.p(0.5).Round(time.Microsecond), s.p(0.99).Round(time.Microsecond), s.max.Round(time.Microsecond))
}

// recorder collects the stats of every request by phase.
type recorder struct {
	mu     sync.Mutex
	phase  *stats
	phases []*stats
	spans  []span // requests that started in one phase and ended in another
}

// span is a request that ran across phases.
type span struct {
	from, to int // phase indexes
	d        time.Duration
	what     string
}

func newRecorder() *recorder {
	r := &recorder{}
	r.setPhase("start")
	return r
}

// setPhase starts a new phase: requests started from now on count in it.
func (r *recorder) setPhase(name string) *stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phase = &stats{name: name, index: len(r.phases), statuses: map[int]int{}}
	r.phases = append(r.phases, r.phase)
	return r.phase
}

// current returns the current phase.
func (r *recorder) current() *stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.phase
}

// observe records one request: its wait in the phase it started in (a
// request caught by a fault is slow because of it), its answer in the phase
// the answer came in (a fault hits the requests in flight when it starts).
func (r *recorder) observe(started, s *stats, status int, err error, d time.Duration, what string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	started.durations = append(started.durations, d)
	started.max = max(started.max, d)
	if started == s {
		s.pureMax = max(s.pureMax, d)
	} else {
		r.spans = append(r.spans, span{from: started.index, to: s.index, d: d, what: what})
	}
	s.requests++
	var ne net.Error
	switch {
	case err != nil && errors.As(err, &ne) && ne.Timeout():
		s.hangs++
		s.examples = appendExample(s.examples, fmt.Sprintf("%s: hung for %s: %v", what, d, err))
	case err != nil:
		s.transport++
	default:
		s.statuses[status]++
		if status < 200 || status > 299 {
			s.examples = appendExample(s.examples, fmt.Sprintf("%s: %d %s", what, status, bytes.TrimSpace(body)))
			var eb struct {
				Error struct{ Code, Message string }
			}
			if json.Unmarshal(body, &eb) != nil || eb.Error.Message == "" ||
				eb.Error.Code == "" || status == http.StatusServiceUnavailable && eb.Error.Code != recall.EUNAVAILABLE {
				s.badBodies++
			}
		}
	}
}

func (r *recorder) staleRead(s *stats, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.stale++
	s.examples = appendExample(s.examples, "stale: "+what)
}

func appendExample(list []string, e string) []string {
	if len(list) < 5 {
		return append(list, e)
	}
	return list
}

// report returns every phase, one line each, with examples of failures.
func (r *recorder) report() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, s := range r.phases {
		if s.requests == 0 {
			continue
		}
		fmt.Fprintln(&b, s.String())
		for _, e := range s.examples {
			fmt.Fprintln(&b, "    ", e)
		}
	}
	return b.String()
}

// all returns the stats of every phase, merged.
func (r *recorder) all() *stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := &stats{name: "all", statuses: map[int]int{}}
	for _, s := range r.phases {
		m.requests += s.requests
		m.transport += s.transport
		m.hangs += s.hangs
		m.stale += s.stale
		m.badBodies += s.badBodies
		m.max = max(m.max, s.max)
		m.durations = append(m.durations, s.durations...)
		for c, n := range s.statuses {
			m.statuses[c] += n
		}
		m.examples = append(m.examples, s.examples...)
	}
	return m
}

// load runs clients against one Recall address: each worker is a user
// with topics, questions and learning sessions, doing a mix of writes and
// reads. Every acknowledged write goes to the Checker. A request that gets
// no answer (the server is gone) or a 503 is retried, as a client would,
// the same request with the same Idempotency-Key, until it is answered or
// the load stops.
type load struct {
	tb      testing.TB
	base    string
	client  *http.Client
	checker *Checker
	rec     *recorder
	workers int
	// retryDelay is the pause before a retry.
	retryDelay time.Duration
	// mix weighs the operations of a worker.
	mix mix
	// retriedTurns counts the turns acknowledged after a retry with their
	// Idempotency-Key.
	retriedTurns atomic.Int64
}

// mix is the weight of each operation of a worker's loop.
type mix struct {
	topic, questions, turn, read, login int
}

// faultMix is write-heavy, so that every fault meets acknowledged writes.
func faultMix() mix { return mix{topic: 6, questions: 8, turn: 41, read: 45} }

// benchMix follows the load generator's default mix (bench.DefaultMix:
// dashboard 40, topics 15, topic 10, session start 5, turn 25, write 4,
// login 1); session starts come with the turns.
func benchMix() mix { return mix{topic: 2, questions: 2, turn: 30, read: 65, login: 1} }

func newLoad(tb testing.TB, base string, workers int) *load {
	return &load{
		tb:      tb,
		base:    base,
		checker: NewChecker(),
		rec:     newRecorder(),
		workers: workers,
		client: &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: 4 * workers, IdleConnTimeout: 30 * time.Second},
			// A safety net that turns a hung request into a counted hang.
			Timeout: 15 * time.Second,
		},
		retryDelay: 50 * time.Millisecond,
		mix:        faultMix(),
	}
}

// run starts the workers and returns a function that stops them and waits.
func (l *load) run(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range l.workers {
		wg.Go(func() {
			w := &worker{l: l, id: i, rnd: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))}
			w.loop(ctx)
		})
	}
	return func() {
		cancel()
		wg.Wait()
		l.client.CloseIdleConnections()
	}
}

// worker is one simulated user.
type worker struct {
	l      *load
	id     int
	rnd    *rand.Rand
	name   string
	token  string
	userID string
	topics []*workerTopic
	// session is the active session, "" if none.
	session string
	seq     int
}

type workerTopic struct {
	id        string
	questions []string
}

// call sends one request, retrying while the server is unreachable or
// answers 503; it returns the final status and body. It returns ctx's error
// if the load stopped before an answer.
func (w *worker) call(ctx context.Context, method, path string, body any, header map[string]string) (int, []byte, error) {
	status, b, _, err := w.callCounting(ctx, method, path, body, header)
	return status, b, err
}

// callCounting is call, also returning the number of attempts.
func (w *worker) callCounting(ctx context.Context, method, path string, body any, header map[string]string) (int, []byte, int, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			w.l.tb.Errorf("marshal: %v", err)
			return 0, nil, 0, err
		}
	}
	what := method + " " + routeOf(path)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return 0, nil, 0, err
		}
		req, err := http.NewRequestWithContext(ctx, method, w.l.base+path, bytes.NewReader(raw))
		if err != nil {
			w.l.tb.Errorf("request: %v", err)
			return 0, nil, 0, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if w.token != "" {
			req.Header.Set("Authorization", "Bearer "+w.token)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		started := w.l.rec.current()
		start := time.Now()
		res, err := w.l.client.Do(req)
		var b []byte
		if err == nil {
			b, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		d := time.Since(start)
		if ctx.Err() != nil {
			return 0, nil, 0, ctx.Err() // cut short by the end of the load: not an answer
		}
		status := 0
		if err == nil {
			status = res.StatusCode
		}
		w.l.rec.observe(started, w.l.rec.current(), status, err, d, what, b)
		if err == nil && status != http.StatusServiceUnavailable {
			return status, b, attempt, nil
		}
		select {
		case <-ctx.Done():
			return 0, nil, 0, ctx.Err()
		case <-time.After(w.l.retryDelay):
		}
	}
}

// routeOf maps a path to its route pattern, for the reports.
func routeOf(path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) >= 3 && parts[0] == "v1" && (parts[1] == "topics" || parts[1] == "sessions") {
		parts[2] = "{id}"
		if len(parts) == 5 && parts[3] == "questions" {
			parts[4] = "{qid}"
		}
	}
	return "/" + strings.Join(parts, "/")
}

// loop signs up, then runs the mix until ctx is done.
func (w *worker) loop(ctx context.Context) {
	if !w.signUp(ctx) {
		return
	}
	for ctx.Err() == nil {
		m := w.l.mix
		var err error
		switch x := w.rnd.IntN(m.topic + m.questions + m.turn + m.read + m.login); {
		case len(w.topics) == 0 || x < m.topic:
			err = w.createTopic(ctx)
		case x < m.topic+m.questions:
			err = w.addQuestions(ctx, w.topics[w.rnd.IntN(len(w.topics))])
		case x < m.topic+m.questions+m.turn:
			err = w.turn(ctx)
		case x < m.topic+m.questions+m.turn+m.read:
			err = w.read(ctx)
		default:
			err = w.login(ctx)
		}
		if err != nil && ctx.Err() == nil {
			w.l.tb.Errorf("worker %d: %v", w.id, err)
			return
		}
	}
}

func (w *worker) signUp(ctx context.Context) bool {
	w.name = fmt.Sprintf("w%d-%s", w.id, randomSuffix())
	cred := map[string]string{"username": w.name, "password": "password-" + w.name}
	status, body, err := w.call(ctx, "POST", "/v1/users", cred, nil)
	if err != nil {
		return false
	}
	if status != http.StatusCreated && status != http.StatusConflict { // 409: a retry after the first try landed
		w.l.tb.Errorf("worker %d: sign-up: %d %s", w.id, status, body)
		return false
	}
	status, body, err = w.call(ctx, "POST", "/v1/tokens", cred, nil)
	if err != nil {
		return false
	}
	var tok struct{ Token string }
	if status != http.StatusCreated || json.Unmarshal(body, &tok) != nil || tok.Token == "" {
		w.l.tb.Errorf("worker %d: sign-in: %d %s", w.id, status, body)
		return false
	}
	w.token = tok.Token
	status, body, err = w.call(ctx, "GET", "/v1/me", nil, nil)
	if err != nil {
		return false
	}
	var me struct{ User struct{ ID string } }
	if status != http.StatusOK || json.Unmarshal(body, &me) != nil || me.User.ID == "" {
		w.l.tb.Errorf("worker %d: me: %d %s", w.id, status, body)
		return false
	}
	w.userID = me.User.ID
	return true
}

// login signs in again and uses the new token from then on.
func (w *worker) login(ctx context.Context) error {
	cred := map[string]string{"username": w.name, "password": "password-" + w.name}
	status, body, err := w.call(ctx, "POST", "/v1/tokens", cred, nil)
	if err != nil || status != http.StatusCreated {
		return nil
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" {
		return fmt.Errorf("sign in: %s", body)
	}
	w.token = tok.Token
	return nil
}

func (w *worker) createTopic(ctx context.Context) error {
	w.seq++
	title := fmt.Sprintf("%s topic %d", w.name, w.seq)
	status, body, err := w.call(ctx, "POST", "/v1/topics", map[string]string{"title": title}, nil)
	if err != nil || status != http.StatusCreated {
		return nil // not acknowledged; counted by the recorder
	}
	var out struct{ Topic struct{ ID string } }
	if err := json.Unmarshal(body, &out); err != nil || out.Topic.ID == "" {
		return fmt.Errorf("create topic: %s", body)
	}
	w.l.checker.Topic(w.userID, out.Topic.ID, title)
	w.topics = append(w.topics, &workerTopic{id: out.Topic.ID})
	return nil
}

func (w *worker) addQuestions(ctx context.Context, t *workerTopic) error {
	var qs []map[string]any
	var prompts []string
	for range 2 {
		w.seq++
		p := fmt.Sprintf("%s question %d?", w.name, w.seq)
		prompts = append(prompts, p)
		qs = append(qs, map[string]any{"prompt": p, "answers": []string{fmt.Sprintf("answer %d", w.seq)}, "hint": "think"})
	}
	status, body, err := w.call(ctx, "POST", "/v1/topics/"+t.id+"/questions", map[string]any{"questions": qs}, nil)
	if err != nil || status != http.StatusCreated {
		return nil
	}
	var out struct{ Questions []struct{ ID, Prompt string } }
	if err := json.Unmarshal(body, &out); err != nil || len(out.Questions) != len(qs) {
		return fmt.Errorf("add questions: %s", body)
	}
	for _, q := range out.Questions {
		w.l.checker.Question(t.id, q.ID, q.Prompt)
		t.questions = append(t.questions, q.ID)
	}
	// No stale data after an acknowledged write: the topic shows them.
	phase := w.l.rec.current()
	status, body, err = w.call(ctx, "GET", "/v1/topics/"+t.id+"?view=full", nil, nil)
	if err != nil || status != http.StatusOK {
		return nil
	}
	var got struct {
		Topic struct {
			QuestionIDs []string `json:"question_ids"`
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return fmt.Errorf("get topic: %s", body)
	}
	for _, id := range t.questions {
		if !slices.Contains(got.Topic.QuestionIDs, id) {
			w.l.rec.staleRead(phase, fmt.Sprintf("topic %s does not list the acknowledged question %s", t.id, id))
			break
		}
	}
	return nil
}

func (w *worker) turn(ctx context.Context) error {
	if w.session == "" {
		var candidates []*workerTopic
		for _, t := range w.topics {
			if len(t.questions) > 0 {
				candidates = append(candidates, t)
			}
		}
		if len(candidates) == 0 {
			return w.addQuestions(ctx, w.topics[0])
		}
		t := candidates[w.rnd.IntN(len(candidates))]
		status, body, err := w.call(ctx, "POST", "/v1/sessions", map[string]any{"topic_id": t.id, "question_count": 5, "shuffle": false}, nil)
		if err != nil || status != http.StatusCreated {
			return nil
		}
		var out struct{ Session struct{ ID string } }
		if err := json.Unmarshal(body, &out); err != nil || out.Session.ID == "" {
			return fmt.Errorf("start session: %s", body)
		}
		w.session = out.Session.ID
	}
	w.seq++
	msg := fmt.Sprintf("%s says %d", w.name, w.seq)
	key := fmt.Sprintf("%s-turn-%d", w.name, w.seq)
	status, body, attempts, err := w.callCounting(ctx, "POST", "/v1/sessions/"+w.session+"/turns", map[string]string{"message": msg},
		map[string]string{"Idempotency-Key": key})
	if err != nil {
		return nil
	}
	if status == http.StatusOK && attempts > 1 {
		w.l.retriedTurns.Add(1)
	}
	if status == http.StatusConflict {
		// The session is no longer active (it cannot complete behind
		// this worker's back, so this is counted as an error).
		w.session = ""
		return nil
	}
	if status != http.StatusOK {
		return nil
	}
	var out struct {
		Turn struct {
			Index int
			Kind  string
		}
		Session struct{ State string }
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("turn: %s", body)
	}
	if err := w.l.checker.Turn(w.session, out.Turn.Index, recall.TurnKind(out.Turn.Kind), msg); err != nil {
		return err
	}
	if out.Session.State != "active" {
		w.session = ""
	}
	return nil
}

func (w *worker) read(ctx context.Context) error {
	t := w.topics[w.rnd.IntN(len(w.topics))]
	var path string
	switch x := w.rnd.IntN(5); {
	case x == 0:
		path = "/v1/topics?view=dashboard"
	case x == 1:
		path = "/v1/topics/" + t.id + "?view=full"
	case x == 2:
		path = "/v1/topics/" + t.id + "/questions"
	case x == 3 && w.session != "":
		path = "/v1/sessions/" + w.session
	case w.session != "":
		path = "/v1/sessions/" + w.session + "/turns"
	default:
		path = "/v1/sessions?state=active"
	}
	_, _, _ = w.call(ctx, "GET", path, nil, nil)
	return nil
}
