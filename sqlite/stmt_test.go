package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/recallhq/recall"
)

// TestPreparedStatements checks that a statement is prepared once per
// query text and used again after that: a read on its first call, a write
// after the batch that first ran it. The same calls again prepare nothing
// more, and their results stay right.
func TestPreparedStatements(t *testing.T) {
	f := newGroupFixture(t) // a user and a topic: writes already ran
	s := f.s

	// The committer prepares a batch's texts before it takes the next
	// job, so once a later write has returned, an earlier one's texts are
	// prepared.
	f.ok(s.CreateTopic(f.ctx, &recall.Topic{ID: "t2", UserID: "u", Title: "Lakes", CreatedAt: f.at, UpdatedAt: f.at}))
	f.ok(s.CreateTopic(f.ctx, &recall.Topic{ID: "t3", UserID: "u", Title: "Seas", CreatedAt: f.at, UpdatedAt: f.at}))
	writes := s.ws.n.Load()
	if writes == 0 {
		t.Fatal("no write statement was prepared after three batches")
	}
	for i := range 5 {
		f.ok(s.CreateTopic(f.ctx, &recall.Topic{ID: fmt.Sprint("more", i), UserID: "u", Title: "More", CreatedAt: f.at, UpdatedAt: f.at}))
	}
	if n := s.ws.n.Load(); n != writes {
		t.Errorf("the same writes again prepared %d statements more", n-writes)
	}

	// A write's text: unprepared in the batch that first runs it, then
	// handed to the transactions after that batch, prepared.
	const touch = `UPDATE users SET username = username WHERE id = ?`
	var got []bool
	for range 3 {
		f.ok(s.inTx(f.ctx, "Test", func(ctx context.Context, c conn) error {
			got = append(got, c.stmt(ctx, touch) != nil)
			_, err := c.exec(ctx, touch, "u")
			return err
		}))
	}
	if !reflect.DeepEqual(got, []bool{false, true, true}) {
		t.Errorf("prepared statement of a write, by transaction: %v, want [false true true]", got)
	}

	// A read's text: the same statement each time.
	const one = `SELECT username FROM users WHERE id = ?`
	if a, b := s.reader("Test").stmt(f.ctx, one), s.reader("Test").stmt(f.ctx, one); a == nil || a != b {
		t.Errorf("read statements %p and %p: want one, prepared", a, b)
	}

	if _, err := s.UserByID(f.ctx, "u"); err != nil {
		t.Fatal(err)
	}
	reads := s.rs.n.Load()
	if reads == 0 {
		t.Fatal("a read prepared no statement")
	}
	for range 5 {
		u, err := s.UserByID(f.ctx, "u")
		if err != nil {
			t.Fatal(err)
		}
		if u.Username != "alice" {
			t.Fatalf("UserByID: %+v", u)
		}
	}
	ts, err := s.Topics(f.ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 8 {
		t.Errorf("%d topics, want 8", len(ts))
	}
	if n := s.rs.n.Load(); n <= reads {
		t.Errorf("Topics prepared no statement of its own (%d before, %d after)", reads, n)
	}
}

// TestPreparedStatementsBound checks that a pool prepares at most maxStmts
// statements: past the bound, a text runs unprepared and still works.
func TestPreparedStatementsBound(t *testing.T) {
	f := newGroupFixture(t)
	s := f.s
	for i := range maxStmts + 10 {
		// A distinct text each time, as a query built at run time would be.
		var n int
		if err := s.reader("Test").queryRow(f.ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != i {
			t.Fatalf("SELECT %d gave %d", i, n)
		}
	}
	if n := s.rs.n.Load(); n != maxStmts {
		t.Errorf("%d statements prepared, want the bound %d", n, maxStmts)
	}
}

// TestPreparedStatementAfterClose checks that a read that took its
// prepared statement just before the store closed gets EUNAVAILABLE, as
// any call to a closed store does, not an internal error; and that a read
// after Close does too.
func TestPreparedStatementAfterClose(t *testing.T) {
	f := newGroupFixture(t)
	const query = `SELECT username FROM users WHERE id = ?`
	c := f.s.reader("Test")
	st := c.stmt(f.ctx, query)
	if st == nil {
		t.Fatal("no statement prepared")
	}
	f.ok(f.s.Close())
	var name string
	err := st.QueryRowContext(f.ctx, "u").Scan(&name)
	if err == nil {
		t.Fatal("a statement of a closed store ran")
	}
	if code := recall.ErrorCode(f.s.fail(f.ctx, "Test", err)); code != recall.EUNAVAILABLE {
		t.Errorf("in flight at Close: %v gives %s, want EUNAVAILABLE", err, code)
	}
	if _, err := f.s.UserByID(f.ctx, "u"); recall.ErrorCode(err) != recall.EUNAVAILABLE {
		t.Errorf("UserByID on a closed store: %v (%s), want EUNAVAILABLE", err, recall.ErrorCode(err))
	}
}
