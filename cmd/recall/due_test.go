package main

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/recallhq/recall/redis/redistest"
)

// TestRedisDueStart: with Redis, a hot "mode": "due" start reads nothing
// from the database (recall_db_queries_total), in both Redis shapes; the
// memory states survive a flush of every key of the prefix and a restart
// of the server: the due session asks the same questions, in the same
// order.
func TestRedisDueStart(t *testing.T) {
	for _, mode := range rtModes() {
		t.Run(mode.name, func(t *testing.T) {
			prefix := redistest.Prefix(t)
			cfg := rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), redistest.SharedURL, prefix, mode.near)
			clock := newClock()
			srv := startServer(t, cfg, clock)
			_, tok := srv.signUp(t, "dana", "dana-password")
			topic := srv.createTopic(t, tok, "Due", "")
			srv.addQuestions(t, tok, topic.ID, rtBank(5)...)
			s := srv.startSession(t, tok, topic.ID, 4)
			for i, msg := range []string{"answer-0", "wrong", "/skip", "answer-3"} {
				if i == 1 {
					clock.Add(time.Hour)
				}
				srv.turn(t, tok, s.ID, msg, "")
			}
			clock.Add(3 * 24 * time.Hour)
			// start starts a due session and returns how many questions
			// it asks and the first one: the most forgotten.
			start := func(srv *testServer) string {
				t.Helper()
				var out struct{ Session sessionOut }
				srv.do(apiCall{method: "POST", path: "/v1/sessions", token: tok,
					body: map[string]any{"topic_id": topic.ID, "mode": "due"}}).want(t, 201, &out)
				if out.Session.CurrentQuestion == nil {
					t.Fatalf("a due session without a question: %+v", out.Session)
				}
				return fmt.Sprint(out.Session.Progress.Total, " ", out.Session.CurrentQuestion.ID)
			}
			first := start(srv) // fills the caches
			c := rtMeasure(t, srv, func() { start(srv) })
			if reads := c.dbReads(); len(reads) != 0 {
				t.Fatalf("a hot due start read the database: %v", reads)
			}
			t.Logf("%s: a hot due start costs %v Redis round trips besides the rate limit (%v)", mode.name, c.redisTotal(), c)

			redistest.DeletePrefix(t, redistest.SharedAddr, prefix)
			if got := start(srv); got != first {
				t.Fatalf("after a flush of %s the due session asks %v, before %v", prefix, got, first)
			}
			if err := srv.stop(); err != nil {
				t.Fatal(err)
			}
			again := startServer(t, cfg, clock)
			if got := start(again); got != first {
				t.Fatalf("after a restart the due session asks %v, before %v", got, first)
			}
		})
	}
}
