package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recallhq/recall/llm/llmtest"
	"github.com/recallhq/recall/redis/redistest"
)

// Conversation state under the faults the learning sessions are tested
// against: instances that share one Redis and one database, and a Redis
// that dies in the middle of a conversation.

// cvMessage is a message as the conversation routes return it.
type cvMessage struct {
	Index       int      `json:"index"`
	Role        string   `json:"role"`
	Content     string   `json:"content"`
	QuestionIDs []string `json:"question_ids"`
	Correct     *bool    `json:"correct"`
	Tutor       *string  `json:"tutor"`
}

// cvConversation is a conversation as the routes return it.
type cvConversation struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	MessageCount int    `json:"message_count"`
	Quizzing     bool   `json:"quizzing"`
}

// cvExchange is the response of a message.
type cvExchange struct {
	Message      cvMessage      `json:"message"`
	Learner      *cvMessage     `json:"learner_message"`
	Conversation cvConversation `json:"conversation"`
}

// cvLearner holds one conversation with the rule-based tutor, message after
// message, and checks that every reply builds on the state the previous
// exchange left, whichever instance answers: the indexes follow on, and a
// quiz asked by one reply is graded by the next.
type cvLearner struct {
	token, id string
	answers   map[string]string // question id → its right answer
	acked     []string          // the messages acknowledged, in order
	quiz      string            // the question the tutor asked, "" if none
	right     bool              // whether the next answer is the right one
}

// cvStart starts a conversation on topicID through srv.
func cvStart(tb testing.TB, srv *testServer, token, topicID string, bank []questionOut) *cvLearner {
	tb.Helper()
	var out struct {
		Conversation cvConversation `json:"conversation"`
	}
	srv.do(apiCall{method: "POST", path: "/v1/conversations", token: token, body: map[string]string{"topic_id": topicID}}).want(tb, 201, &out)
	l := &cvLearner{token: token, id: out.Conversation.ID, answers: map[string]string{}}
	for _, q := range bank {
		l.answers[q.ID] = q.Answers[0]
	}
	return l
}

// next is the learner's next message: "quiz me" when no question is
// asked, else the answer to it, right and wrong in turn.
func (l *cvLearner) next() string {
	if l.quiz == "" {
		return "quiz me"
	}
	if l.right {
		return l.answers[l.quiz]
	}
	return "no idea"
}

// check returns what is wrong with x as the response to msg, the learner's
// next message, or "" if it builds on the state the learner knows of; it
// then moves the learner on.
func (l *cvLearner) check(msg string, x cvExchange) string {
	n := len(l.acked)
	switch {
	case x.Learner == nil || x.Learner.Index != 2*n || x.Learner.Content != msg:
		return fmt.Sprintf("the learner's message is %+v, want index %d %q", x.Learner, 2*n, msg)
	case x.Message.Index != 2*n+1 || x.Message.Role != "tutor":
		return fmt.Sprintf("the reply is %+v, want the tutor's at index %d", x.Message, 2*n+1)
	case x.Conversation.MessageCount != 2*n+2:
		return fmt.Sprintf("the conversation has %d messages, want %d", x.Conversation.MessageCount, 2*n+2)
	}
	if l.quiz != "" {
		// The answer to the question asked: graded, so the state read
		// had the quiz the previous reply set.
		if x.Message.Correct == nil || *x.Message.Correct != l.right || !slices.Equal(x.Message.QuestionIDs, []string{l.quiz}) {
			return fmt.Sprintf("the answer to %s (right %v) got %+v: not graded as such, a stale state?", l.quiz, l.right, x.Message)
		}
		if x.Conversation.Quizzing {
			return "still quizzing after the answer"
		}
		l.quiz, l.right = "", !l.right
	} else {
		if !x.Conversation.Quizzing || len(x.Message.QuestionIDs) != 1 || l.answers[x.Message.QuestionIDs[0]] == "" {
			return fmt.Sprintf("\"quiz me\" got %+v, quizzing %v: no question of the bank asked", x.Message, x.Conversation.Quizzing)
		}
		l.quiz = x.Message.QuestionIDs[0]
	}
	l.acked = append(l.acked, msg)
	return ""
}

