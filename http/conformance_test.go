package http

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/recallhq/recall/http/openapicheck"
)

// conformance checks exchanges against the served OpenAPI document
// (openapicheck): every response of the end-to-end tests (env.do) must be
// one the document describes, with its status, declared headers and body;
// the request of every 2xx response must be one the document allows.
type conformance struct{ c *openapicheck.Checker }

// newConformance builds a checker for the document the server serves.
func newConformance(tb testing.TB, s *Server) *conformance {
	tb.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET /v1/openapi.json: %d", rec.Code)
	}
	c, err := openapicheck.New(rec.Body.Bytes())
	if err != nil {
		tb.Fatalf("openapi.json: %v", err)
	}
	return &conformance{c}
}

// check validates one exchange: hr was sent with reqBody and answered with
// res. It returns what does not conform, "" if all does.
func (c *conformance) check(hr *http.Request, reqBody []byte, res *response) string {
	return c.c.Check(hr, reqBody, res.status, res.header, res.body)
}

// TestConformanceCatchesUndescribed proves the checker can fail: a status,
// a body and a header the document does not describe are each reported.
func TestConformanceCatchesUndescribed(t *testing.T) {
	e := newEnv(t)
	c := newConformance(t, e.server)
	hr, err := http.NewRequest("GET", e.ts.URL+"/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer t")
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r"}}
	for name, res := range map[string]*response{
		"UndescribedStatus": {status: 418, header: h, body: []byte(`{"error":{"code":"internal","message":"m"}}`)},
		"WrongBody":         {status: 200, header: h, body: []byte(`{"user":{"id":"x"}}`)},
		"ExtraField":        {status: 200, header: h, body: []byte(`{"user":{"id":"x","username":"u","created_at":"2024-01-01T00:00:00Z","time_zone":"UTC","admin":true,"role":"x"}}`)},
		"BadErrorCode":      {status: 401, header: h, body: []byte(`{"error":{"code":"nope","message":"m"}}`)},
		"NoRequestID":       {status: 200, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"user":{"id":"x","username":"u","created_at":"2024-01-01T00:00:00Z","time_zone":"UTC","admin":false}}`)},
	} {
		if c.check(hr, nil, res) == "" {
			t.Errorf("%s passed", name)
		}
	}
	ok := &response{status: 200, header: h, body: []byte(`{"user":{"id":"x","username":"u","created_at":"2024-01-01T00:00:00Z","time_zone":"UTC","admin":false}}`)}
	if p := c.check(hr, nil, ok); p != "" {
		t.Fatalf("a described response failed: %s", p)
	}
	bad, err := http.NewRequest("POST", e.ts.URL+"/v1/topics", nil)
	if err != nil {
		t.Fatal(err)
	}
	bad.Header.Set("Content-Type", "application/json")
	bad.Header.Set("Authorization", "Bearer t")
	ch := h.Clone()
	ch.Set("Location", "/v1/topics/x")
	created := &response{status: 201, header: ch, body: []byte(`{"topic":{"id":"x","title":"t","question_count":0,"updated_at":"2024-01-01T00:00:00Z"}}`)}
	if c.check(bad, []byte(`{"colour":"red"}`), created) == "" {
		t.Error("a success for a request the document refuses passed")
	}
	if p := c.check(bad, []byte(`{"title":"t"}`), created); p != "" {
		t.Errorf("a success for a valid request failed: %s", p)
	}
	if c.check(bad, []byte(`{"title":"t"}`), &response{status: 201, header: h, body: created.body}) == "" {
		t.Error("a 201 without its required Location header passed")
	}
}
