// Package sqlite implements recall.Store on a SQLite file, through the
// pure-Go driver modernc.org/sqlite.
//
// # Connections
//
// A Store keeps two pools on one file. The write pool has exactly one
// connection, owned by one goroutine that commits the process's writes in
// groups (see commit.go), so writes queue in Go instead of fighting for
// SQLite's write lock, and share fsyncs. Its transactions start with BEGIN
// IMMEDIATE, so a second process on the same file (say `recall migrate` while a server runs)
// waits for the lock up front (busy_timeout) rather than failing half-way.
// The read pool has several query-only connections that, in WAL mode, read
// alongside the writer. Every connection gets its pragmas from the DSN
// (_pragma=...), so a connection the pool opens later has them too:
// busy_timeout=5000 and foreign_keys=ON on all; journal_mode=WAL and
// synchronous=FULL on the writer; query_only on the readers.
//
// synchronous=FULL rather than NORMAL: in WAL mode NORMAL is safe against a
// crash of the process but may lose the last commits on a power cut or an
// OS crash. Recall acknowledges a write only once it is durable, so every
// commit syncs the WAL. The cost is one fsync per commit, which the writes
// committed together share.
//
// # Times
//
// Times are stored as INTEGER Unix microseconds. Every time a Store returns
// is in UTC and truncated (floored) to the microsecond, so a time passed in
// with nanoseconds or in another zone comes back as t.UTC().Truncate(time.Microsecond).
// Stores do not modify the values they are given.
//
// # Errors
//
// Driver errors are translated here: unique violations become ECONFLICT,
// missing rows and foreign-key violations ENOTFOUND, a database that cannot
// be opened, is locked for longer than the busy timeout, fails to do I/O or
// is closed EUNAVAILABLE; a cancelled or expired context is returned as the
// context's error. Anything else is an internal error wrapping the cause.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/dbmigrate"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/storeerr"
)

//go:embed migration/*.sql
var migrationFS embed.FS

// Statement kinds for metrics.Metrics.DBQuery.
const (
	kindRead  = "read"
	kindWrite = "write"
)

// Pragmas every connection gets, in DSN form. busy_timeout is in
// milliseconds.
const (
	commonPragmas = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"
	writePragmas  = commonPragmas + "&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	readPragmas   = commonPragmas + "&_pragma=query_only(1)"
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Metrics counts every statement by kind ("read" or "write") and store
	// method. Nil counts nothing.
	Metrics *metrics.Metrics
	// Logger receives the migration log. Nil discards it.
	Logger *slog.Logger
}

// Store is the SQLite implementation of recall.Store. It is safe for
// concurrent use.
type Store struct {
	w       *sql.DB // the one writer connection, used by the committer
	r       *sql.DB // query-only readers
	ws, rs  *stmts  // the prepared statements of w and of r
	metrics *metrics.Metrics
	logger  *slog.Logger

	jobs    chan *job     // writes for the committer (commit.go); unbuffered
	quit    chan struct{} // closed by Close: the committer stops
	stopped chan struct{} // closed when the committer has stopped

	closeOnce sync.Once
	closeErr  error
}

var _ recall.Store = (*Store)(nil)

// Open opens (creating it and its parent directory if missing) the SQLite
// database at path and applies any pending migration. Returns EINVALID for
// an unusable path and EUNAVAILABLE if the database cannot be opened.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") || strings.Contains(path, ":memory:") {
		return nil, recall.Errorf(recall.EINVALID, "The SQLite path %q is not a plain file path.", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, storeerr.Unavailable(fmt.Errorf("sqlite: create directory: %w", err))
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{metrics: opts.Metrics, logger: logger}

	w, err := sql.Open("sqlite", path+"?"+writePragmas)
	if err != nil {
		return nil, storeerr.Unavailable(fmt.Errorf("sqlite: open: %w", err))
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.w = w
	s.ws = newStmts(w)
	// The writer connects first: it turns the file to WAL before any reader
	// opens it.
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, storeerr.Unavailable(fmt.Errorf("sqlite: open %s: %w", path, err))
	}

	r, err := sql.Open("sqlite", path+"?"+readPragmas)
	if err != nil {
		_ = w.Close()
		return nil, storeerr.Unavailable(fmt.Errorf("sqlite: open: %w", err))
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s.r = r
	s.rs = newStmts(r)

	s.jobs, s.quit, s.stopped = make(chan *job), make(chan struct{}), make(chan struct{})
	if err := s.Migrate(ctx); err != nil {
		close(s.stopped)
		_ = s.Close()
		return nil, err
	}
	go s.commitLoop()
	return s, nil
}

// Migrate opens the database at path, applies the pending migrations and
// closes it again: what `recall migrate` does.
func Migrate(ctx context.Context, path string, opts Options) error {
	return dbmigrate.Close(Open(ctx, path, opts))
}

// Migrate applies, in order, the migrations of sqlite/migration that the
// database has not recorded yet (goose's table goose_db_version), each in
// its own transaction. Open calls it; calling it again is a no-op. Its
// statements are not counted in the metrics.
func (s *Store) Migrate(ctx context.Context) error {
	if err := dbmigrate.Run(ctx, s.w, goose.DialectSQLite3, migrationFS, "migration", s.logger); err != nil {
		return storeerr.Wrap(ctx, "sqlite", "migrate", err, classify)
	}
	return nil
}

// Ping returns nil while the database answers a query (counted as a read
// of op "Ping"), EUNAVAILABLE otherwise, or the context's error.
func (s *Store) Ping(ctx context.Context) error {
	c := s.reader("Ping")
	var one int
	if err := c.queryRow(ctx, `SELECT 1 FROM sqlite_schema LIMIT 1`).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return storeerr.Unavailable(errors.New("sqlite: ping: the database has no schema"))
		}
		return storeerr.PingFailed(ctx, "sqlite", err)
	}
	return nil
}

