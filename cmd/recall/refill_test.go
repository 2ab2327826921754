package main

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/recallhq/recall/redis/redistest"
)

// TestRefillAfterWrite: with the default --refill, a write through the API
// refills the topic list and the question bank it drops, so the next read
// of the topic's questions reads nothing from the database (recall_db_queries_total),
// in both Redis shapes; with --refill=false the same read loads them.
func TestRefillAfterWrite(t *testing.T) {
	for _, mode := range rtModes() {
		for _, refill := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/refill=%v", mode.name, refill), func(t *testing.T) {
				cfg := rtConfig(t, filepath.Join(t.TempDir(), "recall.db"), redistest.SharedURL, redistest.Prefix(t), mode.near)
				cfg.Refill = refill
				srv := startServer(t, cfg, newClock())
				_, tok := srv.signUp(t, "rhea", "rhea-password")
				topic := srv.createTopic(t, tok, "Refill", "")
				qs := srv.addQuestions(t, tok, topic.ID, rtBank(3)...)
				// The read: the topic (from the owner's topic list) and
				// its bank.
				var out struct {
					Questions []struct {
						ID          string `json:"id"`
						Explanation string `json:"explanation"`
					} `json:"questions"`
				}
				read := func() {
					srv.do(apiCall{method: "GET", path: "/v1/topics/" + topic.ID + "/questions", token: tok}).want(t, 200, &out)
				}
				refills := func() map[string]float64 {
					return rtSeries(srv.scrape(t), "recall_cache_refills_total", "cache", "result")
				}
				// awaitRefills waits until n refills have been asked for
				// in all, each counted once done (whatever its result).
				// They run after the responses.
				awaitRefills := func(n float64) map[string]float64 {
					deadline := time.Now().Add(30 * time.Second)
					for {
						got := refills()
						var total float64
						for _, v := range got {
							total += v
						}
						if total >= n {
							return got
						}
						if time.Now().After(deadline) {
							t.Fatalf("%v refills done after 30s; want %v", got, n)
						}
						time.Sleep(10 * time.Millisecond)
					}
				}
				if refill {
					awaitRefills(3) // the list after the create; the bank and the list after the add
				}
				read() // fills the caches, if need be
				before := refills()
				srv.do(apiCall{method: "PATCH", path: "/v1/topics/" + topic.ID + "/questions/" + qs[1].ID, token: tok,
					body: map[string]any{"explanation": "Edited."}}).want(t, 200, nil)
				if refill {
					got := awaitRefills(5)
					if got["topics/filled"] != before["topics/filled"]+1 || got["questions/filled"] != before["questions/filled"]+1 {
						t.Fatalf("refills = %v, before the write %v; want one more topics/filled and questions/filled", got, before)
					}
				} else if got := refills(); len(got) != 0 {
					t.Fatalf("refills = %v with --refill=false; want none", got)
				}
				c := rtMeasure(t, srv, read)
				reads := c.dbReads()
				if refill && len(reads) != 0 {
					t.Fatalf("the read after a refilled write read the database: %v", reads)
				}
				if !refill && (reads["read/Topics"] != 1 || reads["read/Questions"] != 1) {
					t.Fatalf("without refill the read after the write read %v; want read/Topics 1 and read/Questions 1", reads)
				}
				if len(out.Questions) != 3 || out.Questions[1].Explanation != "Edited." {
					t.Fatalf("the topic read after the write has %+v; want the edited explanation", out.Questions)
				}
			})
		}
	}
}
