package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/recallhq/recall"
)

// TestMigrationBackfillsTopicStats applies the first schema only, stores
// completed and active sessions the old way, then opens the store (which
// applies the rest): the topics carry the stats the sessions give.
func TestMigrationBackfillsTopicStats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "recall.db")
	db, err := sql.Open("sqlite", path+"?"+writePragmas)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sub, err := fs.Sub(migrationFS, "migration")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users VALUES ('u', 'alice', 'h', 0)`,
		`INSERT INTO topics (id, user_id, title, created_at, updated_at) VALUES ('t', 'u', 'Rivers', 0, 0), ('e', 'u', 'Empty', 0, 0)`,
		`INSERT INTO sessions VALUES ('s1', 'u', 't', 'completed', '[]', 3, 2, 1, 1, 4, 5, 10, 100)`,
		`INSERT INTO sessions VALUES ('s2', 'u', 't', 'completed', '[]', 2, 2, 2, 0, 3, 4, 20, 300)`,
		`INSERT INTO sessions VALUES ('s3', 'u', 't', 'active', '[]', 1, 1, 1, 0, 1, 2, 30, 900)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	_ = db.Close()

	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	topics, err := s.Topics(t.Context(), "u")
	if err != nil {
		t.Fatal(err)
	}
	last := fromDB(300)
	want := map[string]recall.TopicStats{
		"t": {SessionsCompleted: 2, Answers: 5, Correct: 3, LastStudiedAt: &last},
		"e": {},
	}
	for _, tp := range topics {
		got, w := tp.Stats, want[tp.ID]
		if got.SessionsCompleted != w.SessionsCompleted || got.Answers != w.Answers || got.Correct != w.Correct ||
			(got.LastStudiedAt == nil) != (w.LastStudiedAt == nil) || (w.LastStudiedAt != nil && !got.LastStudiedAt.Equal(*w.LastStudiedAt)) {
			t.Errorf("topic %s: stats %+v, want %+v", tp.ID, got, w)
		}
	}
}
