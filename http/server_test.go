package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/auth"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/internal/fakeclock"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/ops"
	"github.com/recallhq/recall/sqlite"
	"github.com/recallhq/recall/tutor"
)

// syncBuffer is a goroutine-safe log sink.
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

// env is a real server over a real SQLite file and the real tutor engine.
type env struct {
	tb      testing.TB
	server  *Server
	ts      *httptest.Server
	store   *sqlite.Store
	clock   *fakeclock.Clock
	reg     *prometheus.Registry
	metrics *metrics.Metrics
	logs    *syncBuffer
	// conf checks every exchange of do against the served OpenAPI
	// document; built on first use.
	conf     *conformance
	confOnce sync.Once
}

// newEnv starts a server over the store itself; edit may change its Config
// before it is built.
func newEnv(tb testing.TB, edit ...func(*Config)) *env {
	tb.Helper()
	return newEnvWith(tb, false, edit...)
}

// newCachedEnv starts a server wired as the embedded default is: the cache
// decorators (with the in-process backend) in front of the store.
func newCachedEnv(tb testing.TB, edit ...func(*Config)) *env {
	tb.Helper()
	return newEnvWith(tb, true, edit...)
}

func newEnvWith(tb testing.TB, cached bool, edit ...func(*Config)) *env {
	tb.Helper()
	ctx := context.Background()
	e := &env{tb: tb, clock: fakeclock.New(time.Now().UTC().Truncate(time.Second)), logs: &syncBuffer{}}
	e.reg, e.metrics = metrics.NewRegistry()
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "recall.db"), sqlite.Options{Metrics: e.metrics, Logger: logger})
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	e.store = store
	var (
		topics    recall.TopicStore    = store
		questions recall.QuestionStore = store
		tokens    recall.TokenStore    = store
		sessStore recall.SessionStore  = store
		memories  recall.MemoryStore   = store
		users     recall.UserStore     = store
	)
	if cached {
		backend := inmem.NewCache(inmem.CacheOptions{})
		tb.Cleanup(func() { _ = backend.Close() })
		opts := cache.Options{Metrics: e.metrics, Logger: logger}
		topics = cache.NewTopicStore(store, backend, opts)
		sessStore = cache.NewSessionStore(store, backend, opts)
		questions = cache.NewQuestionStore(store, backend, opts)
		tokens = cache.NewTokenStore(store, backend, opts)
		memories = cache.NewMemoryStore(store, backend, opts)
		users = cache.NewUserStore(store, backend, opts)
	}
	sessions := inmem.NewSessionCache(inmem.SessionCacheOptions{Now: e.clock.Now})
	cfg := Config{
		Store: store,
		Auth: auth.New(auth.Config{
			Users: store, Tokens: tokens, Now: e.clock.Now, Logger: logger,
			HashParams: auth.HashParams{Memory: 64, Time: 1, Threads: 1},
		}),
		Topics:    topics,
		Questions: questions,
		Users:     users,
		Memories:  memories,
		Tutor: tutor.New(tutor.Config{
			Sessions: sessStore, Topics: topics, Questions: questions, Cache: sessions,
			Memories: memories, Users: users, Now: e.clock.Now, Logger: logger,
		}),
		Conversations: tutor.NewConversations(tutor.ConversationConfig{
			Store: store, Topics: topics, Questions: questions, Now: e.clock.Now, Logger: logger,
			Cache: inmem.NewConversationCache(inmem.SessionCacheOptions{Now: e.clock.Now}),
		}),
		Metrics:  e.metrics,
		Gatherer: e.reg,
		Logger:   logger,
		Now:      e.clock.Now,
		// As the server is wired without Redis: the role is read from
		// the primary store, where SetAdmin writes.
		Roles: store,
		Ops:   ops.New(ops.Config{Gatherer: e.reg, Instance: "test:1", Now: e.clock.Now}),
	}
	for _, f := range edit {
		f(&cfg)
	}
	e.server = NewServer(cfg)
	e.ts = httptest.NewServer(e.server.Handler())
	tb.Cleanup(e.ts.Close)
	return e
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// cardBody is a request body that is a card file, sent with its media type.
type cardBody struct{ mediaType, text string }

// req is a request to send; body is marshalled unless it is a string,
// []byte or cardBody.
type req struct {
	method, path, token string
	body                any
	header              map[string]string
}

func (e *env) do(r req) *response {
	e.tb.Helper()
	var body io.Reader
	var sent []byte
	contentType := "application/json"
	switch b := r.body.(type) {
	case nil:
	case cardBody:
		sent, contentType = []byte(b.text), b.mediaType
	case string:
		sent = []byte(b)
	case []byte:
		sent = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.tb.Fatal(err)
		}
		sent = j
	}
	if r.body != nil {
		body = bytes.NewReader(sent)
	}
	hr, err := http.NewRequest(r.method, e.ts.URL+r.path, body)
	if err != nil {
		e.tb.Fatal(err)
	}
	if r.body != nil {
		hr.Header.Set("Content-Type", contentType)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	res, err := e.ts.Client().Do(hr)
	if err != nil {
		e.tb.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.tb.Fatal(err)
	}
	out := &response{status: res.StatusCode, header: res.Header, body: b}
	e.confOnce.Do(func() { e.conf = newConformance(e.tb, e.server) })
	if p := e.conf.check(hr, sent, out); p != "" {
		e.tb.Errorf("%s %s: %d does not conform to openapi.json: %s\nbody %s", r.method, r.path, res.StatusCode, p, b)
	}
	// Conventions every response keeps.
	if res.Header.Get("X-Request-Id") == "" {
		e.tb.Errorf("%s %s: no X-Request-Id", r.method, r.path)
	}
	if ct := res.Header.Get("Content-Type"); r.path != "/metrics" && ct != "application/json" && !(res.StatusCode == 200 && strings.Contains(r.path, "/questions/export")) &&
		!(res.StatusCode == 200 && strings.HasPrefix(ct, "text/event-stream") && hr.Header.Get("Accept") == "text/event-stream") {
		e.tb.Errorf("%s %s: Content-Type %q", r.method, r.path, ct)
	}
	if res.StatusCode >= 400 {
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			e.tb.Errorf("%s %s: %d with a body that is not a JSON error: %s", r.method, r.path, res.StatusCode, b)
		}
	}
	return out
}

// want checks the status and decodes the body into v (if not nil).
func (r *response) want(tb testing.TB, status int, v any) *response {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			tb.Fatalf("decode %s: %v", r.body, err)
		}
	}
	return r
}

