package redis

import "time"

// SetSessionCacheClock makes s read the time from now, for the session
// contract suite, which moves time itself.
func SetSessionCacheClock(s *SessionCache, now func() time.Time) { s.now = now }

// SetConversationCacheClock makes s read the time from now.
func SetConversationCacheClock(s *ConversationCache, now func() time.Time) { s.now = now }

// TripBreaker opens c's circuit breaker for a cool-down.
func TripBreaker(c *Client) { c.br.Trip() }
