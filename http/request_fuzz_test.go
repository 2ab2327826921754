package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/tutor"
)

// Fuzz targets of the request-handling code: every request body decoder
// (pure, and through the real handlers over a real SQLite store), the
// Authorization header and the Idempotency-Key and X-Request-Id headers.
// The client-address parser is fuzzed in ratelimit (FuzzClientAddr). Seed
// corpora are in testdata/fuzz/<Name>/.

// FuzzDecodeInputs decodes b strictly into the input type of every
// endpoint and runs the validation its handler runs: nothing may panic, and
// every error must be EINVALID (a 400), never anything that would be a 500.
func FuzzDecodeInputs(f *testing.F) {
	for _, s := range []string{
		`{"username":"ada","password":"correct horse"}`,
		`{"title":"Capitals","description":"of the world"}`,
		`{"title":null}`,
		`{"questions":[{"prompt":"2+2?","answers":["4"],"choices":["3","4"],"hint":"h","explanation":"e"}]}`,
		`{"prompt":"x","answers":["a","b"],"choices":[]}`,
		`{"topic_id":"abc","question_count":3,"shuffle":false}`,
		`{"question_count":-1}`, `{"question_count":1e99}`,
		`{"message":"/hint"}`, `{"message":"\u0000"}`,
		`{"a":1}`, `{} {}`, `[]`, `{`, "", "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(what string, err error) {
			t.Helper()
			if err != nil && recall.ErrorCode(err) != recall.EINVALID {
				t.Fatalf("%s of %q: %v (code %q), want nil or EINVALID", what, b, err, recall.ErrorCode(err))
			}
		}

		var c recall.Credentials
		if err := decodeBody(b, &c); err != nil {
			check("Credentials", err)
		} else {
			c.Normalize()
			check("Credentials.Validate", c.Validate())
		}

		for _, create := range []bool{true, false} {
			var in recall.TopicInput
			if err := decodeBody(b, &in); err != nil {
				check("TopicInput", err)
			} else {
				check("TopicInput.Validate", in.Validate(create))
			}
		}

		var qb addQuestionsBody
		if err := decodeBody(b, &qb); err != nil {
			check("addQuestionsBody", err)
		} else {
			for i := range qb.Questions {
				in := &qb.Questions[i]
				if err := in.Validate(true, "questions[0]."); err != nil {
					check("QuestionInput.Validate", err)
					continue
				}
				q := &recall.Question{}
				in.Apply(q)
				check("Question.Check", q.Check(""))
			}
		}

		var qi recall.QuestionInput
		if err := decodeBody(b, &qi); err != nil {
			check("QuestionInput", err)
		} else {
			check("QuestionInput.Validate", qi.Validate(false, ""))
		}

		var si tutor.StartInput
		if err := decodeBody(b, &si); err != nil {
			check("StartInput", err)
		} else {
			check("StartInput.Validate", si.Validate())
		}

		var tb turnBody
		check("turnBody", decodeBody(b, &tb))
	})
}

// fuzzEnv is a real server (SQLite in a temporary directory, the cache
// decorators, the real tutor) with an owner who has a topic, questions and
// an active session, for fuzzing requests through the handlers.
type fuzzEnv struct {
	e                                              *env
	token                                          string
	topicID, questionID, sessionID, conversationID string
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	fe := &fuzzEnv{e: newCachedEnv(f)}
	fe.token = fe.e.signUp("owner")
	fe.topicID = fe.e.createTopic(fe.token, "Fuzzing")
	var qs []map[string]any
	for i := 0; i < 100; i++ {
		qs = append(qs, q("Question "+strings.Repeat("?", i%5+1), "answer"))
	}
	fe.questionID = fe.e.addQuestions(fe.token, fe.topicID, qs...)[0].ID
	fe.sessionID = fe.e.startSession(fe.token, fe.topicID, 100).ID
	var cr struct {
		Conversation struct {
			ID string `json:"id"`
		} `json:"conversation"`
	}
	fe.e.do(req{method: "POST", path: "/v1/conversations", token: fe.token, body: map[string]string{"topic_id": fe.topicID}}).want(f, 201, &cr)
	fe.conversationID = cr.Conversation.ID
	return fe
}

// serve runs one request through the whole handler, in process, so that
// header values no HTTP parser would pass still reach the server.
func (fe *fuzzEnv) serve(t *testing.T, method, path string, body []byte, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	for k, vs := range header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	fe.e.server.Handler().ServeHTTP(w, r)
	checkResponse(t, method+" "+path, w)
	return w
}

// checkResponse checks what every response keeps, whatever the input:
// never a 5xx, an X-Request-Id, a JSON body, and for errors the JSON error
// body whose code matches the status.
func checkResponse(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s: status %d: %s", what, w.Code, w.Body)
	}
	if w.Header().Get("X-Request-Id") == "" {
		t.Fatalf("%s: no X-Request-Id", what)
	}
	if w.Code == http.StatusNoContent {
		return
	}
	if !json.Valid(w.Body.Bytes()) {
		t.Fatalf("%s: status %d with a body that is not JSON: %q", what, w.Code, w.Body)
	}
	if w.Code >= 400 {
		var eb errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Fatalf("%s: %d without the JSON error body: %s", what, w.Code, w.Body)
		}
		if statusOf(eb.Error.Code) != w.Code {
			t.Fatalf("%s: status %d with code %q", what, w.Code, eb.Error.Code)
		}
	}
}

