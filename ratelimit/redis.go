package ratelimit

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"
)

// gcraScript is the Lua source of the Redis decision (see gcra.lua). It is
// embedded so that redis-benchmark can run the very same script (README.md).
//
//go:embed gcra.lua
var gcraScript string

// heartbeatScript records this instance as alive at Redis's time and returns
// how many instances were seen within the last ARGV[2] milliseconds.
const heartbeatScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%.0f', now - ttl))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', 2 * ttl))
return redis.call('ZCARD', KEYS[1])
`

// errNoClient says that the Redis client has not connected yet.
var errNoClient = errors.New("rate limit: Redis is not connected")

// redisPath holds what the Redis decision needs.
type redisPath struct {
	client    func() rueidis.Client
	script    *rueidis.Lua
	heartbeat *rueidis.Lua
	prefix    string
	timeout   time.Duration
	// calls counts the decisions sent to Redis in recall_redis_calls_total
	// (op "ratelimit"); nil counts nothing.
	calls prometheus.Counter
}

func newRedisPath(c func() rueidis.Client, prefix string, timeout time.Duration) *redisPath {
	return &redisPath{
		client:    c,
		script:    rueidis.NewLuaScript(gcraScript),
		heartbeat: rueidis.NewLuaScript(heartbeatScript),
		prefix:    prefix,
		timeout:   timeout,
	}
}

// base returns the start of principal's keys; the TAT key of a policy is
// base + the policy name. Every key of a principal shares the hash tag
// {principal}, so one script can touch them all on Redis Cluster. An empty
// principal would make an empty hash tag, which Redis Cluster ignores, so it
// is written as "-".
func (r *redisPath) base(principal string) string {
	if principal == "" {
		principal = "-"
	}
	return r.prefix + "rl:{" + principal + "}:"
}

// decide runs the script once for every policy in ps, within the timeout.
// d receives TAT_i - now for each policy, in nanoseconds (exact to the
// microsecond the script computes in).
func (r *redisPath) decide(ctx context.Context, principal string, ps []*policyState, d []int64) (bool, error) {
	keys := make([]string, len(ps))
	args := make([]string, 2*len(ps))
	base := r.base(principal)
	for i, p := range ps {
		keys[i] = base + p.Name
		args[2*i] = p.argT
		args[2*i+1] = p.argTau
	}
	c := r.client()
	if c == nil {
		return false, errNoClient
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if r.calls != nil {
		r.calls.Inc()
	}
	reply, err := r.script.Exec(ctx, c, keys, args).ToArray()
	if err != nil {
		return false, err
	}
	if len(reply) != len(ps)+1 {
		return false, fmt.Errorf("rate-limit script: %d values in reply, want %d", len(reply), len(ps)+1)
	}
	admitted, err := reply[0].AsInt64()
	if err != nil {
		return false, fmt.Errorf("rate-limit script: %w", err)
	}
	for i := range ps {
		us, err := reply[i+1].AsInt64()
		if err != nil {
			return false, fmt.Errorf("rate-limit script: %w", err)
		}
		d[i] = us * int64(time.Microsecond)
	}
	return admitted == 1, nil
}

// beat refreshes this instance's entry in the instance set and returns the
// number of live instances.
func (r *redisPath) beat(ctx context.Context, id string, ttl time.Duration) (int64, error) {
	c := r.client()
	if c == nil {
		return 0, errNoClient
	}
	ctx, cancel := context.WithTimeout(ctx, max(r.timeout, time.Second))
	defer cancel()
	return r.heartbeat.Exec(ctx, c, []string{r.prefix + "instances"},
		[]string{id, strconv.FormatInt(ttl.Milliseconds(), 10)}).AsInt64()
}

// leave removes this instance from the instance set.
func (r *redisPath) leave(ctx context.Context, id string) error {
	c := r.client()
	if c == nil {
		return errNoClient
	}
	ctx, cancel := context.WithTimeout(ctx, max(r.timeout, time.Second))
	defer cancel()
	return c.Do(ctx, c.B().Zrem().Key(r.prefix+"instances").Member(id).Build()).Error()
}
