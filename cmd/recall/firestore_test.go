package main

// The end-to-end walk-through on Firestore: the server as `recall serve
// --db firestore://PROJECT --redis redis://…` wires it, on Google's
// Firestore emulator (a project of the test's own) with the shared Redis in
// front (a key prefix of the test's own, deleted after).

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall/firestore"
	"github.com/recallhq/recall/firestore/emulatortest"
	"github.com/recallhq/recall/redis/redistest"
)

// fsConfig is the configuration of a server on the Firestore project with
// the shared Redis under prefix, near-cache on, and no rate limit in the
// way.
func fsConfig(tb testing.TB, project, prefix string) Config {
	tb.Helper()
	cfg := rtConfig(tb, filepath.Join(tb.TempDir(), "unused.db"), redistest.SharedURL, prefix, true)
	cfg.DB = "firestore://" + project
	return cfg
}

// fsReads returns the recall_db_queries_total{kind="read"} series of a
// delta, by op.
func fsReads(delta map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range delta {
		if strings.HasPrefix(k, "read/") {
			out[k] = v
		}
	}
	return out
}

// fsWrites returns the number of commits of a delta.
func fsWrites(delta map[string]float64) float64 {
	var n float64
	for k, v := range delta {
		if strings.HasPrefix(k, "write/") {
			n += v
		}
	}
	return n
}

