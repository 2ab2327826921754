package tutor

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/llm"
)

// Two tutors answer in a conversation. The rule-based tutor is always
// there: it answers from the best-matching questions of the bank, says so
// when none matches, and quizzes ("quiz me" asks a relevant question; the
// next message is graded by Grade, as in sessions). The LLM, when
// configured, writes the replies that draw on the bank, grounded in the
// same questions, and grades the free-text answers the rules reject; on
// any failure the rules answer and the reply says so. While a question is
// quizzed every message is graded as its answer, so no reply can give the
// answer away before the learner has answered.

// Texts of the rule-based tutor.
const (
	nothingMatches = "I could not find anything about that in your notes on this topic. " +
		"Try asking with words from your questions, or say \"quiz me\" to be asked one."
	emptyBank     = "Your notes on this topic have no questions yet, so there is nothing to quiz you on."
	llmFellBack   = "(The AI tutor could not answer just now, so here is what your notes say.)\n\n"
	quizRemoved   = "The question I asked has been removed from your notes, so it is not graded.\n\n"
	anotherPrompt = "\n\nSay \"quiz me\" for another question."
)

// quizPattern matches a request to be quizzed, and what follows it.
var quizPattern = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:quiz|test|ask)\s+me\b(?:\s+(?:on|about))?\s*(.*)$`)

// quizRequest reports whether message asks to be quizzed, and on what.
func quizRequest(message string) (bool, string) {
	m := quizPattern.FindStringSubmatch(message)
	if m == nil {
		return false, ""
	}
	return true, strings.TrimSpace(m[1])
}

// respond writes the tutor's reply to content into reply and moves n, the
// conversation's new state, along: the questions in play, the question
// quizzed. A streamed reply is passed on as it is written.
func (e *Conversations) respond(ctx context.Context, n *recall.Conversation, b bank, content string, reply *recall.Message, stream *Stream) {
	emit := func(text string) {
		if stream != nil && stream.Chunk != nil {
			_ = stream.Chunk(text) // a client that left gets the reply by retrying with its key
		}
	}
	prefix := ""
	if n.Quizzing != "" {
		q := b.find(n.Quizzing)
		n.Quizzing = ""
		if q != nil {
			correct, text := e.grade(ctx, n.UserID, q, content)
			reply.Content, reply.Correct, reply.QuestionIDs = text, &correct, []string{q.ID}
			n.QuestionIDs = []string{q.ID}
			emit(reply.Content)
			return
		}
		prefix = quizRemoved
	}
	if quiz, about := quizRequest(content); quiz {
		q := e.pick(n, b, about)
		if q == nil {
			reply.Content = prefix + emptyBank
			n.QuestionIDs = nil
		} else {
			reply.Content = prefix + ask(q)
			reply.QuestionIDs = []string{q.ID}
			n.QuestionIDs, n.Quizzing = []string{q.ID}, q.ID
		}
		emit(reply.Content)
		return
	}
	hits := e.indexes.index(n.TopicID, b).search(content, contextQuestions)
	if len(hits) == 0 {
		// Nothing relevant: the LLM is not asked.
		reply.Content = prefix + nothingMatches
		n.QuestionIDs = nil
		emit(reply.Content)
		return
	}
	qs := make([]*recall.Question, len(hits))
	ids := make([]string, len(hits))
	for i, h := range hits {
		qs[i], ids[i] = h.q, h.q.ID
	}
	n.QuestionIDs = ids
	reply.QuestionIDs = ids
	if e.llm != nil {
		emit(prefix) // what the stored reply starts with, streamed first
		r, err := e.llm.Reply(ctx, e.chatRequest(ctx, n, qs, content), func(s string) error {
			if stream != nil && stream.Chunk != nil {
				return stream.Chunk(s)
			}
			return nil
		})
		if err == nil {
			if p := recall.TextProblem(r.Text); p != "" {
				// A reply the stores could refuse (a NUL, bad UTF-8) is a
				// fault of the model like any other: the rules answer.
				err = fmt.Errorf("the LLM's reply %s", p)
			}
		}
		if err == nil {
			reply.Content, reply.Tutor = prefix+r.Text, TutorLLM
			if len(r.Cited) > 0 {
				reply.QuestionIDs = r.Cited
			}
			return
		}
		e.log.InfoContext(ctx, "the LLM did not answer; the rules do", "conversation_id", n.ID, "err", err)
		if stream != nil && stream.Reset != nil {
			_ = stream.Reset()
		}
		prefix += llmFellBack
	}
	reply.Content = prefix + fromNotes(qs)
	emit(reply.Content)
}

// chatRequest is the LLM's request for a reply: the context questions, the
// summary and recent messages as history, the message.
func (e *Conversations) chatRequest(ctx context.Context, n *recall.Conversation, qs []*recall.Question, content string) llm.ChatRequest {
	req := llm.ChatRequest{Principal: "user:" + n.UserID, Topic: n.Title, Context: qs, Message: content}
	if n.Summary != "" {
		req.History = append(req.History, llm.Message{Learner: true, Text: "Summary of the earlier conversation:\n" + n.Summary})
	}
	for _, m := range n.Recent {
		req.History = append(req.History, llm.Message{Learner: m.Role == recall.RoleLearner, Text: m.Content})
	}
	return req
}

// grade grades a quiz answer: by Grade, and, when the rules reject a typed
// answer, by the LLM if one is configured (its verdict counts only when it
// is schema-valid; see llm.Client.Grade).
func (e *Conversations) grade(ctx context.Context, userID string, q *recall.Question, answer string) (bool, string) {
	ok := Grade(q, answer, WithNumeric(NumericSpec{AbsTol: q.AbsTol, RelTol: q.RelTol, Unit: q.Unit}))
	feedback := ""
	if !ok && e.llm != nil && len(q.Choices) == 0 {
		v, err := e.llm.Grade(ctx, llm.GradeRequest{Principal: "user:" + userID, Question: q, Answer: answer})
		if err == nil && v.ByLLM {
			ok = v.Correct
			if ok && v.Feedback != "" {
				feedback = "\n\n(Graded by the AI tutor: " + v.Feedback + ")"
			}
		}
	}
	if ok {
		return true, "Correct! The answer is " + answerText(q) + "." + feedback + explanation(q) + anotherPrompt
	}
	return false, "Not quite. The correct answer is " + answerText(q) + "." + explanation(q) + anotherPrompt
}

// pick chooses the question to quiz: the best match of what the learner
// asked about, else one of the questions in play, else the bank's next in
// turn; never the one just asked if another will do.
func (e *Conversations) pick(n *recall.Conversation, b bank, about string) *recall.Question {
	if len(b) == 0 {
		return nil
	}
	last := ""
	if len(n.QuestionIDs) == 1 {
		last = n.QuestionIDs[0]
	}
	if about != "" {
		for _, h := range e.indexes.index(n.TopicID, b).search(about, contextQuestions) {
			if h.q.ID != last {
				return h.q
			}
		}
	}
	for _, id := range n.QuestionIDs {
		if q := b.find(id); q != nil && id != last {
			return q
		}
	}
	for i := range b {
		q := b[(n.Messages/2+i)%len(b)]
		if q.ID != last || len(b) == 1 {
			return q
		}
	}
	return b[0]
}

// ask poses a question: its prompt and lettered choices, never its answers.
func ask(q *recall.Question) string {
	var s strings.Builder
	s.WriteString("Here is a question from your notes: " + q.Prompt)
	for i, c := range q.Choices {
		fmt.Fprintf(&s, "\n%c) %s", 'A'+i, c)
	}
	s.WriteString("\n\nYour next message is your answer.")
	return s.String()
}

// fromNotes is the rule-based answer: what the notes say about the best
// matches, each with its answer and explanation.
func fromNotes(qs []*recall.Question) string {
	var s strings.Builder
	s.WriteString("Here is what your notes say about “" + strings.TrimSpace(qs[0].Prompt) + "”")
	if len(qs) > 1 {
		s.WriteString(" and related questions")
	}
	s.WriteString(":")
	for _, q := range qs {
		s.WriteString("\n\n• " + strings.TrimSpace(q.Prompt) + "\n  Answer: " + answerText(q))
		if x := strings.TrimSpace(q.Explanation); x != "" {
			s.WriteString("\n  " + x)
		}
	}
	return s.String()
}
