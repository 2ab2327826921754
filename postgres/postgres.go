// Package postgres implements recall.Store on PostgreSQL (or an engine that
// speaks its protocol), through github.com/jackc/pgx/v5 and its pool.
//
// # Connections
//
// A Store keeps one pgxpool.Pool, configured by the URL (pool_max_conns,
// pool_max_conn_lifetime, ... are read from it). A URL without
// connect_timeout gets one of 5 s, so that a database that does not answer
// is reported as unavailable instead of hanging. Statements run in pgx's
// default mode, QueryExecModeCacheStatement: each connection prepares a
// statement the first time it sees it and reuses it afterwards.
//
// # Transactions and isolation
//
// Transactions run at READ COMMITTED, which is enough because no
// transaction here decides anything from a value it read earlier that
// another transaction could change before the commit:
//
//   - SaveTurn inserts the turn and updates the session WHERE version =
//     s.Version-1. When two turns race, the second UPDATE waits for the
//     first transaction's row lock and then re-checks its WHERE clause on
//     the row as committed: the version no longer matches, no row is
//     updated, and the store rolls back and reports ECONFLICT. Two turns with
//     one index collide on the turns primary key in the same way.
//   - Every change to a topic's question bank starts by updating the topic
//     row, which locks it: changes to one bank queue behind each other, and
//     the statements that follow the lock take a fresh snapshot (one per
//     statement at READ COMMITTED), so AddQuestions sees the end of the bank
//     as the previous writer left it and UpdateQuestion edits the question
//     as last committed. Taking the topic first everywhere also gives every
//     transaction the same lock order (topic, then its questions), as
//     DeleteTopic's cascade has, so they cannot deadlock.
//   - Everything else is a single statement.
//
// SERIALIZABLE would add nothing but serialization failures to retry.
// Transactions are begun in the same round trip as their first statements
// (pgx.Batch.BeginTx), so SaveTurn costs two round trips: BEGIN + INSERT +
// UPDATE, then COMMIT.
//
// # Times
//
// Times are stored as timestamptz. Every time a Store writes is first
// truncated (floored) to the microsecond, and every time it returns is in
// UTC: a time passed in comes back as t.UTC().Truncate(time.Microsecond).
// Stores do not modify the values they are given.
//
// # Errors
//
// Driver errors are translated here: unique violations (23505) become
// ECONFLICT, foreign-key violations (23503) ENOTFOUND, deadlocks and
// serialization failures ECONFLICT (try again); a pool that cannot hand out
// a connection, a failed connection attempt, a timeout, a broken connection,
// a server shutting down, out of resources or read-only (a standby after a
// failover), and a closed Store become EUNAVAILABLE ("The database is
// unavailable."); a cancelled or expired context is returned as the context's
// error. PostgreSQL text cannot hold NUL characters or invalid UTF-8: a
// write carrying them is EINVALID, and a lookup by such a key finds nothing.
// Anything else is an internal error wrapping the cause.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

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

// defaultConnectTimeout bounds a connection attempt when the URL does not
// set connect_timeout.
const defaultConnectTimeout = 5 * time.Second

// MigrationLockID is the key of the session-level advisory lock
// (pg_advisory_lock) that migrators hold while they migrate: "recall" and
// 1, in hex. A tool that changes the schema by other means can take it to
// keep the store's migrators out.
const MigrationLockID int64 = 0x7265_6361_6c6c_0001

// Options configures a Store. The zero value is usable.
type Options struct {
	// Metrics counts every statement by kind ("read" or "write") and store
	// method. Nil counts nothing.
	Metrics *metrics.Metrics
	// Logger receives the migration log. Nil discards it.
	Logger *slog.Logger
}

// Store is the PostgreSQL implementation of recall.Store. It is safe for
// concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	metrics *metrics.Metrics
	logger  *slog.Logger
}

var _ recall.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a libpq
// key=value string) and applies any pending migration. Returns EINVALID
// for a URL that cannot be parsed and EUNAVAILABLE if the database cannot
// be reached.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx masks the password in the message it returns.
		return nil, storeerr.WithCause(recall.Errorf(recall.EINVALID, "The PostgreSQL URL is invalid."),
			fmt.Errorf("postgres: parse URL: %w", err))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, storeerr.Unavailable(fmt.Errorf("postgres: open: %w", err))
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{pool: pool, metrics: opts.Metrics, logger: logger}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, storeerr.Unavailable(fmt.Errorf("postgres: open: %w", err))
	}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Migrate connects to the database at url, applies the pending migrations
// and disconnects: what `recall migrate` does.
func Migrate(ctx context.Context, url string, opts Options) error {
	return dbmigrate.Close(Open(ctx, url, opts))
}

