// Package tutor is Recall's conversation logic: it grades typed answers and
// moves a learning session along, one turn at a time, over the primary
// SessionStore (the truth) and a SessionCache (an accelerator), so that a
// turn on a cached session costs one database write and no database read.
package tutor

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/recallhq/recall"
)

// Limits of the session API.
const (
	// DefaultQuestionCount is the number of questions a session asks when
	// StartInput.QuestionCount is not given (or fewer, if the bank is
	// smaller).
	DefaultQuestionCount = 20
	// MaxQuestionCount is the largest StartInput.QuestionCount.
	MaxQuestionCount = 100
	// MaxMessageLength is the longest turn message, in characters.
	MaxMessageLength = 2000
	// MaxIdempotencyKeyLength is the longest Idempotency-Key, in characters.
	MaxIdempotencyKeyLength = 200
	// MaxTurns bounds the turns of one session (hints are unlimited
	// otherwise), and with them the size of its state and transcript.
	MaxTurns = 1000
)

// Commands a turn message may be, compared case-insensitively after
// trimming white space. Any other message is an answer.
const (
	CommandHint = "/hint" // show the current question's hint
	CommandSkip = "/skip" // skip the current question
	CommandEnd  = "/end"  // end the session, as Engine.End does
)

// Config is what an Engine needs. Sessions, Topics, Questions and Cache are
// required.
type Config struct {
	// Sessions is the primary session store: the truth. It may be a cache
	// decorator (cache.SessionStore), whose writes drop the cached keys
	// they change: a turn that completes a session changes its topic's
	// stats.
	Sessions recall.SessionStore
	// Topics checks that a topic is the user's; it may be a cache decorator.
	Topics recall.TopicStore
	// Questions gives a topic's whole bank in one call; it may be a cache
	// decorator, and should be one for a turn to read no database row.
	Questions recall.QuestionStore
	// Cache keeps session state close at hand (in process or in Redis).
	// Its errors are logged and otherwise ignored.
	Cache recall.SessionCache
	// Memories gives a user's memory states of a topic, and Users a user's
	// time zone and FSRS weights; both should be cache decorators, for a
	// start and a turn to read no database row. With Memories nil, no
	// turn is reviewed and ModeDue is refused.
	Memories recall.MemoryStore
	Users    recall.UserStore
	// Retention is the desired retention of the reviews; zero means
	// srs.DefaultRetention.
	Retention float64
	// Idle and Lifetime are the session expiry; zero means
	// recall.DefaultSessionIdle and recall.DefaultSessionLifetime.
	Idle, Lifetime time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Shuffle shuffles the questions of a new session; nil means the
	// Shuffle of math/rand/v2.
	Shuffle func(n int, swap func(i, j int))
	// Logger receives the cache errors; nil discards them. (The cache
	// backends count their own hits, misses and errors.)
	Logger *slog.Logger
}

// Engine runs learning sessions. It is safe for concurrent use; turns on
// one session are applied one at a time within the process, and the
// store's version check refuses a turn that raced with one applied by
// another process.
type Engine struct {
	sessions  recall.SessionStore
	topics    recall.TopicStore
	questions recall.QuestionStore
	cache     recall.SessionCache
	memories  recall.MemoryStore
	users     recall.UserStore
	retention float64
	idle      time.Duration
	lifetime  time.Duration
	now       func() time.Time
	shuffle   func(n int, swap func(i, j int))
	log       *slog.Logger
	locks     keyedMutex
}

