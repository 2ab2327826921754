package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall/internal/fakeclock"
	"github.com/recallhq/recall/internal/server"
)

// newClock returns a clock for Main.Now that reads the present, to the
// second.
func newClock() *fakeclock.Clock { return fakeclock.New(time.Now().UTC().Truncate(time.Second)) }

// syncBuffer is a goroutine-safe io.Writer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// defaultConfig returns the configuration `recall serve` gets with no flags
// and no environment, then puts the server on a free loopback port and its
// SQLite database at dbPath.
func defaultConfig(tb testing.TB, dbPath string) Config {
	tb.Helper()
	var cfg Config
	if err := parse(cfg.serveFlags(io.Discard), nil, func(string) string { return "" }); err != nil {
		tb.Fatalf("parse the flag defaults: %v", err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = "sqlite:" + dbPath
	return cfg
}

// skipShort skips tb under -short, which runs without services, if cfg
// needs one: Redis, PostgreSQL or the Firestore emulator.
func skipShort(tb testing.TB, cfg Config) {
	tb.Helper()
	if !testing.Short() {
		return
	}
	kind, _, _ := server.ParseDB(cfg.DB)
	switch {
	case cfg.Redis != "":
		tb.Skip("needs Redis: skipped under -short")
	case kind == "postgres":
		tb.Skip("needs PostgreSQL: skipped under -short")
	case kind == "firestore":
		tb.Skip("needs the Firestore emulator: skipped under -short")
	}
}

// testServer is a real Main serving HTTP on a loopback port.
type testServer struct {
	tb     testing.TB
	m      *Main
	clock  *fakeclock.Clock
	client *http.Client
	logs   *syncBuffer
	served chan error
	seq    atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// testPasswordHash is the --password-hash of the test servers: a cost
// that hashes in microseconds, even under the race detector on a loaded
// machine, where the production cost takes seconds and would blow the
// request deadline.
const testPasswordHash = "m=64,t=1,p=1"

// startServer builds a Main for cfg with the clock and cheap password
// hashes (testPasswordHash unless cfg names a cost), opens it and serves it until the test ends (or stop is called).
func startServer(tb testing.TB, cfg Config, clock *fakeclock.Clock) *testServer {
	tb.Helper()
	skipShort(tb, cfg)
	s := &testServer{tb: tb, clock: clock, logs: &syncBuffer{}, served: make(chan error, 1)}
	logger := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.PasswordHash == "" {
		cfg.PasswordHash = testPasswordHash
	}
	s.m = NewMain(cfg, logger)
	s.m.Now = clock.Now
	if err := s.m.Open(context.Background()); err != nil {
		_ = s.m.Close(context.Background())
		tb.Fatalf("Open: %v", err)
	}
	go func() { s.served <- s.m.Serve() }()
	s.client = &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 4},
		Timeout:   60 * time.Second, // a safety net against a hung server, not an assertion
	}
	tb.Cleanup(func() {
		if err := s.stop(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// startDefault starts a server with the default configuration over a new
// SQLite file in a temporary directory; edit may change the configuration.
func startDefault(tb testing.TB, edit ...func(*Config)) *testServer {
	tb.Helper()
	cfg := defaultConfig(tb, filepath.Join(tb.TempDir(), "recall.db"))
	for _, f := range edit {
		f(&cfg)
	}
	return startServer(tb, cfg, newClock())
}

// stop closes the server (once) and waits for Serve to return; it returns
// the error of Close or of Serve.
func (s *testServer) stop() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := s.m.Close(ctx)
		s.client.CloseIdleConnections()
		if serr := <-s.served; serr != nil {
			err = errors.Join(err, fmt.Errorf("Serve: %w", serr))
		}
		s.closeErr = err
	})
	return s.closeErr
}

// apiCall is one request: body is sent as is if it is a string or []byte,
// marshalled otherwise. unavailable says the call expects that a 503 may
// answer it (a dependency the test took down); any other 5xx still fails.
type apiCall struct {
	method, path, token string
	body                any
	header              map[string]string
	unavailable         bool
}

// apiResp is a finished exchange.
type apiResp struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

// do sends c over TCP and checks what every response must keep: an
// X-Request-Id echoing the one sent, a JSON Content-Type (but on /metrics),
// never a 5xx (but a 503 the call expects), and an error body of exactly {"error":{"code","message"
// [,"fields"]}} with the code of the status.
func (s *testServer) do(c apiCall) *apiResp {
	s.tb.Helper()
	var body io.Reader
	switch b := c.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.tb.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(c.method, s.m.URL()+c.path, body)
	if err != nil {
		s.tb.Fatal(err)
	}
	if c.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	reqID := fmt.Sprintf("e2e-%d", s.seq.Add(1))
	hr.Header.Set("X-Request-Id", reqID)
	for k, v := range c.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	res, err := s.client.Do(hr)
	if err != nil {
		s.tb.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.tb.Fatalf("%s %s: read the body: %v", c.method, c.path, err)
	}
	r := &apiResp{method: c.method, path: c.path, status: res.StatusCode, header: res.Header, body: b}
	if want := hr.Header.Get("X-Request-Id"); want != "" && res.Header.Get("X-Request-Id") != want {
		s.tb.Errorf("%s %s: X-Request-Id %q, want %q echoed", c.method, c.path, res.Header.Get("X-Request-Id"), want)
	}
	if res.Header.Get("X-Request-Id") == "" {
		s.tb.Errorf("%s %s: no X-Request-Id", c.method, c.path)
	}
	if ct := res.Header.Get("Content-Type"); c.path != "/metrics" && ct != "application/json" {
		s.tb.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
	}
	if res.StatusCode >= 500 && !(c.unavailable && res.StatusCode == 503) {
		s.tb.Errorf("%s %s: status %d: %s", c.method, c.path, res.StatusCode, b)
	}
	if res.StatusCode >= 400 {
		checkErrorBody(s.tb, r)
	}
	return r
}

// statusOfCode is api.md's table, from error code to status.
var statusOfCode = map[string]int{
	"invalid": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "method_not_allowed": 405,
	"conflict": 409, "too_large": 413, "unsupported_media_type": 415,
	"rate_limited": 429, "internal": 500, "unavailable": 503,
}

// checkErrorBody checks that an error response's body is exactly
// {"error":{"code","message"[,"fields"]}}.
func checkErrorBody(tb testing.TB, r *apiResp) {
	tb.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &top); err != nil || len(top) != 1 || top["error"] == nil {
		tb.Errorf("%s %s: %d with a body that is not {\"error\":{…}}: %s", r.method, r.path, r.status, r.body)
		return
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(top["error"], &inner); err != nil {
		tb.Errorf("%s %s: error is not an object: %s", r.method, r.path, r.body)
		return
	}
	for k := range inner {
		if k != "code" && k != "message" && k != "fields" {
			tb.Errorf("%s %s: unexpected error key %q: %s", r.method, r.path, k, r.body)
		}
	}
	var e struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	}
	if err := json.Unmarshal(top["error"], &e); err != nil || e.Code == "" || e.Message == "" {
		tb.Errorf("%s %s: error without a code, a message or with bad fields: %s", r.method, r.path, r.body)
		return
	}
	if _, ok := inner["fields"]; ok && (e.Code != "invalid" || len(e.Fields) == 0) {
		tb.Errorf("%s %s: fields on a %q error or empty: %s", r.method, r.path, e.Code, r.body)
	}
	if want, ok := statusOfCode[e.Code]; !ok || want != r.status {
		tb.Errorf("%s %s: status %d with code %q", r.method, r.path, r.status, e.Code)
	}
}

// want checks the status and decodes the body into v (if not nil).
func (r *apiResp) want(tb testing.TB, status int, v any) *apiResp {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, r.status, status, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", r.method, r.path, r.body, err)
		}
	}
	return r
}