// Migrate applies, in order, the migrations of postgres/migration that the
// database has not recorded yet (goose's table goose_db_version, in the
// first schema of the search path), each in its own transaction. Open
// calls it; calling it again is a no-op. Migrators hold a session-level
// advisory lock (MigrationLockID) while they apply migrations, so instances
// that start at once migrate one after the other and the later ones find
// nothing to do. (goose creates its version table before it takes the
// lock; on a new database, the creators that lose that race retry a second
// later.) Its statements are not counted in the metrics.
func (s *Store) Migrate(ctx context.Context) error {
	sqlDB := stdlib.OpenDBFromPool(s.pool) // goose speaks database/sql
	defer sqlDB.Close()
	if err := dbmigrate.Run(ctx, sqlDB, goose.DialectPostgres, migrationFS, "migration", s.logger,
		goose.WithSessionLocker(migrationLock{}),
	); err != nil {
		return storeerr.Wrap(ctx, "postgres", "migrate", err, classify)
	}
	return nil
}

// migrationLock is goose's session locker for this store: a blocking
// pg_advisory_lock, so that a second migrator waits exactly as long as the
// first one works. PostgreSQL releases the lock if the migrator's
// connection dies. (It needs session pooling: a transaction-mode pooler
// between the store and the database would break it.)
type migrationLock struct{}

var _ lock.SessionLocker = migrationLock{}

// SessionLock waits for the migration lock on conn.
func (migrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, MigrationLockID); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	return nil
}

// SessionUnlock releases the migration lock held on conn.
func (migrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	var released bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, MigrationLockID).Scan(&released); err != nil {
		return fmt.Errorf("release the migration lock: %w", err)
	}
	if !released {
		return errors.New("release the migration lock: it was not held")
	}
	return nil
}

// Ping returns nil while the database answers a round trip (counted as a
// read of op "Ping"), EUNAVAILABLE otherwise, or the context's error.
func (s *Store) Ping(ctx context.Context) error {
	pc, err := s.pool.Acquire(ctx)
	if err == nil {
		c := db{s: s, kind: kindRead, op: "Ping"}
		if err = c.before(ctx); err == nil {
			err = pc.Ping(ctx)
		}
		pc.Release()
	}
	if err == nil {
		return nil
	}
	return storeerr.PingFailed(ctx, "postgres", err)
}

// Close closes the pool, waiting for the connections in use to be
// returned. Calling it again does nothing. A closed Store answers
// EUNAVAILABLE.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// --- statements ---

// querier is what a pooled connection and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// db runs the statements of one store method, counting each.
type db struct {
	s    *Store
	q    querier
	kind string
	op   string
}

// before counts the statement about to be sent; a statement the context
// cancelled first is neither sent nor counted.
func (c db) before(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.s.metrics.DBQuery(c.kind, c.op)
	return nil
}

func (c db) exec(ctx context.Context, query string, args ...any) (pgconn.CommandTag, error) {
	if err := c.before(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return c.q.Exec(ctx, query, args...)
}

func (c db) query(ctx context.Context, query string, args ...any) (pgx.Rows, error) {
	if err := c.before(ctx); err != nil {
		return nil, err
	}
	return c.q.Query(ctx, query, args...)
}

// errRow is a pgx.Row for a statement that was never sent.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (c db) queryRow(ctx context.Context, query string, args ...any) pgx.Row {
	if err := c.before(ctx); err != nil {
		return errRow{err}
	}
	return c.q.QueryRow(ctx, query, args...)
}

// collect appends to list what scan reads from every row of rows, then
// closes rows.
func collect[T any](rows pgx.Rows, list []T, scan func(pgx.Row) (T, error)) ([]T, error) {
	return pgx.AppendRows(list, rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
}

// acquireError is a failure to get a connection from the pool: the
// database cannot be reached, or the Store is closed.
type acquireError struct{ err error }

func (e *acquireError) Error() string { return "acquire a connection: " + e.err.Error() }
func (e *acquireError) Unwrap() error { return e.err }

// do runs fn on a pooled connection and translates the error it returns.
func (s *Store) do(ctx context.Context, kind, op string, fn func(c db) error) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.fail(ctx, op, &acquireError{err})
	}
	defer pc.Release()
	return s.fail(ctx, op, fn(db{s: s, q: pc, kind: kind, op: op}))
}

// stmt is a statement and its arguments.
type stmt struct {
	sql  string
	args []any
}

// txn is a write transaction begun in the same round trip as its first
// statements. next and nextRow read their results in order; rest then
// gives what runs further statements in the transaction.
type txn struct {
	c  db
	br pgx.BatchResults
}

// next reads the result of the next of the first statements.
func (t *txn) next() (pgconn.CommandTag, error) { return t.br.Exec() }

// nextRow reads the row of the next of the first statements.
func (t *txn) nextRow() pgx.Row { return t.br.QueryRow() }

// rest finishes reading the first statements' results and returns what
// runs further statements in the transaction.
func (t *txn) rest() (db, error) { return t.c, t.br.Close() }

