package firestore_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/firestore"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/storetest"
)

// BenchmarkSaveTurn measures one turn's commit on the emulator; it checks
// that the commits read nothing.
func BenchmarkSaveTurn(b *testing.B) {
	m := metrics.New(nil)
	storetest.BenchSaveTurn(b, func(b *testing.B) recall.Store {
		return open(b, firestore.Options{Metrics: m})
	})
	if r := testutil.ToFloat64(m.DBQueries.WithLabelValues("read", "SaveTurn")); r != 0 {
		b.Errorf("SaveTurn read %v documents, want 0", r)
	}
}

// BenchmarkTopics measures the topic list of a user with 20 topics of 20
// questions and 5 completed sessions each: one query per call.
func BenchmarkTopics(b *testing.B) { storetest.BenchTopics(b, storetest.Opener(opener).Bench) }

// BenchmarkTopicsHistory compares the topic list of a user with no history
// and one with 1,000 completed sessions (fewer than the SQL stores': the
// emulator is slow to seed): the topic documents keep their stats.
func BenchmarkTopicsHistory(b *testing.B) {
	storetest.BenchTopicsHistory(b, storetest.Opener(opener).Bench, 1000)
}
