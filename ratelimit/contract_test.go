package ratelimit_test

import (
	"testing"

	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/ratelimit/ratelimittest"
)

// TestLocalContract runs the contract suite against the in-process limiter:
// the deciders are one Limiter, as the goroutines of one process share it.
// The redis package runs it against Redis and a Redis Cluster.
func TestLocalContract(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, ps ratelimit.Policies, n int) []*ratelimit.Limiter {
		l, err := ratelimit.New(ratelimit.Config{Policies: ps})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		ls := make([]*ratelimit.Limiter, n)
		for i := range ls {
			ls[i] = l
		}
		return ls
	})
}