// wantError checks an error response's status and code.
func (r *response) wantError(tb testing.TB, status int, code string) errorJSON {
	tb.Helper()
	var eb errorBody
	r.want(tb, status, &eb)
	if eb.Error.Code != code {
		tb.Fatalf("error code %q, want %q; body %s", eb.Error.Code, code, r.body)
	}
	return eb.Error
}

// keys returns the sorted keys of a JSON object.
func keys(tb testing.TB, raw json.RawMessage) []string {
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

// signUp registers a user and returns a token.
func (e *env) signUp(name string) string {
	e.tb.Helper()
	cred := map[string]string{"username": name, "password": "password-" + name}
	e.do(req{method: "POST", path: "/v1/users", body: cred}).want(e.tb, 201, nil)
	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	e.do(req{method: "POST", path: "/v1/tokens", body: cred}).want(e.tb, 201, &tok)
	if tok.Token == "" {
		e.tb.Fatal("no token")
	}
	return tok.Token
}

type topicResp struct {
	Topic struct {
		ID          string   `json:"id"`
		Title       string   `json:"title"`
		QuestionIDs []string `json:"question_ids"`
	} `json:"topic"`
}

func (e *env) createTopic(token, title string) string {
	e.tb.Helper()
	var tr topicResp
	e.do(req{method: "POST", path: "/v1/topics", token: token, body: map[string]string{"title": title}}).want(e.tb, 201, &tr)
	return tr.Topic.ID
}

type questionOut struct {
	ID          string   `json:"id"`
	TopicID     string   `json:"topic_id"`
	Prompt      string   `json:"prompt"`
	Answers     []string `json:"answers"`
	Choices     []string `json:"choices"`
	Explanation string   `json:"explanation"`
	Hint        string   `json:"hint"`
}

func (e *env) addQuestions(token, topicID string, qs ...map[string]any) []questionOut {
	e.tb.Helper()
	var out struct {
		Questions []questionOut `json:"questions"`
	}
	e.do(req{method: "POST", path: "/v1/topics/" + topicID + "/questions", token: token, body: map[string]any{"questions": qs}}).want(e.tb, 201, &out)
	return out.Questions
}

type sessionOut struct {
	ID       string `json:"id"`
	TopicID  string `json:"topic_id"`
	State    string `json:"state"`
	Progress struct {
		Total, Answered, Correct, Skipped int
	} `json:"progress"`
	CurrentQuestion *struct {
		ID      string   `json:"id"`
		Prompt  string   `json:"prompt"`
		Choices []string `json:"choices"`
	} `json:"current_question"`
}

type turnOut struct {
	Index      int     `json:"index"`
	Kind       string  `json:"kind"`
	Message    string  `json:"message"`
	Reply      string  `json:"reply"`
	QuestionID *string `json:"question_id"`
	Correct    *bool   `json:"correct"`
}

type turnResp struct {
	Turn    turnOut    `json:"turn"`
	Session sessionOut `json:"session"`
}

func (e *env) startSession(token, topicID string, count int) sessionOut {
	e.tb.Helper()
	var out struct {
		Session sessionOut `json:"session"`
	}
	e.do(req{method: "POST", path: "/v1/sessions", token: token,
		body: map[string]any{"topic_id": topicID, "question_count": count, "shuffle": false}}).want(e.tb, 201, &out)
	return out.Session
}

func q(prompt, answer string) map[string]any {
	return map[string]any{"prompt": prompt, "answers": []string{answer},
		"hint": "hint for " + prompt, "explanation": "because of " + prompt}
}

func TestDecodingErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	for _, tc := range []struct {
		name   string
		body   any
		ct     string
		status int
		code   string
	}{
		{"Malformed", `{"title": "x",`, "", 400, "invalid"},
		{"UnknownField", `{"title": "x", "colour": "red"}`, "", 400, "invalid"},
		{"TrailingData", `{"title": "x"} {}`, "", 400, "invalid"},
		{"WrongType", `{"title": 42}`, "", 400, "invalid"},
		{"BadUTF8", "{\"title\": \"\xc3\x28\"}", "", 400, "invalid"},
		{"Empty", "", "", 400, "invalid"},
		{"Array", `[]`, "", 400, "invalid"},
		{"TooLarge", `{"title": "` + strings.Repeat("x", MaxBodyBytes) + `"}`, "", 413, "too_large"},
		{"NotJSON", `{"title": "x"}`, "application/xml", 415, "unsupported_media_type"},
		{"Invalid", `{"title": "   "}`, "", 400, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.ct != "" {
				h["Content-Type"] = tc.ct
			}
			r := e.do(req{method: "POST", path: "/v1/topics", token: tok, body: tc.body, header: h})
			r.wantError(t, tc.status, tc.code)
		})
	}
	// A page of another site can post these without a CORS preflight:
	// they are refused, whatever the body.
	for name, ct := range map[string]string{
		"MissingContentType": "", "TextPlain": "text/plain", "TextPlainUTF8": "text/plain;charset=UTF-8",
		"Form": "application/x-www-form-urlencoded", "Multipart": "multipart/form-data; boundary=x",
		"PlusJSON": "application/merge-patch+json",
	} {
		t.Run("Refused"+name, func(t *testing.T) {
			for _, path := range []string{"/v1/users", "/v1/tokens", "/v1/topics"} {
				e.do(req{method: "POST", path: path, token: tok, body: `{"title": "no", "username": "eve", "password": "password1"}`,
					header: map[string]string{"Content-Type": ct}}).wantError(t, 415, "unsupported_media_type")
			}
		})
	}
	t.Run("CharsetUTF8", func(t *testing.T) {
		e.do(req{method: "POST", path: "/v1/topics", token: tok, body: `{"title": "ok"}`,
			header: map[string]string{"Content-Type": "application/json; charset=UTF-8"}}).want(t, 201, nil)
	})
	t.Run("PlainJSON", func(t *testing.T) {
		e.do(req{method: "POST", path: "/v1/topics", token: tok, body: `{"title": "ok too"}`}).want(t, 201, nil)
	})
	t.Run("FieldsNamed", func(t *testing.T) {
		got := e.do(req{method: "POST", path: "/v1/topics", token: tok, body: `{"title": 42}`}).wantError(t, 400, "invalid")
		if _, ok := got.Fields["title"]; !ok {
			t.Fatalf("fields = %v, want title", got.Fields)
		}
		got = e.do(req{method: "POST", path: "/v1/topics", token: tok, body: `{"title": "x", "colour": 1}`}).wantError(t, 400, "invalid")
		if _, ok := got.Fields["colour"]; !ok {
			t.Fatalf("fields = %v, want colour", got.Fields)
		}
	})
	// Nothing above created a topic but the two that were valid.
	var list struct{ Topics []json.RawMessage }
	e.do(req{method: "GET", path: "/v1/topics", token: tok}).want(t, 200, &list)
	if len(list.Topics) != 2 {
		t.Fatalf("%d topics, want 2", len(list.Topics))
	}
}

