package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
	recallhttp "github.com/recallhq/recall/http"
	"github.com/recallhq/recall/redis/redistest"
)

// TestEndToEnd walks the whole API as a client would, over TCP, against the
// real server as `recall serve` wires it (embedded SQLite, in-process
// caches, session store and limiter), with two users side by side. The walk
// is a chain of steps; each subtest is one step, on a server of its own,
// after the earlier steps whose data it reads (needs) have built it there:
// any one runs alone, e.g. go test -run 'TestEndToEnd/Stats' ./cmd/recall.
func TestEndToEnd(t *testing.T) {
	core := []string{"Accounts", "Topics", "Questions", "Sessions"}
	steps := []struct {
		name  string
		needs []string
	}{
		{"Operations", nil},
		{"Accounts", nil},
		{"Topics", core[:1]},
		{"Questions", core[:2]},
		{"Sessions", core[:3]},
		{"Stats", core},
		{"SessionList", core},
		{"OtherUsersIDsAreNotFound", core},
		{"BadBodies", core},
		{"DeleteTopic", core},
		{"Tokens", core},
		{"Metrics", append([]string{"Operations"}, core...)},
	}
	all := make([]string, len(steps))
	for i, s := range steps {
		all[i] = s.name
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) { endToEnd(t, s.name, s.needs, all) })
	}
}