// apiError is the "error" member of an error body.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
}

// wantError checks an error response's status and code.
func (r *apiResp) wantError(tb testing.TB, status int, code string) apiError {
	tb.Helper()
	var eb struct {
		Error apiError `json:"error"`
	}
	r.want(tb, status, &eb)
	if eb.Error.Code != code {
		tb.Fatalf("%s %s: error code %q, want %q; body %s", r.method, r.path, eb.Error.Code, code, r.body)
	}
	return eb.Error
}

// field returns the raw JSON of one member of r's body object.
func (r *apiResp) field(tb testing.TB, name string) json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		tb.Fatalf("%s %s: not an object: %s", r.method, r.path, r.body)
	}
	v, ok := m[name]
	if !ok {
		tb.Fatalf("%s %s: no %q in %s", r.method, r.path, name, r.body)
	}
	return v
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(tb testing.TB, raw json.RawMessage) []string {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("not an object: %s", raw)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// wantKeys checks that raw is an object with exactly the keys want.
func wantKeys(tb testing.TB, what string, raw json.RawMessage, want ...string) {
	tb.Helper()
	sort.Strings(want)
	if got := keysOf(tb, raw); !slices.Equal(got, want) {
		tb.Fatalf("%s has keys %v, want %v: %s", what, got, want, raw)
	}
}

// --- API shapes used by the tests ---

type userOut struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	Admin     bool      `json:"admin"`
}