// New returns an Engine; see Config for the defaults.
func New(cfg Config) *Engine {
	e := &Engine{
		sessions:  cfg.Sessions,
		topics:    cfg.Topics,
		questions: cfg.Questions,
		cache:     cfg.Cache,
		memories:  cfg.Memories,
		users:     cfg.Users,
		retention: cfg.Retention,
		idle:      cfg.Idle,
		lifetime:  cfg.Lifetime,
		now:       cfg.Now,
		shuffle:   cfg.Shuffle,
		log:       cfg.Logger,
	}
	if e.idle <= 0 {
		e.idle = recall.DefaultSessionIdle
	}
	if e.lifetime <= 0 {
		e.lifetime = recall.DefaultSessionLifetime
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.shuffle == nil {
		e.shuffle = rand.Shuffle
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e
}

// View is a session as its owner sees it at one moment.
type View struct {
	// Session is the session's state.
	Session *recall.Session
	// State is the session's state at the time of the view: an active
	// session whose time is up is SessionExpired.
	State recall.SessionState
	// ExpiresAt is when the session expires if nothing happens before.
	ExpiresAt time.Time
	// Current is the question being asked: nil when the session is not
	// active, when the question was deleted from the bank (the next turn
	// passes over it), and in the views of List (which would otherwise cost
	// one bank lookup per session). It holds only the question's ID,
	// TopicID, Prompt, Choices and times: never its answers, hint or
	// explanation.
	Current *recall.Question
}

// StartInput is the body of a request to start a session.
type StartInput struct {
	// TopicID is the topic to study; required.
	TopicID string `json:"topic_id"`
	// QuestionCount is the number of questions to ask, 1 to
	// MaxQuestionCount; nil means DefaultQuestionCount. Either way it is
	// capped at the size of the bank.
	QuestionCount *int `json:"question_count"`
	// Shuffle says whether to ask the questions in random order (nil means
	// true) or in bank order. A due session ignores it.
	Shuffle *bool `json:"shuffle"`
	// Mode is "" (the bank, shuffled or not) or ModeDue.
	Mode string `json:"mode"`
	// NewLimit and ReviewLimit are the daily caps of a due session, 0 to
	// MaxDailyLimit; nil means srs.DefaultNewLimit and
	// srs.DefaultReviewLimit.
	NewLimit    *int `json:"new_limit"`
	ReviewLimit *int `json:"review_limit"`
}

// ModeDue starts a session on the questions due now, the most forgotten
// first, then new ones, within the daily caps.
const ModeDue = "due"

// MaxDailyLimit is the largest NewLimit and ReviewLimit.
const MaxDailyLimit = 10000

// Validate checks the input, trimming the white space around TopicID.
func (in *StartInput) Validate() error {
	fields := map[string]string{}
	in.TopicID = strings.TrimSpace(in.TopicID)
	if in.TopicID == "" {
		fields["topic_id"] = "is required"
	}
	if in.QuestionCount != nil && (*in.QuestionCount < 1 || *in.QuestionCount > MaxQuestionCount) {
		fields["question_count"] = fmt.Sprintf("must be between 1 and %d", MaxQuestionCount)
	}
	if in.Mode != "" && in.Mode != ModeDue {
		fields["mode"] = `must be "due" or absent`
	}
	for name, p := range map[string]*int{"new_limit": in.NewLimit, "review_limit": in.ReviewLimit} {
		switch {
		case p == nil:
		case in.Mode != ModeDue:
			fields[name] = `is only for "mode": "due"`
		case *p < 0 || *p > MaxDailyLimit:
			fields[name] = fmt.Sprintf("must be between 0 and %d", MaxDailyLimit)
		}
	}
	return recall.InvalidFields(fields)
}

// Start starts a session on one of the user's topics. Returns ENOTFOUND if
// the topic does not exist or is another user's, EINVALID if in is invalid
// or the topic has no questions.
func (e *Engine) Start(ctx context.Context, userID string, in StartInput) (*View, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	topic, err := e.topics.Topic(ctx, userID, in.TopicID)
	if err != nil {
		return nil, err
	}
	qs, err := e.questions.Questions(ctx, topic.UserID, topic.ID)
	if err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, &recall.Error{Code: recall.EINVALID, Message: "This topic has no questions yet.",
			Fields: map[string]string{"topic_id": "has no questions yet"}}
	}
	ids := make([]string, len(qs))
	for i, q := range qs {
		ids[i] = q.ID
	}
	now := e.clock()
	mems, user, err := e.memoriesOf(ctx, userID, topic.ID, in.Mode == ModeDue)
	if err != nil {
		return nil, err
	}
	if in.Mode == ModeDue {
		if ids, err = e.due(ids, mems, user, in, now); err != nil {
			return nil, err
		}
	} else if in.Shuffle == nil || *in.Shuffle {
		e.shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	}
	n := min(len(ids), DefaultQuestionCount)
	if in.QuestionCount != nil {
		n = min(len(ids), *in.QuestionCount)
	} else if in.Mode == ModeDue {
		n = min(len(ids), MaxQuestionCount)
	}
	s := &recall.Session{
		ID:          recall.NewID(),
		UserID:      userID,
		TopicID:     topic.ID,
		State:       recall.SessionActive,
		QuestionIDs: ids[:n:n],
		Version:     1,
		CreatedAt:   now,
		UpdatedAt:   now,
		Memories:    snapshot(ids[:n], mems),
	}
	if err := e.sessions.CreateSession(ctx, s); err != nil {
		return nil, err
	}
	e.cachePut(context.WithoutCancel(ctx), s)
	return e.view(s, now, qs), nil
}

// Get returns one of the user's sessions. Returns ENOTFOUND if it does not
// exist or is another user's.
func (e *Engine) Get(ctx context.Context, userID, id string) (*View, error) {
	s, cached, err := e.load(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	v, qs, err := e.viewWithBank(ctx, s)
	if err != nil {
		return nil, err
	}
	if cached && len(qs) == 0 {
		if err := e.ensureTopic(ctx, userID, s); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// ListQuery asks List for one page of a user's sessions.
type ListQuery struct {
	// State keeps the sessions in this state now; "" keeps all.
	State recall.SessionState
	// After is where the page starts (the NextCursor of the page before);
	// the zero Cursor starts at the newest session.
	After recall.Cursor
	// Limit is the most sessions on the page: 1 to recall.MaxPageLimit,
	// 0 for recall.DefaultPageLimit.
	Limit int
}

// List returns one page of the user's sessions, newest first, and the
// cursor of the next page (the zero Cursor after the last page). Its views
// have no Current question. The store reads one more session than the
// page holds, to know whether another page follows. Returns EINVALID for an
// unknown state or a limit out of range.
func (e *Engine) List(ctx context.Context, userID string, q ListQuery) ([]*View, recall.Cursor, error) {
	switch q.State {
	case "", recall.SessionActive, recall.SessionCompleted, recall.SessionExpired:
	default:
		return nil, recall.Cursor{}, recall.Invalid("state", "must be active, completed or expired")
	}
	switch {
	case q.Limit == 0:
		q.Limit = recall.DefaultPageLimit
	case q.Limit < 0 || q.Limit > recall.MaxPageLimit:
		return nil, recall.Cursor{}, recall.Invalid("limit", fmt.Sprintf("must be a whole number from 1 to %d", recall.MaxPageLimit))
	}
	now := e.clock()
	ss, err := e.sessions.Sessions(ctx, userID, recall.SessionPage{
		After: q.After, Limit: q.Limit + 1, State: q.State, Now: now, Idle: e.idle, Lifetime: e.lifetime,
	})
	if err != nil {
		return nil, recall.Cursor{}, err
	}
	var next recall.Cursor
	if len(ss) > q.Limit {
		ss = ss[:q.Limit]
		next = recall.CursorOf(ss[len(ss)-1])
	}
	views := make([]*View, 0, len(ss))
	for _, s := range ss {
		views = append(views, e.view(s, now, nil))
	}
	return views, next, nil
}

// Turn applies one message of the user to a session and returns the turn
// with the session as the turn left it.
//
// The message (1 to MaxMessageLength characters, not blank) is a command
// (CommandHint, CommandSkip, CommandEnd) or an answer to the current
// question, which is graded with Grade. A non-empty idempotencyKey (at most
// MaxIdempotencyKeyLength characters) makes retries safe: a message with a
// key already used in the session grades nothing and returns the response
// the key first got.
//
// Returns EINVALID for a bad message or key, ENOTFOUND if the session does
// not exist or is another user's, ECONFLICT if it is not active or a
// concurrent turn (on another server instance) won.
func (e *Engine) Turn(ctx context.Context, userID, id, message, idempotencyKey string) (*recall.Turn, *View, error) {
	if err := checkMessage(message); err != nil {
		return nil, nil, err
	}
	if err := checkKey(idempotencyKey); err != nil {
		return nil, nil, err
	}
	return e.step(ctx, userID, id, idempotencyKey, true, func(ns *recall.Session, b bank, t *recall.Turn) {
		converse(ns, b, t, message)
	})
}

// End ends a session: the questions not answered yet count as skipped, the
// session is completed, and the reply of the summary turn it records sums it
// up. Returns ENOTFOUND as Get does, ECONFLICT if the session is not active.
func (e *Engine) End(ctx context.Context, userID, id string) (*View, error) {
	return e.EndOnce(ctx, userID, id, "")
}

// EndOnce is End with an idempotency key, as Turn takes one: a retry with
// the same key returns the session as the first call ended it, where a
// plain retry would find the session no longer active (ECONFLICT).
func (e *Engine) EndOnce(ctx context.Context, userID, id, idempotencyKey string) (*View, error) {
	if err := checkKey(idempotencyKey); err != nil {
		return nil, err
	}
	_, v, err := e.step(ctx, userID, id, idempotencyKey, false, func(ns *recall.Session, b bank, t *recall.Turn) {
		end(ns, t, CommandEnd)
	})
	return v, err
}

// checkKey validates an Idempotency-Key.
func checkKey(key string) error {
	if !utf8.ValidString(key) || utf8.RuneCountInString(key) > MaxIdempotencyKeyLength {
		return recall.Invalid("Idempotency-Key",
			fmt.Sprintf("Idempotency-Key must be valid UTF-8 of at most %d characters.", MaxIdempotencyKeyLength))
	}
	return nil
}

// Transcript returns the turns of one of the user's sessions, oldest
// first. Returns ENOTFOUND as Get does.
func (e *Engine) Transcript(ctx context.Context, userID, id string) ([]*recall.Turn, error) {
	s, cached, err := e.load(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if cached {
		if err := e.ensureTopic(ctx, userID, s); err != nil {
			return nil, err
		}
	}
	return e.sessions.Turns(ctx, id)
}

// step runs one turn: act fills in the turn and changes the new state,
// everything else (locking, loading, idempotency, the write, the cache) is
// the same for every kind of turn.
func (e *Engine) step(ctx context.Context, userID, id, key string, limited bool, act func(ns *recall.Session, b bank, t *recall.Turn)) (*recall.Turn, *View, error) {
	unlock, err := e.locks.lock(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()

	s, cached, err := e.load(ctx, userID, id)
	if err != nil {
		return nil, nil, err
	}
	t, v, fresh, err := e.apply(ctx, userID, key, s, cached, limited, act)
	if fresh == nil {
		return t, v, err
	}
	// The state the turn was built on was not the stored one: the cache
	// had missed a write (a put that failed while Redis was slow), or a
	// turn on another instance won. Apply the message once more, to the
	// stored state: the turn waits rather than fails, as it would behind
	// the lock of this instance. A second conflict is reported.
	t, v, fresh, err = e.apply(ctx, userID, key, fresh, false, limited, act)
	if fresh != nil {
		return nil, nil, recall.Errorf(recall.ECONFLICT, "A concurrent change won; retry.")
	}
	return t, v, err
}

// apply builds the turn on state s and writes it through. When the store
// refuses the write because s is not the stored state, it returns the
// stored state as fresh (already put in the cache), unless the stored
// state records this turn's idempotency key: then it returns that first
// response.
func (e *Engine) apply(ctx context.Context, userID, key string, s *recall.Session, cached, limited bool, act func(ns *recall.Session, b bank, t *recall.Turn)) (t *recall.Turn, v *View, fresh *recall.Session, err error) {
	now := e.clock()
	_, replay := s.IdempotencyKeys[key]
	replay = replay && key != ""
	if cached && (replay || s.StateAt(now, e.idle, e.lifetime) != recall.SessionActive) {
		if err := e.ensureTopic(ctx, userID, s); err != nil {
			return nil, nil, nil, err
		}
	}
	if replay {
		t, v, err := e.replay(ctx, s, s.IdempotencyKeys[key])
		return t, v, nil, err
	}
	if s.StateAt(now, e.idle, e.lifetime) != recall.SessionActive {
		return nil, nil, nil, recall.Errorf(recall.ECONFLICT, "This session is not active.")
	}
	if limited && s.Turns >= MaxTurns {
		return nil, nil, nil, recall.Errorf(recall.ECONFLICT, "This session has reached its limit of %d turns; end it and start another.", MaxTurns)
	}
	qs, err := e.questions.Questions(ctx, s.UserID, s.TopicID)
	if err != nil {
		return nil, nil, nil, err
	}
	if cached && len(qs) == 0 {
		if err := e.ensureTopic(ctx, userID, s); err != nil {
			return nil, nil, nil, err
		}
	}

	ns := s.Clone()
	ns.Version++
	ns.UpdatedAt = now
	t = &recall.Turn{SessionID: s.ID, Index: s.Turns, CreatedAt: now, IdempotencyKey: key}
	act(ns, qs, t)
	// The hint counts for the question it was given for, until it moves on.
	ns.Hinted = t.Kind == recall.TurnHint || (s.Hinted && ns.Current == s.Current)
	if t.Review, err = e.review(ctx, s, qs, t, now); err != nil {
		return nil, nil, nil, err
	}
	ns.Turns++
	if key != "" {
		if ns.IdempotencyKeys == nil {
			ns.IdempotencyKeys = make(map[string]int, 1)
		}
		ns.IdempotencyKeys[key] = t.Index
	}
	// A replay needs the session as the turn left it, not the keys of
	// every earlier turn: without them a turn's record stays small (and
	// the copy does not copy them).
	keys := ns.IdempotencyKeys
	ns.IdempotencyKeys = nil
	t.After = ns.Clone()
	ns.IdempotencyKeys = keys

	// With a cache that can batch (Redis), the keys the commit
	// invalidates (the user's memory states and days of study) are
	// dropped by the session's compare-and-set below, in its round trip:
	// every path after SaveTurn ends in a Put or a Delete made with wctx.
	wctx := ctx
	if b, ok := e.cache.(batcher); ok {
		wctx = b.Batch(ctx)
	}
	if err := e.sessions.SaveTurn(wctx, ns, t); err != nil {
		switch recall.ErrorCode(err) {
		case recall.ECONFLICT:
			return e.afterConflict(ctx, userID, s.ID, key)
		case recall.ENOTFOUND: // deleted with its topic
			if err := e.cache.Delete(context.WithoutCancel(wctx), s.UserID, s.ID); err != nil {
				e.log.WarnContext(ctx, "session cache delete failed", "session_id", s.ID, "err", err)
			}
		}
		return nil, nil, nil, err
	}
	// The turn is committed: finish the bookkeeping even if the client
	// has gone.
	e.cachePut(context.WithoutCancel(wctx), ns)
	return t, e.view(ns, now, qs), nil, nil
}

// batcher is a session cache that can send the cache invalidations of a
// write with its next Put or Delete (redis.SessionCache): Batch returns
// the context for the write and that Put or Delete.
type batcher interface {
	Batch(ctx context.Context) context.Context
}

// afterConflict handles a SaveTurn refused because the stored session
// changed: if the change was this very turn (a retry with the same key that
// another instance applied) it returns that response, otherwise the stored
// state as fresh.
func (e *Engine) afterConflict(ctx context.Context, userID, id, key string) (*recall.Turn, *View, *recall.Session, error) {
	s, err := e.sessions.Session(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	if s.UserID != userID {
		return nil, nil, nil, notFound()
	}
	if err := e.rebuild(ctx, s); err != nil {
		return nil, nil, nil, err
	}
	e.cachePut(ctx, s)
	if idx, ok := s.IdempotencyKeys[key]; ok && key != "" {
		t, v, err := e.replay(ctx, s, idx)
		return t, v, nil, err
	}
	return nil, nil, s, nil
}

// replay returns the turn recorded for an idempotency key, with the session
// as that turn left it.
func (e *Engine) replay(ctx context.Context, s *recall.Session, index int) (*recall.Turn, *View, error) {
	t, err := e.sessions.Turn(ctx, s.ID, index)
	if err != nil {
		return nil, nil, err
	}
	after := t.After
	if after == nil {
		after = s
	}
	v, _, err := e.viewWithBank(ctx, after)
	if err != nil {
		return nil, nil, err
	}
	return t, v, nil
}

// load returns the user's session from the cache, or from the store (and
// then caches it). cached says which: a cached session may have outlived
// its topic (see ensureTopic).
func (e *Engine) load(ctx context.Context, userID, id string) (s *recall.Session, cached bool, err error) {
	s, err = e.cache.Get(ctx, userID, id)
	if err != nil && !recall.IsCode(err, recall.ENOTFOUND) {
		e.log.WarnContext(ctx, "session cache get failed", "session_id", id, "err", err)
	}
	if err != nil {
		if s, err = e.sessions.Session(ctx, id); err != nil {
			return nil, false, err
		}
		if s.UserID != userID {
			return nil, false, notFound()
		}
		if err := e.rebuild(ctx, s); err != nil {
			return nil, false, err
		}
		e.cachePut(ctx, s)
		return s, false, nil
	}
	if s.UserID != userID {
		return nil, false, notFound()
	}
	return s, true, nil
}

// ensureTopic returns ENOTFOUND (and drops the session from the cache) if
// the topic of a cached session was deleted: the delete cascades to the
// session in the database only. It is called when the question bank does
// not already prove the topic alive — a deleted topic's bank is empty — so
// a turn on a live topic pays nothing for it; the lookup itself is served
// by the topic cache.
func (e *Engine) ensureTopic(ctx context.Context, userID string, s *recall.Session) error {
	_, err := e.topics.Topic(ctx, userID, s.TopicID)
	if recall.IsCode(err, recall.ENOTFOUND) {
		if err := e.cache.Delete(context.WithoutCancel(ctx), s.UserID, s.ID); err != nil {
			e.log.WarnContext(ctx, "session cache delete failed", "session_id", s.ID, "err", err)
		}
		return notFound()
	}
	return err
}

func (e *Engine) cachePut(ctx context.Context, s *recall.Session) {
	if err := e.cache.Put(ctx, s, e.idle, s.ExpiresAt(e.idle, e.lifetime)); err != nil {
		e.log.WarnContext(ctx, "session cache put failed", "session_id", s.ID, "err", err)
		// An older version may still be cached: drop it, so that reads
		// of the session go to the store rather than show old progress.
		if err := e.cache.Delete(ctx, s.UserID, s.ID); err != nil {
			e.log.WarnContext(ctx, "session cache delete failed", "session_id", s.ID, "err", err)
		}
	}
}

// viewWithBank returns the view of s now, with its current question if it is
// active.
func (e *Engine) viewWithBank(ctx context.Context, s *recall.Session) (*View, bank, error) {
	now := e.clock()
	var qs bank
	if s.StateAt(now, e.idle, e.lifetime) == recall.SessionActive {
		var err error
		if qs, err = e.questions.Questions(ctx, s.UserID, s.TopicID); err != nil {
			return nil, nil, err
		}
	}
	return e.view(s, now, qs), qs, nil
}

func (e *Engine) view(s *recall.Session, now time.Time, qs bank) *View {
	v := &View{Session: s, State: s.StateAt(now, e.idle, e.lifetime), ExpiresAt: s.ExpiresAt(e.idle, e.lifetime)}
	if v.State == recall.SessionActive && s.Current < len(s.QuestionIDs) {
		if q := qs.find(s.QuestionIDs[s.Current]); q != nil {
			v.Current = &recall.Question{
				ID: q.ID, TopicID: q.TopicID, Prompt: q.Prompt,
				Choices:   append([]string(nil), q.Choices...),
				CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
			}
		}
	}
	return v
}

// clock returns the time now in UTC, to the microsecond as the databases
// keep it, so that a state read from the cache and one read from the store
// are alike.
func (e *Engine) clock() time.Time {
	return e.now().UTC().Truncate(time.Microsecond)
}

func checkMessage(m string) error { return checkText("message", m) }

// checkContent checks a conversation message, whose body field is content.
func checkContent(m string) error { return checkText("content", m) }

func checkText(field, m string) error {
	switch {
	case recall.TextProblem(m) != "":
		return recall.Invalid(field, "The message "+recall.TextProblem(m)+".")
	case utf8.RuneCountInString(m) > MaxMessageLength:
		return recall.Invalid(field, fmt.Sprintf("The message must be at most %d characters long.", MaxMessageLength))
	case strings.TrimSpace(m) == "":
		return recall.Invalid(field, "The message must not be empty.")
	}
	return nil
}

func notFound() error {
	return recall.Errorf(recall.ENOTFOUND, "Session not found.")
}

// bank is a topic's question bank.
type bank []*recall.Question

// find returns the question with that id, or nil if it is not in the bank.
// A session looks up two or three questions per turn: a scan is cheaper
// than building a map.
func (b bank) find(id string) *recall.Question {
	for _, q := range b {
		if q.ID == id {
			return q
		}
	}
	return nil
}

// keyedMutex serializes the turns of one session within the process. An
// entry lives only while someone holds or waits for its lock, so the map
// does not grow with the number of sessions ever seen.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	ch   chan struct{} // holds a token while the lock is held
	refs int           // holders and waiters
}

// lock waits for the lock of key, or for ctx to be done, and returns the
// function that releases it.
func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyedEntry)
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{ch: make(chan struct{}, 1)}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()

	select {
	case e.ch <- struct{}{}:
		return func() {
			<-e.ch
			k.release(key, e)
		}, nil
	case <-ctx.Done():
		k.release(key, e)
		return nil, ctx.Err()
	}
}

func (k *keyedMutex) release(key string, e *keyedEntry) {
	k.mu.Lock()
	if e.refs--; e.refs == 0 {
		delete(k.m, key)
	}
	k.mu.Unlock()
}

// len returns the number of keys locked or waited for.
func (k *keyedMutex) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}
