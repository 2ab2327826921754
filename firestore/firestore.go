// Package firestore implements recall.Store on Google Cloud Firestore (in
// Native mode), through cloud.google.com/go/firestore.
//
// # Documents
//
// The model follows the access paths rather than the SQL tables; README.md
// in this directory draws it. Every entity whose ID the domain treats as
// global (users, topics, questions, sessions) is a top-level collection, so
// that an ID is unique across users (Create fails on a taken one) and a
// document is addressed without knowing its owner: Questions(topicID) and
// SaveTurn need no user. Ownership is a user_id field, checked on every
// method that takes a user ID. All queries are single-field equalities
// (user_id or topic_id), served by Firestore's automatic single-field
// indexes; ordering is done in Go, so no composite index is needed.
//
// A topic document carries its bank's question IDs in bank order and the
// running stats of its completed sessions, so Topics is one query and
// Topic one read. A session document carries its idempotency keys, so
// Session is one read.
//
// # SaveTurn without a read
//
// SaveTurn commits one transaction that reads nothing. Firestore has no
// compare-and-set on a field, so the version check is made with
// preconditions on guard documents: sessions/{id}/guards/{version}-{state}
// exists for the session's current version and nothing else. A turn
// deletes the guard of version s.Version-1 in state "active" (with an
// exists precondition) and creates the guard of s.Version; it creates the
// turn document (a used index fails), the idempotency-key document (a used
// key fails) and updates the session (a missing session fails). The commit
// is atomic, so of two turns built on one version exactly one commits. When
// the turn completes the session, the same commit increments the topic's
// counters. Only when the commit is refused does the store read, to tell
// ENOTFOUND from ECONFLICT, or to apply, in a read-write transaction, a
// turn on a session that was already completed (the engine never sends
// one; the counters then move by the difference).
//
// # Counting
//
// Firestore bills per document read, so recall_db_queries_total counts, as
// kind "read", one per document fetched by a lookup and one per query; and
// as kind "write" one per commit (a commit may write many documents).
//
// # Times
//
// Times are stored as Firestore timestamps, floored to the microsecond
// first; every time a Store returns is in UTC. The one exception is the
// topic's last_studied_us (Unix microseconds), because Firestore's maximum
// transform works on numbers only.
//
// # Errors
//
// gRPC status codes are translated: NotFound becomes ENOTFOUND,
// AlreadyExists and Aborted (a transaction that kept losing) ECONFLICT,
// InvalidArgument (a value Firestore refuses, such as a document over
// 1 MiB) and invalid UTF-8 EINVALID; Unavailable, DeadlineExceeded,
// ResourceExhausted, Unauthenticated, PermissionDenied and a closed client
// EUNAVAILABLE. A cancelled or expired context is returned as the context's
// error. Anything else is an internal error wrapping the cause.
package firestore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/storeerr"
)

// Operation kinds for metrics.Metrics.DBQuery.
const (
	kindRead  = "read"
	kindWrite = "write"
)

// Top-level collections and subcollections.
const (
	colUsers     = "users"
	colUsernames = "usernames"
	colTokens    = "tokens"
	colTopics    = "topics"
	colQuestions = "questions"
	colSessions  = "sessions"
	colTurns     = "turns"
	colKeys      = "keys"
	colGuards    = "guards"
	colMeta      = "recall_meta"
)

// maxWrites is how many documents one commit of a cascading delete
// carries.
const maxWrites = 500

// pingTimeout bounds a Ping whose context has no earlier deadline, so that a
// readiness check never hangs on a Firestore that does not answer.
const pingTimeout = 5 * time.Second

// Options configures a Store. The zero value is usable.
type Options struct {
	// Metrics counts document reads, queries and commits by kind ("read"
	// or "write") and store method. Nil counts nothing.
	Metrics *metrics.Metrics
	// Logger receives warnings (such as a cascading delete that failed
	// half-way). Nil discards them.
	Logger *slog.Logger
	// Database is the Firestore database ID; empty means "(default)".
	Database string
	// ClientOptions are passed to the Firestore client (credentials,
	// endpoint...). Without them the client finds credentials the usual
	// Google way (GOOGLE_APPLICATION_CREDENTIALS, the metadata server...)
	// and honours FIRESTORE_EMULATOR_HOST.
	ClientOptions []option.ClientOption
}

