package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/auth"
)

// HashParams returns the argon2id parameters of the benchmark's accounts:
// cheap ones, so that seeding a thousand accounts takes seconds and logins
// measure the service rather than the password hash. The StartFunc must
// give them to the server too.
func HashParams() auth.HashParams {
	return auth.HashParams{Memory: 64, Time: 1, Threads: 1}
}

// hashParamsNote describes HashParams for the report.
const hashParamsNote = "argon2id m=64KiB t=1 p=1 for the seeded accounts and logins (bench only: the production default is m=19MiB t=2 p=1, tens of ms per login)"

// RateLimits returns the rate-limit policies of the benchmark: quotas so
// high (ten million a minute per principal) that no request is limited, so
// the limiter costs its usual decision but never distorts the figures. The
// StartFunc must give them to the server.
func RateLimits() []string {
	return []string{
		"default=10000000/1m",
		"auth=10000000/1m",
		"turns=10000000/1m",
		"writes=10000000/1m",
	}
}

// choices returns the choices of the multiple-choice questions.
func choices() []string { return []string{"Amber", "Cobalt", "Jade", "Scarlet"} }

// wrongAnswer is what a virtual user types to answer wrongly: far from every
// accepted answer, so fuzzy matching never accepts it.
const wrongAnswer = "no idea, sorry"

// newQuestion is a question of the data set, with the message that answers
// it rightly.
type newQuestion struct {
	Prompt      string   `json:"prompt"`
	Answers     []string `json:"answers"`
	Choices     []string `json:"choices,omitempty"`
	Explanation string   `json:"explanation"`
	Hint        string   `json:"hint"`
}

// promptFormat starts every prompt: question, topic (both 1-based) and
// user index. A virtual user reads it back to know the right answer, so it
// keeps no table of answers.
const promptFormat = "Question %d of topic %d for learner %d:"

// rightAnswer returns the message that answers the question with prompt
// rightly, or wrongAnswer if the prompt is not one of the data set's.
func rightAnswer(prompt string) string {
	var q, t, u int
	if n, err := fmt.Sscanf(prompt, promptFormat, &q, &t, &u); err != nil || n != 3 || q < 1 || t < 1 || u < 0 {
		return wrongAnswer
	}
	return makeQuestion(u, t-1, q-1).Answers[0]
}

// makeQuestion returns question q of topic t of user u (all 0-based); every
// third one is multiple choice.
func makeQuestion(u, t, q int) newQuestion {
	nq := newQuestion{
		Prompt:      fmt.Sprintf(promptFormat+" what is the code word of card %d?", q+1, t+1, u, q+1),
		Explanation: fmt.Sprintf("Card %d of topic %d carries that code word; it was printed on its back.", q+1, t+1),
	}
	if q%3 == 2 {
		nq.Choices = choices()
		nq.Answers = []string{nq.Choices[(u+t+q)%len(nq.Choices)]}
		nq.Hint = "It is a colour."
	} else {
		n := 100000 + u*1000 + t*40 + q
		nq.Answers = []string{fmt.Sprintf("keyword %d", n)}
		nq.Hint = fmt.Sprintf("The number ends in %d.", n%10)
	}
	return nq
}

// keptQuestionIDs is how many question IDs of each topic a virtual user
// remembers, to pick the questions it edits.
const keptQuestionIDs = 5

// topicState is a seeded topic: its index, ID and the IDs of its first
// questions.
type topicState struct {
	index     int
	id        string
	questions []string
	// count is the questions in the bank. The write operation's virtual
	// user adds to it while the message operation's reads it, for the same
	// user at the same time: it is the one field two goroutines share.
	count atomic.Int64
}

// newTopicState returns a topic with count questions.
func newTopicState(index int, id string, questions []string, count int) *topicState {
	t := &topicState{index: index, id: id, questions: questions}
	t.count.Store(int64(count))
	return t
}

// sessionState is the active session a virtual user is answering.
type sessionState struct {
	id       string
	question string // the current question's ID
	prompt   string // and its prompt
}

// userState is a seeded user and what a virtual user knows about it.
// The virtual users of different operations may hold the same user at the
// same time, so each field but a topic's count belongs to one operation:
// session to the turn's (a session start adopts nothing), conversation to
// the message's, writes to the write's.
type userState struct {
	index    int
	name     string
	password string
	id       string
	token    string
	topics   []*topicState
	session  *sessionState
	// conversation is the user's conversation with the tutor, nil until
	// the message operation starts one.
	conversation *conversationState
	writes       int
}

// cloneUsers returns a copy of the seeded users as they were before any
// load: no session, no edit.
func cloneUsers(seeded []*userState) []*userState {
	out := make([]*userState, len(seeded))
	for i, u := range seeded {
		c := *u
		c.session, c.conversation, c.writes = nil, nil, 0
		c.topics = make([]*topicState, len(u.topics))
		for j, t := range u.topics {
			c.topics[j] = newTopicState(t.index, t.id, t.questions, int(t.count.Load()))
		}
		out[i] = &c
	}
	return out
}

// seeder writes the data set: through the store (in process) or through
// the HTTP API (a target).
type seeder interface {
	createUser(ctx context.Context, u *userState) error
	login(ctx context.Context, u *userState) error
	createTopic(ctx context.Context, u *userState, title, description string) (string, error)
	addQuestions(ctx context.Context, u *userState, topicID string, qs []newQuestion) ([]string, error)
}

