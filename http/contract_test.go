package http

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestNullRefused sends null for every request field whose schema does not
// allow it: each gets 400 invalid naming the field, and nothing changes.
// choices, whose schema allows null, takes it as absent.
func TestNullRefused(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	topic := e.createTopic(tok, "Capitals")
	qs := e.addQuestions(tok, topic, q("France?", "Paris"))
	sess := e.startSession(tok, topic, 1)
	qpath := "/v1/topics/" + topic + "/questions/" + qs[0].ID
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/users", `{"username": null, "password": "password1"}`, "username"},
		{"POST", "/v1/users", `{"username": "bob", "password": null}`, "password"},
		{"POST", "/v1/tokens", `{"username": "ada", "password": null}`, "password"},
		{"POST", "/v1/topics", `{"title": null}`, "title"},
		{"POST", "/v1/topics", `{"title": "t", "description": null}`, "description"},
		{"PATCH", "/v1/topics/" + topic, `{"title": null}`, "title"},
		{"PATCH", "/v1/topics/" + topic, `{"description": null}`, "description"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": null}`, "questions"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": [null]}`, "questions[0]"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": [{"prompt": null, "answers": ["a"]}]}`, "questions[0].prompt"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": [{"prompt": "p", "answers": null}]}`, "questions[0].answers"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": [{"prompt": "p", "answers": ["a", null]}]}`, "questions[0].answers[1]"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": [{"prompt": "p", "answers": ["a"], "hint": null}]}`, "questions[0].hint"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": [{"prompt": "p", "answers": ["a"], "explanation": null}]}`, "questions[0].explanation"},
		{"PATCH", qpath, `{"prompt": null}`, "prompt"},
		{"PATCH", qpath, `{"answers": null}`, "answers"},
		{"PATCH", qpath, `{"hint": null}`, "hint"},
		{"PATCH", qpath, `{"explanation": null}`, "explanation"},
		{"POST", "/v1/sessions", `{"topic_id": null}`, "topic_id"},
		{"POST", "/v1/sessions", `{"topic_id": "` + topic + `", "question_count": null}`, "question_count"},
		{"POST", "/v1/sessions", `{"topic_id": "` + topic + `", "shuffle": null}`, "shuffle"},
		{"POST", "/v1/sessions/" + sess.ID + "/turns", `{"message": null}`, "message"},
	} {
		t.Run(tc.method+" "+tc.body, func(t *testing.T) {
			got := e.do(req{method: tc.method, path: tc.path, token: tok, body: tc.body}).wantError(t, 400, "invalid")
			if _, ok := got.Fields[tc.field]; !ok {
				t.Fatalf("fields %v, want %s named", got.Fields, tc.field)
			}
		})
	}
	// Nothing above changed anything.
	var tl struct{ Topics []struct{ Title string } }
	e.do(req{method: "GET", path: "/v1/topics", token: tok}).want(t, 200, &tl)
	if len(tl.Topics) != 1 || tl.Topics[0].Title != "Capitals" {
		t.Fatalf("topics %+v", tl.Topics)
	}
	if got := e.addQuestions(tok, topic, map[string]any{"prompt": "p", "answers": []string{"a"}, "choices": nil}); got[0].Choices != nil {
		t.Fatalf("choices null made choices %v", got[0].Choices)
	}
}

// TestEmptyChoicesMeanTyped checks that "choices": [] means a typed answer
// on a create as on an update, as the schema says.
func TestEmptyChoicesMeanTyped(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	topic := e.createTopic(tok, "Maths")
	added := e.addQuestions(tok, topic, map[string]any{"prompt": "2+2?", "answers": []string{"4"}, "choices": []string{}})
	if added[0].Choices != nil {
		t.Fatalf("created with choices %v", added[0].Choices)
	}
	mc := e.addQuestions(tok, topic, map[string]any{"prompt": "3+3?", "answers": []string{"6"}, "choices": []string{"5", "6"}})
	var g struct{ Question questionOut }
	e.do(req{method: "PATCH", path: "/v1/topics/" + topic + "/questions/" + mc[0].ID, token: tok, body: `{"choices": []}`}).want(t, 200, &g)
	if g.Question.Choices != nil {
		t.Fatalf("updated with choices %v", g.Question.Choices)
	}
	e.do(req{method: "PATCH", path: "/v1/topics/" + topic + "/questions/" + mc[0].ID, token: tok, body: `{"choices": ["6"]}`}).wantError(t, 400, "invalid")
}

