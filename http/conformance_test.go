package http

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// conformance checks exchanges against the served OpenAPI document with
// libopenapi-validator (OpenAPI 3.1, JSON Schema 2020-12): every response
// of the end-to-end tests (env.do) must be one the document describes, with
// its status, declared headers and body; the request of every 2xx
// response must be one the document allows.
type conformance struct {
	mu     sync.Mutex // the validator's caches are not documented as safe for concurrent use
	v      validator.Validator
	model  *v3.Document
	opts   *config.ValidationOptions
	schema schema_validation.SchemaValidator
	errSch *base.Schema
}

// newConformance builds a checker for the document the server serves.
func newConformance(tb testing.TB, s *Server) *conformance {
	tb.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET /v1/openapi.json: %d", rec.Code)
	}
	doc, err := libopenapi.NewDocument(rec.Body.Bytes())
	if err != nil {
		tb.Fatalf("openapi.json: %v", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		tb.Fatalf("openapi.json model: %v", err)
	}
	opts := []config.Option{config.WithFormatAssertions()}
	v, verrs := validator.NewValidator(doc, opts...)
	if len(verrs) > 0 {
		tb.Fatalf("openapi.json: %v", verrs)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		tb.Fatalf("openapi.json is not a valid OpenAPI 3.1 document:\n%s", describe(errs))
	}
	errSch := model.Model.Components.Schemas.GetOrZero("Error")
	if errSch == nil {
		tb.Fatal("openapi.json has no Error schema")
	}
	return &conformance{
		v: v, model: &model.Model, opts: config.NewValidationOptions(opts...),
		schema: schema_validation.NewSchemaValidatorWithLogger(slog.New(slog.DiscardHandler), opts...),
		errSch: errSch.Schema(),
	}
}

// check validates one exchange: hr was sent with reqBody and answered with
// res. It returns what does not conform, "" if all does.
func (c *conformance) check(hr *http.Request, reqBody []byte, res *response) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	rq := hr.Clone(hr.Context())
	rq.Body = io.NopCloser(bytes.NewReader(reqBody))
	rs := &http.Response{
		StatusCode: res.status, Header: res.header, Request: rq,
		Body: io.NopCloser(bytes.NewReader(res.body)), ContentLength: int64(len(res.body)),
	}
	if rq.Method == http.MethodHead {
		rq.Method = http.MethodGet // ServeMux answers HEAD with the GET route, without a body
	}
	item, errs, _ := paths.FindPath(rq, c.model, c.opts)
	if item == nil || len(errs) > 0 {
		// No operation: only the shaped 404 of an unknown path and the
		// 405 of a known path with another method are described (the
		// NotFound and MethodNotAllowed responses).
		if res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
			return "status " + http.StatusText(res.status) + " for a request the document does not describe: " + describe(errs)
		}
		if res.status == http.StatusMethodNotAllowed && res.header.Get("Allow") == "" {
			return "405 without Allow"
		}
		if ok, serrs := c.schema.ValidateSchemaBytes(c.errSch, res.body); !ok {
			return "body is not an Error: " + describe(serrs)
		}
		return ""
	}
	if res.header.Get("X-Request-Id") == "" {
		return "no X-Request-Id"
	}
	var problems []*liberrors.ValidationError
	if ok, errs := c.v.ValidateHttpResponse(rq, rs); !ok {
		problems = append(problems, errs...)
	}
	if res.status >= 200 && res.status < 300 {
		rq.Body = io.NopCloser(bytes.NewReader(reqBody))
		if ok, errs := c.v.ValidateHttpRequestSync(rq); !ok {
			for _, e := range errs {
				e.Message = "request succeeded, yet: " + e.Message
			}
			problems = append(problems, errs...)
		}
	}
	return describe(problems)
}

// describe renders validation errors, one a line.
func describe(errs []*liberrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Message)
		if e.Reason != "" {
			b.WriteString(": " + e.Reason)
		}
		for _, se := range e.SchemaValidationErrors {
			b.WriteString("\n\t" + se.FieldPath + " (" + se.KeywordLocation + "): " + se.Reason)
		}
		b.WriteString("\n")
	}
	return b.String()
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
