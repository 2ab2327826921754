package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// Prepared statements.
//
// SQLite parses and plans a statement's SQL each time it is prepared, and
// database/sql prepares it again on every call made with a query text. A
// Store keeps one prepared statement per query text instead, so a hot
// statement is parsed and planned once per connection.
//
// Reads run on the read pool with a statement of the pool (sql.DB.Prepare).
// database/sql prepares it on each pooled connection the first time that
// connection runs it, and reuses it after that.
//
// Writes run inside the committer's transaction, on the one write
// connection. database/sql cannot prepare a statement of the pool while a
// transaction holds that connection: it would wait for the connection, and
// so for itself. The first run of a query text in a transaction is
// therefore unprepared, and the text is noted. The committer prepares the
// noted texts between batches, when the connection is free. Later
// transactions run them through Tx.StmtContext, which finds them already
// prepared on the connection.
//
// Query texts are constants of the code, so the set is small. A bound keeps
// a text built at run time from growing it without end: past maxStmts, a
// text runs unprepared as before.

// maxStmts bounds the statements prepared per pool.
const maxStmts = 256

// stmts holds the prepared statements of one pool.
type stmts struct {
	db *sql.DB
	m  sync.Map // query text → *sql.Stmt
	n  atomic.Int32

	mu     sync.Mutex
	wanted map[string]struct{} // write pool: texts to prepare between batches
}

func newStmts(db *sql.DB) *stmts { return &stmts{db: db} }

// lookup returns the statement prepared for query, or nil.
func (c *stmts) lookup(query string) *sql.Stmt {
	if v, ok := c.m.Load(query); ok {
		return v.(*sql.Stmt)
	}
	return nil
}

// get returns the statement prepared for query, preparing it now if need
// be (read pool only). It returns nil when the bound is reached or the
// statement cannot be prepared: the caller then runs the text unprepared,
// which reports the same error.
func (c *stmts) get(ctx context.Context, query string) *sql.Stmt {
	if st := c.lookup(query); st != nil {
		return st
	}
	if c.n.Load() >= maxStmts {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	return c.keep(query, st)
}

// keep stores st for query, or closes it and returns the one a racing call
// stored first.
func (c *stmts) keep(query string, st *sql.Stmt) *sql.Stmt {
	if prev, loaded := c.m.LoadOrStore(query, st); loaded {
		_ = st.Close()
		return prev.(*sql.Stmt)
	}
	c.n.Add(1)
	return st
}

// want notes query for prepareWanted (write pool).
func (c *stmts) want(query string) {
	if c.n.Load() >= maxStmts {
		return
	}
	c.mu.Lock()
	if c.wanted == nil {
		c.wanted = make(map[string]struct{})
	}
	c.wanted[query] = struct{}{}
	c.mu.Unlock()
}

// prepareWanted prepares the noted texts. The committer calls it between
// batches, while no transaction holds the write connection. A text that
// fails to prepare is dropped: it keeps running unprepared, and reports its
// error there.
func (c *stmts) prepareWanted() {
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for query := range wanted {
		if c.lookup(query) != nil || c.n.Load() >= maxStmts {
			continue
		}
		st, err := c.db.PrepareContext(context.Background(), query)
		if err != nil {
			continue
		}
		c.keep(query, st)
	}
}

// close closes every statement held.
func (c *stmts) close() error {
	var errs []error
	c.m.Range(func(k, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		c.m.Delete(k)
		return true
	})
	return errors.Join(errs...)
}
