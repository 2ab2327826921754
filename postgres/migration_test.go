package postgres_test

import (
	"os"
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