type tokenOut struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

type statsOut struct {
	SessionsCompleted int        `json:"sessions_completed"`
	Answers           int        `json:"answers"`
	Correct           int        `json:"correct"`
	Accuracy          *float64   `json:"accuracy"`
	LastStudiedAt     *time.Time `json:"last_studied_at"`
}

type topicOut struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	Description   string    `json:"description"`
	QuestionCount int       `json:"question_count"`
	QuestionIDs   []string  `json:"question_ids"`
	Stats         statsOut  `json:"stats"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

type questionOut struct {
	ID          string    `json:"id"`
	TopicID     string    `json:"topic_id"`
	Prompt      string    `json:"prompt"`
	Answers     []string  `json:"answers"`
	Choices     []string  `json:"choices"`
	Explanation string    `json:"explanation"`
	Hint        string    `json:"hint"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type progressOut struct {
	Total    int `json:"total"`
	Answered int `json:"answered"`
	Correct  int `json:"correct"`
	Skipped  int `json:"skipped"`
}

type currentOut struct {
	ID      string   `json:"id"`
	Prompt  string   `json:"prompt"`
	Choices []string `json:"choices"`
}

type sessionOut struct {
	ID              string      `json:"id"`
	TopicID         string      `json:"topic_id"`
	State           string      `json:"state"`
	CreatedAt       time.Time   `json:"created_at"`
	UpdatedAt       time.Time   `json:"updated_at"`
	ExpiresAt       time.Time   `json:"expires_at"`
	Progress        progressOut `json:"progress"`
	CurrentQuestion *currentOut `json:"current_question"`
}

type turnOut struct {
	Index      int       `json:"index"`
	Kind       string    `json:"kind"`
	Message    string    `json:"message"`
	Reply      string    `json:"reply"`
	QuestionID *string   `json:"question_id"`
	Correct    *bool     `json:"correct"`
	CreatedAt  time.Time `json:"created_at"`
}

type turnReply struct {
	Turn    turnOut    `json:"turn"`
	Session sessionOut `json:"session"`
}

// --- client steps ---

// signUp creates an account and signs in; it returns the user and a token.
func (s *testServer) signUp(tb testing.TB, username, password string) (userOut, string) {
	tb.Helper()
	cred := map[string]string{"username": username, "password": password}
	var u struct{ User userOut }
	s.do(apiCall{method: "POST", path: "/v1/users", body: cred}).want(tb, 201, &u)
	return u.User, s.signIn(tb, username, password)
}

// signIn returns a new token.
func (s *testServer) signIn(tb testing.TB, username, password string) string {
	tb.Helper()
	var tok tokenOut
	s.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": username, "password": password}}).want(tb, 201, &tok)
	if tok.Token == "" {
		tb.Fatal("sign-in gave no token")
	}
	return tok.Token
}

func (s *testServer) createTopic(tb testing.TB, token, title, description string) topicOut {
	tb.Helper()
	var out struct{ Topic topicOut }
	s.do(apiCall{method: "POST", path: "/v1/topics", token: token,
		body: map[string]string{"title": title, "description": description}}).want(tb, 201, &out)
	return out.Topic
}

func (s *testServer) addQuestions(tb testing.TB, token, topicID string, qs ...map[string]any) []questionOut {
	tb.Helper()
	var out struct{ Questions []questionOut }
	s.do(apiCall{method: "POST", path: "/v1/topics/" + topicID + "/questions", token: token,
		body: map[string]any{"questions": qs}}).want(tb, 201, &out)
	if len(out.Questions) != len(qs) {
		tb.Fatalf("added %d questions, got %d back", len(qs), len(out.Questions))
	}
	return out.Questions
}