func TestAccounts(t *testing.T) {
	e := newEnv(t)
	cred := map[string]string{"username": "  Ada ", "password": "correct horse"}
	var u struct {
		User struct {
			ID, Username string
			CreatedAt    time.Time `json:"created_at"`
		}
	}
	r := e.do(req{method: "POST", path: "/v1/users", body: cred}).want(t, 201, &u)
	if u.User.ID == "" || u.User.Username != "ada" || u.User.CreatedAt.IsZero() {
		t.Fatalf("user %s", r.body)
	}
	if got := keys(t, json.RawMessage(mustField(t, r.body, "user"))); !slices.Equal(got, []string{"admin", "created_at", "id", "time_zone", "username"}) {
		t.Fatalf("user keys %v", got)
	}

	t.Run("ErrUsernameTaken", func(t *testing.T) {
		got := e.do(req{method: "POST", path: "/v1/users", body: map[string]string{"username": "ADA", "password": "another pw"}}).wantError(t, 409, "conflict")
		if got.Message != "That username is taken." {
			t.Fatalf("message %q", got.Message)
		}
	})
	t.Run("ErrInvalidUsername", func(t *testing.T) {
		got := e.do(req{method: "POST", path: "/v1/users", body: map[string]string{"username": "a b", "password": "x"}}).wantError(t, 400, "invalid")
		if got.Fields["username"] == "" || got.Fields["password"] == "" {
			t.Fatalf("fields %v", got.Fields)
		}
	})
	t.Run("ErrWrongPasswordSameAsUnknownUser", func(t *testing.T) {
		a := e.do(req{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "ada", "password": "wrong horse"}})
		b := e.do(req{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "nobody", "password": "wrong horse"}})
		ea, eb := a.wantError(t, 401, "unauthorized"), b.wantError(t, 401, "unauthorized")
		if ea.Message != eb.Message || !bytes.Equal(a.body, b.body) {
			t.Fatalf("the two 401s differ: %+v / %+v", ea, eb)
		}
	})

	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	e.do(req{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "ADA", "password": "correct horse"}}).want(t, 201, &tok)
	if want := e.clock.Now().Add(recall.TokenLifetime); !tok.ExpiresAt.Equal(want) {
		t.Fatalf("expires_at %v, want %v", tok.ExpiresAt, want)
	}
	var me struct{ User struct{ ID, Username string } }
	e.do(req{method: "GET", path: "/v1/me", token: tok.Token}).want(t, 200, &me)
	if me.User.ID != u.User.ID {
		t.Fatalf("me = %+v", me)
	}
	if strings.Contains(e.logs.String(), tok.Token) || strings.Contains(e.logs.String(), "correct horse") {
		t.Fatal("a token or a password reached the log")
	}
}

func mustField(tb testing.TB, body []byte, name string) []byte {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		tb.Fatal(err)
	}
	return m[name]
}

func TestAuthErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, nil)

	check := func(t *testing.T, hdr string) {
		t.Helper()
		r := e.do(req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": hdr}})
		r.wantError(t, 401, "unauthorized")
		if got := r.header.Get("WWW-Authenticate"); got != "Bearer" {
			t.Fatalf("WWW-Authenticate %q", got)
		}
	}
	t.Run("Missing", func(t *testing.T) { check(t, "") })
	t.Run("WrongScheme", func(t *testing.T) { check(t, "Basic "+tok) })
	t.Run("NoToken", func(t *testing.T) { check(t, "Bearer ") })
	t.Run("Malformed", func(t *testing.T) { check(t, "Bearer not-a-token") })
	t.Run("Unknown", func(t *testing.T) { check(t, "Bearer rc_"+strings.Repeat("A", 43)) })
	t.Run("SchemeCaseInsensitive", func(t *testing.T) {
		e.do(req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": "bearer " + tok}}).want(t, 200, nil)
	})
	t.Run("Revoked", func(t *testing.T) {
		other := e.signUp("bob")
		e.do(req{method: "DELETE", path: "/v1/tokens/current", token: other}).want(t, 204, nil)
		check(t, "Bearer "+other)
		e.do(req{method: "DELETE", path: "/v1/tokens/current", token: other}).wantError(t, 401, "unauthorized")
		// Only that token was revoked.
		e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, nil)
	})
	t.Run("Expired", func(t *testing.T) {
		e.clock.Add(recall.TokenLifetime)
		check(t, "Bearer "+tok)
	})
}

