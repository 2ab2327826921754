package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/recallhq/recall/metrics"
)

// Failure modes: what a Limiter does when its Backend cannot decide.
const (
	// FailureOpen admits every request.
	FailureOpen = "open"
	// FailureLocal applies a local GCRA sized quota / live instances.
	FailureLocal = "local"
	// FailureClosed refuses every request.
	FailureClosed = "closed"
)

// Decision results, the values of the "result" label of
// recall_ratelimit_decisions_total.
const (
	ResultAllowed         = "allowed"
	ResultLimited         = "limited"
	ResultFallbackAllowed = "fallback_allowed"
	ResultFallbackLimited = "fallback_limited"
)

// Defaults of Config.
const (
	DefaultHeartbeatInterval = 5 * time.Second
	DefaultInstanceTTL       = 15 * time.Second
)

// Config configures a Limiter. Only Policies matters for the embedded
// default; the rest concerns a shared Backend.
type Config struct {
	// Policies are the known policies; nil means DefaultPolicies().
	Policies Policies
	// Backend is the state every instance shares (redis.RateLimiter); nil
	// means a local limiter only, exact within this process (the embedded
	// default). The Backend bounds its calls in time and knows when its
	// store is down (for Redis: the redis.Client's --redis-timeout and
	// circuit breaker).
	Backend Backend
	// Failure is FailureOpen, FailureLocal or FailureClosed (default local).
	Failure string
	// Instances, when > 0, is the number of server instances the local
	// fallback divides each quota by. When 0 the number comes from the
	// heartbeat every instance keeps in the Backend while it answers.
	Instances int
	// InstanceID names this instance in the heartbeat (default random).
	InstanceID string
	// HeartbeatInterval is how often the heartbeat is refreshed (default 5s).
	HeartbeatInterval time.Duration
	// InstanceTTL is how long an instance counts as live after its last
	// heartbeat (default 15s).
	InstanceTTL time.Duration
	// MaxLocalKeys bounds the entries of the local limiter (default 2^20).
	MaxLocalKeys int
	// Metrics receives recall_ratelimit_decisions_total; nil counts nothing.
	Metrics *metrics.Metrics
	// Logger receives the Backend's failures and recoveries and
	// configuration warnings; nil discards them.
	Logger *slog.Logger
	// Now is the clock of the local limiter (default time.Now). Shared
	// decisions always use the Backend's clock.
	Now func() time.Time
}

// policyState is a policy compiled for the hot path.
type policyState struct {
	Policy
	rule   Rule   // for the Backend: whole microseconds
	shared gcra   // rule in nanoseconds
	local  gcra   // in nanoseconds
	header string // `"name";q=Q;w=W`

	allowed, limited, fbAllowed, fbLimited prometheus.Counter
}

