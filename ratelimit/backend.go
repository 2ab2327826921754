package ratelimit

import (
	"context"
	"time"
)

// Rule is one policy of a shared decision, as a Backend applies it: the
// GCRA emission interval T and tolerance tau of the policy, both whole
// microseconds (the unit a shared decision is computed in).
type Rule struct {
	// Policy names the policy; with the principal it names the state.
	Policy string
	// Interval is T times the weight of the decision: an admitted decision
	// advances the TAT by it (a request is one unit; a reservation of n
	// units passes n*T). Negative, it refunds: the TAT moves back, never
	// before now.
	Interval time.Duration
	// Tolerance is tau: a request is admitted when the advanced TAT is no
	// more than tau ahead of now.
	Tolerance time.Duration
}

// Backend keeps the limiter's state where every instance of the server
// shares it, and the count of live instances the local fallback divides
// each quota by. The Redis implementation is redis.RateLimiter; a Limiter
// without a Backend keeps its state in process.
//
// A Backend bounds its own calls in time; a call that fails (including
// while the Backend knows its store is unreachable) makes the Limiter's
// failure mode decide.
type Backend interface {
	// Decide applies one GCRA step of every rule to principal, with the
	// store's own clock, all or nothing: the request is admitted when, for
	// every rule, max(TAT, now) + Interval - now <= Tolerance, and only then
	// does every TAT advance. On success d[i] is TAT_i - now after the
	// decision (advanced when admitted, unchanged when not), for each rule.
	Decide(ctx context.Context, principal string, rules []Rule, d []time.Duration) (ok bool, err error)

	// Heartbeat records the instance as live now and returns how many
	// instances were seen live within the last ttl (this one included).
	Heartbeat(ctx context.Context, instance string, ttl time.Duration) (live int, err error)

	// Leave removes the instance from the live instances.
	Leave(ctx context.Context, instance string) error

	// Unavailable reports whether calls currently fail at once because
	// the store is known to be unreachable (a circuit breaker is open),
	// and if so how long until a call may try it again.
	Unavailable() (down bool, retryIn time.Duration)
}
