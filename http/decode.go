package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
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
	return rejectNulls(body, nullableField)
}

// nullableField reports whether a request field may be null: only a
// question's choices, where null means the same as leaving it out.
func nullableField(name string) bool { return name == "choices" }

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

// checkContentType accepts only application/json, with no charset or
// charset=utf-8. A missing Content-Type, text/plain, form encodings and
// +json types get 415: the media types a web page may send to another site
// without a CORS preflight are exactly the ones refused, so no other site
// can post to the API from a visitor's browser.
func checkContentType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		cs, ok := params["charset"]
		if len(params) == 0 || len(params) == 1 && ok && strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	return recall.Errorf(errUnsupportedMediaType, "The request body must be JSON: send Content-Type: application/json.")
}

// rejectNulls returns an EINVALID error naming every value of body that is
// null, but for the fields whose schema allows null (nullable, by name).
// encoding/json would take a null as an absent field (a nil pointer) or as
// a zero value, neither of which the schemas allow. body is valid JSON.
func rejectNulls(body []byte, nullable func(name string) bool) error {
	if !bytes.Contains(body, []byte("null")) {
		return nil // the common case: no scan
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	fields := map[string]string{}
	// frames holds, for each open object or array, its path and, for an
	// array, the index of the next item; key is the last object key read.
	type frame struct {
		path  string
		array bool
		next  int
		key   string // in an object: the key whose value comes next
	}
	var stack []frame
	// valuePath returns the path of the value about to be read, and its
	// name (the key in an object, "" in an array).
	valuePath := func() (string, string) {
		if len(stack) == 0 {
			return "body", ""
		}
		f := &stack[len(stack)-1]
		if f.array {
			p := f.path + "[" + strconv.Itoa(f.next) + "]"
			f.next++
			return p, ""
		}
		if f.path == "" {
			return f.key, f.key
		}
		return f.path + "." + f.key, f.key
	}
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break // io.EOF, or an error decodeBody has reported already
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				p, _ := valuePath()
				if len(stack) == 0 {
					p = ""
				}
				stack = append(stack, frame{path: p, array: d == '['})
				expectKey = d == '{'
			case '}', ']':
				stack = stack[:len(stack)-1]
				expectKey = len(stack) > 0 && !stack[len(stack)-1].array
			}
			continue
		}
		if expectKey {
			stack[len(stack)-1].key = tok.(string)
			expectKey = false
			continue
		}
		p, name := valuePath()
		if tok == nil && (name == "" || !nullable(name)) && len(fields) < maxReportedFields {
			fields[p] = "must not be null"
		}
		expectKey = len(stack) > 0 && !stack[len(stack)-1].array
	}
	return recall.InvalidFields(fields)
}