// runID returns a short random hex string naming a run.
func runID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// seedUsers makes cfg.Users users with cfg.Topics topics of cfg.Questions
// questions each, and signs each in, with workers goroutines. Usernames
// carry run so that a target's existing accounts are never touched.
func seedUsers(ctx context.Context, cfg *Config, s seeder, run string, workers int, done *atomic.Int64) ([]*userState, error) {
	users := make([]*userState, cfg.Users)
	for i := range users {
		users[i] = &userState{
			index:    i,
			name:     fmt.Sprintf("bench_%s_%d", run, i),
			password: fmt.Sprintf("bench-password-%s-%d", run, i),
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, u := range users {
		g.Go(func() error {
			if err := seedUser(ctx, cfg, s, u); err != nil {
				return fmt.Errorf("seed user %s: %w", u.name, err)
			}
			done.Add(1)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return users, nil
}

func seedUser(ctx context.Context, cfg *Config, s seeder, u *userState) error {
	if err := s.createUser(ctx, u); err != nil {
		return err
	}
	if err := s.login(ctx, u); err != nil {
		return err
	}
	for t := range cfg.Topics {
		id, err := s.createTopic(ctx, u, fmt.Sprintf("Topic %d", t+1),
			fmt.Sprintf("Practice deck %d of learner %d: %d cards with code words, some of them multiple choice.", t+1, u.index, cfg.Questions))
		if err != nil {
			return err
		}
		qs := make([]newQuestion, cfg.Questions)
		for q := range qs {
			qs[q] = makeQuestion(u.index, t, q)
		}
		ids, err := s.addQuestions(ctx, u, id, qs)
		if err != nil {
			return err
		}
		if len(ids) != len(qs) {
			return fmt.Errorf("added %d questions, got %d IDs back", len(qs), len(ids))
		}
		u.topics = append(u.topics, newTopicState(t, id, slices.Clone(ids[:min(len(ids), keptQuestionIDs)]), len(ids)))
	}
	return nil
}

// storeSeeder seeds through the primary store, with the auth service for
// the password hashes and tokens.
type storeSeeder struct {
	store recall.Store
	auth  *auth.Service

	mu   sync.Mutex
	last time.Time
}

func newStoreSeeder(store recall.Store) *storeSeeder {
	return &storeSeeder{
		store: store,
		auth:  auth.New(auth.Config{Users: store, Tokens: store, HashParams: HashParams()}),
	}
}

// now returns a strictly increasing time, so topics have distinct
// timestamps and a stable order.
func (s *storeSeeder) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := time.Now().UTC().Truncate(time.Microsecond)
	if !t.After(s.last) {
		t = s.last.Add(time.Microsecond)
	}
	s.last = t
	return t
}

func (s *storeSeeder) createUser(ctx context.Context, u *userState) error {
	usr, err := s.auth.Register(ctx, recall.Credentials{Username: u.name, Password: u.password})
	if err != nil {
		return err
	}
	u.id = usr.ID
	return nil
}

func (s *storeSeeder) login(ctx context.Context, u *userState) error {
	tok, _, err := s.auth.Login(ctx, recall.Credentials{Username: u.name, Password: u.password})
	if err != nil {
		return err
	}
	u.token = tok
	return nil
}

func (s *storeSeeder) createTopic(ctx context.Context, u *userState, title, description string) (string, error) {
	now := s.now()
	t := &recall.Topic{ID: recall.NewID(), UserID: u.id, Title: title, Description: description, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateTopic(ctx, t); err != nil {
		return "", err
	}
	return t.ID, nil
}

func (s *storeSeeder) addQuestions(ctx context.Context, u *userState, topicID string, qs []newQuestion) ([]string, error) {
	now := s.now()
	out := make([]*recall.Question, len(qs))
	ids := make([]string, len(qs))
	for i, nq := range qs {
		ids[i] = recall.NewID()
		out[i] = &recall.Question{
			ID: ids[i], TopicID: topicID, Prompt: nq.Prompt, Answers: nq.Answers, Choices: nq.Choices,
			Explanation: nq.Explanation, Hint: nq.Hint, CreatedAt: now, UpdatedAt: now,
		}
	}
	if err := s.store.AddQuestions(ctx, u.id, topicID, out); err != nil {
		return nil, err
	}
	return ids, nil
}

// httpSeeder seeds through the API of a running server.
type httpSeeder struct{ c *client }

func (s httpSeeder) createUser(ctx context.Context, u *userState) error {
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := s.c.call(ctx, "POST", "/v1/users", "", map[string]string{"username": u.name, "password": u.password}, &out); err != nil {
		return err
	}
	u.id = out.User.ID
	return nil
}

func (s httpSeeder) login(ctx context.Context, u *userState) error {
	var out struct {
		Token string `json:"token"`
	}
	if err := s.c.call(ctx, "POST", "/v1/tokens", "", map[string]string{"username": u.name, "password": u.password}, &out); err != nil {
		return err
	}
	u.token = out.Token
	return nil
}

func (s httpSeeder) createTopic(ctx context.Context, u *userState, title, description string) (string, error) {
	var out struct {
		Topic struct {
			ID string `json:"id"`
		} `json:"topic"`
	}
	if err := s.c.call(ctx, "POST", "/v1/topics", u.token, map[string]string{"title": title, "description": description}, &out); err != nil {
		return "", err
	}
	return out.Topic.ID, nil
}

func (s httpSeeder) addQuestions(ctx context.Context, u *userState, topicID string, qs []newQuestion) ([]string, error) {
	var out struct {
		Questions []struct {
			ID string `json:"id"`
		} `json:"questions"`
	}
	if err := s.c.call(ctx, "POST", "/v1/topics/"+topicID+"/questions", u.token, map[string]any{"questions": qs}, &out); err != nil {
		return nil, err
	}
	ids := make([]string, len(out.Questions))
	for i, q := range out.Questions {
		ids[i] = q.ID
	}
	return ids, nil
}
