package apiclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/recallhq/recall/auth"
	recallhttp "github.com/recallhq/recall/http"
	"github.com/recallhq/recall/inmem"
	"github.com/recallhq/recall/sqlite"
	"github.com/recallhq/recall/tutor"
)

// TestGeneratedClientIsCurrent fails when openapi.json changed since the
// client was generated: run `go generate ./http/apiclient`.
func TestGeneratedClientIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != specSHA256 {
		t.Fatalf("client.gen.go was generated from another openapi.json (sha256 %s, now %s): run go generate ./http/apiclient", specSHA256, got)
	}
}

// newServer serves the API over a real SQLite store.
func newServer(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recall.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	srv := recallhttp.NewServer(recallhttp.Config{
		Store: store,
		Auth: auth.New(auth.Config{Users: store, Tokens: store,
			HashParams: auth.HashParams{Memory: 64, Time: 1, Threads: 1}}),
		Topics:    store,
		Questions: store,
		Tutor: tutor.New(tutor.Config{Sessions: store, Topics: store, Questions: store,
			Cache: inmem.NewSessionCache(inmem.SessionCacheOptions{})}),
		Conversations: tutor.NewConversations(tutor.ConversationConfig{Store: store, Topics: store, Questions: store,
			Cache: inmem.NewConversationCache(inmem.SessionCacheOptions{})}),
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// check fails the test on a transport error or an unexpected status.
func check(t *testing.T, r interface{ StatusCode() int }, err error, status int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode() != status {
		t.Fatalf("status %d, want %d", r.StatusCode(), status)
	}
}

// TestWalkThrough walks the README's tour through the generated client:
// sign up, sign in, a topic with questions, a session with a hint, an
// answer and a retried turn, the transcript, the dashboard, sign out.
func TestWalkThrough(t *testing.T) {
	ctx := context.Background()
	url := newServer(t)
	anon, err := NewClientWithResponses(url)
	if err != nil {
		t.Fatal(err)
	}
	cred := Credentials{Username: "ada", Password: "correct horse"}
	user, err := anon.CreateUserWithResponse(ctx, cred)
	check(t, user, err, 201)
	if user.JSON201.User.Username != "ada" {
		t.Fatalf("user %+v", user.JSON201)
	}
	tok, err := anon.CreateTokenWithResponse(ctx, cred)
	check(t, tok, err, 201)
	bearer := WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok.JSON201.Token)
		return nil
	})
	c, err := NewClientWithResponses(url, bearer)
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.GetMeWithResponse(ctx)
	check(t, me, err, 200)
	if me.JSON200.User.Id != user.JSON201.User.Id {
		t.Fatalf("me %+v", me.JSON200)
	}

	desc := "Europe and Asia"
	topic, err := c.CreateTopicWithResponse(ctx, NewTopic{Title: "Capitals", Description: &desc})
	check(t, topic, err, 201)
	tid := topic.JSON201.Topic.Id
	hint, expl := "Think of the Eiffel Tower.", "Paris has been the capital since 987."
	choices := []string{"Kyoto", "Tokyo", "Osaka"}
	qs, err := c.AddQuestionsWithResponse(ctx, tid, NewQuestionBatch{Questions: []NewQuestion{
		{Prompt: "Capital of France?", Answers: []string{"Paris"}, Hint: &hint, Explanation: &expl},
		{Prompt: "Capital of Japan?", Answers: []string{"Tokyo"}, Choices: &choices},
	}})
	check(t, qs, err, 201)
	if len(qs.JSON201.Questions) != 2 || qs.JSON201.Questions[1].Choices == nil {
		t.Fatalf("questions %+v", qs.JSON201)
	}

	shuffle := false
	sess, err := c.StartSessionWithResponse(ctx, NewSession{TopicId: tid, Shuffle: &shuffle})
	check(t, sess, err, 201)
	sid := sess.JSON201.Session.Id
	if cq := sess.JSON201.Session.CurrentQuestion; cq == nil || cq.Prompt != "Capital of France?" {
		t.Fatalf("current question %+v", cq)
	}

	h, err := c.CreateTurnWithResponse(ctx, sid, nil, NewTurn{Message: "/hint"})
	check(t, h, err, 200)
	if h.JSON200.Turn.Kind != TurnKindHint || h.JSON200.Turn.Reply == "" || h.JSON200.Turn.Correct != nil {
		t.Fatalf("hint turn %+v", h.JSON200.Turn)
	}
	a, err := c.CreateTurnWithResponse(ctx, sid, nil, NewTurn{Message: "paris"})
	check(t, a, err, 200)
	if a.JSON200.Turn.Correct == nil || !*a.JSON200.Turn.Correct {
		t.Fatalf("answer turn %+v", a.JSON200.Turn)
	}
	key := IdempotencyKey("q2")
	first, err := c.CreateTurnWithResponse(ctx, sid, &CreateTurnParams{IdempotencyKey: &key}, NewTurn{Message: "b"})
	check(t, first, err, 200)
	again, err := c.CreateTurnWithResponse(ctx, sid, &CreateTurnParams{IdempotencyKey: &key}, NewTurn{Message: "b"})
	check(t, again, err, 200)
	if again.JSON200.Turn.Index != first.JSON200.Turn.Index || first.JSON200.Session.State != SessionStateCompleted {
		t.Fatalf("retry %+v, first %+v", again.JSON200, first.JSON200)
	}
	if first.JSON200.Turn.Correct == nil || !*first.JSON200.Turn.Correct {
		t.Fatalf("letter b was not Tokyo: %+v", first.JSON200.Turn)
	}

	tr, err := c.ListTurnsWithResponse(ctx, sid)
	check(t, tr, err, 200)
	var kinds []TurnKind
	for _, turn := range tr.JSON200.Turns {
		kinds = append(kinds, turn.Kind)
	}
	if len(kinds) != 3 || kinds[0] != TurnKindHint || kinds[1] != TurnKindAnswer || kinds[2] != TurnKindAnswer {
		t.Fatalf("transcript kinds %v", kinds)
	}
	got, err := c.GetSessionWithResponse(ctx, sid)
	check(t, got, err, 200)
	if got.JSON200.Session.State != SessionStateCompleted || got.JSON200.Session.CurrentQuestion != nil {
		t.Fatalf("session %+v", got.JSON200.Session)
	}
	list, err := c.ListSessionsWithResponse(ctx, &ListSessionsParams{})
	check(t, list, err, 200)

	view := ListTopicsParamsViewDashboard
	dash, err := c.ListTopicsWithResponse(ctx, &ListTopicsParams{View: &view})
	check(t, dash, err, 200)
	if len(dash.JSON200.Topics) != 1 {
		t.Fatalf("topics %+v", dash.JSON200)
	}
	st := dash.JSON200.Topics[0].Stats
	if st == nil || st.SessionsCompleted != 1 || st.Answers != 2 || st.Correct != 2 || st.Accuracy == nil || *st.Accuracy != 1 {
		t.Fatalf("stats %+v", st)
	}

	out, err := c.DeleteCurrentTokenWithResponse(ctx)
	check(t, out, err, 204)
	gone, err := c.GetMeWithResponse(ctx)
	check(t, gone, err, 401)
	if gone.JSON401 == nil || gone.JSON401.Error.Code != ErrorDetailCodeUnauthorized {
		t.Fatalf("401 body %s", gone.Body)
	}
}
