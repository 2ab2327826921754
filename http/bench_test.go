package http

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// dbQueries sums recall_db_queries_total{kind=kind}.
func (e *env) dbQueries(kind string) float64 {
	e.tb.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.tb.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "recall_db_queries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// BenchmarkTurnHandler measures one answer turn through the whole handler
// (middleware, token check, decoding, the engine, the SQLite write) on a
// cached session, wired as the embedded default: no network, and reports
// the database reads and writes per turn.
func BenchmarkTurnHandler(b *testing.B) {
	e := newCachedEnv(b)
	tok := e.signUp("bench")
	topic := e.createTopic(tok, "Bench")
	const n = 100
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = q(fmt.Sprintf("Question %d?", i), fmt.Sprintf("answer number %d", i))
	}
	e.addQuestions(tok, topic, items...)
	h := e.server.Handler()

	var sess string
	next := 0
	var reads, writes float64
	restart := func() {
		r0, w0 := e.dbQueries("read"), e.dbQueries("write")
		sess = e.startSession(tok, topic, n).ID
		next = 0
		reads -= e.dbQueries("read") - r0
		writes -= e.dbQueries("write") - w0
	}
	restart()
	reads, writes = -e.dbQueries("read"), -e.dbQueries("write")
	turns := 0
	b.ReportAllocs()
	for b.Loop() {
		if next == n {
			b.StopTimer()
			restart()
			b.StartTimer()
		}
		body := fmt.Sprintf(`{"message": "answer number %d"}`, next)
		req := httptest.NewRequest("POST", "/v1/sessions/"+sess+"/turns", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"correct":true`) {
			b.Fatalf("turn %d: %d %s", next, rec.Code, rec.Body)
		}
		next++
		turns++
	}
	b.StopTimer()
	reads += e.dbQueries("read")
	writes += e.dbQueries("write")
	b.ReportMetric(reads/float64(turns), "db-reads/turn")
	b.ReportMetric(writes/float64(turns), "db-writes/turn")
}