// Store is the Firestore implementation of recall.Store. It is safe for
// concurrent use.
type Store struct {
	client  *fs.Client
	metrics *metrics.Metrics
	logger  *slog.Logger

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ recall.Store = (*Store)(nil)

// Open connects to the Firestore database of projectID and checks that it
// answers (one document read, op "Ping"). Returns EINVALID for an empty
// project ID and EUNAVAILABLE if no client can be made (no credentials) or
// the database does not answer.
func Open(ctx context.Context, projectID string, opts Options) (*Store, error) {
	if projectID == "" || strings.ContainsAny(projectID, "/ ") {
		return nil, recall.Errorf(recall.EINVALID, "The Firestore project ID %q is not valid.", projectID)
	}
	database := opts.Database
	if database == "" {
		database = fs.DefaultDatabaseID
	}
	client, err := fs.NewClientWithDatabase(ctx, projectID, database, opts.ClientOptions...)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, storeerr.Unavailable(fmt.Errorf("firestore: new client: %w", err))
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{client: client, metrics: opts.Metrics, logger: logger}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Ping returns nil while the database answers a lookup of one (missing)
// document, counted as a read of op "Ping"; EUNAVAILABLE otherwise, or the
// context's error. It waits at most 5 s.
func (s *Store) Ping(ctx context.Context) error {
	const op = "Ping"
	bounded, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	_, err := s.get(bounded, op, s.client.Collection(colMeta).Doc("ping"))
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	// Our own bound expired, or whatever else keeps the database from
	// answering: it is unavailable.
	return storeerr.PingFailed(ctx, "firestore", s.fail(bounded, op, err))
}

// Close closes the client. Calling it again returns the first result;
// every method called after it returns EUNAVAILABLE.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeErr = s.client.Close()
	})
	return s.closeErr
}

// --- operations ---

// errClosed returns the error of a call made after Close.
func errClosed() error { return storeerr.Unavailable(errors.New("firestore: the store is closed")) }

// before counts n operations of kind about to be sent; an operation the
// context cancelled first is neither sent nor counted.
func (s *Store) before(ctx context.Context, kind, op string, n int) error {
	if s.closed.Load() {
		return errClosed()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for range n {
		s.metrics.DBQuery(kind, op)
	}
	return nil
}

// get reads one document. A missing document is not an error: the
// snapshot's Exists says so.
func (s *Store) get(ctx context.Context, op string, ref *fs.DocumentRef) (*fs.DocumentSnapshot, error) {
	if err := s.before(ctx, kindRead, op, 1); err != nil {
		return nil, err
	}
	snap, err := ref.Get(ctx)
	if status.Code(err) == codes.NotFound && snap != nil {
		return snap, nil
	}
	return snap, err
}

// getAll reads documents in one call, in the transaction tx if it is not
// nil; it counts one read per document.
func (s *Store) getAll(ctx context.Context, op string, tx *fs.Transaction, refs ...*fs.DocumentRef) ([]*fs.DocumentSnapshot, error) {
	if err := s.before(ctx, kindRead, op, len(refs)); err != nil {
		return nil, err
	}
	if tx != nil {
		return tx.GetAll(refs)
	}
	return s.client.GetAll(ctx, refs)
}

// query runs q (in tx if it is not nil) and returns all its documents,
// counted as one read.
func (s *Store) query(ctx context.Context, op string, tx *fs.Transaction, q fs.Query) ([]*fs.DocumentSnapshot, error) {
	if err := s.before(ctx, kindRead, op, 1); err != nil {
		return nil, err
	}
	var it *fs.DocumentIterator
	if tx != nil {
		it = tx.Documents(q)
	} else {
		it = q.Documents(ctx)
	}
	defer it.Stop()
	var docs []*fs.DocumentSnapshot
	for {
		d, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return docs, nil
		} else if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
}

// queryAll runs q (counted as one read of op), decodes each document into
// a D (what names it in errors) and returns, in query order, conv's result
// for each document conv keeps; never nil. Errors are translated.
func queryAll[D, T any](ctx context.Context, s *Store, op, what string, q fs.Query, conv func(id string, d *D) (T, bool)) ([]T, error) {
	docs, err := s.query(ctx, op, nil, q)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	list := make([]T, 0, len(docs))
	for _, snap := range docs {
		d, err := decode[D](snap, what)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		if v, ok := conv(snap.Ref.ID, d); ok {
			list = append(list, v)
		}
	}
	return list, nil
}

// decode returns the data of snap, a document of kind what, as a D.
func decode[D any](snap *fs.DocumentSnapshot, what string) (*D, error) {
	d := new(D)
	if err := snap.DataTo(d); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", what, snap.Ref.Path, err)
	}
	return d, nil
}