// endToEnd starts a server and runs the steps of the walk that target
// needs, in the walk's order, then target itself. all names every step, so
// that a step missing from TestEndToEnd's list fails instead of never
// running.
func endToEnd(t *testing.T, target string, needs, all []string) {
	// Every request comes from 127.0.0.1: the sign-up and sign-in policy
	// (10 a minute per address by default) would refuse this walk's many
	// account requests. The rest keeps its defaults.
	srv := startDefault(t, func(c *Config) { c.RateLimits = []string{"auth=1000/1m"} })
	clock := srv.clock
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !slices.Contains(all, name) {
			t.Fatalf("step %s is not in TestEndToEnd's list", name)
		}
		if name != target && !slices.Contains(needs, name) {
			return
		}
		f(t)
		if t.Failed() && name != target {
			t.Fatalf("step %s, which %s needs, failed", name, target)
		}
	}

	step("Operations", func(t *testing.T) {
		r := srv.do(apiCall{method: "GET", path: "/healthz"}).want(t, 200, nil)
		if got := strings.TrimSpace(string(r.body)); got != `{"status":"ok"}` {
			t.Fatalf("healthz %s", got)
		}
		r = srv.do(apiCall{method: "GET", path: "/readyz"}).want(t, 200, nil)
		var ready map[string]any
		r.want(t, 200, &ready)
		if len(ready) != 2 || ready["db"] != "ok" || ready["redis"] != "disabled" {
			t.Fatalf("readyz %s, want exactly {\"db\":\"ok\",\"redis\":\"disabled\"}", r.body)
		}
		var doc struct {
			OpenAPI string                     `json:"openapi"`
			Paths   map[string]json.RawMessage `json:"paths"`
		}
		srv.do(apiCall{method: "GET", path: "/v1/openapi.json"}).want(t, 200, &doc)
		if !strings.HasPrefix(doc.OpenAPI, "3.") {
			t.Fatalf("openapi version %q", doc.OpenAPI)
		}
		for _, p := range []string{"/v1/users", "/v1/topics/{id}/questions/{qid}", "/v1/sessions/{id}/turns"} {
			if _, ok := doc.Paths[p]; !ok {
				t.Errorf("the OpenAPI document lacks %s", p)
			}
		}
		r = srv.do(apiCall{method: "GET", path: "/v1/nope", header: map[string]string{"X-Request-Id": "trace-404"}})
		r.wantError(t, 404, "not_found")
		if got := r.header.Get("X-Request-Id"); got != "trace-404" {
			t.Fatalf("X-Request-Id %q on a 404", got)
		}
		// "/" is the web app's (package webapp); a path neither the API's
		// nor the app's is still the API's JSON 404.
		srv.do(apiCall{method: "GET", path: "/nope"}).wantError(t, 404, "not_found")
	})

	// --- accounts ---
	var alice, bob userOut
	var aliceTok, bobTok string
	var aliceExpires time.Time
	step("Accounts", func(t *testing.T) {
		r := srv.do(apiCall{method: "POST", path: "/v1/users", body: map[string]string{"username": "  Alice ", "password": "alice-password"}}).want(t, 201, nil)
		wantKeys(t, "user", r.field(t, "user"), "id", "username", "created_at", "time_zone", "admin")
		var u struct{ User userOut }
		r.want(t, 201, &u)
		alice = u.User
		if alice.ID == "" || alice.Username != "alice" || !alice.CreatedAt.Equal(clock.Now()) {
			t.Fatalf("alice %+v (now %v)", alice, clock.Now())
		}
		if raw := string(r.field(t, "user")); !strings.Contains(raw, `"created_at":"`+clock.Now().Format(time.RFC3339)) {
			t.Fatalf("created_at is not RFC 3339 in UTC: %s", raw)
		}
		srv.do(apiCall{method: "POST", path: "/v1/users", body: map[string]string{"username": "Bob.Smith-2", "password": "bob-password"}}).want(t, 201, &u)
		bob = u.User
		if bob.Username != "bob.smith-2" || bob.ID == alice.ID {
			t.Fatalf("bob %+v", bob)
		}

		srv.do(apiCall{method: "POST", path: "/v1/users", body: map[string]string{"username": "ALICE", "password": "another-password"}}).wantError(t, 409, "conflict")
		e := srv.do(apiCall{method: "POST", path: "/v1/users", body: map[string]string{"username": "no", "password": "short"}}).wantError(t, 400, "invalid")
		if e.Fields["username"] == "" || e.Fields["password"] == "" {
			t.Fatalf("fields %v", e.Fields)
		}

		var tok tokenOut
		r = srv.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "ALICE", "password": "alice-password"}}).want(t, 201, &tok)
		wantKeys(t, "token response", r.body, "token", "expires_at")
		if tok.Token == "" || !tok.ExpiresAt.Equal(clock.Now().Add(recall.TokenLifetime)) {
			t.Fatalf("token %+v", tok)
		}
		aliceTok, aliceExpires = tok.Token, tok.ExpiresAt
		bobTok = srv.signIn(t, "bob.smith-2", "bob-password")

		wrong := srv.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "alice", "password": "not-alices-password"}})
		unknown := srv.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "nobody", "password": "not-alices-password"}})
		wrong.wantError(t, 401, "unauthorized")
		unknown.wantError(t, 401, "unauthorized")
		if string(wrong.body) != string(unknown.body) {
			t.Fatalf("wrong password and unknown user differ:\n%s\n%s", wrong.body, unknown.body)
		}

		// Field bounds: username 3–32 of a-z 0-9 _ . -, password 8–256.
		for _, c := range []struct {
			username, password string
			status             int
		}{
			{strings.Repeat("u", 32), "password", 201},
			{strings.Repeat("v", 33), "password", 400},
			{"ab", "password", 400},
			{"with space", "password", 400},
			{"émile", "password", 400},
			{"pw-min", strings.Repeat("p", 8), 201},
			{"pw-short", strings.Repeat("p", 7), 400},
			{"pw-max", strings.Repeat("p", 256), 201},
			{"pw-long", strings.Repeat("p", 257), 400},
		} {
			r := srv.do(apiCall{method: "POST", path: "/v1/users", body: map[string]string{"username": c.username, "password": c.password}})
			if r.status != c.status {
				t.Errorf("sign-up %q with a %d-byte password: %d %s, want %d", c.username, len(c.password), r.status, r.body, c.status)
			}
		}

		for _, who := range []struct {
			tok  string
			want userOut
		}{{aliceTok, alice}, {bobTok, bob}} {
			var me struct{ User userOut }
			srv.do(apiCall{method: "GET", path: "/v1/me", token: who.tok}).want(t, 200, &me)
			if me.User.ID != who.want.ID || me.User.Username != who.want.Username {
				t.Fatalf("me = %+v, want %+v", me.User, who.want)
			}
		}
		// The built-in policies govern ordinary routes, with their headers.
		r = srv.do(apiCall{method: "GET", path: "/v1/me", token: aliceTok}).want(t, 200, nil)
		if got := r.header.Get("RateLimit-Policy"); got != `"default";q=600;w=60` || !strings.HasPrefix(r.header.Get("RateLimit"), `"default";r=`) {
			t.Fatalf("GET /v1/me: RateLimit-Policy %q, RateLimit %q", got, r.header.Get("RateLimit"))
		}
	})

	// --- topics ---
	var capitals, rivers, bobTopic topicOut
	summaryKeys := []string{"id", "title", "question_count", "updated_at"}
	dashboardKeys := append(slices.Clone(summaryKeys), "description", "stats")
	fullKeys := append(slices.Clone(dashboardKeys), "created_at", "question_ids")
	statsKeys := []string{"sessions_completed", "answers", "correct", "accuracy", "last_studied_at", "new", "learning", "review", "due_now", "mastered", "next_due_at"}
	step("Topics", func(t *testing.T) {
		r := srv.do(apiCall{method: "POST", path: "/v1/topics", token: aliceTok,
			body: map[string]string{"title": "Capitals", "description": "World capitals"}}).want(t, 201, nil)
		wantKeys(t, "created topic", r.field(t, "topic"), fullKeys...)
		var out struct{ Topic topicOut }
		r.want(t, 201, &out)
		capitals = out.Topic
		if r.header.Get("Location") != "/v1/topics/"+capitals.ID {
			t.Fatalf("Location %q", r.header.Get("Location"))
		}
		if capitals.Title != "Capitals" || capitals.Description != "World capitals" || capitals.QuestionCount != 0 ||
			capitals.QuestionIDs == nil || len(capitals.QuestionIDs) != 0 || !capitals.CreatedAt.Equal(clock.Now()) {
			t.Fatalf("created %+v", capitals)
		}
		clock.Add(time.Second)
		rivers = srv.createTopic(t, aliceTok, "Rivers", "")
		clock.Add(time.Second)
		bobTopic = srv.createTopic(t, bobTok, "Bob's topic", "")

		// The three views of the list: exact field sets, newest first, own topics only.
		for _, v := range []struct {
			query string
			keys  []string
		}{{"", summaryKeys}, {"?view=summary", summaryKeys}, {"?view=dashboard", dashboardKeys}, {"?view=full", fullKeys}} {
			r := srv.do(apiCall{method: "GET", path: "/v1/topics" + v.query, token: aliceTok}).want(t, 200, nil)
			wantKeys(t, "topic list", r.body, "topics")
			var list struct{ Topics []json.RawMessage }
			r.want(t, 200, &list)
			if len(list.Topics) != 2 {
				t.Fatalf("%s: %d topics, want alice's 2", v.query, len(list.Topics))
			}
			for _, raw := range list.Topics {
				wantKeys(t, "topic "+v.query, raw, v.keys...)
			}
			var ids struct{ Topics []topicOut }
			r.want(t, 200, &ids)
			if ids.Topics[0].ID != rivers.ID || ids.Topics[1].ID != capitals.ID {
				t.Fatalf("%s: order %v, want the most recently updated first", v.query, ids.Topics)
			}
			if v.query == "?view=dashboard" || v.query == "?view=full" {
				wantKeys(t, "stats", mustRaw(t, list.Topics[1], "stats"), statsKeys...)
				if got := string(mustRaw(t, list.Topics[1], "stats")); got != `{"sessions_completed":0,"answers":0,"correct":0,"accuracy":null,"last_studied_at":null,"new":0,"learning":0,"review":0,"due_now":0,"mastered":0,"next_due_at":null}` {
					t.Fatalf("stats before any session: %s", got)
				}
			}
		}
		srv.do(apiCall{method: "GET", path: "/v1/topics?view=everything", token: aliceTok}).wantError(t, 400, "invalid")

		// One topic, three views.
		for view, keys := range map[string][]string{"summary": summaryKeys, "dashboard": dashboardKeys, "full": fullKeys} {
			r := srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "?view=" + view, token: aliceTok}).want(t, 200, nil)
			wantKeys(t, view+" topic", r.field(t, "topic"), keys...)
		}
		r = srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID, token: aliceTok}).want(t, 200, nil)
		wantKeys(t, "default topic view", r.field(t, "topic"), summaryKeys...)
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "?view=x", token: aliceTok}).wantError(t, 400, "invalid")

		// PATCH changes what it is given, and moves the topic to the front.
		clock.Add(time.Second)
		var patched struct{ Topic topicOut }
		r = srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID, token: aliceTok,
			body: map[string]string{"title": "Capital cities"}}).want(t, 200, &patched)
		wantKeys(t, "patched topic", r.field(t, "topic"), fullKeys...)
		if p := patched.Topic; p.Title != "Capital cities" || p.Description != "World capitals" ||
			!p.UpdatedAt.Equal(clock.Now()) || !p.CreatedAt.Equal(capitals.CreatedAt) {
			t.Fatalf("patched %+v", p)
		}
		capitals = patched.Topic
		var list struct{ Topics []topicOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics", token: aliceTok}).want(t, 200, &list)
		if len(list.Topics) != 2 || list.Topics[0].ID != capitals.ID || list.Topics[0].Title != "Capital cities" {
			t.Fatalf("after the patch: %+v", list.Topics)
		}
		e := srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID, token: aliceTok,
			body: map[string]string{"title": "  "}}).wantError(t, 400, "invalid")
		if e.Fields["title"] == "" {
			t.Fatalf("fields %v", e.Fields)
		}
		srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID, token: aliceTok,
			body: map[string]string{"description": strings.Repeat("d", 4001)}}).wantError(t, 400, "invalid")
		srv.do(apiCall{method: "POST", path: "/v1/topics", token: aliceTok, body: map[string]string{"description": "no title"}}).wantError(t, 400, "invalid")
		srv.do(apiCall{method: "POST", path: "/v1/topics", token: aliceTok, body: map[string]string{"title": strings.Repeat("t", 201)}}).wantError(t, 400, "invalid")

		// Bob's list is his own.
		srv.do(apiCall{method: "GET", path: "/v1/topics?view=full", token: bobTok}).want(t, 200, &list)
		if len(list.Topics) != 1 || list.Topics[0].ID != bobTopic.ID {
			t.Fatalf("bob's topics %+v", list.Topics)
		}
	})

	// --- the question bank ---
	var bank []questionOut // capitals' bank, in bank order
	questionKeys := []string{"id", "topic_id", "prompt", "answers", "explanation", "hint", "created_at", "updated_at"}
	step("Questions", func(t *testing.T) {
		clock.Add(time.Second)
		ocean := map[string]any{"prompt": "Largest ocean?", "answers": []string{"Pacific"},
			"choices": []string{"Atlantic", "Pacific", "Indian"}, "explanation": "It covers a third of the Earth."}
		r := srv.do(apiCall{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions", token: aliceTok,
			body: map[string]any{"questions": []any{
				qFixture("Capital of France?", "Paris"),
				qFixture("Capital of Peru?", "Lima"),
				ocean,
				qFixture("Capital of Australia?", "Canberra"),
			}}}).want(t, 201, nil)
		var raw struct{ Questions []json.RawMessage }
		r.want(t, 201, &raw)
		if len(raw.Questions) != 4 {
			t.Fatalf("%d questions back", len(raw.Questions))
		}
		wantKeys(t, "question", raw.Questions[0], questionKeys...)
		wantKeys(t, "multiple-choice question", raw.Questions[2], append(slices.Clone(questionKeys), "choices")...)
		var out struct{ Questions []questionOut }
		r.want(t, 201, &out)
		bank = out.Questions
		for i, q := range bank {
			if q.ID == "" || q.TopicID != capitals.ID || !q.CreatedAt.Equal(clock.Now()) {
				t.Fatalf("question %d: %+v", i, q)
			}
		}
		if bank[0].Prompt != "Capital of France?" || !slices.Equal(bank[0].Answers, []string{"Paris"}) ||
			bank[0].Hint != "hint: Capital of France?" || bank[0].Explanation != "explained: Capital of France?" ||
			!slices.Equal(bank[2].Choices, []string{"Atlantic", "Pacific", "Indian"}) {
			t.Fatalf("bank %+v", bank)
		}

		// All or nothing: one bad item rejects the whole request.
		for name, bad := range map[string]map[string]any{
			"questions[1].answers": {"prompt": "No answer?", "answers": []string{}},
			"questions[1].prompt":  {"prompt": "", "answers": []string{"x"}},
			"questions[1]":         {"prompt": "Pick", "answers": []string{"D"}, "choices": []string{"A", "B"}},
		} {
			e := srv.do(apiCall{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions", token: aliceTok,
				body: map[string]any{"questions": []any{qFixture("Fine one?", "yes"), bad, qFixture("Another fine one?", "yes")}}}).wantError(t, 400, "invalid")
			found := false
			for f := range e.Fields {
				found = found || strings.HasPrefix(f, name)
			}
			if !found {
				t.Errorf("a bad %s: fields %v", name, e.Fields)
			}
		}
		srv.do(apiCall{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions", token: aliceTok,
			body: map[string]any{"questions": []any{}}}).wantError(t, 400, "invalid")
		srv.do(apiCall{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions", token: aliceTok,
			body: map[string]any{}}).wantError(t, 400, "invalid")
		many := make([]any, recall.MaxQuestionsPerRequest+1)
		for i := range many {
			many[i] = qFixture(fmt.Sprintf("Q%d?", i), "a")
		}
		srv.do(apiCall{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions", token: aliceTok,
			body: map[string]any{"questions": many}}).wantError(t, 400, "invalid")

		// The list is in bank order and nothing of the refused requests is in it.
		var list struct{ Questions []questionOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions", token: aliceTok}).want(t, 200, &list)
		if questionIDs(list.Questions) == nil || !slices.Equal(questionIDs(list.Questions), questionIDs(bank)) {
			t.Fatalf("bank %v, want %v", questionIDs(list.Questions), questionIDs(bank))
		}
		full := srv.topic(t, aliceTok, capitals.ID, "full")
		if full.QuestionCount != 4 || !slices.Equal(full.QuestionIDs, questionIDs(bank)) || !full.UpdatedAt.Equal(clock.Now()) && !full.UpdatedAt.Equal(capitals.UpdatedAt) {
			t.Fatalf("topic after adding: %+v", full)
		}

		// One question: get, patch, delete.
		var one struct{ Question questionOut }
		r = srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/" + bank[1].ID, token: aliceTok}).want(t, 200, &one)
		wantKeys(t, "one question", r.field(t, "question"), questionKeys...)
		if one.Question.ID != bank[1].ID || one.Question.Prompt != "Capital of Peru?" {
			t.Fatalf("question %+v", one.Question)
		}
		clock.Add(time.Second)
		srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID + "/questions/" + bank[1].ID, token: aliceTok,
			body: map[string]any{"hint": "In South America", "answers": []string{"Lima", "Ciudad de los Reyes"}}}).want(t, 200, &one)
		if q := one.Question; q.Prompt != "Capital of Peru?" || q.Hint != "In South America" ||
			!slices.Equal(q.Answers, []string{"Lima", "Ciudad de los Reyes"}) || !q.UpdatedAt.Equal(clock.Now()) || !q.CreatedAt.Equal(bank[1].CreatedAt) {
			t.Fatalf("patched question %+v", q)
		}
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/" + bank[1].ID, token: aliceTok}).want(t, 200, &one)
		if one.Question.Hint != "In South America" {
			t.Fatalf("the patch did not stick (stale cache?): %+v", one.Question)
		}
		srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID + "/questions/" + bank[1].ID, token: aliceTok,
			body: map[string]any{"prompt": ""}}).wantError(t, 400, "invalid")
		srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID + "/questions/" + bank[2].ID, token: aliceTok,
			body: map[string]any{"answers": []string{"Arctic"}}}).wantError(t, 400, "invalid") // not one of the choices

		extra := srv.addQuestions(t, aliceTok, capitals.ID, qFixture("To be deleted?", "yes"))
		if got := srv.topic(t, aliceTok, capitals.ID, "summary").QuestionCount; got != 5 {
			t.Fatalf("question_count %d after adding one, want 5 (stale cache?)", got)
		}
		srv.do(apiCall{method: "DELETE", path: "/v1/topics/" + capitals.ID + "/questions/" + extra[0].ID, token: aliceTok}).want(t, 204, nil)
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/" + extra[0].ID, token: aliceTok}).wantError(t, 404, "not_found")
		srv.do(apiCall{method: "DELETE", path: "/v1/topics/" + capitals.ID + "/questions/" + extra[0].ID, token: aliceTok}).wantError(t, 404, "not_found")
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions", token: aliceTok}).want(t, 200, &list)
		if !slices.Equal(questionIDs(list.Questions), questionIDs(bank)) {
			t.Fatalf("after the delete: %v, want %v", questionIDs(list.Questions), questionIDs(bank))
		}
		if full := srv.topic(t, aliceTok, capitals.ID, "full"); full.QuestionCount != 4 || !slices.Equal(full.QuestionIDs, questionIDs(bank)) {
			t.Fatalf("topic after the delete: %+v", full)
		}
		bank[1] = one.Question
	})

	// --- learning sessions ---
	var ended, quiz, byCommand, open sessionOut
	var keyedBody []byte
	sessionKeys := []string{"id", "topic_id", "state", "created_at", "updated_at", "expires_at", "progress", "current_question"}
	step("Sessions", func(t *testing.T) {
		// Defaults: every question of a bank under 20, shuffled, active.
		clock.Add(time.Second)
		r := srv.do(apiCall{method: "POST", path: "/v1/sessions", token: aliceTok, body: map[string]any{"topic_id": capitals.ID}}).want(t, 201, nil)
		wantKeys(t, "session", r.field(t, "session"), sessionKeys...)
		wantKeys(t, "progress", mustRaw(t, r.field(t, "session"), "progress"), "total", "answered", "correct", "skipped")
		noSecrets(t, r.body)
		var out struct{ Session sessionOut }
		r.want(t, 201, &out)
		ended = out.Session
		if r.header.Get("Location") != "/v1/sessions/"+ended.ID {
			t.Fatalf("Location %q", r.header.Get("Location"))
		}
		if s := ended; s.State != "active" || s.TopicID != capitals.ID || s.Progress != (progressOut{Total: 4}) ||
			s.CurrentQuestion == nil || !slices.Contains(questionIDs(bank), s.CurrentQuestion.ID) ||
			!s.CreatedAt.Equal(clock.Now()) || !s.ExpiresAt.Equal(clock.Now().Add(2*time.Hour)) {
			t.Fatalf("default session %+v", s)
		}
		r = srv.do(apiCall{method: "POST", path: "/v1/sessions/" + ended.ID + "/end", token: aliceTok}).want(t, 200, &out)
		ended = out.Session
		if s := ended; s.State != "completed" || s.CurrentQuestion != nil || s.Progress != (progressOut{Total: 4, Skipped: 4}) {
			t.Fatalf("ended %+v", s)
		}
		srv.do(apiCall{method: "POST", path: "/v1/sessions/" + ended.ID + "/turns", token: aliceTok, body: map[string]string{"message": "Paris"}}).wantError(t, 409, "conflict")
		srv.do(apiCall{method: "POST", path: "/v1/sessions/" + ended.ID + "/end", token: aliceTok}).wantError(t, 409, "conflict")

		// question_count, and shuffle false: bank order.
		clock.Add(time.Second)
		two := srv.startSession(t, aliceTok, capitals.ID, 2)
		if two.Progress.Total != 2 || two.CurrentQuestion.ID != bank[0].ID {
			t.Fatalf("two-question session %+v", two)
		}
		var big struct{ Session sessionOut }
		srv.do(apiCall{method: "POST", path: "/v1/sessions", token: aliceTok,
			body: map[string]any{"topic_id": capitals.ID, "question_count": 100}}).want(t, 201, &big)
		if big.Session.Progress.Total != 4 {
			t.Fatalf("question_count 100 on a bank of 4: total %d", big.Session.Progress.Total)
		}
		for _, body := range []map[string]any{
			{"topic_id": capitals.ID, "question_count": 0},
			{"topic_id": capitals.ID, "question_count": 101},
			{"topic_id": ""},
			{},
			{"topic_id": rivers.ID}, // no questions
		} {
			srv.do(apiCall{method: "POST", path: "/v1/sessions", token: aliceTok, body: body}).wantError(t, 400, "invalid")
		}
		srv.do(apiCall{method: "POST", path: "/v1/sessions", token: aliceTok, body: map[string]any{"topic_id": "no-such-topic"}}).wantError(t, 404, "not_found")
		for _, s := range []sessionOut{two, big.Session} {
			srv.do(apiCall{method: "POST", path: "/v1/sessions/" + s.ID + "/end", token: aliceTok}).want(t, 200, nil)
		}
		srv.do(apiCall{method: "DELETE", path: "/v1/sessions/" + two.ID, token: aliceTok}).wantError(t, 405, "method_not_allowed")

		// The quiz: hint, right answer (with a retried Idempotency-Key),
		// wrong answer, multiple choice by letter, skip.
		clock.Add(time.Second)
		quiz = srv.startSession(t, aliceTok, capitals.ID, 4)
		turns := "/v1/sessions/" + quiz.ID + "/turns"
		if quiz.CurrentQuestion == nil || quiz.CurrentQuestion.ID != bank[0].ID || quiz.CurrentQuestion.Prompt != "Capital of France?" {
			t.Fatalf("quiz %+v", quiz)
		}

		hint, r := srv.turn(t, aliceTok, quiz.ID, "/hint", "")
		wantKeys(t, "turn response", r.body, "turn", "session")
		wantKeys(t, "turn", r.field(t, "turn"), "index", "kind", "message", "reply", "question_id", "correct", "created_at")
		if h := hint.Turn; h.Kind != "hint" || h.Index != 0 || h.Correct != nil || h.QuestionID == nil || *h.QuestionID != bank[0].ID ||
			!strings.Contains(h.Reply, "hint: Capital of France?") || h.Message != "/hint" {
			t.Fatalf("hint turn %+v", h)
		}
		if s := hint.Session; s.Progress != (progressOut{Total: 4}) || s.CurrentQuestion.ID != bank[0].ID {
			t.Fatalf("a hint moved the session: %+v", s)
		}
		if strings.Contains(string(r.field(t, "session")), "Paris") {
			t.Fatalf("the session shows an answer: %s", r.body)
		}

		right, r := srv.turn(t, aliceTok, quiz.ID, "  paris ", "answer-1")
		keyedBody = r.body
		if tr := right.Turn; tr.Kind != "answer" || tr.Index != 1 || tr.Correct == nil || !*tr.Correct ||
			tr.QuestionID == nil || *tr.QuestionID != bank[0].ID || !strings.Contains(tr.Reply, "Paris") ||
			!strings.Contains(tr.Reply, "explained: Capital of France?") || !strings.Contains(tr.Reply, "Capital of Peru?") {
			t.Fatalf("right answer %+v", tr)
		}
		if s := right.Session; s.Progress != (progressOut{Total: 4, Answered: 1, Correct: 1}) || s.CurrentQuestion.ID != bank[1].ID {
			t.Fatalf("after a right answer: %+v", s)
		}
		// The retry (even with another message) returns the first response and grades nothing.
		_, again := srv.turn(t, aliceTok, quiz.ID, "Marseille", "answer-1")
		if string(again.body) != string(keyedBody) {
			t.Fatalf("the retry's body differs:\n%s\n%s", keyedBody, again.body)
		}
		if s := srv.session(t, aliceTok, quiz.ID); s.Progress != (progressOut{Total: 4, Answered: 1, Correct: 1}) || s.CurrentQuestion.ID != bank[1].ID {
			t.Fatalf("after the retry: %+v", s)
		}
		e := srv.do(apiCall{method: "POST", path: turns, token: aliceTok, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 201)},
			body: map[string]string{"message": "Lima"}}).wantError(t, 400, "invalid")
		if len(e.Fields) == 0 {
			t.Fatalf("a too long Idempotency-Key: no field named: %+v", e)
		}

		// A wrong answer shows the correct one. The session state, the
		// token and the bank are cached by now: the turn reads nothing from
		// the database and writes one transaction.
		before := srv.scrape(t)
		wrong, _ := srv.turn(t, aliceTok, quiz.ID, "Quito", "")
		after := srv.scrape(t)
		if cq := wrong.Session.CurrentQuestion; cq == nil || cq.ID != bank[2].ID || !slices.Equal(cq.Choices, []string{"Atlantic", "Pacific", "Indian"}) {
			t.Fatalf("the multiple-choice question is shown as %+v", cq)
		}
		if tr := wrong.Turn; tr.Kind != "answer" || tr.Correct == nil || *tr.Correct || !strings.Contains(tr.Reply, "Lima") || tr.Message != "Quito" {
			t.Fatalf("wrong answer %+v", tr)
		}
		delta := dbDelta(before, after)
		t.Logf("database statements of a turn on a cached session: %v", delta)
		for k, n := range delta {
			if !strings.HasPrefix(k, "write/SaveTurn") {
				t.Errorf("a turn on a cached session sent %v statement(s) of %s; want only SaveTurn writes (delta %v)", n, k, delta)
			}
		}
		if delta["write/SaveTurn"] < 1 {
			t.Errorf("the turn wrote nothing: delta %v", delta)
		}

		mc, _ := srv.turn(t, aliceTok, quiz.ID, "b)", "")
		if tr := mc.Turn; tr.Correct == nil || !*tr.Correct || !strings.Contains(tr.Reply, "B) Pacific") {
			t.Fatalf("multiple choice by letter %+v", tr)
		}
		if cq := mc.Session.CurrentQuestion; cq == nil || cq.ID != bank[3].ID || cq.Choices != nil {
			t.Fatalf("after the multiple choice: %+v", mc.Session)
		}
		skip, _ := srv.turn(t, aliceTok, quiz.ID, "/skip", "")
		if tr := skip.Turn; tr.Kind != "skip" || tr.Correct == nil || *tr.Correct || !strings.Contains(tr.Reply, "Canberra") ||
			!strings.Contains(tr.Reply, "You answered 2 of 4 correctly") {
			t.Fatalf("skip on the last question %+v", tr)
		}
		if s := skip.Session; s.State != "completed" || s.CurrentQuestion != nil || s.Progress != (progressOut{Total: 4, Answered: 3, Correct: 2, Skipped: 1}) {
			t.Fatalf("completed %+v", s)
		}
		quiz = skip.Session
		srv.do(apiCall{method: "POST", path: turns, token: aliceTok, body: map[string]string{"message": "more"}}).wantError(t, 409, "conflict")
		// A retry of a key used before completion still answers.
		if _, r := srv.turn(t, aliceTok, quiz.ID, "paris", "answer-1"); string(r.body) != string(keyedBody) {
			t.Fatalf("a retry after completion differs:\n%s\n%s", keyedBody, r.body)
		}

		// The transcript: every turn once, oldest first.
		tl := srv.transcript(t, aliceTok, quiz.ID)
		want := []struct{ kind, msg string }{{"hint", "/hint"}, {"answer", "  paris "}, {"answer", "Quito"}, {"answer", "b)"}, {"skip", "/skip"}}
		if len(tl) != len(want) {
			t.Fatalf("transcript has %d turns, want %d: %+v", len(tl), len(want), tl)
		}
		for i, w := range want {
			if tl[i].Index != i || tl[i].Kind != w.kind || tl[i].Message != w.msg || tl[i].Reply == "" || tl[i].CreatedAt.IsZero() {
				t.Fatalf("turn %d: %+v, want %s %q", i, tl[i], w.kind, w.msg)
			}
		}
		if tl[1].Reply != right.Turn.Reply {
			t.Fatalf("the transcript's reply differs from the turn's")
		}

		// "/end" as a message ends a session with a summary turn.
		clock.Add(time.Second)
		byCommand = srv.startSession(t, aliceTok, capitals.ID, 1)
		// A key is scoped to its session: the quiz's key is new here.
		if h, _ := srv.turn(t, aliceTok, byCommand.ID, "/hint", "answer-1"); h.Turn.Kind != "hint" || h.Turn.Index != 0 {
			t.Fatalf("a key of another session replayed: %+v", h.Turn)
		}
		end, _ := srv.turn(t, aliceTok, byCommand.ID, "/end", "")
		if end.Turn.Kind != "summary" || end.Turn.Correct != nil || end.Turn.QuestionID != nil || end.Session.State != "completed" ||
			end.Session.Progress != (progressOut{Total: 1, Skipped: 1}) {
			t.Fatalf("/end %+v", end)
		}
		byCommand = end.Session

		clock.Add(time.Second)
		open = srv.startSession(t, aliceTok, capitals.ID, 4)
	})

	step("Stats", func(t *testing.T) {
		// Completed: ended (4 skipped), two (2 skipped), big (4 skipped),
		// quiz (3 answered, 2 right, 1 skipped), byCommand (1 skipped).
		// A write drops the cached list: the database is read again, by
		// the write's refill (--refill) or by the next read, which joins
		// a refill still running.
		clock.Add(time.Second)
		miss := srv.scrape(t)
		srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID, token: aliceTok,
			body: map[string]string{"description": "Capitals of the world"}}).want(t, 200, nil)
		d := srv.topic(t, aliceTok, capitals.ID, "dashboard")
		if delta := dbDelta(miss, srv.scrape(t)); delta["read/Topics"]+delta["read/Topic"] < 1 {
			t.Fatalf("the read after a write did not reach the database (stale cache?): %v", delta)
		}
		if d.Description != "Capitals of the world" {
			t.Fatalf("description %q after the patch", d.Description)
		}
		st := d.Stats
		if st.SessionsCompleted != 5 || st.Answers != 4+2+4+4+1 || st.Correct != 2 || st.Accuracy == nil ||
			math.Abs(*st.Accuracy-2.0/15) > 1e-9 || st.LastStudiedAt == nil || !st.LastStudiedAt.Equal(byCommand.UpdatedAt) {
			t.Fatalf("dashboard stats %+v", st)
		}
		// A second dashboard read is served from the cache: no database read.
		before := srv.scrape(t)
		again := srv.topic(t, aliceTok, capitals.ID, "dashboard")
		var list struct{ Topics []topicOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics?view=dashboard", token: aliceTok}).want(t, 200, &list)
		after := srv.scrape(t)
		if delta := dbDelta(before, after); len(delta) != 0 {
			t.Fatalf("cached dashboard reads hit the database: %v", delta)
		}
		if again.Stats.SessionsCompleted != 5 || len(list.Topics) != 2 || list.Topics[0].Stats.SessionsCompleted != 5 {
			t.Fatalf("cached dashboard %+v / %+v", again, list.Topics)
		}
		// Rivers has none.
		if r := srv.topic(t, aliceTok, rivers.ID, "dashboard"); r.Stats.SessionsCompleted != 0 || r.Stats.Accuracy != nil {
			t.Fatalf("rivers stats %+v", r.Stats)
		}
	})

	step("SessionList", func(t *testing.T) {
		var list struct{ Sessions []sessionOut }
		srv.do(apiCall{method: "GET", path: "/v1/sessions", token: aliceTok}).want(t, 200, &list)
		if len(list.Sessions) != 6 || list.Sessions[0].ID != open.ID || list.Sessions[1].ID != byCommand.ID || list.Sessions[5].ID != ended.ID {
			t.Fatalf("sessions, newest first: %v", sessionIDs(list.Sessions))
		}
		srv.do(apiCall{method: "GET", path: "/v1/sessions?state=active", token: aliceTok}).want(t, 200, &list)
		if len(list.Sessions) != 1 || list.Sessions[0].ID != open.ID || list.Sessions[0].State != "active" {
			t.Fatalf("active sessions %v", sessionIDs(list.Sessions))
		}
		srv.do(apiCall{method: "GET", path: "/v1/sessions?state=completed", token: aliceTok}).want(t, 200, &list)
		if len(list.Sessions) != 5 || slices.Contains(sessionIDs(list.Sessions), open.ID) {
			t.Fatalf("completed sessions %v", sessionIDs(list.Sessions))
		}
		for _, s := range list.Sessions {
			if s.State != "completed" {
				t.Fatalf("a %s session in the completed list", s.State)
			}
		}
		srv.do(apiCall{method: "GET", path: "/v1/sessions?state=expired", token: aliceTok}).want(t, 200, &list)
		if len(list.Sessions) != 0 {
			t.Fatalf("expired sessions %v", sessionIDs(list.Sessions))
		}
		srv.do(apiCall{method: "GET", path: "/v1/sessions?state=paused", token: aliceTok}).wantError(t, 400, "invalid")
		srv.do(apiCall{method: "GET", path: "/v1/sessions", token: bobTok}).want(t, 200, &list)
		if len(list.Sessions) != 0 {
			t.Fatalf("bob sees sessions %v", sessionIDs(list.Sessions))
		}
	})

	step("OtherUsersIDsAreNotFound", func(t *testing.T) {
		bobBank := srv.addQuestions(t, bobTok, bobTopic.ID, qFixture("Bob's question?", "yes"))
		q0 := bank[0].ID
		// Alice's conversation: started, a streamed message, a plain one.
		var conv struct {
			Conversation struct {
				ID string `json:"id"`
			} `json:"conversation"`
		}
		srv.do(apiCall{method: "POST", path: "/v1/conversations", token: aliceTok, body: map[string]string{"topic_id": capitals.ID}}).want(t, 201, &conv)
		convPath := "/v1/conversations/" + conv.Conversation.ID
		var ex struct {
			Message struct {
				Content     string   `json:"content"`
				QuestionIDs []string `json:"question_ids"`
			} `json:"message"`
		}
		srv.do(apiCall{method: "POST", path: convPath + "/messages", token: aliceTok, body: map[string]string{"content": "quiz me"}}).want(t, 200, &ex)
		if !strings.Contains(ex.Message.Content, "Here is a question from your notes") || len(ex.Message.QuestionIDs) != 1 {
			t.Fatalf("quiz reply %+v", ex.Message)
		}
		cases := []apiCall{
			{method: "GET", path: "/v1/topics/" + capitals.ID},
			{method: "GET", path: "/v1/topics/" + capitals.ID + "?view=full"},
			{method: "PATCH", path: "/v1/topics/" + capitals.ID, body: map[string]string{"title": "mine now"}},
			{method: "DELETE", path: "/v1/topics/" + capitals.ID},
			{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions"},
			{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions", body: map[string]any{"questions": []any{qFixture("Planted?", "yes")}}},
			{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/" + q0},
			{method: "PATCH", path: "/v1/topics/" + capitals.ID + "/questions/" + q0, body: map[string]string{"prompt": "changed"}},
			{method: "DELETE", path: "/v1/topics/" + capitals.ID + "/questions/" + q0},
			{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions/generate", body: map[string]any{"notes": "Planted? :: yes"}},
			{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions/import", header: map[string]string{"Content-Type": "text/tab-separated-values"}, body: "Planted?\tyes\n"},
			{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/export?format=tsv"},
			// Alice's question through Bob's own topic.
			{method: "GET", path: "/v1/topics/" + bobTopic.ID + "/questions/" + q0},
			{method: "PATCH", path: "/v1/topics/" + bobTopic.ID + "/questions/" + q0, body: map[string]string{"prompt": "changed"}},
			{method: "DELETE", path: "/v1/topics/" + bobTopic.ID + "/questions/" + q0},
			{method: "POST", path: "/v1/sessions", body: map[string]any{"topic_id": capitals.ID}},
			{method: "GET", path: "/v1/sessions/" + open.ID},
			{method: "POST", path: "/v1/sessions/" + open.ID + "/turns", body: map[string]string{"message": "Paris"}},
			{method: "POST", path: "/v1/sessions/" + open.ID + "/turns", header: map[string]string{"Idempotency-Key": "answer-1"}, body: map[string]string{"message": "Paris"}},
			{method: "POST", path: "/v1/sessions/" + quiz.ID + "/turns", header: map[string]string{"Idempotency-Key": "answer-1"}, body: map[string]string{"message": "Paris"}},
			{method: "GET", path: "/v1/sessions/" + open.ID + "/turns"},
			{method: "GET", path: "/v1/sessions/" + quiz.ID + "/turns"},
			{method: "POST", path: "/v1/sessions/" + open.ID + "/end"},
			{method: "GET", path: convPath},
			{method: "POST", path: convPath + "/messages", body: map[string]string{"content": "Paris"}},
			{method: "POST", path: convPath + "/messages", header: map[string]string{"Accept": "text/event-stream"}, body: map[string]string{"content": "Paris"}},
			{method: "POST", path: convPath + "/end"},
			{method: "DELETE", path: convPath},
			{method: "POST", path: "/v1/conversations", body: map[string]any{"topic_id": capitals.ID}},
		}
		covered := map[string]bool{}
		for _, c := range cases {
			c.token = bobTok
			r := srv.do(c)
			r.wantError(t, 404, "not_found")
			if strings.Contains(string(r.body), capitals.ID) || strings.Contains(string(r.body), "Capital") {
				t.Errorf("%s %s: the 404 says something of alice's data: %s", c.method, c.path, r.body)
			}
			covered[c.method+" "+routeOf(c.path)] = true
		}
		// Every route with an id (but POST /v1/sessions, whose id is in the body) is covered.
		for _, rt := range routeTable() {
			if strings.Contains(rt.Pattern, "{") && !covered[rt.Method+" "+rt.Pattern] {
				t.Errorf("no cross-user case for %s %s", rt.Method, rt.Pattern)
			}
		}

		// Ids that no store could hold are just not found.
		for _, id := range []string{"%ff%fe", "%00", "..%2F..", strings.Repeat("z", 5000), "%E2%80%AE", "'%20OR%201=1--"} {
			for _, c := range []apiCall{
				{method: "GET", path: "/v1/topics/" + id},
				{method: "PATCH", path: "/v1/topics/" + id, body: map[string]string{"title": "x"}},
				{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/" + id},
				{method: "GET", path: "/v1/sessions/" + id},
				{method: "POST", path: "/v1/sessions/" + id + "/turns", body: map[string]string{"message": "x"}},
				{method: "POST", path: "/v1/sessions", body: map[string]string{"topic_id": id}},
			} {
				c.token = aliceTok
				if r := srv.do(c); r.status != 404 {
					t.Errorf("%s %.60s: %d %s, want 404", c.method, c.path, r.status, r.body)
				}
			}
		}

		// Alice's data is untouched, Bob's own question too.
		if c := srv.topic(t, aliceTok, capitals.ID, "full"); c.Title != "Capital cities" || !slices.Equal(c.QuestionIDs, questionIDs(bank)) || c.Stats.SessionsCompleted != 5 {
			t.Fatalf("alice's topic changed: %+v", c)
		}
		var one struct{ Question questionOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/" + q0, token: aliceTok}).want(t, 200, &one)
		if one.Question.Prompt != "Capital of France?" {
			t.Fatalf("alice's question changed: %+v", one.Question)
		}
		if s := srv.session(t, aliceTok, open.ID); s.State != "active" || s.Progress.Answered != 0 || s.CurrentQuestion.ID != bank[0].ID {
			t.Fatalf("alice's session changed: %+v", s)
		}
		if tl := srv.transcript(t, aliceTok, open.ID); len(tl) != 0 {
			t.Fatalf("alice's open session has turns: %+v", tl)
		}
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + bobTopic.ID + "/questions/" + bobBank[0].ID, token: bobTok}).want(t, 200, nil)
		// And the other way round.
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + bobTopic.ID, token: aliceTok}).wantError(t, 404, "not_found")
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/" + bobBank[0].ID, token: aliceTok}).wantError(t, 404, "not_found")
		var list struct{ Topics []topicOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics?view=full", token: bobTok}).want(t, 200, &list)
		if len(list.Topics) != 1 || list.Topics[0].ID != bobTopic.ID || list.Topics[0].QuestionCount != 1 {
			t.Fatalf("bob's topics %+v", list.Topics)
		}
	})

	step("BadBodies", func(t *testing.T) {
		// Every route that reads a body decodes it strictly.
		routes := []struct {
			method, path, token, valid string
		}{
			{"POST", "/v1/users", "", `{"username": "carol", "password": "carol-password"}`},
			{"POST", "/v1/tokens", "", `{"username": "alice", "password": "alice-password"}`},
			{"POST", "/v1/topics", aliceTok, `{"title": "x"}`},
			{"PATCH", "/v1/topics/" + capitals.ID, aliceTok, `{"title": "x"}`},
			{"POST", "/v1/topics/" + capitals.ID + "/questions", aliceTok, `{"questions": [{"prompt": "p", "answers": ["a"]}]}`},
			{"PATCH", "/v1/topics/" + capitals.ID + "/questions/" + bank[0].ID, aliceTok, `{"prompt": "x"}`},
			{"POST", "/v1/sessions", aliceTok, `{"topic_id": "` + capitals.ID + `"}`},
			{"POST", "/v1/sessions/" + open.ID + "/turns", aliceTok, `{"message": "Paris"}`},
		}
		for _, rt := range routes {
			obj := strings.TrimSuffix(rt.valid, "}")
			firstKey := strings.SplitN(strings.TrimPrefix(obj, `{"`), `"`, 2)[0]
			for _, tc := range []struct {
				name, body string
				status     int
			}{
				{"Malformed", obj + ",", 400},
				{"Truncated", obj, 400},
				{"UnknownField", obj + `, "colour": "red"}`, 400},
				{"TrailingData", rt.valid + ` {"x": 1}`, 400},
				{"TrailingGarbage", rt.valid + ` x`, 400},
				{"WrongType", `{"` + firstKey + `": 42}`, 400},
				{"NullBody", `null`, 400},
				{"Array", `[` + rt.valid + `]`, 400},
				{"BadUTF8", "{\"" + firstKey + "\": \"\xff\xfe\"}", 400},
				{"Empty", ``, 400},
				{"TooLarge", obj + `, "pad": "` + strings.Repeat("x", recallhttp.MaxBodyBytes) + `"}`, 413},
			} {
				t.Run(rt.method+" "+routeOf(rt.path)+"/"+tc.name, func(t *testing.T) {
					code := "invalid"
					if tc.status == 413 {
						code = "too_large"
					}
					srv.do(apiCall{method: rt.method, path: rt.path, token: rt.token, body: tc.body}).wantError(t, tc.status, code)
				})
			}
		}
		// None of it changed anything.
		if c := srv.topic(t, aliceTok, capitals.ID, "full"); c.Title != "Capital cities" || !slices.Equal(c.QuestionIDs, questionIDs(bank)) {
			t.Fatalf("alice's topic changed: %+v", c)
		}
		if s := srv.session(t, aliceTok, open.ID); s.Progress.Answered != 0 || len(srv.transcript(t, aliceTok, open.ID)) != 0 {
			t.Fatalf("the open session moved: %+v", s)
		}
		srv.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "carol", "password": "carol-password"}}).wantError(t, 401, "unauthorized")
		var list struct{ Topics []topicOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics", token: aliceTok}).want(t, 200, &list)
		if len(list.Topics) != 2 {
			t.Fatalf("alice has %d topics", len(list.Topics))
		}
	})

	step("DeleteTopic", func(t *testing.T) {
		// Rivers gets a question and a session; all of it goes with the topic.
		rq := srv.addQuestions(t, aliceTok, rivers.ID, qFixture("Longest river?", "Nile"))
		rs := srv.startSession(t, aliceTok, rivers.ID, 1)
		srv.do(apiCall{method: "DELETE", path: "/v1/topics/" + rivers.ID, token: aliceTok}).want(t, 204, nil)
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + rivers.ID, token: aliceTok}).wantError(t, 404, "not_found")
		srv.do(apiCall{method: "DELETE", path: "/v1/topics/" + rivers.ID, token: aliceTok}).wantError(t, 404, "not_found")
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + rivers.ID + "/questions", token: aliceTok}).wantError(t, 404, "not_found")
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + rivers.ID + "/questions/" + rq[0].ID, token: aliceTok}).wantError(t, 404, "not_found")
		// The topic's session is gone on every route, whatever the session cache holds.
		for _, c := range []apiCall{
			{method: "GET", path: "/v1/sessions/" + rs.ID},
			{method: "GET", path: "/v1/sessions/" + rs.ID + "/turns"},
			{method: "POST", path: "/v1/sessions/" + rs.ID + "/end"},
			{method: "POST", path: "/v1/sessions/" + rs.ID + "/turns", body: map[string]string{"message": "Nile"}},
			{method: "GET", path: "/v1/sessions/" + rs.ID},
		} {
			c.token = aliceTok
			if r := srv.do(c); r.status != 404 {
				t.Errorf("%s %s of a deleted topic's session: %d %s, want 404", c.method, c.path, r.status, r.body)
			}
		}
		var list struct{ Topics []topicOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics", token: aliceTok}).want(t, 200, &list)
		if len(list.Topics) != 1 || list.Topics[0].ID != capitals.ID {
			t.Fatalf("topics after the delete %+v", list.Topics)
		}
		var sl struct{ Sessions []sessionOut }
		srv.do(apiCall{method: "GET", path: "/v1/sessions", token: aliceTok}).want(t, 200, &sl)
		if slices.Contains(sessionIDs(sl.Sessions), rs.ID) || len(sl.Sessions) != 6 {
			t.Fatalf("sessions after the delete %v", sessionIDs(sl.Sessions))
		}
	})

	step("Tokens", func(t *testing.T) {
		check := func(t *testing.T, hdr string) {
			t.Helper()
			for _, c := range []apiCall{
				{method: "GET", path: "/v1/me"},
				{method: "GET", path: "/v1/topics"},
				{method: "POST", path: "/v1/topics", body: map[string]string{"title": "x"}},
				{method: "GET", path: "/v1/sessions/" + open.ID},
				{method: "DELETE", path: "/v1/tokens/current"},
			} {
				c.header = map[string]string{"Authorization": hdr}
				r := srv.do(c)
				r.wantError(t, 401, "unauthorized")
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s: 401 without WWW-Authenticate", c.method, c.path)
				}
			}
		}
		t.Run("Missing", func(t *testing.T) { check(t, "") })
		t.Run("NotBearer", func(t *testing.T) { check(t, "Basic "+aliceTok) })
		t.Run("Empty", func(t *testing.T) { check(t, "Bearer ") })
		t.Run("Malformed", func(t *testing.T) { check(t, "Bearer !!not a token!!") })
		t.Run("Unknown", func(t *testing.T) { check(t, "Bearer "+strings.Repeat("A", len(aliceTok))) })
		t.Run("Tampered", func(t *testing.T) {
			b := []byte(aliceTok)
			b[len(b)-2] ^= 1
			check(t, "Bearer "+string(b))
		})
		t.Run("Revoked", func(t *testing.T) {
			second := srv.signIn(t, "bob.smith-2", "bob-password")
			srv.do(apiCall{method: "GET", path: "/v1/me", token: second}).want(t, 200, nil) // cached now
			srv.do(apiCall{method: "DELETE", path: "/v1/tokens/current", token: second}).want(t, 204, nil)
			check(t, "Bearer "+second)
			// Only that token: bob's first one still works.
			srv.do(apiCall{method: "GET", path: "/v1/me", token: bobTok}).want(t, 200, nil)
		})
		t.Run("Expired", func(t *testing.T) {
			fresh := srv.signIn(t, "alice", "alice-password")
			clock.Add(aliceExpires.Sub(clock.Now()) - time.Second)
			srv.do(apiCall{method: "GET", path: "/v1/me", token: aliceTok}).want(t, 200, nil)
			clock.Add(time.Second)
			check(t, "Bearer "+aliceTok)
			srv.do(apiCall{method: "GET", path: "/v1/me", token: fresh}).want(t, 200, nil)
			// A month later the open session has expired too.
			var sl struct{ Sessions []sessionOut }
			srv.do(apiCall{method: "GET", path: "/v1/sessions?state=expired", token: fresh}).want(t, 200, &sl)
			if len(sl.Sessions) != 1 || sl.Sessions[0].ID != open.ID || sl.Sessions[0].State != "expired" {
				t.Fatalf("expired sessions %v", sessionIDs(sl.Sessions))
			}
			srv.do(apiCall{method: "POST", path: "/v1/sessions/" + open.ID + "/turns", token: fresh, body: map[string]string{"message": "Paris"}}).wantError(t, 409, "conflict")
		})
	})

	step("Metrics", func(t *testing.T) {
		// A topic that is not found, which none of the steps it needs asks for.
		srv.do(apiCall{method: "GET", path: "/v1/topics/no-such-topic", token: aliceTok}).wantError(t, 404, "not_found")
		r := srv.do(apiCall{method: "GET", path: "/metrics"}).want(t, 200, nil)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("Content-Type %q", ct)
		}
		samples, err := parseProm(string(r.body))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []struct {
			name  string
			match map[string]string
		}{
			{"recall_http_requests_total", map[string]string{"route": "/v1/sessions/{id}/turns", "method": "POST", "code": "200"}},
			{"recall_http_requests_total", map[string]string{"route": "/v1/topics/{id}", "method": "GET", "code": "404"}},
			{"recall_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}},
			{"recall_http_request_duration_seconds_count", map[string]string{"route": "/v1/sessions/{id}/turns", "method": "POST"}},
			{"recall_http_request_duration_seconds_bucket", map[string]string{"route": "/v1/topics", "method": "GET", "le": "+Inf"}},
			{"recall_db_queries_total", map[string]string{"kind": "read"}},
			{"recall_db_queries_total", map[string]string{"kind": "write", "op": "SaveTurn"}},
			{"recall_cache_requests_total", map[string]string{"cache": "topics", "result": "hit"}},
			{"recall_cache_requests_total", map[string]string{"cache": "questions", "result": "miss"}},
			{"recall_cache_requests_total", map[string]string{"cache": "tokens", "result": "hit"}},
			{"recall_cache_requests_total", map[string]string{"cache": "sessions", "result": "hit"}},
			{"recall_ratelimit_decisions_total", map[string]string{"policy": "auth", "result": "allowed"}},
			{"recall_ratelimit_decisions_total", map[string]string{"policy": "turns", "result": "allowed"}},
		} {
			if promSum(samples, want.name, want.match) <= 0 {
				t.Errorf("/metrics has no %s%v", want.name, want.match)
			}
		}
		for _, s := range samples {
			if k := s.labels["kind"]; s.name == "recall_db_queries_total" && k != "read" && k != "write" {
				t.Errorf("recall_db_queries_total with kind %q", k)
			}
			if rt, ok := s.labels["route"]; ok && (strings.Contains(rt, capitals.ID) || strings.Contains(rt, quiz.ID)) {
				t.Errorf("a raw path became a route label: %q", rt)
			}
		}
	})
}

