// Package cache holds cache-aside decorators for the stores of package
// recall. Each decorator wraps the primary store, implements the same
// interface, serves reads from a Backend (the in-process cache of package
// inmem, or Redis through package redis) and invalidates the keys a write
// changes once the inner store has committed it. Which write drops which
// keys is written in one table, in rules.go. One code path serves both
// backends.
//
// # Keys
//
// The decorators name their keys as below; a backend may put a prefix in
// front (the Redis backend's default is "recall:"). The braces are a Redis
// Cluster hash tag: the Redis backend keeps each key's fill lease under
// "<key>:lease", in the same slot, so that one script can touch both.
//
//	topics:{<user_id>}       a user's topic list (TopicStore)
//	questions:{<user_id>}:<topic_id>
//	                         a topic's question bank (QuestionStore), under
//	                         its owner, a hash: field <question_id> = the
//	                         question, field "_order" = the ids in bank order
//	token:{<user_id>}:<hex sha-256>
//	                         a bearer token, under the user it claims (TokenStore)
//	token:{<hex sha-256>}    a bearer token of the old form, which claims no user
//	user:{<user_id>}         a user, with its time zone and FSRS weights (UserStore)
//	memories:{<user_id>}:<topic_id>
//	                         a user's memory states of a topic (MemoryStore)
//	days:{<user_id>}         a user's days of study (MemoryStore)
//
// The writes that drop each key, and why, are the table of rules.go.
// Values are in the binary format of codec.go, which starts with a version
// byte.
//
// # Fill protocol
//
// A lookup that misses takes a lease on the key (Backend.Lease: a token
// stored with a short TTL, only if the key holds no value), loads from the
// inner store, and writes the value with Backend.Fill, which succeeds only if
// the lease still holds its token. An invalidation deletes the value and the
// lease together, so a fill that raced with a write (reader loads the old
// row, writer commits and invalidates, reader fills) finds its lease gone and
// writes nothing: the old value never lands. No sleeps, no delayed deletes.
//
// Within one process, golang.org/x/sync/singleflight collapses concurrent
// misses of a key into one load. A caller only takes a shared result whose
// read began after the caller itself started, or whose fill proved that no
// invalidation happened since the load; otherwise it looks up again, so no
// read that starts after a write was acknowledged returns older data. A
// lookup that finds another process filling the key (the lease is taken)
// polls the backend for up to Options.FillWait, then reads the inner store
// itself without filling.
//
// # Failure
//
// The cache never fails a request: when the backend errs (Redis down, its
// circuit breaker open) the lookup is served by the inner store and counted
// as "error" in metrics.Metrics.Cache; a failed invalidation is logged (the
// Redis backend also keeps it and retries it before it serves again).
package cache

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/metrics"
)

// maxFlight bounds a shared load, which no single caller may cancel.
const maxFlight = 30 * time.Second

// MarkerField is the hash field a backend may use to mark a hash as
// complete; callers of FillHash must not use it as a field name.
const MarkerField = "_complete"

// Defaults of Options.
const (
	DefaultTTL = 10 * time.Minute
	// DefaultTokenTTL is the TokenStore's DefaultTTL: shorter, because it
	// bounds how long a revoked token's copy can outlive an invalidation
	// that an instance cut off from Redis could not deliver.
	DefaultTokenTTL = time.Minute
	DefaultLeaseTTL = 2 * time.Second
	DefaultFillWait = 50 * time.Millisecond
)

// Backend is what the decorators need from a cache: plain values, hashes
// read whole, and the lease that makes fills safe. The inmem and redis
// packages implement it; the suite in package cachetest checks that they
// behave alike. Values and fields a Backend returns must not be modified,
// and a Backend may keep the slices and maps it is given.
type Backend interface {
	// Get returns the value at key; ok is false on a miss.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)

	// GetHash returns the fields of the hash at key; ok is false on a miss,
	// including a hash that was not stored whole by FillHash.
	GetHash(ctx context.Context, key string) (fields map[string][]byte, ok bool, err error)

	// Lease reads key (a hash if hash is true). If it holds a value, Lease
	// returns it with Found set and takes no lease. Otherwise, if nobody
	// holds the key's lease, it takes it for ttl and returns its Token;
	// if somebody does, it returns a zero Lease.
	Lease(ctx context.Context, key string, hash bool, ttl time.Duration) (Lease, error)

	// Fill stores val at key for ttl if the key's lease still holds token,
	// releases the lease and reports whether it stored val.
	Fill(ctx context.Context, key, token string, val []byte, ttl time.Duration) (bool, error)

	// FillHash is Fill for a hash of fields.
	FillHash(ctx context.Context, key, token string, fields map[string][]byte, ttl time.Duration) (bool, error)

	// Release drops the key's lease if it still holds token.
	Release(ctx context.Context, key, token string) error

	// Invalidate deletes the values and the leases of keys. Once it has
	// returned, no lookup in this process returns the deleted values.
	Invalidate(ctx context.Context, keys ...string) error
}

