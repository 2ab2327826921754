// Package redis connects Recall to Redis with github.com/redis/rueidis: the
// client set-up (standalone, TLS, Cluster, Sentinel), a circuit breaker, the
// cache.Backend of the cache decorators (with server-assisted client-side
// caching, the near-cache) and the recall.SessionCache of active sessions.
//
// Redis is an accelerator, never a single point of failure: every call has
// a short timeout, consecutive failures open a circuit breaker that makes
// calls fail at once for a cool-down, after which one call probes Redis; a
// Client that cannot reach Redis at start keeps trying in the background.
// Callers serve from the primary database whenever a call fails.
//
// Every key starts with Options.Prefix (default "recall:"):
//
//	<prefix>topics:{<user_id>}          cache.TopicStore's topic list (string)
//	<prefix>questions:{<user_id>}:<topic_id>
//	                                    cache.QuestionStore's bank, under the
//	                                    topic's owner (hash; field "_complete"
//	                                    marks a hash filled whole)
//	<prefix>token:{<hex sha-256>}       cache.TokenStore's token (string)
//	<prefix><key>:lease                 the fill lease of <key>, same hash tag
//	<prefix>session:{<user_id>}:<id>    SessionCache (hash: v, d, i, x)
//
// Near-cache: with it on (the default), reads of cache keys go through
// rueidis DoCache: Redis tracks what this process holds and pushes an
// invalidation when a key changes, which drops the local copy. Session keys
// are never near-cached: a TTL refresh counts as a change and would
// invalidate every copy. Read-your-writes: an invalidation is pipelined
// with a trailing read of the same key on the same connection; Redis sends
// the invalidation push for the tracked key before that read's reply, and
// rueidis handles both in order, so by the time Invalidate returns the local
// copy is gone. For that, with the near-cache on, the Client keeps one
// pipelined connection per Redis node (rueidis PipelineMultiplex -1), so
// that the reads, the writes and the pushes of a key share it; rueidis's
// auto-pipelining makes one connection enough. The copies are kept in a
// store of this package (nearStore), which counts them for NearCacheSize.
package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/breaker"
	"github.com/recallhq/recall/metrics"
)

// Defaults of Options.
const (
	DefaultPrefix  = "recall:"
	DefaultTimeout = 100 * time.Millisecond
	// DefaultInvalidateTimeout bounds a write's invalidation: see
	// Options.InvalidateTimeout.
	DefaultInvalidateTimeout = time.Second
	DefaultConnWriteTimeout  = 250 * time.Millisecond
	DefaultDialTimeout       = time.Second
	DefaultNearCacheBytes    = 32 << 20
	DefaultNearCacheTTL      = 10 * time.Minute
	DefaultBreakerThreshold  = 5
	DefaultBreakerCooldown   = time.Second
)

// maxPending bounds the failed invalidations kept for a retry.
const maxPending = 100_000

// sentinelRefresh is how often a Sentinel client re-checks with the
// sentinels which server is the primary, in case it missed a
// +switch-master announcement.
const sentinelRefresh = 5 * time.Second

// sentinelPort is the port of a sentinel that the URL leaves out.
const sentinelPort = "26379"

// tryAgainBackoff bounds the pause between two attempts of a call that
// Redis Cluster answered with TRYAGAIN.
const tryAgainBackoff = 20 * time.Millisecond

// Status values.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
)

var (
	// ErrUnavailable is returned, wrapped, by every call made while the
	// circuit breaker is open or before the first connection succeeded.
	ErrUnavailable = errors.New("redis: unavailable (circuit open)")
	errNotYet      = errors.New("redis: not connected yet")
)

