package postgres_test

import (
	"testing"

	"github.com/recallhq/recall/storetest"
)

// BenchmarkSaveTurn measures one turn's write transaction: BEGIN + INSERT
// turn + version-checked UPDATE session in one round trip, then COMMIT. In
// parallel, the transactions run side by side on the pool's connections.
func BenchmarkSaveTurn(b *testing.B) { storetest.BenchSaveTurn(b, storetest.Opener(opener).Bench) }

// BenchmarkTopics measures the topic list of a user with 20 topics of 20
// questions and 5 completed sessions each: one statement per call.
func BenchmarkTopics(b *testing.B) { storetest.BenchTopics(b, storetest.Opener(opener).Bench) }

// BenchmarkTopicsHistory compares the topic list of a user with no history
// and one with 10,000 completed sessions: the topics keep their stats.
func BenchmarkTopicsHistory(b *testing.B) {
	storetest.BenchTopicsHistory(b, storetest.Opener(opener).Bench, 10000)
}

// BenchmarkSessionPages compares the first page of a history of 10,000
// sessions with a page deep in it: the index serves both from the cursor.
func BenchmarkSessionPages(b *testing.B) {
	storetest.BenchSessionPages(b, storetest.Opener(opener).Bench, 10000)
}