func TestOtherUsersResourcesAreNotFound(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.signUp("alice"), e.signUp("bob")
	topic := e.createTopic(alice, "Capitals")
	other := e.createTopic(alice, "Rivers")
	qs := e.addQuestions(alice, topic, q("Capital of France?", "Paris"), q("Capital of Peru?", "Lima"))
	otherQ := e.addQuestions(alice, other, q("Longest river?", "Nile"))
	sess := e.startSession(alice, topic, 2)
	bobTopic := e.createTopic(bob, "Bob's")

	for _, r := range []req{
		{method: "GET", path: "/v1/topics/" + topic},
		{method: "PATCH", path: "/v1/topics/" + topic, body: map[string]string{"title": "mine"}},
		{method: "DELETE", path: "/v1/topics/" + topic},
		{method: "GET", path: "/v1/topics/" + topic + "/questions"},
		{method: "POST", path: "/v1/topics/" + topic + "/questions", body: map[string]any{"questions": []any{q("x?", "y")}}},
		{method: "GET", path: "/v1/topics/" + topic + "/questions/" + qs[0].ID},
		{method: "PATCH", path: "/v1/topics/" + topic + "/questions/" + qs[0].ID, body: map[string]string{"prompt": "hacked"}},
		{method: "DELETE", path: "/v1/topics/" + topic + "/questions/" + qs[0].ID},
		// Alice's question through Bob's own topic.
		{method: "GET", path: "/v1/topics/" + bobTopic + "/questions/" + qs[0].ID},
		{method: "PATCH", path: "/v1/topics/" + bobTopic + "/questions/" + qs[0].ID, body: map[string]string{"prompt": "hacked"}},
		{method: "DELETE", path: "/v1/topics/" + bobTopic + "/questions/" + qs[0].ID},
		{method: "POST", path: "/v1/sessions", body: map[string]any{"topic_id": topic}},
		{method: "GET", path: "/v1/sessions/" + sess.ID},
		{method: "POST", path: "/v1/sessions/" + sess.ID + "/turns", body: map[string]string{"message": "Paris"}},
		{method: "GET", path: "/v1/sessions/" + sess.ID + "/turns"},
		{method: "POST", path: "/v1/sessions/" + sess.ID + "/end"},
	} {
		r.token = bob
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			e.do(r).wantError(t, 404, "not_found")
		})
	}
	t.Run("QuestionOfAnotherTopic", func(t *testing.T) {
		path := "/v1/topics/" + topic + "/questions/" + otherQ[0].ID
		e.do(req{method: "GET", path: path, token: alice}).wantError(t, 404, "not_found")
		e.do(req{method: "PATCH", path: path, token: alice, body: map[string]string{"prompt": "moved"}}).wantError(t, 404, "not_found")
		e.do(req{method: "DELETE", path: path, token: alice}).wantError(t, 404, "not_found")
	})
	t.Run("ListsAreOwn", func(t *testing.T) {
		var tl struct{ Topics []struct{ ID string } }
		e.do(req{method: "GET", path: "/v1/topics", token: bob}).want(t, 200, &tl)
		if len(tl.Topics) != 1 || tl.Topics[0].ID != bobTopic {
			t.Fatalf("bob's topics: %+v", tl.Topics)
		}
		var sl struct{ Sessions []sessionOut }
		e.do(req{method: "GET", path: "/v1/sessions", token: bob}).want(t, 200, &sl)
		if len(sl.Sessions) != 0 {
			t.Fatalf("bob sees sessions: %+v", sl.Sessions)
		}
	})
	t.Run("AliceUntouched", func(t *testing.T) {
		var bank struct{ Questions []questionOut }
		e.do(req{method: "GET", path: "/v1/topics/" + topic + "/questions", token: alice}).want(t, 200, &bank)
		if len(bank.Questions) != 2 || bank.Questions[0].Prompt != "Capital of France?" {
			t.Fatalf("alice's bank changed: %+v", bank.Questions)
		}
		var s struct{ Session sessionOut }
		e.do(req{method: "GET", path: "/v1/sessions/" + sess.ID, token: alice}).want(t, 200, &s)
		if s.Session.State != "active" || s.Session.Progress.Answered != 0 {
			t.Fatalf("alice's session changed: %+v", s.Session)
		}
	})
}