// TestConcurrentTurns sends turns to one session at once, each
// Idempotency-Key twice: every key is applied once, its two responses are
// the same, and no turn is lost or doubled.
func TestConcurrentTurns(t *testing.T) {
	srv := startDefault(t)
	_, tok := srv.signUp(t, "alice", "alice-password")
	topic := srv.createTopic(t, tok, "Numbers", "")
	var qs []map[string]any
	for i := range 6 {
		qs = append(qs, qFixture(fmt.Sprintf("What is %d+%d?", i, i), strconv.Itoa(2*i)))
	}
	srv.addQuestions(t, tok, topic.ID, qs...)
	s := srv.startSession(t, tok, topic.ID, 6)

	const keys = 6
	type result struct {
		key    string
		status int
		body   string
	}
	results := make(chan result, 2*keys)
	start := make(chan struct{})
	for i := range 2 * keys {
		go func() {
			<-start
			key := fmt.Sprintf("key-%d", i%keys)
			hr, _ := http.NewRequest("POST", srv.m.URL()+"/v1/sessions/"+s.ID+"/turns", strings.NewReader(`{"message": "/skip"}`))
			hr.Header.Set("Authorization", "Bearer "+tok)
			hr.Header.Set("Content-Type", "application/json")
			hr.Header.Set("Idempotency-Key", key)
			res, err := srv.client.Do(hr)
			if err != nil {
				results <- result{key: key, status: -1, body: err.Error()}
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			results <- result{key, res.StatusCode, string(b)}
		}()
	}
	close(start)
	byKey := map[string][]string{}
	for range 2 * keys {
		r := <-results
		if r.status != 200 {
			t.Fatalf("a turn with %s: %d %s", r.key, r.status, r.body)
		}
		byKey[r.key] = append(byKey[r.key], r.body)
	}
	indexes := map[int]bool{}
	for key, bodies := range byKey {
		if len(bodies) != 2 || bodies[0] != bodies[1] {
			t.Fatalf("%s got different responses:\n%s", key, strings.Join(bodies, "\n"))
		}
		var tr turnReply
		if err := json.Unmarshal([]byte(bodies[0]), &tr); err != nil {
			t.Fatal(err)
		}
		indexes[tr.Turn.Index] = true
	}
	if len(indexes) != keys {
		t.Fatalf("%d distinct turns for %d keys: %v", len(indexes), keys, indexes)
	}
	tl := srv.transcript(t, tok, s.ID)
	if len(tl) != keys {
		t.Fatalf("transcript has %d turns, want %d", len(tl), keys)
	}
	got := srv.session(t, tok, s.ID)
	if got.State != "completed" || got.Progress != (progressOut{Total: 6, Skipped: 6}) {
		t.Fatalf("session %+v", got)
	}
}

// TestTwoInstancesShareRedis runs two servers on one SQLite file and the
// shared Redis (a key prefix of the test's own), as the scale-out shape
// does: whatever one instance acknowledges, the other serves at once.
func TestTwoInstancesShareRedis(t *testing.T) {
	prefix := redistest.Prefix(t)
	cfg := defaultConfig(t, filepath.Join(t.TempDir(), "recall.db"))
	cfg.Redis, cfg.RedisPrefix = redistest.SharedURL, prefix
	cfg.RateLimits = []string{"auth=6/1h"}
	clock := newClock()
	a := startServer(t, cfg, clock)
	b := startServer(t, cfg, clock)

	for _, srv := range []*testServer{a, b} {
		r := srv.do(apiCall{method: "GET", path: "/readyz"}).want(t, 200, nil)
		if strings.TrimSpace(string(r.body)) != `{"db":"ok","redis":"ok"}` {
			t.Fatalf("readyz %s", r.body)
		}
	}
	_, tok := a.signUp(t, "alice", "alice-password") // 2 auth requests
	b.do(apiCall{method: "GET", path: "/v1/me", token: tok}).want(t, 200, nil)

	// Topics: a write on one instance is seen by the other's cache.
	topic := a.createTopic(t, tok, "Capitals", "")
	if got := b.topic(t, tok, topic.ID, "full"); got.Title != "Capitals" {
		t.Fatalf("b sees %+v", got)
	}
	clock.Add(time.Second)
	b.do(apiCall{method: "PATCH", path: "/v1/topics/" + topic.ID, token: tok, body: map[string]string{"title": "Capital cities"}}).want(t, 200, nil)
	if got := a.topic(t, tok, topic.ID, "full"); got.Title != "Capital cities" {
		t.Fatalf("a serves a stale topic after b's write: %+v", got)
	}
	bank := a.addQuestions(t, tok, topic.ID, qFixture("Capital of France?", "Paris"), qFixture("Capital of Peru?", "Lima"))
	if got := b.topic(t, tok, topic.ID, "full"); !slices.Equal(got.QuestionIDs, questionIDs(bank)) {
		t.Fatalf("b's question ids %v, want %v", got.QuestionIDs, questionIDs(bank))
	}
	var one struct{ Question questionOut }
	b.do(apiCall{method: "GET", path: "/v1/topics/" + topic.ID + "/questions/" + bank[1].ID, token: tok}).want(t, 200, &one) // cached on b
	a.do(apiCall{method: "PATCH", path: "/v1/topics/" + topic.ID + "/questions/" + bank[1].ID, token: tok, body: map[string]string{"hint": "South America"}}).want(t, 200, nil)
	b.do(apiCall{method: "GET", path: "/v1/topics/" + topic.ID + "/questions/" + bank[1].ID, token: tok}).want(t, 200, &one)
	if one.Question.Hint != "South America" {
		t.Fatalf("b serves a stale question after a's write: %+v", one.Question)
	}

	// A session moves on whichever instance gets the turn.
	s := a.startSession(t, tok, topic.ID, 2)
	first, keyed := b.turn(t, tok, s.ID, "paris", "k1")
	if _, r := a.turn(t, tok, s.ID, "paris", "k1"); string(r.body) != string(keyed.body) {
		t.Fatalf("the retry on the other instance differs:\n%s\n%s", keyed.body, r.body)
	}
	if got := a.session(t, tok, s.ID); got.Progress != first.Session.Progress || got.CurrentQuestion.ID != bank[1].ID {
		t.Fatalf("a sees %+v after b's turn", got)
	}
	last, _ := a.turn(t, tok, s.ID, "lima", "")
	if last.Session.State != "completed" || last.Session.Progress != (progressOut{Total: 2, Answered: 2, Correct: 2}) {
		t.Fatalf("completed on a: %+v", last.Session)
	}
	b.do(apiCall{method: "POST", path: "/v1/sessions/" + s.ID + "/turns", token: tok, body: map[string]string{"message": "x"}}).wantError(t, 409, "conflict")
	if st := b.topic(t, tok, topic.ID, "dashboard").Stats; st.SessionsCompleted != 1 || st.Correct != 2 {
		t.Fatalf("b's stats after a completed the session: %+v", st)
	}
	if tl := b.transcript(t, tok, s.ID); len(tl) != 2 {
		t.Fatalf("transcript on b: %+v", tl)
	}

	// A token revoked on one instance stops working on the other at once.
	second := b.signIn(t, "alice", "alice-password") // 3
	a.do(apiCall{method: "GET", path: "/v1/me", token: second}).want(t, 200, nil)
	b.do(apiCall{method: "DELETE", path: "/v1/tokens/current", token: second}).want(t, 204, nil)
	a.do(apiCall{method: "GET", path: "/v1/me", token: second}).wantError(t, 401, "unauthorized")

	// Deleting the topic on one instance takes its sessions away on both.
	a.do(apiCall{method: "DELETE", path: "/v1/topics/" + topic.ID, token: tok}).want(t, 204, nil)
	for _, srv := range []*testServer{a, b} {
		for _, path := range []string{"/v1/sessions/" + s.ID, "/v1/sessions/" + s.ID + "/turns", "/v1/topics/" + topic.ID} {
			if r := srv.do(apiCall{method: "GET", path: path, token: tok}); r.status != 404 {
				t.Errorf("GET %s after the topic was deleted: %d %s, want 404", path, r.status, r.body)
			}
		}
	}

	// The auth quota is shared: 6 in all, whichever instance is asked.
	for i, srv := range []*testServer{a, b, a} { // 4, 5, 6
		if r := srv.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "alice", "password": "wrong-password"}}); r.status != 401 {
			t.Fatalf("attempt %d: %d %s", 4+i, r.status, r.body)
		}
	}
	for _, srv := range []*testServer{b, a} {
		r := srv.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "alice", "password": "alice-password"}})
		r.wantError(t, 429, "rate_limited")
		if r.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
}

