package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/sqlite"
	"github.com/recallhq/recall/storetest"
)

// open opens a store on a new file in a temporary directory and closes it
// when the test ends.
func open(tb testing.TB, opts sqlite.Options) (*sqlite.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "data", "recall.db")
	s, err := sqlite.Open(tb.Context(), path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) recall.Store {
		s, _ := open(t, sqlite.Options{})
		return s
	})
}

// fixture data shared by the SQLite-specific tests.
func seed(tb testing.TB, s *sqlite.Store, name string) (*recall.User, *recall.Topic) {
	tb.Helper()
	ctx := tb.Context()
	now := time.Now()
	u := &recall.User{ID: recall.NewID(), Username: name, CreatedAt: now}
	if err := s.CreateUser(ctx, u, "hash"); err != nil {
		tb.Fatalf("CreateUser: %v", err)
	}
	t := &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: "Rivers", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateTopic(ctx, t); err != nil {
		tb.Fatalf("CreateTopic: %v", err)
	}
	return u, t
}

func newQuestions(topicID string, n int) []*recall.Question {
	now := time.Now()
	qs := make([]*recall.Question, n)
	for i := range qs {
		qs[i] = &recall.Question{ID: recall.NewID(), TopicID: topicID, Prompt: fmt.Sprintf("Q%d?", i),
			Answers: []string{fmt.Sprint(i)}, CreatedAt: now, UpdatedAt: now}
	}
	return qs
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
		u, topic := seed(t, s, "alice")
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
		u, topic := seed(t, s, "alice")
		qs := newQuestions(topic.ID, 3)
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

func TestClose(t *testing.T) {
	t.Run("OKIdempotent", func(t *testing.T) {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "recall.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close again: %v", err)
		}
	})
	t.Run("ErrUnavailableAfterClose", func(t *testing.T) {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "recall.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping while open: %v", err)
		}
		s.Close()
		if err := s.Ping(t.Context()); recall.ErrorCode(err) != recall.EUNAVAILABLE {
			t.Errorf("Ping after Close = %v, want EUNAVAILABLE", err)
		}
		if _, err := s.Topics(t.Context(), "u"); recall.ErrorCode(err) != recall.EUNAVAILABLE {
			t.Errorf("Topics after Close = %v, want EUNAVAILABLE", err)
		}
		err = s.CreateUser(t.Context(), &recall.User{ID: "u", Username: "alice"}, "h")
		if recall.ErrorCode(err) != recall.EUNAVAILABLE {
			t.Errorf("CreateUser after Close = %v, want EUNAVAILABLE", err)
		}
		if msg := recall.ErrorMessage(err); msg != "The database is unavailable." {
			t.Errorf("message = %q", msg)
		}
	})
}

func TestContext(t *testing.T) {
	t.Run("ErrCanceledPassesThrough", func(t *testing.T) {
		s, _ := open(t, sqlite.Options{})
		u, _ := seed(t, s, "alice")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Topics(ctx, u.ID); !errors.Is(err, context.Canceled) {
			t.Errorf("Topics(cancelled) = %v, want context.Canceled", err)
		}
		err := s.CreateTopic(ctx, &recall.Topic{ID: "t", UserID: u.ID, Title: "x"})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("CreateTopic(cancelled) = %v, want context.Canceled", err)
		}
		if err := s.SaveTurn(ctx, &recall.Session{ID: "s", Version: 2}, &recall.Turn{}); !errors.Is(err, context.Canceled) {
			t.Errorf("SaveTurn(cancelled) = %v, want context.Canceled", err)
		}
	})
	t.Run("ErrCanceledDuringLatency", func(t *testing.T) {
		// A latency far beyond the test's life: only the cancellation can
		// end the statement's wait.
		s, _ := open(t, sqlite.Options{Latency: time.Hour})
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := s.Topics(ctx, "u")
			errc <- err
		}()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Topics = %v, want context.Canceled", err)
		}
	})
}

