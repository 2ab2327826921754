package fakeclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/recallhq/recall/internal/fakeclock"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	c := fakeclock.New(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Add(time.Second); _ = c.Now() })
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(10*time.Second); !got.Equal(want) {
		t.Fatalf("Now after 10 concurrent Add(1s) = %v, want %v", got, want)
	}
	c.Add(-time.Minute)
	if got, want := c.Now(), t0.Add(-50*time.Second); !got.Equal(want) {
		t.Fatalf("Now after Add(-1m) = %v, want %v", got, want)
	}
}
