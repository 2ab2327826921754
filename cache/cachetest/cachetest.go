// Package cachetest holds the contract suites that every cache.Backend and
// every recall.SessionCache must pass, so that the in-process equivalents
// and the Redis implementations behave alike. The inmem and redis packages
// run them from their tests.
package cachetest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/internal/fakeclock"
)

// leaseTTL is long enough that no lease expires during a test unless the
// test means it to.
const leaseTTL = 10 * time.Second

// valueTTL is the TTL of fills that are not meant to expire.
const valueTTL = time.Minute

// Run runs the Backend contract suite. newBackend returns an empty backend
// of its own for each subtest (for Redis: a fresh key prefix) and arranges
// its cleanup with t.Cleanup.
func Run(t *testing.T, newBackend func(t *testing.T) cache.Backend) {
	t.Run("Miss", func(t *testing.T) {
		b := newBackend(t)
		if _, ok := mustGet(t, b, "v:{a}"); ok {
			t.Fatal("Get on an empty backend hit")
		}
		if _, ok, err := b.GetHash(context.Background(), "h:{a}"); err != nil || ok {
			t.Fatalf("GetHash on an empty backend = %v, %v; want a miss", ok, err)
		}
	})

	t.Run("LeaseFillGet", func(t *testing.T) {
		b := newBackend(t)
		ctx := context.Background()
		key := "v:{a}"
		l := mustLease(t, b, key, false)
		if l.Token == "" || l.Found {
			t.Fatalf("first Lease = %+v; want a token", l)
		}
		if l2 := mustLease(t, b, key, false); l2.Token != "" || l2.Found {
			t.Fatalf("second Lease while the first is held = %+v; want nothing", l2)
		}
		mustFill(t, b, key, l.Token, []byte("one"), true)
		if v, ok := mustGet(t, b, key); !ok || string(v) != "one" {
			t.Fatalf("Get after Fill = %q, %v; want \"one\"", v, ok)
		}
		l3 := mustLease(t, b, key, false)
		if !l3.Found || string(l3.Val) != "one" || l3.Token != "" {
			t.Fatalf("Lease on a filled key = %+v; want the value and no token", l3)
		}
		// The fill released the lease: the token cannot fill twice.
		if ok, err := b.Fill(ctx, key, l.Token, []byte("two"), valueTTL); err != nil || ok {
			t.Fatalf("second Fill with a spent token = %v, %v; want false", ok, err)
		}
		if v, _ := mustGet(t, b, key); string(v) != "one" {
			t.Fatalf("Get = %q after a refused Fill; want \"one\"", v)
		}
	})

	t.Run("FillHash", func(t *testing.T) {
		b := newBackend(t)
		ctx := context.Background()
		key := "h:{a}"
		fields := map[string][]byte{"q1": []byte(`{"a":1}`), "q2": {}, "_order": []byte(`["q1","q2"]`)}
		l := mustLease(t, b, key, true)
		if l.Token == "" {
			t.Fatalf("Lease = %+v; want a token", l)
		}
		if ok, err := b.FillHash(ctx, key, l.Token, fields, valueTTL); err != nil || !ok {
			t.Fatalf("FillHash = %v, %v; want true", ok, err)
		}
		got, ok, err := b.GetHash(ctx, key)
		if err != nil || !ok || !equalFields(got, fields) {
			t.Fatalf("GetHash = %q, %v, %v; want %q", got, ok, err, fields)
		}
		l2 := mustLease(t, b, key, true)
		if !l2.Found || l2.Token != "" || !equalFields(l2.Fields, fields) {
			t.Fatalf("Lease on a filled hash = %+v; want its fields", l2)
		}
	})

	t.Run("EmptyValues", func(t *testing.T) {
		b := newBackend(t)
		ctx := context.Background()
		l := mustLease(t, b, "v:{e}", false)
		mustFill(t, b, "v:{e}", l.Token, []byte{}, true)
		if v, ok := mustGet(t, b, "v:{e}"); !ok || len(v) != 0 {
			t.Fatalf("Get of an empty value = %q, %v; want an empty hit", v, ok)
		}
		l = mustLease(t, b, "h:{e}", true)
		if ok, err := b.FillHash(ctx, "h:{e}", l.Token, map[string][]byte{}, valueTTL); err != nil || !ok {
			t.Fatalf("FillHash of no fields = %v, %v", ok, err)
		}
		if f, ok, err := b.GetHash(ctx, "h:{e}"); err != nil || !ok || len(f) != 0 {
			t.Fatalf("GetHash of an empty hash = %q, %v, %v; want an empty hit", f, ok, err)
		}
	})

	t.Run("BinaryAndLarge", func(t *testing.T) {
		b := newBackend(t)
		ctx := context.Background()
		bin := make([]byte, 256*64)
		for i := range bin {
			bin[i] = byte(i)
		}
		l := mustLease(t, b, "v:{bin}", false)
		mustFill(t, b, "v:{bin}", l.Token, bin, true)
		if v, ok := mustGet(t, b, "v:{bin}"); !ok || !bytes.Equal(v, bin) {
			t.Fatal("a binary value did not round-trip")
		}
		fields := make(map[string][]byte, 1200)
		for i := range 1200 {
			fields["f"+strconv.Itoa(i)] = append([]byte{0, 255}, strconv.Itoa(i)...)
		}
		l = mustLease(t, b, "h:{big}", true)
		if ok, err := b.FillHash(ctx, "h:{big}", l.Token, fields, valueTTL); err != nil || !ok {
			t.Fatalf("FillHash of 1200 fields = %v, %v", ok, err)
		}
		if got, ok, err := b.GetHash(ctx, "h:{big}"); err != nil || !ok || !equalFields(got, fields) {
			t.Fatalf("a 1200-field hash did not round-trip: %d fields, %v, %v", len(got), ok, err)
		}
	})

	t.Run("WrongTokenDoesNotFill", func(t *testing.T) {
		b := newBackend(t)
		l := mustLease(t, b, "v:{a}", false)
		mustFill(t, b, "v:{a}", l.Token+"x", []byte("bad"), false)
		if _, ok := mustGet(t, b, "v:{a}"); ok {
			t.Fatal("a Fill with a wrong token stored its value")
		}
		mustFill(t, b, "v:{a}", l.Token, []byte("good"), true)
		mustFill(t, b, "v:{nolease}", "whatever", []byte("bad"), false)
		if _, ok := mustGet(t, b, "v:{nolease}"); ok {
			t.Fatal("a Fill without any lease stored its value")
		}
	})

	t.Run("InvalidateBeatsFill", func(t *testing.T) {
		// The stale-set race: a reader leases and loads the old row, a
		// writer commits and invalidates, the reader fills. Nothing lands.
		b := newBackend(t)
		ctx := context.Background()
		for _, hash := range []bool{false, true} {
			key := fmt.Sprintf("k:{%v}", hash)
			l := mustLease(t, b, key, hash)
			if err := b.Invalidate(ctx, key); err != nil {
				t.Fatal(err)
			}
			var ok bool
			var err error
			if hash {
				ok, err = b.FillHash(ctx, key, l.Token, map[string][]byte{"x": []byte("old")}, valueTTL)
			} else {
				ok, err = b.Fill(ctx, key, l.Token, []byte("old"), valueTTL)
			}
			if err != nil || ok {
				t.Fatalf("Fill after Invalidate = %v, %v; want false", ok, err)
			}
			if _, found, _ := b.Get(ctx, key); found {
				t.Fatal("the old value landed after an invalidation")
			}
			if _, found, _ := b.GetHash(ctx, key); found {
				t.Fatal("the old hash landed after an invalidation")
			}
			l2 := mustLease(t, b, key, hash)
			if l2.Token == "" || l2.Token == l.Token {
				t.Fatalf("Lease after Invalidate = %+v; want a new token", l2)
			}
		}
	})

	t.Run("InvalidateDeletes", func(t *testing.T) {
		b := newBackend(t)
		ctx := context.Background()
		fillValue(t, b, "v:{1}", "one")
		fillValue(t, b, "v:{2}", "two")
		fillValue(t, b, "v:{3}", "three")
		l := mustLease(t, b, "h:{1}", true)
		if ok, err := b.FillHash(ctx, "h:{1}", l.Token, map[string][]byte{"a": []byte("b")}, valueTTL); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if err := b.Invalidate(ctx, "v:{1}", "v:{2}", "h:{1}", "v:{absent}"); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"v:{1}", "v:{2}"} {
			if _, ok := mustGet(t, b, k); ok {
				t.Fatalf("%s survived Invalidate", k)
			}
		}
		if _, ok, _ := b.GetHash(ctx, "h:{1}"); ok {
			t.Fatal("a hash survived Invalidate")
		}
		if v, ok := mustGet(t, b, "v:{3}"); !ok || string(v) != "three" {
			t.Fatal("Invalidate deleted a key it was not given")
		}
		if err := b.Invalidate(ctx); err != nil {
			t.Fatalf("Invalidate of no keys = %v", err)
		}
	})

	t.Run("ReadYourInvalidations", func(t *testing.T) {
		// Once Invalidate has returned, no read in this process sees the
		// old value, even with warm local copies.
		b := newBackend(t)
		ctx := context.Background()
		for i := range 200 {
			want := "v" + strconv.Itoa(i)
			fillValue(t, b, "v:{ryw}", want)
			for range 3 {
				if v, ok := mustGet(t, b, "v:{ryw}"); !ok || string(v) != want {
					t.Fatalf("round %d: Get = %q, %v; want %q", i, v, ok, want)
				}
			}
			if err := b.Invalidate(ctx, "v:{ryw}"); err != nil {
				t.Fatal(err)
			}
			if v, ok := mustGet(t, b, "v:{ryw}"); ok {
				t.Fatalf("round %d: Get after Invalidate returned the old value %q", i, v)
			}
		}
	})

	t.Run("Release", func(t *testing.T) {
		b := newBackend(t)
		ctx := context.Background()
		l := mustLease(t, b, "v:{r}", false)
		if err := b.Release(ctx, "v:{r}", l.Token+"x"); err != nil {
			t.Fatal(err)
		}
		if l2 := mustLease(t, b, "v:{r}", false); l2.Token != "" {
			t.Fatal("Release with a wrong token released the lease")
		}
		if err := b.Release(ctx, "v:{r}", l.Token); err != nil {
			t.Fatal(err)
		}
		l3 := mustLease(t, b, "v:{r}", false)
		if l3.Token == "" {
			t.Fatal("no lease could be taken after Release")
		}
		mustFill(t, b, "v:{r}", l.Token, []byte("stale"), false)
		mustFill(t, b, "v:{r}", l3.Token, []byte("fresh"), true)
		if err := b.Release(ctx, "v:{none}", "t"); err != nil {
			t.Fatalf("Release without a lease = %v", err)
		}
	})

	t.Run("OneLeaseAtATime", func(t *testing.T) {
		b := newBackend(t)
		var wg sync.WaitGroup
		tokens := make(chan string, 32)
		for range 32 {
			wg.Go(func() {
				l, err := b.Lease(context.Background(), "v:{race}", false, leaseTTL)
				if err != nil {
					t.Error(err)
					return
				}
				if l.Token != "" {
					tokens <- l.Token
				}
			})
		}
		wg.Wait()
		close(tokens)
		if n := len(tokens); n != 1 {
			t.Fatalf("%d of 32 concurrent Leases got a token; want exactly 1", n)
		}
	})

	t.Run("LeaseExpires", func(t *testing.T) {
		t.Parallel()
		b := newBackend(t)
		l, err := b.Lease(context.Background(), "v:{le}", false, 50*time.Millisecond)
		if err != nil || l.Token == "" {
			t.Fatal(l, err)
		}
		time.Sleep(200 * time.Millisecond)
		l2 := mustLease(t, b, "v:{le}", false)
		if l2.Token == "" {
			t.Fatal("an expired lease still blocks")
		}
		mustFill(t, b, "v:{le}", l.Token, []byte("late"), false)
	})

	t.Run("ValueExpires", func(t *testing.T) {
		t.Parallel()
		b := newBackend(t)
		ctx := context.Background()
		l := mustLease(t, b, "v:{ve}", false)
		if ok, err := b.Fill(ctx, "v:{ve}", l.Token, []byte("x"), 50*time.Millisecond); !ok || err != nil {
			t.Fatal(ok, err)
		}
		l = mustLease(t, b, "h:{ve}", true)
		if ok, err := b.FillHash(ctx, "h:{ve}", l.Token, map[string][]byte{"a": nil}, 50*time.Millisecond); !ok || err != nil {
			t.Fatal(ok, err)
		}
		time.Sleep(200 * time.Millisecond)
		if _, ok := mustGet(t, b, "v:{ve}"); ok {
			t.Fatal("a value outlived its TTL")
		}
		if _, ok, _ := b.GetHash(ctx, "h:{ve}"); ok {
			t.Fatal("a hash outlived its TTL")
		}
	})
}

