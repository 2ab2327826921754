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
		{"driver timeout", fmt.Errorf("connect: %w", context.DeadlineExceeded), recall.EUNAVAILABLE},
		{"anything else", errors.New("cannot encode"), recall.EINTERNAL},
	} {
		if code, _ := classify(c.err); code != c.want {
			t.Errorf("%s: %q, want %q", c.name, code, c.want)
		}
	}
}

func TestFail(t *testing.T) {
	s := &Store{}
	t.Run("OKDomainErrorPasses", func(t *testing.T) {
		in := recall.Errorf(recall.ENOTFOUND, "Topic not found.")
		if err := s.fail(t.Context(), "Topic", in); err != error(in) {
			t.Errorf("fail(domain error) = %v, want it unchanged", err)
		}
	})
	t.Run("OKContextErrorWins", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.fail(ctx, "Topics", io.ErrUnexpectedEOF); !errors.Is(err, context.Canceled) {
			t.Errorf("fail(cancelled) = %v, want context.Canceled", err)
		}
	})
	t.Run("OKUnavailableKeepsCause", func(t *testing.T) {
		err := s.fail(t.Context(), "Topics", &pgconn.PgError{Code: "57P01"})
		if recall.ErrorCode(err) != recall.EUNAVAILABLE || recall.ErrorMessage(err) != "The database cannot be reached." {
			t.Errorf("fail(admin shutdown) = %v", err)
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			t.Errorf("fail(admin shutdown) = %v, lost its cause", err)
		}
	})
	t.Run("OKInternalIsWrapped", func(t *testing.T) {
		cause := errors.New("cannot encode")
		err := s.fail(t.Context(), "Topics", cause)
		if recall.ErrorCode(err) != recall.EINTERNAL || !errors.Is(err, cause) {
			t.Errorf("fail(other) = %v", err)
		}
	})
}
