package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/recallhq/recall/tutor"
)

// worker runs operations for the users it owns. A worker is used by one
// goroutine at a time.
type worker struct {
	c     *client
	op    int // the operation it runs (an index into Ops)
	rng   *rand.Rand
	users []*userState
}

// sessionJSON is what the bench reads of a session.
type sessionJSON struct {
	ID              string `json:"id"`
	State           string `json:"state"`
	CurrentQuestion *struct {
		ID     string `json:"id"`
		Prompt string `json:"prompt"`
	} `json:"current_question"`
}

// adopt makes s the user's active session if it is active with a question
// to answer, and drops the user's session otherwise.
func (u *userState) adopt(s sessionJSON) {
	if s.State != "active" || s.CurrentQuestion == nil {
		u.session = nil
		return
	}
	u.session = &sessionState{id: s.ID, question: s.CurrentQuestion.ID, prompt: s.CurrentQuestion.Prompt}
}

// setupOp returns the operation that must run for u before op can (a
// session before a turn, a conversation before a message), or -1 if none
// must.
func setupOp(op int, u *userState) int {
	switch Ops()[op] {
	case OpTurn:
		if u.session == nil {
			return opIndex(OpSessionStart)
		}
	case OpMessage:
		if u.conversation == nil {
			return opIndex(OpConversationStart)
		}
	}
	return -1
}

// setUp runs setup, the operation setupOp named, for u and adopts what it
// started: the session or conversation u goes on with.
func (w *worker) setUp(ctx context.Context, setup int, u *userState) error {
	if Ops()[setup] == OpConversationStart {
		return w.startConversation(ctx, u, true)
	}
	return w.startSession(ctx, u, true)
}

func (w *worker) topic(u *userState) *topicState { return u.topics[w.rng.IntN(len(u.topics))] }

// startSession starts a session on a random topic of u; with adopt, it
// becomes the session u answers (only the turn's virtual user, which owns
// u.session, adopts).
func (w *worker) startSession(ctx context.Context, u *userState, adopt bool) error {
	var out struct {
		Session sessionJSON `json:"session"`
	}
	if err := w.c.call(ctx, "POST", "/v1/sessions", u.token, map[string]string{"topic_id": w.topic(u).id}, &out); err != nil {
		return err
	}
	if adopt {
		u.adopt(out.Session)
	}
	return nil
}

// do makes the one request of op for u.
func (w *worker) do(ctx context.Context, op int, u *userState) error {
	switch Ops()[op] {
	case OpDashboard:
		return w.c.call(ctx, "GET", "/v1/topics?view=dashboard", u.token, nil, nil)
	case OpTopics:
		return w.c.call(ctx, "GET", "/v1/topics", u.token, nil, nil)
	case OpTopic:
		return w.c.call(ctx, "GET", "/v1/topics/"+w.topic(u).id+"?view=full", u.token, nil, nil)
	case OpSessionStart:
		return w.startSession(ctx, u, false)
	case OpSessionStartDue:
		err := w.c.call(ctx, "POST", "/v1/sessions", u.token, map[string]string{"topic_id": w.topic(u).id, "mode": "due"}, nil)
		var se *statusError
		if errors.As(err, &se) && se.status == 409 && strings.Contains(se.body, `"nothing_due"`) {
			return nil // nothing is due: a valid answer of the cached path
		}
		return err
	case OpTurn:
		return w.turn(ctx, u)
	case OpWrite:
		return w.write(ctx, u)
	case OpLogin:
		return w.c.call(ctx, "POST", "/v1/tokens", "", map[string]string{"username": u.name, "password": u.password}, nil)
	case OpConversationStart:
		return w.startConversation(ctx, u, false)
	case OpMessage:
		return w.message(ctx, u)
	}
	return fmt.Errorf("unknown operation %d", op)
}

// turn answers the current question of u's session: rightly 60% of the
// time, wrongly 25%, and asks for the hint 15%.
func (w *worker) turn(ctx context.Context, u *userState) error {
	s := u.session
	if s == nil {
		return fmt.Errorf("turn: user %s has no active session", u.name)
	}
	msg := wrongAnswer
	switch r := w.rng.IntN(100); {
	case r < 60:
		msg = rightAnswer(s.prompt)
	case r >= 85:
		msg = "/hint"
	}
	var out struct {
		Session sessionJSON `json:"session"`
	}
	err := w.c.call(ctx, "POST", "/v1/sessions/"+s.id+"/turns", u.token, map[string]string{"message": msg}, &out)
	if err != nil {
		u.session = nil // start afresh rather than repeat a failing turn
		return err
	}
	u.adopt(out.Session)
	return nil
}

