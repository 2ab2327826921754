package postgres_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/recallhq/recall/postgres"
)

// TestMigrationBackfillsTopicStats applies the first schema only, stores
// completed and active sessions the old way, then migrates the rest: the
// topics carry the stats the sessions give.
func TestMigrationBackfillsTopicStats(t *testing.T) {
	skipShort(t)
	u := newSchema(t)
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migration"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	at := func(us int) time.Time { return time.UnixMicro(int64(us)).UTC() }
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO users VALUES ('u', 'alice', 'h', $1)`, []any{at(0)}},
		{`INSERT INTO topics (id, user_id, title, created_at, updated_at) VALUES ('t', 'u', 'Rivers', $1, $1), ('e', 'u', 'Empty', $1, $1)`, []any{at(0)}},
		{`INSERT INTO sessions VALUES ('s1', 'u', 't', 'completed', '{}', 3, 2, 1, 1, 4, 5, $1, $2)`, []any{at(10), at(100)}},
		{`INSERT INTO sessions VALUES ('s2', 'u', 't', 'completed', '{}', 2, 2, 2, 0, 3, 4, $1, $2)`, []any{at(20), at(300)}},
		{`INSERT INTO sessions VALUES ('s3', 'u', 't', 'active', '{}', 1, 1, 1, 0, 1, 2, $1, $2)`, []any{at(30), at(900)}},
	} {
		if _, err := db.ExecContext(t.Context(), q.sql, q.args...); err != nil {
			t.Fatal(q.sql, err)
		}
	}
	s, err := postgres.Open(t.Context(), u, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	topics, err := s.Topics(t.Context(), "u")
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range topics {
		got := tp.Stats
		switch tp.ID {
		case "t":
			if got.SessionsCompleted != 2 || got.Answers != 5 || got.Correct != 3 || got.LastStudiedAt == nil || !got.LastStudiedAt.Equal(at(300)) {
				t.Errorf("topic t: stats %+v, want 2 sessions, 5 answers, 3 correct, last studied at 300µs", got)
			}
		case "e":
			if got.SessionsCompleted != 0 || got.Answers != 0 || got.Correct != 0 || got.LastStudiedAt != nil {
				t.Errorf("topic e: stats %+v, want none", got)
			}
		}
	}
}

// TestQuestionIDsFromIndex: the unique index on a topic's question
// positions carries the question's ID (migration 00009), so the topic
// reads' ordered list of IDs can come from the index alone. With the
// planner kept to index scans, the read is an index-only scan; without the
// ID in the index it is an index scan that reads every question's row.
func TestQuestionIDsFromIndex(t *testing.T) {
	skipShort(t)
	_, u := open(t, postgres.Options{})
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	// A table this small is read whole unless seq and bitmap scans are off.
	for _, q := range []string{`SET LOCAL enable_seqscan = off`, `SET LOCAL enable_bitmapscan = off`} {
		if _, err := tx.ExecContext(t.Context(), q); err != nil {
			t.Fatal(q, err)
		}
	}
	rows, err := tx.QueryContext(t.Context(), `EXPLAIN SELECT q.id FROM questions q WHERE q.topic_id = 't' ORDER BY q.position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(plan, "\n"); !strings.Contains(all, "Index Only Scan using questions_topic_id_position_key") {
		t.Errorf("a topic's question IDs are not read from the index alone; plan:\n%s", all)
	}
}
