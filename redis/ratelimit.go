package redis

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall/ratelimit"
)

var _ ratelimit.Backend = (*RateLimiter)(nil)

// GCRAScript is the Lua source of a rate-limit decision (gcra.lua): the
// GCRA of every policy of one request, with Redis's clock, all or nothing.
// It is exported so that redis-benchmark can run the very same script
// (ratelimit/README.md).
//
//go:embed gcra.lua
var GCRAScript string

// heartbeatScript records instance ARGV[1] as alive at Redis's time and
// returns how many instances were seen within the last ARGV[2] milliseconds.
const heartbeatScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%.0f', now - ttl))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', 2 * ttl))
return redis.call('ZCARD', KEYS[1])
`

// RateLimiter is the Redis ratelimit.Backend: one EVALSHA of gcra.lua per
// decision, over the keys <prefix>rl:<kind>:{<id>}:<policy> of a principal
// "<kind>:<id>" (rl:user:{<user id>}:default: the user's hash tag, which
// all of a user's keys share, so one slot on Redis Cluster), and the live instances in
// the sorted set <prefix>instances scored by Redis time. Every call goes
// through the Client: its circuit breaker, its timeout (Options.Timeout,
// --redis-timeout), Cluster and Sentinel handling. Calls are counted in
// recall_redis_calls_total with op "ratelimit" (the heartbeat is not counted).
type RateLimiter struct {
	c         *Client
	script    *rueidis.Lua
	heartbeat *rueidis.Lua
}

// NewRateLimiter returns the rate-limit backend over c.
func NewRateLimiter(c *Client) *RateLimiter {
	return &RateLimiter{
		c:         c,
		script:    rueidis.NewLuaScript(GCRAScript),
		heartbeat: rueidis.NewLuaScript(heartbeatScript),
	}
}

// Decide runs gcra.lua once for every rule. See ratelimit.Backend.
func (r *RateLimiter) Decide(ctx context.Context, principal string, rules []ratelimit.Rule, d []time.Duration) (bool, error) {
	var kbuf [4]string
	var abuf [8]string
	keys, args := kbuf[:0], abuf[:0]
	base := r.c.opts.Prefix + RateLimitKeyBase(principal)
	for _, rule := range rules {
		keys = append(keys, base+rule.Policy)
		args = append(args, strconv.FormatInt(int64(rule.Interval/time.Microsecond), 10),
			strconv.FormatInt(int64(rule.Tolerance/time.Microsecond), 10))
	}
	var admitted bool
	err := r.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		r.c.count("ratelimit")
		reply, err := r.script.Exec(ctx, rc, keys, args).ToArray()
		if err != nil {
			return err
		}
		if len(reply) != len(rules)+1 {
			return fmt.Errorf("redis: rate-limit script: %d values in reply, want %d", len(reply), len(rules)+1)
		}
		n, err := reply[0].AsInt64()
		if err != nil {
			return fmt.Errorf("redis: rate-limit script: %w", err)
		}
		for i := range rules {
			us, err := reply[i+1].AsInt64()
			if err != nil {
				return fmt.Errorf("redis: rate-limit script: %w", err)
			}
			d[i] = time.Duration(us) * time.Microsecond
		}
		admitted = n == 1
		return nil
	})
	return admitted, err
}

// RateLimitKeyBase returns the key of principal's state of a policy,
// without the Client's prefix and the policy's name: "rl:<kind>:{<id>}:"
// for a principal "<kind>:<id>" ("user:<id>", "ip:<addr>"), so that a
// user's limits share the user's hash tag, "rl:{<principal>}:" for any
// other and "rl:{-}:" for none.
func RateLimitKeyBase(principal string) string {
	if principal == "" {
		principal = "-"
	}
	if kind, id, ok := strings.Cut(principal, ":"); ok && kind != "" && id != "" {
		return "rl:" + kind + ":{" + id + "}:"
	}
	return "rl:{" + principal + "}:"
}

// Heartbeat refreshes the instance's entry in <prefix>instances and returns
// the number of live instances. See ratelimit.Backend.
func (r *RateLimiter) Heartbeat(ctx context.Context, instance string, ttl time.Duration) (int, error) {
	var n int64
	err := r.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		var err error
		n, err = r.heartbeat.Exec(ctx, rc, []string{r.c.opts.Prefix + "instances"},
			[]string{instance, strconv.FormatInt(max(ttl.Milliseconds(), 1), 10)}).AsInt64()
		return err
	})
	return int(n), err
}

// Leave removes the instance from <prefix>instances.
func (r *RateLimiter) Leave(ctx context.Context, instance string) error {
	return r.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		return rc.Do(ctx, rc.B().Zrem().Key(r.c.opts.Prefix+"instances").Member(instance).Build()).Error()
	})
}

// Unavailable reports whether the Client's circuit breaker is open, and
// the time until its next probe.
func (r *RateLimiter) Unavailable() (bool, time.Duration) {
	if !r.c.br.Open() {
		return false, 0
	}
	return true, r.c.br.RetryIn()
}