// Options configures a Client. The zero value is usable.
type Options struct {
	// Prefix starts every key; empty means DefaultPrefix.
	Prefix string
	// Timeout bounds every call but a write's invalidation; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// InvalidateTimeout bounds the invalidation that follows a committed
	// write, tried again within it while Redis is up. A read that gives up
	// falls back to the database, but a write acknowledged before its
	// invalidation reached Redis leaves the old value for the other
	// instances to read, so an invalidation that a loaded Redis answers
	// late is waited for. Zero means DefaultInvalidateTimeout, or Timeout
	// if that is longer.
	InvalidateTimeout time.Duration
	// ConnWriteTimeout is how long a connection may wait for Redis to
	// answer before it is dropped (rueidis pings idle connections, so a
	// silent Redis is noticed and the near-cache of the connection is
	// flushed); zero means DefaultConnWriteTimeout.
	ConnWriteTimeout time.Duration
	// DialTimeout bounds a connection attempt; zero means DefaultDialTimeout.
	DialTimeout time.Duration
	// DisableNearCache turns the client-side cache off.
	DisableNearCache bool
	// NearCacheBytes bounds the client-side cache of each connection (one
	// per Redis node), in the approximate bytes NearCacheSize reports:
	// past it the least recently read copies are dropped (CLOCK). Zero
	// means DefaultNearCacheBytes.
	NearCacheBytes int
	// NearCacheTTL bounds how long a local copy is kept (the key's TTL in
	// Redis bounds it too): an older copy is read from Redis again. Zero
	// means DefaultNearCacheTTL.
	NearCacheTTL time.Duration
	// BreakerThreshold is the number of consecutive failed calls that
	// opens the circuit breaker; zero means DefaultBreakerThreshold.
	BreakerThreshold int
	// BreakerCooldown is how long the breaker stays open before a probe;
	// zero means DefaultBreakerCooldown.
	BreakerCooldown time.Duration
	// TLSConfig, if set, replaces the TLS configuration of a rediss:// URL
	// (or turns TLS on for redis://).
	TLSConfig *tls.Config
	// Metrics counts round trips and, with the near-cache on, reports its
	// size (the gauges recall_near_cache_entries and _bytes); nil counts
	// nothing.
	Metrics *metrics.Metrics
	// Logger receives connection and breaker events; nil discards them.
	Logger *slog.Logger
}

// Client is a Redis connection shared by the Backend, the SessionCache and
// anyone else who needs Redis, with one circuit breaker for all of them.
// It is safe for concurrent use.
type Client struct {
	opts    Options
	copt    rueidis.ClientOption
	log     *slog.Logger
	m       *metrics.Metrics
	br      *breaker.Breaker
	rc      atomic.Pointer[rcHolder]
	dialing atomic.Bool
	closed  atomic.Bool

	flushMu   sync.Mutex // one flush of the pending invalidations at a time
	pendingMu sync.Mutex
	pending   map[string]pendingGroup
	pendingN  atomic.Int64
	pendingID uint64

	near *nearTotals // the near-cache's entries and bytes
}

type rcHolder struct{ c rueidis.Client }

// pendingGroup is a failed invalidation: keys to delete together.
type pendingGroup struct {
	keys []string
	id   uint64
}

