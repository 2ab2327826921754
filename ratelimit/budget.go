package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Errors of Reserve and Settle. A caller that meets either one does without
// what the budget pays for (for the LLM: the rule-based tutor answers).
var (
	// ErrOverBudget means the reservation does not fit in what is left of
	// the budget (or in the whole budget).
	ErrOverBudget = errors.New("ratelimit: over budget")
	// ErrBudgetUnknown means the shared Backend did not answer, so the
	// remaining budget cannot be known. Reserve never uses the fallback
	// limiter: a budget is spent exactly or not at all.
	ErrBudgetUnknown = errors.New("ratelimit: budget unknown: the shared limiter does not answer")
)

// settleTolerance is the tolerance of a settlement's extra charge: large
// enough that a charge always goes through, small enough to stay exact in
// the doubles of the Redis script.
const settleTolerance = time.Duration(1<<52) * time.Microsecond

// Reservation is budget taken ahead of its use by Reserve: settle it once
// the real use is known. A Reservation never settled keeps its whole amount
// spent.
type Reservation struct {
	l         *Limiter
	p         *policyState
	principal string
	n         int64
	settled   atomic.Bool
}

// Reserved returns the units the reservation took.
func (r *Reservation) Reserved() int64 { return r.n }

// Reserve takes n units of policy for principal in one atomic decision, the
// weighted form of Limit: admitted when the n units fit in what is left
// (every unit advances the policy's TAT by its emission interval), and then
// consumed at once on every instance sharing the Backend. A policy of
// Q per W admits, from rest, up to floor(Q) units, in one reservation or
// many, and refills at Q/W.
//
// It returns ErrOverBudget (wrapped, with the wait after which the same
// reservation fits when the budget refills) when n does not fit,
// ErrBudgetUnknown (wrapped, with the Backend's error) when the Backend
// does not answer (the failure mode is not consulted), and an error when
// policy is unknown or n < 1. Reserve before the spending starts with its
// maximum and settle with what was used, so concurrent spenders never
// overspend: every admitted maximum has been paid for.
func (l *Limiter) Reserve(ctx context.Context, principal, policy string, n int64) (*Reservation, time.Duration, error) {
	p, ok := l.policies[policy]
	if !ok {
		return nil, 0, fmt.Errorf("ratelimit: reserve: unknown policy %q", policy)
	}
	if n < 1 {
		return nil, 0, fmt.Errorf("ratelimit: reserve: %d units of %q: want at least 1", n, policy)
	}
	if n > p.Burst() {
		inc(p.limited)
		return nil, 0, fmt.Errorf("%w: %d units of %q exceed the whole budget of %d", ErrOverBudget, n, policy, p.Burst())
	}
	ok, retry, err := l.decide(ctx, principal, []*policyState{p}, n, true, nil)
	switch {
	case err != nil:
		return nil, 0, fmt.Errorf("%w: %w", ErrBudgetUnknown, err)
	case !ok:
		return nil, retry, fmt.Errorf("%w: %d units of %q do not fit in what is left (retry in %s)", ErrOverBudget, n, policy, retry)
	}
	return &Reservation{l: l, p: p, principal: principal, n: n}, 0, nil
}

// Settle brings the reservation to used units: it refunds the difference
// when used is less than reserved, and charges the excess, unconditionally
// (at most one budget more), when it is more. Only the first call does
// anything. It returns ErrBudgetUnknown (wrapped) when the Backend does not
// answer: the reservation then stays as reserved.
func (r *Reservation) Settle(ctx context.Context, used int64) error {
	if !r.settled.CompareAndSwap(false, true) {
		return nil
	}
	delta := min(max(used, 0)-r.n, r.p.Burst())
	if delta == 0 {
		return nil
	}
	l := r.l
	if l.backend == nil {
		g := r.p.local.times(delta)
		if delta > 0 {
			g.tau = int64(settleTolerance)
		}
		var d [1]int64
		l.local.decide(r.principal, []string{r.p.Name}, []gcra{g}, int64(l.now().Sub(l.epoch)), d[:])
		return nil
	}
	rule := r.p.rule
	rule.Interval *= time.Duration(delta)
	if delta > 0 {
		rule.Tolerance = settleTolerance
	}
	var d [1]time.Duration
	if _, err := l.backend.Decide(ctx, r.principal, []Rule{rule}, d[:]); err != nil {
		return fmt.Errorf("%w: settling %q: %w", ErrBudgetUnknown, r.p.Name, err)
	}
	return nil
}