// FuzzHandlerBodies sends b to every route that takes a body, ids filled
// with the owner's real ones so that the decoder, the validation and the
// store are all reached: never a 5xx, always the JSON conventions.
func FuzzHandlerBodies(f *testing.F) {
	fe := newFuzzEnv(f)
	var routes []Route
	for _, rt := range fe.e.server.Routes() {
		if rt.Method == http.MethodPost || rt.Method == http.MethodPatch || rt.Method == http.MethodPut {
			routes = append(routes, rt)
		}
	}
	if len(routes) == 0 {
		f.Fatal("no route takes a body")
	}
	for i, s := range []string{
		`{"username":"fuzzer","password":"password-fuzzer"}`,
		`{"title":"t","description":"d"}`,
		`{"questions":[{"prompt":"p?","answers":["a"],"choices":["a","b"]}]}`,
		`{"prompt":"p?","choices":["x","y"]}`,
		`{"topic_id":"` + fe.topicID + `","question_count":2}`,
		`{"message":"answer"}`, `{"message":"/skip"}`, `{"content":"quiz me"}`, `{"content":"event: x\ndata: y"}`,
		`{"title":"` + strings.Repeat("é", 300) + `"}`,
		`{"questions":[]}`, `{"answers":[""]}`, "{\"message\":\"\\ud800\"}",
	} {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		rt := routes[int(sel)%len(routes)]
		path := fill(t, rt.Pattern, func(collection, name string) (string, bool) {
			switch {
			case collection == "topics":
				return fe.topicID, true
			case collection == "sessions":
				return fe.sessionID, true
			case collection == "conversations":
				return fe.conversationID, true
			case collection == "questions":
				return fe.questionID, true
			}
			return "", false
		})
		h := http.Header{"Content-Type": {"application/json"}}
		if rt.Auth {
			h.Set("Authorization", "Bearer "+fe.token)
		}
		fe.serve(t, rt.Method, path, body, h)
	})
}

// FuzzAuthorizationHeader sends any Authorization header to an
// authenticated route: 200 only for the real token, 401 for everything
// else, never another status.
func FuzzAuthorizationHeader(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, s := range []string{"", "Bearer " + fe.token, "bearer  " + fe.token + " ", "Basic " + fe.token, fe.token,
		"Bearer " + neverIssued(fe.token), "Bearer rc_", "Bearer " + fe.token + fe.token, "Bearer \x00", "Token " + fe.token} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, hdr string) {
		w := fe.serve(t, "GET", "/v1/me", nil, http.Header{"Authorization": {hdr}})
		switch w.Code {
		case http.StatusOK:
			if !strings.Contains(hdr, fe.token) {
				t.Fatalf("Authorization %q was accepted without the token", hdr)
			}
		case http.StatusUnauthorized:
		default:
			t.Fatalf("Authorization %q: status %d: %s", hdr, w.Code, w.Body)
		}
	})
}

// FuzzTurnHeaders sends a turn with any Idempotency-Key and X-Request-Id:
// the key is honoured when valid and refused with a 400 when not, a retry
// with a key that was accepted returns the first turn again, and the
// request id is echoed only when it is 1–128 printable ASCII characters.
func FuzzTurnHeaders(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, s := range [][3]string{
		{"", "", "answer"}, {"key-1", "req-1", "/hint"}, {strings.Repeat("k", 201), "r", "x"},
		{"é", strings.Repeat("r", 129), "/skip"}, {"\xff", "with space", "answer"}, {"k\x00", "\x7f", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, key, reqID, message string) {
		body, _ := json.Marshal(map[string]string{"message": message})
		h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + fe.token}}
		if key != "" {
			h["Idempotency-Key"] = []string{key}
		}
		if reqID != "" {
			h["X-Request-Id"] = []string{reqID}
		}
		path := "/v1/sessions/" + fe.sessionID + "/turns"
		w := fe.serve(t, "POST", path, body, h)

		got := w.Header().Get("X-Request-Id")
		if validRequestID(reqID) != (got == reqID) {
			t.Fatalf("X-Request-Id %q answered with %q", reqID, got)
		}
		if got != reqID && (len(got) != 26 || !validRequestID(got)) {
			t.Fatalf("generated X-Request-Id %q", got)
		}

		keyOK := utf8.ValidString(key) && utf8.RuneCountInString(key) <= tutor.MaxIdempotencyKeyLength
		switch w.Code {
		case http.StatusOK:
			if !keyOK {
				t.Fatalf("Idempotency-Key %q was accepted", key)
			}
			if key == "" {
				return
			}
			again := fe.serve(t, "POST", path, body, h)
			if again.Code != http.StatusOK {
				t.Fatalf("retry with Idempotency-Key %q: %d %s", key, again.Code, again.Body)
			}
			var a, b turnResponse
			_ = json.Unmarshal(w.Body.Bytes(), &a)
			_ = json.Unmarshal(again.Body.Bytes(), &b)
			if a.Turn.Index != b.Turn.Index || a.Turn.Reply != b.Turn.Reply {
				t.Fatalf("retry with Idempotency-Key %q: turn %d then %d", key, a.Turn.Index, b.Turn.Index)
			}
		case http.StatusBadRequest, http.StatusConflict:
			if !keyOK && w.Code != http.StatusBadRequest {
				t.Fatalf("Idempotency-Key %q: status %d, want 400", key, w.Code)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

// validRequestID reports whether a client's X-Request-Id is kept.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// FuzzRequestID checks requestID alone: a valid id is kept, anything else
// is replaced by a new, valid one.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "with space", strings.Repeat("x", 128), strings.Repeat("x", 129), "\xff", "é", "\x7e", "\x21"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := requestID(s)
		if !validRequestID(got) {
			t.Fatalf("requestID(%q) = %q: not a valid id", s, got)
		}
		if validRequestID(s) != (got == s) {
			t.Fatalf("requestID(%q) = %q", s, got)
		}
	})
}