// cvTranscript reads every message of a conversation through srv, page
// after page.
func cvTranscript(tb testing.TB, srv *testServer, token, id string) []cvMessage {
	tb.Helper()
	var all []cvMessage
	cursor := ""
	for range 1000 {
		path := "/v1/conversations/" + id + "?limit=7"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var out struct {
			Messages   []cvMessage `json:"messages"`
			NextCursor *string     `json:"next_cursor"`
		}
		srv.do(apiCall{method: "GET", path: path, token: token}).want(tb, 200, &out)
		all = append(all, out.Messages...)
		if out.NextCursor == nil {
			return all
		}
		cursor = *out.NextCursor
	}
	tb.Fatal("the transcript does not end")
	return nil
}

// cvCheckTranscript fails tb unless the transcript holds exactly the
// acknowledged learner messages, in order, each followed by the tutor's
// reply.
func cvCheckTranscript(tb testing.TB, got []cvMessage, acked []string) {
	tb.Helper()
	if len(got) != 2*len(acked) {
		tb.Errorf("the transcript has %d messages, %d exchanges were acknowledged", len(got), len(acked))
	}
	for i, m := range got {
		switch {
		case m.Index != i:
			tb.Errorf("message %d has index %d", i, m.Index)
		case i%2 == 1 && m.Role != "tutor":
			tb.Errorf("message %d is the %s's, want the tutor's reply", i, m.Role)
		case i%2 == 0 && (m.Role != "learner" || i/2 >= len(acked) || m.Content != acked[i/2]):
			tb.Errorf("message %d is %s %q, want the learner's acknowledged message", i, m.Role, m.Content)
		}
	}
}

// TestConversationRoundRobin holds conversations on three instances that
// share one Redis and one database, each message sent to the next instance
// in turn: every reply builds on the state the previous one left (a quiz
// asked through one instance is graded through the next), and the final
// transcript holds every message in order. Then three senders race on one
// conversation through the three instances: a message that loses the race
// is refused (409) and sent again, and every acknowledged message is in
// the transcript once, where its acknowledgement said.
func TestConversationRoundRobin(t *testing.T) {
	for _, mode := range rtModes() {
		t.Run(mode.name, func(t *testing.T) {
			cfg := rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), redistest.SharedURL, redistest.Prefix(t), mode.near)
			clock := newClock()
			fleet := []*testServer{startServer(t, cfg, clock), startServer(t, cfg, clock), startServer(t, cfg, clock)}
			a := fleet[0]
			_, tok := a.signUp(t, "alice", "alice-password")
			topic := a.createTopic(t, tok, "Bank", "")
			bank := a.addQuestions(t, tok, topic.ID, rtBank(6)...)

			// Past RecentMessages, so that older messages live on in the
			// summary and the transcript pages reach the store.
			l := cvStart(t, fleet[1], tok, topic.ID, bank)
			for i := range 15 {
				msg := l.next()
				var x cvExchange
				fleet[i%3].do(apiCall{method: "POST", path: "/v1/conversations/" + l.id + "/messages", token: tok,
					body: map[string]string{"content": msg}}).want(t, 200, &x)
				if bad := l.check(msg, x); bad != "" {
					t.Fatalf("message %d, through instance %d: %s", i, i%3, bad)
				}
			}
			for i, srv := range fleet {
				cvCheckTranscript(t, cvTranscript(t, srv, tok, l.id), l.acked)
				if t.Failed() {
					t.Fatalf("the transcript read through instance %d", i)
				}
			}

			// Three senders on one conversation, one per instance.
			race := cvStart(t, a, tok, topic.ID, bank)
			const each = 6
			c := newRTClient(t)
			var (
				mu       sync.Mutex
				at       = map[int]string{} // learner index → message acknowledged there
				refused  atomic.Int64
				wg       sync.WaitGroup
				failures atomic.Int64
			)
			for s, srv := range fleet {
				wg.Go(func() {
					for k := range each {
						msg := fmt.Sprintf("note %d from sender %d", k, s)
						for attempt := 0; ; attempt++ {
							var x cvExchange
							status, body, err := c.do(srv.m.URL(), "POST", "/v1/conversations/"+race.id+"/messages", tok,
								map[string]string{"content": msg}, &x)
							if status == 409 && attempt < 1000 {
								refused.Add(1)
								continue // lost the race: nothing was applied
							}
							if err != nil || status != 200 || x.Learner == nil || x.Learner.Content != msg {
								t.Errorf("sender %d, %q: %d %s %v", s, msg, status, body, err)
								failures.Add(1)
								return
							}
							mu.Lock()
							if prev, dup := at[x.Learner.Index]; dup {
								t.Errorf("index %d acknowledged twice: %q and %q", x.Learner.Index, prev, msg)
							}
							at[x.Learner.Index] = msg
							mu.Unlock()
							break
						}
					}
				})
			}
			wg.Wait()
			if failures.Load() != 0 {
				t.FailNow()
			}
			acked := make([]string, len(at))
			for i := range acked {
				msg, ok := at[2*i]
				if !ok {
					t.Fatalf("no message was acknowledged at index %d of %d: %v", 2*i, 2*len(at), at)
				}
				acked[i] = msg
			}
			if len(acked) != 3*each {
				t.Fatalf("%d messages acknowledged, want %d", len(acked), 3*each)
			}
			for _, srv := range fleet {
				cvCheckTranscript(t, cvTranscript(t, srv, tok, race.id), acked)
			}
			t.Logf("%d exchanges in turn, %d raced (%d refusals of a stale state, each sent again)", len(l.acked), len(acked), refused.Load())
		})
	}
}

