package storetest

import (
	"io"
	"testing"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/metrics"
)

// Opener is how the tests of one engine open its stores, once for every
// suite and benchmark of this package: on a new, empty database when db is
// "", and otherwise on the database db, a name it returned before (a file,
// a URL), as a second process would. The store counts its statements in m
// (nil counts nothing) and is closed when tb ends. It returns the store and
// the name of its database. Its methods are the open functions the suites
// take:
//
//	func TestStore(t *testing.T) { storetest.Run(t, storetest.Opener(open).New) }
type Opener func(tb testing.TB, db string, m *metrics.Metrics) (recall.Store, string)

// New opens a store on a new, empty database: the open function of Run.
func (o Opener) New(t *testing.T) recall.Store {
	s, _ := o(t, "", nil)
	return s
}

// Two opens two stores on one new, empty database: the open function of
// RunTwoStores.
func (o Opener) Two(t *testing.T) (recall.Store, recall.Store) {
	s, db := o(t, "", nil)
	other, _ := o(t, db, nil)
	return s, other
}

// Metered opens a store on a new, empty database that counts in m: the
// open function of RunMetrics.
func (o Opener) Metered(t *testing.T, m *metrics.Metrics) recall.Store {
	s, _ := o(t, "", m)
	return s
}

// Bench opens a store on a new, empty database for a benchmark: the open
// function of BenchSaveTurn and BenchTopics.
func (o Opener) Bench(b *testing.B) recall.Store {
	s, _ := o(b, "", nil)
	return s
}

// Opened returns s, which an engine's Open returned with err, and closes it
// when tb ends; it fails tb now if err is not nil, and later if Close fails.
func Opened[S io.Closer](tb testing.TB, s S, err error) S {
	tb.Helper()
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}