// TestFirestoreEndToEnd walks the API on Firestore with Redis in front:
// accounts, topics, questions, a session with an idempotent retry, the
// transcript, the dashboard's stats, a topic's deletion and a revoked
// token; then shows from /metrics that the hot paths cost no Firestore
// read; then starts a second server with cold caches on the same project
// to show that everything was in Firestore. It sets FIRESTORE_EMULATOR_HOST
// for the test: it cannot run in parallel.
func TestFirestoreEndToEnd(t *testing.T) {
	project := fsProject(t, "recall-e2e")
	emuHost := os.Getenv("FIRESTORE_EMULATOR_HOST")
	clock := newClock()
	srv := startServer(t, fsConfig(t, project, redistest.Prefix(t)), clock)

	t.Run("Operations", func(t *testing.T) {
		if d := srv.m.DBDescription(); d != "Firestore project "+project+" (emulator at "+emuHost+")" {
			t.Errorf("DBDescription %q", d)
		}
		if d := srv.m.RedisDescription(); d != redistest.SharedURL+" with near-cache" {
			t.Errorf("RedisDescription %q", d)
		}
		var ready map[string]string
		srv.do(apiCall{method: "GET", path: "/readyz"}).want(t, 200, &ready)
		if ready["db"] != "ok" || ready["redis"] != "ok" {
			t.Fatalf("readyz %v", ready)
		}
	})

	// --- accounts: usernames are unique through Firestore transactions ---
	var alice userOut
	var aliceTok, bobTok string
	t.Run("Accounts", func(t *testing.T) {
		alice, aliceTok = srv.signUp(t, "Alice", "alice-password")
		if alice.Username != "alice" || alice.ID == "" || !alice.CreatedAt.Equal(clock.Now()) {
			t.Fatalf("alice %+v", alice)
		}
		_, bobTok = srv.signUp(t, "bob", "bob-password")
		srv.do(apiCall{method: "POST", path: "/v1/users", body: map[string]string{"username": "ALICE", "password": "other-password"}}).wantError(t, 409, "conflict")
		srv.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "alice", "password": "wrong-password"}}).wantError(t, 401, "unauthorized")
		srv.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "nobody", "password": "wrong-password"}}).wantError(t, 401, "unauthorized")
		var me struct{ User userOut }
		srv.do(apiCall{method: "GET", path: "/v1/me", token: aliceTok}).want(t, 200, &me)
		if me.User.ID != alice.ID || me.User.Username != "alice" {
			t.Fatalf("me %+v", me.User)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	// --- topics and the question bank ---
	var capitals, rivers topicOut
	var bank []questionOut
	t.Run("Topics", func(t *testing.T) {
		clock.Add(time.Second)
		capitals = srv.createTopic(t, aliceTok, "Capitals", "World capitals")
		clock.Add(time.Second)
		rivers = srv.createTopic(t, aliceTok, "Rivers", "")
		var list struct{ Topics []topicOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics?view=dashboard", token: aliceTok}).want(t, 200, &list)
		if len(list.Topics) != 2 || list.Topics[0].ID != rivers.ID || list.Topics[1].ID != capitals.ID {
			t.Fatalf("dashboard %+v, want rivers then capitals", list.Topics)
		}
		clock.Add(time.Second)
		var patched struct{ Topic topicOut }
		srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID, token: aliceTok,
			body: map[string]string{"title": "Capital cities"}}).want(t, 200, &patched)
		if p := patched.Topic; p.Title != "Capital cities" || p.Description != "World capitals" || !p.UpdatedAt.Equal(clock.Now()) {
			t.Fatalf("patched %+v", p)
		}
		// The patch dropped the cached list: capitals comes first now.
		srv.do(apiCall{method: "GET", path: "/v1/topics?view=dashboard", token: aliceTok}).want(t, 200, &list)
		if len(list.Topics) != 2 || list.Topics[0].ID != capitals.ID || list.Topics[0].Title != "Capital cities" {
			t.Fatalf("after the patch %+v", list.Topics)
		}
		// Bob sees none of it.
		srv.do(apiCall{method: "GET", path: "/v1/topics", token: bobTok}).want(t, 200, &list)
		if len(list.Topics) != 0 {
			t.Fatalf("bob's topics %+v", list.Topics)
		}
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID, token: bobTok}).wantError(t, 404, "not_found")
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("Questions", func(t *testing.T) {
		clock.Add(time.Second)
		bank = srv.addQuestions(t, aliceTok, capitals.ID,
			qFixture("Capital of France?", "Paris"),
			qFixture("Capital of Peru?", "Lima"),
			map[string]any{"prompt": "Largest ocean?", "answers": []string{"Pacific"}, "choices": []string{"Atlantic", "Pacific", "Indian"}},
			qFixture("Capital of Australia?", "Canberra"),
		)
		// All or nothing: one bad item adds none.
		srv.do(apiCall{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions", token: aliceTok,
			body: map[string]any{"questions": []any{qFixture("Fine?", "yes"), map[string]any{"prompt": "", "answers": []string{"x"}}}}}).wantError(t, 400, "invalid")
		extra := srv.addQuestions(t, aliceTok, capitals.ID, qFixture("To be deleted?", "yes"))
		clock.Add(time.Second)
		var one struct{ Question questionOut }
		srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID + "/questions/" + bank[1].ID, token: aliceTok,
			body: map[string]any{"hint": "In South America"}}).want(t, 200, &one)
		if one.Question.Hint != "In South America" || one.Question.Prompt != "Capital of Peru?" {
			t.Fatalf("patched question %+v", one.Question)
		}
		bank[1] = one.Question
		srv.do(apiCall{method: "DELETE", path: "/v1/topics/" + capitals.ID + "/questions/" + extra[0].ID, token: aliceTok}).want(t, 204, nil)
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/" + extra[0].ID, token: aliceTok}).wantError(t, 404, "not_found")

		var list struct{ Questions []questionOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions", token: aliceTok}).want(t, 200, &list)
		if !slices.Equal(questionIDs(list.Questions), questionIDs(bank)) || list.Questions[1].Hint != "In South America" {
			t.Fatalf("bank %+v, want %v", list.Questions, questionIDs(bank))
		}
		if full := srv.topic(t, aliceTok, capitals.ID, "full"); full.QuestionCount != 4 || !slices.Equal(full.QuestionIDs, questionIDs(bank)) {
			t.Fatalf("topic %+v", full)
		}
		// Bob cannot reach alice's question through his own topic either.
		bobTopic := srv.createTopic(t, bobTok, "Bob's", "")
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + bobTopic.ID + "/questions/" + bank[0].ID, token: bobTok}).wantError(t, 404, "not_found")
	})
	if t.Failed() {
		t.FailNow()
	}

	// --- a session: hint, right answer retried by its key, wrong answer,
	// multiple choice by letter, skip to the end ---
	var quiz sessionOut
	var keyed *apiResp
	var transcript []turnOut
	t.Run("Session", func(t *testing.T) {
		clock.Add(time.Second)
		quiz = srv.startSession(t, aliceTok, capitals.ID, 4)
		if quiz.State != "active" || quiz.Progress != (progressOut{Total: 4}) || quiz.CurrentQuestion == nil || quiz.CurrentQuestion.ID != bank[0].ID {
			t.Fatalf("quiz %+v", quiz)
		}
		hint, _ := srv.turn(t, aliceTok, quiz.ID, "/hint", "")
		if hint.Turn.Kind != "hint" || hint.Turn.Index != 0 || !strings.Contains(hint.Turn.Reply, "hint: Capital of France?") {
			t.Fatalf("hint %+v", hint.Turn)
		}
		clock.Add(time.Second)
		right, r := srv.turn(t, aliceTok, quiz.ID, " paris ", "fs-key-1")
		keyed = r
		if tr := right.Turn; tr.Kind != "answer" || tr.Index != 1 || tr.Correct == nil || !*tr.Correct {
			t.Fatalf("right answer %+v", tr)
		}
		// The retry, even with another message, replays the first response.
		if _, again := srv.turn(t, aliceTok, quiz.ID, "Marseille", "fs-key-1"); string(again.body) != string(keyed.body) {
			t.Fatalf("the retry differs:\n%s\n%s", keyed.body, again.body)
		}
		if s := srv.session(t, aliceTok, quiz.ID); s.Progress != (progressOut{Total: 4, Answered: 1, Correct: 1}) || s.CurrentQuestion.ID != bank[1].ID {
			t.Fatalf("after the retry %+v", s)
		}
		clock.Add(time.Second)
		wrong, _ := srv.turn(t, aliceTok, quiz.ID, "Quito", "")
		if tr := wrong.Turn; tr.Correct == nil || *tr.Correct || !strings.Contains(tr.Reply, "Lima") {
			t.Fatalf("wrong answer %+v", tr)
		}
		if cq := wrong.Session.CurrentQuestion; cq == nil || cq.ID != bank[2].ID || !slices.Equal(cq.Choices, []string{"Atlantic", "Pacific", "Indian"}) {
			t.Fatalf("the multiple-choice question is shown as %+v", cq)
		}
		mc, _ := srv.turn(t, aliceTok, quiz.ID, "b)", "")
		if tr := mc.Turn; tr.Correct == nil || !*tr.Correct {
			t.Fatalf("multiple choice by letter %+v", tr)
		}
		clock.Add(time.Second)
		skip, _ := srv.turn(t, aliceTok, quiz.ID, "/skip", "")
		if s := skip.Session; s.State != "completed" || s.CurrentQuestion != nil || s.Progress != (progressOut{Total: 4, Answered: 3, Correct: 2, Skipped: 1}) {
			t.Fatalf("completed %+v", s)
		}
		quiz = skip.Session
		srv.do(apiCall{method: "POST", path: "/v1/sessions/" + quiz.ID + "/turns", token: aliceTok,
			body: map[string]string{"message": "more"}}).wantError(t, 409, "conflict")
		// The key still replays after the completion.
		if _, again := srv.turn(t, aliceTok, quiz.ID, "paris", "fs-key-1"); string(again.body) != string(keyed.body) {
			t.Fatalf("the retry after completion differs:\n%s\n%s", keyed.body, again.body)
		}

		transcript = srv.transcript(t, aliceTok, quiz.ID)
		want := []struct{ kind, msg string }{{"hint", "/hint"}, {"answer", " paris "}, {"answer", "Quito"}, {"answer", "b)"}, {"skip", "/skip"}}
		if len(transcript) != len(want) {
			t.Fatalf("transcript has %d turns, want %d: %+v", len(transcript), len(want), transcript)
		}
		for i, w := range want {
			if tr := transcript[i]; tr.Index != i || tr.Kind != w.kind || tr.Message != w.msg || tr.Reply == "" {
				t.Fatalf("turn %d: %+v, want %s %q", i, tr, w.kind, w.msg)
			}
		}
		if transcript[1].Reply != right.Turn.Reply {
			t.Fatal("the transcript's reply differs from the turn's")
		}
		// Bob cannot see or drive alice's session.
		srv.do(apiCall{method: "GET", path: "/v1/sessions/" + quiz.ID, token: bobTok}).wantError(t, 404, "not_found")
		srv.do(apiCall{method: "POST", path: "/v1/sessions/" + quiz.ID + "/turns", token: bobTok, header: map[string]string{"Idempotency-Key": "fs-key-1"},
			body: map[string]string{"message": "Paris"}}).wantError(t, 404, "not_found")
	})
	if t.Failed() {
		t.FailNow()
	}

	// --- the dashboard's stats: running counters that the completing turn
	// moved in the same commit ---
	checkStats := func(t *testing.T, st statsOut) {
		t.Helper()
		if st.SessionsCompleted != 1 || st.Answers != 4 || st.Correct != 2 || st.Accuracy == nil ||
			math.Abs(*st.Accuracy-0.5) > 1e-9 || st.LastStudiedAt == nil || !st.LastStudiedAt.Equal(quiz.UpdatedAt) {
			t.Fatalf("capitals' stats %+v (session updated at %v)", st, quiz.UpdatedAt)
		}
	}
	t.Run("Stats", func(t *testing.T) {
		var list struct{ Topics []topicOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics?view=dashboard", token: aliceTok}).want(t, 200, &list)
		if len(list.Topics) != 2 || list.Topics[0].ID != capitals.ID {
			t.Fatalf("dashboard %+v", list.Topics)
		}
		checkStats(t, list.Topics[0].Stats)
		if st := list.Topics[1].Stats; st.SessionsCompleted != 0 || st.Accuracy != nil || st.LastStudiedAt != nil {
			t.Fatalf("rivers' stats %+v", st)
		}
		checkStats(t, srv.topic(t, aliceTok, capitals.ID, "dashboard").Stats)
	})
	if t.Failed() {
		t.FailNow()
	}

	// --- the hot paths cost no Firestore read ---
	t.Run("HotPathsReadNothing", func(t *testing.T) {
		dashboard := func() {
			var list struct{ Topics []topicOut }
			srv.do(apiCall{method: "GET", path: "/v1/topics?view=dashboard", token: aliceTok}).want(t, 200, &list)
			if len(list.Topics) != 2 {
				t.Fatalf("dashboard lists %d topics", len(list.Topics))
			}
		}
		dashboard()
		before := srv.scrape(t)
		for range 3 {
			dashboard()
		}
		delta := dbDelta(before, srv.scrape(t))
		t.Logf("Firestore operations of 3 repeated GET /v1/topics?view=dashboard: %v", delta)
		if len(delta) != 0 {
			t.Errorf("repeated dashboard reads reached Firestore: %v, want no read and no write", delta)
		}

		clock.Add(time.Second)
		s := srv.startSession(t, aliceTok, capitals.ID, 4)
		srv.turn(t, aliceTok, s.ID, "Paris", "")
		for i, msg := range []string{"Lima", "Pacific"} {
			before := srv.scrape(t)
			reply, _ := srv.turn(t, aliceTok, s.ID, msg, "fs-hot-"+msg)
			delta := dbDelta(before, srv.scrape(t))
			t.Logf("Firestore operations of turn %d: %v", i+1, delta)
			if reply.Turn.Correct == nil || !*reply.Turn.Correct || reply.Turn.Index != i+1 {
				t.Fatalf("turn %d: %+v", i+1, reply.Turn)
			}
			if reads := fsReads(delta); len(reads) != 0 {
				t.Errorf("a turn read Firestore: %v, want no read", reads)
			}
			if delta["write/SaveTurn"] != 1 || fsWrites(delta) != 1 {
				t.Errorf("a turn committed %v, want exactly one SaveTurn commit", delta)
			}
		}
		// The session and its transcript are in Firestore, not only in Redis.
		if tl := srv.transcript(t, aliceTok, s.ID); len(tl) != 3 || tl[2].Message != "Pacific" {
			t.Fatalf("transcript %+v", tl)
		}
	})

	// --- deleting a topic takes its questions, sessions and turns ---
	t.Run("DeleteTopic", func(t *testing.T) {
		rq := srv.addQuestions(t, aliceTok, rivers.ID, qFixture("Longest river?", "Nile"))
		rs := srv.startSession(t, aliceTok, rivers.ID, 1)
		srv.turn(t, aliceTok, rs.ID, "/hint", "")
		srv.do(apiCall{method: "DELETE", path: "/v1/topics/" + rivers.ID, token: aliceTok}).want(t, 204, nil)
		for _, c := range []apiCall{
			{method: "GET", path: "/v1/topics/" + rivers.ID},
			{method: "DELETE", path: "/v1/topics/" + rivers.ID},
			{method: "GET", path: "/v1/topics/" + rivers.ID + "/questions/" + rq[0].ID},
			{method: "GET", path: "/v1/sessions/" + rs.ID},
			{method: "GET", path: "/v1/sessions/" + rs.ID + "/turns"},
			{method: "POST", path: "/v1/sessions/" + rs.ID + "/turns", body: map[string]string{"message": "Nile"}},
		} {
			c.token = aliceTok
			srv.do(c).wantError(t, 404, "not_found")
		}
		var list struct{ Topics []topicOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics", token: aliceTok}).want(t, 200, &list)
		if len(list.Topics) != 1 || list.Topics[0].ID != capitals.ID {
			t.Fatalf("topics after the delete %+v", list.Topics)
		}
	})

	// --- revocation: the token is refused on the very next request, though
	// the near-cache held it ---
	t.Run("Revoke", func(t *testing.T) {
		second := srv.signIn(t, "alice", "alice-password")
		srv.do(apiCall{method: "GET", path: "/v1/me", token: second}).want(t, 200, nil)
		srv.do(apiCall{method: "GET", path: "/v1/me", token: second}).want(t, 200, nil)
		srv.do(apiCall{method: "DELETE", path: "/v1/tokens/current", token: second}).want(t, 204, nil)
		srv.do(apiCall{method: "GET", path: "/v1/me", token: second}).wantError(t, 401, "unauthorized")
		srv.do(apiCall{method: "DELETE", path: "/v1/tokens/current", token: second}).wantError(t, 401, "unauthorized")
		srv.do(apiCall{method: "GET", path: "/v1/me", token: aliceTok}).want(t, 200, nil) // only that one
	})
	if t.Failed() {
		t.FailNow()
	}

	// --- a second server with cold caches (a Redis prefix of its own) on
	// the same project reads it all back from Firestore ---
	t.Run("ColdServer", func(t *testing.T) {
		cold := startServer(t, fsConfig(t, project, redistest.Prefix(t)), clock)
		before := cold.scrape(t)
		if tl := cold.transcript(t, aliceTok, quiz.ID); !sameTurns(tl, transcript) {
			t.Fatalf("transcript on the cold server:\n%+v\nwant\n%+v", tl, transcript)
		}
		checkStats(t, cold.topic(t, aliceTok, capitals.ID, "dashboard").Stats)
		if reads := fsReads(dbDelta(before, cold.scrape(t))); len(reads) == 0 {
			t.Fatal("the cold server read nothing from Firestore")
		}
		if _, again := cold.turn(t, aliceTok, quiz.ID, "Paris", "fs-key-1"); string(again.body) != string(keyed.body) {
			t.Fatalf("the key replays differently on the cold server:\n%s\n%s", keyed.body, again.body)
		}
		if err := cold.stop(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// fsProject starts the emulator (or reuses the shared one) and returns a
// project of the test's own, named after name and reset after the test. It
// sets FIRESTORE_EMULATOR_HOST for the test, which so cannot run in
// parallel.
func fsProject(t *testing.T, name string) string {
	t.Helper()
	emu := emulatortest.Start(t)
	t.Setenv("FIRESTORE_EMULATOR_HOST", emu.Host)
	project := emulatortest.ProjectID(name)
	t.Cleanup(func() {
		// After the servers have stopped (cleanups run last first).
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := emu.Reset(ctx, project); err != nil {
			t.Logf("reset the emulator's project: %v", err)
		}
	})
	// The emulator answers HTTP before its first RPC is fast: on a busy
	// machine that first RPC outlasts Open's 5 s ping bound. Wait for a
	// store to open (a readiness wait, not an assertion) before the server.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s, err := firestore.Open(t.Context(), project, firestore.Options{})
		if err == nil {
			s.Close()
			return project
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not serve Firestore within 2 minutes: %v", err)
		}
	}
}
