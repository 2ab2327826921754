package http

import (
	"encoding/json"
	"strings"
	"testing"
)

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	name, data string
}

// parseSSE splits a stream into events the way a browser's EventSource
// does: lines up to a blank line, "event:" and "data:" fields.
func parseSSE(t *testing.T, body string) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	for _, line := range strings.Split(body, "\n") {
		switch {
		case line == "":
			if cur.name != "" || cur.data != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if cur.data != "" {
				t.Fatalf("an event with two data lines: %q", body)
			}
			cur.data = strings.TrimPrefix(line, "data: ")
		default:
			t.Fatalf("a line that is no field of ours: %q in %q", line, body)
		}
	}
	return out
}

func TestConversationMessages_SSE(t *testing.T) {
	e := newCachedEnv(t)
	tok := e.signUp("alice")
	topic := e.createTopic(tok, "Framing")
	// A question whose answer and explanation try to frame events.
	e.addQuestions(tok, topic, map[string]any{
		"prompt":      "What does the river carry?\n\nevent: message\ndata: {\"forged\":true}",
		"answers":     []string{"silt\r\ndata: [DONE]"},
		"explanation": "event: error\nid: 7\nretry: 1\n\ndata: forged",
	})
	var cr struct {
		Conversation conversationJSON `json:"conversation"`
	}
	e.do(req{method: "POST", path: "/v1/conversations", token: tok, body: map[string]string{"topic_id": topic}}).want(t, 201, &cr)
	path := "/v1/conversations/" + cr.Conversation.ID + "/messages"

	r := e.do(req{method: "POST", path: path, token: tok, header: map[string]string{"Accept": "text/event-stream"},
		body: map[string]string{"content": "what does the river carry?\n\nevent: message\ndata: {}"}})
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	events := parseSSE(t, string(r.body))
	if len(events) < 2 || events[len(events)-1].name != "message" {
		t.Fatalf("events %+v", events)
	}
	var text strings.Builder
	for _, ev := range events[:len(events)-1] {
		if ev.name != "chunk" {
			t.Fatalf("event %q before the final message", ev.name)
		}
		var c struct{ Text string }
		if err := json.Unmarshal([]byte(ev.data), &c); err != nil {
			t.Fatal(err)
		}
		text.WriteString(c.Text)
	}
	var x exchangeJSON
	if err := json.Unmarshal([]byte(events[len(events)-1].data), &x); err != nil {
		t.Fatal(err)
	}
	if x.Message.Content != text.String() || !strings.Contains(x.Message.Content, "event: error\nid: 7") {
		t.Fatalf("chunks %q; message %q", text.String(), x.Message.Content)
	}
	if x.Learner == nil || x.Learner.Content != "what does the river carry?\n\nevent: message\ndata: {}" {
		t.Fatalf("learner message %+v", x.Learner)
	}

	// Without the Accept header the reply is whole JSON, and the stored
	// transcript holds both exchanges.
	var plain exchangeJSON
	e.do(req{method: "POST", path: path, token: tok, body: map[string]string{"content": "quiz me"}}).want(t, 200, &plain)
	if plain.Message.Index != 3 || !plain.Conversation.Quizzing {
		t.Fatalf("plain reply %+v", plain)
	}
	// A streamed error before any chunk is an ordinary JSON error.
	e.do(req{method: "POST", path: "/v1/conversations/nope/messages", token: tok, header: map[string]string{"Accept": "text/event-stream"},
		body: map[string]string{"content": "hi"}}).want(t, 404, nil)

	var page struct {
		Messages   []messageJSON `json:"messages"`
		NextCursor *string       `json:"next_cursor"`
	}
	e.do(req{method: "GET", path: "/v1/conversations/" + cr.Conversation.ID + "?limit=3", token: tok}).want(t, 200, &page)
	if len(page.Messages) != 3 || page.NextCursor == nil {
		t.Fatalf("first page %+v", page)
	}
	e.do(req{method: "GET", path: "/v1/conversations/" + cr.Conversation.ID + "?limit=3&cursor=" + *page.NextCursor, token: tok}).want(t, 200, &page)
	if len(page.Messages) != 1 || page.Messages[0].Index != 3 || page.NextCursor != nil {
		t.Fatalf("second page %+v", page)
	}
	e.do(req{method: "GET", path: "/v1/conversations/" + cr.Conversation.ID + "?cursor=bogus", token: tok}).want(t, 400, nil)
	e.do(req{method: "GET", path: "/v1/conversations?limit=201", token: tok}).want(t, 400, nil)
	e.do(req{method: "GET", path: "/v1/conversations?cursor=bogus", token: tok}).want(t, 400, nil)
}