// Lease is the outcome of Backend.Lease.
type Lease struct {
	// Token is set when the caller now holds the lease.
	Token string
	// Found is set when the key holds a value: Val, or Fields for a hash.
	Found  bool
	Val    []byte
	Fields map[string][]byte
}

// Options configures a decorator. The zero value is usable.
type Options struct {
	// TTL is how long a filled entry lives; zero means DefaultTTL.
	// Invalidation, not expiry, keeps entries fresh; the TTL only bounds
	// the memory of keys nobody reads.
	TTL time.Duration
	// LeaseTTL bounds how long a fill may take, from lease to fill; zero
	// means DefaultLeaseTTL. A load slower than this is served but not
	// cached.
	LeaseTTL time.Duration
	// FillWait is how long a lookup waits for a fill that another process
	// is making before it reads the inner store itself; zero means
	// DefaultFillWait.
	FillWait time.Duration
	// Metrics counts every lookup; nil counts nothing.
	Metrics *metrics.Metrics
	// Logger receives failed invalidations; nil discards them.
	Logger *slog.Logger
	// MemoBytes bounds the memo of decoded values: a hit whose bytes are
	// those of the previous hit of the key returns a copy of the value
	// decoded then instead of decoding again. Zero means
	// DefaultMemoBytes; a negative value turns the memo off.
	MemoBytes int
	// AfterLoad, if set, is called with the key between a fill's read of
	// the inner store and its write to the backend. It is a test hook: a
	// test blocks in it to pause a fill deterministically.
	AfterLoad func(key string)
	// Refill, if set, puts back the topic lists and question banks that
	// the decorators' writes drop, off the request path (see Refiller).
	// The decorators that share one must share their Backend.
	Refill *Refiller
}

// Cache names used in metrics.
const (
	nameTopics    = "topics"
	nameQuestions = "questions"
	nameTokens    = "tokens"
	nameMemories  = "memories"
	nameDays      = "days"
	nameUsers     = "users"
)

// errUncacheable says that a loaded value cannot be encoded: each caller
// then loads it for itself, uncached.
var errUncacheable = errors.New("cache: value cannot be cached")

// Values that do not encode.
var (
	errMixedMemories = errors.New("cache: a memory list of several users or topics")
	errNegativeState = errors.New("cache: a negative card state")
	errDaysOrder     = errors.New("cache: days of study not in increasing order, or negative")
)

// entry is what a key holds: a value, or the fields of a hash.
type entry struct {
	val    []byte
	fields map[string][]byte
}

// flight is the result of a shared fill.
type flight struct {
	e entry
	// valid is the sequence number taken just before the read that produced
	// e (or just before a successful fill). A caller that joined the flight
	// with a smaller sequence number started before that read, so e is
	// fresh enough for it.
	valid uint64
	// filled says that e was stored under this flight's lease.
	filled bool
	// skipped says that the flight was a refill that loaded nothing (see
	// refill): a caller that joined it looks again.
	skipped bool
	// present says that the key held a value when the flight looked.
	present bool
	// err is why a refill's flight loaded or filled nothing, if it
	// failed.
	err error
}

// core is the fill protocol shared by the decorators.
type core struct {
	b         Backend
	ttl       time.Duration
	leaseTTL  time.Duration
	fillWait  time.Duration
	m         *metrics.Metrics
	log       *slog.Logger
	afterLoad func(string)
	rules     map[string]rule
	refill    *Refiller
	sf        singleflight.Group
	seq       atomic.Uint64
}

