package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// groupFixture is a store with one user, one topic and sessions to take
// turns on, for tests that build a batch by hand.
type groupFixture struct {
	t   *testing.T
	s   *Store
	ctx context.Context
	at  time.Time
}

func newGroupFixture(t *testing.T) *groupFixture {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "recall.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	f := &groupFixture{t: t, s: s, ctx: t.Context(), at: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.ok(s.CreateUser(f.ctx, &recall.User{ID: "u", Username: "alice", CreatedAt: f.at}, "hash"))
	f.ok(s.CreateTopic(f.ctx, &recall.Topic{ID: "t", UserID: "u", Title: "Rivers", CreatedAt: f.at, UpdatedAt: f.at}))
	return f
}

func (f *groupFixture) ok(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// session creates an active session and returns it.
func (f *groupFixture) session(id string) *recall.Session {
	ss := &recall.Session{ID: id, UserID: "u", TopicID: "t", State: recall.SessionActive,
		QuestionIDs: []string{"q1"}, Version: 1, CreatedAt: f.at, UpdatedAt: f.at}
	f.ok(f.s.CreateSession(f.ctx, ss))
	return ss
}

// turn returns the job of the first turn (a hint) on ss, which saves ss at
// version+1; a version of 0 means ss.Version+1.
func (f *groupFixture) turn(ctx context.Context, ss *recall.Session, version int64) *job {
	next := ss.Clone()
	next.Turns++
	next.Version = ss.Version + 1
	if version != 0 {
		next.Version = version
	}
	fn, err := saveTurn(next, &recall.Turn{SessionID: ss.ID, Index: 0, Kind: recall.TurnHint, Message: "/hint", CreatedAt: f.at})
	f.ok(err)
	return &job{ctx: ctx, op: "SaveTurn", fn: fn, done: make(chan error, 1)}
}

// saved reports whether ss's first turn is stored, and the stored version.
func (f *groupFixture) saved(ss *recall.Session) (bool, int64) {
	f.t.Helper()
	got, err := f.s.Session(f.ctx, ss.ID)
	f.ok(err)
	_, err = f.s.Turn(f.ctx, ss.ID, 0)
	if err != nil && recall.ErrorCode(err) != recall.ENOTFOUND {
		f.t.Fatal(err)
	}
	return err == nil, got.Version
}

// result returns the acknowledgement of j; commit has sent it.
func result(t *testing.T, j *job) error {
	t.Helper()
	select {
	case err := <-j.done:
		return err
	default:
		t.Fatalf("job of %s not acknowledged", j.op)
		return nil
	}
}

// TestGroupCommit drives batches through commit itself, the committer's
// step, while the committer goroutine idles (it holds the write connection
// only while it commits), so a batch is exactly what the test makes it.
func TestGroupCommit(t *testing.T) {
	t.Run("OKFailingWriteFailsAlone", func(t *testing.T) {
		f := newGroupFixture(t)
		a, b, c, d := f.session("a"), f.session("b"), f.session("c"), f.session("d")
		dup := f.turn(f.ctx, d, 0)
		f.ok(f.s.inTx(f.ctx, "SaveTurn", dup.fn)) // d's turn 0 exists: the next one conflicts on its index
		// b's turn is inserted, then its session update finds the wrong
		// version: its savepoint must take its turn back out.
		batch := []*job{f.turn(f.ctx, a, 0), f.turn(f.ctx, b, 5), f.turn(f.ctx, c, 0), f.turn(f.ctx, d, 3)}
		f.s.commit(batch)

		for i, want := range []string{"", recall.ECONFLICT, "", recall.ECONFLICT} {
			if err := result(t, batch[i]); recall.ErrorCode(err) != want && !(want == "" && err == nil) {
				t.Errorf("job %d: got %v, want code %q", i, err, want)
			}
		}
		for _, tc := range []struct {
			ss      *recall.Session
			turn    bool
			version int64
		}{{a, true, 2}, {b, false, 1}, {c, true, 2}, {d, true, 2}} {
			if turn, version := f.saved(tc.ss); turn != tc.turn || version != tc.version {
				t.Errorf("session %s: turn stored %v at version %d, want %v at %d", tc.ss.ID, turn, version, tc.turn, tc.version)
			}
		}
	})

	t.Run("OKTransactionLostRunsEachAlone", func(t *testing.T) {
		// A write that ends the whole transaction (as SQLite does on some
		// I/O errors) leaves the batch nothing to commit: every other job
		// is run again alone and succeeds; the culprit fails.
		f := newGroupFixture(t)
		a, b := f.session("a"), f.session("b")
		boom := errors.New("boom")
		rogue := &job{ctx: f.ctx, op: "Rogue", done: make(chan error, 1), fn: func(ctx context.Context, c conn) error {
			if _, err := c.exec(ctx, `ROLLBACK`); err != nil {
				return err
			}
			return boom
		}}
		batch := []*job{f.turn(f.ctx, a, 0), rogue, f.turn(f.ctx, b, 0)}
		f.s.commit(batch)

		if err := result(t, rogue); err == nil {
			t.Error("the rogue job succeeded")
		}
		for i, ss := range []*recall.Session{a, b} {
			if err := result(t, batch[2*i]); err != nil {
				t.Errorf("session %s: %v", ss.ID, err)
			}
			if turn, version := f.saved(ss); !turn || version != 2 {
				t.Errorf("session %s: turn stored %v at version %d, want true at 2", ss.ID, turn, version)
			}
		}
		// The store goes on writing.
		f.ok(f.s.CreateTopic(f.ctx, &recall.Topic{ID: "t2", UserID: "u", Title: "Lakes", CreatedAt: f.at, UpdatedAt: f.at}))
	})

	t.Run("OKCancelledWhileQueuedIsSkipped", func(t *testing.T) {
		f := newGroupFixture(t)
		a, b, c := f.session("a"), f.session("b"), f.session("c")
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		gone := f.turn(f.ctx, c, 0)
		gone.state.Store(jobAbandoned) // its caller returned while it waited
		batch := []*job{f.turn(f.ctx, a, 0), f.turn(ctx, b, 0), gone}
		f.s.commit(batch)

		if err := result(t, batch[0]); err != nil {
			t.Errorf("live job: %v", err)
		}
		if err := result(t, batch[1]); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled job: got %v, want context.Canceled", err)
		}
		select {
		case err := <-gone.done:
			t.Errorf("abandoned job acknowledged with %v", err)
		default:
		}
		for _, tc := range []struct {
			ss   *recall.Session
			turn bool
		}{{a, true}, {b, false}, {c, false}} {
			if turn, _ := f.saved(tc.ss); turn != tc.turn {
				t.Errorf("session %s: turn stored %v, want %v", tc.ss.ID, turn, tc.turn)
			}
		}
	})

	t.Run("OKConcurrentWritesAllLand", func(t *testing.T) {
		// Through the committer: many writers at once, every acknowledged
		// write is stored, every refused one is not.
		f := newGroupFixture(t)
		const n = 64
		errs := make(chan error, n)
		sessions := make([]*recall.Session, n)
		for i := range sessions {
			sessions[i] = f.session(fmt.Sprintf("s%02d", i))
		}
		for i, ss := range sessions {
			go func() {
				version := int64(0)
				if i%4 == 3 {
					version = 9 // refused
				}
				errs <- f.s.inTx(f.ctx, "SaveTurn", f.turn(f.ctx, ss, version).fn)
			}()
		}
		for range n {
			<-errs
		}
		for i, ss := range sessions {
			if turn, _ := f.saved(ss); turn != (i%4 != 3) {
				t.Errorf("session %s: turn stored %v", ss.ID, turn)
			}
		}
	})
}

func TestCloseFailsQueuedWrites(t *testing.T) {
	f := newGroupFixture(t)
	ss := f.session("a")
	f.ok(f.s.Close())
	err := f.s.inTx(f.ctx, "SaveTurn", f.turn(f.ctx, ss, 0).fn)
	if recall.ErrorCode(err) != recall.EUNAVAILABLE {
		t.Errorf("write after Close: got %v, want EUNAVAILABLE", err)
	}
}