// inTx runs fn in a read-write transaction and commits what it queued if
// it returns nil; the commit counts as one write of op (again on every
// attempt: Firestore retries a transaction that lost a race). Errors are
// translated.
func (s *Store) inTx(ctx context.Context, op string, fn func(ctx context.Context, tx *fs.Transaction) error) error {
	return s.fail(ctx, op, s.runTx(ctx, op, fn))
}

// runTx is inTx without the translation of errors: the caller can tell
// what refused the commit (status.Code) before translating.
func (s *Store) runTx(ctx context.Context, op string, fn func(ctx context.Context, tx *fs.Transaction) error) error {
	if err := s.before(ctx, kindWrite, op, 0); err != nil {
		return err
	}
	return s.client.RunTransaction(ctx, func(ctx context.Context, tx *fs.Transaction) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		return s.before(ctx, kindWrite, op, 1)
	})
}

// --- errors ---

// fail translates err, returned by the store method op, into the error the
// caller gets (storeerr.Fail); after Close every client error is
// EUNAVAILABLE.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	return storeerr.Fail(ctx, "firestore", op, err, func(err error) (code, msg string) {
		if s.closed.Load() {
			return recall.EUNAVAILABLE, ""
		}
		return classify(err)
	})
}

// classify is the storeerr.Classify of the Firestore client's errors.
func classify(err error) (code, msg string) {
	if strings.Contains(err.Error(), "invalid UTF-8") {
		// Refused by the client before it was sent: proto3 strings and
		// document IDs must be valid UTF-8.
		return recall.EINVALID, "Text must be valid UTF-8."
	}
	st, ok := status.FromError(err)
	if !ok {
		return recall.EINTERNAL, ""
	}
	switch st.Code() {
	case codes.NotFound:
		return recall.ENOTFOUND, "It was not found."
	case codes.AlreadyExists:
		return recall.ECONFLICT, "It exists already."
	case codes.Aborted:
		return recall.ECONFLICT, "A concurrent change got in the way; try again."
	case codes.InvalidArgument:
		return recall.EINVALID, "The database refused a value as invalid or too large."
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted,
		codes.Unauthenticated, codes.PermissionDenied,
		// A call the caller did not cancel: the client connection closing.
		codes.Canceled:
		return recall.EUNAVAILABLE, ""
	}
	return recall.EINTERNAL, ""
}

// preconditionFailed reports whether err is what a commit returns when one
// of its preconditions does not hold (or it lost a race to the end).
func preconditionFailed(err error) bool {
	switch status.Code(err) {
	case codes.NotFound, codes.AlreadyExists, codes.FailedPrecondition, codes.Aborted:
		return true
	}
	return false
}

// --- values ---

// toDB returns t as it is stored: in UTC, floored to the microsecond.
func toDB(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// fromDB returns a stored time in UTC.
func fromDB(t time.Time) time.Time { return t.UTC() }

// validID reports whether id can name a document: 1 to 1500 bytes of
// UTF-8, no '/', not "." or "..", not of the reserved form __.*__. A
// lookup by any other ID can only find nothing.
func validID(id string) bool {
	return id != "" && len(id) <= 1500 && utf8.ValidString(id) &&
		!strings.Contains(id, "/") && id != "." && id != ".." &&
		!(len(id) >= 4 && strings.HasPrefix(id, "__") && strings.HasSuffix(id, "__"))
}

// validIDs reports whether every one of ids is a valid document ID.
func validIDs(ids ...string) bool {
	for _, id := range ids {
		if !validID(id) {
			return false
		}
	}
	return true
}