// Close stops the committer once the batch it runs is committed (writes
// still waiting get EUNAVAILABLE) and closes both pools; it checkpoints the
// WAL when the last connection to the file closes. Calling it again returns
// the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.quit != nil {
			close(s.quit)
			<-s.stopped
		}
		var errs []error
		if s.rs != nil {
			errs = append(errs, s.rs.close())
		}
		if s.ws != nil {
			errs = append(errs, s.ws.close())
		}
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil {
			errs = append(errs, s.w.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// --- statements ---

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs statements for one store method, counting each: a reader's on
// the read pool, a writer's in the committer's transaction tx. They run
// prepared where they can (see Prepared statements).
type conn struct {
	s  *Store
	tx *sql.Tx // nil for a reader
	op string
}

// q is what c runs its unprepared statements on.
func (c conn) q() querier {
	if c.tx == nil {
		return c.s.r
	}
	return c.tx
}

// kind is c's statement kind for metrics.
func (c conn) kind() string {
	if c.tx == nil {
		return kindRead
	}
	return kindWrite
}

// stmt returns query's prepared statement for c, or nil to run the text
// unprepared.
func (c conn) stmt(ctx context.Context, query string) *sql.Stmt {
	if c.tx == nil {
		return c.s.rs.get(ctx, query)
	}
	st := c.s.ws.lookup(query)
	if st == nil {
		c.s.ws.want(query)
		return nil
	}
	return c.tx.StmtContext(ctx, st)
}

func (s *Store) reader(op string) conn { return conn{s: s, op: op} }

// before counts the statement about to be sent; a statement the context
// cancelled first is neither sent nor counted.
func (c conn) before(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.s.metrics.DBQuery(c.kind(), c.op)
	return nil
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := c.before(ctx); err != nil {
		return nil, err
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q().ExecContext(ctx, query, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := c.before(ctx); err != nil {
		return nil, err
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q().QueryContext(ctx, query, args...)
}

// row is a *sql.Row, or the error that kept the statement from running.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) row {
	if err := c.before(ctx); err != nil {
		return row{err: err}
	}
	if st := c.stmt(ctx, query); st != nil {
		return row{r: st.QueryRowContext(ctx, args...)}
	}
	return row{r: c.q().QueryRowContext(ctx, query, args...)}
}

// scanner is a row to read: a *sql.Row, a *sql.Rows or a row.
type scanner = interface{ Scan(dest ...any) error }

// collect reads every row of rows with scan, then closes rows. No rows give
// an empty slice, not nil.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	list := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return list, nil
}

// wantRows returns none if a write changed no row.
func wantRows(res sql.Result, none error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows affected: %w", err)
	}
	if n == 0 {
		return none
	}
	return nil
}

// --- errors ---

// fail translates err, returned by the store method op, into the error the
// caller gets (storeerr.Fail).
func (s *Store) fail(ctx context.Context, op string, err error) error {
	return storeerr.Fail(ctx, "sqlite", op, err, classify)
}

// classify is the storeerr.Classify of SQLite's driver errors.
func classify(err error) (code, msg string) {
	// A closed store: its pools, or a prepared statement that Close closed
	// under a call in flight.
	if msg := err.Error(); errors.Is(err, sql.ErrConnDone) || strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "sql: statement is closed") {
		return recall.EUNAVAILABLE, ""
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return recall.EINTERNAL, ""
	}
	switch code := se.Code(); code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return recall.ECONFLICT, "It exists already."
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return recall.ENOTFOUND, "It was not found."
	default:
		switch code & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_PERM, sqlite3.SQLITE_PROTOCOL:
			return recall.EUNAVAILABLE, ""
		}
	}
	return recall.EINTERNAL, ""
}

// isUnique reports whether err is a unique (or primary key) violation
// whose message names column, e.g. "users.username".
func isUnique(err error, column string) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code()
	return (c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) &&
		(column == "" || strings.Contains(se.Error(), column))
}

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// --- values ---

// toDB converts t to what the database keeps: Unix microseconds.
func toDB(t time.Time) int64 { return t.UnixMicro() }

// fromDB converts stored microseconds back to a time in UTC.
func fromDB(us int64) time.Time { return time.UnixMicro(us).UTC() }

// trunc returns t as a Store returns it: in UTC, floored to the microsecond.
func trunc(t time.Time) time.Time { return fromDB(toDB(t)) }

// nullText returns stored JSON (storecodec) for a TEXT column that may be
// NULL: nil is NULL.
func nullText(b []byte) sql.NullString {
	return sql.NullString{String: string(b), Valid: b != nil}
}
