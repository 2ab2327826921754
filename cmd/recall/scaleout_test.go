package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/recallhq/recall/internal/fakeclock"
	"github.com/recallhq/recall/redis/redistest"
)

// soAdminURL is the PostgreSQL the scale-out test creates its databases
// in, unless RECALL_TEST_POSTGRES_URL names another (as for postgres/).
const soAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// TestScaleOut runs the walk-through of the API on three instances that
// share one PostgreSQL database and a Redis Cluster of three masters,
// sending each request to the next instance in turn, and checks that every
// response is what the same walk-through gets from one instance: no
// instance holds state that another one needs, and none serves stale data
// after a write acknowledged by another. It runs with the near-cache off
// (every read after a write goes to Redis) and on (the default: each
// instance keeps local copies that Redis's invalidation pushes drop).
func TestScaleOut(t *testing.T) {
	cl := redistest.StartShardedCluster(t, 3)
	for _, near := range []bool{false, true} {
		t.Run(fmt.Sprintf("NearCache=%v", near), func(t *testing.T) {
			one := soWalk(t, soStart(t, cl.URL, 1, near))
			if t.Failed() {
				return
			}
			three := soWalk(t, soStart(t, cl.URL, 3, near))
			if t.Failed() {
				return
			}
			if len(one) != len(three) {
				t.Fatalf("one instance answered %d requests, three answered %d", len(one), len(three))
			}
			for i := range one {
				if one[i] != three[i] {
					t.Fatalf("request %d differs between one instance and three:\none:   %s\nthree: %s", i, one[i], three[i])
				}
			}
			t.Logf("%d responses, the same on one instance and on three", len(one))
		})
	}
}

// soFleet is a set of instances that requests go to in turn; it keeps a
// log of every exchange with the ids, tokens and times made comparable
// between runs.
type soFleet struct {
	servers []*testServer
	clock   *fakeclock.Clock
	start   time.Time
	n       int
	log     []string
	ids     map[string]string // real id or token → its placeholder
	order   []string          // the real ids, in order of appearance
	near    bool              // the instances keep near-cache copies
}

// soStart starts n instances over a database of their own and the Redis at
// redisURL (under a key prefix of their own), all on one clock.
func soStart(t *testing.T, redisURL string, n int, near bool) *soFleet {
	t.Helper()
	db := soDatabase(t)
	clock := newClock()
	f := &soFleet{clock: clock, start: clock.Now(), ids: map[string]string{}, near: near}
	prefix := "so:" + rand.Text()[:8] + ":"
	for range n {
		cfg := defaultConfig(t, filepath.Join(t.TempDir(), "unused.db"))
		cfg.DB = db
		cfg.Redis = redisURL
		cfg.RedisPrefix = prefix
		cfg.NearCache = near
		// Every request comes from 127.0.0.1: the sign-up and sign-in
		// policy (10 a minute per address) would refuse the walk's many.
		cfg.RateLimits = []string{"auth=1000/1m"}
		f.servers = append(f.servers, startServer(t, cfg, clock))
	}
	return f
}