func mustGet(tb testing.TB, b cache.Backend, key string) ([]byte, bool) {
	tb.Helper()
	v, ok, err := b.Get(context.Background(), key)
	if err != nil {
		tb.Fatalf("Get(%q): %v", key, err)
	}
	return v, ok
}

func mustLease(tb testing.TB, b cache.Backend, key string, hash bool) cache.Lease {
	tb.Helper()
	l, err := b.Lease(context.Background(), key, hash, leaseTTL)
	if err != nil {
		tb.Fatalf("Lease(%q): %v", key, err)
	}
	return l
}

func mustFill(tb testing.TB, b cache.Backend, key, token string, val []byte, want bool) {
	tb.Helper()
	ok, err := b.Fill(context.Background(), key, token, val, valueTTL)
	if err != nil {
		tb.Fatalf("Fill(%q): %v", key, err)
	}
	if ok != want {
		tb.Fatalf("Fill(%q) = %v; want %v", key, ok, want)
	}
}

func fillValue(tb testing.TB, b cache.Backend, key, val string) {
	tb.Helper()
	l := mustLease(tb, b, key, false)
	if l.Token == "" {
		tb.Fatalf("Lease(%q) = %+v; want a token", key, l)
	}
	mustFill(tb, b, key, l.Token, []byte(val), true)
}

