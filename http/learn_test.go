package http

import (
	"testing"
)

// TestMe_TimeZone: PATCH /v1/me sets the time zone; a name that is no IANA
// zone, an empty body or an unknown field is refused with 400.
func TestMe_TimeZone(t *testing.T) {
	for _, cached := range []bool{false, true} {
		e := newEnvWith(t, cached)
		tok := e.signUp("tess")
		var out struct {
			User userJSON `json:"user"`
		}
		e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, &out)
		if out.User.TimeZone != "UTC" {
			t.Fatalf("default time_zone %q", out.User.TimeZone)
		}
		e.do(req{method: "PATCH", path: "/v1/me", token: tok, body: map[string]string{"time_zone": "America/Argentina/Buenos_Aires"}}).want(t, 200, &out)
		if out.User.TimeZone != "America/Argentina/Buenos_Aires" {
			t.Fatalf("time_zone after PATCH %q", out.User.TimeZone)
		}
		e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, &out)
		if out.User.TimeZone != "America/Argentina/Buenos_Aires" {
			t.Fatalf("GET /v1/me after PATCH: time_zone %q (cached %v)", out.User.TimeZone, cached)
		}
		for name, body := range map[string]any{
			"NotAZone":     map[string]string{"time_zone": "Mars/Olympus"},
			"Local":        map[string]string{"time_zone": "Local"},
			"Path":         map[string]string{"time_zone": "../../etc/passwd"},
			"Empty":        map[string]string{"time_zone": ""},
			"NoField":      map[string]string{},
			"UnknownField": map[string]string{"tz": "UTC"},
			"WrongType":    map[string]int{"time_zone": 1},
		} {
			got := e.do(req{method: "PATCH", path: "/v1/me", token: tok, body: body}).wantError(t, 400, "invalid")
			if got.Message == "" {
				t.Errorf("%s: no message", name)
			}
		}
	}
}

// TestSessions_ModeDue: mode due asks the new questions, then answers 409
// nothing_due with next_due_at once everything is learned for now; the
// caps are validated.
func TestSessions_ModeDue(t *testing.T) {
	e := newEnvWith(t, true)
	tok := e.signUp("dora")
	tid := e.createTopic(tok, "Capitals")
	e.addQuestions(tok, tid, q("Capital of France?", "Paris"), q("Capital of Peru?", "Lima"))
	var s struct {
		Session sessionOut `json:"session"`
	}
	e.do(req{method: "POST", path: "/v1/sessions", token: tok, body: map[string]any{"topic_id": tid, "mode": "due", "new_limit": 1}}).want(t, 201, &s)
	if s.Session.Progress.Total != 1 {
		t.Fatalf("new_limit 1: the session asks %d questions", s.Session.Progress.Total)
	}
	e.do(req{method: "POST", path: "/v1/sessions/" + s.Session.ID + "/turns", token: tok, body: map[string]string{"message": "/skip"}}).want(t, 200, nil)
	// The skipped question is due again in minutes; the other is new.
	e.do(req{method: "POST", path: "/v1/sessions", token: tok, body: map[string]any{"topic_id": tid, "mode": "due"}}).want(t, 201, &s)
	if s.Session.Progress.Total != 1 {
		t.Fatalf("the second due session asks %d questions, want the one new question", s.Session.Progress.Total)
	}
	e.do(req{method: "POST", path: "/v1/sessions/" + s.Session.ID + "/turns", token: tok, body: map[string]string{"message": "Lima"}}).want(t, 200, nil)
	got := e.do(req{method: "POST", path: "/v1/sessions", token: tok, body: map[string]any{"topic_id": tid, "mode": "due", "new_limit": 0}}).wantError(t, 409, "nothing_due")
	if got.Message == "" || got.NextDueAt == nil || !got.NextDueAt.After(e.clock.Now()) {
		t.Fatalf("nothing_due: message %q, next_due_at %v", got.Message, got.NextDueAt)
	}
	// The dashboard counts the questions by memory state, and the user has
	// studied one day.
	var list struct {
		Topics []struct {
			Stats struct {
				New, Learning, Review, Mastered *int
				DueNow                          *int    `json:"due_now"`
				NextDueAt                       *string `json:"next_due_at"`
			} `json:"stats"`
		} `json:"topics"`
	}
	e.do(req{method: "GET", path: "/v1/topics?view=dashboard", token: tok}).want(t, 200, &list)
	st := list.Topics[0].Stats
	if st.New == nil || *st.New != 0 || *st.Learning != 2 || *st.Review != 0 || *st.DueNow != 0 || *st.Mastered != 0 || st.NextDueAt == nil {
		t.Fatalf("dashboard stats new %v learning %v review %v due_now %v mastered %v next_due_at %v",
			st.New, st.Learning, st.Review, st.DueNow, st.Mastered, st.NextDueAt)
	}
	var me struct {
		Streak struct{ Current, Longest int } `json:"streak"`
	}
	e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, &me)
	if me.Streak.Current != 1 || me.Streak.Longest != 1 {
		t.Fatalf("streak %+v after one day of study", me.Streak)
	}
	for name, body := range map[string]any{
		"BadMode":          map[string]any{"topic_id": tid, "mode": "later"},
		"NegativeNewLimit": map[string]any{"topic_id": tid, "mode": "due", "new_limit": -1},
		"HugeReviewLimit":  map[string]any{"topic_id": tid, "mode": "due", "review_limit": 1 << 20},
		"LimitWithoutDue":  map[string]any{"topic_id": tid, "new_limit": 3},
	} {
		if g := e.do(req{method: "POST", path: "/v1/sessions", token: tok, body: body}).wantError(t, 400, "invalid"); g.Fields == nil {
			t.Errorf("%s: no fields", name)
		}
	}
}