// Connect parses url and connects. The URL is one of:
//
//	redis://[user:pass@]host:port[/db]      one server (rediss:// for TLS)
//	redis://[user:pass@]h1:p1,h2:p2,…       seed nodes of a Redis Cluster
//	redis-sentinel://[user:pass@]s1:p1,s2:p2,…/master[?db=N]
//
// A Redis Cluster is detected from the seeds (one seed works too). The
// Sentinel form names the sentinels (port 26379 if left out) and the
// master set they monitor; the Client asks them for the current primary,
// follows their +switch-master announcements and re-checks with them every
// few seconds, so a failover needs no restart. user:pass there are those of
// the primary and replicas; if the sentinels want a password of their own,
// add sentinel_username=U&sentinel_password=P to the query. The
// rediss-sentinel:// form speaks TLS to the sentinels and the data nodes.
//
// Connect fails for an invalid URL or a refusal by Redis (wrong password,
// no RESP3 for the near-cache); if Redis cannot be reached it returns a
// degraded Client that keeps trying in the background.
func Connect(ctx context.Context, url string, opts Options) (*Client, error) {
	copt, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.InvalidateTimeout <= 0 {
		opts.InvalidateTimeout = max(DefaultInvalidateTimeout, opts.Timeout)
	}
	if opts.ConnWriteTimeout <= 0 {
		opts.ConnWriteTimeout = DefaultConnWriteTimeout
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.NearCacheBytes <= 0 {
		opts.NearCacheBytes = DefaultNearCacheBytes
	}
	if opts.NearCacheTTL <= 0 {
		opts.NearCacheTTL = DefaultNearCacheTTL
	}
	if opts.BreakerThreshold <= 0 {
		opts.BreakerThreshold = DefaultBreakerThreshold
	}
	if opts.BreakerCooldown <= 0 {
		opts.BreakerCooldown = DefaultBreakerCooldown
	}
	if opts.TLSConfig != nil {
		cfg := opts.TLSConfig.Clone()
		if cfg.ServerName == "" && copt.TLSConfig != nil {
			cfg.ServerName = copt.TLSConfig.ServerName
		}
		copt.TLSConfig = cfg
	}
	copt.Dialer.Timeout = opts.DialTimeout
	if copt.Sentinel.MasterSet != "" {
		copt.Sentinel.Dialer.Timeout = opts.DialTimeout
		if opts.TLSConfig != nil {
			copt.Sentinel.TLSConfig = opts.TLSConfig.Clone()
		}
		copt.Sentinel.TopologyRefreshInterval = sentinelRefresh
		if copt.Sentinel.ClientName == "" {
			copt.Sentinel.ClientName = "recall"
		}
	}
	copt.ConnWriteTimeout = opts.ConnWriteTimeout
	copt.DisableCache = opts.DisableNearCache
	copt.CacheSizeEachConn = opts.NearCacheBytes
	near := new(nearTotals)
	copt.NewCacheStoreFn = func(o rueidis.CacheStoreOption) rueidis.CacheStore {
		return newNearStore(o.CacheSizeEachConn, near)
	}
	if !opts.DisableNearCache {
		// One connection per Redis node: the invalidation barrier needs
		// the near-cache reads and the writes of a key on one connection.
		copt.PipelineMultiplex = -1
	}
	if copt.ClientName == "" {
		copt.ClientName = "recall"
	}
	c := &Client{
		opts:    opts,
		copt:    copt,
		log:     opts.Logger,
		m:       opts.Metrics,
		br:      breaker.New(breaker.Config{Threshold: opts.BreakerThreshold, Cooldown: opts.BreakerCooldown}),
		pending: make(map[string]pendingGroup),
		near:    near,
	}
	if !opts.DisableNearCache {
		c.m.NearCacheSource(c.NearCacheSize)
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rc, err := c.dial(ctx)
	if err != nil {
		if refused(err) {
			return nil, err
		}
		c.log.Warn("redis: unreachable at start; serving without it until it answers", "err", err)
		c.br.Trip()
		return c, nil
	}
	c.rc.Store(&rcHolder{rc})
	return c, nil
}

// refused reports whether a connection error is Redis saying no (bad
// password, no RESP3), as opposed to Redis not being there.
func refused(err error) bool {
	if errors.Is(err, rueidis.ErrNoCache) {
		return true
	}
	re, ok := rueidis.IsRedisErr(err)
	return ok && !unavailableReply(re)
}

// unavailableReply reports whether a Redis error reply says that Redis
// cannot serve for now (loading, busy, failing over) rather than no.
func unavailableReply(re *rueidis.RedisError) bool {
	msg := re.Error()
	for _, p := range []string{"LOADING", "BUSY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "OOM"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// dial makes the rueidis client, within ctx and the dial timeout.
func (c *Client) dial(ctx context.Context) (rueidis.Client, error) {
	type result struct {
		rc  rueidis.Client
		err error
	}
	ch := make(chan result, 1)
	go func() {
		rc, err := rueidis.NewClient(c.copt)
		ch <- result{rc, err}
	}()
	select {
	case r := <-ch:
		return r.rc, r.err
	case <-ctx.Done():
		go func() { // a late success is closed, not leaked
			if r := <-ch; r.rc != nil {
				r.rc.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// redial connects in the background, once at a time, and closes the
// breaker when it succeeds.
func (c *Client) redial() {
	if c.closed.Load() || !c.dialing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.dialing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 2*c.opts.DialTimeout)
		defer cancel()
		rc, err := c.dial(ctx)
		if err != nil {
			c.log.Debug("redis: still unreachable", "err", err)
			return
		}
		if c.closed.Load() || !c.rc.CompareAndSwap(nil, &rcHolder{rc}) {
			rc.Close()
			return
		}
		c.log.Info("redis: connected")
		c.br.Reset()
	}()
}

// Rueidis returns the underlying rueidis client, or nil while the Client
// has never reached Redis. Calls made on it bypass the breaker and the
// timeout of this Client.
func (c *Client) Rueidis() rueidis.Client {
	if h := c.rc.Load(); h != nil {
		return h.c
	}
	return nil
}

// Prefix returns the prefix of every key.
func (c *Client) Prefix() string { return c.opts.Prefix }

// NearCache reports whether reads of cache keys use the client-side cache.
func (c *Client) NearCache() bool { return !c.opts.DisableNearCache }

// NearCacheSize returns what the near-cache holds now, over every
// connection: the replies kept and their approximate size in bytes (the
// replies, keys and bookkeeping). Both are 0 with the near-cache off.
func (c *Client) NearCacheSize() (entries, bytes int64) {
	return c.near.entries.Load(), c.near.bytes.Load()
}

// Call runs fn with the rueidis client, through the circuit breaker and
// within the call timeout. It fails at once with an error wrapping
// ErrUnavailable while the breaker is open. Timeouts, network errors and
// Redis's own unavailability replies (LOADING, BUSY, ...) count as
// failures; other Redis error replies do not.
//
// While a Redis Cluster moves a slot, a command over several keys of it
// (a key and its lease) gets TRYAGAIN when only some of them have moved;
// Redis did not run it. Call then runs fn again, after a pause that grows
// to tryAgainBackoff, until it gets another answer or the timeout passes,
// so fn must be safe to run again after a TRYAGAIN reply. (MOVED and ASK
// are followed by rueidis itself.)
func (c *Client) Call(ctx context.Context, fn func(ctx context.Context, rc rueidis.Client) error) error {
	return c.call(ctx, c.opts.Timeout, false, fn)
}

// call is Call within timeout. With force it is made even while the
// breaker is open, without telling the breaker how it went.
func (c *Client) call(ctx context.Context, timeout time.Duration, force bool, fn func(ctx context.Context, rc rueidis.Client) error) error {
	probe, ok := c.br.Allow()
	if !ok && !force {
		return ErrUnavailable
	}
	h := c.rc.Load()
	if h == nil {
		c.redial()
		if ok {
			c.br.Record(probe, breaker.Failure)
		}
		return fmt.Errorf("%w: %w", ErrUnavailable, errNotYet)
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var err error
	if c.pendingN.Load() > 0 {
		err = c.flushPending(tctx, h.c)
	}
	for pause := time.Millisecond; err == nil; pause = min(2*pause, tryAgainBackoff) {
		err = fn(tctx, h.c)
		if !tryAgain(err) || !sleep(tctx, pause) {
			break
		}
		err = nil
	}
	if ok {
		c.br.Record(probe, classify(ctx, err))
	}
	return err
}

// tryAgain reports whether err is Redis Cluster's TRYAGAIN reply.
func tryAgain(err error) bool {
	var re *rueidis.RedisError
	return errors.As(err, &re) && re.IsTryAgain()
}

// sleep pauses for d; it returns false at once if ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// classify tells the breaker what the result of a call says about Redis.
func classify(parent context.Context, err error) breaker.Outcome {
	switch {
	case err == nil || rueidis.IsRedisNil(err):
		return breaker.Success
	case parent.Err() != nil:
		return breaker.Neutral // the caller gave up or ran out of time
	}
	if re, ok := rueidis.IsRedisErr(err); ok && !unavailableReply(re) {
		return breaker.Success // Redis answered
	}
	return breaker.Failure
}

// count records one round trip.
func (c *Client) count(op string) {
	c.m.RedisCall(op)
}

// Status returns StatusOK while Redis answers a PING within the timeout,
// StatusDegraded otherwise (without calling Redis while the breaker is
// open). It is meant for /readyz.
func (c *Client) Status(ctx context.Context) string {
	err := c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		c.count("ping")
		return rc.Do(ctx, rc.B().Ping().Build()).Error()
	})
	if err != nil {
		return StatusDegraded
	}
	return StatusOK
}

// Close closes the connections. Calls made afterwards fail.
func (c *Client) Close() {
	if c.closed.Swap(true) {
		return
	}
	c.br.Trip()
	if h := c.rc.Swap(nil); h != nil {
		h.c.Close()
	}
}

// invalidate deletes groups of keys (each group in one slot), and with the
// near-cache on, pipelines a read of each group's first key after its DEL
// on the same connection, so that the invalidation push of a locally cached
// key is handled before this returns.
func (c *Client) invalidate(ctx context.Context, rc rueidis.Client, groups [][]string) error {
	if len(groups) == 0 {
		return nil
	}
	cmds := make(rueidis.Commands, 0, 2*len(groups))
	for _, g := range groups {
		cmds = append(cmds, rc.B().Del().Key(g...).Build())
		if !c.opts.DisableNearCache {
			cmds = append(cmds, rc.B().Pttl().Key(g[0]).Build())
		}
	}
	c.count("invalidate")
	for _, r := range rc.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			return err
		}
	}
	return nil
}

// invalidateKeys deletes keys (under the prefix) and their leases. If
// Redis cannot be reached, they are kept and deleted before the Client
// makes any other call.
func (c *Client) invalidateKeys(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	groups := make([][]string, len(keys))
	for i, k := range keys {
		full := c.opts.Prefix + k
		groups[i] = []string{full, full + leaseSuffix}
	}
	// The write has committed: until its invalidation reaches Redis,
	// another instance may read the old value there. So it is made even
	// while this Client's breaker is open (the breaker may have opened on
	// timeouts of a loaded Redis that the other instances still read),
	// and tried again until InvalidateTimeout (a connection dropped by a
	// stalled Redis, a late reply). Only a Redis that refuses connections,
	// which nobody can read, a Client not yet connected, or the time spent,
	// leaves the keys for later.
	deadline := time.Now().Add(c.opts.InvalidateTimeout)
	for pause := time.Millisecond; ; pause = min(2*pause, tryAgainBackoff) {
		err := c.call(ctx, time.Until(deadline), true, func(ctx context.Context, rc rueidis.Client) error {
			return c.invalidate(ctx, rc, groups)
		})
		if err == nil {
			return nil
		}
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, errNotYet) || ctx.Err() != nil || !sleep(ctx, min(pause, time.Until(deadline))) || time.Until(deadline) <= 0 {
			c.addPending(groups)
			return err
		}
	}
}

// addPending keeps groups whose invalidation failed; they are deleted
// before any other call is made.
func (c *Client) addPending(groups [][]string) {
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	for _, g := range groups {
		if len(c.pending) >= maxPending {
			c.log.Error("redis: too many failed invalidations kept; dropping some, stale entries may live until their TTL")
			break
		}
		c.pendingID++
		c.pending[g[0]] = pendingGroup{keys: g, id: c.pendingID}
	}
	c.pendingN.Store(int64(len(c.pending)))
}

// flushPending deletes the kept invalidations.
func (c *Client) flushPending(ctx context.Context, rc rueidis.Client) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.pendingMu.Lock()
	snap := make(map[string]pendingGroup, len(c.pending))
	groups := make([][]string, 0, len(c.pending))
	for k, g := range c.pending {
		snap[k] = g
		groups = append(groups, g.keys)
	}
	c.pendingMu.Unlock()
	if len(groups) == 0 {
		return nil
	}
	for len(groups) > 0 {
		n := min(len(groups), 500)
		if err := c.invalidate(ctx, rc, groups[:n]); err != nil {
			return err
		}
		groups = groups[n:]
	}
	c.pendingMu.Lock()
	for k, g := range snap {
		if cur, ok := c.pending[k]; ok && cur.id == g.id {
			delete(c.pending, k)
		}
	}
	c.pendingN.Store(int64(len(c.pending)))
	c.pendingMu.Unlock()
	c.log.Info("redis: replayed failed invalidations", "keys", len(snap))
	return nil
}

// unavailable turns a failed call into the domain error callers see.
func unavailable(err error) error {
	return &callError{err: err}
}

// callError is a failed call that carries the EUNAVAILABLE code.
type callError struct{ err error }

// Error describes the failure.
func (e *callError) Error() string { return "redis: " + e.err.Error() }

// Unwrap returns the domain error and the cause.
func (e *callError) Unwrap() []error {
	return []error{recall.Errorf(recall.EUNAVAILABLE, "The cache is unavailable."), e.err}
}

// parseURL accepts what rueidis.ParseURL does plus several comma-separated
// seed nodes, and only the redis and rediss schemes, or the Sentinel form
// (parseSentinelURL).
func parseURL(s string) (rueidis.ClientOption, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if ok && (scheme == "redis-sentinel" || scheme == "rediss-sentinel") {
		return parseSentinelURL(scheme, rest, s)
	}
	if !ok || (scheme != "redis" && scheme != "rediss") {
		return rueidis.ClientOption{}, fmt.Errorf("redis: invalid URL %q: want redis://host:port, rediss://host:port or redis-sentinel://host:port,…/master", redact(s))
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo := ""
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, authority = authority[:i+1], authority[i+1:]
	}
	hosts := strings.Split(authority, ",")
	for i, h := range hosts {
		hosts[i] = strings.TrimSpace(h)
		if hosts[i] == "" {
			return rueidis.ClientOption{}, fmt.Errorf("redis: invalid URL %q: empty host", redact(s))
		}
	}
	opt, err := rueidis.ParseURL(scheme + "://" + userinfo + hosts[0] + tail)
	if err != nil {
		return rueidis.ClientOption{}, fmt.Errorf("redis: invalid URL %q: %w", redact(s), err)
	}
	for _, h := range hosts[1:] {
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), "6379")
		}
		opt.InitAddress = append(opt.InitAddress, h)
	}
	return opt, nil
}