func TestConcurrentWriters(t *testing.T) {
	t.Run("OKNoBusy", func(t *testing.T) {
		s, path := open(t, sqlite.Options{})
		// A second store on the same file has a writer connection of its
		// own, like a second process: BEGIN IMMEDIATE and busy_timeout keep
		// the two from failing each other.
		other, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()

		u, topic := seed(t, s, "alice")
		const writers, rounds = 8, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers*rounds*4)
		for w := range writers {
			store := s
			if w%2 == 1 {
				store = other
			}
			wg.Go(func() {
				for r := range rounds {
					qs := newQuestions(topic.ID, 2)
					if err := store.AddQuestions(t.Context(), u.ID, topic.ID, qs); err != nil {
						errs <- fmt.Errorf("writer %d round %d: AddQuestions: %w", w, r, err)
					}
					// A transaction that reads before it writes: the case
					// where a deferred BEGIN would fail at once with
					// SQLITE_BUSY when another connection writes.
					hint := fmt.Sprintf("hint %d/%d", w, r)
					if _, err := store.UpdateQuestion(t.Context(), u.ID, topic.ID, qs[0].ID, recall.QuestionInput{Hint: &hint}, time.Now()); err != nil {
						errs <- fmt.Errorf("writer %d round %d: UpdateQuestion: %w", w, r, err)
					}
					now := time.Now()
					tp := &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: "T", CreatedAt: now, UpdatedAt: now}
					if err := store.CreateTopic(t.Context(), tp); err != nil {
						errs <- fmt.Errorf("writer %d round %d: CreateTopic: %w", w, r, err)
					}
					if _, err := store.Topics(t.Context(), u.ID); err != nil {
						errs <- fmt.Errorf("writer %d round %d: Topics: %w", w, r, err)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		qs, err := s.Questions(t.Context(), topic.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) != writers*rounds*2 {
			t.Errorf("%d questions, want %d", len(qs), writers*rounds*2)
		}
		topics, err := s.Topics(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(topics) != writers*rounds+1 {
			t.Errorf("%d topics, want %d", len(topics), writers*rounds+1)
		}
	})
}

func TestMetrics(t *testing.T) {
	t.Run("OKCountsStatements", func(t *testing.T) {
		m := metrics.New(nil)
		s, _ := open(t, sqlite.Options{Metrics: m})
		count := func(kind, op string) float64 {
			return testutil.ToFloat64(m.DBQueries.WithLabelValues(kind, op))
		}
		ctx := t.Context()
		now := time.Now()
		u := &recall.User{ID: recall.NewID(), Username: "alice", CreatedAt: now}
		if err := s.CreateUser(ctx, u, "h"); err != nil {
			t.Fatal(err)
		}
		topic := &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: "T", CreatedAt: now, UpdatedAt: now}
		if err := s.CreateTopic(ctx, topic); err != nil {
			t.Fatal(err)
		}
		qs := newQuestions(topic.ID, 150)
		if err := s.AddQuestions(ctx, u.ID, topic.ID, qs); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := s.Topics(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		sess := &recall.Session{ID: recall.NewID(), UserID: u.ID, TopicID: topic.ID, State: recall.SessionActive,
			QuestionIDs: []string{qs[0].ID}, Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		next := sess.Clone()
		next.Version, next.Turns = 2, 1
		if err := s.SaveTurn(ctx, next, &recall.Turn{SessionID: sess.ID, Index: 0, Kind: recall.TurnHint, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, sess.ID); err != nil {
			t.Fatal(err)
		}

		for _, c := range []struct {
			kind, op string
			want     float64
		}{
			{"write", "CreateUser", 1},
			{"write", "CreateTopic", 1},
			{"write", "AddQuestions", 3}, // the topic's update, then 100 + 50 questions
			{"read", "Topics", 3},        // one statement per call
			{"write", "CreateSession", 1},
			{"write", "SaveTurn", 2}, // the turn and the session, no read
			{"read", "SaveTurn", 0},
			{"read", "Session", 1},
		} {
			if got := count(c.kind, c.op); got != c.want {
				t.Errorf("recall_db_queries_total{kind=%q,op=%q} = %v, want %v", c.kind, c.op, got, c.want)
			}
		}
	})
}
