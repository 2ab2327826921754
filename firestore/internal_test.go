package firestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recallhq/recall"
)

// TestClassify checks the translation of the gRPC errors the emulator
// cannot be made to return on demand.
func TestClassify(t *testing.T) {
	st := func(c codes.Code) error { return fmt.Errorf("commit: %w", status.Error(c, "x")) }
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"not found", st(codes.NotFound), recall.ENOTFOUND},
		{"already exists", st(codes.AlreadyExists), recall.ECONFLICT},
		{"aborted", st(codes.Aborted), recall.ECONFLICT},
		{"invalid argument", st(codes.InvalidArgument), recall.EINVALID},
		{"unavailable", st(codes.Unavailable), recall.EUNAVAILABLE},
		{"deadline exceeded", st(codes.DeadlineExceeded), recall.EUNAVAILABLE},
		{"resource exhausted", st(codes.ResourceExhausted), recall.EUNAVAILABLE},
		{"unauthenticated", st(codes.Unauthenticated), recall.EUNAVAILABLE},
		{"permission denied", st(codes.PermissionDenied), recall.EUNAVAILABLE},
		{"connection closing", st(codes.Canceled), recall.EUNAVAILABLE},
		{"missing index", st(codes.FailedPrecondition), recall.EINTERNAL},
		{"internal", st(codes.Internal), recall.EINTERNAL},
		{"bad UTF-8", status.Error(codes.Internal, "grpc: error while marshaling: string field contains invalid UTF-8"), recall.EINVALID},
		{"anything else", errors.New("cannot decode"), recall.EINTERNAL},
	} {
		if code, _ := classify(c.err); code != c.want {
			t.Errorf("%s: %q, want %q", c.name, code, c.want)
		}
	}

	s := &Store{}
	ctx := t.Context()
	if err := s.fail(ctx, "op", recall.Errorf(recall.ENOTFOUND, "gone")); recall.ErrorMessage(err) != "gone" {
		t.Errorf("a domain error changed: %v", err)
	}
	if err := s.fail(ctx, "op", st(codes.Unavailable)); recall.ErrorMessage(err) != "The database is unavailable." ||
		!strings.Contains(err.Error(), "Unavailable") {
		t.Errorf("unavailable = %v, want the message and the cause", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.fail(cancelled, "op", st(codes.Canceled)); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled call = %v, want context.Canceled", err)
	}
}

