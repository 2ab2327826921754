package cache

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"github.com/recallhq/recall/metrics"
)

// Refill after a write
//
// A write drops the keys its rule names (rules.go), and the next read of
// one of them misses and loads it from the inner store on the request
// path. With a Refiller (Options.Refill) the writer puts the topic list
// and the question bank it dropped back itself, in the background: the
// write enqueues the key once its invalidation has succeeded and returns;
// a worker then fills it by the lease protocol of a read miss (Lease, load,
// Fill under the lease's token). A write that commits while the refill
// runs deletes the lease with the value, so the refill's Fill stores
// nothing and the older value it loaded never lands; that write enqueues
// a refill of its own. The refill is the key's flight of this process, so
// a lookup that misses meanwhile joins it instead of loading again.
//
// The queue is bounded and coalesces: a key already waiting is not queued
// twice (the refill that waits loads after both writes), and a refill that
// finds the queue full is dropped (the next read fills the key). A refill
// never fails anything: when the backend errs, or another process holds the
// key's lease (it is filling it), the refill gives up.

// Defaults of RefillOptions.
const (
	DefaultRefillWorkers = 2
	DefaultRefillQueue   = 1024
)

// RefillOptions configures a Refiller. The zero value is usable.
type RefillOptions struct {
	// Workers is the number of refills that run at once; zero means
	// DefaultRefillWorkers.
	Workers int
	// Queue bounds the keys waiting for a worker; zero means
	// DefaultRefillQueue. A refill that finds it full is dropped.
	Queue int
	// Metrics gets the number of refills queued or running
	// (recall_cache_refills_pending); nil counts nothing. The results are
	// counted in the Options.Metrics of the decorators.
	Metrics *metrics.Metrics
	// Logger receives the refills' failures at debug level; nil discards
	// them.
	Logger *slog.Logger
}

// Refiller runs the refills that the decorators' writes ask for (see
// Options.Refill) on a bounded pool of goroutines. Close stops it.
type Refiller struct {
	log *slog.Logger
	m   *metrics.Metrics

	// ctx is the refills' context, cancelled by Close.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	queue  chan string

	mu sync.Mutex
	// idle is signalled when outstanding drops to zero.
	idle   *sync.Cond
	closed bool
	// fillers refill the keys of a cache, by the cache's name; the
	// decorators register them.
	fillers map[string]filler
	// pending are the keys queued and not started.
	pending map[string]refillTarget
	// outstanding counts the pending refills and the running ones.
	outstanding int
}

// filler refills a key of one cache, given the ids the key is made of
// (the user's, and the topic's for a key of one topic), and counts the
// results in m (the metrics of the decorator that registered it).
type filler struct {
	fill func(ctx context.Context, userID, topicID string) (*flight, error)
	m    *metrics.Metrics
}

// NewRefiller starts a Refiller's workers.
func NewRefiller(opts RefillOptions) *Refiller {
	workers, queue := opts.Workers, opts.Queue
	if workers <= 0 {
		workers = DefaultRefillWorkers
	}
	if queue <= 0 {
		queue = DefaultRefillQueue
	}
	r := &Refiller{
		log:     opts.Logger,
		m:       opts.Metrics,
		queue:   make(chan string, queue),
		fillers: map[string]filler{},
		pending: map[string]refillTarget{},
	}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.idle = sync.NewCond(&r.mu)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	for range workers {
		r.wg.Go(r.work)
	}
	return r
}

// Close stops the Refiller: the refills waiting are abandoned, those
// running are cancelled, and Close returns once every worker has ended.
// Writes made after Close refill nothing. It is safe to call more than
// once.
func (r *Refiller) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.outstanding -= len(r.pending)
	r.m.RefillsPending(r.outstanding)
	clear(r.pending)
	close(r.queue)
	r.idle.Broadcast()
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// register makes f the refill of the keys of cache.
func (r *Refiller) register(cache string, f filler) {
	r.mu.Lock()
	r.fillers[cache] = f
	r.mu.Unlock()
}

