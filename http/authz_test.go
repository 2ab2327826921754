package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// The authorization matrix: every route of Server.Routes() is tried with
// every kind of bad credential and with another user's valid token on the
// owner's real ids. It is generated from the route table, so a new route is
// covered the day it is added; a route the matrix cannot fill in (an unknown
// {placeholder}, a body it has no example of) fails the test until the
// matrix is taught about it.

// owned is the owner's data the matrix aims at, and the strings that must
// never show in a response to anyone else.
type owned struct {
	topicID, questionID, sessionID, conversationID string
	secrets                                        []string
}

// idFor returns the owner's id for the placeholder name in pattern, whose
// path segment before it names the collection.
func (o *owned) idFor(pattern, collection, name string) (string, bool) {
	switch {
	case name == "id" && collection == "topics":
		return o.topicID, true
	case name == "id" && collection == "sessions":
		return o.sessionID, true
	case name == "id" && collection == "conversations":
		return o.conversationID, true
	case name == "qid" && collection == "questions":
		return o.questionID, true
	}
	return "", false
}

// fill replaces every {placeholder} of pattern with the id that ids gives.
func fill(tb testing.TB, pattern string, ids func(collection, name string) (string, bool)) string {
	tb.Helper()
	segs := strings.Split(pattern, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		name := strings.Trim(seg, "{}.")
		collection := ""
		if i > 0 {
			collection = segs[i-1]
		}
		id, ok := ids(collection, name)
		if !ok {
			tb.Fatalf("route %s: the authorization matrix knows no id for {%s} after /%s/: teach authz_test.go about it", pattern, name, collection)
		}
		segs[i] = id
	}
	return strings.Join(segs, "/")
}

// matrixBody is the valid request body of a route, given the id of a topic
// the caller may name in it, and whether the body itself names the owner's
// data (so that another user must get 404 even without an id in the path).
type matrixBody struct {
	body      func(topicID string) any
	namesData bool
	// adminOnly says the route is for admins: a user without the role
	// gets 403 forbidden (it names no one's data).
	adminOnly bool
}

// matrixBodies holds a valid body for every route that takes one. Bodies
// are valid so that a request is refused for who sends it, not for what.
var matrixBodies = map[string]matrixBody{
	"POST /v1/users":                          {body: func(string) any { return map[string]string{"username": "zed", "password": "password-zed"} }},
	"POST /v1/tokens":                         {body: func(string) any { return map[string]string{"username": "bob", "password": "password-bob"} }},
	"POST /v1/topics":                         {body: func(string) any { return map[string]string{"title": "Matrix topic"} }},
	"PATCH /v1/topics/{id}":                   {body: func(string) any { return map[string]string{"title": "Renamed by someone"} }},
	"POST /v1/topics/{id}/questions":          {body: func(string) any { return map[string]any{"questions": []any{q("Injected?", "yes")}} }},
	"PATCH /v1/topics/{id}/questions/{qid}":   {body: func(string) any { return map[string]string{"prompt": "Rewritten by someone"} }},
	"POST /v1/topics/{id}/questions/generate": {body: func(string) any { return map[string]any{"notes": "Injected ==here==. Injected? :: yes"} }},
	"POST /v1/topics/{id}/questions/import":   {body: func(string) any { return cardBody{"text/tab-separated-values", "Injected by import?\tyes\n"} }},
	"GET /v1/topics/{id}/questions/export":    {},
	"POST /v1/sessions":                       {body: func(tid string) any { return map[string]any{"topic_id": tid, "shuffle": false} }, namesData: true},
	"POST /v1/sessions/{id}/turns":            {body: func(string) any { return map[string]string{"message": "Paris"} }},
	"POST /v1/sessions/{id}/end":              {},
	"DELETE /v1/topics/{id}":                  {},
	"DELETE /v1/topics/{id}/questions/{qid}":  {},
	"DELETE /v1/tokens/current":               {},
	"GET /v1/topics/{id}/questions/{qid}":     {},
	"GET /v1/topics/{id}/questions":           {},
	"GET /v1/topics/{id}":                     {},
	"GET /v1/sessions/{id}":                   {},
	"GET /v1/sessions/{id}/turns":             {},
	"GET /v1/sessions":                        {},
	"GET /v1/topics":                          {},
	"GET /v1/me":                              {},
	"GET /v1/ops":                             {adminOnly: true},
	"PATCH /v1/me":                            {body: func(string) any { return map[string]string{"time_zone": "Europe/Paris"} }},
	"GET /healthz":                            {},
	"GET /readyz":                             {},
	"GET /metrics":                            {},
	"GET /v1/openapi.json":                    {},
	"POST /v1/conversations":                  {body: func(tid string) any { return map[string]any{"topic_id": tid} }, namesData: true},
	"GET /v1/conversations":                   {},
	"GET /v1/conversations/{id}":              {},
	"POST /v1/conversations/{id}/messages":    {body: func(string) any { return map[string]string{"content": "quiz me"} }},
	"POST /v1/conversations/{id}/end":         {},
	"DELETE /v1/conversations/{id}":           {},
}