// startSession starts a session in bank order (shuffle false).
func (s *testServer) startSession(tb testing.TB, token, topicID string, count int) sessionOut {
	tb.Helper()
	var out struct{ Session sessionOut }
	s.do(apiCall{method: "POST", path: "/v1/sessions", token: token,
		body: map[string]any{"topic_id": topicID, "question_count": count, "shuffle": false}}).want(tb, 201, &out)
	return out.Session
}

// turn posts one message, with an Idempotency-Key if key is not empty.
func (s *testServer) turn(tb testing.TB, token, sessionID, message, key string) (turnReply, *apiResp) {
	tb.Helper()
	var h map[string]string
	if key != "" {
		h = map[string]string{"Idempotency-Key": key}
	}
	var out turnReply
	r := s.do(apiCall{method: "POST", path: "/v1/sessions/" + sessionID + "/turns", token: token, header: h,
		body: map[string]string{"message": message}}).want(tb, 200, &out)
	return out, r
}

func (s *testServer) session(tb testing.TB, token, id string) sessionOut {
	tb.Helper()
	var out struct{ Session sessionOut }
	s.do(apiCall{method: "GET", path: "/v1/sessions/" + id, token: token}).want(tb, 200, &out)
	return out.Session
}

func (s *testServer) transcript(tb testing.TB, token, id string) []turnOut {
	tb.Helper()
	var out struct{ Turns []turnOut }
	s.do(apiCall{method: "GET", path: "/v1/sessions/" + id + "/turns", token: token}).want(tb, 200, &out)
	return out.Turns
}

func (s *testServer) topic(tb testing.TB, token, id, view string) topicOut {
	tb.Helper()
	var out struct{ Topic topicOut }
	s.do(apiCall{method: "GET", path: "/v1/topics/" + id + "?view=" + view, token: token}).want(tb, 200, &out)
	return out.Topic
}

// qFixture builds a NewQuestion with a hint and an explanation.
func qFixture(prompt string, answers ...string) map[string]any {
	return map[string]any{"prompt": prompt, "answers": answers,
		"hint": "hint: " + prompt, "explanation": "explained: " + prompt}
}

// --- metrics ---

// promSample is one series of the Prometheus text format.
type promSample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape reads GET /metrics.
func (s *testServer) scrape(tb testing.TB) []promSample {
	tb.Helper()
	r := s.do(apiCall{method: "GET", path: "/metrics"}).want(tb, 200, nil)
	out, err := parseProm(string(r.body))
	if err != nil {
		tb.Fatalf("parse /metrics: %v", err)
	}
	return out
}

// parseProm reads the samples of the Prometheus text format.
func parseProm(text string) ([]promSample, error) {
	var out []promSample
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("bad line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("bad value in %q", line)
		}
		series := line[:i]
		sm := promSample{labels: map[string]string{}, value: v}
		name, rest, hasLabels := strings.Cut(series, "{")
		sm.name = name
		if hasLabels {
			rest = strings.TrimSuffix(rest, "}")
			for rest != "" {
				k, after, ok := strings.Cut(rest, `="`)
				if !ok {
					return nil, fmt.Errorf("bad labels in %q", line)
				}
				var val strings.Builder
				j := 0
				for ; j < len(after) && after[j] != '"'; j++ {
					if after[j] == '\\' && j+1 < len(after) {
						j++
					}
					val.WriteByte(after[j])
				}
				sm.labels[strings.TrimPrefix(k, ",")] = val.String()
				if j >= len(after) {
					break
				}
				rest = after[j+1:]
			}
		}
		out = append(out, sm)
	}
	return out, sc.Err()
}

// promSum adds up the samples of name whose labels include match.
func promSum(samples []promSample, name string, match map[string]string) float64 {
	var total float64
	for _, s := range samples {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			total += s.value
		}
	}
	return total
}

// dbQueries returns recall_db_queries_total by "kind/op".
func dbQueries(samples []promSample) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		if s.name == "recall_db_queries_total" {
			out[s.labels["kind"]+"/"+s.labels["op"]] += s.value
		}
	}
	return out
}

// dbDelta returns the recall_db_queries_total series that changed from
// before to after, by "kind/op".
func dbDelta(before, after []promSample) map[string]float64 {
	b, a := dbQueries(before), dbQueries(after)
	out := map[string]float64{}
	for k, v := range a {
		if d := v - b[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
