package cache_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/inmem"
)

// TestEveryWriteHasARule walks the store interfaces: every method is a read
// of an explicit list or a write with a row in the invalidation table, never both,
// and every row names a method.
func TestEveryWriteHasARule(t *testing.T) {
	// The interfaces whose writes the table covers: the parts of
	// recall.Store.
	storeInterfaces := []reflect.Type{
		reflect.TypeFor[recall.TopicStore](),
		reflect.TypeFor[recall.QuestionStore](),
		reflect.TypeFor[recall.SessionStore](),
		reflect.TypeFor[recall.UserStore](),
		reflect.TypeFor[recall.TokenStore](),
		reflect.TypeFor[recall.MemoryStore](),
		reflect.TypeFor[recall.ConversationStore](),
	}
	// The methods that only read: every other method is a write and needs
	// a row. The test checks that each exists and has no row.
	storeReads := []string{
		"TopicStore.Topics", "TopicStore.Topic",
		"QuestionStore.Questions",
		"SessionStore.Session", "SessionStore.Sessions", "SessionStore.Turns", "SessionStore.Turn",
		"UserStore.UserByUsername", "UserStore.UserByID",
		"TokenStore.TokenByHash",
		"MemoryStore.Memories", "MemoryStore.StudyDays",
		"ConversationStore.Conversation", "ConversationStore.Conversations",
		"ConversationStore.ConversationMessages", "ConversationStore.MessageByKey",
	}
	rules := cache.RuleMethods()
	methods := map[string]bool{}
	var inIfaces []string
	for _, it := range storeInterfaces {
		for m := range it.Methods() {
			name := it.Name() + "." + m.Name
			methods[name] = true
			inIfaces = append(inIfaces, m.Name)
			read, ruled := slices.Contains(storeReads, name), slices.Contains(rules, name)
			switch {
			case read && ruled:
				t.Errorf("%s is listed as a read but has an invalidation rule", name)
			case !read && !ruled:
				t.Errorf("the write %s has no row in the invalidation table (cache/rules.go); if it only reads, add it to storeReads in this test", name)
			}
		}
	}
	for _, name := range storeReads {
		if !methods[name] {
			t.Errorf("storeReads names %s, which is no method of the store interfaces", name)
		}
	}
	for _, name := range rules {
		if !methods[name] {
			t.Errorf("the invalidation table has a row for %s, which is no method of the store interfaces", name)
		}
		if cache.RuleWhy(name) == "" || !cache.RuleHasCondition(name) {
			t.Errorf("the row of %s lacks a reason or a condition", name)
		}
	}
	// recall.Store is those interfaces and two methods that touch no data:
	// an interface added to it must be added to storeInterfaces.
	for m := range reflect.TypeFor[recall.Store]().Methods() {
		if !slices.Contains(inIfaces, m.Name) && m.Name != "Ping" && m.Name != "Close" {
			t.Errorf("recall.Store has %s, which no interface of storeInterfaces declares", m.Name)
		}
	}
}

// ruleEnv is a primary store with the decorators over the in-process
// backend, a user, a topic with a bank, and a token, all cached.
type ruleEnv struct {
	f        *fixture
	db       recall.Store
	b        cache.Backend
	in       *instance
	sessions *cache.SessionStore
	u        *recall.User
	tp       *recall.Topic
	qs       []*recall.Question
	hash     []byte
}

func newRuleEnv(t *testing.T) *ruleEnv {
	t.Helper()
	ctx := context.Background()
	db := openDB(t)
	b := inmem.NewCache(inmem.CacheOptions{})
	t.Cleanup(func() { b.Close() })
	e := &ruleEnv{f: newFixture(t, db), db: db, b: b}
	e.in = newInstance(db, b, cache.Options{})
	e.sessions = cache.NewSessionStore(e.in.inner, b, cache.Options{})
	e.u = e.f.user()
	e.tp = e.f.newTopic(e.u, "Go")
	if err := db.CreateTopic(ctx, e.tp); err != nil {
		t.Fatal(err)
	}
	e.qs = e.f.newQuestions(e.tp, 3)
	if err := db.AddQuestions(ctx, e.u.ID, e.tp.ID, e.qs); err != nil {
		t.Fatal(err)
	}
	e.hash, _ = e.f.token(e.u)
	// A review of the first question, so that the memory states are not
	// empty.
	s := e.newSession(1)
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	n, turn := e.answer(s)
	turn.Review = e.review(turn, 100)
	if err := db.SaveTurn(ctx, n, turn); err != nil {
		t.Fatal(err)
	}
	e.check(t, "before the write")
	for _, key := range e.keys() {
		if !e.cached(t, key) {
			t.Fatalf("%s is not cached after a read", key)
		}
	}
	return e
}