// inTx runs one READ COMMITTED write transaction: BEGIN and first are sent
// in one round trip, fn reads their results (and may run more statements),
// and the transaction commits if fn returns nil and rolls back otherwise.
// Its statements count as writes of op; errors are translated.
func (s *Store) inTx(ctx context.Context, op string, first []stmt, fn func(t *txn) error) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.fail(ctx, op, &acquireError{err})
	}
	defer pc.Release() // a connection left inside a transaction is destroyed, not reused
	c := db{s: s, kind: kindWrite, op: op}
	if err := ctx.Err(); err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	for _, st := range first {
		b.Queue(st.sql, st.args...)
		s.metrics.DBQuery(kindWrite, op)
	}
	br := pc.SendBatch(ctx, b)
	tx := br.Tx()
	c.q = tx
	t := &txn{c: c, br: br}
	_, err = br.Exec() // BEGIN
	if err == nil {
		err = fn(t)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = tx.Commit(ctx)
		if err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	}
	_ = tx.Rollback(ctx) // on failure pgx closes the connection, which rolls back
	return s.fail(ctx, op, err)
}

// --- errors ---

// fail translates err, returned by the store method op, into the error the
// caller gets (storeerr.Fail).
func (s *Store) fail(ctx context.Context, op string, err error) error {
	return storeerr.Fail(ctx, "postgres", op, err, classify)
}

// classify is the storeerr.Classify of pgx's errors.
func classify(err error) (code, msg string) {
	var (
		ae *acquireError
		ce *pgconn.ConnectError
		pe *pgconn.PgError
	)
	switch {
	case errors.As(err, &ae), errors.As(err, &ce):
		return recall.EUNAVAILABLE, ""
	case errors.As(err, &pe):
		return classifyState(pe.Code)
	case pgconn.Timeout(err), pgconn.SafeToRetry(err), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return recall.EUNAVAILABLE, ""
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return recall.EUNAVAILABLE, ""
	}
	return recall.EINTERNAL, ""
}

// classifyState maps an SQLSTATE.
func classifyState(state string) (code, msg string) {
	switch state {
	case "23505": // unique_violation
		return recall.ECONFLICT, "It exists already."
	case "23503": // foreign_key_violation
		return recall.ENOTFOUND, "It was not found."
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return recall.ECONFLICT, "A concurrent change got in the way; try again."
	case "22021", "22P05": // character_not_in_repertoire (NUL, bad UTF-8), untranslatable_character (\u0000 in jsonb)
		return recall.EINVALID, "Text must be valid UTF-8 without NUL characters."
	case "54000": // program_limit_exceeded, e.g. an index row too large
		return recall.ETOOLARGE, "A value is too large to store."
	case "57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
		"57014", // query_canceled: statement_timeout, or a cancel the caller did not ask for
		"25006", // read_only_sql_transaction: a standby, e.g. just after a failover
		"55P03": // lock_not_available: lock_timeout
		return recall.EUNAVAILABLE, ""
	}
	switch state[:2] {
	case "08", // connection_exception
		"53": // insufficient_resources: disk full, out of memory, too many connections
		return recall.EUNAVAILABLE, ""
	}
	return recall.EINTERNAL, ""
}

// pgState returns the SQLSTATE and constraint of a server error, or "".
func pgState(err error) (state, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

// isUnique reports whether err is a unique violation of constraint (of
// any constraint if it is "").
func isUnique(err error, constraint string) bool {
	state, c := pgState(err)
	return state == "23505" && (constraint == "" || c == constraint)
}

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool {
	state, _ := pgState(err)
	return state == "23503"
}

// --- values ---

// toDB returns t as it is stored: floored to the microsecond.
func toDB(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// fromDB returns a stored time in UTC.
func fromDB(t time.Time) time.Time { return t.UTC() }

// badKey reports whether any of keys cannot be stored in a text column
// (invalid UTF-8, or a NUL): a lookup by it can only find nothing.
func badKey(keys ...string) bool {
	for _, k := range keys {
		if !utf8.ValidString(k) || strings.IndexByte(k, 0) >= 0 {
			return true
		}
	}
	return false
}

// RedactURL returns a database URL or libpq key=value string with its
// passwords replaced by xxxxx, for logs and messages: the user's password
// (url.URL.Redacted) and any password= setting. A URL that does not parse
// is not shown at all.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if u.Scheme != "" || u.User != nil {
		// A URL, or a scheme-less one with user info ("//u:pw@h").
		s = u.Redacted()
	}
	return passwordSetting.ReplaceAllString(s, "${1}xxxxx")
}

// passwordSetting finds the value of a password setting, in a URL's query
// (password=…&) or a key=value string (password=… or password='…').
var passwordSetting = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('[^']*'|[^\s&#]*)`)
