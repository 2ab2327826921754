package redis

import (
	"context"
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
// newer version. ARGV: version, encoded session, idle ms, absolute expiry (unix ms),
// now (unix ms). A session already past its expiry is not stored, but an
// older cached version is still dropped. Returns 1 if it stored. The HSET
// overwrites the four fields in place: deleting the key first would make
// the script fail while a Redis Cluster migrates its slot (a script may
// not write a key that the node no longer holds then).
const sessionPutScript = `
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
	c    *Client
	get  *rueidis.Lua
	put  *rueidis.Lua
	now  func() time.Time
	name string // "sessions", "conversations"
	op   string // "session", "conversation"
}

func newStateStore(c *Client, name, op string) stateStore {
	return stateStore{c: c, get: rueidis.NewLuaScript(sessionGetScript), put: rueidis.NewLuaScript(sessionPutScript),
		now: time.Now, name: name, op: op}
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
	args := []string{
		strconv.FormatInt(version, 10),
		rueidis.BinaryString(data),
		strconv.FormatInt(max(ttl.Milliseconds(), 0), 10),
		unixMillis(expiresAt),
		unixMillis(s.now()),
	}
	err := s.c.Call(ctx, func(ctx context.Context, rc rueidis.Client) error {
		s.c.count(s.op + "_put")
		return s.put.Exec(ctx, rc, []string{key}, args).Error()
	})
	if err != nil {
		return unavailable(err)
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
// <prefix>session:<id>, in a hash with its version beside it, encoded by
// cache.EncodeSession, kept by a stateStore. Session keys are never
// near-cached. Errors of Redis come back with the code EUNAVAILABLE:
// callers treat them as a miss and use the database.
type SessionCache struct {
	stateStore
}

// NewSessionCache returns the session cache over c.
func NewSessionCache(c *Client) *SessionCache {
	return &SessionCache{newStateStore(c, "sessions", "session")}
}

func (s *SessionCache) key(id string) string { return s.c.opts.Prefix + "session:" + id }

// Get returns the cached session and restarts its idle time. Returns
// ENOTFOUND on a miss. A value that does not decode (damaged, or written
// by a Recall whose session format differs, as in a rolling upgrade) is a
// miss too: it is deleted, so that the caller loads the session from its
// store and caches it again in this format.
func (s *SessionCache) Get(ctx context.Context, id string) (*recall.Session, error) {
	data, err := s.load(ctx, s.key(id))
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, recall.Errorf(recall.ENOTFOUND, "Session not cached.")
	}
	sess, err := cache.DecodeSession(data)
	if err == nil && sess.ID != id {
		err = errors.New("the value is another session's")
	}
	if err != nil {
		s.bad(ctx, s.key(id), id, err)
		return nil, recall.Errorf(recall.ENOTFOUND, "Session not cached.")
	}
	s.c.m.Cache(s.name, "hit")
	return sess, nil
}

// Put stores s unless the cache holds the same or a newer version, for ttl
// after this Put or the last Get and never past expiresAt.
func (s *SessionCache) Put(ctx context.Context, sess *recall.Session, ttl time.Duration, expiresAt time.Time) error {
	if sess == nil || sess.ID == "" {
		return recall.Errorf(recall.EINVALID, "No session to cache.")
	}
	data, err := cache.EncodeSession(sess)
	if err != nil {
		return recall.Errorf(recall.EINVALID, "Session cannot be cached: %v", err)
	}
	return s.store(ctx, s.key(sess.ID), sess.Version, data, ttl, expiresAt)
}

// Delete drops a session from the cache. If Redis cannot be reached, the
// key is deleted before the Client makes any other call.
func (s *SessionCache) Delete(ctx context.Context, id string) error {
	return s.drop(ctx, s.key(id))
}

func unixMillis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
