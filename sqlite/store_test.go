package sqlite_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/sqlite"
	"github.com/recallhq/recall/storetest"
)

// open opens a store on a new file in a temporary directory and closes it
// when the test ends.
func open(tb testing.TB, opts sqlite.Options) (*sqlite.Store, string) {
	tb.Helper()
	path := newPath(tb)
	return openAt(tb, path, opts), path
}

// newPath returns the path of a database file that does not exist yet, in
// a directory that does not either.
func newPath(tb testing.TB) string { return filepath.Join(tb.TempDir(), "data", "recall.db") }

// openAt opens a store on the file at path and closes it when the test
// ends.
func openAt(tb testing.TB, path string, opts sqlite.Options) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), path, opts)
	return storetest.Opened(tb, s, err)
}

// opener is the storetest.Opener of SQLite: a database is a file, new ones
// in a temporary directory. A second store on a file has a writer
// connection of its own, like a second process: BEGIN IMMEDIATE and
// busy_timeout keep the two from failing each other (a deferred BEGIN of a
// transaction that reads before it writes would fail at once with
// SQLITE_BUSY when the other connection writes).
func opener(tb testing.TB, path string, m *metrics.Metrics) (recall.Store, string) {
	tb.Helper()
	if path == "" {
		path = newPath(tb)
	}
	return openAt(tb, path, sqlite.Options{Metrics: m}), path
}

func TestStore(t *testing.T) { storetest.Run(t, storetest.Opener(opener).New) }

// TestTwoStores runs writers on two stores on one file (see opener).
func TestTwoStores(t *testing.T) { storetest.RunTwoStores(t, storetest.Opener(opener).Two) }

// TestDueStart: a hot due start, through the caches, reads nothing from
// this store.
func TestDueStart(t *testing.T) { storetest.RunDueStart(t, storetest.Opener(opener).Metered) }

// TestMetrics pins down what each method costs in statements.
func TestMetrics(t *testing.T) {
	storetest.RunMetrics(t, storetest.Opener(opener).Metered, []storetest.Cost{
		storetest.Writes("CreateUser", 2),
		storetest.Writes("CreateTopic", 2),
		storetest.Writes("AddQuestions", 5), // per call, the topic's update, then 100 questions per INSERT: 1+2, 1+1
		storetest.Reads("Topics", 3),        // one statement per call
		storetest.Reads("Topic", 1),
		storetest.Reads("Questions", 1),
		storetest.Reads("UserByUsername", 1),
		storetest.Writes("UpdateTopic", 2),    // the update, then the topic read back in the transaction
		storetest.Writes("UpdateQuestion", 3), // the question read, its update, the topic's update
		storetest.Writes("CreateSession", 2),
		storetest.Writes("SaveTurn", 8), // the turn and the session, for each of the 4 turns, the refused one too
		storetest.Reads("SaveTurn", 0),  // no read
		storetest.Reads("Session", 1),   // keys included
		storetest.Reads("Turns", 1),
		storetest.Reads("Turn", 1),
		storetest.Reads("Ping", 1),
	})
}