func TestTopicViews(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	first := e.createTopic(tok, "First")
	e.clock.Add(time.Second)
	second := e.createTopic(tok, "Second")
	e.clock.Add(time.Second)
	qs := e.addQuestions(tok, first, q("1+1?", "2"))
	e.clock.Add(time.Second)

	var created struct{ Topic json.RawMessage }
	r := e.do(req{method: "POST", path: "/v1/topics", token: tok, body: map[string]string{"title": "  Third ", "description": "d"}}).want(t, 201, &created)
	if got := keys(t, created.Topic); !slices.Equal(got, []string{"created_at", "description", "id", "question_count", "question_ids", "stats", "title", "updated_at"}) {
		t.Fatalf("created topic keys %v", got)
	}
	if !strings.HasPrefix(r.header.Get("Location"), "/v1/topics/") {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	third := string(mustField(t, created.Topic, "id"))
	third = strings.Trim(third, `"`)

	summary := []string{"id", "question_count", "title", "updated_at"}
	dashboard := []string{"description", "id", "question_count", "stats", "title", "updated_at"}
	full := []string{"created_at", "description", "id", "question_count", "question_ids", "stats", "title", "updated_at"}
	for view, want := range map[string][]string{"": summary, "?view=": summary, "?view=summary": summary, "?view=dashboard": dashboard, "?view=full": full} {
		t.Run("List"+view, func(t *testing.T) {
			var list struct{ Topics []json.RawMessage }
			e.do(req{method: "GET", path: "/v1/topics" + view, token: tok}).want(t, 200, &list)
			if len(list.Topics) != 3 {
				t.Fatalf("%d topics", len(list.Topics))
			}
			for _, tp := range list.Topics {
				if got := keys(t, tp); !slices.Equal(got, want) {
					t.Fatalf("keys %v, want %v", got, want)
				}
			}
			// Most recently updated first: adding questions touched "First".
			var order []string
			for _, tp := range list.Topics {
				var x struct{ ID string }
				_ = json.Unmarshal(tp, &x)
				order = append(order, x.ID)
			}
			if order[0] != third || order[2] != second {
				t.Fatalf("order %v; want %s first and %s last", order, third, second)
			}
		})
		t.Run("Get"+view, func(t *testing.T) {
			var one struct{ Topic json.RawMessage }
			e.do(req{method: "GET", path: "/v1/topics/" + first + view, token: tok}).want(t, 200, &one)
			if got := keys(t, one.Topic); !slices.Equal(got, want) {
				t.Fatalf("keys %v, want %v", got, want)
			}
		})
	}
	t.Run("ErrBadView", func(t *testing.T) {
		e.do(req{method: "GET", path: "/v1/topics?view=everything", token: tok}).wantError(t, 400, "invalid")
		e.do(req{method: "GET", path: "/v1/topics/" + first + "?view=FULL", token: tok}).wantError(t, 400, "invalid")
	})
	t.Run("FullFields", func(t *testing.T) {
		var one struct {
			Topic struct {
				QuestionCount int      `json:"question_count"`
				QuestionIDs   []string `json:"question_ids"`
				Stats         map[string]any
			}
		}
		e.do(req{method: "GET", path: "/v1/topics/" + first + "?view=full", token: tok}).want(t, 200, &one)
		if one.Topic.QuestionCount != 1 || !slices.Equal(one.Topic.QuestionIDs, []string{qs[0].ID}) {
			t.Fatalf("topic %+v", one.Topic)
		}
		st := one.Topic.Stats
		if st["accuracy"] != nil || st["last_studied_at"] != nil || st["answers"] != float64(0) || st["sessions_completed"] != float64(0) {
			t.Fatalf("stats before any session: %v", st)
		}
		if _, ok := st["accuracy"]; !ok {
			t.Fatal("accuracy is missing; want null")
		}
	})
	t.Run("StatsAfterSession", func(t *testing.T) {
		s := e.startSession(tok, first, 1)
		e.do(req{method: "POST", path: "/v1/sessions/" + s.ID + "/turns", token: tok, body: map[string]string{"message": "2"}}).want(t, 200, nil)
		var one struct {
			Topic struct {
				Stats struct {
					SessionsCompleted int        `json:"sessions_completed"`
					Accuracy          *float64   `json:"accuracy"`
					LastStudiedAt     *time.Time `json:"last_studied_at"`
				}
			}
		}
		e.do(req{method: "GET", path: "/v1/topics/" + first + "?view=dashboard", token: tok}).want(t, 200, &one)
		st := one.Topic.Stats
		if st.SessionsCompleted != 1 || st.Accuracy == nil || *st.Accuracy != 1 || st.LastStudiedAt == nil {
			t.Fatalf("stats after one perfect session: %+v", st)
		}
	})
	t.Run("PatchAndDelete", func(t *testing.T) {
		var up struct {
			Topic struct {
				Title       string
				Description *string
			}
		}
		e.do(req{method: "PATCH", path: "/v1/topics/" + second, token: tok, body: map[string]string{"description": "new"}}).want(t, 200, &up)
		if up.Topic.Title != "Second" || up.Topic.Description == nil || *up.Topic.Description != "new" {
			t.Fatalf("patched %+v", up.Topic)
		}
		e.do(req{method: "PATCH", path: "/v1/topics/" + second, token: tok, body: map[string]string{}}).wantError(t, 400, "invalid")
		e.do(req{method: "DELETE", path: "/v1/topics/" + second, token: tok}).want(t, 204, nil)
		e.do(req{method: "GET", path: "/v1/topics/" + second, token: tok}).wantError(t, 404, "not_found")
		e.do(req{method: "DELETE", path: "/v1/topics/" + second, token: tok}).wantError(t, 404, "not_found")
	})
}

func TestQuestionBank(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	topic := e.createTopic(tok, "Bank")
	path := "/v1/topics/" + topic + "/questions"
	bank := func(t *testing.T) []questionOut {
		t.Helper()
		var out struct{ Questions []questionOut }
		e.do(req{method: "GET", path: path, token: tok}).want(t, 200, &out)
		return out.Questions
	}

	t.Run("AllOrNothing", func(t *testing.T) {
		items := []any{
			q("ok?", "yes"),
			map[string]any{"prompt": "Pick", "answers": []string{"D"}, "choices": []string{"A", "B"}},
			map[string]any{"prompt": "", "answers": []string{}},
		}
		got := e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"questions": items}}).wantError(t, 400, "invalid")
		for _, f := range []string{"questions[1].answers", "questions[2].prompt", "questions[2].answers"} {
			if got.Fields[f] == "" {
				t.Errorf("fields %v: want %s", got.Fields, f)
			}
		}
		if n := len(bank(t)); n != 0 {
			t.Fatalf("%d questions written by a rejected request", n)
		}
	})
	t.Run("ErrCount", func(t *testing.T) {
		e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"questions": []any{}}}).wantError(t, 400, "invalid")
		e.do(req{method: "POST", path: path, token: tok, body: map[string]any{}}).wantError(t, 400, "invalid")
		many := make([]any, recall.MaxQuestionsPerRequest+1)
		for i := range many {
			many[i] = map[string]any{"prompt": "p", "answers": []string{"a"}}
		}
		got := e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"questions": many}}).wantError(t, 400, "invalid")
		if got.Fields["questions"] == "" {
			t.Fatalf("fields %v", got.Fields)
		}
	})
	var added []questionOut
	t.Run("Add", func(t *testing.T) {
		added = e.addQuestions(tok, topic,
			q("Capital of France?", "Paris"),
			map[string]any{"prompt": "2+2?", "answers": []string{"4"}, "choices": []string{"3", "4", "5"}},
		)
		if len(added) != 2 || added[0].TopicID != topic || added[1].Choices == nil || added[0].Choices != nil {
			t.Fatalf("added %+v", added)
		}
		var raw struct{ Questions []json.RawMessage }
		e.do(req{method: "GET", path: path, token: tok}).want(t, 200, &raw)
		want := []string{"answers", "created_at", "explanation", "hint", "id", "prompt", "topic_id", "updated_at"}
		if got := keys(t, raw.Questions[0]); !slices.Equal(got, want) {
			t.Fatalf("typed question keys %v, want %v (choices omitted)", got, want)
		}
		if got := keys(t, raw.Questions[1]); !slices.Contains(got, "choices") {
			t.Fatalf("multiple-choice keys %v", got)
		}
		got := bank(t)
		if len(got) != 2 || got[0].ID != added[0].ID || got[1].ID != added[1].ID {
			t.Fatalf("bank order %+v", got)
		}
	})
	t.Run("GetPatchDelete", func(t *testing.T) {
		one := path + "/" + added[0].ID
		var g struct{ Question questionOut }
		e.do(req{method: "GET", path: one, token: tok}).want(t, 200, &g)
		if g.Question.Prompt != "Capital of France?" || g.Question.Hint == "" {
			t.Fatalf("question %+v", g.Question)
		}
		e.do(req{method: "PATCH", path: one, token: tok, body: map[string]any{"answers": []string{"Paris", "paris, france"}}}).want(t, 200, &g)
		if len(g.Question.Answers) != 2 || g.Question.Prompt != "Capital of France?" {
			t.Fatalf("patched %+v", g.Question)
		}
		// The result must pass Check: an answer outside the choices.
		mc := path + "/" + added[1].ID
		e.do(req{method: "PATCH", path: mc, token: tok, body: map[string]any{"answers": []string{"7"}}}).wantError(t, 400, "invalid")
		e.do(req{method: "PATCH", path: mc, token: tok, body: map[string]any{"choices": []string{}}}).want(t, 200, &g)
		if g.Question.Choices != nil {
			t.Fatalf("choices [] kept choices: %+v", g.Question)
		}
		e.do(req{method: "PATCH", path: one, token: tok, body: map[string]any{}}).wantError(t, 400, "invalid")
		e.do(req{method: "DELETE", path: one, token: tok}).want(t, 204, nil)
		e.do(req{method: "GET", path: one, token: tok}).wantError(t, 404, "not_found")
		if got := bank(t); len(got) != 1 || got[0].ID != added[1].ID {
			t.Fatalf("bank after delete %+v", got)
		}
	})
	t.Run("UnknownTopic", func(t *testing.T) {
		e.do(req{method: "GET", path: "/v1/topics/nope/questions", token: tok}).wantError(t, 404, "not_found")
		e.do(req{method: "POST", path: "/v1/topics/nope/questions", token: tok, body: map[string]any{"questions": []any{q("a?", "b")}}}).wantError(t, 404, "not_found")
	})
}

