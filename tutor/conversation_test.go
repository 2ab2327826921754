package tutor_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/internal/fakeclock"
	"github.com/recallhq/recall/llm"
	"github.com/recallhq/recall/llm/llmtest"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/sqlite"
	"github.com/recallhq/recall/tutor"
)

// convEnv is a Conversations engine as the server wires it: a real SQLite
// store counting its statements, the topic and question-bank caches over
// the in-process backend, the in-process conversation cache.
type convEnv struct {
	t      *testing.T
	db     *sqlite.Store
	m      *metrics.Metrics
	b      *inmem.Cache
	cfg    tutor.ConversationConfig
	eng    *tutor.Conversations
	clock  *fakeclock.Clock
	user   *recall.User
	topic  *recall.Topic
	bank   []*recall.Question
	stream *recorder
}

func newConvEnv(t *testing.T, client tutor.LLM) *convEnv {
	t.Helper()
	ctx := context.Background()
	m := metrics.New(prometheus.NewRegistry())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recall.db"), sqlite.Options{Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := inmem.NewCache(inmem.CacheOptions{})
	t.Cleanup(func() { b.Close() })
	e := &convEnv{t: t, db: db, m: m, b: b, clock: fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	e.cfg = tutor.ConversationConfig{
		Store:     db,
		Topics:    cache.NewTopicStore(db, b, cache.Options{}),
		Questions: cache.NewQuestionStore(db, b, cache.Options{}),
		Cache:     inmem.NewConversationCache(inmem.SessionCacheOptions{Now: func() time.Time { return e.clock.Now() }}),
		LLM:       client,
		Now:       func() time.Time { return e.clock.Now() },
	}
	e.eng = tutor.NewConversations(e.cfg)
	e.user = &recall.User{ID: recall.NewID(), Username: "alice", CreatedAt: e.clock.Now()}
	if err := db.CreateUser(ctx, e.user, "hash"); err != nil {
		t.Fatal(err)
	}
	e.topic = &recall.Topic{ID: recall.NewID(), UserID: e.user.ID, Title: "Geography", CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
	if err := db.CreateTopic(ctx, e.topic); err != nil {
		t.Fatal(err)
	}
	for i, q := range []*recall.Question{
		{Prompt: "What is the capital of France?", Answers: []string{"Paris"}, Explanation: "Paris has been the capital since 987."},
		{Prompt: "Which river flows through Cairo?", Answers: []string{"The Nile", "Nile"}, Explanation: "The Nile is the longest river in Africa."},
		{Prompt: "What is the highest mountain on Earth?", Answers: []string{"Mount Everest", "Everest"}, Explanation: "Everest rises 8,849 metres."},
		{Prompt: "Which ocean is the largest?", Answers: []string{"Pacific"}, Choices: []string{"Atlantic", "Pacific", "Indian"}},
	} {
		q.ID, q.TopicID, q.CreatedAt, q.UpdatedAt = recall.NewID(), e.topic.ID, e.clock.Now().Add(time.Duration(i)), e.clock.Now()
		e.bank = append(e.bank, q)
	}
	if err := db.AddQuestions(ctx, e.user.ID, e.topic.ID, e.bank); err != nil {
		t.Fatal(err)
	}
	e.stream = &recorder{}
	return e
}

// reads returns the read statements the store has sent so far.
func (e *convEnv) reads() float64 {
	var n float64
	ch := make(chan prometheus.Metric, 64)
	go func() { e.m.DBQueries.Collect(ch); close(ch) }()
	for mt := range ch {
		var d dto.Metric
		if err := mt.Write(&d); err != nil {
			e.t.Fatal(err)
		}
		for _, l := range d.Label {
			if l.GetName() == "kind" && l.GetValue() == "read" {
				n += d.Counter.GetValue()
			}
		}
	}
	return n
}

func (e *convEnv) start() *recall.Conversation {
	e.t.Helper()
	v, err := e.eng.Start(context.Background(), e.user.ID, tutor.StartConversationInput{TopicID: e.topic.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return v.Conversation
}

func (e *convEnv) send(id, content, key string) *tutor.Exchange {
	e.t.Helper()
	e.stream.reset()
	x, err := e.eng.Send(context.Background(), e.user.ID, id, content, key, e.stream.stream())
	if err != nil {
		e.t.Fatalf("Send(%q): %v", content, err)
	}
	return x
}

// recorder records what a Stream receives.
type recorder struct {
	chunks []string
	resets int
}

func (r *recorder) reset() { r.chunks, r.resets = nil, 0 }

func (r *recorder) stream() *tutor.Stream {
	return &tutor.Stream{
		Chunk: func(s string) error { r.chunks = append(r.chunks, s); return nil },
		Reset: func() error { r.chunks = nil; r.resets++; return nil },
	}
}

func (r *recorder) text() string { return strings.Join(r.chunks, "") }

func TestConversation_RuleTutor(t *testing.T) {
	e := newConvEnv(t, nil)
	c := e.start()

	x := e.send(c.ID, "Tell me about the river in Cairo", "")
	if !strings.HasPrefix(x.Reply.Content, "Here is what your notes say about “Which river flows through Cairo?”") ||
		!strings.Contains(x.Reply.Content, "Answer: The Nile") || !strings.Contains(x.Reply.Content, "longest river in Africa") {
		t.Fatalf("reply %q", x.Reply.Content)
	}
	if len(x.Reply.QuestionIDs) == 0 || x.Reply.QuestionIDs[0] != e.bank[1].ID || x.Reply.Tutor != tutor.TutorRules {
		t.Fatalf("reply draws on %v by %q", x.Reply.QuestionIDs, x.Reply.Tutor)
	}
	if e.stream.text() != x.Reply.Content {
		t.Fatalf("streamed %q; stored %q", e.stream.text(), x.Reply.Content)
	}

	x = e.send(c.ID, "What do volcanoes erupt?", "")
	if !strings.Contains(x.Reply.Content, "could not find anything") || len(x.Reply.QuestionIDs) != 0 {
		t.Fatalf("unmatched question: %q %v", x.Reply.Content, x.Reply.QuestionIDs)
	}

	// Quiz me on mountains: asked without its answer, graded next.
	x = e.send(c.ID, "quiz me on mountains", "")
	if !strings.Contains(x.Reply.Content, e.bank[2].Prompt) || strings.Contains(x.Reply.Content, "Everest") {
		t.Fatalf("quiz %q", x.Reply.Content)
	}
	if x.View.Conversation.Quizzing != e.bank[2].ID {
		t.Fatalf("quizzing %q", x.View.Conversation.Quizzing)
	}
	x = e.send(c.ID, "mount everst", "") // a typo the grader forgives
	if x.Reply.Correct == nil || !*x.Reply.Correct || !strings.HasPrefix(x.Reply.Content, "Correct!") {
		t.Fatalf("grade %v %q", x.Reply.Correct, x.Reply.Content)
	}
	// A wrong answer, then a multiple-choice one by letter.
	e.send(c.ID, "quiz me about the capital of France", "")
	x = e.send(c.ID, "Lyon", "")
	if x.Reply.Correct == nil || *x.Reply.Correct || !strings.Contains(x.Reply.Content, "Paris") {
		t.Fatalf("wrong answer: %v %q", x.Reply.Correct, x.Reply.Content)
	}
	e.send(c.ID, "quiz me on the largest ocean", "")
	x = e.send(c.ID, "b", "")
	if x.Reply.Correct == nil || !*x.Reply.Correct {
		t.Fatalf("choice by letter: %v %q", x.Reply.Correct, x.Reply.Content)
	}
	if x.View.Conversation.Messages != 16 || x.Reply.Index != 15 {
		t.Fatalf("messages %d, reply index %d", x.View.Conversation.Messages, x.Reply.Index)
	}
}

func TestConversation_IdempotencyReplay(t *testing.T) {
	e := newConvEnv(t, nil)
	c := e.start()
	first := e.send(c.ID, "quiz me", "k1")
	again := e.send(c.ID, "quiz me", "k1")
	if !again.Replayed || again.Reply.Content != first.Reply.Content || again.Reply.Index != first.Reply.Index {
		t.Fatalf("replay %+v; first %+v", again.Reply, first.Reply)
	}
	if again.View.Conversation.Messages != 2 {
		t.Fatalf("a replay added messages: %d", again.View.Conversation.Messages)
	}
	// Many exchanges later the key still replays, from the store.
	for i := range 10 {
		e.send(c.ID, "what about Paris", "other-"+string(rune('a'+i)))
	}
	old := e.send(c.ID, "something else", "k1")
	if !old.Replayed || old.Reply.Content != first.Reply.Content || old.Learner == nil || old.Learner.Content != "quiz me" {
		t.Fatalf("old replay %+v", old)
	}
	if old.View.Conversation.Messages != 22 {
		t.Fatalf("an old key's replay added messages: %d", old.View.Conversation.Messages)
	}

	// Once the conversation has ended, a retry of any of its exchanges is
	// still answered as the first time; only a new key is refused.
	ctx := context.Background()
	if _, err := e.eng.End(ctx, e.user.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"k1", "other-a", "other-j"} {
		x, err := e.eng.Send(ctx, e.user.ID, c.ID, "again", key, nil)
		if err != nil || !x.Replayed {
			t.Fatalf("retry of %s after the end: %+v, %v", key, x, err)
		}
	}
	if _, err := e.eng.Send(ctx, e.user.ID, c.ID, "again", "new", nil); !recall.IsCode(err, recall.ECONFLICT) {
		t.Fatalf("a new key after the end: %v; want ECONFLICT", err)
	}

	// A state rebuilt from the store (Redis flushed, another instance)
	// knows only its recent keys: an older one is found in the store.
	cfg := e.cfg
	cfg.Cache = inmem.NewConversationCache(inmem.SessionCacheOptions{Now: e.clock.Now})
	other := tutor.NewConversations(cfg)
	x, err := other.Send(ctx, e.user.ID, c.ID, "again", "k1", nil)
	if err != nil || !x.Replayed || x.Reply.Content != first.Reply.Content {
		t.Fatalf("retry of k1 on a rebuilt state: %+v, %v", x, err)
	}
}

// TestConversation_OldKeyAsksNoModel: the retry of an exchange too old
// for the recent messages is answered from the store before the tutor is
// asked: the model is not called again.
func TestConversation_OldKeyAsksNoModel(t *testing.T) {
	e, srv, c := llmConv(t, "The Nile flows through Cairo [1].")
	first := e.send(c.ID, "Which river is in Cairo?", "k1")
	for i := range 5 {
		e.send(c.ID, "Tell me about the Nile", fmt.Sprintf("k%d", i+2))
	}
	n := len(srv.Requests())
	x := e.send(c.ID, "Which river is in Cairo?", "k1")
	if !x.Replayed || x.Reply.Content != first.Reply.Content {
		t.Fatalf("retry of k1: %+v", x)
	}
	if got := len(srv.Requests()); got != n {
		t.Fatalf("the retry asked the model %d more times; want 0", got-n)
	}
}

func TestConversation_WriteThroughAndRebuild(t *testing.T) {
	e := newConvEnv(t, nil)
	c := e.start()
	var last *tutor.Exchange
	for i := range 7 {
		last = e.send(c.ID, []string{"tell me about Paris", "quiz me", "Paris"}[i%3], "")
	}
	want := last.View.Conversation
	if want.Summary == "" || len(want.Recent) != recall.RecentMessages {
		t.Fatalf("summary %q, %d recent", want.Summary, len(want.Recent))
	}
	// A new cache (Redis flushed, or another instance): the state is
	// rebuilt from the store, the same.
	cfg := e.cfg
	cfg.Cache = inmem.NewConversationCache(inmem.SessionCacheOptions{Now: e.clock.Now})
	other := tutor.NewConversations(cfg)
	v, err := other.Get(context.Background(), e.user.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := v.Conversation
	if got.Version != want.Version || got.Summary != want.Summary || got.Quizzing != want.Quizzing ||
		len(got.Recent) != len(want.Recent) || got.Recent[0].Index != want.Recent[0].Index ||
		got.Recent[len(got.Recent)-1].Content != want.Recent[len(want.Recent)-1].Content {
		t.Fatalf("rebuilt %+v\nwant %+v", got, want)
	}
	// Every message is in the store, in order.
	msgs, next, err := other.Messages(context.Background(), e.user.ID, c.ID, 0, 200)
	if err != nil || next != -1 || len(msgs) != 14 {
		t.Fatalf("messages %d next %d err %v", len(msgs), next, err)
	}
	// Paged.
	page, next, err := other.Messages(context.Background(), e.user.ID, c.ID, 0, 5)
	if err != nil || len(page) != 5 || next != 5 {
		t.Fatalf("first page %d next %d err %v", len(page), next, err)
	}
}

func TestConversation_StaleWriterRefused(t *testing.T) {
	e := newConvEnv(t, nil)
	c := e.start()
	cfg := e.cfg
	cfg.Cache = inmem.NewConversationCache(inmem.SessionCacheOptions{Now: e.clock.Now})
	b := tutor.NewConversations(cfg)
	ctx := context.Background()
	if _, err := b.Get(ctx, e.user.ID, c.ID); err != nil { // b caches version 1
		t.Fatal(err)
	}
	e.send(c.ID, "tell me about Paris", "") // a moves to version 2
	_, err := b.Send(ctx, e.user.ID, c.ID, "quiz me", "", nil)
	if !recall.IsCode(err, recall.ECONFLICT) {
		t.Fatalf("a stale writer's Send = %v; want ECONFLICT", err)
	}
	// b refreshed its state: the retry applies.
	x, err := b.Send(ctx, e.user.ID, c.ID, "quiz me", "", nil)
	if err != nil || x.Reply.Index != 3 {
		t.Fatalf("retry: %v, %+v", err, x)
	}
}

func TestConversation_HotMessageReadsNothing(t *testing.T) {
	e := newConvEnv(t, nil)
	c := e.start()
	e.send(c.ID, "tell me about Paris", "") // warms the topic and bank caches
	before := e.reads()
	// Twice the recent messages, each with a new key: a key the state has
	// not seen is known new without a read, however long the chat.
	for i := range recall.RecentMessages {
		m := []string{"quiz me on rivers", "the nile", "what about Everest?", "nothing here at all"}[i%4]
		e.send(c.ID, m, fmt.Sprintf("key %d", i))
	}
	if _, err := e.eng.Get(context.Background(), e.user.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	if d := e.reads() - before; d != 0 {
		t.Fatalf("hot messages made %v database reads; want 0", d)
	}
}

func TestConversation_OwnerOnlyAndLifecycle(t *testing.T) {
	e := newConvEnv(t, nil)
	c := e.start()
	ctx := context.Background()
	if _, err := e.eng.Get(ctx, "someone-else", c.ID); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("another user's Get = %v", err)
	}
	if _, err := e.eng.Send(ctx, "someone-else", c.ID, "hi", "", nil); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("another user's Send = %v", err)
	}
	if err := e.eng.Delete(ctx, "someone-else", c.ID); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("another user's Delete = %v", err)
	}
	if _, err := e.eng.Start(ctx, "someone-else", tutor.StartConversationInput{TopicID: e.topic.ID}); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Start on another user's topic = %v", err)
	}
	if _, err := e.eng.End(ctx, e.user.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Send(ctx, e.user.ID, c.ID, "hi", "", nil); !recall.IsCode(err, recall.ECONFLICT) {
		t.Fatalf("Send on an ended conversation = %v", err)
	}
	if err := e.eng.Delete(ctx, e.user.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Get(ctx, e.user.ID, c.ID); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Get after Delete = %v", err)
	}
	// Idle expiry.
	c = e.start()
	e.clock.Add(recall.DefaultSessionIdle + time.Second)
	if _, err := e.eng.Send(ctx, e.user.ID, c.ID, "hi", "", nil); !recall.IsCode(err, recall.ECONFLICT) {
		t.Fatalf("Send on an expired conversation = %v", err)
	}
}

func newLLM(t *testing.T, srv *llmtest.Server) *llm.Client {
	t.Helper()
	c, err := llm.New(llm.Config{BaseURL: srv.URL, Model: "test-model", Key: "sk-test", Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConversation_LLM(t *testing.T) {
	srv := llmtest.New(t)
	srv.Respond(func(r llmtest.Request) string {
		if r.Format == "verdict" {
			return `{"verdict":"correct","feedback":"Same river."}`
		}
		return "Your notes say the Nile flows through Cairo [1]."
	})
	e := newConvEnv(t, newLLM(t, srv))
	c := e.start()
	x := e.send(c.ID, "Which river is in Cairo?", "")
	if x.Reply.Tutor != tutor.TutorLLM || x.Reply.Content != "Your notes say the Nile flows through Cairo [1]." ||
		len(x.Reply.QuestionIDs) != 1 || x.Reply.QuestionIDs[0] != e.bank[1].ID {
		t.Fatalf("reply %+v", x.Reply)
	}
	if e.stream.text() != x.Reply.Content {
		t.Fatalf("streamed %q", e.stream.text())
	}
	// Nothing relevant: the LLM is not asked.
	n := len(srv.Requests())
	x = e.send(c.ID, "What do volcanoes erupt?", "")
	if len(srv.Requests()) != n || !strings.Contains(x.Reply.Content, "could not find anything") {
		t.Fatalf("the LLM was asked about nothing relevant: %q", x.Reply.Content)
	}
	// A free-text answer the rules reject, which the LLM accepts.
	e.send(c.ID, "quiz me on Cairo", "")
	x = e.send(c.ID, "the big river of Egypt", "")
	if x.Reply.Correct == nil || !*x.Reply.Correct || !strings.Contains(x.Reply.Content, "Graded by the AI tutor") {
		t.Fatalf("LLM grade: %v %q", x.Reply.Correct, x.Reply.Content)
	}
}

// TestConversation_LLMFaults drives every fault of the test server: each
// ends in the rules' answer, saying so, with the streamed part withdrawn,
// and the exchange stored.
func TestConversation_LLMFaults(t *testing.T) {
	srv := llmtest.New(t)
	srv.Respond(func(llmtest.Request) string {
		return "A reply long enough to be streamed in several chunks, about the Nile [1], then finished."
	})
	e := newConvEnv(t, newLLM(t, srv))
	c := e.start()
	for i, f := range []llmtest.Fault{llmtest.FaultMalformed, llmtest.FaultRefused, llmtest.FaultTooMany, llmtest.FaultServer,
		llmtest.FaultSlow, llmtest.FaultCut, llmtest.FaultEarlyEnd, llmtest.FaultInjectFraming} {
		srv.SetFault(f)
		x := e.send(c.ID, "Which river is in Cairo?", "")
		if x.Reply.Tutor != tutor.TutorRules || !strings.Contains(x.Reply.Content, "could not answer just now") ||
			!strings.Contains(x.Reply.Content, "Answer: The Nile") {
			t.Fatalf("%s: reply %+v", f, x.Reply)
		}
		if e.stream.text() != x.Reply.Content {
			t.Fatalf("%s: the stream holds %q after its reset; the reply is %q", f, e.stream.text(), x.Reply.Content)
		}
		if x.View.Conversation.Messages != 2*(i+1) {
			t.Fatalf("%s: %d messages stored", f, x.View.Conversation.Messages)
		}
	}
	srv.SetFault(llmtest.FaultNone)
	msgs, _, err := e.eng.Messages(context.Background(), e.user.ID, c.ID, 0, 100)
	if err != nil || len(msgs) != 16 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
}

// TestConversation_LLMReplyTheStoresRefuse: a model's reply holding a NUL
// (which PostgreSQL refuses) is a fault like any other: the rules answer,
// the stream is reset, and the exchange is stored.
func TestConversation_LLMReplyTheStoresRefuse(t *testing.T) {
	e, _, c := llmConv(t, "The Nile\x00 flows through Cairo [1].")
	x := e.send(c.ID, "Which river is in Cairo?", "")
	if x.Reply.Tutor != tutor.TutorRules || strings.ContainsRune(x.Reply.Content, 0) ||
		!strings.Contains(x.Reply.Content, "Answer: The Nile") {
		t.Fatalf("reply %+v", x.Reply)
	}
	if e.stream.text() != x.Reply.Content {
		t.Fatalf("the stream holds %q; the reply is %q", e.stream.text(), x.Reply.Content)
	}
	// A bad message names the body's field.
	_, err := e.eng.Send(context.Background(), e.user.ID, c.ID, " ", "", nil)
	if err == nil || recall.ErrorFields(err)["content"] == "" {
		t.Fatalf("empty message: %v", err)
	}
}

// llmConv starts a conversation whose LLM tutor always replies reply.
func llmConv(t *testing.T, reply string) (*convEnv, *llmtest.Server, *recall.Conversation) {
	srv := llmtest.New(t)
	srv.Respond(func(llmtest.Request) string { return reply })
	e := newConvEnv(t, newLLM(t, srv))
	return e, srv, e.start()
}