func TestOpen(t *testing.T) {
	t.Run("OKCreatesDirectory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "recall.db")
		s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file: %v", err)
		}
		// journal_mode is kept in the file; the per-connection pragmas show
		// in behaviour (the contract suite's cascades need foreign_keys).
		var mode string
		if err := rawDB(t, path).QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
	})
	t.Run("ErrDirectoryAsFile", func(t *testing.T) {
		dir := t.TempDir()
		_, err := sqlite.Open(t.Context(), dir, sqlite.Options{})
		if code := recall.ErrorCode(err); code != recall.EUNAVAILABLE {
			t.Fatalf("Open(a directory) = %v (code %q), want %q", err, code, recall.EUNAVAILABLE)
		}
		if msg := recall.ErrorMessage(err); msg != "The database is unavailable." {
			t.Errorf("message = %q", msg)
		}
	})
	t.Run("ErrParentIsFile", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := sqlite.Open(t.Context(), filepath.Join(file, "recall.db"), sqlite.Options{})
		if code := recall.ErrorCode(err); code != recall.EUNAVAILABLE {
			t.Fatalf("Open(under a file) = %v (code %q), want %q", err, code, recall.EUNAVAILABLE)
		}
	})
	t.Run("ErrNotADatabase", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "recall.db")
		if err := os.WriteFile(file, []byte("this is not a SQLite database, not at all, not even close"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := sqlite.Open(t.Context(), file, sqlite.Options{})
		if code := recall.ErrorCode(err); code != recall.EUNAVAILABLE {
			t.Fatalf("Open(garbage) = %v (code %q), want %q", err, code, recall.EUNAVAILABLE)
		}
	})
	t.Run("ErrBadPath", func(t *testing.T) {
		for _, path := range []string{"", ":memory:", "file:x.db", filepath.Join(t.TempDir(), "x.db?mode=ro")} {
			_, err := sqlite.Open(t.Context(), path, sqlite.Options{})
			if code := recall.ErrorCode(err); code != recall.EINVALID {
				t.Errorf("Open(%q) = %v (code %q), want %q", path, err, code, recall.EINVALID)
			}
		}
	})
}

// rawDB opens the file with the driver directly, to look behind the store.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestMigrate(t *testing.T) {
	t.Run("OKTwiceIsNoop", func(t *testing.T) {
		s, path := open(t, sqlite.Options{})
		u, topic, _ := storetest.Seed(t, s, "alice", 0)
		db := rawDB(t, path)
		versions := func() []int64 {
			t.Helper()
			rows, err := db.QueryContext(t.Context(), `SELECT version_id FROM goose_db_version ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var vs []int64
			for rows.Next() {
				var v int64
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				vs = append(vs, v)
			}
			return vs
		}
		before := versions()
		if len(before) < 2 { // goose's version 0 and at least our first
			t.Fatalf("goose_db_version = %v, want version 0 and the migrations", before)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
		if err := sqlite.Migrate(t.Context(), path, sqlite.Options{}); err != nil {
			t.Fatalf("sqlite.Migrate on an open file: %v", err)
		}
		if after := versions(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("goose_db_version = %v after migrating again, want %v", after, before)
		}
		if _, err := s.Topic(t.Context(), u.ID, topic.ID); err != nil {
			t.Errorf("Topic after migrating again: %v", err)
		}
	})
	t.Run("OKStandalone", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new", "recall.db")
		if err := sqlite.Migrate(t.Context(), path, sqlite.Options{}); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		var n int
		if err := rawDB(t, path).QueryRowContext(t.Context(),
			`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('users', 'tokens', 'topics', 'questions', 'sessions', 'turns')`,
		).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 6 {
			t.Errorf("%d of the 6 tables exist after Migrate", n)
		}
	})
}

func TestReopen(t *testing.T) {
	t.Run("OKKeepsData", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "recall.db")
		ctx := t.Context()
		s, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		u, topic, _ := storetest.Seed(t, s, "alice", 0)
		qs := storetest.NewQuestions(topic.ID, 3)
		if err := s.AddQuestions(ctx, u.ID, topic.ID, qs); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		s, err = sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s.Close()
		got, err := s.Topic(ctx, u.ID, topic.ID)
		if err != nil {
			t.Fatalf("Topic after reopen: %v", err)
		}
		if len(got.QuestionIDs) != 3 || got.QuestionIDs[0] != qs[0].ID || got.QuestionIDs[2] != qs[2].ID {
			t.Errorf("QuestionIDs = %v after reopen, want %v %v %v", got.QuestionIDs, qs[0].ID, qs[1].ID, qs[2].ID)
		}
		if _, _, err := s.UserByUsername(ctx, "alice"); err != nil {
			t.Errorf("UserByUsername after reopen: %v", err)
		}
	})
}