// TestRateLimitedSignIn checks a 429 from the real limiter: with the auth
// policy at 3 a minute, the 4th sign-in attempt from one address is refused
// until the moment Retry-After names.
func TestRateLimitedSignIn(t *testing.T) {
	srv := startDefault(t, func(c *Config) { c.RateLimits = []string{"auth=3/1m"} })
	signIn := func() *apiResp {
		return srv.do(apiCall{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "nobody", "password": "some-password"}})
	}
	for i := range 3 {
		r := signIn()
		r.wantError(t, 401, "unauthorized")
		if r.header.Get("RateLimit-Policy") != `"auth";q=3;w=60` {
			t.Fatalf("attempt %d: RateLimit-Policy %q", i+1, r.header.Get("RateLimit-Policy"))
		}
		if want := fmt.Sprintf(`"auth";r=%d;`, 2-i); !strings.HasPrefix(r.header.Get("RateLimit"), want) {
			t.Fatalf("attempt %d: RateLimit %q, want it to start with %s", i+1, r.header.Get("RateLimit"), want)
		}
	}
	r := signIn()
	r.wantError(t, 429, "rate_limited")
	retry, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > 60 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if r.header.Get("RateLimit-Policy") != `"auth";q=3;w=60` || !strings.HasPrefix(r.header.Get("RateLimit"), `"auth";r=0;`) {
		t.Fatalf("429 headers: RateLimit-Policy %q, RateLimit %q", r.header.Get("RateLimit-Policy"), r.header.Get("RateLimit"))
	}
	// Other routes of the group are refused too (sign-up), others are not.
	srv.do(apiCall{method: "POST", path: "/v1/users", body: map[string]string{"username": "carol", "password": "carol-password"}}).wantError(t, 429, "rate_limited")
	srv.do(apiCall{method: "GET", path: "/healthz"}).want(t, 200, nil)

	// A second before Retry-After is still too early; at Retry-After it is not.
	srv.clock.Add(time.Duration(retry-1) * time.Second)
	signIn().wantError(t, 429, "rate_limited")
	srv.clock.Add(time.Second)
	signIn().wantError(t, 401, "unauthorized")

	samples := srv.scrape(t)
	if got := promSum(samples, "recall_ratelimit_decisions_total", map[string]string{"policy": "auth", "result": "limited"}); got != 3 {
		t.Fatalf("limited decisions %v, want 3", got)
	}
	if got := promSum(samples, "recall_ratelimit_decisions_total", map[string]string{"policy": "auth", "result": "allowed"}); got != 4 {
		t.Fatalf("allowed decisions %v, want 4", got)
	}
	if got := promSum(samples, "recall_http_requests_total", map[string]string{"route": "/v1/tokens", "code": "429"}); got != 2 {
		t.Fatalf("429s counted %v, want 2", got)
	}
}

