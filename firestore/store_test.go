package firestore_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/firestore"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/storetest"
)

// open opens a store on a project of its own in the emulator, and closes
// it and deletes the project's documents when the test ends.
func open(tb testing.TB, opts firestore.Options) *firestore.Store {
	tb.Helper()
	return openProject(tb, newProject(tb), opts)
}

// newProject returns a new project ID whose documents are deleted when the
// test ends, after the stores on it are closed.
func newProject(tb testing.TB) string {
	needEmulator(tb)
	project := newProjectID()
	tb.Cleanup(func() {
		if err := resetProject(project); err != nil {
			tb.Logf("reset the emulator's project: %v", err)
		}
	})
	return project
}

// openProject opens a store on project and closes it when the test ends.
func openProject(tb testing.TB, project string, opts firestore.Options) *firestore.Store {
	tb.Helper()
	s, err := firestore.Open(tb.Context(), project, opts)
	return storetest.Opened(tb, s, err)
}

// opener is the storetest.Opener of Firestore: a database is a project of
// the emulator.
func opener(tb testing.TB, project string, m *metrics.Metrics) (recall.Store, string) {
	tb.Helper()
	if project == "" {
		project = newProject(tb)
	}
	return openProject(tb, project, firestore.Options{Metrics: m}), project
}

func TestStore(t *testing.T) { storetest.Run(t, storetest.Opener(opener).New) }

// TestDueStart: a hot due start, through the caches, reads nothing from
// this store but the topic that the session's creation reads in its
// transaction (a read of the write, as TestMetrics counts it).
func TestDueStart(t *testing.T) {
	storetest.RunDueStart(t, storetest.Opener(opener).Metered, storetest.Reads("CreateSession", 1))
}

// TestMetrics pins down what each method costs in Firestore operations:
// reads (document lookups and queries) and commits.
func TestMetrics(t *testing.T) {
	storetest.RunMetrics(t, storetest.Opener(opener).Metered, []storetest.Cost{
		storetest.Reads("Ping", 2),            // Open's, and one call
		storetest.Writes("CreateUser", 2),     // one commit each
		storetest.Reads("CreateUser", 0),      // no read unless refused
		storetest.Reads("UserByUsername", 1),  // one query
		storetest.Writes("CreateTopic", 2),    // one write each
		storetest.Reads("AddQuestions", 2),    // the topic, once per call
		storetest.Writes("AddQuestions", 2),   // one commit per call, 150 questions in one
		storetest.Reads("Topics", 3),          // one query per call
		storetest.Reads("Topic", 1),           // one lookup
		storetest.Reads("Questions", 1),       // one query
		storetest.Reads("UpdateTopic", 1),     // the topic
		storetest.Writes("UpdateTopic", 1),    //
		storetest.Reads("UpdateQuestion", 2),  // the topic and the question
		storetest.Writes("UpdateQuestion", 1), //
		storetest.Reads("CreateSession", 2),   // the topic, once per call
		storetest.Writes("CreateSession", 2),  //
		storetest.Reads("Session", 1),         // keys included
		storetest.Reads("Turns", 1),           // one query
		storetest.Reads("Turn", 1),            // one lookup
		storetest.Writes("SaveTurn", 4),       // one commit per turn, the refused one too
		storetest.Reads("SaveTurn", 3),        // only the refused turn: session, turn and key
	})
}

// answer builds the turn that answers the current question of ss a second
// after its last change, and the session it leaves (completed after the
// last question).
func answer(ss *recall.Session, correct bool, key string) (*recall.Session, *recall.Turn) {
	return storetest.Next(ss, recall.TurnAnswer, correct, key, ss.UpdatedAt.Add(time.Second))
}

func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := recall.ErrorCode(err); got != code {
		tb.Fatalf("%s: %v (code %q), want %q", what, err, got, code)
	}
}