// openInternal opens a store on a project of its own in the emulator that
// TestMain started.
func openInternal(t *testing.T) *Store {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the Firestore emulator: skipped under -short")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	s, err := Open(t.Context(), "recall-internal-"+hex.EncodeToString(b[:]), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestDeleteTopicResumes marks a topic as being deleted and stops a
// cascade half-way, as a DeleteTopic that failed would leave it: the topic
// is not found any more, nothing can be added to it, and DeleteTopic called
// again deletes every document that was under it.
func TestDeleteTopicResumes(t *testing.T) {
	s := openInternal(t)
	ctx := t.Context()
	now := time.Now()
	alice := &recall.User{ID: recall.NewID(), Username: "alice", CreatedAt: now}
	bob := &recall.User{ID: recall.NewID(), Username: "bob", CreatedAt: now}
	for _, u := range []*recall.User{alice, bob} {
		if err := s.CreateUser(ctx, u, "h"); err != nil {
			t.Fatal(err)
		}
	}
	topic := &recall.Topic{ID: recall.NewID(), UserID: alice.ID, Title: "Rivers", CreatedAt: now, UpdatedAt: now}
	kept := &recall.Topic{ID: recall.NewID(), UserID: alice.ID, Title: "Lakes", CreatedAt: now, UpdatedAt: now}
	var sessions []*recall.Session
	for _, tp := range []*recall.Topic{topic, kept} {
		if err := s.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
		qs := []*recall.Question{
			{ID: recall.NewID(), Prompt: "p", Answers: []string{"a"}, CreatedAt: now, UpdatedAt: now},
			{ID: recall.NewID(), Prompt: "q", Answers: []string{"b"}, CreatedAt: now, UpdatedAt: now},
		}
		if err := s.AddQuestions(ctx, alice.ID, tp.ID, qs); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			ss := &recall.Session{ID: recall.NewID(), UserID: alice.ID, TopicID: tp.ID, State: recall.SessionActive,
				QuestionIDs: []string{qs[0].ID, qs[1].ID}, Version: 1, CreatedAt: now, UpdatedAt: now}
			if err := s.CreateSession(ctx, ss); err != nil {
				t.Fatal(err)
			}
			n := ss.Clone()
			n.Version, n.Turns, n.Current, n.Answered = 2, 1, 1, 1
			n.IdempotencyKeys = map[string]int{fmt.Sprint("key", i): 0}
			if err := s.SaveTurn(ctx, n, &recall.Turn{SessionID: ss.ID, Index: 0, Kind: recall.TurnAnswer,
				CreatedAt: now, IdempotencyKey: fmt.Sprint("key", i), After: n}); err != nil {
				t.Fatal(err)
			}
			sessions = append(sessions, n)
		}
	}

	// The first step of a DeleteTopic, then the guards of one session.
	if _, err := s.topicRef(topic.ID).Update(ctx, []fs.Update{{Path: fDeleting, Value: true}}); err != nil {
		t.Fatal(err)
	}
	guards, err := s.query(ctx, "test", nil, s.sessionRef(sessions[0].ID).Collection(colGuards).Select())
	if err != nil {
		t.Fatal(err)
	}
	if len(guards) != 1 {
		t.Fatalf("%d guards, want 1", len(guards))
	}
	if err := s.deleteRefs(ctx, "test", refsOf(guards)); err != nil {
		t.Fatal(err)
	}

	want := func(what string, err error, code string) {
		t.Helper()
		if got := recall.ErrorCode(err); got != code {
			t.Errorf("%s = %v (code %q), want %q", what, err, got, code)
		}
	}
	_, err = s.Topic(ctx, alice.ID, topic.ID)
	want("Topic(deleting)", err, recall.ENOTFOUND)
	title := "x"
	_, err = s.UpdateTopic(ctx, alice.ID, topic.ID, recall.TopicInput{Title: &title}, now)
	want("UpdateTopic(deleting)", err, recall.ENOTFOUND)
	err = s.AddQuestions(ctx, alice.ID, topic.ID, []*recall.Question{{ID: recall.NewID(), Prompt: "p", Answers: []string{"a"}}})
	want("AddQuestions(deleting)", err, recall.ENOTFOUND)
	err = s.CreateSession(ctx, &recall.Session{ID: recall.NewID(), UserID: alice.ID, TopicID: topic.ID, State: recall.SessionActive, Version: 1})
	want("CreateSession(deleting)", err, recall.ENOTFOUND)
	list, err := s.Topics(ctx, alice.ID)
	if err != nil || len(list) != 1 || list[0].ID != kept.ID {
		t.Errorf("Topics = %d topics, %v; want only the kept one", len(list), err)
	}
	// A session whose guards are gone takes no turn.
	n := sessions[0].Clone()
	n.Version, n.Turns = 3, 2
	err = s.SaveTurn(ctx, n, &recall.Turn{SessionID: n.ID, Index: 1, Kind: recall.TurnHint, CreatedAt: now})
	want("SaveTurn(no guard)", err, recall.ENOTFOUND)
	want("DeleteTopic(bob)", s.DeleteTopic(ctx, bob.ID, topic.ID), recall.ENOTFOUND)

	// Alice's DeleteTopic finishes the job.
	if err := s.DeleteTopic(ctx, alice.ID, topic.ID); err != nil {
		t.Fatalf("DeleteTopic(resumed): %v", err)
	}
	want("DeleteTopic(again)", s.DeleteTopic(ctx, alice.ID, topic.ID), recall.ENOTFOUND)
	count := func(q fs.Query) int {
		t.Helper()
		docs, err := s.query(ctx, "test", nil, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(docs)
	}
	for _, tp := range []*recall.Topic{topic, kept} {
		snap, err := s.get(ctx, "test", s.topicRef(tp.ID))
		if err != nil {
			t.Fatal(err)
		}
		wantN := 2
		if tp == topic {
			wantN = 0
		}
		if snap.Exists() != (tp == kept) {
			t.Errorf("topic %s exists = %v", tp.Title, snap.Exists())
		}
		if n := count(s.client.Collection(colQuestions).Where(fTopicID, "==", tp.ID)); n != wantN {
			t.Errorf("%d questions of %s, want %d", n, tp.Title, wantN)
		}
		if n := count(s.client.Collection(colSessions).Where(fTopicID, "==", tp.ID)); n != wantN {
			t.Errorf("%d sessions of %s, want %d", n, tp.Title, wantN)
		}
	}
	for i, ss := range sessions {
		wantN := 1
		if ss.TopicID == topic.ID {
			wantN = 0
		}
		for _, sub := range []string{colTurns, colKeys, colGuards} {
			if n := count(s.sessionRef(ss.ID).Collection(sub).Query); n != wantN {
				t.Errorf("session %d: %d documents in %s, want %d", i, n, sub, wantN)
			}
		}
	}
}
