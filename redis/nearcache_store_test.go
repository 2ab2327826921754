package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall/redis/redistest"
)

// replies makes real Redis replies (a RedisMessage cannot be built
// outside rueidis): ECHO of the shared Redis.
type replies struct {
	t  *testing.T
	rc rueidis.Client
}

func newReplies(t *testing.T) *replies {
	t.Helper()
	redistest.SkipShort(t)
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{redistest.SharedAddr}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	return &replies{t: t, rc: rc}
}

// of returns a string reply holding s.
func (r *replies) of(s string) rueidis.RedisMessage {
	r.t.Helper()
	m, err := r.rc.Do(context.Background(), r.rc.B().Echo().Message(s).Build()).ToMessage()
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// fill reads key into s as rueidis does on a miss: a flight, then its reply.
func (r *replies) fill(s *nearStore, key string, n int) {
	r.t.Helper()
	if _, e := s.Flight(key, "GET", time.Hour, time.Now()); e != nil {
		r.t.Fatalf("%s: a read already in flight", key)
	}
	s.Update(key, "GET", r.of(strings.Repeat("x", n)))
}

// hit reports whether key is a fresh copy in s (and marks it read).
func hit(s *nearStore, key string) bool {
	v, e := s.Flight(key, "GET", time.Hour, time.Now())
	if e == nil && !v.IsString() {
		s.Cancel(key, "GET", errors.New("test: not read")) // the flight this miss made
	}
	return e == nil && v.IsString()
}

// TestNearStore_OversizedReplyKeepsTheRest: a reply larger than the bound
// is handed to its waiters and not kept, and evicts nothing.
func TestNearStore_OversizedReplyKeepsTheRest(t *testing.T) {
	r := newReplies(t)
	tot := new(nearTotals)
	s := newNearStore(64<<10, tot)
	for i := range 40 {
		r.fill(s, "k"+strings.Repeat("x", i), 1000)
	}
	entries, bytes := tot.entries.Load(), tot.bytes.Load()
	if _, e := s.Flight("big", "GET", time.Hour, time.Now()); e != nil {
		t.Fatal("big: a read already in flight")
	}
	_, waiter := s.Flight("big", "GET", time.Hour, time.Now())
	if waiter == nil {
		t.Fatal("a second read of big does not wait for the first")
	}
	s.Update("big", "GET", r.of(strings.Repeat("x", 100<<10)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if v, err := waiter.Wait(ctx); err != nil || len(v.String()) == 0 {
		t.Fatalf("the waiter of an oversized reply got %v, %v", v, err)
	}
	if e, b := tot.entries.Load(), tot.bytes.Load(); e != entries || b != bytes {
		t.Fatalf("after an oversized reply: %d entries, %d bytes; want %d and %d, as before", e, b, entries, bytes)
	}
	if hit(s, "big") {
		t.Fatal("an oversized reply was kept")
	}
}

// TestNearStore_NewEntryIsNotTheVictim: when every older entry was read
// since the hand last passed, the one a new reply makes room by dropping
// is an older one, never the new reply itself.
func TestNearStore_NewEntryIsNotTheVictim(t *testing.T) {
	r := newReplies(t)
	s := newNearStore(10_000, new(nearTotals))
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, k := range keys {
		r.fill(s, k, 1000)
	}
	for _, k := range keys {
		if !hit(s, k) {
			t.Fatalf("%s is not cached", k)
		}
	}
	r.fill(s, "new", 1000)
	if !hit(s, "new") {
		t.Fatal("the new reply was dropped by its own eviction")
	}
}

// TestNearStore_WaitersAreWoken: a read waiting on another's flight gets
// its reply, its error, or the store's closing error, never a hang.
func TestNearStore_WaitersAreWoken(t *testing.T) {
	r := newReplies(t)
	s := newNearStore(1<<20, new(nearTotals))
	now := time.Now()
	wait := func(key string) rueidis.CacheEntry {
		t.Helper()
		if _, e := s.Flight(key, "GET", time.Hour, now); e != nil {
			t.Fatalf("%s: a read already in flight", key)
		}
		_, e := s.Flight(key, "GET", time.Hour, now)
		if e == nil {
			t.Fatalf("%s: a second read does not wait for the first", key)
		}
		return e
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b, c := wait("a"), wait("b"), wait("c")
	s.Cancel("a", "GET", errors.New("read failed"))
	if _, err := a.Wait(ctx); err == nil || err.Error() != "read failed" {
		t.Fatalf("after Cancel, the waiter got %v", err)
	}
	s.Update("b", "GET", r.of("v"))
	if v, err := b.Wait(ctx); err != nil || v.String() == "" {
		t.Fatalf("after Update, the waiter got %v, %v", v, err)
	}
	s.Close(errors.New("closed"))
	if _, err := c.Wait(ctx); err == nil || err.Error() != "closed" {
		t.Fatalf("after Close, the waiter got %v", err)
	}
	if v, e := s.Flight("c", "GET", time.Hour, now); v.IsString() || e != nil {
		t.Fatal("a closed store answered a read")
	}
	s.Update("c", "GET", r.of("v")) // late replies change nothing
	s.Cancel("c", "GET", nil)
}

// TestNearStore_DeleteAll: a flush (Delete(nil), as on a reconnection)
// drops every copy.
func TestNearStore_DeleteAll(t *testing.T) {
	r := newReplies(t)
	tot := new(nearTotals)
	s := newNearStore(1<<20, tot)
	for _, k := range []string{"a", "b", "c"} {
		r.fill(s, k, 10)
	}
	s.Delete(nil)
	if e, b := tot.entries.Load(), tot.bytes.Load(); e != 0 || b != 0 {
		t.Fatalf("after a flush: %d entries, %d bytes", e, b)
	}
	for _, k := range []string{"a", "b", "c"} {
		if hit(s, k) {
			t.Fatalf("%s survived a flush", k)
		}
	}
}