// Limiter decides rate limits: through one Backend call shared by every
// instance when a Backend is configured and answering, locally otherwise. It
// is safe for concurrent use; decisions for different principals never wait
// on each other (no lock is held across the Backend's I/O).
type Limiter struct {
	policies  map[string]*policyState
	backend   Backend
	down      atomic.Bool // the last failure found the Backend down; logged once
	failure   string
	fixedN    int64
	liveN     atomic.Int64
	id        string
	ttl       time.Duration
	local     *localGCRA // the limiter of the embedded default
	fallback  *localGCRA // the fallback of the Redis path
	now       func() time.Time
	epoch     time.Time
	log       *slog.Logger
	warned    sync.Map
	noCount   atomic.Bool
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// New builds a Limiter. With cfg.Backend set it registers this instance in
// the heartbeat at once (ignoring a Backend that is down: the fallback covers
// it) and keeps the heartbeat until Close.
func New(cfg Config) (*Limiter, error) {
	if cfg.Policies == nil {
		cfg.Policies = DefaultPolicies()
	}
	switch cfg.Failure {
	case "":
		cfg.Failure = FailureLocal
	case FailureOpen, FailureLocal, FailureClosed:
	default:
		return nil, fmt.Errorf("rate-limit failure mode %q: want open, local or closed", cfg.Failure)
	}
	if cfg.Instances < 0 {
		return nil, fmt.Errorf("rate-limit instances %d: want 0 (from the heartbeat) or more", cfg.Instances)
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if cfg.InstanceTTL <= 0 {
		cfg.InstanceTTL = DefaultInstanceTTL
	}
	if cfg.InstanceTTL < cfg.HeartbeatInterval {
		return nil, fmt.Errorf("rate-limit instance TTL %s is shorter than the heartbeat interval %s", cfg.InstanceTTL, cfg.HeartbeatInterval)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.InstanceID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.InstanceID = hex.EncodeToString(b[:])
	}
	l := &Limiter{
		policies: make(map[string]*policyState, len(cfg.Policies)),
		failure:  cfg.Failure,
		fixedN:   int64(cfg.Instances),
		id:       cfg.InstanceID,
		ttl:      cfg.InstanceTTL,
		now:      cfg.Now,
		epoch:    cfg.Now(),
		log:      cfg.Logger,
	}
	for name, p := range cfg.Policies {
		if p.Name != name {
			return nil, fmt.Errorf("rate limit %q is listed under the name %q", p.String(), name)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("rate limit %q: %w", p.String(), err)
		}
		l.policies[name] = compile(p, cfg.Metrics)
	}
	if cfg.Backend == nil {
		l.local = newLocalGCRA(cfg.MaxLocalKeys)
		return l, nil
	}
	l.backend = cfg.Backend
	l.fallback = newLocalGCRA(cfg.MaxLocalKeys)
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	l.heartbeat()
	go l.heartbeatLoop(cfg.HeartbeatInterval)
	return l, nil
}

func compile(p Policy, m *metrics.Metrics) *policyState {
	us := gcraFor(p.Quota, p.Window, time.Microsecond)
	s := &policyState{
		Policy: p,
		rule:   Rule{Policy: p.Name, Interval: time.Duration(us.t) * time.Microsecond, Tolerance: time.Duration(us.tau) * time.Microsecond},
		shared: gcra{t: us.t * int64(time.Microsecond), tau: us.tau * int64(time.Microsecond)},
		local:  gcraFor(p.Quota, p.Window, time.Nanosecond),
	}
	w := int64((p.Window + time.Second - 1) / time.Second)
	s.header = quoteString(p.Name) + ";q=" + strconv.FormatInt(p.Burst(), 10) + ";w=" + strconv.FormatInt(w, 10)
	if m != nil {
		s.allowed = m.RateLimitDecisions.WithLabelValues(p.Name, ResultAllowed)
		s.limited = m.RateLimitDecisions.WithLabelValues(p.Name, ResultLimited)
		s.fbAllowed = m.RateLimitDecisions.WithLabelValues(p.Name, ResultFallbackAllowed)
		s.fbLimited = m.RateLimitDecisions.WithLabelValues(p.Name, ResultFallbackLimited)
	}
	return s
}

// Close stops the heartbeat and removes this instance from the live
// instances. Decisions keep working after Close (the Backend is the
// caller's).
func (l *Limiter) Close() {
	l.closeOnce.Do(func() {
		if l.stop == nil {
			return
		}
		close(l.stop)
		<-l.done
		if err := l.backend.Leave(context.Background(), l.id); err != nil {
			l.log.Debug("rate limiter: leaving the instance set", "err", err)
		}
	})
}

// Policies returns a copy of the policies the Limiter knows.
func (l *Limiter) Policies() Policies {
	ps := make(Policies, len(l.policies))
	for n, p := range l.policies {
		ps[n] = p.Policy
	}
	return ps
}

// Degraded reports whether a Backend is configured and currently known to
// be down (its circuit breaker is open: decisions use the fallback).
func (l *Limiter) Degraded() bool {
	if l.backend == nil {
		return false
	}
	down, _ := l.backend.Unavailable()
	return down
}

// Instances returns the number of live instances the local fallback divides
// each quota by: Config.Instances if set, else the last heartbeat count
// (at least 1).
func (l *Limiter) Instances() int {
	return int(l.instances())
}

func (l *Limiter) instances() int64 {
	if l.fixedN > 0 {
		return l.fixedN
	}
	return max(l.liveN.Load(), 1)
}

func (l *Limiter) heartbeat() {
	n, err := l.backend.Heartbeat(context.Background(), l.id, l.ttl)
	if err != nil {
		l.log.Debug("rate limiter: heartbeat", "err", err)
		if l.fixedN == 0 && l.liveN.Load() == 0 && l.noCount.CompareAndSwap(false, true) {
			l.log.Warn("rate limiter: the number of live instances is unknown until Redis answers; the local fallback assumes 1 (set --instances to fix it)")
		}
		return
	}
	l.liveN.Store(int64(n))
}

func (l *Limiter) heartbeatLoop(every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.heartbeat()
		}
	}
}

