package redis

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall/cache"
)

var _ cache.Backend = (*Backend)(nil)

// leaseSuffix names the lease key of a cache key. The lease key shares the
// cache key's hash tag, hence its Cluster slot.
const leaseSuffix = ":lease"

// leaseScript returns the value at KEYS[1] if there is one ({1, value} or
// {1, {field, value, ...}} for a hash that carries the marker field), else
// takes the lease KEYS[2] with token ARGV[1] for ARGV[2] ms unless it is
// taken ({2}), else {0}. ARGV[3] is "h" for a hash, ARGV[4] the marker.
const leaseScript = `
if ARGV[3] == 'h' then
  if redis.call('HEXISTS', KEYS[1], ARGV[4]) == 1 then
    return {1, redis.call('HGETALL', KEYS[1])}
  end
else
  local v = redis.call('GET', KEYS[1])
  if v then return {1, v} end
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
return {0}
`

// fillScript stores ARGV[3] at KEYS[1] for ARGV[2] ms if the lease KEYS[2]
// holds the token ARGV[1], and drops the lease. Returns 1 if it stored.
const fillScript = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
`

// fillHashScript is fillScript for a hash: ARGV[3] is the marker field,
// then field, value pairs. The hash is replaced whole: the new fields are
// written, then the fields it had that the new hash lacks are deleted. (A
// DEL then HSET would make the script fail while a Redis Cluster migrates
// the slot of a key that exists: a script may not write a key that the
// node no longer holds then.)
const fillHashScript = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local old = redis.call('HKEYS', KEYS[1])
local keep = {[ARGV[3]] = true}
local n = #ARGV
local i = 4
while i <= n do
  local j = math.min(i + 199, n)
  redis.call('HSET', KEYS[1], unpack(ARGV, i, j))
  i = j + 1
end
for k = 4, n, 2 do keep[ARGV[k]] = true end
redis.call('HSET', KEYS[1], ARGV[3], '1')
local gone = {}
for _, f in ipairs(old) do
  if not keep[f] then gone[#gone + 1] = f end
end
i = 1
while i <= #gone do
  local j = math.min(i + 199, #gone)
  redis.call('HDEL', KEYS[1], unpack(gone, i, j))
  i = j + 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
return 1
`

// releaseScript drops the lease KEYS[1] if it holds the token ARGV[1].
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

var errBadTTL = errors.New("redis: the ttl must be positive")

// Backend is the Redis cache.Backend. Reads go through the near-cache
// unless it is off; the lease, fill and release are Lua scripts over a key
// and its lease key, which share a hash tag.
type Backend struct {
	c        *Client
	near     bool
	nearTTL  time.Duration
	lease    *rueidis.Lua
	fill     *script
	fillHash *script
	release  *rueidis.Lua
}

// script is a Lua script whose run can be followed, on the same connection,
// by a read of its first key: see Backend.Fill.
type script struct {
	src string
	sha string
	lua *rueidis.Lua
}

func newScript(src string) *script {
	sum := sha1.Sum([]byte(src))
	return &script{src: src, sha: hex.EncodeToString(sum[:]), lua: rueidis.NewLuaScript(src)}
}

// exec runs the script. With barrier set it pipelines a PTTL of keys[0]
// after it: Redis sends the invalidation push of a key this connection
// tracks before that reply, so once exec returns the local copy of the key
// the script changed is gone.
func (s *script) exec(ctx context.Context, rc rueidis.Client, keys, args []string, barrier bool) rueidis.RedisResult {
	if !barrier {
		return s.lua.Exec(ctx, rc, keys, args)
	}
	n := int64(len(keys))
	res := rc.DoMulti(ctx,
		rc.B().Evalsha().Sha1(s.sha).Numkeys(n).Key(keys...).Arg(args...).Build(),
		rc.B().Pttl().Key(keys[0]).Build())
	if re, ok := rueidis.IsRedisErr(res[0].Error()); ok && re.IsNoScript() {
		res = rc.DoMulti(ctx,
			rc.B().Eval().Script(s.src).Numkeys(n).Key(keys...).Arg(args...).Build(),
			rc.B().Pttl().Key(keys[0]).Build())
	}
	if err := res[1].NonRedisError(); err != nil {
		return res[1]
	}
	return res[0]
}

// NewBackend returns the cache backend over c. Its keys are c's prefix
// followed by the cache key.
func NewBackend(c *Client) *Backend {
	return &Backend{
		c:        c,
		near:     c.NearCache(),
		nearTTL:  c.opts.NearCacheTTL,
		lease:    rueidis.NewLuaScript(leaseScript),
		fill:     newScript(fillScript),
		fillHash: newScript(fillHashScript),
		release:  rueidis.NewLuaScript(releaseScript),
	}
}

func (b *Backend) key(k string) string { return b.c.opts.Prefix + k }