// TestNULRefused sends a NUL character in every kind of user text: each is
// 400 invalid naming the field, whatever the store (SQLite would keep it,
// PostgreSQL could not).
func TestNULRefused(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	topic := e.createTopic(tok, "Capitals")
	qs := e.addQuestions(tok, topic, q("France?", "Paris"))
	sess := e.startSession(tok, topic, 1)
	const nul = `a\u0000b`
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/users", `{"username": "` + nul + `", "password": "password1"}`, "username"},
		{"POST", "/v1/users", `{"username": "bob", "password": "password1` + nul + `"}`, "password"},
		{"POST", "/v1/topics", `{"title": "` + nul + `"}`, "title"},
		{"POST", "/v1/topics", `{"title": "t", "description": "` + nul + `"}`, "description"},
		{"PATCH", "/v1/topics/" + topic, `{"title": "` + nul + `"}`, "title"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": [{"prompt": "` + nul + `", "answers": ["a"]}]}`, "questions[0].prompt"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": [{"prompt": "p", "answers": ["` + nul + `"]}]}`, "questions[0].answers"},
		{"POST", "/v1/topics/" + topic + "/questions", `{"questions": [{"prompt": "p", "answers": ["a"], "choices": ["a", "` + nul + `"]}]}`, "questions[0].choices"},
		{"PATCH", "/v1/topics/" + topic + "/questions/" + qs[0].ID, `{"hint": "` + nul + `"}`, "hint"},
		{"PATCH", "/v1/topics/" + topic + "/questions/" + qs[0].ID, `{"explanation": "` + nul + `"}`, "explanation"},
		{"POST", "/v1/sessions/" + sess.ID + "/turns", `{"message": "` + nul + `"}`, "message"},
	} {
		t.Run(tc.method+" "+tc.field, func(t *testing.T) {
			got := e.do(req{method: tc.method, path: tc.path, token: tok, body: tc.body}).wantError(t, 400, "invalid")
			if _, ok := got.Fields[tc.field]; !ok {
				t.Fatalf("fields %v, want %s named", got.Fields, tc.field)
			}
		})
	}
	var ts struct{ Turns []turnOut }
	e.do(req{method: "GET", path: "/v1/sessions/" + sess.ID + "/turns", token: tok}).want(t, 200, &ts)
	if len(ts.Turns) != 0 {
		t.Fatalf("a refused turn was stored: %+v", ts.Turns)
	}
}

// TestShapedProtocolErrors checks that the answers net/http would give in
// plain text (a wrong method, a huge URL or header) have the JSON error
// shape, over a real http.Server as HTTPServer configures it.
func TestShapedProtocolErrors(t *testing.T) {
	e := newEnv(t)
	addr := serveReal(t, e, func(*http.Server) {})
	conf := newConformance(t, e.server)
	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		code               string
	}{
		{"WrongMethod", "PUT", "/v1/users", nil, 405, "method_not_allowed"},
		{"WrongMethodWithID", "POST", "/v1/topics/x", nil, 405, "method_not_allowed"},
		{"LongURL", "GET", "/v1/topics?view=" + strings.Repeat("u", 80<<10), nil, 431, "headers_too_large"},
		{"LongHeader", "GET", "/healthz", map[string]string{"X-Huge": strings.Repeat("h", 256<<10)}, 431, "headers_too_large"},
		{"ManyHeaders", "GET", "/healthz", manyHeaders(100, 1<<10), 431, "headers_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hr, err := http.NewRequest(tc.method, "http://"+addr+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				hr.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			r := readResponse(t, res)
			r.wantError(t, tc.status, tc.code)
			if p := conf.check(hr, nil, r); p != "" {
				t.Fatalf("does not conform to openapi.json: %s", p)
			}
			if r.header.Get("Content-Type") != "application/json" || r.header.Get("X-Request-Id") == "" {
				t.Fatalf("headers %v", r.header)
			}
			if tc.status == 405 && r.header.Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
	t.Run("JustUnderTheLimit", func(t *testing.T) {
		hr, err := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("X-Big", strings.Repeat("h", MaxHeaderBytes-1<<10))
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		readResponse(t, res).want(t, 200, nil)
	})
}

// manyHeaders returns n headers of size bytes each.
func manyHeaders(n, size int) map[string]string {
	h := make(map[string]string, n)
	for i := range n {
		h["X-H"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26))] = strings.Repeat("v", size)
	}
	return h
}

// readResponse reads and closes res.
func readResponse(t *testing.T, res *http.Response) *response {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: b}
}