// write changes u's data, in turn: a topic's title, a question's hint, a
// topic's description, a new question.
func (w *worker) write(ctx context.Context, u *userState) error {
	u.writes++
	t := w.topic(u)
	switch u.writes % 4 {
	case 1:
		return w.c.call(ctx, "PATCH", "/v1/topics/"+t.id, u.token,
			map[string]string{"title": fmt.Sprintf("Topic %d (edit %d)", t.index+1, u.writes)}, nil)
	case 2:
		qid := t.questions[w.rng.IntN(len(t.questions))]
		return w.c.call(ctx, "PATCH", "/v1/topics/"+t.id+"/questions/"+qid, u.token,
			map[string]string{"explanation": fmt.Sprintf("Edited explanation, revision %d.", u.writes)}, nil)
	case 3:
		return w.c.call(ctx, "PATCH", "/v1/topics/"+t.id, u.token,
			map[string]string{"description": fmt.Sprintf("Practice deck %d of learner %d, revision %d.", t.index+1, u.index, u.writes)}, nil)
	default:
		nq := makeQuestion(u.index, t.index, int(t.count.Load()))
		if err := w.c.call(ctx, "POST", "/v1/topics/"+t.id+"/questions", u.token,
			map[string]any{"questions": []newQuestion{nq}}, nil); err != nil {
			return err
		}
		t.count.Add(1)
		return nil
	}
}

// conversationState is a user's conversation with the tutor, as the bench
// follows it.
type conversationState struct {
	id    string
	topic *topicState
	// quiz is the prompt of the question the tutor asked and the user has
	// yet to answer; "" when none.
	quiz string
}

// conversationJSON is what the bench reads of a conversation.
type conversationJSON struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	MessageCount int    `json:"message_count"`
	Quizzing     bool   `json:"quizzing"`
}

// startConversation starts a conversation on a random topic of u; with
// adopt, it becomes the conversation u holds (only the message's virtual
// user, which owns u.conversation, adopts).
func (w *worker) startConversation(ctx context.Context, u *userState, adopt bool) error {
	t := w.topic(u)
	var out struct {
		Conversation conversationJSON `json:"conversation"`
	}
	if err := w.c.call(ctx, "POST", "/v1/conversations", u.token, map[string]string{"topic_id": t.id}, &out); err != nil {
		return err
	}
	if adopt {
		u.conversation = &conversationState{id: out.Conversation.ID, topic: t}
	}
	return nil
}

// message sends the next message of u's conversation: the answer to the
// question the tutor asked (right 60% of the time), else "quiz me" half of
// the time and a question about one of the topic's cards the other half,
// which the tutor answers from the notes.
func (w *worker) message(ctx context.Context, u *userState) error {
	c := u.conversation
	if c == nil {
		return fmt.Errorf("message: user %s has no conversation", u.name)
	}
	var msg string
	switch {
	case c.quiz != "" && w.rng.IntN(100) < 60:
		msg = rightAnswer(c.quiz)
	case c.quiz != "":
		msg = wrongAnswer
	case w.rng.IntN(2) == 0:
		msg = "quiz me"
	default:
		msg = fmt.Sprintf("What is the code word of card %d?", 1+w.rng.IntN(int(c.topic.count.Load())))
	}
	var out struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		Conversation conversationJSON `json:"conversation"`
	}
	err := w.c.call(ctx, "POST", "/v1/conversations/"+c.id+"/messages", u.token, map[string]string{"content": msg}, &out)
	if err != nil {
		u.conversation = nil // start afresh rather than repeat a failing message
		return err
	}
	c.quiz = ""
	if out.Conversation.Quizzing {
		c.quiz = quizzedPrompt(out.Message.Content)
	}
	if out.Conversation.State != "active" || out.Conversation.MessageCount+2 > tutor.MaxConversationMessages {
		u.conversation = nil
	}
	return nil
}

// quizzedPrompt returns the prompt of the data set's question that a
// tutor's reply asks: the reply from the prompt's start on.
func quizzedPrompt(reply string) string {
	i := strings.Index(reply, promptFormat[:strings.IndexByte(promptFormat, ' ')+1])
	if i < 0 {
		return ""
	}
	return reply[i:]
}
