package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
)

var _ recall.SessionCache = (*SessionCache)(nil)

// sessionGetScript returns the encoded session at KEYS[1] and restarts its
// idle time, capped by its absolute expiry; ARGV[1] is now in unix ms.
// The hash holds d (the session, see cache.EncodeSession), v (the
// version), i (the idle time in ms) and x (the absolute expiry in unix
// ms).
const sessionGetScript = `
local r = redis.call('HMGET', KEYS[1], 'd', 'x', 'i')
if not r[1] then return false end
local left = tonumber(r[2]) - tonumber(ARGV[1])
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('PEXPIRE', KEYS[1], string.format('%d', math.min(tonumber(r[3]), left)))
return r[1]
`

// sessionPutScript stores a session unless KEYS[1] holds the same or a
// newer version, and deletes KEYS[2..] (keys of the same slot that the
// write that made this version invalidates, with their leases), whether
// it stored or not. ARGV: version, encoded session, idle ms, absolute
// expiry (unix ms), now (unix ms). A session already past its expiry is
// not stored, but an older cached version is still dropped. Returns 1 if
// it stored. The HSET overwrites the four fields in place: deleting the
// key first would make the script fail while a Redis Cluster migrates its
// slot (a script may not write a key that the node no longer holds then).
const sessionPutScript = `
if #KEYS > 1 then redis.call('DEL', unpack(KEYS, 2)) end
local cur = redis.call('HGET', KEYS[1], 'v')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
local ttl = math.min(tonumber(ARGV[3]), tonumber(ARGV[4]) - tonumber(ARGV[5]))
if ttl <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2], 'i', ARGV[3], 'x', ARGV[4])
redis.call('PEXPIRE', KEYS[1], string.format('%d', ttl))
return 1
`

// stateStore keeps versioned state values (sessions, conversations) in
// hashes, by the two scripts above, which know nothing of what they store:
// a put is a compare-and-set on the version with an idle and an absolute
// expiry, a get refreshes the idle time, each in one round trip. name is
// the cache label of the metrics and op the prefix of the command counts.
type stateStore struct {
	c      *Client
	get    *rueidis.Lua
	put    *rueidis.Lua
	putSHA string // put's SHA-1, to pipeline it with a read (storeDropping)
	now    func() time.Time
	name   string // "sessions", "conversations"
	op     string // "session", "conversation"
}

func newStateStore(c *Client, name, op string) stateStore {
	sum := sha1.Sum([]byte(sessionPutScript))
	return stateStore{c: c, get: rueidis.NewLuaScript(sessionGetScript), put: rueidis.NewLuaScript(sessionPutScript),
		putSHA: hex.EncodeToString(sum[:]), now: time.Now, name: name, op: op}
}

// load returns the value at key and restarts its idle time: nil on a miss.
// It counts the lookup's error and miss; the caller counts the hit once the
// value decodes.
func (s *stateStore) load(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := s.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		s.c.count(s.op + "_get")
		b, err := s.get.Exec(ctx, rc, []string{key}, []string{unixMillis(s.now())}).AsBytes()
		if rueidis.IsRedisNil(err) {
			return nil
		}
		data = b
		return err
	})
	if err != nil {
		s.c.m.Cache(s.name, "error")
		return nil, unavailable(err)
	}
	if data == nil {
		s.c.m.Cache(s.name, "miss")
	}
	return data, nil
}

// bad drops a value at key that did not decode, counted as an error.
func (s *stateStore) bad(ctx context.Context, key, id string, err error) {
	s.c.log.Warn("redis: dropping a cached "+s.op+" that does not decode", "id", id, "err", err)
	s.c.m.Cache(s.name, "error")
	_ = s.drop(context.WithoutCancel(ctx), key)
}

// store puts data at key unless it holds the same or a newer version.
func (s *stateStore) store(ctx context.Context, key string, version int64, data []byte, ttl time.Duration, expiresAt time.Time) error {
	return s.storeDropping(ctx, key, version, data, ttl, expiresAt, nil)
}

// storeDropping is store that also deletes the cache keys drops (and
// their leases): those of key's slot in the same script, so one round
// trip; any other in a call of its own after it. With the near-cache on,
// a PTTL of a dropped key follows the script on its connection, so that
// the invalidation pushes of this process's local copies (which Redis
// sends after the script's reply) are handled before this returns. If
// Redis cannot be reached, the dropped keys are deleted before the Client
// makes any other call, as Backend.Invalidate does.
func (s *stateStore) storeDropping(ctx context.Context, key string, version int64, data []byte, ttl time.Duration, expiresAt time.Time, drops []string) error {
	args := []string{
		strconv.FormatInt(version, 10),
		rueidis.BinaryString(data),
		strconv.FormatInt(max(ttl.Milliseconds(), 0), 10),
		unixMillis(expiresAt),
		unixMillis(s.now()),
	}
	keys := []string{key}
	var with, apart [][]string
	for _, k := range drops {
		full := s.c.opts.Prefix + k
		g := []string{full, full + leaseSuffix}
		if hashTag(full) != hashTag(key) {
			apart = append(apart, g)
			continue
		}
		with = append(with, g)
		keys = append(keys, g...)
	}
	err := s.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		s.c.count(s.op + "_put")
		if len(with) == 0 || s.c.opts.DisableNearCache {
			return s.put.Exec(ctx, rc, keys, args).Error()
		}
		rs := rc.DoMulti(ctx,
			rc.B().Evalsha().Sha1(s.putSHA).Numkeys(int64(len(keys))).Key(keys...).Arg(args...).Build(),
			rc.B().Pttl().Key(with[0][0]).Build())
		err := rs[0].Error()
		if re, ok := rueidis.IsRedisErr(err); ok && re.IsNoScript() {
			// Not loaded on this node yet: EVAL loads it, then the read.
			if err := s.put.Exec(ctx, rc, keys, args).Error(); err != nil {
				return err
			}
			return rc.Do(ctx, rc.B().Pttl().Key(with[0][0]).Build()).Error()
		}
		if err != nil {
			return err
		}
		return rs[1].Error()
	})
	if err != nil {
		s.c.addPending(append(with, apart...))
		return unavailable(err)
	}
	if len(apart) > 0 {
		err := s.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
			return s.c.invalidate(ctx, rc, apart)
		})
		if err != nil {
			s.c.addPending(apart)
		}
	}
	return nil
}

