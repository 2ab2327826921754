// Package openapicheck checks HTTP exchanges against an OpenAPI 3.1
// document with libopenapi-validator (JSON Schema 2020-12). The http
// package's tests run every response of their end-to-end exchanges through
// it, so the served document and the code cannot drift.
//
// It is a package of its own, not a test file of http, for the sake of the
// test loop: the validator's generic types make thousands of instantiated
// functions, which a package that uses them compiles again whenever it is
// rebuilt. Here they compile once, and only when the validator changes.
package openapicheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Checker validates exchanges against one document. It is safe for
// concurrent use.
//
// Its only field is a function so that no type of the validator appears in
// what this package exports: a type that did would make every importer
// compile the validator's generic instantiations again.
type Checker struct {
	check func(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) string
}

// checker holds the validator. Its caches are not documented as safe for
// concurrent use, so check serialises its calls.
type checker struct {
	mu     sync.Mutex
	v      validator.Validator
	model  *v3.Document
	opts   *config.ValidationOptions
	schema schema_validation.SchemaValidator
	errSch *base.Schema
}

// New builds a Checker for doc, the JSON of an OpenAPI 3.1 document with an
// Error schema (the body of every error response). It fails when doc is not
// a valid document.
func New(doc []byte) (*Checker, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	model, err := d.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	opts := []config.Option{config.WithFormatAssertions()}
	v, verrs := validator.NewValidator(d, opts...)
	if len(verrs) > 0 {
		return nil, errors.Join(verrs...)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("not a valid OpenAPI 3.1 document:\n%s", describe(errs))
	}
	errSch := model.Model.Components.Schemas.GetOrZero("Error")
	if errSch == nil {
		return nil, errors.New("no Error schema")
	}
	c := &checker{
		v: v, model: &model.Model, opts: config.NewValidationOptions(opts...),
		schema: schema_validation.NewSchemaValidatorWithLogger(slog.New(slog.DiscardHandler), opts...),
		errSch: errSch.Schema(),
	}
	return &Checker{check: c.check}, nil
}

// Check validates one exchange: req was sent with reqBody and answered with
// status, header and body. It returns what does not conform, one problem a
// line, or "" if all does. A response must be one the document describes,
// with its status, declared headers and body; the request of a 2xx response
// must be one the document allows.
func (c *Checker) Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) string {
	return c.check(req, reqBody, status, header, body)
}

func (c *checker) check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	rq := req.Clone(req.Context())
	rq.Body = io.NopCloser(bytes.NewReader(reqBody))
	rs := &http.Response{
		StatusCode: status, Header: header, Request: rq,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
	if rq.Method == http.MethodHead {
		rq.Method = http.MethodGet // ServeMux answers HEAD with the GET route, without a body
	}
	item, errs, _ := paths.FindPath(rq, c.model, c.opts)
	if item == nil || len(errs) > 0 {
		// No operation: only the shaped 404 of an unknown path and the
		// 405 of a known path with another method are described (the
		// NotFound and MethodNotAllowed responses).
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return "status " + http.StatusText(status) + " for a request the document does not describe: " + describe(errs)
		}
		if status == http.StatusMethodNotAllowed && header.Get("Allow") == "" {
			return "405 without Allow"
		}
		if ok, serrs := c.schema.ValidateSchemaBytes(c.errSch, body); !ok {
			return "body is not an Error: " + describe(serrs)
		}
		return ""
	}
	if header.Get("X-Request-Id") == "" {
		return "no X-Request-Id"
	}
	var problems []*liberrors.ValidationError
	if ok, errs := c.v.ValidateHttpResponse(rq, rs); !ok {
		problems = append(problems, errs...)
	}
	if status >= 200 && status < 300 {
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