// Get returns the value at key.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, bool, error) {
	var val []byte
	var found bool
	err := b.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		var r rueidis.RedisResult
		if b.near {
			r = rc.DoCache(ctx, rc.B().Get().Key(b.key(key)).Cache(), b.nearTTL)
		} else {
			r = rc.Do(ctx, rc.B().Get().Key(b.key(key)).Build())
		}
		if !r.IsCacheHit() {
			b.c.count("get")
		}
		v, err := r.AsBytes()
		if err != nil {
			if rueidis.IsRedisNil(err) {
				return nil
			}
			return err
		}
		val, found = v, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return val, found, nil
}

// GetHash returns the fields of the hash at key if it carries the marker
// field that FillHash writes.
func (b *Backend) GetHash(ctx context.Context, key string) (map[string][]byte, bool, error) {
	var fields map[string][]byte
	err := b.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		var r rueidis.RedisResult
		if b.near {
			r = rc.DoCache(ctx, rc.B().Hgetall().Key(b.key(key)).Cache(), b.nearTTL)
		} else {
			r = rc.Do(ctx, rc.B().Hgetall().Key(b.key(key)).Build())
		}
		if !r.IsCacheHit() {
			b.c.count("hgetall")
		}
		m, err := r.AsStrMap()
		if err != nil {
			return err
		}
		fields = hashFields(m)
		return nil
	})
	if err != nil || fields == nil {
		return nil, false, err
	}
	return fields, true, nil
}

// hashFields returns the fields of a complete hash without the marker, or
// nil if the marker is missing.
func hashFields(m map[string]string) map[string][]byte {
	if _, ok := m[cache.MarkerField]; !ok {
		return nil
	}
	f := make(map[string][]byte, len(m)-1)
	for k, v := range m {
		if k != cache.MarkerField {
			f[k] = []byte(v)
		}
	}
	return f
}

// Lease returns the value at key, or takes its lease, in one round trip.
func (b *Backend) Lease(ctx context.Context, key string, hash bool, ttl time.Duration) (cache.Lease, error) {
	if ttl <= 0 {
		return cache.Lease{}, errBadTTL
	}
	var l cache.Lease
	token := rand.Text()
	kind := "s"
	if hash {
		kind = "h"
	}
	err := b.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		b.c.count("lease")
		k := b.key(key)
		arr, err := b.lease.Exec(ctx, rc, []string{k, k + leaseSuffix}, []string{token, millis(ttl), kind, cache.MarkerField}).ToArray()
		if err != nil {
			return err
		}
		if len(arr) == 0 {
			return errors.New("redis: empty reply from the lease script")
		}
		code, err := arr[0].AsInt64()
		if err != nil {
			return err
		}
		switch {
		case code == 2:
			l.Token = token
		case code == 1 && len(arr) == 2 && hash:
			m, err := arr[1].AsStrMap()
			if err != nil {
				return err
			}
			l.Found, l.Fields = true, hashFields(m)
		case code == 1 && len(arr) == 2:
			v, err := arr[1].AsBytes()
			if err != nil {
				return err
			}
			l.Found, l.Val = true, v
		}
		return nil
	})
	if err != nil {
		return cache.Lease{}, err
	}
	return l, nil
}

// Fill stores val at key if the lease still holds token. With the
// near-cache on, once Fill returns this process holds no older local copy
// of key (such as a cached miss).
func (b *Backend) Fill(ctx context.Context, key, token string, val []byte, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, errBadTTL
	}
	var ok bool
	err := b.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		b.c.count("fill")
		k := b.key(key)
		n, err := b.fill.exec(ctx, rc, []string{k, k + leaseSuffix}, []string{token, millis(ttl), rueidis.BinaryString(val)}, b.near).AsInt64()
		ok = n == 1
		return err
	})
	return ok, err
}

// FillHash stores the hash at key, with the marker field, if the lease
// still holds token.
func (b *Backend) FillHash(ctx context.Context, key, token string, fields map[string][]byte, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, errBadTTL
	}
	args := make([]string, 0, 3+2*len(fields))
	args = append(args, token, millis(ttl), cache.MarkerField)
	for f, v := range fields {
		if f == cache.MarkerField {
			continue
		}
		args = append(args, f, rueidis.BinaryString(v))
	}
	var ok bool
	err := b.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		b.c.count("fill")
		k := b.key(key)
		n, err := b.fillHash.exec(ctx, rc, []string{k, k + leaseSuffix}, args, b.near).AsInt64()
		ok = n == 1
		return err
	})
	return ok, err
}

// Release drops the lease of key if it still holds token.
func (b *Backend) Release(ctx context.Context, key, token string) error {
	return b.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		b.c.count("release")
		return b.release.Exec(ctx, rc, []string{b.key(key) + leaseSuffix}, []string{token}).Error()
	})
}

// Invalidate deletes keys and their leases. Once it returns, this process
// holds no local copy of them. If Redis cannot be reached, the keys are
// kept and deleted before the Client makes any other call.
func (b *Backend) Invalidate(ctx context.Context, keys ...string) error {
	return b.c.invalidateKeys(ctx, keys)
}

func millis(d time.Duration) string {
	return strconv.FormatInt(max(d.Milliseconds(), 1), 10)
}
