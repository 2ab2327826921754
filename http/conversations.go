package http

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/tutor"
)

// messageTimeout bounds a conversation message: an LLM reply, streamed,
// takes longer than DefaultRequestTimeout allows (its own timeout ends it
// earlier, and the rules answer).
const messageTimeout = 2 * time.Minute

// conversationJSON is a conversation in responses.
type conversationJSON struct {
	ID           string    `json:"id"`
	TopicID      string    `json:"topic_id"`
	Title        string    `json:"title"`
	State        string    `json:"state"`
	MessageCount int       `json:"message_count"`
	Quizzing     bool      `json:"quizzing"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func conversationView(v *tutor.ConversationView) conversationJSON {
	c := v.Conversation
	return conversationJSON{
		ID: c.ID, TopicID: c.TopicID, Title: c.Title, State: string(v.State), MessageCount: c.Messages,
		Quizzing:  c.Quizzing != "" && v.State == recall.ConversationActive,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), ExpiresAt: v.ExpiresAt.UTC(),
	}
}

// messageJSON is a message in responses.
type messageJSON struct {
	Index       int       `json:"index"`
	Role        string    `json:"role"`
	Content     string    `json:"content"`
	QuestionIDs []string  `json:"question_ids"`
	Correct     *bool     `json:"correct"`
	Tutor       *string   `json:"tutor"`
	CreatedAt   time.Time `json:"created_at"`
}

func messageView(m *recall.Message) messageJSON {
	j := messageJSON{Index: m.Index, Role: string(m.Role), Content: m.Content, QuestionIDs: m.QuestionIDs,
		Correct: m.Correct, CreatedAt: m.CreatedAt.UTC()}
	if j.QuestionIDs == nil {
		j.QuestionIDs = []string{}
	}
	if m.Role == recall.RoleTutor {
		t := m.Tutor
		j.Tutor = &t
	}
	return j
}

func messageViews(ms []*recall.Message) []messageJSON {
	out := make([]messageJSON, len(ms))
	for i, m := range ms {
		out[i] = messageView(m)
	}
	return out
}

// startConversation handles POST /v1/conversations.
func (s *Server) startConversation(w http.ResponseWriter, r *http.Request) error {
	var in tutor.StartConversationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.cfg.Conversations.Start(r.Context(), userID(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/conversations/"+v.Conversation.ID)
	s.writeJSON(w, r, http.StatusCreated, map[string]any{"conversation": conversationView(v)})
	return nil
}

// listConversations handles GET /v1/conversations?limit=&cursor=.
func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := recall.ParseLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	after, err := recall.ParseCursor(q.Get("cursor"))
	if err != nil {
		return err
	}
	vs, next, err := s.cfg.Conversations.List(r.Context(), userID(r), after, limit)
	if err != nil {
		return err
	}
	out := make([]conversationJSON, len(vs))
	for i, v := range vs {
		out[i] = conversationView(v)
	}
	var nextCursor *string
	if !next.IsZero() {
		c := next.String()
		nextCursor = &c
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"conversations": out, "next_cursor": nextCursor})
	return nil
}

// messageCursor is the opaque cursor of a page of messages: the index the
// page starts at, in the form of every other cursor.
func messageCursor(index int) string {
	return recall.Cursor{At: time.Unix(0, 0), ID: "m" + strconv.Itoa(index)}.String()
}

func parseMessageCursor(s string) (int, error) {
	c, err := recall.ParseCursor(s)
	if err != nil || c.IsZero() {
		return 0, err
	}
	n, aerr := strconv.Atoi(strings.TrimPrefix(c.ID, "m"))
	if !strings.HasPrefix(c.ID, "m") || aerr != nil || n < 0 {
		return 0, recall.Invalid("cursor", "is not a cursor this server gave; start again without one")
	}
	return n, nil
}

// getConversation handles GET /v1/conversations/{id}?limit=&cursor=: the
// conversation with one page of its messages, oldest first.
func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := recall.ParseLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	from, err := parseMessageCursor(q.Get("cursor"))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	v, err := s.cfg.Conversations.Get(r.Context(), userID(r), id)
	if err != nil {
		return err
	}
	msgs, next, err := s.cfg.Conversations.Messages(r.Context(), userID(r), id, from, limit)
	if err != nil {
		return err
	}
	var nextCursor *string
	if next >= 0 {
		c := messageCursor(next)
		nextCursor = &c
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"conversation": conversationView(v), "messages": messageViews(msgs), "next_cursor": nextCursor,
	})
	return nil
}

// messageBody is the body of POST /v1/conversations/{id}/messages.
type messageBody struct {
	Content string `json:"content"`
}

// exchangeJSON is the response of a message.
type exchangeJSON struct {
	Message      messageJSON      `json:"message"`
	Learner      *messageJSON     `json:"learner_message"`
	Conversation conversationJSON `json:"conversation"`
}

func exchangeView(x *tutor.Exchange) exchangeJSON {
	j := exchangeJSON{Message: messageView(x.Reply), Conversation: conversationView(x.View)}
	if x.Learner != nil {
		l := messageView(x.Learner)
		j.Learner = &l
	}
	return j
}

// wantsEventStream reports whether the request's Accept asks for
// Server-Sent Events.
func wantsEventStream(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
			return true
		}
	}
	return false
}

// createMessage handles POST /v1/conversations/{id}/messages, with an
// optional Idempotency-Key header. With Accept: text/event-stream the reply
// streams as Server-Sent Events: "chunk" events carry pieces of the reply,
// a "reset" event withdraws the pieces so far (the LLM failed and the rules
// answer), and a final "message" event carries the response stored (or an
// "error" event, the error body). Every data line is one JSON value, so no
// text of a reply can frame an event of its own.
func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) error {
	var body messageBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	// A reply may take up to messageTimeout, longer than the server's
	// write timeout: give this response the time its route has.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(messageTimeout + 10*time.Second))
	if !wantsEventStream(r) {
		x, err := s.cfg.Conversations.Send(r.Context(), userID(r), r.PathValue("id"), body.Content, key, nil)
		if err != nil {
			return err
		}
		s.writeJSON(w, r, http.StatusOK, exchangeView(x))
		return nil
	}
	sse := &eventWriter{w: w, rc: http.NewResponseController(w)}
	x, err := s.cfg.Conversations.Send(r.Context(), userID(r), r.PathValue("id"), body.Content, key, &tutor.Stream{
		Chunk: func(text string) error { return sse.event("chunk", map[string]string{"text": text}) },
		Reset: func() error { return sse.event("reset", map[string]string{}) },
	})
	if err != nil {
		if !sse.started {
			return err // nothing sent yet: an ordinary error response
		}
		code, msg := recall.ErrorCode(err), recall.ErrorMessage(err)
		if statusOf(code) == http.StatusInternalServerError {
			s.log.ErrorContext(r.Context(), "internal error in a streamed message", "request_id", info(r).id, "err", err.Error())
			code, msg = recall.EINTERNAL, genericMessage
		}
		_ = sse.event("error", errorBody{Error: errorJSON{Code: code, Message: msg}})
		return nil
	}
	_ = sse.event("message", exchangeView(x))
	return nil
}

// eventWriter writes Server-Sent Events, sending the headers with the
// first event.
type eventWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
}

func (e *eventWriter) event(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !e.started {
		h := e.w.Header()
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		e.w.WriteHeader(http.StatusOK)
		e.started = true
	}
	// json.Marshal escapes line breaks inside strings: data is one line.
	if _, err := e.w.Write([]byte("event: " + name + "\ndata: " + string(data) + "\n\n")); err != nil {
		return err
	}
	return e.rc.Flush()
}

// endConversation handles POST /v1/conversations/{id}/end.
func (s *Server) endConversation(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.Conversations.End(r.Context(), userID(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"conversation": conversationView(v)})
	return nil
}

// deleteConversation handles DELETE /v1/conversations/{id}.
func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Conversations.Delete(r.Context(), userID(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