// parseSentinelURL parses
// redis-sentinel://[user:pass@]host:port,host:port/master[?query] (or
// rediss-sentinel:// for TLS). The query may hold db, sentinel_username and
// sentinel_password; anything else is refused.
func parseSentinelURL(scheme, rest, s string) (rueidis.ClientOption, error) {
	bad := func(why string) (rueidis.ClientOption, error) {
		return rueidis.ClientOption{}, fmt.Errorf("redis: invalid URL %q: %s (want %s://[user:pass@]host:port,host:port/master[?db=N])", redact(s), why, scheme)
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo := ""
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, authority = authority[:i+1], authority[i+1:]
	}
	// The rest parses as an ordinary URL once the hosts are out of the way.
	u, err := url.Parse("redis://" + userinfo + "sentinels" + tail)
	if err != nil {
		return bad("cannot parse it")
	}
	var opt rueidis.ClientOption
	for h := range strings.SplitSeq(authority, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return bad("empty host")
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = strings.Trim(h, "[]"), sentinelPort
		}
		if host == "" {
			return bad("empty host")
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return bad("bad port " + strconv.Quote(port))
		}
		opt.InitAddress = append(opt.InitAddress, net.JoinHostPort(host, port))
	}
	master := strings.TrimPrefix(u.Path, "/")
	if master == "" || strings.Contains(master, "/") {
		return bad("no master name")
	}
	if u.Fragment != "" {
		return bad("a fragment")
	}
	opt.Sentinel.MasterSet = master
	if u.User != nil {
		opt.Username = u.User.Username()
		opt.Password, _ = u.User.Password()
	}
	for k, v := range u.Query() {
		switch k {
		case "db":
			n, err := strconv.Atoi(v[len(v)-1])
			if err != nil || n < 0 {
				return bad("bad db")
			}
			opt.SelectDB = n
		case "sentinel_username":
			opt.Sentinel.Username = v[len(v)-1]
		case "sentinel_password":
			opt.Sentinel.Password = v[len(v)-1]
		default:
			return bad("unknown parameter " + strconv.Quote(k))
		}
	}
	if scheme == "rediss-sentinel" {
		opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		opt.Sentinel.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return opt, nil
}

