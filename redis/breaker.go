package redis

import (
	"sync"
	"sync/atomic"
	"time"
)

// breaker is the circuit breaker of a Client. Closed, every call goes to
// Redis. After threshold consecutive failures it opens for cooldown: calls
// fail at once. Then exactly one call probes Redis; its success closes the
// breaker, its failure opens it for another cool-down.
type breaker struct {
	threshold int64
	cooldown  time.Duration

	isOpen   atomic.Bool  // read without the lock on the hot path
	failures atomic.Int64 // consecutive failures while closed

	mu      sync.Mutex
	until   time.Time // while open: no probe before
	probing time.Time // when the current probe started; zero if none
}

func newBreaker(threshold int, cooldown time.Duration) *breaker {
	return &breaker{threshold: int64(threshold), cooldown: cooldown}
}

// allow reports whether a call may go to Redis, and whether it is the probe.
func (b *breaker) allow() (probe, ok bool) {
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

// outcome is what a call says about Redis.
type outcome int

const (
	succeeded outcome = iota
	failed
	neutral // the caller gave up: nothing learnt
)

// record reports the outcome of a call allowed by allow.
func (b *breaker) record(probe bool, o outcome) {
	if o == neutral {
		if probe {
			b.mu.Lock()
			b.probing = time.Time{} // let another call probe
			b.mu.Unlock()
		}
		return
	}
	if o == succeeded {
		if b.failures.Load() != 0 {
			b.failures.Store(0)
		}
		if probe {
			b.reset()
		}
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = time.Time{}
		b.until = time.Now().Add(b.cooldown)
		return
	}
	if b.isOpen.Load() {
		return
	}
	if b.failures.Add(1) >= b.threshold {
		b.openLocked()
	}
}

// trip opens the breaker now.
func (b *breaker) trip() {
	b.mu.Lock()
	b.openLocked()
	b.mu.Unlock()
}

func (b *breaker) openLocked() {
	b.isOpen.Store(true)
	b.probing = time.Time{}
	b.until = time.Now().Add(b.cooldown)
}

// reset closes the breaker.
func (b *breaker) reset() {
	b.mu.Lock()
	b.failures.Store(0)
	b.probing = time.Time{}
	b.isOpen.Store(false)
	b.mu.Unlock()
}

// open reports whether the breaker is open.
func (b *breaker) open() bool { return b.isOpen.Load() }
