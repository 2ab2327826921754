package ratelimit

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"
)

// otterGCRA is the local GCRA on github.com/maypok86/otter/v2 instead of
// the hand-written sharded map of local.go: one entry per principal, each
// decision one Compute (which holds the entry's bucket lock, so decisions
// on one principal are serialised and eviction cannot interleave), entries
// expiring when their last TAT passes and evicted by W-TinyLFU beyond the
// maximum size. It exists to compare the two on the decision path
// (BenchmarkLocalDecide); local.go keeps the hand-written one because of
// that benchmark.
type otterGCRA struct {
	c     *otter.Cache[string, *otterEntry]
	epoch time.Time
}

type otterEntry struct {
	names []string
	tats  []int64
	until int64 // the latest TAT, ns since epoch
}

func newOtterGCRA(maxKeys int, epoch time.Time) *otterGCRA {
	o := &otterGCRA{epoch: epoch}
	o.c = otter.Must(&otter.Options[string, *otterEntry]{
		MaximumSize: maxKeys,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *otterEntry]) time.Duration {
			return max(time.Duration(e.Value.until)-time.Since(o.epoch), time.Nanosecond)
		}),
	})
	return o
}

func (o *otterGCRA) decide(principal string, names []string, ps []gcra, now int64, d []int64) bool {
	ok := true
	o.c.Compute(principal, func(e *otterEntry, found bool) (*otterEntry, otter.ComputeOp) {
		if !found {
			e = &otterEntry{}
		}
		idx := func(name string) int {
			for j, n := range e.names {
				if n == name {
					return j
				}
			}
			return -1
		}
		for i, name := range names {
			tat := now
			if j := idx(name); j >= 0 && e.tats[j] > now {
				tat = e.tats[j]
			}
			d[i] = tat - now
			if d[i]+ps[i].t > ps[i].tau {
				ok = false
			}
		}
		if !ok {
			return e, otter.CancelOp
		}
		for i, name := range names {
			d[i] += ps[i].t
			tat := now + d[i]
			if j := idx(name); j >= 0 {
				e.tats[j] = tat
			} else {
				e.names, e.tats = append(e.names, name), append(e.tats, tat)
			}
			e.until = max(e.until, tat)
		}
		return e, otter.WriteOp
	})
	return ok
}

// TestOtterGCRAExact checks that the variant compared in BenchmarkLocalDecide
// decides like the hand-written one, so the comparison is fair.
func TestOtterGCRAExact(t *testing.T) {
	o := newOtterGCRA(1<<10, time.Now())
	g := []gcra{gcraFor(2, time.Hour, time.Nanosecond), gcraFor(100, time.Hour, time.Nanosecond)}
	d := make([]int64, 2)
	for i := range 5 {
		if ok := o.decide("u", []string{"small", "big"}, g, int64(i), d); ok != (i < 2) {
			t.Fatalf("request %d: ok=%v", i, ok)
		}
	}
}

// BenchmarkLocalDecide compares the decision path of the hand-written local
// GCRA (local.go) and of the otter-based variant above: a three-policy
// decision for one of 10 000 principals, from every core. Run:
//
//	go test -run='^$' -bench=LocalDecide -count=5 ./ratelimit/
func BenchmarkLocalDecide(b *testing.B) {
	names := []string{"default", "turns", "writes"}
	g := []gcra{gcraFor(1e9, time.Hour, time.Nanosecond), gcraFor(1e9, time.Hour, time.Nanosecond), gcraFor(1e9, time.Hour, time.Nanosecond)}
	principals := make([]string, 10000)
	for i := range principals {
		principals[i] = "user:" + strconv.Itoa(i)
	}
	run := func(b *testing.B, decide func(string, []string, []gcra, int64, []int64) bool) {
		epoch := time.Now()
		var seq atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			d := make([]int64, 3)
			for pb.Next() {
				decide(principals[seq.Add(1)%int64(len(principals))], names, g, int64(time.Since(epoch)), d)
			}
		})
	}
	b.Run("handwritten", func(b *testing.B) { run(b, newLocalGCRA(1<<20).decide) })
	b.Run("otter", func(b *testing.B) { run(b, newOtterGCRA(1<<20, time.Now()).decide) })
}