func TestSessionTurns(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	topic := e.createTopic(tok, "Capitals")
	e.addQuestions(tok, topic,
		map[string]any{"prompt": "Capital of France?", "answers": []string{"Zanzibarville"}, "hint": "SECRET-HINT", "explanation": "SECRET-EXPLANATION"},
		map[string]any{"prompt": "Capital of Peru?", "answers": []string{"Lima"}},
		map[string]any{"prompt": "Capital of Chad?", "answers": []string{"N'Djamena"}},
	)

	t.Run("ErrEmptyTopic", func(t *testing.T) {
		empty := e.createTopic(tok, "Empty")
		e.do(req{method: "POST", path: "/v1/sessions", token: tok, body: map[string]any{"topic_id": empty}}).wantError(t, 400, "invalid")
		e.do(req{method: "POST", path: "/v1/sessions", token: tok, body: map[string]any{}}).wantError(t, 400, "invalid")
		e.do(req{method: "POST", path: "/v1/sessions", token: tok, body: map[string]any{"topic_id": topic, "question_count": 0}}).wantError(t, 400, "invalid")
	})

	var start struct{ Session json.RawMessage }
	r := e.do(req{method: "POST", path: "/v1/sessions", token: tok,
		body: map[string]any{"topic_id": topic, "question_count": 3, "shuffle": false}}).want(t, 201, &start)
	if got := keys(t, start.Session); !slices.Equal(got, []string{"created_at", "current_question", "expires_at", "id", "progress", "state", "topic_id", "updated_at"}) {
		t.Fatalf("session keys %v", got)
	}
	var s sessionOut
	_ = json.Unmarshal(start.Session, &s)
	if s.State != "active" || s.Progress.Total != 3 || s.CurrentQuestion == nil || s.CurrentQuestion.Prompt != "Capital of France?" {
		t.Fatalf("session %s", start.Session)
	}
	for _, secret := range []string{"Zanzibarville", "SECRET-HINT", "SECRET-EXPLANATION"} {
		if bytes.Contains(r.body, []byte(secret)) {
			t.Fatalf("the session shows %q: %s", secret, r.body)
		}
	}
	turns := "/v1/sessions/" + s.ID + "/turns"

	t.Run("Hint", func(t *testing.T) {
		var tr turnResp
		r := e.do(req{method: "POST", path: turns, token: tok, body: map[string]string{"message": "/hint"}}).want(t, 200, &tr)
		if tr.Turn.Kind != "hint" || tr.Turn.Correct != nil || !strings.Contains(tr.Turn.Reply, "SECRET-HINT") {
			t.Fatalf("hint turn %+v", tr.Turn)
		}
		if !bytes.Contains(r.body, []byte(`"correct":null`)) {
			t.Fatalf("a hint's correct is not null: %s", r.body)
		}
		if bytes.Contains(mustField(t, r.body, "session"), []byte("SECRET")) {
			t.Fatal("the session shows the hint")
		}
	})
	var first turnResp
	t.Run("IdempotentAnswer", func(t *testing.T) {
		h := map[string]string{"Idempotency-Key": "retry-1"}
		a := e.do(req{method: "POST", path: turns, token: tok, header: h, body: map[string]string{"message": "zanzibarville"}}).want(t, 200, &first)
		if first.Turn.Kind != "answer" || first.Turn.Correct == nil || !*first.Turn.Correct || first.Session.Progress.Correct != 1 {
			t.Fatalf("answer turn %+v", first)
		}
		if first.Turn.QuestionID == nil || *first.Turn.QuestionID == "" {
			t.Fatal("answer turn without question_id")
		}
		// The retry gets the first response again and grades nothing twice.
		b := e.do(req{method: "POST", path: turns, token: tok, header: h, body: map[string]string{"message": "zanzibarville"}}).want(t, 200, nil)
		if !bytes.Equal(a.body, b.body) {
			t.Fatalf("the retry differs:\n%s\n%s", a.body, b.body)
		}
		var g struct{ Session sessionOut }
		e.do(req{method: "GET", path: "/v1/sessions/" + s.ID, token: tok}).want(t, 200, &g)
		if g.Session.Progress.Answered != 1 || g.Session.CurrentQuestion.Prompt != "Capital of Peru?" {
			t.Fatalf("after a retried answer: %+v", g.Session)
		}
		long := map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}
		got := e.do(req{method: "POST", path: turns, token: tok, header: long, body: map[string]string{"message": "Lima"}}).wantError(t, 400, "invalid")
		if got.Fields["Idempotency-Key"] == "" {
			t.Fatalf("fields %v", got.Fields)
		}
	})
	t.Run("ErrMessage", func(t *testing.T) {
		e.do(req{method: "POST", path: turns, token: tok, body: map[string]string{"message": ""}}).wantError(t, 400, "invalid")
		e.do(req{method: "POST", path: turns, token: tok, body: map[string]string{"message": strings.Repeat("é", 2001)}}).wantError(t, 400, "invalid")
	})
	t.Run("SkipWrongAndComplete", func(t *testing.T) {
		var tr turnResp
		e.do(req{method: "POST", path: turns, token: tok, body: map[string]string{"message": "/skip"}}).want(t, 200, &tr)
		if tr.Turn.Kind != "skip" || tr.Turn.Correct == nil || *tr.Turn.Correct {
			t.Fatalf("skip turn %+v", tr.Turn)
		}
		e.do(req{method: "POST", path: turns, token: tok, body: map[string]string{"message": "Paris"}}).want(t, 200, &tr)
		if tr.Turn.Correct == nil || *tr.Turn.Correct || tr.Session.State != "completed" || tr.Session.CurrentQuestion != nil {
			t.Fatalf("last turn %+v", tr)
		}
		p := tr.Session.Progress
		if p.Total != 3 || p.Answered != 2 || p.Correct != 1 || p.Skipped != 1 {
			t.Fatalf("progress %+v", p)
		}
		e.do(req{method: "POST", path: turns, token: tok, body: map[string]string{"message": "again"}}).wantError(t, 409, "conflict")
		e.do(req{method: "POST", path: "/v1/sessions/" + s.ID + "/end", token: tok}).wantError(t, 409, "conflict")
	})
	t.Run("Transcript", func(t *testing.T) {
		var tl struct{ Turns []turnOut }
		e.do(req{method: "GET", path: turns, token: tok}).want(t, 200, &tl)
		if len(tl.Turns) < 4 {
			t.Fatalf("%d turns", len(tl.Turns))
		}
		for i, tn := range tl.Turns {
			if tn.Index != i {
				t.Fatalf("turn %d has index %d", i, tn.Index)
			}
		}
		if tl.Turns[0].Kind != "hint" || tl.Turns[1].Message != "zanzibarville" {
			t.Fatalf("transcript %+v", tl.Turns)
		}
	})
	t.Run("EndAndList", func(t *testing.T) {
		e.clock.Add(time.Second)
		s2 := e.startSession(tok, topic, 2)
		var ended struct{ Session sessionOut }
		e.do(req{method: "POST", path: "/v1/sessions/" + s2.ID + "/end", token: tok}).want(t, 200, &ended)
		if ended.Session.State != "completed" || ended.Session.Progress.Skipped != 2 {
			t.Fatalf("ended %+v", ended.Session)
		}
		e.clock.Add(time.Second)
		s3 := e.startSession(tok, topic, 1)
		var list struct{ Sessions []sessionOut }
		e.do(req{method: "GET", path: "/v1/sessions", token: tok}).want(t, 200, &list)
		if len(list.Sessions) != 3 || list.Sessions[0].ID != s3.ID {
			t.Fatalf("sessions %+v", list.Sessions)
		}
		e.do(req{method: "GET", path: "/v1/sessions?state=active", token: tok}).want(t, 200, &list)
		if len(list.Sessions) != 1 || list.Sessions[0].ID != s3.ID {
			t.Fatalf("active sessions %+v", list.Sessions)
		}
		e.do(req{method: "GET", path: "/v1/sessions?state=completed", token: tok}).want(t, 200, &list)
		if len(list.Sessions) != 2 {
			t.Fatalf("completed sessions %+v", list.Sessions)
		}
		e.do(req{method: "GET", path: "/v1/sessions?state=paused", token: tok}).wantError(t, 400, "invalid")
		e.clock.Add(recall.DefaultSessionLifetime + time.Minute)
		e.do(req{method: "GET", path: "/v1/sessions?state=expired", token: tok}).want(t, 200, &list)
		if len(list.Sessions) != 1 || list.Sessions[0].ID != s3.ID || list.Sessions[0].State != "expired" {
			t.Fatalf("expired sessions %+v", list.Sessions)
		}
	})
}