// bodyOf returns the body the matrix sends to rt, failing the test for a
// route the matrix has never seen.
func bodyOf(tb testing.TB, rt Route, topicID string) (any, bool) {
	tb.Helper()
	mb, ok := matrixBodies[rt.Method+" "+rt.Pattern]
	if !ok {
		tb.Fatalf("route %s %s is not in the authorization matrix: add it to matrixBodies in authz_test.go", rt.Method, rt.Pattern)
	}
	if mb.body == nil {
		return nil, false
	}
	return mb.body(topicID), mb.namesData
}

// signIn returns a new token of an existing user.
func (e *env) signIn(name string) string {
	e.tb.Helper()
	var tok struct {
		Token string `json:"token"`
	}
	e.do(req{method: "POST", path: "/v1/tokens", body: map[string]string{"username": name, "password": "password-" + name}}).want(e.tb, 201, &tok)
	return tok.Token
}

// snapshot reads everything the owner has, to compare before and after.
func (e *env) snapshot(token string, o *owned) string {
	e.tb.Helper()
	var b strings.Builder
	for _, path := range []string{
		"/v1/me", "/v1/topics?view=full", "/v1/topics/" + o.topicID + "?view=full",
		"/v1/topics/" + o.topicID + "/questions", "/v1/topics/" + o.topicID + "/questions/" + o.questionID,
		"/v1/sessions", "/v1/sessions/" + o.sessionID, "/v1/sessions/" + o.sessionID + "/turns",
		"/v1/conversations", "/v1/conversations/" + o.conversationID,
	} {
		r := e.do(req{method: "GET", path: path, token: token}).want(e.tb, 200, nil)
		fmt.Fprintf(&b, "%s\n%s\n", path, r.body)
	}
	return b.String()
}

func TestAuthorizationMatrix(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("Cached=%v", cached), func(t *testing.T) {
			testAuthorizationMatrix(t, newEnvWith(t, cached))
		})
	}
}

