// Package fakeclock provides the one settable clock of the project's
// tests. The components that read the time take a Now func() time.Time
// (auth, the tutor, the session caches, the limiter, the server's Main); a
// test passes a Clock's Now and moves it with Add. Tests of code that
// reads time.Now itself run in a testing/synctest bubble instead.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a settable time source, safe for concurrent use. It moves only
// when Add moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a Clock that reads t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d (back, if d is negative).
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