// keys are the cached keys of the env.
func (e *ruleEnv) keys() []string {
	return []string{cache.TopicsKey(e.u.ID), cache.QuestionsKey(e.u.ID, e.tp.ID), cache.TokenKey(e.hash),
		cache.MemoriesKey(e.u.ID, e.tp.ID), cache.DaysKey(e.u.ID), cache.UserKey(e.u.ID)}
}

// review returns a review of the turn's question on day day.
func (e *ruleEnv) review(t *recall.Turn, day int) *recall.Review {
	at := t.CreatedAt.UTC().Truncate(time.Microsecond)
	return &recall.Review{Day: day, Memory: recall.Memory{
		UserID: e.u.ID, TopicID: e.tp.ID, QuestionID: t.QuestionID, State: recall.CardLearning,
		Stability: 2.5, Difficulty: 6, Due: at.Add(10 * time.Minute), Reps: 1, FirstReview: at, LastReview: at,
	}}
}

// cached reports whether the backend holds key.
func (e *ruleEnv) cached(t *testing.T, key string) bool {
	t.Helper()
	var ok bool
	var err error
	if key == cache.QuestionsKey(e.u.ID, e.tp.ID) {
		_, ok, err = e.b.GetHash(context.Background(), key)
	} else {
		_, ok, err = e.b.Get(context.Background(), key)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// check reads the env's values through the decorators and fails if one
// differs from the primary store's (which fills the keys).
func (e *ruleEnv) check(t *testing.T, when string) {
	t.Helper()
	ctx := context.Background()
	same := func(what string, got, want any, gotErr, wantErr error) {
		t.Helper()
		if recall.ErrorCode(gotErr) != recall.ErrorCode(wantErr) || !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Fatalf("%s: the cache serves %s = %s, %v; the store has %s, %v", when, what, g, gotErr, w, wantErr)
		}
	}
	got, gerr := e.in.topics.Topics(ctx, e.u.ID)
	want, werr := e.db.Topics(ctx, e.u.ID)
	same("Topics", got, want, gerr, werr)
	gotQ, gerr := e.in.questions.Questions(ctx, e.tp.UserID, e.tp.ID)
	wantQ, werr := e.db.Questions(ctx, e.tp.UserID, e.tp.ID)
	same("Questions", gotQ, wantQ, gerr, werr)
	gotT, gerr := e.in.tokens.TokenByHash(ctx, e.hash)
	wantT, werr := e.db.TokenByHash(ctx, e.hash)
	same("TokenByHash", gotT, wantT, gerr, werr)
	gotM, gerr := e.in.memories.Memories(ctx, e.u.ID, e.tp.ID)
	wantM, werr := e.db.Memories(ctx, e.u.ID, e.tp.ID)
	same("Memories", gotM, wantM, gerr, werr)
	gotD, gerr := e.in.memories.StudyDays(ctx, e.u.ID)
	wantD, werr := e.db.StudyDays(ctx, e.u.ID)
	same("StudyDays", gotD, wantD, gerr, werr)
	gotU, gerr := e.in.users.UserByID(ctx, e.u.ID)
	wantU, werr := e.db.UserByID(ctx, e.u.ID)
	same("UserByID", gotU, wantU, gerr, werr)
}

// newSession returns a new active session of u on tp that asks n of its
// questions; it is not stored.
func (e *ruleEnv) newSession(n int) *recall.Session {
	at := e.f.tick()
	s := &recall.Session{ID: recall.NewID(), UserID: e.u.ID, TopicID: e.tp.ID, State: recall.SessionActive, Version: 1, CreatedAt: at, UpdatedAt: at}
	for _, q := range e.qs[:n] {
		s.QuestionIDs = append(s.QuestionIDs, q.ID)
	}
	return s
}

// answer returns the session after a correct answer to the current
// question of s, completed if it was the last, and the turn.
func (e *ruleEnv) answer(s *recall.Session) (*recall.Session, *recall.Turn) {
	n := s.Clone()
	n.Version++
	n.UpdatedAt = e.f.tick()
	yes := true
	t := &recall.Turn{SessionID: s.ID, Index: s.Turns, Kind: recall.TurnAnswer, Message: "answer", Reply: "Correct.",
		QuestionID: s.QuestionIDs[s.Current], Correct: &yes, CreatedAt: n.UpdatedAt}
	n.Turns++
	n.Answered++
	n.Correct++
	n.Current++
	if n.Current == len(n.QuestionIDs) {
		n.State = recall.SessionCompleted
	}
	t.After = n.Clone()
	return n, t
}

// named is what a write names: the ids its rule makes keys of.
type named struct {
	userID, topicID string
	hash            []byte
	session         *recall.Session
	reviewed        bool
}

// TestRules_WriteDropsItsKeys performs every write of the table through the
// decorators over the in-process backend, with a topic list, a question
// bank and a token cached: the keys the write's row names are gone from
// the backend, the others are still there, and every read afterwards
// serves what the primary store holds.
func TestRules_WriteDropsItsKeys(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		method string
		// write performs the write through the decorators and returns
		// what it named; nil means the interface has no decorator.
		write func(t *testing.T, e *ruleEnv) (named, error)
		// refused says the store refuses the write: it drops nothing.
		refused bool
	}{
		{"CreateTopic", "TopicStore.CreateTopic", func(t *testing.T, e *ruleEnv) (named, error) {
			tp := e.f.newTopic(e.u, "Rust")
			return named{userID: e.u.ID, topicID: tp.ID}, e.in.topics.CreateTopic(ctx, tp)
		}, false},
		{"UpdateTopic", "TopicStore.UpdateTopic", func(t *testing.T, e *ruleEnv) (named, error) {
			_, err := e.in.topics.UpdateTopic(ctx, e.u.ID, e.tp.ID, recall.TopicInput{Title: strp("Go 2")}, e.f.tick())
			return named{userID: e.u.ID, topicID: e.tp.ID}, err
		}, false},
		{"DeleteTopic", "TopicStore.DeleteTopic", func(t *testing.T, e *ruleEnv) (named, error) {
			return named{userID: e.u.ID, topicID: e.tp.ID}, e.in.topics.DeleteTopic(ctx, e.u.ID, e.tp.ID)
		}, false},
		{"DeleteTopicOfAnotherUser", "TopicStore.DeleteTopic", func(t *testing.T, e *ruleEnv) (named, error) {
			other := e.f.user()
			return named{userID: other.ID, topicID: e.tp.ID}, e.in.topics.DeleteTopic(ctx, other.ID, e.tp.ID)
		}, true},
		{"AddQuestions", "QuestionStore.AddQuestions", func(t *testing.T, e *ruleEnv) (named, error) {
			return named{userID: e.u.ID, topicID: e.tp.ID}, e.in.questions.AddQuestions(ctx, e.u.ID, e.tp.ID, e.f.newQuestions(e.tp, 2))
		}, false},
		{"UpdateQuestion", "QuestionStore.UpdateQuestion", func(t *testing.T, e *ruleEnv) (named, error) {
			_, err := e.in.questions.UpdateQuestion(ctx, e.u.ID, e.tp.ID, e.qs[1].ID, recall.QuestionInput{Prompt: strp("New prompt")}, e.f.tick())
			return named{userID: e.u.ID, topicID: e.tp.ID}, err
		}, false},
		{"DeleteQuestion", "QuestionStore.DeleteQuestion", func(t *testing.T, e *ruleEnv) (named, error) {
			return named{userID: e.u.ID, topicID: e.tp.ID}, e.in.questions.DeleteQuestion(ctx, e.u.ID, e.tp.ID, e.qs[0].ID, e.f.tick())
		}, false},
		{"CreateSession", "SessionStore.CreateSession", func(t *testing.T, e *ruleEnv) (named, error) {
			s := e.newSession(2)
			return named{userID: e.u.ID, topicID: e.tp.ID, session: s}, e.sessions.CreateSession(ctx, s)
		}, false},
		{"SaveTurnActive", "SessionStore.SaveTurn", func(t *testing.T, e *ruleEnv) (named, error) {
			s := e.newSession(2)
			if err := e.db.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			n, turn := e.answer(s)
			return named{userID: e.u.ID, topicID: e.tp.ID, session: n}, e.sessions.SaveTurn(ctx, n, turn)
		}, false},
		{"SaveTurnCompletes", "SessionStore.SaveTurn", func(t *testing.T, e *ruleEnv) (named, error) {
			s := e.newSession(1)
			if err := e.db.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			n, turn := e.answer(s)
			return named{userID: e.u.ID, topicID: e.tp.ID, session: n}, e.sessions.SaveTurn(ctx, n, turn)
		}, false},
		{"SaveTurnReviews", "SessionStore.SaveTurn", func(t *testing.T, e *ruleEnv) (named, error) {
			s := e.newSession(2)
			if err := e.db.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			n, turn := e.answer(s)
			turn.Review = e.review(turn, 101)
			return named{userID: e.u.ID, topicID: e.tp.ID, session: n, reviewed: true}, e.sessions.SaveTurn(ctx, n, turn)
		}, false},
		{"SaveTurnRefusedWithAReview", "SessionStore.SaveTurn", func(t *testing.T, e *ruleEnv) (named, error) {
			s := e.newSession(2)
			if err := e.db.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			n, turn := e.answer(s)
			n.Version++ // stale: the store refuses it
			turn.Review = e.review(turn, 101)
			return named{userID: e.u.ID, topicID: e.tp.ID, session: n, reviewed: true}, e.sessions.SaveTurn(ctx, n, turn)
		}, true},
		{"CreateUser", "UserStore.CreateUser", func(t *testing.T, e *ruleEnv) (named, error) {
			u := &recall.User{ID: recall.NewID(), Username: "newcomer", CreatedAt: e.f.tick()}
			return named{userID: u.ID}, e.in.users.CreateUser(ctx, u, "hash")
		}, false},
		{"UpdateUser", "UserStore.UpdateUser", func(t *testing.T, e *ruleEnv) (named, error) {
			return named{userID: e.u.ID}, e.in.users.UpdateUser(ctx, &recall.User{ID: e.u.ID, TimeZone: "Asia/Tokyo"})
		}, false},
		{"SetAdmin", "UserStore.SetAdmin", func(t *testing.T, e *ruleEnv) (named, error) {
			return named{userID: e.u.ID}, e.in.users.SetAdmin(ctx, e.u.ID, true)
		}, false},
		{"SetAdminUnknownUser", "UserStore.SetAdmin", func(t *testing.T, e *ruleEnv) (named, error) {
			return named{userID: "no-such-user"}, e.in.users.SetAdmin(ctx, "no-such-user", true)
		}, true},
		{"CreateToken", "TokenStore.CreateToken", func(t *testing.T, e *ruleEnv) (named, error) {
			sum := sha256.Sum256([]byte("another"))
			tok := &recall.Token{Hash: sum[:], UserID: e.u.ID, CreatedAt: e.f.tick(), ExpiresAt: e.f.now.Add(recall.TokenLifetime)}
			return named{userID: e.u.ID, hash: sum[:]}, e.in.tokens.CreateToken(ctx, tok)
		}, false},
		{"DeleteToken", "TokenStore.DeleteToken", func(t *testing.T, e *ruleEnv) (named, error) {
			return named{hash: e.hash}, e.in.tokens.DeleteToken(ctx, e.hash)
		}, false},
		{"CreateConversation", "ConversationStore.CreateConversation", nil, false},
		{"SaveConversation", "ConversationStore.SaveConversation", nil, false},
		{"DeleteConversation", "ConversationStore.DeleteConversation", nil, false},
	}

	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.method] = true
		t.Run(c.name, func(t *testing.T) {
			if c.write == nil {
				// No decorator wraps this interface, so nothing would
				// apply a rule: it must drop nothing.
				if keys, ok := cache.RuleKeys(c.method, "u", "t", []byte{1}, &recall.Session{State: recall.SessionCompleted}, true); !ok || len(keys) != 0 {
					t.Fatalf("%s has no decorator, but its row drops %v (a row: %v)", c.method, keys, ok)
				}
				return
			}
			e := newRuleEnv(t)
			w, err := c.write(t, e)
			if c.refused != (err != nil) {
				t.Fatalf("%s = %v; want refused %v", c.method, err, c.refused)
			}
			drop, ok := cache.RuleKeys(c.method, w.userID, w.topicID, w.hash, w.session, w.reviewed)
			if !ok {
				t.Fatalf("%s has no row", c.method)
			}
			if c.refused {
				drop = nil
			}
			for _, key := range e.keys() {
				if got, want := e.cached(t, key), !slices.Contains(drop, key); got != want {
					t.Errorf("after %s, cached %s = %v; want %v (the row drops %v)", c.name, key, got, want, drop)
				}
			}
			e.check(t, "after "+c.name)
		})
	}
	for _, m := range cache.RuleMethods() {
		if !covered[m] {
			t.Errorf("no case performs %s", m)
		}
	}
}