// ParseURL returns the rueidis options Connect builds from url: one node,
// several seed nodes of a Cluster, or Sentinel. It is for tools that need a
// plain rueidis client of the same Redis (the bench's key cleanup).
func ParseURL(url string) (rueidis.ClientOption, error) { return parseURL(url) }

// Redact returns the Redis URL url with its passwords (that of the user
// and a sentinel_password parameter) replaced by xxxxx, for logs.
func Redact(url string) string { return redact(url) }

// redact hides the password of a URL in error messages.
func redact(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !validScheme(scheme) {
		// Not a URL: whatever precedes a "://" may hold a password
		// ("//:pw@h://").
		return "…"
	}
	rest = sentinelPassword.ReplaceAllString(rest, "${1}xxxxx")
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if i := strings.LastIndex(rest[:end], "@"); i >= 0 {
		if u, _, ok := strings.Cut(rest[:i], ":"); ok {
			return scheme + "://" + u + ":xxxxx@" + rest[i+1:]
		}
	}
	return scheme + "://" + rest
}

// validScheme reports whether s is a URL scheme (RFC 3986: a letter, then
// letters, digits, "+", "-" or ".").
func validScheme(s string) bool {
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// sentinelPassword finds the value of a sentinel_password parameter.
var sentinelPassword = regexp.MustCompile(`([?&]sentinel_password=)[^&#]*`)
