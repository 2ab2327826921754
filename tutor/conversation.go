package tutor

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/llm"
)

// Conversations with the tutor follow the rules of learning sessions: the
// state (recent messages, a running summary of older ones, the questions in
// play, the question being quizzed) is kept in a ConversationCache, every
// exchange is written through to the ConversationStore before it is
// acknowledged, guarded by the state's version (a stale writer is refused),
// and a cache miss is rebuilt from the store. A reply is grounded in the
// topic's question bank, read through the question-bank cache and ranked
// by BM25 (bm25.go).

// Limits of conversations.
const (
	// MaxConversationMessages bounds the messages of one conversation.
	MaxConversationMessages = 2000
	// contextQuestions is how many relevant questions a reply draws on.
	contextQuestions = 5
	// maxSummary bounds the running summary, in bytes; its oldest lines
	// go first.
	maxSummary = 2000
	// TutorRules and TutorLLM name who wrote a reply.
	TutorRules = "rules"
	TutorLLM   = "llm"
)

// LLM is what a conversation needs of a language model: a streamed reply
// and the grade of a free-text answer. *llm.Client implements it.
type LLM interface {
	Reply(ctx context.Context, req llm.ChatRequest, onChunk func(string) error) (*llm.Reply, error)
	Grade(ctx context.Context, req llm.GradeRequest) (llm.Verdict, error)
}

// ConversationConfig is what a Conversations engine needs. Store, Topics,
// Questions and Cache are required.
type ConversationConfig struct {
	Store recall.ConversationStore
	// Topics checks that a topic is the user's; Questions gives its bank.
	// Both should be cache decorators, for a message to read no database
	// row.
	Topics    recall.TopicStore
	Questions recall.QuestionStore
	Cache     recall.ConversationCache
	// LLM, if not nil, writes the replies and grades the free-text answers
	// the rules reject; the rules answer whenever it fails.
	LLM LLM
	// Idle and Lifetime are the conversation expiry; zero means
	// recall.DefaultSessionIdle and recall.DefaultSessionLifetime.
	Idle, Lifetime time.Duration
	Now            func() time.Time
	Logger         *slog.Logger
	// IndexCacheSize bounds the bank indexes kept in process; zero means
	// 10,000.
	IndexCacheSize int
}

// Conversations runs conversations with the tutor. It is safe for
// concurrent use; the messages of one conversation are applied one at a
// time within the process, and the store's version check refuses one that
// raced with another process.
type Conversations struct {
	store     recall.ConversationStore
	topics    recall.TopicStore
	questions recall.QuestionStore
	cache     recall.ConversationCache
	llm       LLM
	idle      time.Duration
	lifetime  time.Duration
	now       func() time.Time
	log       *slog.Logger
	locks     keyedMutex
	indexes   *indexMemo
}

// NewConversations returns an engine; see ConversationConfig.
func NewConversations(cfg ConversationConfig) *Conversations {
	e := &Conversations{
		store: cfg.Store, topics: cfg.Topics, questions: cfg.Questions, cache: cfg.Cache, llm: cfg.LLM,
		idle: cfg.Idle, lifetime: cfg.Lifetime, now: cfg.Now, log: cfg.Logger,
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
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	size := cfg.IndexCacheSize
	if size <= 0 {
		size = 10000
	}
	e.indexes = newIndexMemo(size)
	return e
}

// ConversationView is a conversation as its owner sees it at one moment.
type ConversationView struct {
	Conversation *recall.Conversation
	State        recall.ConversationState
	ExpiresAt    time.Time
}

// StartConversationInput is the body of a request to start a conversation.
type StartConversationInput struct {
	TopicID string  `json:"topic_id"`
	Title   *string `json:"title"`
}

// Validate checks the input.
func (in *StartConversationInput) Validate() error {
	fields := map[string]string{}
	in.TopicID = strings.TrimSpace(in.TopicID)
	if in.TopicID == "" {
		fields["topic_id"] = "is required"
	}
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		switch {
		case recall.TextProblem(t) != "":
			fields["title"] = recall.TextProblem(t)
		case utf8.RuneCountInString(t) > recall.MaxConversationTitle:
			fields["title"] = fmt.Sprintf("must be at most %d characters", recall.MaxConversationTitle)
		}
		in.Title = &t
	}
	return recall.InvalidFields(fields)
}

// Start starts a conversation on one of the user's topics. Returns
// ENOTFOUND if the topic is not the user's, EINVALID for bad input.
func (e *Conversations) Start(ctx context.Context, userID string, in StartConversationInput) (*ConversationView, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	topic, err := e.topics.Topic(ctx, userID, in.TopicID)
	if err != nil {
		return nil, err
	}
	title := topic.Title
	if in.Title != nil && *in.Title != "" {
		title = *in.Title
	}
	now := e.clock()
	c := &recall.Conversation{
		ID: recall.NewID(), UserID: userID, TopicID: topic.ID, Title: title, State: recall.ConversationActive,
		Version: 1, CreatedAt: now, UpdatedAt: now, Recent: []*recall.Message{},
	}
	if err := e.store.CreateConversation(ctx, c); err != nil {
		return nil, err
	}
	e.cachePut(context.WithoutCancel(ctx), c)
	return e.view(c, now), nil
}

