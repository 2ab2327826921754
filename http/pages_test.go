package http

import (
	"net/url"
	"testing"
)

// TestSessionPages pages through GET /v1/sessions: every session once,
// newest first, next_cursor null after the last page; a bad limit or
// cursor is a 400 that names the field.
func TestSessionPages(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	topic := e.createTopic(tok, "Capitals")
	e.addQuestions(tok, topic, q("Capital of France?", "Paris"))
	var started []string
	for range 5 {
		started = append(started, e.startSession(tok, topic, 1).ID)
	}

	var all []string
	path := "/v1/sessions?limit=2"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("more pages than sessions")
		}
		var page struct {
			Sessions   []sessionOut `json:"sessions"`
			NextCursor *string      `json:"next_cursor"`
		}
		e.do(req{method: "GET", path: path, token: tok}).want(t, 200, &page)
		if len(page.Sessions) > 2 {
			t.Fatalf("page of %d sessions, limit 2", len(page.Sessions))
		}
		for _, s := range page.Sessions {
			all = append(all, s.ID)
		}
		if page.NextCursor == nil {
			break
		}
		path = "/v1/sessions?limit=2&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if len(all) != len(started) {
		t.Fatalf("paged %d sessions, started %d", len(all), len(started))
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Fatalf("session %s on two pages", id)
		}
		seen[id] = true
	}
	for _, id := range started {
		if !seen[id] {
			t.Fatalf("session %s on no page", id)
		}
	}

	for _, tc := range []struct{ query, field string }{
		{"limit=0", "limit"},
		{"limit=201", "limit"},
		{"limit=ten", "limit"},
		{"cursor=not-a-cursor", "cursor"},
		{"cursor=" + url.QueryEscape("eyJ0IjoxfQ"), "cursor"}, // {"t":1}: no id
	} {
		got := e.do(req{method: "GET", path: "/v1/sessions?" + tc.query, token: tok}).wantError(t, 400, "invalid")
		if _, ok := got.Fields[tc.field]; !ok {
			t.Errorf("%s: fields %v, want %q", tc.query, got.Fields, tc.field)
		}
	}
}
