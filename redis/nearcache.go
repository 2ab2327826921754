package redis

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/redis/rueidis"
)

// nearStore is the near-cache of one connection to a Redis node: the
// rueidis CacheStore that Connect supplies in place of rueidis's default
// LRU, so that the Client can tell how many entries and bytes it holds.
//
// Entries are found by Redis key, then by command (GET, HGETALL, ...), in
// a map of small slices: a hit is one map lookup and a scan of the key's
// one or two commands under a read lock, and allocates nothing. Bytes are bounded by a CLOCK
// (second chance) over the filled entries: a hit sets the entry's
// reference bit, and eviction, from the oldest entry, spares an entry whose
// bit is set once (clearing it, moving it to the end of the list) and drops
// the first one whose bit is clear. An entry also carries its own expiry:
// the client-side TTL of the read that filled it, shortened by the key's
// TTL in Redis; an expired entry is a miss, and is dropped when read or
// when eviction passes it.
type nearStore struct {
	max   int64       // bound of bytes; an entry larger than it is not kept
	total *nearTotals // the Client's counts, shared by its stores

	mu      sync.RWMutex
	keys    map[string][]*nearEntry // by Redis key; nil once closed
	head    *nearEntry              // the oldest filled entry (CLOCK hand)
	tail    *nearEntry              // the newest filled entry
	entries int64                   // filled entries
	bytes   int64                   // their approximate size
}

// nearTotals are the entries and bytes of every nearStore of a Client.
type nearTotals struct {
	entries atomic.Int64
	bytes   atomic.Int64
}

// nearEntry is one command's reply for one key: pending (a read in flight,
// which others wait for) until Update fills it or Cancel drops it.
type nearEntry struct {
	key, cmd string
	done     chan struct{} // closed when filled or cancelled
	val      rueidis.RedisMessage
	err      error
	xat      int64 // expiry, Unix milliseconds
	size     int64
	filled   bool        // written under the store's write lock
	ref      atomic.Bool // read since the CLOCK hand last passed
	// prev and next link the filled entries, oldest first.
	prev, next *nearEntry
}

// Wait returns the reply of a pending entry once the read in flight ends,
// or ctx's error first.
func (e *nearEntry) Wait(ctx context.Context) (rueidis.RedisMessage, error) {
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		return rueidis.RedisMessage{}, ctx.Err()
	}
}

var _ rueidis.CacheStore = (*nearStore)(nil)

// newNearStore returns an empty store of max bytes counting into total.
func newNearStore(max int, total *nearTotals) *nearStore {
	return &nearStore{max: int64(max), total: total, keys: make(map[string][]*nearEntry)}
}

// find returns the entry of key and cmd, or nil. Call with s.mu held.
func (s *nearStore) find(key, cmd string) *nearEntry {
	for _, e := range s.keys[key] {
		if e.cmd == cmd {
			return e
		}
	}
	return nil
}

// Flight looks key and cmd up: a fresh filled entry is a hit (its reply,
// nil); a pending one is returned to wait on; otherwise a pending entry is
// made, expiring ttl after now, and the caller sends the read (empty
// reply, nil).
func (s *nearStore) Flight(key, cmd string, ttl time.Duration, now time.Time) (rueidis.RedisMessage, rueidis.CacheEntry) {
	ms := now.UnixMilli()
	s.mu.RLock()
	e := s.find(key, cmd)
	if e != nil && e.filled && ms < e.xat {
		v := e.val
		s.mu.RUnlock()
		if !e.ref.Load() {
			e.ref.Store(true)
		}
		return v, nil
	}
	if e != nil && !e.filled {
		s.mu.RUnlock()
		return rueidis.RedisMessage{}, e // a read in flight: wait on it
	}
	s.mu.RUnlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		return rueidis.RedisMessage{}, nil // closed: read from Redis, keep nothing
	}
	if e = s.find(key, cmd); e != nil {
		switch {
		case !e.filled:
			return rueidis.RedisMessage{}, e
		case ms < e.xat:
			e.ref.Store(true)
			return e.val, nil
		}
		s.drop(e) // expired
	}
	e = &nearEntry{key: key, cmd: cmd, done: make(chan struct{}), xat: now.Add(ttl).UnixMilli()}
	s.keys[key] = append(s.keys[key], e)
	return rueidis.RedisMessage{}, nil
}

// Update fills the pending entry of key and cmd with val, wakes its
// waiters and returns the entry's expiry: the client-side one, or the
// key's in Redis if sooner. Entries are then evicted until the store is
// within its bound.
func (s *nearStore) Update(key, cmd string, val rueidis.RedisMessage) (pxat int64) {
	s.mu.Lock()
	e := s.find(key, cmd)
	if e == nil || e.filled {
		s.mu.Unlock()
		return 0
	}
	if sx := val.CachePXAT(); sx > 0 && sx < e.xat {
		e.xat = sx
	}
	e.val = val
	e.filled = true
	e.size = entryOverhead + int64(len(key)+len(cmd)) + messageSize(&val)
	if e.size > s.max {
		// Never kept: its waiters get the reply, and nothing is evicted
		// for it.
		s.unlink(e)
		s.mu.Unlock()
		close(e.done)
		return e.xat
	}
	// Room first, then e: pushed before, e would be the hand's next
	// victim once the entries read since its last pass were spared.
	s.evict(time.Now().UnixMilli(), e.size)
	s.push(e)
	s.mu.Unlock()
	close(e.done)
	return e.xat
}

