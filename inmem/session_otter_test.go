package inmem_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/inmem"
)

// otterSessions is the session cache on github.com/maypok86/otter/v2
// instead of the hand-written shards of inmem.SessionCache: the same idle
// and absolute expiry (an ExpiryCalculator), the same monotonic Put (a
// Compute that keeps a newer cached version), deep copies both ways;
// eviction is otter's W-TinyLFU rather than "closest to expiry first". It
// exists to be measured against the hand-written one
// (BenchmarkSessionCacheImpl); session.go says which one it keeps and why.
type otterSessions struct {
	c   *otter.Cache[string, *otterSession]
	now func() time.Time
}

type otterSession struct {
	s     *recall.Session
	ttl   time.Duration
	limit time.Time
}

// otterExpiry gives an entry its idle time, never past its limit, on every
// write and read.
type otterExpiry struct{ now func() time.Time }

func (x otterExpiry) after(e otter.Entry[string, *otterSession]) time.Duration {
	return max(min(e.Value.ttl, e.Value.limit.Sub(x.now())), time.Nanosecond)
}
func (x otterExpiry) ExpireAfterCreate(e otter.Entry[string, *otterSession]) time.Duration {
	return x.after(e)
}
func (x otterExpiry) ExpireAfterUpdate(e otter.Entry[string, *otterSession], _ *otterSession) time.Duration {
	return x.after(e)
}
func (x otterExpiry) ExpireAfterRead(e otter.Entry[string, *otterSession]) time.Duration {
	return x.after(e)
}

func newOtterSessions(maxEntries int) *otterSessions {
	o := &otterSessions{now: time.Now}
	o.c = otter.Must(&otter.Options[string, *otterSession]{
		MaximumSize:      maxEntries,
		ExpiryCalculator: otterExpiry{now: o.now},
	})
	return o
}

func (o *otterSessions) Get(_ context.Context, userID, id string) (*recall.Session, error) {
	e, ok := o.c.GetIfPresent(id)
	if !ok || e.s.UserID != userID {
		return nil, recall.Errorf(recall.ENOTFOUND, "Session not cached.")
	}
	return e.s.Clone(), nil
}

func (o *otterSessions) Put(_ context.Context, s *recall.Session, ttl time.Duration, expiresAt time.Time) error {
	now := o.now()
	e := &otterSession{s: s.Clone(), ttl: ttl, limit: expiresAt}
	o.c.Compute(s.ID, func(old *otterSession, found bool) (*otterSession, otter.ComputeOp) {
		if found && old.s.Version >= s.Version {
			return old, otter.CancelOp
		}
		if ttl <= 0 || !now.Before(expiresAt) {
			return nil, otter.InvalidateOp
		}
		return e, otter.WriteOp
	})
	return nil
}

// sessionCacheImpl is what the benchmark needs of either cache.
type sessionCacheImpl interface {
	Get(context.Context, string, string) (*recall.Session, error)
	Put(context.Context, *recall.Session, time.Duration, time.Time) error
}

// BenchmarkSessionCacheImpl compares the hand-written session cache with
// the otter one on the paths a turn takes: a Get of a cached session and a
// Put of its next version, one goroutine and all of them, with 10,000
// sessions cached.
func BenchmarkSessionCacheImpl(b *testing.B) {
	const n = 10_000
	impls := []struct {
		name string
		new  func() sessionCacheImpl
	}{
		{"hand", func() sessionCacheImpl { return inmem.NewSessionCache(inmem.SessionCacheOptions{}) }},
		{"otter", func() sessionCacheImpl { return newOtterSessions(inmem.DefaultSessionCacheSize) }},
	}
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint("s", i)
	}
	for _, impl := range impls {
		fill := func(b *testing.B) sessionCacheImpl {
			c := impl.new()
			for i := range n {
				mustPut(b, c, session(ids[i], 1), time.Hour, exp)
			}
			return c
		}
		b.Run(impl.name+"/Get", func(b *testing.B) {
			c := fill(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := c.Get(ctx, "u1", ids[i%n]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(impl.name+"/Put", func(b *testing.B) {
			c := fill(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := c.Put(ctx, session(ids[i%n], int64(i/n+2)), time.Hour, exp); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(impl.name+"/GetParallel", func(b *testing.B) {
			c := fill(b)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := c.Get(ctx, "u1", ids[i%n]); err != nil {
						b.Fatal(err)
					}
					i += 7
				}
			})
		})
	}
}

// TestOtterSessionsAgree checks that the otter variant measured above
// keeps the cache's semantics, so that the comparison is fair.
func TestOtterSessionsAgree(t *testing.T) {
	ctx := context.Background()
	o := newOtterSessions(100)
	exp := time.Now().Add(time.Hour)
	mustPut(t, o, session("s", 2), time.Hour, exp)
	mustPut(t, o, session("s", 1), time.Hour, exp) // older: kept out
	if s, err := o.Get(ctx, "u1", "s"); err != nil || s.Version != 2 {
		t.Fatalf("Get = %+v, %v; want version 2", s, err)
	}
	mustPut(t, o, session("s", 3), time.Hour, time.Now().Add(-time.Second)) // already expired: drops it
	if _, err := o.Get(ctx, "u1", "s"); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Get after an expired Put: %v, want ENOTFOUND", err)
	}
}
