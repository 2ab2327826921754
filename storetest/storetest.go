// Package storetest is the contract suite of recall.Store: the behaviour
// every primary store (SQLite, PostgreSQL, Firestore, ...) must show, so
// that the layers above cannot tell them apart.
//
// A store's own tests call Run with a function that opens a fresh, empty
// store for one test and arranges its Close with t.Cleanup:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) recall.Store {
//			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "recall.db"), sqlite.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Beyond the doc comments of the interfaces, the suite pins down:
//   - Times come back in UTC, truncated (not rounded) to the microsecond.
//   - Not-found errors carry ENOTFOUND and a message for a person; another
//     user's topic is not found, on every method that takes a user ID, and
//     CreateSession refuses (ENOTFOUND) a topic that is not the session's user's.
//   - A username that is taken gives ECONFLICT "That username is taken.".
//   - Session and Sessions return IdempotencyKeys as rebuilt from the turns
//     (an empty or nil map when there are none); Turns may leave After nil,
//     Turn sets it.
//   - SaveTurn on a session that does not exist gives ENOTFOUND; on a stale
//     version, a used idempotency key or a used index ECONFLICT, and then
//     nothing of the turn is stored.
//   - Close may be called again; after it every method, Ping included,
//     gives EUNAVAILABLE.
//   - A cancelled or expired context comes back as the context's error
//     (errors.Is context.Canceled or context.DeadlineExceeded).
//
// The package also has suites that need a store opened in a particular way
// (RunSlow, RunMetrics, RunDueStart, RunTwoStores), the benchmarks every store runs
// (BenchSaveTurn, BenchTopics), an Opener whose methods are the open
// functions of all of them, and helpers for a store's own tests (Opened,
// Seed, NewQuestions, NewSession, NextTurn, Next).
package storetest

import (
	"testing"

	"github.com/recallhq/recall"
)

// Run runs the contract suite. open must return a new, empty store each
// time it is called (every subtest calls it once) and close it when the
// test ends.
func Run(t *testing.T, open func(t *testing.T) recall.Store) {
	t.Helper()
	runUsers(t, open)
	runTokens(t, open)
	runTopics(t, open)
	runQuestions(t, open)
	runStats(t, open)
	runSessions(t, open)
	runSessionPages(t, open)
	runTurns(t, open)
	runMemories(t, open)
	runConversations(t, open)
	runTimes(t, open)
	runConcurrency(t, open)
	runLifecycle(t, open)
}

// opener is the open function Run is given.
type opener = func(t *testing.T) recall.Store

// test runs fn as the subtest name with a fixture on a fresh store.
func test(t *testing.T, open opener, name string, fn func(f *fixture)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		fn(newFixture(t, open(t)))
	})
}