// resolve looks the names up, dropping unknown names (logged once each) and
// duplicates.
func (l *Limiter) resolve(names []string, ps []*policyState) []*policyState {
next:
	for _, n := range names {
		p, ok := l.policies[n]
		if !ok {
			if _, seen := l.warned.LoadOrStore(n, true); !seen {
				l.log.Warn("rate limiter: unknown policy ignored", "policy", n)
			}
			continue
		}
		for _, q := range ps {
			if q == p {
				continue next
			}
		}
		ps = append(ps, p)
	}
	return ps
}

// Limit decides, in one step, every policy named for principal (for example
// "user:<id>" or "ip:203.0.113.7"), all or nothing: when any policy refuses,
// none is consumed. Unknown policy names are ignored. It sets the
// RateLimit-Policy and RateLimit headers on h (h may be nil) and reports
// whether the request may proceed; when it may not, retryAfter is the exact
// wait after which the same request is admitted, provided nothing else
// consumes the quota meanwhile.
func (l *Limiter) Limit(ctx context.Context, principal string, policies []string, h http.Header) (ok bool, retryAfter time.Duration) {
	var pbuf [4]*policyState
	ps := l.resolve(policies, pbuf[:0])
	if len(ps) == 0 {
		return true, 0
	}
	ok, retryAfter, _ = l.decide(ctx, principal, ps, 1, false, h)
	return ok, retryAfter
}

// Via decides rules for the principal of a LimitVia call in place of the
// Backend, in a call that carries more (redis.Gate also checks the
// request's token and reads its data). Like Backend.Decide it sets d[i] to
// TAT_i - now after the decision and reports whether the request is
// admitted. decided is false when it made no decision and charged nothing
// (the token did not prove to be the principal's): the caller then decides
// with Limit, once it knows who is asking.
type Via func(ctx context.Context, rules []Rule, d []time.Duration) (ok, decided bool, err error)

// LimitVia is Limit with the shared decision made by via, for the
// principal via decides for. With no
// Backend, or when via fails or does not decide, it counts nothing, sets no
// header and returns decided false: the caller falls back to its usual
// path (which, with Redis failing, reaches the failure mode).
func (l *Limiter) LimitVia(ctx context.Context, policies []string, h http.Header, via Via) (ok, decided bool, retryAfter time.Duration) {
	if l.backend == nil {
		return false, false, 0
	}
	var pbuf [4]*policyState
	ps := l.resolve(policies, pbuf[:0])
	if len(ps) == 0 {
		return false, false, 0
	}
	var rbuf [4]Rule
	var sbuf [4]time.Duration
	rules, sd := sharedRules(ps, 1, rbuf[:0], sbuf[:0])
	ok, decided, err := via(ctx, rules, sd)
	if err != nil || !decided {
		return false, false, 0
	}
	if l.down.CompareAndSwap(true, false) {
		l.log.Info("rate limiter: Redis answers again; decisions are shared again")
	}
	var dbuf [4]int64
	var gbuf [4]gcra
	d, g := dbuf[:0], gbuf[:0]
	for i, p := range ps {
		g = append(g, p.shared)
		d = append(d, int64(sd[i]))
	}
	ok, retryAfter = l.finish(ok, false, ps, g, 1, d, h)
	return ok, true, retryAfter
}

