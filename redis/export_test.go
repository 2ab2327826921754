package redis

import (
	"time"

	"github.com/redis/rueidis"
)

// SetSessionCacheClock makes s read the time from now, for the session
// contract suite, which moves time itself.
func SetSessionCacheClock(s *SessionCache, now func() time.Time) { s.now = now }

// SetConversationCacheClock makes s read the time from now.
func SetConversationCacheClock(s *ConversationCache, now func() time.Time) { s.now = now }

// TripBreaker opens c's circuit breaker for a cool-down.
func TripBreaker(c *Client) { c.br.Trip() }

// NewNearStore returns an empty near-cache store of max bytes and a
// function that reports its entries and bytes, for the benchmarks that
// set it on a plain rueidis client.
func NewNearStore(max int) (rueidis.CacheStore, func() (entries, bytes int64)) {
	t := new(nearTotals)
	return newNearStore(max, t), func() (int64, int64) { return t.entries.Load(), t.bytes.Load() }
}
