package breaker_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/recallhq/recall/breaker"
)

const cooldown = 30 * time.Second

// newBreaker returns the breaker the tests use. They run in
// testing/synctest bubbles, where time.Sleep moves the clock that the
// breaker reads (time.Now) by exactly its argument, at once.
func newBreaker() *breaker.Breaker {
	return breaker.New(breaker.Config{Threshold: 3, Cooldown: cooldown})
}

// inBubble runs f as the subtest name of t, in a synctest bubble.
func inBubble(t *testing.T, name string, f func(t *testing.T)) {
	t.Run(name, func(t *testing.T) { synctest.Test(t, f) })
}

func mustAllow(t *testing.T, b *breaker.Breaker, wantProbe bool) {
	t.Helper()
	probe, ok := b.Allow()
	if !ok || probe != wantProbe {
		t.Fatalf("Allow() = probe %v, ok %v; want probe %v, ok true", probe, ok, wantProbe)
	}
}

func mustRefuse(t *testing.T, b *breaker.Breaker) {
	t.Helper()
	if _, ok := b.Allow(); ok {
		t.Fatal("Allow() let a call through while open")
	}
}

func wantChange(t *testing.T, what string, got, want breaker.Change) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: Record = %v, want %v", what, got, want)
	}
}

func TestBreaker(t *testing.T) {
	inBubble(t, "OKConsecutiveFailuresOpen", func(t *testing.T) {
		b := newBreaker()
		// Failures that are not consecutive do not open it.
		for range 5 {
			wantChange(t, "failure", b.Record(false, breaker.Failure), breaker.Unchanged)
			wantChange(t, "failure", b.Record(false, breaker.Failure), breaker.Unchanged)
			wantChange(t, "success", b.Record(false, breaker.Success), breaker.Unchanged)
		}
		mustAllow(t, b, false)
		if b.Open() || b.RetryIn() != 0 {
			t.Fatalf("closed breaker: Open %v, RetryIn %v", b.Open(), b.RetryIn())
		}
		b.Record(false, breaker.Failure)
		b.Record(false, breaker.Failure)
		wantChange(t, "third failure", b.Record(false, breaker.Failure), breaker.Opened)
		if !b.Open() {
			t.Fatal("3 consecutive failures did not open the breaker")
		}
		mustRefuse(t, b)
		// Failures of calls let through before it opened change nothing.
		wantChange(t, "late failure", b.Record(false, breaker.Failure), breaker.Unchanged)
		if got := b.RetryIn(); got != cooldown {
			t.Errorf("RetryIn = %v, want %v", got, cooldown)
		}
		time.Sleep(cooldown - time.Nanosecond)
		mustRefuse(t, b)
		if got := b.RetryIn(); got != time.Nanosecond {
			t.Errorf("RetryIn = %v, want 1ns", got)
		}
	})
	inBubble(t, "OKOneProbe", func(t *testing.T) {
		b := newBreaker()
		b.Trip()
		mustRefuse(t, b)
		time.Sleep(cooldown)
		mustAllow(t, b, true) // exactly one probe
		mustRefuse(t, b)
		if got := b.RetryIn(); got != cooldown {
			t.Errorf("RetryIn while probing = %v, want %v", got, cooldown)
		}
		// The probe failed: open for another cool-down from now.
		time.Sleep(time.Second)
		wantChange(t, "probe failure", b.Record(true, breaker.Failure), breaker.Unchanged)
		mustRefuse(t, b)
		if got := b.RetryIn(); got != cooldown {
			t.Errorf("RetryIn after a failed probe = %v, want %v", got, cooldown)
		}
		time.Sleep(cooldown)
		mustAllow(t, b, true)
		// The caller gave up: another call may probe at once.
		wantChange(t, "neutral probe", b.Record(true, breaker.Neutral), breaker.Unchanged)
		mustAllow(t, b, true)
		wantChange(t, "probe success", b.Record(true, breaker.Success), breaker.Closed)
		if b.Open() {
			t.Fatal("a successful probe did not close the breaker")
		}
		mustAllow(t, b, false)
	})
	inBubble(t, "OKOnlyTheProbeCloses", func(t *testing.T) {
		b := newBreaker()
		b.Trip()
		wantChange(t, "late success", b.Record(false, breaker.Success), breaker.Unchanged)
		if !b.Open() {
			t.Fatal("a success that was not the probe closed the breaker")
		}
		b.Reset()
		if b.Open() {
			t.Fatal("Reset did not close the breaker")
		}
		// A probe that reports after the breaker was reset closes nothing.
		wantChange(t, "probe success after Reset", b.Record(true, breaker.Success), breaker.Unchanged)
		mustAllow(t, b, false)
	})
	inBubble(t, "OKLostProbeReplaced", func(t *testing.T) {
		b := newBreaker()
		b.Trip()
		time.Sleep(cooldown)
		mustAllow(t, b, true) // its caller never reports
		time.Sleep(cooldown - time.Nanosecond)
		mustRefuse(t, b)
		time.Sleep(time.Nanosecond)
		mustAllow(t, b, true)
	})
	inBubble(t, "OKResetForgetsFailures", func(t *testing.T) {
		b := newBreaker()
		b.Record(false, breaker.Failure)
		b.Record(false, breaker.Failure)
		b.Reset()
		wantChange(t, "failure after Reset", b.Record(false, breaker.Failure), breaker.Unchanged)
		if b.Open() {
			t.Fatal("failures from before Reset counted")
		}
	})
	inBubble(t, "OKThresholdAtLeastOne", func(t *testing.T) {
		b := breaker.New(breaker.Config{Cooldown: cooldown})
		wantChange(t, "first failure", b.Record(false, breaker.Failure), breaker.Opened)
	})
}

// TestBreakerConcurrentProbe lets many calls ask at once once the
// cool-down has passed: exactly one of them is the probe.
func TestBreakerConcurrentProbe(t *testing.T) {
	synctest.Test(t, concurrentProbe)
}

func concurrentProbe(t *testing.T) {
	b := newBreaker()
	b.Trip()
	time.Sleep(cooldown)
	const callers = 32
	var probes, allowed atomic.Int64
	var ready, done sync.WaitGroup
	ready.Add(callers)
	start := make(chan struct{})
	for range callers {
		done.Go(func() {
			ready.Done()
			<-start
			probe, ok := b.Allow()
			if ok {
				allowed.Add(1)
			}
			if probe {
				probes.Add(1)
			}
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	if probes.Load() != 1 || allowed.Load() != 1 {
		t.Errorf("%d probes, %d calls allowed; want 1 and 1", probes.Load(), allowed.Load())
	}
}
