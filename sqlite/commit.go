package sqlite

import (
	"context"
	"errors"
	"sync/atomic"
)

// Group commit.
//
// SQLite has one writer at a time and every commit syncs the WAL
// (synchronous=FULL), so a store that commits each write alone serves at
// most one write per fsync. Instead, every write of a Store is a job for one
// goroutine, the committer, which owns the write connection: it takes the
// first job queued, then every job already waiting (up to maxBatch), runs
// them all in one transaction, commits it with one fsync, and only then
// acknowledges each job. While it commits, the next writes queue up, so the
// batch grows with the load and a lone write waits for nothing but its own
// commit: no timer, no added latency.
//
// Each job runs inside a SAVEPOINT of its own. A job that fails is rolled
// back to its savepoint and gets its error; its batch-mates go on and
// commit. If the transaction itself fails (BEGIN, a savepoint that cannot be
// rolled back because SQLite rolled the whole transaction back, or COMMIT),
// nothing of the batch was committed and each job is run again alone, in a
// transaction of its own, so that each gets its own outcome.
//
// A job's statements run under a context without cancellation: cancelling
// a statement interrupts SQLite, which may roll back the whole transaction
// and with it the batch-mates' work. A caller's context is honoured while
// the job waits: a job whose caller has given up is skipped, and the caller
// returns the context's error at once. A caller that gives up while its job
// runs gets the context's error too, and the write may still commit: the
// outcome of any database call cancelled in flight.

// maxBatch bounds the jobs of one transaction, so one commit's latency stays
// bounded however long the queue.
const maxBatch = 128

// Job states.
const (
	jobQueued int32 = iota
	jobClaimed
	jobAbandoned
)

// job is one write transaction's work, queued for the committer.
type job struct {
	ctx   context.Context
	op    string
	fn    func(ctx context.Context, c conn) error
	state atomic.Int32
	done  chan error // the job's translated result; buffered
}

// inTx runs fn as one write transaction, sharing the transaction (and its
// fsync) with the writes queued beside it (see Group commit), and returns
// once it is committed. fn runs under a context that is never cancelled;
// its statements count as writes of op. Errors are translated; a closed
// store gives EUNAVAILABLE.
func (s *Store) inTx(ctx context.Context, op string, fn func(ctx context.Context, c conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &job{ctx: ctx, op: op, fn: fn, done: make(chan error, 1)}
	select {
	case s.jobs <- j:
	case <-s.quit:
		return s.fail(ctx, op, errClosed)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		// Skipped if the committer has not claimed it yet; otherwise it
		// may still commit (see Group commit).
		j.state.CompareAndSwap(jobQueued, jobAbandoned)
		return ctx.Err()
	}
}

// errClosed is what a write gets once the store is closing.
var errClosed = errors.New("sql: database is closed")

// commitLoop is the committer: it runs until quit is closed. s.jobs is
// unbuffered, so a write that is waiting is one the loop can take, and none
// is left behind once it returns.
func (s *Store) commitLoop() {
	defer close(s.stopped)
	batch := make([]*job, 0, maxBatch)
	for {
		select {
		case j := <-s.jobs:
			batch = append(batch[:0], j)
		case <-s.quit:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break drain
			}
		}
		s.commit(batch)
		clear(batch)
		s.ws.prepareWanted()
	}
}

// commit runs the jobs of batch that their callers still wait for in one
// transaction and acknowledges each once it is settled.
func (s *Store) commit(batch []*job) {
	live := make([]*job, 0, len(batch))
	for _, j := range batch {
		if !j.state.CompareAndSwap(jobQueued, jobClaimed) {
			continue // its caller has returned
		}
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	s.metrics.DBBatch(len(live))
	errs := make([]error, len(live))
	if err := s.runBatch(live, errs); err != nil {
		if len(live) == 1 {
			errs[0] = err
		} else {
			// Nothing was committed: each job alone, for its own outcome.
			for i := range live {
				if err := s.runBatch(live[i:i+1], errs[i:i+1]); err != nil {
					errs[i] = err
				}
			}
		}
	}
	for i, j := range live {
		j.done <- s.fail(j.ctx, j.op, errs[i])
	}
}

// runBatch runs jobs in one transaction, each in a savepoint, sets errs[i]
// to the error of jobs[i] (nil if it succeeded) and commits. It returns an
// error, and commits nothing, if the transaction itself failed.
func (s *Store) runBatch(jobs []*job, errs []error) (err error) {
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for i, j := range jobs {
		ctx := context.WithoutCancel(j.ctx)
		if _, err := tx.ExecContext(ctx, `SAVEPOINT job`); err != nil {
			return err
		}
		errs[i] = j.fn(ctx, conn{s: s, tx: tx, op: j.op})
		if errs[i] != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO job`); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE job`); err != nil {
			return err
		}
	}
	return tx.Commit()
}
