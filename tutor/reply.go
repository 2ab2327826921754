package tutor

import (
	"fmt"
	"strings"

	"github.com/recallhq/recall"
)

// converse applies a user message to ns, the session's new state, and fills
// in the turn t: its kind, question, grade and the tutor's reply.
func converse(ns *recall.Session, b bank, t *recall.Turn, message string) {
	t.Message = message
	cmd := strings.ToLower(strings.TrimSpace(message))
	if cmd == CommandEnd || ns.Current >= len(ns.QuestionIDs) {
		end(ns, t, message)
		return
	}
	t.QuestionID = ns.QuestionIDs[ns.Current]
	q := b.find(t.QuestionID)
	if q == nil {
		// Deleted from the bank since the session started: the message
		// cannot be graded, so the question is passed over.
		t.Kind = recall.TurnSkip
		t.Correct = new(false)
		ns.Skipped++
		t.Reply = "That question has been removed from the topic, so it is skipped.\n\n" + advance(ns, b)
		return
	}
	switch cmd {
	case CommandHint:
		t.Kind = recall.TurnHint
		if h := strings.TrimSpace(q.Hint); h != "" {
			t.Reply = "Hint: " + h
		} else {
			t.Reply = "There is no hint for this question. Give it your best guess, or type /skip to move on."
		}
	case CommandSkip:
		t.Kind = recall.TurnSkip
		t.Correct = new(false)
		ns.Skipped++
		t.Reply = "Skipped. The answer is " + answerText(q) + "." + explanation(q) + "\n\n" + advance(ns, b)
	default:
		t.Kind = recall.TurnAnswer
		ok := Grade(q, message, WithNumeric(NumericSpec{AbsTol: q.AbsTol, RelTol: q.RelTol, Unit: q.Unit}))
		t.Correct = new(ok)
		ns.Answered++
		verdict := "Not quite. The correct answer is "
		if ok {
			ns.Correct++
			verdict = "Correct! The answer is "
		}
		t.Reply = verdict + answerText(q) + "." + explanation(q) + "\n\n" + advance(ns, b)
	}
}

// end completes the session: the questions not answered yet count as
// skipped.
func end(ns *recall.Session, t *recall.Turn, message string) {
	t.Kind = recall.TurnSummary
	t.Message = message
	if n := len(ns.QuestionIDs) - ns.Current; n > 0 {
		ns.Skipped += n
	}
	ns.Current = len(ns.QuestionIDs)
	ns.State = recall.SessionCompleted
	t.Reply = "Session ended. " + summary(ns)
}

// advance moves ns past its current question and past the questions since
// deleted from the bank (counted as skipped), and returns the presentation of
// the next question, or the summary when there is none left (the session is
// then completed).
func advance(ns *recall.Session, b bank) string {
	ns.Current++
	for ; ns.Current < len(ns.QuestionIDs); ns.Current++ {
		if q := b.find(ns.QuestionIDs[ns.Current]); q != nil {
			return present(ns, q)
		}
		ns.Skipped++
	}
	ns.State = recall.SessionCompleted
	return "That was the last question. " + summary(ns)
}

// present shows a question: its number, its prompt and its lettered choices.
func present(ns *recall.Session, q *recall.Question) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Question %d of %d: %s", ns.Current+1, len(ns.QuestionIDs), q.Prompt)
	for i, c := range q.Choices {
		fmt.Fprintf(&b, "\n%c) %s", 'A'+i, c)
	}
	return b.String()
}

// summary sums up a finished session.
func summary(s *recall.Session) string {
	msg := fmt.Sprintf("You answered %d of %d correctly", s.Correct, len(s.QuestionIDs))
	if s.Skipped > 0 {
		msg += fmt.Sprintf("; %d skipped", s.Skipped)
	}
	return msg + "."
}

// answerText is the first accepted answer, with its letter for a
// multiple-choice question.
func answerText(q *recall.Question) string {
	if len(q.Answers) == 0 {
		return "not recorded"
	}
	a := strings.TrimSpace(q.Answers[0])
	for i, c := range q.Choices {
		if strings.TrimSpace(c) == a {
			return fmt.Sprintf("%c) %s", 'A'+i, a)
		}
	}
	return a
}

func explanation(q *recall.Question) string {
	if x := strings.TrimSpace(q.Explanation); x != "" {
		return "\n\n" + x
	}
	return ""
}
