package redis

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	const cooldown = 30 * time.Millisecond
	b := newBreaker(3, cooldown)
	mustAllow := func(wantProbe bool) {
		t.Helper()
		probe, ok := b.allow()
		if !ok || probe != wantProbe {
			t.Fatalf("allow() = probe %v, ok %v; want probe %v, ok true", probe, ok, wantProbe)
		}
	}
	mustRefuse := func() {
		t.Helper()
		if _, ok := b.allow(); ok {
			t.Fatal("allow() let a call through while open")
		}
	}

	// Failures that are not consecutive do not open it.
	for range 5 {
		b.record(false, failed)
		b.record(false, failed)
		b.record(false, succeeded)
	}
	mustAllow(false)
	for range 3 {
		b.record(false, failed)
	}
	if !b.open() {
		t.Fatal("3 consecutive failures did not open the breaker")
	}
	mustRefuse()

	time.Sleep(2 * cooldown)
	mustAllow(true) // exactly one probe
	mustRefuse()
	b.record(true, failed) // the probe failed: open for another cool-down
	mustRefuse()

	time.Sleep(2 * cooldown)
	mustAllow(true)
	b.record(true, neutral) // the caller gave up: another call may probe
	mustAllow(true)
	b.record(true, succeeded)
	if b.open() {
		t.Fatal("a successful probe did not close the breaker")
	}
	mustAllow(false)

	b.trip()
	mustRefuse()
	b.reset()
	mustAllow(false)
}