// TestConversationRedisKilled kills the server's own redis-server in the
// middle of conversations, then starts it again, empty, on the same port:
// the conversations go on while it is down (their state read from the
// database) and after it is back (rebuilt from the database), a quiz asked
// before the kill is graded during the outage and one asked during it is
// graded after, no response is a 5xx (as for sessions), and no
// acknowledged message is missing from the transcripts.
func TestConversationRedisKilled(t *testing.T) {
	rs := redistest.StartServer(t)
	srv := startServer(t, rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), rs.URL, "recall:", true), newClock())
	if got := rtReadyz(t, srv); got != "ok" {
		t.Fatalf("readyz redis %q before the kill", got)
	}
	const users = 3
	learners := make([]*cvLearner, users)
	for u := range users {
		_, tok := srv.signUp(t, fmt.Sprint("user", u), "user-password")
		topic := srv.createTopic(t, tok, "Bank", "")
		learners[u] = cvStart(t, srv, tok, topic.ID, srv.addQuestions(t, tok, topic.ID, rtBank(8)...))
	}

	c := newRTClient(t)
	base := srv.m.URL()
	var (
		acked, fiveXX atomic.Int64
		stop          atomic.Bool
		wg            sync.WaitGroup
	)
	for u, l := range learners {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				msg := l.next()
				var x cvExchange
				status, body, err := c.do(base, "POST", "/v1/conversations/"+l.id+"/messages", l.token, map[string]string{"content": msg}, &x)
				if status >= 500 {
					fiveXX.Add(1)
				}
				if err != nil || status != 200 {
					t.Errorf("user %d, message %d %q: %d %s %v", u, i, msg, status, body, err)
					return
				}
				if bad := l.check(msg, x); bad != "" {
					t.Errorf("user %d, message %d: %s", u, i, bad)
					return
				}
				acked.Add(1)
			}
		})
	}
	// progress waits for n more acknowledged messages; an odd n leaves
	// a quiz open across the next step.
	progress := func(n int64, what string) {
		t.Helper()
		target := acked.Load() + n
		rtWaitFor(t, what, func() bool { return acked.Load() >= target || t.Failed() })
	}

	progress(3*users+1, "messages before the kill")
	rs.Kill(t)
	rtWaitFor(t, "/readyz to say degraded", func() bool { return rtReadyz(t, srv) == "degraded" })
	errorsAtKill := rtCacheCount(t, srv, "conversations", "error")
	progress(3*users+1, "messages while Redis is down")
	if rtCacheCount(t, srv, "conversations", "error") <= errorsAtKill {
		t.Error("no conversation-cache lookup failed while Redis was down: was it?")
	}
	hitsBefore := rtCacheCount(t, srv, "conversations", "hit")
	rs.Start(t)
	rtWaitFor(t, "/readyz to say ok", func() bool { return rtReadyz(t, srv) == "ok" })
	// The restarted Redis is empty: a hit now is of a state cached after
	// the restart, built on one read from the database.
	rtWaitFor(t, "conversation-cache hits to resume", func() bool {
		return rtCacheCount(t, srv, "conversations", "hit") > hitsBefore || t.Failed()
	})
	progress(3*users+1, "messages after the restart")
	stop.Store(true)
	wg.Wait()

	if n := fiveXX.Load(); n != 0 {
		t.Errorf("%d responses were 5xx", n)
	}
	total := 0
	for _, l := range learners {
		cvCheckTranscript(t, cvTranscript(t, srv, l.token, l.id), l.acked)
		total += len(l.acked)
	}
	t.Logf("%d acknowledged exchanges over %d conversations, all in the transcripts", total, users)
}

