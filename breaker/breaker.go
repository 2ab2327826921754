// Package breaker is a circuit breaker for calls to a dependency that may
// go away, such as Redis: the redis Client and the Redis path of the rate
// limiter each keep one.
//
// Closed, every call goes through. After Threshold consecutive failures
// the breaker opens: calls are refused at once for Cooldown. Then exactly
// one call, the probe, goes through: its success closes the breaker, its
// failure opens it for another cool-down, and an outcome that says nothing
// (the caller gave up) lets the next call probe. A probe that never reports
// is replaced after a cool-down.
//
// A closed breaker costs one atomic load per call; the lock is taken only
// while it is open and on failures. A Breaker is safe for concurrent use.
package breaker

import (
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Breaker.
type Config struct {
	// Threshold is the number of consecutive failures that open the
	// breaker. Values below 1 count as 1.
	Threshold int
	// Cooldown is how long the open breaker refuses calls before it lets a
	// probe through. The breaker reads time.Now (its tests run in
	// testing/synctest bubbles).
	Cooldown time.Duration
}

// Outcome is what a call says about the dependency.
type Outcome int

// Outcomes of a call.
const (
	// Success: the dependency answered.
	Success Outcome = iota
	// Failure: the dependency did not answer (a timeout, a network error).
	Failure
	// Neutral: nothing was learnt, e.g. the caller gave up first.
	Neutral
)

// Change is the transition that recording an outcome made.
type Change int

// Transitions of Record.
const (
	// Unchanged: the breaker is as it was.
	Unchanged Change = iota
	// Opened: this failure opened the breaker.
	Opened
	// Closed: this success of the probe closed the breaker.
	Closed
)

// Breaker is a circuit breaker. Create it with New.
type Breaker struct {
	threshold int64
	cooldown  time.Duration

	isOpen   atomic.Bool  // read without the lock on the hot path
	failures atomic.Int64 // consecutive failures while closed

	mu      sync.Mutex
	until   time.Time // while open: no probe before
	probing time.Time // when the current probe started; zero if none
}

// New returns a closed Breaker.
func New(cfg Config) *Breaker {
	return &Breaker{threshold: max(int64(cfg.Threshold), 1), cooldown: cfg.Cooldown}
}

// Allow reports whether a call may go through (ok), and whether it is the
// probe of an open breaker. A call that was allowed must report its
// outcome with Record, passing probe back.
func (b *Breaker) Allow() (probe, ok bool) {
	if !b.isOpen.Load() {
		return false, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.isOpen.Load() {
		return false, true
	}
	now := time.Now()
	if now.Before(b.until) {
		return false, false
	}
	// A probe that never reported (its caller vanished) is replaced after
	// another cool-down.
	if !b.probing.IsZero() && now.Sub(b.probing) < b.cooldown {
		return false, false
	}
	b.probing = now
	return true, true
}

// Record reports the outcome of a call that Allow let through and returns
// the transition it made. Only the probe closes an open breaker; failures
// of other calls while it is open change nothing.
func (b *Breaker) Record(probe bool, o Outcome) Change {
	switch o {
	case Neutral:
		if probe {
			b.mu.Lock()
			b.probing = time.Time{} // let another call probe
			b.mu.Unlock()
		}
		return Unchanged
	case Success:
		if b.failures.Load() != 0 {
			b.failures.Store(0)
		}
		if probe && b.reset() {
			return Closed
		}
		return Unchanged
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = time.Time{}
		b.until = time.Now().Add(b.cooldown)
		return Unchanged
	}
	if b.isOpen.Load() {
		return Unchanged
	}
	if b.failures.Add(1) >= b.threshold {
		b.openLocked()
		return Opened
	}
	return Unchanged
}

// Trip opens the breaker now, for a cool-down.
func (b *Breaker) Trip() {
	b.mu.Lock()
	b.openLocked()
	b.mu.Unlock()
}

func (b *Breaker) openLocked() {
	b.isOpen.Store(true)
	b.probing = time.Time{}
	b.until = time.Now().Add(b.cooldown)
}

// Reset closes the breaker and forgets past failures.
func (b *Breaker) Reset() { b.reset() }

// reset closes the breaker; it reports whether it was open.
func (b *Breaker) reset() (wasOpen bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures.Store(0)
	b.probing = time.Time{}
	return b.isOpen.Swap(false)
}

// Open reports whether the breaker is open.
func (b *Breaker) Open() bool { return b.isOpen.Load() }

// RetryIn returns how long until the open breaker lets the next probe
// through: 0 when it is closed or a probe may go now.
func (b *Breaker) RetryIn() time.Duration {
	if !b.isOpen.Load() {
		return 0
	}
	b.mu.Lock()
	next := b.until
	if !b.probing.IsZero() {
		if p := b.probing.Add(b.cooldown); p.After(next) {
			next = p
		}
	}
	b.mu.Unlock()
	return max(next.Sub(time.Now()), 0)
}

// Cooldown returns how long the open breaker refuses calls before a probe.
func (b *Breaker) Cooldown() time.Duration { return b.cooldown }