// --- small helpers of this file ---

func mustRaw(tb testing.TB, obj json.RawMessage, name string) json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		tb.Fatalf("not an object: %s", obj)
	}
	v, ok := m[name]
	if !ok {
		tb.Fatalf("no %q in %s", name, obj)
	}
	return v
}

func questionIDs(qs []questionOut) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.ID
	}
	return out
}

func sessionIDs(ss []sessionOut) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// noSecrets fails if a session body shows an accepted answer, a hint or an
// explanation of the e2e bank.
func noSecrets(tb testing.TB, body []byte) {
	tb.Helper()
	for _, s := range []string{"Paris", "Lima", "Canberra", "hint", "explained", "answers", "explanation"} {
		if strings.Contains(string(body), s) {
			tb.Fatalf("a session body shows %q: %s", s, body)
		}
	}
}

// routeOf maps a request path to its route pattern by its shape.
func routeOf(path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) >= 3 && parts[0] == "v1" && (parts[1] == "topics" || parts[1] == "sessions" || parts[1] == "conversations") {
		parts[2] = "{id}"
		if len(parts) == 5 && parts[3] == "questions" && !slices.Contains([]string{"generate", "import", "export"}, parts[4]) {
			parts[4] = "{qid}"
		}
	}
	return "/" + strings.Join(parts, "/")
}

// routeTable is the http package's route table.
func routeTable() []recallhttp.Route {
	return recallhttp.NewServer(recallhttp.Config{}).Routes()
}
