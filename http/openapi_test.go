package http

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
)

// openAPIDocument is the part of an OpenAPI document the test reads.
type openAPIDocument struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]json.RawMessage            `json:"components"`
}

type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Security    *[]map[string][]string     `json:"security"`
	RequestBody json.RawMessage            `json:"requestBody"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

func loadOpenAPI(t *testing.T) (openAPIDocument, any) {
	t.Helper()
	var doc openAPIDocument
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	var raw any
	if err := json.Unmarshal(openAPIDoc, &raw); err != nil {
		t.Fatal(err)
	}
	return doc, raw
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	s := NewServer(Config{})
	var inDoc, inServer []string
	// The keys of a path item that are operations.
	httpMethods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	for path, item := range doc.Paths {
		for m := range item {
			if slices.Contains(httpMethods, m) {
				inDoc = append(inDoc, strings.ToUpper(m)+" "+path)
			}
		}
	}
	for _, rt := range s.Routes() {
		inServer = append(inServer, rt.Method+" "+rt.Pattern)
	}
	sort.Strings(inDoc)
	sort.Strings(inServer)
	for _, op := range inServer {
		if !slices.Contains(inDoc, op) {
			t.Errorf("route %s is not in openapi.json", op)
		}
	}
	for _, op := range inDoc {
		if !slices.Contains(inServer, op) {
			t.Errorf("openapi.json describes %s, which the server does not serve", op)
		}
	}
	if len(inDoc) != len(inServer) {
		t.Errorf("%d operations in openapi.json, %d routes", len(inDoc), len(inServer))
	}
}

func TestOpenAPIOperationsDeclareErrors(t *testing.T) {
	doc, raw := loadOpenAPI(t)
	s := NewServer(Config{})
	ids := map[string]bool{}
	for _, rt := range s.Routes() {
		name := rt.Method + " " + rt.Pattern
		item, ok := doc.Paths[rt.Pattern]
		if !ok {
			continue // reported by TestOpenAPIMatchesRoutes
		}
		var op openAPIOperation
		if err := json.Unmarshal(item[strings.ToLower(rt.Method)], &op); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if op.OperationID == "" || ids[op.OperationID] {
			t.Errorf("%s: operationId %q missing or not unique", name, op.OperationID)
		}
		ids[op.OperationID] = true
		want := []string{"500"}
		if rt.Auth {
			want = append(want, "401", "503")
			if op.Security != nil {
				t.Errorf("%s needs a token but overrides security", name)
			}
		} else if op.Security == nil || len(*op.Security) != 0 {
			t.Errorf("%s needs no token but does not say security: []", name)
		}
		if len(rt.Policies) > 0 {
			want = append(want, "429")
		}
		if strings.Contains(rt.Pattern, "{") {
			want = append(want, "404")
		}
		if op.RequestBody != nil {
			want = append(want, "400", "413", "415")
		}
		hasSuccess := false
		for code := range op.Responses {
			if code[0] == '2' {
				hasSuccess = true
			}
		}
		if !hasSuccess {
			t.Errorf("%s declares no success response", name)
		}
		for _, code := range want {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s does not declare its %s response", name, code)
			}
		}
		// The path parameters declared on the path item and the operation
		// are exactly those of the pattern.
		var declared []string
		pathItem := resolve(raw, "#/paths/"+strings.ReplaceAll(rt.Pattern, "/", "~1")).(map[string]any)
		opItem := pathItem[strings.ToLower(rt.Method)].(map[string]any)
		for _, list := range []any{pathItem["parameters"], opItem["parameters"]} {
			params, _ := list.([]any)
			for _, p := range params {
				pm, _ := p.(map[string]any)
				if ref, ok := pm["$ref"].(string); ok {
					pm, _ = resolve(raw, ref).(map[string]any)
				}
				if pm["in"] == "path" {
					declared = append(declared, pm["name"].(string))
				}
			}
		}
		sort.Strings(declared)
		if want := pathParams(rt.Pattern); !slices.Equal(declared, want) {
			t.Errorf("%s declares path parameters %v, want %v", name, declared, want)
		}
	}
}

// pathParams returns the {names} in a pattern.
func pathParams(pattern string) []string {
	var out []string
	for _, seg := range strings.Split(pattern, "/") {
		if strings.HasPrefix(seg, "{") {
			out = append(out, strings.Trim(seg, "{}"))
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIRefsResolve checks that every $ref points at something.
func TestOpenAPIRefsResolve(t *testing.T) {
	_, raw := loadOpenAPI(t)
	var walk func(v any)
	n := 0
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				n++
				if resolve(raw, ref) == nil {
					t.Errorf("$ref %q does not resolve", ref)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(raw)
	if n == 0 {
		t.Fatal("no $ref found: the walk is broken")
	}
	if resolve(raw, "#/components/schemas/Nope") != nil {
		t.Fatal("resolve finds what is not there")
	}
}

// resolve follows a local JSON pointer reference.
func resolve(doc any, ref string) any {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	cur := doc
	for _, tok := range strings.Split(p, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[tok]; !ok {
			return nil
		}
	}
	return cur
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/v1/openapi.json"}).want(t, 200, nil)
	var doc openAPIDocument
	if err := json.Unmarshal(r.body, &doc); err != nil || doc.OpenAPI == "" {
		t.Fatalf("served document: %v", err)
	}
}
