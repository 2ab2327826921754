package redis_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/tutor"
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
	m, err := rc.Do(ctx, rc.B().Hgetall().Key(c.Prefix()+"session:{u}:s1").Build()).AsStrMap()
	if err != nil {
		t.Fatal(err)
	}
	if m["v"] != "7" || m["d"] == "" || m["x"] != formatMillis(exp) || m["i"] != "7200000" {
		t.Fatalf("%ssession:s1 = %v; want v, d, i, x", c.Prefix(), m)
	}
	// The idle time is 2h but the absolute expiry comes first.
	if p := pttl(t, c, c.Prefix()+"session:{u}:s1"); p <= 0 || p > time.Hour.Milliseconds() {
		t.Fatalf("PTTL = %d; want at most one hour", p)
	}
}

func formatMillis(t time.Time) string { return itoa(t.UnixMilli()) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSessionCache_GetRefreshesTheTTL(t *testing.T) {
	c := connect(t, redis.Options{})
	sc := redis.NewSessionCache(c)
	ctx := context.Background()
	key := c.Prefix() + "session:{u}:s"
	if err := sc.Put(ctx, session("s", 1), 10*time.Second, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	before := pttl(t, c, key)
	if _, err := sc.Get(ctx, "u", "s"); err != nil {
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
	key := c.Prefix() + "session:{u}:s"
	exp := time.Now().Add(3 * time.Second)
	if err := sc.Put(ctx, session("s", 1), time.Hour, exp); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := sc.Get(ctx, "u", "s"); err != nil {
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
	if _, err := sc.Get(ctx, "u", "s"); err != nil {
		t.Fatal(err)
	}
	// Changed behind the cache's back: the next Get must see it.
	rc := c.Rueidis()
	if err := rc.Do(ctx, rc.B().Del().Key(c.Prefix()+"session:{u}:s").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Get(ctx, "u", "s"); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Get after the key was deleted = %v; want ENOTFOUND", err)
	}
}

func TestSessionCache_CorruptEntryIsAMiss(t *testing.T) {
	c := connect(t, redis.Options{})
	sc := redis.NewSessionCache(c)
	ctx := context.Background()
	rc := c.Rueidis()
	key := c.Prefix() + "session:{u}:bad"
	err := rc.Do(ctx, rc.B().Hset().Key(key).FieldValue().FieldValue("v", "1").FieldValue("d", "{not json").
		FieldValue("i", "100000").FieldValue("x", itoa(time.Now().Add(time.Hour).UnixMilli())).Build()).Error()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Get(ctx, "u", "bad"); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Get of a corrupt entry = %v; want ENOTFOUND", err)
	}
	if n, _ := rc.Do(ctx, rc.B().Exists().Key(key).Build()).AsInt64(); n != 0 {
		t.Fatal("the corrupt entry was kept")
	}
}

// cachedSession returns the session encoded in the hash at key.
func cachedSession(tb testing.TB, c *redis.Client, key string) *recall.Session {
	tb.Helper()
	rc := c.Rueidis()
	b, err := rc.Do(context.Background(), rc.B().Hget().Key(key).Field("d").Build()).AsBytes()
	if err != nil {
		tb.Fatalf("HGET %s d: %v", key, err)
	}
	s, err := cache.DecodeSession(b)
	if err != nil {
		tb.Fatalf("the cached session %q does not decode: %v", b, err)
	}
	return s
}

func TestSessionCache_StoresTheSessionFormat(t *testing.T) {
	c := connect(t, redis.Options{})
	sc := redis.NewSessionCache(c)
	ctx := context.Background()
	s := session("s1", 3)
	s.IdempotencyKeys = map[string]int{"k": 0}
	if err := sc.Put(ctx, s, time.Hour, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := cachedSession(t, c, c.Prefix()+"session:{u}:s1"); !reflect.DeepEqual(got, s) {
		t.Fatalf("cached %+v; want %+v", got, s)
	}
	if got, err := sc.Get(ctx, "u", "s1"); err != nil || !reflect.DeepEqual(got, s) {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, s)
	}
	bad := session("s2", 1)
	bad.Answered = -1
	if err := sc.Put(ctx, bad, time.Hour, time.Now().Add(time.Hour)); !recall.IsCode(err, recall.EINVALID) {
		t.Fatalf("Put of a session with a negative count = %v; want EINVALID", err)
	}
}

// TestSessionCache_AnotherSessionIsAMiss: a value under one session's key
// that holds another session is dropped.
func TestSessionCache_AnotherSessionIsAMiss(t *testing.T) {
	c := connect(t, redis.Options{})
	sc := redis.NewSessionCache(c)
	ctx := context.Background()
	val, err := cache.EncodeSession(session("other", 1))
	if err != nil {
		t.Fatal(err)
	}
	rc := c.Rueidis()
	key := c.Prefix() + "session:{u}:s"
	err = rc.Do(ctx, rc.B().Hset().Key(key).FieldValue().FieldValue("v", "1").FieldValue("d", string(val)).
		FieldValue("i", "100000").FieldValue("x", itoa(time.Now().Add(time.Hour).UnixMilli())).Build()).Error()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sc.Get(ctx, "u", "s"); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Get = %+v, %v; want ENOTFOUND", got, err)
	}
	if n, _ := rc.Do(ctx, rc.B().Exists().Key(key).Build()).AsInt64(); n != 0 {
		t.Fatal("the misfiled entry was kept")
	}
}

// TestSessionCache_PreviousFormatIsRebuilt writes a session as the Recall
// before this format cached it (the JSON of json.Marshal of a
// recall.Session, which has no json tags), with progress the store does
// not have, as an instance not yet upgraded would leave it in a rolling
// upgrade. The engine reads it as a miss, takes the session from the
// store and caches that in the new format; nothing of the JSON reaches the
// store, and the session goes on.
func TestSessionCache_PreviousFormatIsRebuilt(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	c := connect(t, redis.Options{})
	sc := redis.NewSessionCache(c)
	eng := tutor.New(tutor.Config{Sessions: db, Topics: db, Questions: db, Cache: sc})

	now := time.Now().UTC()
	u, tp := seedTopic(t, db, "prev", now)
	var qs []*recall.Question
	for _, a := range []string{"a", "b", "c"} {
		qs = append(qs, &recall.Question{ID: recall.NewID(), TopicID: tp.ID, Prompt: "say " + a, Answers: []string{a},
			CreatedAt: now, UpdatedAt: now})
	}
	if err := db.AddQuestions(ctx, u.ID, tp.ID, qs); err != nil {
		t.Fatal(err)
	}
	inOrder := false
	v, err := eng.Start(ctx, u.ID, tutor.StartInput{TopicID: tp.ID, Shuffle: &inOrder})
	if err != nil {
		t.Fatal(err)
	}
	id := v.Session.ID
	if _, _, err := eng.Turn(ctx, u.ID, id, "a", "first"); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Session(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	key := c.Prefix() + "session:{" + u.ID + "}:" + id
	if got := cachedSession(t, c, key); !reflect.DeepEqual(got, stored) {
		t.Fatalf("after the turn the cache holds %+v; the store %+v", got, stored)
	}

	// The previous format, with progress that is not in the store: were
	// it decoded, the next turn would build on it.
	old := stored.Clone()
	old.Current, old.Answered, old.Correct, old.Turns = 2, 2, 2, 2
	old.IdempotencyKeys = nil
	prev, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if string(prev[:7]) != `{"ID":"` {
		t.Fatalf("json.Marshal no longer writes the previous format: %s", prev)
	}
	rc := c.Rueidis()
	err = rc.Do(ctx, rc.B().Hset().Key(key).FieldValue().FieldValue("v", itoa(old.Version)).FieldValue("d", string(prev)).
		FieldValue("i", "3600000").FieldValue("x", itoa(time.Now().Add(time.Hour).UnixMilli())).Build()).Error()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sc.Get(ctx, u.ID, id); !recall.IsCode(err, recall.ENOTFOUND) {
		t.Fatalf("Get of the previous format = %+v, %v; want ENOTFOUND", got, err)
	}
	if n, _ := rc.Do(ctx, rc.B().Exists().Key(key).Build()).AsInt64(); n != 0 {
		t.Fatal("the value in the previous format was kept")
	}

	// Again, through the engine: the session comes from the store and is
	// cached again, in the new format.
	if err := rc.Do(ctx, rc.B().Hset().Key(key).FieldValue().FieldValue("v", itoa(old.Version)).FieldValue("d", string(prev)).
		FieldValue("i", "3600000").FieldValue("x", itoa(time.Now().Add(time.Hour).UnixMilli())).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	got, err := eng.Get(ctx, u.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Session, stored) {
		t.Fatalf("the engine read %+v; want the store's %+v", got.Session, stored)
	}
	if cached := cachedSession(t, c, key); !reflect.DeepEqual(cached, stored) {
		t.Fatalf("the cache was refilled with %+v; want the store's %+v", cached, stored)
	}
	// The session goes on from the store's state: the second question.
	turn, view, err := eng.Turn(ctx, u.ID, id, "b", "second")
	if err != nil {
		t.Fatal(err)
	}
	if turn.Index != 1 || turn.Correct == nil || !*turn.Correct || view.Session.Answered != 2 || view.Session.Current != 2 {
		t.Fatalf("the turn after the rebuild: %+v, session %+v", turn, view.Session)
	}
	if again, err := db.Session(ctx, id); err != nil || again.Version != stored.Version+1 || again.Answered != 2 {
		t.Fatalf("the store after the turn: %+v, %v", again, err)
	}
}