func testAuthorizationMatrix(t *testing.T, e *env) {
	routes := e.server.Routes()
	if len(routes) == 0 {
		t.Fatal("the route table is empty")
	}
	e.signUp("alice")
	e.signUp("bob")

	// An expired token: issued now, used after its lifetime. Everything
	// else is made after the clock moved, so it is fresh.
	expired := e.signIn("alice")
	e.clock.Add(recall.TokenLifetime + time.Minute)
	alice, bob := e.signIn("alice"), e.signIn("bob")
	revoked := e.signIn("alice")
	e.do(req{method: "DELETE", path: "/v1/tokens/current", token: revoked}).want(t, 204, nil)

	// The owner's data, with strings that must never reach anyone else.
	o := &owned{}
	var tr topicResp
	e.do(req{method: "POST", path: "/v1/topics", token: alice,
		body: map[string]string{"title": "ALICE-SECRET-TITLE", "description": "ALICE-SECRET-DESCRIPTION"}}).want(t, 201, &tr)
	o.topicID = tr.Topic.ID
	qs := e.addQuestions(alice, o.topicID,
		map[string]any{"prompt": "ALICE-SECRET-PROMPT-1?", "answers": []string{"ALICE-SECRET-ANSWER"}, "hint": "ALICE-SECRET-HINT", "explanation": "ALICE-SECRET-EXPLANATION"},
		map[string]any{"prompt": "ALICE-SECRET-PROMPT-2?", "answers": []string{"Lima"}},
	)
	o.questionID = qs[0].ID
	sess := e.startSession(alice, o.topicID, 2)
	o.sessionID = sess.ID
	e.do(req{method: "POST", path: "/v1/sessions/" + sess.ID + "/turns", token: alice,
		body: map[string]string{"message": "ALICE-SECRET-MESSAGE"}}).want(t, 200, nil)
	var cr struct {
		Conversation struct {
			ID string `json:"id"`
		} `json:"conversation"`
	}
	e.do(req{method: "POST", path: "/v1/conversations", token: alice, body: map[string]string{"topic_id": o.topicID}}).want(t, 201, &cr)
	o.conversationID = cr.Conversation.ID
	e.do(req{method: "POST", path: "/v1/conversations/" + o.conversationID + "/messages", token: alice,
		body: map[string]string{"content": "ALICE-SECRET-CONVERSATION"}}).want(t, 200, nil)
	o.secrets = []string{"ALICE-SECRET", "alice", o.topicID, o.questionID, qs[1].ID, o.sessionID, o.conversationID}
	bobTopic := e.createTopic(bob, "Bob's own topic")

	before := e.snapshot(alice, o)

	// reveals fails if a body shows any of the owner's data.
	reveals := func(t *testing.T, what string, body []byte) {
		t.Helper()
		for _, s := range o.secrets {
			if bytes.Contains(bytes.ToLower(body), bytes.ToLower([]byte(s))) {
				t.Errorf("%s: the body shows the owner's %q: %s", what, s, body)
			}
		}
	}
	// unauthorized checks a 401 with its JSON body and challenge.
	unauthorized := func(t *testing.T, what string, r *response) {
		t.Helper()
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401: %s", what, r.status, r.body)
			return
		}
		var eb errorBody
		if err := json.Unmarshal(r.body, &eb); err != nil || eb.Error.Code != recall.EUNAUTHORIZED || eb.Error.Message == "" {
			t.Errorf("%s: 401 without the unauthorized JSON error: %s", what, r.body)
		}
		if got := r.header.Get("WWW-Authenticate"); got != "Bearer" {
			t.Errorf("%s: WWW-Authenticate %q, want Bearer", what, got)
		}
		reveals(t, what, r.body)
	}

	// A well-formed token that was never issued: expired and revoked
	// tokens must be told apart from it by nothing.
	unknown := neverIssued(alice)
	badCredentials := []struct {
		name   string
		header string // the Authorization header; "" sends none
	}{
		{"NoToken", ""},
		{"EmptyBearer", "Bearer "},
		{"WrongScheme", "Basic " + alice},
		{"NoScheme", alice},
		{"Malformed", "Bearer not-a-token"},
		{"MalformedBase64", "Bearer rc_" + strings.Repeat("!", 43)},
		{"Truncated", "Bearer " + alice[:len(alice)-1]},
		{"TooLong", "Bearer " + alice + "A"},
		{"Unknown", "Bearer " + unknown},
		{"Expired", "Bearer " + expired},
		{"Revoked", "Bearer " + revoked},
	}

	authed := 0
	for _, rt := range routes {
		name := rt.Method + " " + rt.Pattern
		ownerPath := fill(t, rt.Pattern, func(c, n string) (string, bool) { return o.idFor(rt.Pattern, c, n) })
		body, namesData := bodyOf(t, rt, o.topicID)
		if !rt.Auth {
			continue
		}
		authed++
		t.Run(name, func(t *testing.T) {
			// Every bad credential: 401, whatever the ids.
			same := map[string][]byte{}
			for _, bc := range badCredentials {
				r := e.do(req{method: rt.Method, path: ownerPath, body: body,
					header: map[string]string{"Authorization": bc.header}})
				unauthorized(t, bc.name, r)
				if bc.name == "Unknown" || bc.name == "Expired" || bc.name == "Revoked" {
					same[bc.name] = r.body
				}
			}
			if !bytes.Equal(same["Unknown"], same["Expired"]) || !bytes.Equal(same["Unknown"], same["Revoked"]) {
				t.Errorf("unknown, expired and revoked tokens are told apart:\n%s\n%s\n%s", same["Unknown"], same["Expired"], same["Revoked"])
			}

			if matrixBodies[name].adminOnly {
				r := e.do(req{method: rt.Method, path: ownerPath, token: bob, body: body})
				var eb errorBody
				if r.status != http.StatusForbidden || json.Unmarshal(r.body, &eb) != nil || eb.Error.Code != recall.EFORBIDDEN {
					t.Errorf("a user without the admin role: %d %s, want 403 forbidden", r.status, r.body)
				}
				reveals(t, "a user without the admin role", r.body)
				return
			}

			// Another user's valid token on the owner's ids: exactly what a
			// made-up id gives, a 404 that shows nothing.
			if !strings.Contains(rt.Pattern, "{") && !namesData {
				return
			}
			r := e.do(req{method: rt.Method, path: ownerPath, token: bob, body: body})
			if r.status != http.StatusNotFound {
				t.Fatalf("another user's token: status %d, want 404: %s", r.status, r.body)
			}
			var eb errorBody
			if err := json.Unmarshal(r.body, &eb); err != nil || eb.Error.Code != recall.ENOTFOUND {
				t.Errorf("another user's token: not a not_found error: %s", r.body)
			}
			reveals(t, "another user's token", r.body)

			ghost := recall.NewID()
			ghostPath := fill(t, rt.Pattern, func(string, string) (string, bool) { return ghost, true })
			ghostBody, _ := bodyOf(t, rt, ghost)
			g := e.do(req{method: rt.Method, path: ghostPath, token: bob, body: ghostBody})
			if g.status != r.status || !bytes.Equal(g.body, r.body) {
				t.Errorf("the owner's ids answer unlike made-up ids, so existence leaks:\nowner's: %d %s\nmade-up: %d %s", r.status, r.body, g.status, g.body)
			}
			if strings.Contains(rt.Pattern, "{qid}") {
				// The owner's question through the other user's own topic.
				p := fill(t, rt.Pattern, func(c, n string) (string, bool) {
					if n == "id" {
						return bobTopic, true
					}
					return o.idFor(rt.Pattern, c, n)
				})
				r := e.do(req{method: rt.Method, path: p, token: bob, body: body})
				if r.status != http.StatusNotFound {
					t.Errorf("the owner's question through another user's topic: status %d, want 404: %s", r.status, r.body)
				}
				reveals(t, "the owner's question through another user's topic", r.body)
			}
		})
	}
	if authed == 0 {
		t.Fatal("no route needs a token: the matrix tested nothing")
	}

	t.Run("OtherUsersListsShowNothing", func(t *testing.T) {
		for _, rt := range routes {
			if !rt.Auth || rt.Method != http.MethodGet || strings.Contains(rt.Pattern, "{") || matrixBodies[rt.Method+" "+rt.Pattern].adminOnly {
				continue
			}
			r := e.do(req{method: rt.Method, path: rt.Pattern + "?view=full", token: bob})
			if r.status != http.StatusOK {
				t.Errorf("GET %s as another user: %d %s", rt.Pattern, r.status, r.body)
			}
			reveals(t, "GET "+rt.Pattern, r.body)
		}
	})

	t.Run("NothingChanged", func(t *testing.T) {
		if after := e.snapshot(alice, o); after != before {
			t.Fatalf("the owner's data changed under refused requests:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})

	// Positive controls: each route works for its owner, so the refusals
	// above are about who asked, not about a broken route. Deletions run
	// last, the most specific first; a route without ids gets a token of
	// its own (DELETE /v1/tokens/current revokes it).
	t.Run("OwnerSucceeds", func(t *testing.T) {
		// The admin-only routes are the owner's once she has the role.
		u, _, err := e.store.UserByUsername(context.Background(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.SetAdmin(context.Background(), u.ID, true); err != nil {
			t.Fatal(err)
		}
		order := slices.Clone(routes)
		sort.SliceStable(order, func(i, j int) bool {
			di, dj := order[i].Method == http.MethodDelete, order[j].Method == http.MethodDelete
			if di != dj {
				return dj
			}
			return di && len(order[i].Pattern) > len(order[j].Pattern)
		})
		for _, rt := range order {
			body, _ := bodyOf(t, rt, o.topicID)
			path := fill(t, rt.Pattern, func(c, n string) (string, bool) { return o.idFor(rt.Pattern, c, n) })
			token := alice
			if !strings.Contains(rt.Pattern, "{") && rt.Auth {
				token = e.signIn("alice")
			}
			if !rt.Auth {
				token = ""
			}
			if rt.Method+" "+rt.Pattern == "POST /v1/users" {
				body = map[string]string{"username": "newcomer", "password": "password-newcomer"}
			}
			r := e.do(req{method: rt.Method, path: path, token: token, body: body})
			// 409: the earlier steps completed the session before "end".
			if r.status >= 300 && r.status != http.StatusConflict {
				t.Errorf("%s %s as its owner: %d %s", rt.Method, path, r.status, r.body)
			}
		}
	})
}

// neverIssued returns a token of the right form that was never issued: tok
// with one character in the middle of its random part changed (the last
// one carries padding bits and would make it malformed instead).
func neverIssued(tok string) string {
	i := len(tok) / 2
	repl := byte('A')
	if tok[i] == 'A' {
		repl = 'B'
	}
	return tok[:i] + string(repl) + tok[i+1:]
}

// TestUnauthenticatedRoutes checks that the routes without a token work
// without one, and that a bad Authorization header does not break them.
func TestUnauthenticatedRoutes(t *testing.T) {
	e := newEnv(t)
	e.signUp("bob")
	n := 0
	for _, rt := range e.server.Routes() {
		if rt.Auth {
			continue
		}
		n++
		if strings.Contains(rt.Pattern, "{") {
			t.Fatalf("route %s %s takes ids but no token: an unauthenticated route must not name stored data", rt.Method, rt.Pattern)
		}
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			for i, hdr := range []string{"", "Bearer not-a-token"} {
				body, _ := bodyOf(t, rt, "")
				if rt.Method+" "+rt.Pattern == "POST /v1/users" {
					body = map[string]string{"username": fmt.Sprintf("walker%d", i), "password": "password-walker"}
				}
				r := e.do(req{method: rt.Method, path: rt.Pattern, body: body, header: map[string]string{"Authorization": hdr}})
				if r.status < 200 || r.status >= 300 {
					t.Errorf("Authorization %q: status %d: %s", hdr, r.status, r.body)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no unauthenticated route: /healthz at least should be")
	}
}
