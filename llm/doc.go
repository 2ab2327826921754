// Package llm is Recall's client of an OpenAI-compatible chat-completions
// endpoint (github.com/openai/openai-go/v3): the tutor's replies, streamed;
// the grading of free-text answers the rules rejected; questions generated
// from prose. It is optional: every call either gives a usable result or
// returns an *Error whose Reason says why not, and the caller answers with
// the rules instead (nothing here panics or returns a half-checked result).
//
// # What reaches the model
//
// The system message holds Recall's instructions alone. Everything a user
// wrote is never placed in it: the material — the title, the questions with
// their answers and explanations, numbered so a reply can cite them — goes
// into a user message between markers of its own (<<<MATERIAL 9a2e…>>>),
// and each learner message into a user message between markers that carry
// another random nonce per call (<<<LEARNER 1f0c…>>> … <<<END 1f0c…>>>);
// the system message says that text between them is data. A title or note
// carrying the markers or framing is left out of the material; a learner
// message, prose or answer carrying them is not sent, nor is a question to
// grade. A question being quizzed reaches the
// model by its prompt only: its answers, its explanation and every other
// piece of context or history that contains one of its answers are left out
// or masked, so no reply can reveal what the prompt does not hold.
//
// Suspicious reports learner text that carries instructions, the markers,
// Server-Sent Events framing or disguises (hidden characters, mixed
// scripts, encoded blobs). Such a free-text answer is graded by the rules
// alone; such a message is not sent.
//
// # What comes back
//
// A reply is checked as it streams: text that would frame Server-Sent
// Events ("data:", "event:", "id:", "retry:" at a line start, "[DONE]") ends
// the call with ReasonFraming before any of it is passed on, and a stream
// that stops without a finish reason is ReasonCut. A grade is accepted only
// as exactly the JSON object {"verdict": "correct"|"incorrect", "feedback":
// "…"} (ReasonInvalid otherwise); generated questions only when every one
// validates as a question with at least one answer, none repeats another,
// and there are no more than asked for.
//
// # Budget
//
// With Config.Budget set, every call reserves its most before it starts —
// the bytes of its messages (a byte-level tokenizer never makes more tokens
// than bytes), a few tokens per message, and the reply's token budget —
// from the ratelimit policy "llm" of the caller's principal, and settles to
// the tokens the endpoint reported afterwards (a call that failed before
// the model ran is refunded; one whose use is unknown stays charged). Over
// budget is ReasonOverBudget; a limiter that cannot tell is
// ReasonBudgetUnknown.
//
// Every call is counted in recall_llm_calls_total, its reported tokens in
// recall_llm_tokens_total, every failure in recall_llm_failures_total and
// every time the rules answer instead in recall_llm_fallbacks_total.
package llm
