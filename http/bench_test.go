package http

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
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

// BenchmarkTopicsJSON measures writing the body of GET /v1/topics?view=dashboard
// for 10 topics of 30 questions each, the way the server did (struct views
// in a map through encoding/json, writeJSON) and the way it does
// (appendTopic into a pooled buffer, writeTopicList). Both write the same
// bytes to a ResponseWriter that discards them.
func BenchmarkTopicsJSON(b *testing.B) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)
	ts := make([]*recall.Topic, 10)
	for i := range ts {
		ids := make([]string, 30)
		for j := range ids {
			ids[j] = recall.NewID()
		}
		studied := now.Add(-time.Duration(i) * time.Hour)
		ts[i] = &recall.Topic{
			ID: recall.NewID(), UserID: recall.NewID(), Title: fmt.Sprintf("Topic %d: capitals & rivers", i),
			Description: "The capitals of Europe, their rivers and a few <hard> ones from further away.",
			QuestionIDs: ids, CreatedAt: now.Add(-30 * 24 * time.Hour), UpdatedAt: now.Add(-time.Duration(i) * time.Minute),
			Stats: recall.TopicStats{SessionsCompleted: 12 + i, Answers: 240 + i, Correct: 161, LastStudiedAt: &studied},
		}
	}
	s := NewServer(Config{})
	r := httptest.NewRequest("GET", "/v1/topics?view=dashboard", nil)
	w := &discardWriter{h: http.Header{}}

	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out := make([]any, len(ts))
			for i, t := range ts {
				out[i] = topicView(t, viewDashboard)
			}
			s.writeJSON(w, r, http.StatusOK, map[string]any{"topics": out})
		}
		b.SetBytes(int64(w.n))
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.writeTopicList(w, r, ts, viewDashboard)
		}
		b.SetBytes(int64(w.n))
	})
}

// discardWriter is a ResponseWriter that keeps the headers and the size of
// the last body only.
type discardWriter struct {
	h http.Header
	n int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(int)     {}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.n = len(p)
	return len(p), nil
}