// TestConversationLLMBudgetUnknown stops the Redis that holds the users'
// llm budgets: with the budget unknowable the LLM is not called, the
// rule-based tutor answers every message (plain and streamed) and the
// reply says so, no response is a 5xx, and the fallback is counted with
// its reason. Once Redis is back the LLM answers again.
func TestConversationLLMBudgetUnknown(t *testing.T) {
	model := llmtest.New(t)
	model.Respond(func(llmtest.Request) string { return "Your notes say the Nile [1]." })
	srv, rs := startLLMRedis(t, model)
	_, tok := srv.signUp(t, "alice", "alice-password")
	topic := srv.createTopic(t, tok, "Bank", "")
	srv.addQuestions(t, tok, topic.ID, qFixture("Which river flows through Cairo?", "The Nile"))
	l := cvStart(t, srv, tok, topic.ID, nil)
	path := "/v1/conversations/" + l.id + "/messages"
	ask := map[string]string{"content": "Which river is in Cairo?"}
	fallbacks := func() float64 {
		return promSum(srv.scrape(t), "recall_llm_fallbacks_total", map[string]string{"op": "reply", "reason": "budget_unknown"})
	}

	var x cvExchange
	srv.do(apiCall{method: "POST", path: path, token: tok, body: ask}).want(t, 200, &x)
	if x.Message.Tutor == nil || *x.Message.Tutor != "llm" {
		t.Fatalf("with Redis up the reply is %+v, want the LLM's", x.Message)
	}

	rs.Kill(t)
	rtWaitFor(t, "/readyz to say degraded", func() bool { return rtReadyz(t, srv) == "degraded" })
	calls, before := len(model.Requests()), fallbacks()
	for i := range 3 {
		if i == 2 {
			x = cvStreamed(t, srv.m.URL()+path, tok, ask)
		} else {
			srv.do(apiCall{method: "POST", path: path, token: tok, body: ask}).want(t, 200, &x)
		}
		if x.Message.Tutor == nil || *x.Message.Tutor != "rules" || !strings.Contains(x.Message.Content, "could not answer just now") ||
			!strings.Contains(x.Message.Content, "Answer: The Nile") {
			t.Fatalf("message %d with Redis down: the reply %+v is not the rules' saying why", i, x.Message)
		}
	}
	if n := len(model.Requests()); n != calls {
		t.Errorf("%d calls reached the model while its budget could not be checked", n-calls)
	}
	if got := fallbacks() - before; got != 3 {
		t.Errorf("recall_llm_fallbacks_total{reason=budget_unknown} rose by %v, want 3", got)
	}

	rs.Start(t)
	rtWaitFor(t, "/readyz to say ok", func() bool { return rtReadyz(t, srv) == "ok" })
	rtWaitFor(t, "the LLM to answer again", func() bool {
		srv.do(apiCall{method: "POST", path: path, token: tok, body: ask}).want(t, 200, &x)
		return x.Message.Tutor != nil && *x.Message.Tutor == "llm"
	})
}

// startLLMRedis starts a server whose LLM is model and whose llm budgets
// live in a Redis of its own, which the test may kill and start.
func startLLMRedis(t *testing.T, model *llmtest.Server) (*testServer, *redistest.Server) {
	t.Helper()
	rs := redistest.StartServer(t)
	cfg := rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), rs.URL, "recall:", true)
	cfg.LLMURL, cfg.LLMModel, cfg.LLMKey = model.URL, "test-model", "sk-test"
	// While Redis is up, a budget it answers late for would be unknown
	// too: give it time on a busy machine. Once killed it refuses at once.
	cfg.RedisTimeout = 5 * time.Second
	return startServer(t, cfg, newClock()), rs
}

// cvStreamed sends a message asking for Server-Sent Events and returns the
// exchange of the stream's final "message" event; anything but a 200
// stream that ends with one fails tb.
func cvStreamed(tb testing.TB, url, token string, body any) cvExchange {
	tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest("POST", url, bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		tb.Fatalf("streamed message: %d %s %s %v", res.StatusCode, res.Header.Get("Content-Type"), out, err)
	}
	events := strings.Split(strings.TrimSpace(string(out)), "\n\n")
	name, data, ok := strings.Cut(events[len(events)-1], "\ndata: ")
	if !ok || name != "event: message" {
		tb.Fatalf("the stream does not end with a message event:\n%s", out)
	}
	var x cvExchange
	if err := json.Unmarshal([]byte(data), &x); err != nil {
		tb.Fatalf("the message event: %v\n%s", err, data)
	}
	return x
}