func TestRequestIDAndConventions(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "trace-42"}}).want(t, 200, nil)
	if got := r.header.Get("X-Request-Id"); got != "trace-42" {
		t.Fatalf("X-Request-Id %q, want it echoed", got)
	}
	if string(r.body) != "{\"status\":\"ok\"}\n" {
		t.Fatalf("healthz body %s", r.body)
	}
	r = e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": strings.Repeat("x", 129)}})
	if got := r.header.Get("X-Request-Id"); got == "" || len(got) > 128 {
		t.Fatalf("X-Request-Id %q, want a generated one", got)
	}
	a := e.do(req{method: "GET", path: "/healthz"}).header.Get("X-Request-Id")
	b := e.do(req{method: "GET", path: "/healthz"}).header.Get("X-Request-Id")
	if a == b {
		t.Fatal("two requests got the same generated id")
	}
	// The request id is in the access log, with the route pattern.
	tok := e.signUp("ada")
	id := e.createTopic(tok, "x")
	e.do(req{method: "GET", path: "/v1/topics/" + id, token: tok, header: map[string]string{"X-Request-Id": "trace-43"}}).want(t, 200, nil)
	logs := e.logs.String()
	if !strings.Contains(logs, "request_id=trace-43") || !strings.Contains(logs, `route=/v1/topics/{id}`) {
		t.Fatalf("access log lacks the request id or route:\n%s", logs)
	}
	if strings.Contains(logs, tok) || strings.Contains(logs, "Authorization") {
		t.Fatal("the token reached the log")
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	e.do(req{method: "GET", path: "/nope"}).wantError(t, 404, "not_found")
	e.do(req{method: "GET", path: "/v1/topics/a/b/c"}).wantError(t, 404, "not_found")
	r := e.do(req{method: "DELETE", path: "/v1/me"})
	r.wantError(t, 405, "method_not_allowed")
	if got := r.header.Get("Allow"); !strings.Contains(got, "GET") {
		t.Fatalf("Allow %q", got)
	}
	r = e.do(req{method: "PUT", path: "/v1/topics/x"})
	r.wantError(t, 405, "method_not_allowed")
	allow := strings.Split(strings.ReplaceAll(r.header.Get("Allow"), " ", ""), ",")
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		if !slices.Contains(allow, m) {
			t.Fatalf("Allow %v lacks %s", allow, m)
		}
	}
}

