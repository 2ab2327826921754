package cache

import (
	"context"
	"sync"
)

// A write whose invalidations can travel with the request's next write to
// the same backend saves a round trip: a turn's commit drops the user's
// memory states and days of study, and the session's compare-and-set
// that follows it can delete them in the same script (redis.SessionCache).
// The caller that opens a Deferred must send what it collects: every path
// after the write it covers ends in that send.

// Deferred collects the keys that the decorators' committed writes would
// drop, for the caller to drop with its next write. It is safe for
// concurrent use.
type Deferred struct {
	mu   sync.Mutex
	keys []string
}

type deferredKey struct{}

// DeferInvalidations returns ctx in which the decorators' writes that
// commit add the keys they would drop to the returned Deferred instead
// of dropping them; a write that fails, or may have failed, still drops
// its keys at once.
func DeferInvalidations(ctx context.Context) (context.Context, *Deferred) {
	d := &Deferred{}
	return context.WithValue(ctx, deferredKey{}, d), d
}

// TakeDeferred returns, and forgets, the keys collected in ctx's Deferred;
// nil if there is none.
func TakeDeferred(ctx context.Context) []string {
	d := deferredOf(ctx)
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := d.keys
	d.keys = nil
	return keys
}

func deferredOf(ctx context.Context) *Deferred {
	d, _ := ctx.Value(deferredKey{}).(*Deferred)
	return d
}

func (d *Deferred) add(keys []string) {
	d.mu.Lock()
	d.keys = append(d.keys, keys...)
	d.mu.Unlock()
}
