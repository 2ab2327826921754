package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRestart answers half a session, stops the server, starts a new one on
// the same SQLite file and finishes the session there: nothing acknowledged
// is lost, and an Idempotency-Key used before the restart still replays.
func TestRestart(t *testing.T) {
	cfg := defaultConfig(t, filepath.Join(t.TempDir(), "recall.db"))
	clock := newClock()

	first := startServer(t, cfg, clock)
	_, tok := first.signUp(t, "alice", "alice-password")
	topic := first.createTopic(t, tok, "Capitals", "")
	bank := first.addQuestions(t, tok, topic.ID,
		qFixture("Capital of France?", "Paris"),
		qFixture("Capital of Peru?", "Lima"),
		map[string]any{"prompt": "Largest ocean?", "answers": []string{"Pacific"}, "choices": []string{"Atlantic", "Pacific", "Indian"}},
		qFixture("Capital of Australia?", "Canberra"),
	)
	clock.Add(time.Second)
	s := first.startSession(t, tok, topic.ID, 4)
	first.turn(t, tok, s.ID, "/hint", "")
	right, keyed := first.turn(t, tok, s.ID, "Paris", "before-restart")
	clock.Add(time.Second)
	wrong, _ := first.turn(t, tok, s.ID, "Quito", "")
	if !*right.Turn.Correct || *wrong.Turn.Correct || wrong.Session.Progress != (progressOut{Total: 4, Answered: 2, Correct: 1}) {
		t.Fatalf("before the restart: %+v / %+v", right, wrong)
	}
	before := first.transcript(t, tok, s.ID)
	if err := first.stop(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The old server is gone.
	if res, err := http.Get(first.m.URL() + "/healthz"); err == nil {
		res.Body.Close()
		t.Fatalf("the closed server still answers: %s", res.Status)
	}

	clock.Add(time.Minute)
	second := startServer(t, cfg, clock)
	second.do(apiCall{method: "GET", path: "/v1/me", token: tok}).want(t, 200, nil) // the token survived
	got := second.session(t, tok, s.ID)
	if got.State != "active" || got.Progress != wrong.Session.Progress || got.CurrentQuestion == nil || got.CurrentQuestion.ID != bank[2].ID {
		t.Fatalf("after the restart: %+v", got)
	}
	if tl := second.transcript(t, tok, s.ID); !sameTurns(tl, before) {
		t.Fatalf("transcript after the restart:\n%+v\nbefore:\n%+v", tl, before)
	}
	// The key used before the restart replays the first response and grades nothing.
	if _, r := second.turn(t, tok, s.ID, "Paris", "before-restart"); string(r.body) != string(keyed.body) {
		t.Fatalf("the replay after the restart differs:\n%s\n%s", keyed.body, r.body)
	}
	if p := second.session(t, tok, s.ID).Progress; p != wrong.Session.Progress {
		t.Fatalf("the replay graded again: %+v", p)
	}

	// Finish the session on the new server.
	mc, _ := second.turn(t, tok, s.ID, "C", "after-restart")
	last, _ := second.turn(t, tok, s.ID, "canberra", "")
	if *mc.Turn.Correct || !*last.Turn.Correct || last.Session.State != "completed" ||
		last.Session.Progress != (progressOut{Total: 4, Answered: 4, Correct: 2}) {
		t.Fatalf("finishing after the restart: %+v / %+v", mc, last)
	}
	tl := second.transcript(t, tok, s.ID)
	if len(tl) != 5 || !sameTurns(tl[:3], before) {
		t.Fatalf("the whole transcript: %+v", tl)
	}
	for i, want := range []string{"/hint", "Paris", "Quito", "C", "canberra"} {
		if tl[i].Index != i || tl[i].Message != want {
			t.Fatalf("turn %d: %+v, want message %q", i, tl[i], want)
		}
	}
	if _, r := second.turn(t, tok, s.ID, "Paris", "before-restart"); string(r.body) != string(keyed.body) {
		t.Fatalf("the replay after completion differs:\n%s\n%s", keyed.body, r.body)
	}
	st := second.topic(t, tok, topic.ID, "dashboard").Stats
	if st.SessionsCompleted != 1 || st.Answers != 4 || st.Correct != 2 || st.Accuracy == nil || *st.Accuracy != 0.5 {
		t.Fatalf("stats after the restart: %+v", st)
	}
}

// sameTurns compares the parts of two transcripts that the database keeps.
func sameTurns(a, b []turnOut) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Index != y.Index || x.Kind != y.Kind || x.Message != y.Message || x.Reply != y.Reply ||
			!x.CreatedAt.Equal(y.CreatedAt) || gradeText(x.Correct) != gradeText(y.Correct) {
			return false
		}
	}
	return true
}

// gradeText shows a turn's correct field: "true", "false" or "null".
func gradeText(b *bool) string {
	if b == nil {
		return "null"
	}
	return fmt.Sprint(*b)
}

// TestGracefulShutdown closes the server while a request is inside its
// handler (it has asked for the body with 100 Continue): Close refuses new
// connections, waits for the request, which completes, and its write is
// durable.
func TestGracefulShutdown(t *testing.T) {
	cfg := defaultConfig(t, filepath.Join(t.TempDir(), "recall.db"))
	clock := newClock()
	srv := startServer(t, cfg, clock)
	_, tok := srv.signUp(t, "alice", "alice-password")
	addr := srv.m.Addr()

	body := `{"title": "Written during shutdown", "description": "` + strings.Repeat("d", 2000) + `"}`
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "POST /v1/topics HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\nX-Request-Id: in-flight\r\n\r\n",
		addr, tok, len(body)); err != nil {
		t.Fatal(err)
	}
	// The server says 100 Continue when the handler first reads the body:
	// from here on the request is in flight.
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("want 100 Continue, got %q (%v)", line, err)
	}
	if blank, err := br.ReadString('\n'); err != nil || blank != "\r\n" {
		t.Fatalf("after 100 Continue: %q (%v)", blank, err)
	}

	closed := make(chan error, 1)
	go func() { closed <- srv.stop() }()

	// Wait until the listener is closed: Close has begun.
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if i > 2000 {
			t.Fatal("the listener is still open long after Close was called")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was in flight", err)
	default:
	}

	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatalf("send the body: %v", err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read the response of the request in flight: %v", err)
	}
	defer res.Body.Close()
	var out struct{ Topic topicOut }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 201 || out.Topic.Title != "Written during shutdown" || res.Header.Get("X-Request-Id") != "in-flight" {
		t.Fatalf("the request in flight got %s %+v", res.Status, out.Topic)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Acknowledged means durable: a new server on the same file has it.
	again := startServer(t, cfg, clock)
	var list struct{ Topics []topicOut }
	again.do(apiCall{method: "GET", path: "/v1/topics", token: tok}).want(t, 200, &list)
	if len(list.Topics) != 1 || list.Topics[0].ID != out.Topic.ID {
		t.Fatalf("after the restart: %+v", list.Topics)
	}
}