// Cancel drops the pending entry of key and cmd and hands err to its
// waiters.
func (s *nearStore) Cancel(key, cmd string, err error) {
	s.mu.Lock()
	e := s.find(key, cmd)
	if e == nil || e.filled {
		s.mu.Unlock()
		return
	}
	e.err = err
	s.unlink(e)
	s.mu.Unlock()
	close(e.done)
}

// Delete drops the filled entries of keys (Redis's invalidation), or
// every filled entry for nil keys. Pending entries stay: their reads are
// answered after the invalidation.
func (s *nearStore) Delete(keys []rueidis.RedisMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if keys == nil {
		for e := s.head; e != nil; {
			next := e.next
			s.drop(e)
			e = next
		}
		return
	}
	for i := range keys {
		k, err := keys[i].ToString()
		if err != nil {
			continue
		}
		// From the end: drop moves the last entry into the slot it frees.
		es := s.keys[k]
		for i := len(es) - 1; i >= 0; i-- {
			if es[i].filled {
				s.drop(es[i])
			}
		}
	}
}

// Close empties the store for good (the connection is gone) and hands err
// to the waiters of pending entries.
func (s *nearStore) Close(err error) {
	s.mu.Lock()
	var pending []*nearEntry
	for _, es := range s.keys {
		for _, e := range es {
			if !e.filled {
				e.err = err
				pending = append(pending, e)
			}
		}
	}
	s.total.entries.Add(-s.entries)
	s.total.bytes.Add(-s.bytes)
	s.keys, s.head, s.tail, s.entries, s.bytes = nil, nil, nil, 0, 0
	s.mu.Unlock()
	for _, e := range pending {
		close(e.done)
	}
}

// push appends a filled entry to the list and counts it. Call with s.mu
// held for writing.
func (s *nearStore) push(e *nearEntry) {
	e.prev, e.next = s.tail, nil
	if s.tail != nil {
		s.tail.next = e
	} else {
		s.head = e
	}
	s.tail = e
	s.entries++
	s.bytes += e.size
	s.total.entries.Add(1)
	s.total.bytes.Add(e.size)
}

// remove takes a filled entry off the list and its counts. Call with s.mu
// held for writing.
func (s *nearStore) remove(e *nearEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
	s.entries--
	s.bytes -= e.size
	s.total.entries.Add(-1)
	s.total.bytes.Add(-e.size)
}

// drop removes a filled entry from the list and the map.
func (s *nearStore) drop(e *nearEntry) {
	s.remove(e)
	s.unlink(e)
}

// unlink removes e from the map. Call with s.mu held for writing.
func (s *nearStore) unlink(e *nearEntry) {
	es := s.keys[e.key]
	for i, x := range es {
		if x == e {
			if len(es) == 1 {
				delete(s.keys, e.key)
				return
			}
			es[i] = es[len(es)-1]
			es[len(es)-1] = nil
			s.keys[e.key] = es[:len(es)-1]
			return
		}
	}
}

// evict drops expired entries at the hand, then, until need more bytes
// fit within the bound, runs the CLOCK: an entry read since the hand last
// passed is spared once (moved to the end), the first one not read is
// dropped. Call with s.mu held for writing.
func (s *nearStore) evict(nowMs, need int64) {
	for s.head != nil && s.head.xat <= nowMs {
		s.drop(s.head)
	}
	for s.bytes+need > s.max && s.head != nil {
		e := s.head
		if e.ref.Load() && e != s.tail {
			e.ref.Store(false)
			s.remove(e)
			s.push(e)
			continue
		}
		s.drop(e)
	}
}

// entryOverhead approximates the memory of an entry beside its key,
// command and reply: the entry itself, its slot in the key's slice and
// the map's slot for the key.
const entryOverhead = int64(unsafe.Sizeof(nearEntry{})) + int64(unsafe.Sizeof(uintptr(0))) +
	int64(unsafe.Sizeof("")+unsafe.Sizeof([]*nearEntry(nil)))

// messageSize approximates the memory of a reply: its struct, its string
// and, recursively, its elements.
func messageSize(m *rueidis.RedisMessage) int64 {
	n := int64(unsafe.Sizeof(*m))
	switch {
	case m.IsArray():
		vs, _ := m.ToArray()
		for i := range vs {
			n += messageSize(&vs[i])
		}
	case m.IsMap():
		kv, _ := m.AsMap()
		for k, v := range kv {
			n += int64(unsafe.Sizeof(*m)) + int64(len(k)) + messageSize(&v)
		}
	case m.IsInt64(), m.IsBool():
	default:
		s, _ := m.ToString()
		n += int64(len(s))
	}
	return n
}
