package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/recallhq/recall"
)

// TestClassify checks the translation of driver errors that the tests on
// the real server cannot provoke on demand (a server shutting down, out of
// connections, a standby, a deadlock...).
func TestClassify(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code}) }
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"unique violation", pg("23505"), recall.ECONFLICT},
		{"foreign-key violation", pg("23503"), recall.ENOTFOUND},
		{"serialization failure", pg("40001"), recall.ECONFLICT},
		{"deadlock", pg("40P01"), recall.ECONFLICT},
		{"NUL in text", pg("22021"), recall.EINVALID},
		{"\\u0000 in jsonb", pg("22P05"), recall.EINVALID},
		{"index row too large", pg("54000"), recall.ETOOLARGE},
		{"admin shutdown", pg("57P01"), recall.EUNAVAILABLE},
		{"crash shutdown", pg("57P02"), recall.EUNAVAILABLE},
		{"starting up", pg("57P03"), recall.EUNAVAILABLE},
		{"statement timeout", pg("57014"), recall.EUNAVAILABLE},
		{"read-only standby", pg("25006"), recall.EUNAVAILABLE},
		{"connection failure", pg("08006"), recall.EUNAVAILABLE},
		{"too many connections", pg("53300"), recall.EUNAVAILABLE},
		{"disk full", pg("53100"), recall.EUNAVAILABLE},
		{"undefined table", pg("42P01"), recall.EINTERNAL},
		{"syntax error", pg("42601"), recall.EINTERNAL},
		{"pool acquire", &acquireError{errors.New("closed pool")}, recall.EUNAVAILABLE},
		{"connect", &pgconn.ConnectError{Config: &pgconn.Config{}}, recall.EUNAVAILABLE},
		{"conn closed", fmt.Errorf("exec: %w", pgconn.ErrConnClosed), recall.EUNAVAILABLE},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), recall.EUNAVAILABLE},
		{"connection reset", fmt.Errorf("write: %w", &net.OpError{Op: "write", Err: syscall.ECONNRESET}), recall.EUNAVAILABLE},
		{"anything else", errors.New("cannot encode"), recall.EINTERNAL},
	} {
		if code, _ := classify(c.err); code != c.want {
			t.Errorf("%s: %q, want %q", c.name, code, c.want)
		}
	}
}

// TestFail checks what storeerr.Fail adds for this engine: a timeout of
// the driver's own (a context error while the caller's context is not done)
// is EUNAVAILABLE and keeps its cause.
func TestFail(t *testing.T) {
	s := &Store{}
	err := s.fail(t.Context(), "Topics", fmt.Errorf("connect: %w", context.DeadlineExceeded))
	if recall.ErrorCode(err) != recall.EUNAVAILABLE || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("fail(driver timeout) = %v, want EUNAVAILABLE with its cause", err)
	}
	err = s.fail(t.Context(), "Topics", &pgconn.PgError{Code: "57P01"})
	var pe *pgconn.PgError
	if recall.ErrorCode(err) != recall.EUNAVAILABLE || !errors.As(err, &pe) {
		t.Errorf("fail(admin shutdown) = %v, want EUNAVAILABLE with its cause", err)
	}
}
