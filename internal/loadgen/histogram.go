package loadgen

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram bucket layout: values (nanoseconds) below 2^(subBits+1) have a
// bucket each; above, every power-of-two range is split into 2^subBits
// buckets of equal width, so a bucket's width is at most 1/2^subBits of its
// lower bound (a relative error under 0.8%).
const (
	subBits    = 7
	subCount   = 1 << subBits
	maxShift   = 40 // covers values up to 2^48 ns, about 78 hours
	numBuckets = (maxShift+1)*subCount + subCount
)

// Histogram records latencies in log-linear buckets, like an HDR histogram
// with two significant digits. It is safe for concurrent use: Record only
// does atomic adds.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Uint64 // nanoseconds
	max    atomic.Int64  // nanoseconds
}

// bucketOf returns the bucket index of v nanoseconds.
func bucketOf(v uint64) int {
	shift := bits.Len64(v) - (subBits + 1)
	if shift <= 0 {
		return int(v)
	}
	if shift > maxShift {
		return numBuckets - 1
	}
	return shift*subCount + int(v>>uint(shift))
}

// bucketHigh returns the largest value that falls into bucket i.
func bucketHigh(i int) uint64 {
	if i < 2*subCount {
		return uint64(i)
	}
	shift := i/subCount - 1
	mant := uint64(i - shift*subCount)
	return (mant+1)<<uint(shift) - 1
}

// Record adds one observation. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	v := uint64(d)
	h.counts[bucketOf(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max returns the largest observation, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Mean returns the mean observation, or 0 without any.
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / n)
}

// Percentile returns the smallest bucket bound at or below which at least
// q percent of the observations lie (so a reported p99 is never below the
// true one by more than the bucket resolution, and never above the maximum).
// It returns 0 without observations; q is clamped to [0, 100].
func (h *Histogram) Percentile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	q = min(max(q, 0), 100)
	// rank is the 1-based rank of the observation wanted: ceil(q% of n).
	rank := uint64(math.Ceil(float64(n)*q/100 - 1e-9))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			v := time.Duration(bucketHigh(i))
			return min(v, h.Max())
		}
	}
	return h.Max()
}

// Merge adds every observation of o to h. o must not be recorded into
// meanwhile.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	for m := o.max.Load(); ; {
		cur := h.max.Load()
		if m <= cur || h.max.CompareAndSwap(cur, m) {
			return
		}
	}
}