// enqueue asks for a refill of t. It never blocks.
func (r *Refiller) enqueue(t refillTarget) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, queued := r.pending[t.key]
	f, ok := r.fillers[t.cache]
	switch {
	case r.closed || !ok:
		return
	case queued:
		f.m.Refill(t.cache, "coalesced")
		return
	case len(r.pending) >= cap(r.queue):
		// Each pending key is in the queue once at most, so the queue
		// has room whenever fewer keys than its capacity are pending.
		f.m.Refill(t.cache, "dropped")
		return
	}
	r.pending[t.key] = t
	r.outstanding++
	r.m.RefillsPending(r.outstanding)
	r.queue <- t.key
}

// work runs the queued refills until Close.
func (r *Refiller) work() {
	for key := range r.queue {
		r.mu.Lock()
		t, ok := r.pending[key]
		delete(r.pending, key)
		f := r.fillers[t.cache]
		r.mu.Unlock()
		if !ok {
			continue // abandoned by Close
		}
		f.m.Refill(t.cache, r.run(t, f.fill))
		r.mu.Lock()
		r.outstanding--
		r.m.RefillsPending(r.outstanding)
		if r.outstanding == 0 {
			r.idle.Broadcast()
		}
		r.mu.Unlock()
	}
}

// run refills t and returns the result to count.
func (r *Refiller) run(t refillTarget, fill func(ctx context.Context, userID, topicID string) (*flight, error)) string {
	f, err := fill(r.ctx, t.userID, t.topicID)
	if err == nil {
		err = f.err
	}
	switch {
	case err != nil:
		r.log.Debug("cache: refill failed", "key", t.key, "err", err)
		return "error"
	case f.filled:
		return "filled"
	case f.present:
		return "present"
	case f.skipped:
		return "skipped"
	}
	// Loaded, but the lease was gone at the fill: a write raced it.
	return "lost"
}

// wait returns once no refill is queued or running (tests).
func (r *Refiller) wait() {
	r.mu.Lock()
	for r.outstanding > 0 {
		r.idle.Wait()
	}
	r.mu.Unlock()
}

// refill fills r.key as the key's flight of this process (lookups that
// miss meanwhile join it). A flight already running was started by a
// lookup that may have taken its lease before the write dropped it: the
// refill waits for it and then runs a flight of its own.
func refill[T any](ctx context.Context, c *core, r request[T]) (*flight, error) {
	load := encoded(c, r, r.load)
	for range 2 {
		var leader bool
		ch := c.sf.DoChan(r.key, func() (any, error) {
			leader = true
			fctx, cancel := context.WithTimeout(ctx, maxFlight)
			defer cancel()
			return c.refillFlight(fctx, r.key, r.hash, load)
		})
		res := <-ch
		if leader {
			if res.Err != nil {
				return nil, res.Err
			}
			return res.Val.(*flight), nil
		}
	}
	return &flight{skipped: true}, nil
}

// refillFlight is fill for a refill: it takes the lease, loads and fills,
// and gives up (a skipped flight, which lookups that joined it do not take)
// where a lookup would wait for another process or read the inner store
// without filling.
func (c *core) refillFlight(ctx context.Context, key string, hash bool, load func(context.Context) (entry, error)) (*flight, error) {
	s := c.seq.Add(1)
	l, err := c.b.Lease(ctx, key, hash, c.leaseTTL)
	switch {
	case err != nil:
		return &flight{skipped: true, err: err}, nil
	case l.Found:
		return &flight{e: entry{val: l.Val, fields: l.Fields}, valid: s, present: true}, nil
	case l.Token == "":
		return &flight{skipped: true}, nil // another process is filling it
	}
	f, err := c.loadAndFill(ctx, key, hash, l.Token, load)
	if err != nil {
		return &flight{skipped: true, err: err}, nil
	}
	return f, nil
}