func TestReadyz(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		var body map[string]string
		e.do(req{method: "GET", path: "/readyz"}).want(t, 200, &body)
		if body["db"] != "ok" || body["redis"] != "disabled" {
			t.Fatalf("readyz %v", body)
		}
	})
	t.Run("RedisDegraded", func(t *testing.T) {
		e := newEnv(t, func(c *Config) {
			c.RedisStatus = func(context.Context) string { return "degraded" }
		})
		var body map[string]string
		e.do(req{method: "GET", path: "/readyz"}).want(t, 200, &body)
		if body["redis"] != "degraded" {
			t.Fatalf("readyz %v", body)
		}
	})
	t.Run("DatabaseDown", func(t *testing.T) {
		e := newEnv(t)
		if err := e.store.Close(); err != nil {
			t.Fatal(err)
		}
		e.do(req{method: "GET", path: "/readyz"}).wantError(t, 503, "unavailable")
		e.do(req{method: "GET", path: "/healthz"}).want(t, 200, nil)
	})
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	id := e.createTopic(tok, "x")
	e.do(req{method: "GET", path: "/v1/topics/" + id, token: tok}).want(t, 200, nil)
	e.do(req{method: "GET", path: "/no/such/" + id}).wantError(t, 404, "not_found")
	r := e.do(req{method: "GET", path: "/metrics"}).want(t, 200, nil)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("metrics Content-Type %q", ct)
	}
	body := string(r.body)
	for _, want := range []string{
		`recall_http_requests_total{code="200",method="GET",route="/v1/topics/{id}"} 1`,
		`recall_http_requests_total{code="201",method="POST",route="/v1/topics"} 1`,
		`recall_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`recall_http_request_duration_seconds_bucket{method="GET",route="/v1/topics/{id}"`,
		`recall_db_queries_total{`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, id) {
		t.Error("a raw path (an id) became a label value")
	}
}

// fakeLimiter refuses when told to and records what it was asked.
type fakeLimiter struct {
	mu         sync.Mutex
	refuse     bool
	retryAfter time.Duration
	calls      []limitCall
}

type limitCall struct {
	principal string
	policies  []string
}

func (l *fakeLimiter) Limit(_ context.Context, principal string, policies []string, h http.Header) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, limitCall{principal, append([]string(nil), policies...)})
	h.Set("RateLimit-Policy", `"default";q=600;w=60`)
	if l.refuse {
		return false, l.retryAfter
	}
	return true, 0
}

func (l *fakeLimiter) last() limitCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[len(l.calls)-1]
}

func (l *fakeLimiter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

func (l *fakeLimiter) set(refuse bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refuse, l.retryAfter = refuse, retry
}

func TestRateLimit(t *testing.T) {
	lim := &fakeLimiter{}
	e := newEnv(t, func(c *Config) {
		c.Limiter = lim
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	tok := e.signUp("ada")
	if got := lim.last(); got.principal != "ip:127.0.0.1" || !slices.Equal(got.policies, []string{"auth"}) {
		t.Fatalf("sign-in limited as %+v", got)
	}
	e.do(req{method: "POST", path: "/v1/tokens", header: map[string]string{"X-Forwarded-For": "198.51.100.7"},
		body: map[string]string{"username": "ada", "password": "password-ada"}}).want(t, 201, nil)
	if got := lim.last(); got.principal != "ip:198.51.100.7" {
		t.Fatalf("behind a trusted proxy, limited as %+v", got)
	}
	var me struct{ User struct{ ID string } }
	r := e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, &me)
	if got := lim.last(); got.principal != "user:"+me.User.ID || !slices.Equal(got.policies, []string{"default"}) {
		t.Fatalf("GET /v1/me limited as %+v", got)
	}
	if r.header.Get("RateLimit-Policy") == "" {
		t.Fatal("the limiter's headers are not on the response")
	}
	id := e.createTopic(tok, "x")
	if got := lim.last(); !slices.Equal(got.policies, []string{"default", "writes"}) {
		t.Fatalf("topic write limited as %+v", got)
	}

	lim.set(true, 1200*time.Millisecond)
	r = e.do(req{method: "GET", path: "/v1/topics/" + id, token: tok})
	r.wantError(t, 429, "rate_limited")
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Fatalf("Retry-After %q, want 2 (rounded up)", got)
	}
	lim.set(true, 0)
	r = e.do(req{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "ada", "password": "password-ada"}})
	r.wantError(t, 429, "rate_limited")
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After %q, want at least 1", got)
	}
	// Unauthenticated requests to authenticated routes fail before the limiter.
	n := lim.count()
	e.do(req{method: "GET", path: "/v1/me"}).wantError(t, 401, "unauthorized")
	e.do(req{method: "GET", path: "/healthz"}).want(t, 200, nil)
	if lim.count() != n {
		t.Fatal("the limiter was asked about a request it does not govern")
	}
}

// failingTopics is a TopicStore decorator that fails in the ways a buggy
// store could: a raw error or a panic.
type failingTopics struct {
	recall.TopicStore
	panic bool
}

func (f failingTopics) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	if f.panic {
		panic("boom: secret internals")
	}
	return nil, errors.New("sql: secret internals at /var/db")
}

func TestInternalErrors(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(fmt.Sprintf("Panic=%v", panics), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Topics = failingTopics{TopicStore: c.Topics, panic: panics} })
			tok := e.signUp("ada")
			r := e.do(req{method: "GET", path: "/v1/topics", token: tok, header: map[string]string{"X-Request-Id": "req-500"}})
			got := r.wantError(t, 500, "internal")
			if strings.Contains(string(r.body), "secret") {
				t.Fatalf("internals leaked: %s", r.body)
			}
			if !strings.Contains(got.Message, "internal error") {
				t.Fatalf("message %q", got.Message)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "secret internals") || !strings.Contains(logs, "request_id=req-500") {
				t.Fatalf("the log lacks the error with its request id:\n%s", logs)
			}
			// The server lives on.
			e.do(req{method: "GET", path: "/healthz"}).want(t, 200, nil)
		})
	}
}

func TestHTTPServerHardening(t *testing.T) {
	e := newEnv(t)
	hs := e.server.HTTPServer("127.0.0.1:0")
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 {
		t.Fatalf("a timeout is unset: %+v", hs)
	}
	if hs.MaxHeaderBytes <= 0 || hs.MaxHeaderBytes > 1<<20 {
		t.Fatalf("MaxHeaderBytes %d", hs.MaxHeaderBytes)
	}
	if hs.Handler == nil || hs.Addr != "127.0.0.1:0" {
		t.Fatalf("server %+v", hs)
	}
}

// TestCachedStack runs the flows where a stale cache would show, with the
// cache decorators in front of the store as the embedded default wires them.
func TestCachedStack(t *testing.T) {
	e := newCachedEnv(t)
	alice, bob := e.signUp("alice"), e.signUp("bob")
	topic := e.createTopic(alice, "Capitals")
	e.addQuestions(alice, topic, q("Capital of Peru?", "Lima"))
	stats := func() map[string]any {
		var one struct {
			Topic struct{ Stats map[string]any }
		}
		e.do(req{method: "GET", path: "/v1/topics/" + topic + "?view=dashboard", token: alice}).want(t, 200, &one)
		return one.Topic.Stats
	}
	if st := stats(); st["sessions_completed"] != float64(0) {
		t.Fatalf("stats %v", st) // the topic list is now cached
	}
	s := e.startSession(alice, topic, 1)
	e.do(req{method: "POST", path: "/v1/sessions/" + s.ID + "/turns", token: alice, body: map[string]string{"message": "lima"}}).want(t, 200, nil)
	if st := stats(); st["sessions_completed"] != float64(1) || st["accuracy"] != float64(1) {
		t.Fatalf("stats after a completed session: %v (stale cache?)", st)
	}
	e.do(req{method: "GET", path: "/v1/topics/" + topic, token: bob}).wantError(t, 404, "not_found")
	e.do(req{method: "GET", path: "/v1/topics/" + topic + "/questions", token: bob}).wantError(t, 404, "not_found")

	e.do(req{method: "GET", path: "/v1/me", token: bob}).want(t, 200, nil) // the token is now cached
	e.do(req{method: "DELETE", path: "/v1/tokens/current", token: bob}).want(t, 204, nil)
	e.do(req{method: "GET", path: "/v1/me", token: bob}).wantError(t, 401, "unauthorized")
}