// soDatabase creates a PostgreSQL database for the test, drops it when the
// test ends (after the servers using it are closed), and returns its URL.
func soDatabase(t *testing.T) string {
	t.Helper()
	admin := soAdminURL
	if u := os.Getenv("RECALL_TEST_POSTGRES_URL"); u != "" {
		admin = u
	}
	name := "recall_test_scaleout_" + strings.ToLower(rand.Text()[:12])
	if err := soExec(admin, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("the scale-out test needs a PostgreSQL server: %v", err)
	}
	t.Cleanup(func() {
		if err := soExec(admin, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// soExec runs one statement on a connection of its own.
func soExec(dbURL, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// do sends c to the next instance and logs the exchange.
func (f *soFleet) do(c apiCall) *apiResp {
	s := f.servers[f.n%len(f.servers)]
	f.n++
	r := s.do(c)
	if f.near && c.method != "GET" && len(f.servers) > 1 {
		// The other instances drop their near-cache copies when Redis's
		// invalidation push reaches them: asynchronously, a fraction of a
		// millisecond later. A read sent to another instance at once may
		// overtake it (the window the near-cache accepts; the coherence
		// test in redis_test.go measures it), so let the push land first.
		time.Sleep(20 * time.Millisecond)
	}
	body := "-"
	if len(r.body) > 0 {
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			body = "(not JSON) " + string(r.body)
		} else {
			b, _ := json.Marshal(f.norm(v, ""))
			body = string(b)
		}
	}
	f.log = append(f.log, fmt.Sprintf("%s %s → %d %s", c.method, f.replaceIDs(c.path), r.status, body))
	return r
}

// soIDKeys are the members whose string values are random ids or tokens.
var soIDKeys = map[string]bool{"id": true, "topic_id": true, "question_id": true, "question_ids": true, "token": true}

// norm replaces ids and tokens with placeholders numbered in order of
// appearance, and times with their offset from the start of the clock.
func (f *soFleet) norm(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = f.norm(e, k)
		}
	case []any:
		for i, e := range x {
			x[i] = f.norm(e, key)
		}
	case string:
		if soIDKeys[key] {
			return f.id(x)
		}
		if at, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return "T" + at.Sub(f.start).String()
		}
		return f.replaceIDs(x)
	}
	return v
}

func (f *soFleet) id(real string) string {
	if p, ok := f.ids[real]; ok {
		return p
	}
	p := fmt.Sprintf("id#%d", len(f.ids))
	f.ids[real] = p
	f.order = append(f.order, real)
	return p
}

func (f *soFleet) replaceIDs(s string) string {
	for _, real := range f.order {
		if strings.Contains(s, real) {
			s = strings.ReplaceAll(s, real, f.ids[real])
		}
	}
	return s
}

// each sends c once to every instance (as many requests as instances in
// the larger fleet, so that both logs have the same length).
func (f *soFleet) each(t *testing.T, c apiCall, status int) {
	t.Helper()
	for range 3 {
		f.do(c).want(t, status, nil)
	}
}

// soWalk is the walk-through: accounts, topics, questions, a learning
// session with turns and a retried Idempotency-Key, the transcript, stats,
// another user's view, revoking a token and deleting a topic. It checks
// each response and returns the log.
func soWalk(t *testing.T, f *soFleet) []string {
	t.Helper()
	clock := f.clock

	// Every instance is ready, on PostgreSQL and the Redis Cluster.
	for range 3 {
		var ready map[string]string
		f.do(apiCall{method: "GET", path: "/readyz"}).want(t, 200, &ready)
		if ready["db"] != "ok" || ready["redis"] != "ok" {
			t.Fatalf("readyz %v", ready)
		}
	}

	// Accounts: sign up on one instance, sign in on the next, use the
	// token on the third.
	cred := func(u, p string) map[string]string { return map[string]string{"username": u, "password": p} }
	f.do(apiCall{method: "POST", path: "/v1/users", body: cred("alice", "alice-password")}).want(t, 201, nil)
	f.do(apiCall{method: "POST", path: "/v1/users", body: cred("bob", "bob-password")}).want(t, 201, nil)
	f.do(apiCall{method: "POST", path: "/v1/users", body: cred("ALICE", "other-password")}).wantError(t, 409, "conflict")
	var tok tokenOut
	f.do(apiCall{method: "POST", path: "/v1/tokens", body: cred("alice", "alice-password")}).want(t, 201, &tok)
	alice := tok.Token
	f.do(apiCall{method: "POST", path: "/v1/tokens", body: cred("bob", "bob-password")}).want(t, 201, &tok)
	bob := tok.Token
	f.do(apiCall{method: "POST", path: "/v1/tokens", body: cred("alice", "wrong-password")}).wantError(t, 401, "unauthorized")
	f.each(t, apiCall{method: "GET", path: "/v1/me", token: alice}, 200)

	// Topics.
	var out struct{ Topic topicOut }
	f.do(apiCall{method: "POST", path: "/v1/topics", token: alice, body: map[string]string{"title": "Capitals", "description": "World capitals"}}).want(t, 201, &out)
	capitals := out.Topic
	clock.Add(time.Second)
	f.do(apiCall{method: "POST", path: "/v1/topics", token: alice, body: map[string]string{"title": "Rivers"}}).want(t, 201, &out)
	rivers := out.Topic
	clock.Add(time.Second)
	f.do(apiCall{method: "POST", path: "/v1/topics", token: bob, body: map[string]string{"title": "Bob's"}}).want(t, 201, nil)
	var list struct{ Topics []topicOut }
	for _, view := range []string{"summary", "dashboard", "full"} {
		f.do(apiCall{method: "GET", path: "/v1/topics?view=" + view, token: alice}).want(t, 200, &list)
		if len(list.Topics) != 2 || list.Topics[0].ID != rivers.ID {
			t.Fatalf("alice's topics (%s): %+v", view, list.Topics)
		}
	}
	// A write on one instance, reads on every other one.
	clock.Add(time.Second)
	f.do(apiCall{method: "PATCH", path: "/v1/topics/" + capitals.ID, token: alice, body: map[string]string{"title": "Capital cities"}}).want(t, 200, nil)
	for range 3 {
		f.do(apiCall{method: "GET", path: "/v1/topics?view=full", token: alice}).want(t, 200, &list)
		if list.Topics[0].ID != capitals.ID || list.Topics[0].Title != "Capital cities" {
			t.Fatalf("after the patch, an instance lists %+v", list.Topics)
		}
	}

	// The question bank.
	clock.Add(time.Second)
	var qs struct{ Questions []questionOut }
	f.do(apiCall{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions", token: alice, body: map[string]any{"questions": []any{
		qFixture("Capital of France?", "Paris"),
		qFixture("Capital of Peru?", "Lima"),
		map[string]any{"prompt": "Largest ocean?", "answers": []string{"Pacific"}, "choices": []string{"Atlantic", "Pacific", "Indian"}},
		qFixture("Capital of Australia?", "Canberra"),
	}}}).want(t, 201, &qs)
	bank := qs.Questions
	for range 3 {
		f.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions", token: alice}).want(t, 200, &qs)
		if !slices.Equal(questionIDs(qs.Questions), questionIDs(bank)) {
			t.Fatalf("an instance lists the bank %v, want %v", questionIDs(qs.Questions), questionIDs(bank))
		}
	}
	clock.Add(time.Second)
	qpath := "/v1/topics/" + capitals.ID + "/questions/" + bank[1].ID
	f.do(apiCall{method: "PATCH", path: qpath, token: alice, body: map[string]any{"hint": "In South America"}}).want(t, 200, nil)
	var one struct{ Question questionOut }
	for range 3 {
		f.do(apiCall{method: "GET", path: qpath, token: alice}).want(t, 200, &one)
		if one.Question.Hint != "In South America" {
			t.Fatalf("after the patch, an instance serves %+v", one.Question)
		}
	}
	extra := struct{ Questions []questionOut }{}
	f.do(apiCall{method: "POST", path: "/v1/topics/" + capitals.ID + "/questions", token: alice,
		body: map[string]any{"questions": []any{qFixture("To be deleted?", "yes")}}}).want(t, 201, &extra)
	for range 3 {
		f.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID, token: alice}).want(t, 200, &out)
		if out.Topic.QuestionCount != 5 {
			t.Fatalf("after adding a question, an instance counts %d", out.Topic.QuestionCount)
		}
	}
	f.do(apiCall{method: "DELETE", path: "/v1/topics/" + capitals.ID + "/questions/" + extra.Questions[0].ID, token: alice}).want(t, 204, nil)
	for range 3 {
		f.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "/questions/" + extra.Questions[0].ID, token: alice}).wantError(t, 404, "not_found")
	}

	// A learning session, each turn on another instance.
	clock.Add(time.Second)
	var so struct{ Session sessionOut }
	f.do(apiCall{method: "POST", path: "/v1/sessions", token: alice,
		body: map[string]any{"topic_id": capitals.ID, "question_count": 4, "shuffle": false}}).want(t, 201, &so)
	sid := so.Session.ID
	turn := func(msg, key string) (turnReply, *apiResp) {
		t.Helper()
		var h map[string]string
		if key != "" {
			h = map[string]string{"Idempotency-Key": key}
		}
		var tr turnReply
		clock.Add(time.Second)
		r := f.do(apiCall{method: "POST", path: "/v1/sessions/" + sid + "/turns", token: alice, header: h,
			body: map[string]string{"message": msg}}).want(t, 200, &tr)
		return tr, r
	}
	turn("/hint", "")
	right, keyed := turn("paris", "answer-1")
	if !*right.Turn.Correct || right.Session.Progress != (progressOut{Total: 4, Answered: 1, Correct: 1}) {
		t.Fatalf("right answer %+v", right)
	}
	for range 3 { // the retry replays on every instance and grades nothing
		if _, r := turn("Marseille", "answer-1"); string(r.body) != string(keyed.body) {
			t.Fatalf("a retry on another instance differs:\n%s\n%s", keyed.body, r.body)
		}
	}
	for range 3 {
		f.do(apiCall{method: "GET", path: "/v1/sessions/" + sid, token: alice}).want(t, 200, &so)
		if so.Session.Progress != (progressOut{Total: 4, Answered: 1, Correct: 1}) || so.Session.CurrentQuestion.ID != bank[1].ID {
			t.Fatalf("an instance shows the session as %+v", so.Session)
		}
	}
	if wrong, _ := turn("Quito", ""); *wrong.Turn.Correct {
		t.Fatalf("wrong answer %+v", wrong.Turn)
	}
	if mc, _ := turn("b)", ""); !*mc.Turn.Correct {
		t.Fatalf("multiple choice %+v", mc.Turn)
	}
	last, _ := turn("/skip", "")
	if last.Session.State != "completed" || last.Session.Progress != (progressOut{Total: 4, Answered: 3, Correct: 2, Skipped: 1}) {
		t.Fatalf("completed %+v", last.Session)
	}
	f.do(apiCall{method: "POST", path: "/v1/sessions/" + sid + "/turns", token: alice, body: map[string]string{"message": "more"}}).wantError(t, 409, "conflict")
	var tl struct{ Turns []turnOut }
	for range 3 {
		f.do(apiCall{method: "GET", path: "/v1/sessions/" + sid + "/turns", token: alice}).want(t, 200, &tl)
		var msgs []string
		for _, x := range tl.Turns {
			msgs = append(msgs, x.Message)
		}
		if !slices.Equal(msgs, []string{"/hint", "paris", "Quito", "b)", "/skip"}) {
			t.Fatalf("an instance's transcript: %q", msgs)
		}
	}
	for range 3 { // the completed session is in the stats on every instance
		f.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID + "?view=dashboard", token: alice}).want(t, 200, &out)
		if st := out.Topic.Stats; st.SessionsCompleted != 1 || st.Correct != 2 || st.Answers != 4 {
			t.Fatalf("an instance's stats %+v", st)
		}
	}

	// Another user sees none of it, on any instance.
	for range 3 {
		f.do(apiCall{method: "GET", path: "/v1/topics/" + capitals.ID, token: bob}).wantError(t, 404, "not_found")
		f.do(apiCall{method: "GET", path: "/v1/sessions/" + sid, token: bob}).wantError(t, 404, "not_found")
	}

	// Revoking a token: a second token, used (so cached) on every
	// instance, then revoked on one: every instance refuses it at once.
	f.do(apiCall{method: "POST", path: "/v1/tokens", body: cred("alice", "alice-password")}).want(t, 201, &tok)
	second := tok.Token
	f.each(t, apiCall{method: "GET", path: "/v1/me", token: second}, 200)
	f.do(apiCall{method: "DELETE", path: "/v1/tokens/current", token: second}).want(t, 204, nil)
	f.each(t, apiCall{method: "GET", path: "/v1/me", token: second}, 401)
	f.each(t, apiCall{method: "GET", path: "/v1/me", token: alice}, 200)

	// Deleting a topic: gone on every instance, with its list entry.
	f.do(apiCall{method: "DELETE", path: "/v1/topics/" + rivers.ID, token: alice}).want(t, 204, nil)
	for range 3 {
		f.do(apiCall{method: "GET", path: "/v1/topics/" + rivers.ID, token: alice}).wantError(t, 404, "not_found")
		f.do(apiCall{method: "GET", path: "/v1/topics", token: alice}).want(t, 200, &list)
		if len(list.Topics) != 1 || list.Topics[0].ID != capitals.ID {
			t.Fatalf("after the delete, an instance lists %+v", list.Topics)
		}
	}
	var sl struct{ Sessions []sessionOut }
	f.do(apiCall{method: "GET", path: "/v1/sessions", token: alice}).want(t, 200, &sl)
	if len(sl.Sessions) != 1 || sl.Sessions[0].ID != sid {
		t.Fatalf("sessions %v", sessionIDs(sl.Sessions))
	}
	return f.log
}
