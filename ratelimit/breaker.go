package ratelimit

import (
	"sync/atomic"
	"time"
)

// breaker is a lock-free circuit breaker around the Redis path. Closed, every
// decision goes to Redis. After threshold consecutive failures it opens for
// cooldown: decisions skip Redis and use the fallback at once. When the
// cool-down has passed, exactly one decision probes Redis (the others keep
// falling back); its success closes the breaker, its failure re-opens it for
// another cool-down.
type breaker struct {
	threshold int64
	cooldown  time.Duration
	now       func() time.Time

	failures  atomic.Int64
	openUntil atomic.Int64 // unix nanoseconds; 0 while closed
}

// allow reports whether this decision may go to Redis.
func (b *breaker) allow() bool {
	until := b.openUntil.Load()
	if until == 0 {
		return true
	}
	now := b.now().UnixNano()
	if now < until {
		return false
	}
	// Half-open: the decision that moves the deadline is the probe.
	return b.openUntil.CompareAndSwap(until, now+int64(b.cooldown))
}

// success records a Redis answer. It reports whether the breaker was open.
func (b *breaker) success() (closed bool) {
	b.failures.Store(0)
	if b.openUntil.Load() != 0 {
		return b.openUntil.Swap(0) != 0
	}
	return false
}

// failure records a failed Redis call. It reports whether this failure opened
// the breaker.
func (b *breaker) failure() (opened bool) {
	if b.failures.Add(1) < b.threshold {
		return false
	}
	return b.openUntil.CompareAndSwap(0, b.now().Add(b.cooldown).UnixNano())
}

// open reports whether the breaker is open (Redis considered down).
func (b *breaker) open() bool {
	return b.openUntil.Load() != 0
}

// retryIn is how long until the breaker lets a probe through (at least 1s).
func (b *breaker) retryIn() time.Duration {
	d := time.Duration(b.openUntil.Load() - b.now().UnixNano())
	return max(d, time.Second)
}
