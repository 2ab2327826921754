package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/recallhq/recall"
)

// decodeJSON reads the request body strictly into dst, which must point to
// a struct: a JSON object and nothing after it, no unknown fields, the
// right types, valid UTF-8, at most MaxBodyBytes (the route handler has
// wrapped the body in a MaxBytesReader).
func decodeJSON(r *http.Request, dst any) error {
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if r.Body == nil {
		return recall.Invalid("body", "A JSON request body is required.")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err // writeError makes it a 413
		}
		return recall.Errorf(recall.EINVALID, "The request body could not be read.")
	}
	return decodeBody(body, dst)
}

// decodeBody is decodeJSON's work on a body already read.
func decodeBody(body []byte, dst any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return recall.Invalid("body", "A JSON request body is required.")
	}
	if !utf8.Valid(body) {
		return recall.Invalid("body", "The request body must be valid UTF-8.")
	}
	if trimmed[0] != '{' {
		return recall.Invalid("body", "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return recall.Invalid("body", "The request body must hold one JSON object and nothing after it.")
	}
	return nil
}

// decodeError turns an encoding/json error into an EINVALID error that
// names the field where it can.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return recall.Errorf(recall.EINVALID, "The request body is not valid JSON (at byte %d).", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return recall.Errorf(recall.EINVALID, "The request body is not valid JSON: it ends too early.")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		msg := "must be " + jsonKind(typ.Type)
		return &recall.Error{Code: recall.EINVALID, Message: field + " " + msg + ".", Fields: map[string]string{field: msg}}
	}
	// encoding/json reports unknown fields only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		const msg = "is not a known field"
		return &recall.Error{Code: recall.EINVALID, Message: "Unknown field " + name + ".", Fields: map[string]string{name: msg}}
	}
	return recall.Errorf(recall.EINVALID, "The request body could not be decoded.")
}

// jsonKind names the JSON type a Go type decodes from, with an article.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "of another type"
}

// checkContentType accepts a missing Content-Type (curl-friendly) or a
// JSON media type in UTF-8.
func checkContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	// JSON, or what a plain `curl -d` sends (form encoding, the body
	// still being JSON): the body's own syntax is checked next.
	json := mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json") ||
		mt == "application/x-www-form-urlencoded" || mt == "text/plain"
	if err == nil && json {
		if cs, ok := params["charset"]; !ok || strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	return recall.Errorf(errUnsupportedMediaType, "The request body must be JSON: send Content-Type: application/json.")
}