func equalFields(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, func(x, y []byte) bool { return bytes.Equal(x, y) })
}

// NewSessionCache returns an empty recall.SessionCache of its own for a
// subtest of RunSessionCache, that reads the time from now, and arranges
// its cleanup with t.Cleanup. It also returns elapse, which makes d pass
// for the cached session id in whatever else keeps time for the cache
// besides now (for Redis: the key's TTL), or nil if nothing else does.
type NewSessionCache func(t *testing.T, now func() time.Time) (c recall.SessionCache, elapse func(id string, d time.Duration))

// sessionClock is a subtest's time: the clock its cache reads, and the
// means to make time pass for a cached session.
type sessionClock struct {
	*fakeclock.Clock
	elapse func(id string, d time.Duration)
}

// pass makes d pass for the cached session id.
func (c sessionClock) pass(id string, d time.Duration) {
	c.Add(d)
	if c.elapse != nil {
		c.elapse(id, d)
	}
}

// RunSessionCache runs the recall.SessionCache contract suite. Time passes
// only when a subtest makes it pass (on a fake clock, and for Redis on the
// TTLs), so that no verdict depends on how busy the machine is.
func RunSessionCache(t *testing.T, newCache NewSessionCache) {
	ctx := context.Background()
	open := func(t *testing.T) (recall.SessionCache, sessionClock) {
		clk := fakeclock.New(time.Now())
		c, elapse := newCache(t, clk.Now)
		return c, sessionClock{clk, elapse}
	}
	t.Run("Miss", func(t *testing.T) {
		c, _ := open(t)
		if _, err := c.Get(ctx, "u1", "nope"); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Get on an empty cache = %v; want ENOTFOUND", err)
		}
	})

	// A session is found only under its owner: another user asking for
	// its id misses.
	t.Run("AnotherUserMisses", func(t *testing.T) {
		c, clk := open(t)
		putSession(t, c, newSession("own", 1), time.Hour, clk.Now().Add(time.Hour))
		if s, err := c.Get(ctx, "u2", "own"); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Get as another user = %+v, %v; want ENOTFOUND", s, err)
		}
		if got := getSession(t, c, "own"); got.Version != 1 {
			t.Fatalf("Get by its owner after another user's miss = %+v", got)
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		c, clk := open(t)
		s := newSession("s1", 3)
		putSession(t, c, s, time.Hour, clk.Now().Add(time.Hour))
		got := getSession(t, c, "s1")
		if !reflect.DeepEqual(got, s) {
			t.Fatalf("Get = %+v; want %+v", got, s)
		}
		// Neither the caller of Put nor the caller of Get can change
		// what is cached.
		s.QuestionIDs[0] = "changed"
		got.IdempotencyKeys["k1"] = 99
		if again := getSession(t, c, "s1"); again.QuestionIDs[0] != "q1" || again.IdempotencyKeys["k1"] != 1 {
			t.Fatalf("the cached session changed through a pointer: %+v", again)
		}
	})

	t.Run("PutIsMonotonic", func(t *testing.T) {
		c, clk := open(t)
		exp := clk.Now().Add(time.Hour)
		putSession(t, c, newSession("s", 2), time.Hour, exp)
		putSession(t, c, newSession("s", 1), time.Hour, exp)
		if got := getSession(t, c, "s"); got.Version != 2 {
			t.Fatalf("an older Put replaced version 2 with %d", got.Version)
		}
		same := newSession("s", 2)
		same.Answered = 42
		putSession(t, c, same, time.Hour, exp)
		if got := getSession(t, c, "s"); got.Answered == 42 {
			t.Fatal("a Put of the same version replaced the cached one")
		}
		putSession(t, c, newSession("s", 3), time.Hour, exp)
		if got := getSession(t, c, "s"); got.Version != 3 {
			t.Fatalf("a newer Put was refused: version %d", got.Version)
		}
	})

	t.Run("ConcurrentPutsKeepTheNewest", func(t *testing.T) {
		c, clk := open(t)
		exp := clk.Now().Add(time.Hour)
		var wg sync.WaitGroup
		for v := range 40 {
			wg.Go(func() {
				if err := c.Put(ctx, newSession("c", int64(40-v)), time.Hour, exp); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := getSession(t, c, "c"); got.Version != 40 {
			t.Fatalf("after concurrent Puts of versions 1..40 the cache holds %d", got.Version)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		c, clk := open(t)
		putSession(t, c, newSession("d", 1), time.Hour, clk.Now().Add(time.Hour))
		if err := c.Delete(ctx, "u1", "d"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, "u1", "d"); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Get after Delete = %v; want ENOTFOUND", err)
		}
		if err := c.Delete(ctx, "u1", "never"); err != nil {
			t.Fatalf("Delete of an absent session = %v", err)
		}
		// After a Delete any version may be cached again.
		putSession(t, c, newSession("d", 1), time.Hour, clk.Now().Add(time.Hour))
		getSession(t, c, "d")
	})

	t.Run("PutAlreadyExpired", func(t *testing.T) {
		c, clk := open(t)
		putSession(t, c, newSession("x", 1), time.Hour, clk.Now().Add(time.Hour))
		putSession(t, c, newSession("x", 2), time.Hour, clk.Now().Add(-time.Second))
		if _, err := c.Get(ctx, "u1", "x"); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Get after a Put past its expiry = %v; want ENOTFOUND (the older version dropped)", err)
		}
	})

	t.Run("IdleExpiry", func(t *testing.T) {
		c, clk := open(t)
		putSession(t, c, newSession("i", 1), time.Minute, clk.Now().Add(time.Hour))
		clk.pass("i", time.Minute)
		if _, err := c.Get(ctx, "u1", "i"); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Get after the idle time = %v; want ENOTFOUND", err)
		}
	})

	t.Run("AbsoluteExpiry", func(t *testing.T) {
		c, clk := open(t)
		putSession(t, c, newSession("a", 1), time.Hour, clk.Now().Add(time.Minute))
		clk.pass("a", time.Minute)
		if _, err := c.Get(ctx, "u1", "a"); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Get after the absolute expiry = %v; want ENOTFOUND", err)
		}
	})

	t.Run("GetRefreshesIdleTime", func(t *testing.T) {
		c, clk := open(t)
		putSession(t, c, newSession("r", 1), time.Minute, clk.Now().Add(time.Hour))
		clk.pass("r", 40*time.Second)
		getSession(t, c, "r")
		// Past the first idle deadline, within the refreshed one.
		clk.pass("r", 40*time.Second)
		if _, err := c.Get(ctx, "u1", "r"); err != nil {
			t.Fatalf("Get after a refresh, within the refreshed idle time = %v; want a hit", err)
		}
	})

	t.Run("RefreshStopsAtTheAbsoluteExpiry", func(t *testing.T) {
		c, clk := open(t)
		putSession(t, c, newSession("cap", 1), 30*time.Second, clk.Now().Add(40*time.Second))
		clk.pass("cap", 20*time.Second)
		getSession(t, c, "cap") // a refresh must not pass the absolute expiry
		clk.pass("cap", 25*time.Second)
		if _, err := c.Get(ctx, "u1", "cap"); !recall.IsCode(err, recall.ENOTFOUND) {
			t.Fatalf("Get past the absolute expiry, after a refresh = %v; want ENOTFOUND", err)
		}
	})
}

func newSession(id string, version int64) *recall.Session {
	now := time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)
	return &recall.Session{
		ID:              id,
		UserID:          "u1",
		TopicID:         "t1",
		State:           recall.SessionActive,
		QuestionIDs:     []string{"q1", "q2", "q3"},
		Current:         1,
		Answered:        1,
		Correct:         1,
		Turns:           2,
		Version:         version,
		IdempotencyKeys: map[string]int{"k0": 0, "k1": 1},
		CreatedAt:       now,
		UpdatedAt:       now.Add(time.Minute),
	}
}

func putSession(tb testing.TB, c recall.SessionCache, s *recall.Session, ttl time.Duration, exp time.Time) {
	tb.Helper()
	if err := c.Put(context.Background(), s, ttl, exp); err != nil {
		tb.Fatalf("Put(%s v%d): %v", s.ID, s.Version, err)
	}
}

func getSession(tb testing.TB, c recall.SessionCache, id string) *recall.Session {
	tb.Helper()
	s, err := c.Get(context.Background(), "u1", id)
	if err != nil {
		tb.Fatalf("Get(%s): %v", id, err)
	}
	return s
}