// decide takes n units of every policy of ps for principal, all or nothing,
// in one step (n = 1 for a request). With strict set, a Backend that cannot
// decide is reported as err instead of handing the decision to the failure
// mode.
func (l *Limiter) decide(ctx context.Context, principal string, ps []*policyState, n int64, strict bool, h http.Header) (ok bool, retryAfter time.Duration, err error) {
	var dbuf [4]int64
	d := dbuf[:]
	if len(ps) > len(dbuf) {
		d = make([]int64, len(ps))
	}
	d = d[:len(ps)]
	var gbuf, wbuf [4]gcra
	g, w := gbuf[:0], wbuf[:0]

	if l.backend == nil {
		for _, p := range ps {
			g = append(g, p.local)
			w = append(w, p.local.times(n))
		}
		ok = l.decideLocal(l.local, principal, ps, w, d)
		ok, retryAfter = l.finish(ok, false, ps, g, n, d, h)
		return ok, retryAfter, nil
	}

	var rbuf [4]Rule
	var sbuf [4]time.Duration
	rules, sd := sharedRules(ps, n, rbuf[:0], sbuf[:0])
	ok, err = l.backend.Decide(ctx, principal, rules, sd)
	if err == nil {
		if l.down.CompareAndSwap(true, false) {
			l.log.Info("rate limiter: Redis answers again; decisions are shared again")
		}
		for i, p := range ps {
			g = append(g, p.shared)
			d[i] = int64(sd[i])
		}
		ok, retryAfter = l.finish(ok, false, ps, g, n, d, h)
		return ok, retryAfter, nil
	}
	// A failure is logged once the Backend knows its store is down (its
	// breaker opened), not for every timeout; the caller giving up is not
	// the store's fault.
	if ctx.Err() == nil {
		if down, _ := l.backend.Unavailable(); down && l.down.CompareAndSwap(false, true) {
			l.log.Warn("rate limiter: Redis failing; using the fallback", "mode", l.failure, "err", err,
				"instances", l.instances())
		}
	}
	if strict {
		for _, p := range ps {
			inc(p.fbLimited)
		}
		setPolicyHeader(h, ps)
		return false, 0, err
	}

	switch l.failure {
	case FailureOpen:
		for _, p := range ps {
			inc(p.fbAllowed)
		}
		setPolicyHeader(h, ps)
		return true, 0, nil
	case FailureClosed:
		for _, p := range ps {
			inc(p.fbLimited)
		}
		setPolicyHeader(h, ps)
		_, retryIn := l.backend.Unavailable()
		return false, max(retryIn, time.Second), nil
	}
	cnt := l.instances()
	for _, p := range ps {
		if cnt == 1 {
			g = append(g, p.local)
		} else {
			g = append(g, gcraFor(p.Quota/float64(cnt), p.Window, time.Nanosecond))
		}
		w = append(w, g[len(g)-1].times(n))
	}
	ok = l.decideLocal(l.fallback, principal, ps, w, d)
	ok, retryAfter = l.finish(ok, true, ps, g, n, d, h)
	return ok, retryAfter, nil
}

// sharedRules appends to rules the Backend's rule of each policy of ps, n
// units each, and returns them with a slice for their results (d of
// Backend.Decide), grown from d.
func sharedRules(ps []*policyState, n int64, rules []Rule, d []time.Duration) ([]Rule, []time.Duration) {
	for _, p := range ps {
		r := p.rule
		r.Interval *= time.Duration(n)
		rules = append(rules, r)
		d = append(d, 0)
	}
	return rules, d
}

func (l *Limiter) decideLocal(lg *localGCRA, principal string, ps []*policyState, g []gcra, d []int64) bool {
	var nbuf [4]string
	names := nbuf[:0]
	for _, p := range ps {
		names = append(names, p.Name)
	}
	now := int64(l.now().Sub(l.epoch))
	return lg.decide(principal, names, g, now, d)
}

// finish counts the decision, writes the headers and computes Retry-After.
// d[i] is TAT_i - now after the decision, g[i] the parameters of one unit
// and n the units the decision took.
func (l *Limiter) finish(ok, fallback bool, ps []*policyState, g []gcra, n int64, d []int64, h http.Header) (bool, time.Duration) {
	var retry int64
	for i, p := range ps {
		// How late the request is for policy i: positive means refused.
		late := d[i] + n*g[i].t - g[i].tau
		switch {
		case ok && fallback:
			inc(p.fbAllowed)
		case ok:
			inc(p.allowed)
		case late > 0 && fallback:
			inc(p.fbLimited)
		case late > 0:
			inc(p.limited)
		}
		if !ok && late > retry {
			retry = late
		}
	}
	if h != nil {
		setPolicyHeader(h, ps)
		h.Set("RateLimit", formatRateLimit(ps, g, d))
	}
	if ok {
		return true, 0
	}
	return false, time.Duration(retry)
}

func inc(c prometheus.Counter) {
	if c != nil {
		c.Inc()
	}
}
