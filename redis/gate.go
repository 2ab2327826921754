package redis

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/ratelimit"
)

//go:embed gate.lua
var gateMain string

// gateScript is the gate: gcra.lua's decision function followed by
// gate.lua, which calls it.
var gateScript = gcraFunction() + gateMain

// gcraFunction returns gcra.lua up to its main part: the function gcra.
func gcraFunction() string {
	i := strings.Index(GCRAScript, "\n-- main\n")
	if i < 0 {
		panic("redis: gcra.lua has no line \"-- main\"")
	}
	return GCRAScript[:i+1]
}

// Gate is a cached request's token check, rate-limit decision and reads
// in one Redis round trip: one EVALSHA of gate.lua over the token's key
// under the user it claims (token:{<user>}:<hash>), the user's rate-limit
// keys (rl:user:{<user>}:<policy>) and the keys the request will read, all
// under the user's hash tag (one slot on Redis Cluster; a key of another
// slot is left for the request to read itself). It goes through the
// Client like every call (breaker, timeout, Cluster) and is counted in
// recall_redis_calls_total with op "gate".
type Gate struct {
	c      *Client
	script *rueidis.Lua
}

// NewGate returns the gate over c.
func NewGate(c *Client) *Gate {
	return &Gate{c: c, script: rueidis.NewLuaScript(gateScript)}
}

// Pass checks that the token whose SHA-256 hash is tokenHash is userID's
// and valid at now; if so it decides rules for the user as
// ratelimit.Backend.Decide does (d[i] = TAT_i - now after the decision),
// and records in into what each of keys holds. When the token does not
// prove to be userID's (not cached, revoked, expired, another user's),
// verified is false and nobody is charged: the caller authenticates the
// usual way.
func (g *Gate) Pass(ctx context.Context, userID string, tokenHash []byte, now time.Time, rules []ratelimit.Rule, d []time.Duration,
	keys []cache.PrefetchKey, into *cache.Prefetched) (verified, admitted bool, err error) {
	prefix := g.c.opts.Prefix
	tokenKey := prefix + cache.UserTokenKey(userID, tokenHash)
	tag := hashTag(tokenKey)
	var kbuf [12]string
	var abuf [20]string
	ks, args := kbuf[:0], abuf[:0]
	ks = append(ks, tokenKey)
	base := prefix + RateLimitKeyBase("user:"+userID)
	args = append(args, strconv.Itoa(len(rules)), rueidis.BinaryString(tokenHash), userID,
		strconv.FormatInt(now.Unix(), 10), strconv.Itoa(now.Nanosecond()), cache.MarkerField)
	for _, r := range rules {
		ks = append(ks, base+r.Policy)
		args = append(args, strconv.FormatInt(int64(r.Interval/time.Microsecond), 10),
			strconv.FormatInt(int64(r.Tolerance/time.Microsecond), 10))
	}
	var read []cache.PrefetchKey
	for _, k := range keys {
		full := prefix + k.Key
		if hashTag(full) != tag {
			continue // another slot: the request reads it itself
		}
		read = append(read, k)
		ks = append(ks, full)
		switch {
		case k.State:
			args = append(args, "v")
		case k.Hash:
			args = append(args, "h")
		default:
			args = append(args, "s")
		}
	}
	err = g.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		g.c.count("gate")
		reply, err := g.script.Exec(ctx, rc, ks, args).ToArray()
		if err != nil {
			return err
		}
		if len(reply) == 0 {
			return fmt.Errorf("redis: gate script: an empty reply")
		}
		if v, err := reply[0].AsInt64(); err != nil || v != 1 {
			verified = false
			return err
		}
		if len(reply) != 2+len(rules)+len(read) {
			return fmt.Errorf("redis: gate script: %d values in reply, want %d", len(reply), 2+len(rules)+len(read))
		}
		a, err := reply[1].AsInt64()
		if err != nil {
			return fmt.Errorf("redis: gate script: %w", err)
		}
		for i := range rules {
			us, err := reply[2+i].AsInt64()
			if err != nil {
				return fmt.Errorf("redis: gate script: %w", err)
			}
			d[i] = time.Duration(us) * time.Microsecond
		}
		for i, k := range read {
			v := reply[2+len(rules)+i]
			if v.IsNil() {
				if k.Hash && !k.State {
					into.SetHash(k.Key, nil, false)
				} else {
					into.Set(k.Key, nil, false)
				}
				continue
			}
			if k.Hash && !k.State {
				m, err := v.AsStrMap()
				if err != nil {
					return fmt.Errorf("redis: gate script: %w", err)
				}
				f := hashFields(m)
				into.SetHash(k.Key, f, f != nil)
				continue
			}
			b, err := v.AsBytes()
			if err != nil {
				return fmt.Errorf("redis: gate script: %w", err)
			}
			into.Set(k.Key, b, true)
		}
		verified, admitted = true, a == 1
		return nil
	})
	if err != nil {
		return false, false, err
	}
	return verified, admitted, nil
}

// hashTag returns the part of key Redis Cluster hashes: the text between
// the first '{' and the next '}' if not empty, else the whole key.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}
