package llm

import (
	"fmt"
	"time"
)

// Reason says why a call gave no usable result. Every Reason means the same
// thing to the caller: answer with the rules.
type Reason string

// Reasons, the "reason" label of recall_llm_failures_total (the endpoint
// failed) and recall_llm_fallbacks_total (every time the rules answer).
const (
	ReasonRefused       Reason = "refused"        // 4xx other than 429, a refusal, a content filter
	ReasonRateLimited   Reason = "rate_limited"   // 429
	ReasonServer        Reason = "server"         // 5xx, or the endpoint unreachable
	ReasonTimeout       Reason = "timeout"        // Config.Timeout passed, or the caller gave up
	ReasonMalformed     Reason = "malformed"      // not the chat-completions protocol, or empty
	ReasonCut           Reason = "cut"            // the stream stopped without a finish reason
	ReasonFraming       Reason = "framing"        // the reply carried Server-Sent Events framing
	ReasonInvalid       Reason = "invalid"        // a grade or questions that fail their schema
	ReasonOverBudget    Reason = "over_budget"    // the principal's token budget is spent
	ReasonBudgetUnknown Reason = "budget_unknown" // the shared limiter does not answer
	ReasonUnsafeInput   Reason = "unsafe_input"   // learner text carrying instructions or markers
	ReasonBadRequest    Reason = "bad_request"    // the caller's input is out of bounds
)

// Error is the error of every Client method.
type Error struct {
	// Op is the method: "reply", "grade" or "generate".
	Op string
	// Reason says why there is no result.
	Reason Reason
	// Err is the underlying error, if any.
	Err error
	// RetryAfter is, for ReasonOverBudget, how long until the same call
	// fits in the budget again; zero when it never will (a call larger
	// than the whole budget) or for other reasons.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "llm " + e.Op + ": " + string(e.Reason)
	}
	return fmt.Sprintf("llm %s: %s: %v", e.Op, e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// failure reports whether the reason is the endpoint's failure (counted in
// recall_llm_failures_total) rather than a decision made before calling it.
func (r Reason) failure() bool {
	switch r {
	case ReasonOverBudget, ReasonBudgetUnknown, ReasonUnsafeInput, ReasonBadRequest:
		return false
	}
	return true
}