func newCore(b Backend, opts Options) *core {
	c := &core{
		b:         b,
		ttl:       opts.TTL,
		leaseTTL:  opts.LeaseTTL,
		fillWait:  opts.FillWait,
		m:         opts.Metrics,
		log:       opts.Logger,
		afterLoad: opts.AfterLoad,
		rules:     invalidationRules(),
		refill:    opts.Refill,
	}
	if c.ttl <= 0 {
		c.ttl = DefaultTTL
	}
	if c.leaseTTL <= 0 {
		c.leaseTTL = DefaultLeaseTTL
	}
	if c.fillWait <= 0 {
		c.fillWait = DefaultFillWait
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// codec turns a stored value into an entry and back.
type codec[T any] struct {
	encode func(T) (entry, error)
	decode func(entry) (T, error)
	// clone returns a deep copy of a decoded value: nothing a caller can
	// change in it is shared with the original.
	clone func(T) T
	// memo, if not nil, remembers decoded values (see memo).
	memo *memo[T]
}

// value returns the value of the entry e read at key: a copy of the one
// remembered by the memo if e is the entry it was decoded from, otherwise
// decoded (and remembered).
func (cd codec[T]) value(key string, e entry) (T, error) {
	return cd.valueVia(key, e, nil)
}

// valueVia is value with the copy a remembered value is handed out
// through: cp returns a deep copy of the part of the value the caller needs
// (nil means all of it, cd.clone).
func (cd codec[T]) valueVia(key string, e entry, cp func(T) T) (T, error) {
	if cp == nil {
		cp = cd.clone
	}
	if cd.memo == nil {
		return cd.decode(e)
	}
	if v, ok := cd.memo.get(key, e); ok {
		return cp(v), nil
	}
	v, err := cd.decode(e)
	if err != nil {
		return v, err
	}
	cd.memo.put(key, e, v)
	return cp(v), nil
}

// request is one lookup.
type request[T any] struct {
	name string // the cache, for metrics
	key  string
	hash bool
	cd   codec[T]
	// load reads the value of key from the inner store.
	load func(context.Context) (T, error)
	// fallback reads what the caller needs from the inner store when the
	// backend fails; nil means load. fallbackID tells its flights apart
	// from those of other fallbacks of the same key.
	fallback   func(context.Context) (T, error)
	fallbackID string
	// part, if set, copies out of a decoded value only what the caller
	// needs, instead of the whole value (see codec.valueVia).
	part func(T) T
}

// lookup returns the value of r.key: from the backend on a hit; on a miss
// loaded and filled under a lease; from the inner store when the backend
// fails. Concurrent loads of a key share one flight, filled or not.
func lookup[T any](ctx context.Context, c *core, r request[T]) (T, error) {
	if r.fallback == nil {
		r.fallback = r.load
	}
	direct := func() (T, error) {
		return shared(ctx, c, r, "direct:"+r.key+"/"+r.fallbackID, r.fallback, func(ctx context.Context, load func(context.Context) (entry, error)) (*flight, error) {
			return c.loadOnly(ctx, load)
		})
	}
	e, ok, known := entry{}, false, false
	var err error
	if p := prefetchedOf(ctx); p != nil {
		e, ok, known = p.get(r.key)
	}
	if !known {
		e, ok, err = c.read(ctx, r.key, r.hash)
	}
	if err != nil {
		c.m.Cache(r.name, "error")
		return direct()
	}
	if ok {
		v, err := r.cd.valueVia(r.key, e, r.part)
		if err == nil {
			c.m.Cache(r.name, "hit")
			return v, nil
		}
		c.m.Cache(r.name, "error")
		c.corrupt(ctx, r.key, err)
		return direct()
	}
	c.m.Cache(r.name, "miss")
	return shared(ctx, c, r, r.key, r.load, func(ctx context.Context, load func(context.Context) (entry, error)) (*flight, error) {
		return c.fill(ctx, r.key, r.hash, load)
	})
}

// shared runs fn as the flight fkey of this process, or joins the one
// running, and decodes the result for this caller alone. A caller that
// joined a flight whose read began before the caller started joins the
// next flight, which began after it; failing that, or if the value cannot
// be cached, it calls load itself.
func shared[T any](ctx context.Context, c *core, r request[T], fkey string, load func(context.Context) (T, error),
	fn func(context.Context, func(context.Context) (entry, error)) (*flight, error)) (T, error) {
	var zero T
	loadEntry := encoded(c, r, load)
	// start orders this lookup against the flights' reads. It is taken
	// once: a flight that begins after the one this lookup joined first
	// began after the lookup itself, so it serves the lookup's second
	// round. (Taking it anew each round let every round's leader read
	// before the others had taken theirs, and then no round served them.)
	start := c.seq.Add(1)
	for range 2 {
		var leader bool
		ch := c.sf.DoChan(fkey, func() (any, error) {
			leader = true
			// The flight serves every caller that joins it: it outlives
			// the cancellation of the one that started it, within a bound.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), maxFlight)
			defer cancel()
			return fn(fctx, loadEntry)
		})
		var res singleflight.Result
		select {
		case res = <-ch:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if errors.Is(res.Err, errUncacheable) {
			return load(ctx)
		}
		if res.Err != nil {
			return zero, res.Err
		}
		f := res.Val.(*flight)
		if f.skipped || (!leader && start > f.valid) {
			continue // the flight read before this lookup began: look again
		}
		v, err := r.cd.valueVia(r.key, f.e, r.part)
		if err != nil {
			c.corrupt(ctx, r.key, err)
			return load(ctx)
		}
		return v, nil
	}
	return load(ctx)
}

// encoded returns load with its value encoded by r's codec; a value that
// does not encode is errUncacheable.
func encoded[T any](c *core, r request[T], load func(context.Context) (T, error)) func(context.Context) (entry, error) {
	return func(ctx context.Context) (entry, error) {
		v, err := load(ctx)
		if err != nil {
			return entry{}, err
		}
		e, err := r.cd.encode(v)
		if err != nil {
			c.log.Warn("cache: a value does not encode", "key", r.key, "err", err)
			return entry{}, errUncacheable
		}
		return e, nil
	}
}

// read is a plain backend read of key.
func (c *core) read(ctx context.Context, key string, hash bool) (entry, bool, error) {
	if hash {
		f, ok, err := c.b.GetHash(ctx, key)
		return entry{fields: f}, ok, err
	}
	v, ok, err := c.b.Get(ctx, key)
	return entry{val: v}, ok, err
}

// fill runs once per key at a time in this process: it takes the lease,
// loads and fills, or waits for another process's fill.
func (c *core) fill(ctx context.Context, key string, hash bool, load func(context.Context) (entry, error)) (*flight, error) {
	s := c.seq.Add(1)
	l, err := c.b.Lease(ctx, key, hash, c.leaseTTL)
	switch {
	case err != nil:
		return c.loadOnly(ctx, load)
	case l.Found:
		return &flight{e: entry{val: l.Val, fields: l.Fields}, valid: s, present: true}, nil
	case l.Token == "":
		return c.await(ctx, key, hash, load)
	}
	return c.loadAndFill(ctx, key, hash, l.Token, load)
}

// loadAndFill loads the value of key and fills it under the lease token,
// which the caller holds.
func (c *core) loadAndFill(ctx context.Context, key string, hash bool, token string, load func(context.Context) (entry, error)) (*flight, error) {
	s := c.seq.Add(1)
	e, err := load(ctx)
	if err != nil {
		if rerr := c.b.Release(ctx, key, token); rerr != nil {
			c.log.Debug("cache: release failed", "key", key, "err", rerr)
		}
		return nil, err
	}
	if c.afterLoad != nil {
		c.afterLoad(key)
	}
	f := &flight{e: e, valid: s}
	s = c.seq.Add(1)
	var filled bool
	if hash {
		filled, err = c.b.FillHash(ctx, key, token, e.fields, c.ttl)
	} else {
		filled, err = c.b.Fill(ctx, key, token, e.val, c.ttl)
	}
	if err == nil && filled {
		// No invalidation reached the key between the lease and the fill,
		// so the load is current for every caller that joined before it.
		f.valid, f.filled = s, true
	}
	f.err = err
	return f, nil
}

// await polls for a fill made by another process, then gives up and loads
// without filling.
func (c *core) await(ctx context.Context, key string, hash bool, load func(context.Context) (entry, error)) (*flight, error) {
	deadline := time.Now().Add(c.fillWait)
	for d := time.Millisecond; ; d *= 2 {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		time.Sleep(min(d, left))
		s := c.seq.Add(1)
		e, ok, err := c.read(ctx, key, hash)
		if err != nil {
			break
		}
		if ok {
			return &flight{e: e, valid: s}, nil
		}
	}
	return c.loadOnly(ctx, load)
}

func (c *core) loadOnly(ctx context.Context, load func(context.Context) (entry, error)) (*flight, error) {
	s := c.seq.Add(1)
	e, err := load(ctx)
	if err != nil {
		return nil, err
	}
	return &flight{e: e, valid: s}, nil
}

// corrupt drops an entry that does not decode.
func (c *core) corrupt(ctx context.Context, key string, err error) {
	c.log.Warn("cache: dropping an entry that does not decode", "key", key, "err", err)
	c.invalidate(ctx, key)
}

// invalidate deletes keys from the backend. It runs even if ctx is
// cancelled: the write it follows has committed. A failure is logged and
// returned; the decorators' writes ignore it (the write succeeded).
func (c *core) invalidate(ctx context.Context, keys ...string) error {
	if p := prefetchedOf(ctx); p != nil {
		p.drop(keys...)
	}
	err := c.b.Invalidate(context.WithoutCancel(ctx), keys...)
	if err != nil {
		c.log.Warn("cache: invalidation failed", "keys", keys, "err", err)
	}
	return err
}

// after drops the keys that the rule of method (see rules.go) names for w,
// once the write has returned err: a write the store refused drops
// nothing. A method without a rule (a bug, which the tests catch) is
// logged and drops every key w names, so that it serves nothing stale.
func (c *core) after(ctx context.Context, method string, w write, err error) {
	if !mayHaveWritten(err) {
		return
	}
	var keys []string
	if r, ok := c.rules[method]; ok {
		keys = r.keys(w)
	} else {
		c.log.Error("cache: no invalidation rule; dropping every key the write names", "method", method)
		seen := map[string]bool{}
		for _, r := range c.rules {
			for _, k := range r.drops {
				if key := k(w); key != "" && !seen[key] {
					seen[key] = true
					keys = append(keys, key)
				}
			}
		}
	}
	if len(keys) == 0 {
		return
	}
	if d := deferredOf(ctx); d != nil && err == nil {
		// Dropped later, with the caller's next write; no refill (it
		// would race that drop): the next read refills.
		if p := prefetchedOf(ctx); p != nil {
			p.drop(keys...)
		}
		d.add(keys)
		return
	}
	if err := c.invalidate(ctx, keys...); err != nil || c.refill == nil {
		return // a refill would meet the backend that just failed
	}
	for _, t := range refills(method, w, keys) {
		c.refill.enqueue(t)
	}
}

// mayHaveWritten reports whether a write that returned err may have
// changed the store, so that its keys must be invalidated.
func mayHaveWritten(err error) bool {
	if err == nil {
		return true
	}
	switch recall.ErrorCode(err) {
	case recall.ENOTFOUND, recall.EINVALID, recall.ECONFLICT, recall.EUNAUTHORIZED:
		return false
	}
	return true
}

// Key names; see the package comment.
func topicsKey(userID string) string { return "topics:{" + userID + "}" }
func tokenKey(hexHash string) string { return "token:{" + hexHash + "}" }

// questionsKey shares the owner's hash tag, so that a turn can read the
// bank with the user's token check and session (one Redis Cluster slot).
func questionsKey(userID, topicID string) string { return "questions:{" + userID + "}:" + topicID }

// userTokenKey shares the user's hash tag.
func userTokenKey(userID, hexHash string) string { return "token:{" + userID + "}:" + hexHash }
func daysKey(userID string) string               { return "days:{" + userID + "}" }
func userKey(userID string) string               { return "user:{" + userID + "}" }

// memoriesKey shares the user's hash tag, so that a user's keys live in
// one Redis Cluster slot.
func memoriesKey(userID, topicID string) string { return "memories:{" + userID + "}:" + topicID }

// MemoriesKey returns the backend key of a user's memory states of a topic.
func MemoriesKey(userID, topicID string) string { return memoriesKey(userID, topicID) }

// DaysKey returns the backend key of a user's days of study.
func DaysKey(userID string) string { return daysKey(userID) }

// UserKey returns the backend key of a user.
func UserKey(userID string) string { return userKey(userID) }

// TopicsKey returns the backend key of a user's topic list.
func TopicsKey(userID string) string { return topicsKey(userID) }

// SessionKey returns the key of a session's state (kept by a
// recall.SessionCache, not by a Backend), under its user's hash tag.
func SessionKey(userID, id string) string { return "session:{" + userID + "}:" + id }

// QuestionsKey returns the backend key of a topic's question bank, under
// the topic's owner.
func QuestionsKey(userID, topicID string) string { return questionsKey(userID, topicID) }

// TokenKey returns the backend key of the token whose SHA-256 hash is
// hash, looked up by its hash alone (a token of the old form).
func TokenKey(hash []byte) string { return tokenKey(hex.EncodeToString(hash)) }

// UserTokenKey returns the backend key of the token whose SHA-256 hash is
// hash, looked up under the user it claims.
func UserTokenKey(userID string, hash []byte) string {
	return userTokenKey(userID, hex.EncodeToString(hash))
}
