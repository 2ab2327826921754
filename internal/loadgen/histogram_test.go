package loadgen

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	// Every value lies in its bucket: above the previous bucket's top, at
	// or below its own, and a bucket is at most 1/128 of its values wide.
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(v uint64) {
		i := bucketOf(v)
		hi := bucketHigh(i)
		if v > hi {
			t.Fatalf("value %d > top %d of its bucket %d", v, hi, i)
		}
		if i > 0 && bucketHigh(i-1) >= v {
			t.Fatalf("value %d ≤ top %d of the bucket below its bucket %d", v, bucketHigh(i-1), i)
		}
		lo := uint64(0)
		if i > 0 {
			lo = bucketHigh(i-1) + 1
		}
		if width := hi - lo + 1; v >= 2*subCount && float64(width) > float64(lo)/subCount {
			t.Fatalf("bucket %d [%d, %d] is wider than 1/%d of %d", i, lo, hi, subCount, lo)
		}
	}
	for v := range uint64(5000) {
		check(v)
	}
	for range 100_000 {
		check(rng.Uint64N(1 << 47))
	}
	if got := bucketOf(1 << 62); got != numBuckets-1 {
		t.Fatalf("bucketOf(huge) = %d, want the last bucket %d", got, numBuckets-1)
	}
}

func TestHistogramPercentiles(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		var h Histogram
		if h.Count() != 0 || h.Percentile(99) != 0 || h.Max() != 0 || h.Mean() != 0 {
			t.Fatal("an empty histogram must report zeros")
		}
	})
	t.Run("Uniform", func(t *testing.T) {
		// 1 µs … 10 000 µs, once each, recorded in a shuffled order.
		var h Histogram
		vals := make([]time.Duration, 10_000)
		for i := range vals {
			vals[i] = time.Duration(i+1) * time.Microsecond
		}
		rand.New(rand.NewPCG(3, 4)).Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
		for _, v := range vals {
			h.Record(v)
		}
		if h.Count() != 10_000 {
			t.Fatalf("Count = %d", h.Count())
		}
		if h.Max() != 10*time.Millisecond {
			t.Fatalf("Max = %v, want exactly 10ms", h.Max())
		}
		if m := h.Mean(); m != 5000500*time.Nanosecond {
			t.Fatalf("Mean = %v, want 5.0005ms", m)
		}
		for _, tc := range []struct {
			q    float64
			want time.Duration // the exact percentile: rank ceil(q% of n)
		}{
			{50, 5000 * time.Microsecond},
			{95, 9500 * time.Microsecond},
			{99, 9900 * time.Microsecond},
			{99.9, 9990 * time.Microsecond},
			{100, 10_000 * time.Microsecond},
			{0, 1 * time.Microsecond},
		} {
			got := h.Percentile(tc.q)
			// Never below the true value, at most one bucket (< 0.8%) above.
			if got < tc.want || float64(got) > float64(tc.want)*(1+1.0/subCount) {
				t.Errorf("Percentile(%v) = %v, want %v (+0.8%% at most)", tc.q, got, tc.want)
			}
		}
	})
	t.Run("Outlier", func(t *testing.T) {
		// 99 fast requests and one slow: p99 is fast, p100 is the outlier.
		var h Histogram
		for range 99 {
			h.Record(200 * time.Microsecond)
		}
		h.Record(3 * time.Second)
		if p := h.Percentile(99); p < 200*time.Microsecond || p > 202*time.Microsecond {
			t.Errorf("p99 = %v, want ~200µs", p)
		}
		if p := h.Percentile(99.5); p != 3*time.Second {
			t.Errorf("p99.5 = %v, want the outlier capped at the exact max 3s", p)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var h Histogram
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 1000 {
					h.Record(time.Duration(g*1000+i) * time.Microsecond)
				}
			})
		}
		wg.Wait()
		if h.Count() != 8000 || h.Max() != 7999*time.Microsecond {
			t.Fatalf("Count = %d, Max = %v after 8×1000 concurrent records", h.Count(), h.Max())
		}
		h.Record(-time.Second)
		if h.Percentile(0) != 0 {
			t.Fatalf("a negative duration must count as 0")
		}
	})
}