// drop deletes key. If Redis cannot be reached, the key is deleted before
// the Client makes any other call.
func (s *stateStore) drop(ctx context.Context, key string) error {
	groups := [][]string{{key}}
	err := s.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		s.c.count(s.op + "_delete")
		return rc.Do(ctx, rc.B().Del().Key(groups[0]...).Build()).Error()
	})
	if err != nil {
		s.c.addPending(groups)
		return unavailable(err)
	}
	return nil
}

// SessionCache is the Redis recall.SessionCache: each session under
// <prefix>session:{<user_id>}:<id> (the user's hash tag, so that the
// request gate can read it with the token check, and a turn's write can
// drop the user's keys it changes in the same script), in a hash with its
// version beside it, encoded by cache.EncodeSession, kept by a
// stateStore. Session keys are never near-cached. Errors of Redis come
// back with the code EUNAVAILABLE: callers treat them as a miss and use
// the database.
type SessionCache struct {
	stateStore
}

// NewSessionCache returns the session cache over c.
func NewSessionCache(c *Client) *SessionCache {
	return &SessionCache{newStateStore(c, "sessions", "session")}
}

func (s *SessionCache) key(userID, id string) string {
	return s.c.opts.Prefix + cache.SessionKey(userID, id)
}

// Get returns the cached session and restarts its idle time: the value
// the request's gate read (cache.PrefetchedState) if it read one, else a
// read of its own. Returns ENOTFOUND on a miss. A value that does not
// decode (damaged, or written by a Recall whose session format differs,
// as in a rolling upgrade), or is another user's or session's, is a miss
// too: it is deleted, so that the caller loads the session from its store
// and caches it again in this format.
func (s *SessionCache) Get(ctx context.Context, userID, id string) (*recall.Session, error) {
	key := s.key(userID, id)
	data, found, known := cache.PrefetchedState(ctx, cache.SessionKey(userID, id))
	if !known {
		var err error
		if data, err = s.load(ctx, key); err != nil {
			return nil, err
		}
	} else if !found {
		data = nil
		s.c.m.Cache(s.name, "miss")
	}
	if data == nil {
		return nil, recall.Errorf(recall.ENOTFOUND, "Session not cached.")
	}
	sess, err := cache.DecodeSession(data)
	if err == nil && (sess.ID != id || sess.UserID != userID) {
		err = errors.New("the value is another session's")
	}
	if err != nil {
		s.bad(ctx, key, id, err)
		return nil, recall.Errorf(recall.ENOTFOUND, "Session not cached.")
	}
	s.c.m.Cache(s.name, "hit")
	return sess, nil
}

// Batch returns ctx in which the cache decorators' committed writes leave
// the keys they drop for the next Put or Delete made with it, which drops
// them in its own round trip (see cache.DeferInvalidations). The caller
// must end what it does with ctx with a Put or a Delete.
func (s *SessionCache) Batch(ctx context.Context) context.Context {
	ctx, _ = cache.DeferInvalidations(ctx)
	return ctx
}

// Put stores s unless the cache holds the same or a newer version, for ttl
// after this Put or the last Get and never past expiresAt; in the same
// script it drops the keys deferred in ctx (Batch).
func (s *SessionCache) Put(ctx context.Context, sess *recall.Session, ttl time.Duration, expiresAt time.Time) error {
	drops := cache.TakeDeferred(ctx)
	if sess == nil || sess.ID == "" {
		s.dropKeys(ctx, drops)
		return recall.Errorf(recall.EINVALID, "No session to cache.")
	}
	data, err := cache.EncodeSession(sess)
	if err != nil {
		s.dropKeys(ctx, drops)
		return recall.Errorf(recall.EINVALID, "Session cannot be cached: %v", err)
	}
	return s.storeDropping(ctx, s.key(sess.UserID, sess.ID), sess.Version, data, ttl, expiresAt, drops)
}

// Delete drops a session from the cache, and the keys deferred in ctx
// (Batch). If Redis cannot be reached, the keys are deleted before the
// Client makes any other call.
func (s *SessionCache) Delete(ctx context.Context, userID, id string) error {
	s.dropKeys(ctx, cache.TakeDeferred(ctx))
	return s.drop(ctx, s.key(userID, id))
}

// dropKeys deletes cache keys and their leases, or keeps them to be
// deleted before the Client's next call.
func (s *SessionCache) dropKeys(ctx context.Context, keys []string) {
	_ = s.c.invalidateKeys(ctx, keys)
}

func unixMillis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