// TestSaveTurnVersionAhead saves a turn whose version is ahead of the
// stored one by more than one: only the guard of version s.Version-1 can
// refuse it (its turn index, key and new guard are all free).
func TestSaveTurnVersionAhead(t *testing.T) {
	s := open(t, firestore.Options{})
	ctx := t.Context()
	u, topic, qs := storetest.Seed(t, s, "alice", 2)
	ss := storetest.NewSession(t, s, u, topic, qs)
	ahead, ta := answer(ss, true, "k")
	ahead.Version += 5
	ta.After = ahead.Clone()
	wantCode(t, "SaveTurn(version ahead)", s.SaveTurn(ctx, ahead, ta), recall.ECONFLICT)
	got, err := s.Session(ctx, ss.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != ss.Version || got.Turns != 0 || len(got.IdempotencyKeys) != 0 {
		t.Errorf("session = version %d, %d turns, keys %v; want it unchanged", got.Version, got.Turns, got.IdempotencyKeys)
	}
	if turns, err := s.Turns(ctx, ss.ID); err != nil || len(turns) != 0 {
		t.Errorf("Turns = %d, %v; want none", len(turns), err)
	}
	// The right version still goes through, key and all.
	n, tn := answer(ss, true, "k")
	if err := s.SaveTurn(ctx, n, tn); err != nil {
		t.Fatalf("SaveTurn(next version): %v", err)
	}
}

// TestSaveTurnOnCompletedSession saves turns on a session that is already
// completed, which the guard refuses: the store saves them in a read-write
// transaction and moves the topic's stats by the difference, as the SQL
// stores' aggregate would.
func TestSaveTurnOnCompletedSession(t *testing.T) {
	m := metrics.New(nil)
	s := open(t, firestore.Options{Metrics: m})
	ctx := t.Context()
	u, topic, qs := storetest.Seed(t, s, "alice", 1)
	ss := storetest.NewSession(t, s, u, topic, qs)
	done, td := answer(ss, true, "")
	if err := s.SaveTurn(ctx, done, td); err != nil {
		t.Fatal(err)
	}
	stats := func(want recall.TopicStats) {
		t.Helper()
		got, err := s.Topic(ctx, u.ID, topic.ID)
		if err != nil {
			t.Fatal(err)
		}
		st := got.Stats
		if st.SessionsCompleted != want.SessionsCompleted || st.Answers != want.Answers || st.Correct != want.Correct ||
			st.LastStudiedAt == nil || !st.LastStudiedAt.Equal(*want.LastStudiedAt) {
			t.Errorf("stats = %+v (last %v), want %+v (last %v)", st, st.LastStudiedAt, want, *want.LastStudiedAt)
		}
	}
	last := done.UpdatedAt.UTC().Truncate(time.Microsecond)
	stats(recall.TopicStats{SessionsCompleted: 1, Answers: 1, Correct: 1, LastStudiedAt: &last})

	// A later turn on the completed session that changes its counts.
	more, tm := answer(done, false, "again")
	more.Skipped += 2
	more.Correct = 0
	tm.After = more.Clone()
	if err := s.SaveTurn(ctx, more, tm); err != nil {
		t.Fatalf("SaveTurn on a completed session: %v", err)
	}
	last = more.UpdatedAt.UTC().Truncate(time.Microsecond)
	stats(recall.TopicStats{SessionsCompleted: 1, Answers: 3, Correct: 0, LastStudiedAt: &last})
	got, err := s.Session(ctx, ss.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != more.Version || got.Skipped != 2 || got.IdempotencyKeys["again"] != tm.Index {
		t.Errorf("session = %+v, want version %d, 2 skipped, key again", got, more.Version)
	}
	// It cost the refused commit, a lookup, and the transaction's lookup.
	if r := testutil.ToFloat64(m.DBQueries.WithLabelValues("read", "SaveTurn")); r != 6 {
		t.Errorf("SaveTurn reads = %v, want 6 (session, turn, key, twice)", r)
	}

	// The version check still holds on that path.
	stale, ts := answer(done, true, "")
	ts.Index = more.Turns
	wantCode(t, "SaveTurn(stale, completed)", s.SaveTurn(ctx, stale, ts), recall.ECONFLICT)
	// The session stays completed, so every further turn takes the
	// transaction.
	next, tn := answer(more, true, "")
	if err := s.SaveTurn(ctx, next, tn); err != nil {
		t.Fatalf("second SaveTurn on a completed session: %v", err)
	}
	turns, err := s.Turns(ctx, ss.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(turns) != 3 {
		t.Errorf("%d turns, want 3", len(turns))
	}
}

// TestDocumentIDs checks the IDs and keys that cannot name a Firestore
// document as they are: lookups find nothing, creations are refused, and
// usernames and keys of any form work.
func TestDocumentIDs(t *testing.T) {
	s := open(t, firestore.Options{})
	ctx := t.Context()
	u, topic, qs := storetest.Seed(t, s, "__odd__", 1)

	got, _, err := s.UserByUsername(ctx, "__odd__")
	if err != nil {
		t.Fatalf("UserByUsername(__odd__): %v", err)
	}
	if got.ID != u.ID {
		t.Errorf("UserByUsername = %s, want %s", got.ID, u.ID)
	}
	err = s.CreateUser(ctx, &recall.User{ID: recall.NewID(), Username: "__odd__"}, "h")
	wantCode(t, "CreateUser(taken)", err, recall.ECONFLICT)

	bad := []string{"", ".", "..", "a/b", "__x__", "bad\xffutf8", strings.Repeat("x", 1501), "sessions/x/turns/0000000000"}
	for _, id := range bad {
		_, err := s.Topic(ctx, u.ID, id)
		wantCode(t, fmt.Sprintf("Topic(%q)", id), err, recall.ENOTFOUND)
		_, err = s.Session(ctx, id)
		wantCode(t, fmt.Sprintf("Session(%q)", id), err, recall.ENOTFOUND)
		_, err = s.UserByID(ctx, id)
		wantCode(t, fmt.Sprintf("UserByID(%q)", id), err, recall.ENOTFOUND)
		_, err = s.Turn(ctx, id, 0)
		wantCode(t, fmt.Sprintf("Turn(%q)", id), err, recall.ENOTFOUND)
		wantCode(t, fmt.Sprintf("DeleteTopic(%q)", id), s.DeleteTopic(ctx, u.ID, id), recall.ENOTFOUND)
		_, err = s.UpdateQuestion(ctx, u.ID, topic.ID, id, recall.QuestionInput{Hint: &id}, time.Now())
		wantCode(t, fmt.Sprintf("UpdateQuestion(%q)", id), err, recall.ENOTFOUND)
		if list, err := s.Questions(ctx, u.ID, id); err != nil || len(list) != 0 {
			t.Errorf("Questions(%q) = %d questions, %v; want none", id, len(list), err)
		}
		if list, err := s.Turns(ctx, id); err != nil || len(list) != 0 {
			t.Errorf("Turns(%q) = %d turns, %v; want none", id, len(list), err)
		}
		err = s.CreateTopic(ctx, &recall.Topic{ID: id, UserID: u.ID, Title: "x"})
		wantCode(t, fmt.Sprintf("CreateTopic(%q)", id), err, recall.EINVALID)
		err = s.AddQuestions(ctx, u.ID, topic.ID, []*recall.Question{{ID: id, Prompt: "p", Answers: []string{"a"}}})
		wantCode(t, fmt.Sprintf("AddQuestions(%q)", id), err, recall.EINVALID)
	}

	// Text that is not UTF-8 is refused, not an internal error.
	err = s.CreateTopic(ctx, &recall.Topic{ID: recall.NewID(), UserID: u.ID, Title: "bad\xff"})
	wantCode(t, "CreateTopic(bad UTF-8 title)", err, recall.EINVALID)
	// So is a document over Firestore's 1 MiB.
	huge := strings.Repeat("x", 1<<20+1)
	_, err = s.UpdateQuestion(ctx, u.ID, topic.ID, qs[0].ID, recall.QuestionInput{Explanation: &huge}, time.Now())
	wantCode(t, "UpdateQuestion(huge)", err, recall.EINVALID)

	// Token hashes of any bytes; an empty one is never found.
	for _, h := range [][]byte{{0}, {0xff, '/', '.', '.'}, []byte(strings.Repeat("h", 700))} {
		tok := &recall.Token{Hash: h, UserID: u.ID, CreatedAt: time.Now(), ExpiresAt: time.Now()}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken(%q): %v", h, err)
		}
		if _, err := s.TokenByHash(ctx, h); err != nil {
			t.Errorf("TokenByHash(%q): %v", h, err)
		}
	}
	_, err = s.TokenByHash(ctx, nil)
	wantCode(t, "TokenByHash(empty)", err, recall.ENOTFOUND)
	wantCode(t, "CreateToken(empty)", s.CreateToken(ctx, &recall.Token{UserID: u.ID}), recall.EINVALID)

	// Idempotency keys of any characters.
	ss := storetest.NewSession(t, s, u, topic, qs)
	key := "a/b.c`d\\e[f]*~ “g” \x00"
	n, turn := answer(ss, true, key)
	if err := s.SaveTurn(ctx, n, turn); err != nil {
		t.Fatalf("SaveTurn(odd key): %v", err)
	}
	gs, err := s.Session(ctx, ss.ID)
	if err != nil {
		t.Fatal(err)
	}
	if idx, ok := gs.IdempotencyKeys[key]; !ok || idx != 0 {
		t.Errorf("IdempotencyKeys = %v, want %q: 0", gs.IdempotencyKeys, key)
	}
}

func TestOpen(t *testing.T) {
	t.Run("ErrEmptyProject", func(t *testing.T) {
		_, err := firestore.Open(t.Context(), "", firestore.Options{})
		wantCode(t, "Open(\"\")", err, recall.EINVALID)
	})
	t.Run("ErrUnreachable", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits out Open's 5 s ping bound: skipped under -short")
		}
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("FIRESTORE_EMULATOR_HOST", fmt.Sprintf("127.0.0.1:%d", port))
		_, err = firestore.Open(t.Context(), newProjectID(), firestore.Options{})
		wantCode(t, "Open(nobody listening)", err, recall.EUNAVAILABLE)
	})
	t.Run("OKDatabase", func(t *testing.T) {
		s := open(t, firestore.Options{Database: "other-db"})
		u, _, _ := storetest.Seed(t, s, "alice", 0)
		if _, err := s.UserByID(t.Context(), u.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestContext(t *testing.T) {
	t.Run("ErrPingBounded", func(t *testing.T) {
		needEmulator(t)
		// An emulator that accepts connections and never answers: Open
		// reports the database as unavailable after Ping's bound of 5 s
		// instead of waiting for it.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		t.Setenv("FIRESTORE_EMULATOR_HOST", ln.Addr().String())
		start := time.Now()
		_, err = firestore.Open(t.Context(), newProjectID(), firestore.Options{})
		wantCode(t, "Open(a silent emulator)", err, recall.EUNAVAILABLE)
		if d := time.Since(start); d > time.Minute {
			t.Errorf("Open gave up after %v, want about 5 s", d)
		}
	})
}