// Get returns one of the user's conversations. Returns ENOTFOUND if it does
// not exist or is another user's.
func (e *Conversations) Get(ctx context.Context, userID, id string) (*ConversationView, error) {
	c, _, err := e.load(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	return e.view(c, e.clock()), nil
}

// List returns one page of the user's conversations, newest first, and the
// cursor of the next page (zero after the last). limit 0 means
// recall.DefaultPageLimit.
func (e *Conversations) List(ctx context.Context, userID string, after recall.Cursor, limit int) ([]*ConversationView, recall.Cursor, error) {
	switch {
	case limit == 0:
		limit = recall.DefaultPageLimit
	case limit < 0 || limit > recall.MaxPageLimit:
		return nil, recall.Cursor{}, recall.Invalid("limit", fmt.Sprintf("must be a whole number from 1 to %d", recall.MaxPageLimit))
	}
	list, err := e.store.Conversations(ctx, userID, recall.ConversationPage{After: after, Limit: limit + 1})
	if err != nil {
		return nil, recall.Cursor{}, err
	}
	var next recall.Cursor
	if len(list) > limit {
		list = list[:limit]
		next = recall.ConversationCursor(list[len(list)-1])
	}
	now := e.clock()
	views := make([]*ConversationView, len(list))
	for i, c := range list {
		views[i] = e.view(c, now)
	}
	return views, next, nil
}

// Messages returns at most limit messages of one of the user's
// conversations from index from on, oldest first, and the index the next
// page starts at (-1 after the last page).
func (e *Conversations) Messages(ctx context.Context, userID, id string, from, limit int) ([]*recall.Message, int, error) {
	if from < 0 {
		return nil, -1, recall.Invalid("cursor", "is not a cursor this server gave; start again without one")
	}
	switch {
	case limit == 0:
		limit = recall.DefaultPageLimit
	case limit < 0 || limit > recall.MaxPageLimit:
		return nil, -1, recall.Invalid("limit", fmt.Sprintf("must be a whole number from 1 to %d", recall.MaxPageLimit))
	}
	c, _, err := e.load(ctx, userID, id)
	if err != nil {
		return nil, -1, err
	}
	if from >= c.Messages {
		return []*recall.Message{}, -1, nil
	}
	// The cached recent messages serve the last page with no read.
	if len(c.Recent) > 0 && from >= c.Recent[0].Index {
		out := c.Recent[from-c.Recent[0].Index:]
		if len(out) > limit {
			return out[:limit], out[limit].Index, nil
		}
		return out, -1, nil
	}
	msgs, err := e.store.ConversationMessages(ctx, id, from, limit)
	if err != nil {
		return nil, -1, err
	}
	next := -1
	if len(msgs) == limit && from+limit < c.Messages {
		next = from + limit
	}
	return msgs, next, nil
}

// End ends a conversation. Returns ENOTFOUND as Get does, ECONFLICT if it
// is not active.
func (e *Conversations) End(ctx context.Context, userID, id string) (*ConversationView, error) {
	unlock, err := e.locks.lock(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	c, _, err := e.load(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	now := e.clock()
	if c.StateAt(now, e.idle, e.lifetime) != recall.ConversationActive {
		return nil, recall.Errorf(recall.ECONFLICT, "This conversation is not active.")
	}
	n := c.Clone()
	n.State, n.Version, n.UpdatedAt, n.Quizzing = recall.ConversationEnded, c.Version+1, now, ""
	if err := e.store.SaveConversation(ctx, n, nil); err != nil {
		if recall.IsCode(err, recall.ECONFLICT) {
			e.refresh(context.WithoutCancel(ctx), userID, id)
		}
		return nil, err
	}
	e.cachePut(context.WithoutCancel(ctx), n)
	return e.view(n, now), nil
}

// Delete deletes one of the user's conversations with its messages.
func (e *Conversations) Delete(ctx context.Context, userID, id string) error {
	// Under the conversation's lock, so that an exchange of this process
	// that saved just before cannot put the state back in the cache after
	// the delete below dropped it.
	unlock, err := e.locks.lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	if err := e.store.DeleteConversation(ctx, userID, id); err != nil {
		return err
	}
	if err := e.cache.Delete(context.WithoutCancel(ctx), userID, id); err != nil {
		e.log.WarnContext(ctx, "conversation cache delete failed", "conversation_id", id, "err", err)
	}
	return nil
}

// Exchange is the outcome of a message: the learner's message, the tutor's
// reply, and the conversation as they left it.
type Exchange struct {
	Learner *recall.Message
	Reply   *recall.Message
	View    *ConversationView
	// Replayed is true when the exchange is the first response of an
	// idempotency key used before.
	Replayed bool
}

// Stream receives a reply as it is written. Chunk gets each piece; Reset
// says that the pieces so far are withdrawn (the LLM failed midway and the
// rules answer instead). Either returning an error ends the reply.
type Stream struct {
	Chunk func(text string) error
	Reset func() error
}

// Send applies the learner's message to a conversation and returns the
// exchange once both messages are durable in the store. A non-empty
// idempotencyKey makes retries safe: a message with a key already used in
// the conversation changes nothing and returns the first response. With
// stream set, the reply is passed on as it is written.
//
// Returns EINVALID for a bad message or key, ENOTFOUND as Get does,
// ECONFLICT if the conversation is not active, full, or a concurrent
// message (on another server instance) won.
func (e *Conversations) Send(ctx context.Context, userID, id, content, key string, stream *Stream) (*Exchange, error) {
	if err := checkContent(content); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	unlock, err := e.locks.lock(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()

	c, cached, err := e.load(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if key != "" {
		// A recent key is answered from the state, an older one from the
		// store, before anything else: a retry of an exchange is answered
		// even when the conversation has ended or is full since, and never
		// asks the tutor again. The state's key hashes tell a new key
		// without a read.
		if x, err := e.replay(ctx, c, key, !c.KeyUnused(key)); x != nil || err != nil {
			return x, err
		}
	}
	now := e.clock()
	if c.StateAt(now, e.idle, e.lifetime) != recall.ConversationActive {
		return nil, recall.Errorf(recall.ECONFLICT, "This conversation is not active.")
	}
	if c.Messages+2 > MaxConversationMessages {
		return nil, recall.Errorf(recall.ECONFLICT, "This conversation has reached its limit of %d messages; start another.", MaxConversationMessages)
	}
	bank, err := e.questions.Questions(ctx, c.UserID, c.TopicID)
	if err != nil {
		return nil, err
	}
	if cached && len(bank) == 0 {
		// A deleted topic's bank is empty: make sure the topic lives.
		if _, err := e.topics.Topic(ctx, userID, c.TopicID); err != nil {
			if recall.IsCode(err, recall.ENOTFOUND) {
				_ = e.cache.Delete(context.WithoutCancel(ctx), userID, id)
				return nil, conversationNotFound()
			}
			return nil, err
		}
	}

	learner := &recall.Message{ConversationID: c.ID, Index: c.Messages, Role: recall.RoleLearner, Content: content,
		CreatedAt: now, IdempotencyKey: key}
	reply := &recall.Message{ConversationID: c.ID, Index: c.Messages + 1, Role: recall.RoleTutor, Tutor: TutorRules,
		CreatedAt: now, IdempotencyKey: key}
	n := c.Clone()
	e.respond(ctx, n, bank, content, reply, stream)

	n.Version++
	n.UpdatedAt = now
	n.Messages += 2
	e.remember(n, learner, reply)
	if err := e.store.SaveConversation(ctx, n, []*recall.Message{learner, reply}); err != nil {
		if recall.IsCode(err, recall.ECONFLICT) {
			fresh := e.refresh(context.WithoutCancel(ctx), userID, id)
			if fresh != nil && key != "" {
				if x, err := e.replay(ctx, fresh, key, true); x != nil || err != nil {
					return x, err
				}
			}
		}
		if recall.IsCode(err, recall.ENOTFOUND) {
			_ = e.cache.Delete(context.WithoutCancel(ctx), userID, id)
		}
		return nil, err
	}
	e.cachePut(context.WithoutCancel(ctx), n)
	return &Exchange{Learner: learner, Reply: reply, View: e.view(n, now)}, nil
}

// replay returns the first response of key in c, or nil if key is unused.
// The recent messages answer for a recent key; with deep, an older one is
// looked up in the store.
func (e *Conversations) replay(ctx context.Context, c *recall.Conversation, key string, deep bool) (*Exchange, error) {
	now := e.clock()
	for i := len(c.Recent) - 1; i > 0; i-- {
		m := c.Recent[i]
		if m.Role == recall.RoleTutor && m.IdempotencyKey == key {
			return &Exchange{Learner: c.Recent[i-1], Reply: m, View: e.view(c, now), Replayed: true}, nil
		}
	}
	if !deep || len(c.Recent) == c.Messages {
		return nil, nil // every message is there
	}
	m, err := e.store.MessageByKey(ctx, c.ID, key)
	if recall.IsCode(err, recall.ENOTFOUND) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	msgs, err := e.store.ConversationMessages(ctx, c.ID, m.Index-1, 1)
	if err != nil {
		return nil, err
	}
	x := &Exchange{Reply: m, View: e.view(c, now), Replayed: true}
	if len(msgs) == 1 {
		x.Learner = msgs[0]
	}
	return x, nil
}

// remember adds an exchange to n's recent messages and its key to the key
// hashes; the messages that fall out go into the running summary.
func (e *Conversations) remember(n *recall.Conversation, msgs ...*recall.Message) {
	n.KeyHashes = appendKeyHashes(n.KeyHashes, msgs)
	n.Recent = append(n.Recent, msgs...)
	if drop := len(n.Recent) - recall.RecentMessages; drop > 0 {
		for _, m := range n.Recent[:drop] {
			n.Summary += summaryLine(m)
		}
		n.Recent = append([]*recall.Message(nil), n.Recent[drop:]...)
	}
	for len(n.Summary) > maxSummary {
		i := strings.IndexByte(n.Summary, '\n')
		if i < 0 {
			n.Summary = ""
			break
		}
		n.Summary = n.Summary[i+1:]
	}
}

// summaryLine sums up one message in a line: who said it, its start, and
// the questions a reply drew on.
func summaryLine(m *recall.Message) string {
	text := strings.Join(strings.Fields(m.Content), " ")
	if utf8.RuneCountInString(text) > 120 {
		r := []rune(text)
		text = string(r[:120]) + "…"
	}
	line := string(m.Role) + ": " + text
	if len(m.QuestionIDs) > 0 {
		line += " [questions " + strings.Join(m.QuestionIDs, ", ") + "]"
	}
	return line + "\n"
}

// load returns the user's conversation from the cache, or rebuilt from the
// store (and then cached). cached says which.
func (e *Conversations) load(ctx context.Context, userID, id string) (*recall.Conversation, bool, error) {
	c, err := e.cache.Get(ctx, userID, id)
	if err == nil && c.UserID == userID {
		return c, true, nil
	}
	if err != nil && !recall.IsCode(err, recall.ENOTFOUND) {
		e.log.WarnContext(ctx, "conversation cache get failed", "conversation_id", id, "err", err)
	}
	c, err = e.rebuild(ctx, userID, id)
	if err != nil {
		return nil, false, err
	}
	e.cachePut(ctx, c)
	return c, false, nil
}

// rebuild reads the conversation and its recent messages from the store.
func (e *Conversations) rebuild(ctx context.Context, userID, id string) (*recall.Conversation, error) {
	c, err := e.store.Conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.UserID != userID {
		return nil, conversationNotFound()
	}
	from := max(c.Messages-recall.RecentMessages, 0)
	c.Recent, err = e.store.ConversationMessages(ctx, id, from, recall.RecentMessages)
	if err != nil {
		return nil, err
	}
	// The keys of older messages are in the store only.
	c.KeysFrom, c.KeyHashes = from, appendKeyHashes(nil, c.Recent)
	return c, nil
}

// appendKeyHashes appends the hash of the key of each exchange in msgs
// that was sent with one (its tutor's message carries it).
func appendKeyHashes(hashes []uint64, msgs []*recall.Message) []uint64 {
	for _, m := range msgs {
		if m.Role == recall.RoleTutor && m.IdempotencyKey != "" {
			hashes = append(hashes, recall.KeyHash(m.IdempotencyKey))
		}
	}
	return hashes
}

// refresh caches the stored state after a refused write, so that the next
// message builds on it; it returns it (nil if it cannot be read).
func (e *Conversations) refresh(ctx context.Context, userID, id string) *recall.Conversation {
	c, err := e.rebuild(ctx, userID, id)
	if err != nil {
		return nil
	}
	e.cachePut(ctx, c)
	return c
}

func (e *Conversations) cachePut(ctx context.Context, c *recall.Conversation) {
	if err := e.cache.Put(ctx, c, e.idle, c.ExpiresAt(e.idle, e.lifetime)); err != nil {
		e.log.WarnContext(ctx, "conversation cache put failed", "conversation_id", c.ID, "err", err)
		if err := e.cache.Delete(ctx, c.UserID, c.ID); err != nil {
			e.log.WarnContext(ctx, "conversation cache delete failed", "conversation_id", c.ID, "err", err)
		}
	}
}

func (e *Conversations) view(c *recall.Conversation, now time.Time) *ConversationView {
	return &ConversationView{Conversation: c, State: c.StateAt(now, e.idle, e.lifetime), ExpiresAt: c.ExpiresAt(e.idle, e.lifetime)}
}

func (e *Conversations) clock() time.Time { return e.now().UTC().Truncate(time.Microsecond) }

func conversationNotFound() error { return recall.Errorf(recall.ENOTFOUND, "Conversation not found.") }
