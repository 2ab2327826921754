package redis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/redis"
)

func session(id string, version int64) *recall.Session {
	now := time.Now().UTC()
	return &recall.Session{ID: id, UserID: "u", TopicID: "t", State: recall.SessionActive,
		QuestionIDs: []string{"q1"}, Version: version, CreatedAt: now, UpdatedAt: now}
}

func pttl(tb testing.TB, c *redis.Client, key string) int64 {
	tb.Helper()
	rc := c.Rueidis()
	n, err := rc.Do(context.Background(), rc.B().Pttl().Key(key).Build()).AsInt64()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestSessionCache_Layout(t *testing.T) {
	c := connect(t, redis.Options{})
	sc := redis.NewSessionCache(c)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := sc.Put(ctx, session("s1", 7), 2*time.Hour, exp); err != nil {
		t.Fatal(err)
	}
	rc := c.Rueidis()
	m, err := rc.Do(ctx, rc.B().Hgetall().Key(c.Prefix()+"session:s1").Build()).AsStrMap()
	if err != nil {
		t.Fatal(err)
	}
	if m["v"] != "7" || m["d"] == "" || m["x"] != formatMillis(exp) || m["i"] != "7200000" {
		t.Fatalf("%ssession:s1 = %v; want v, d, i, x", c.Prefix(), m)
	}
	// The idle time is 2h but the absolute expiry comes first.
	if p := pttl(t, c, c.Prefix()+"session:s1"); p <= 0 || p > time.Hour.Milliseconds() {
		t.Fatalf("PTTL = %d; want at most one hour", p)
	}
}

func formatMillis(t time.Time) string { return itoa(t.UnixMilli()) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSessionCache_GetRefreshesTheTTL(t *testing.T) {
	c := connect(t, redis.Options{})
	sc := redis.NewSessionCache(c)
	ctx := context.Background()
	key := c.Prefix() + "session:s"
	if err := sc.Put(ctx, session("s", 1), 10*time.Second, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	before := pttl(t, c, key)
	if _, err := sc.Get(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if after := pttl(t, c, key); after <= before {
		t.Fatalf("PTTL went from %d to %d across a Get; want it restarted", before, after)
	}
}

func TestSessionCache_RefreshIsCappedByTheAbsoluteExpiry(t *testing.T) {
	c := connect(t, redis.Options{})
	sc := redis.NewSessionCache(c)
	ctx := context.Background()
	key := c.Prefix() + "session:s"
	exp := time.Now().Add(3 * time.Second)
	if err := sc.Put(ctx, session("s", 1), time.Hour, exp); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := sc.Get(ctx, "s"); err != nil {
			t.Fatal(err)
		}
		if p := pttl(t, c, key); p <= 0 || p > 3000 {
			t.Fatalf("PTTL after a Get = %d; want at most 3000 (the absolute expiry)", p)
		}
	}
}

func TestSessionCache_NeverNearCached(t *testing.T) {
	c := connect(t, redis.Options{}) // near-cache on
	sc := redis.NewSessionCache(c)
	ctx := context.Background()
	if err := sc.Put(ctx, session("s", 1), time.Hour, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Get(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	// Changed behind the cache's back: the next Get must see it.
	rc := c.Rueidis()
	if err := rc.Do(ctx, rc.B().Del().Key(c.Prefix()+"session:s").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Get(ctx, "s"); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Get after the key was deleted = %v; want ENOTFOUND", err)
	}
}

func TestSessionCache_CorruptEntryIsAMiss(t *testing.T) {
	c := connect(t, redis.Options{})
	sc := redis.NewSessionCache(c)
	ctx := context.Background()
	rc := c.Rueidis()
	key := c.Prefix() + "session:bad"
	err := rc.Do(ctx, rc.B().Hset().Key(key).FieldValue().FieldValue("v", "1").FieldValue("d", "{not json").
		FieldValue("i", "100000").FieldValue("x", itoa(time.Now().Add(time.Hour).UnixMilli())).Build()).Error()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Get(ctx, "bad"); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Get of a corrupt entry = %v; want ENOTFOUND", err)
	}
	if n, _ := rc.Do(ctx, rc.B().Exists().Key(key).Build()).AsInt64(); n != 0 {
		t.Fatal("the corrupt entry was kept")
	}
}
