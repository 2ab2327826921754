package redis_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/recallhq/recall/ops"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

var _ ops.Board = (*redis.OpsBoard)(nil)

// TestOpsBoard publishes the snapshots of two instances on two clients and
// reads them back from either, on the shared Redis and on a Redis Cluster of
// three masters: a snapshot is read while its TTL has not passed and no
// longer after, and a new one replaces the old.
func TestOpsBoard(t *testing.T) {
	t.Run("Standalone", func(t *testing.T) {
		prefix := redistest.Prefix(t)
		testOpsBoard(t, func() *redis.Client { return connect(t, redis.Options{Prefix: prefix}) })
	})
	t.Run("Cluster", func(t *testing.T) {
		cl := redistest.StartShardedCluster(t, 3)
		prefix := "ops:" + rand.Text()[:8] + ":"
		testOpsBoard(t, func() *redis.Client { return connectURL(t, cl.URL, redis.Options{Prefix: prefix}) })
		// Every key of the board is in the slot of the index.
		slot := cl.Slot(t, prefix+"ops:{instances}")
		for _, inst := range []string{"10.0.0.1:8080", "10.0.0.2:8080"} {
			if s := cl.Slot(t, prefix+"ops:{instances}:"+inst); s != slot {
				t.Errorf("the snapshot of %s is in slot %d, the index in %d", inst, s, slot)
			}
		}
	})
}

func testOpsBoard(t *testing.T, client func() *redis.Client) {
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	ca := client()
	a := redis.NewOpsBoard(ca, clock)
	b := redis.NewOpsBoard(client(), clock)
	const ttl = 10 * time.Second
	if err := a.Publish(ctx, "10.0.0.1:8080", []byte(`{"n":1}`), ttl); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, "10.0.0.2:8080", []byte("\x00binary\xff"), ttl); err != nil {
		t.Fatal(err)
	}
	// The key expires in Redis by itself.
	rc := ca.Rueidis()
	pttl, err := rc.Do(ctx, rc.B().Pttl().Key(ca.Prefix()+"ops:{instances}:10.0.0.1:8080").Build()).AsInt64()
	if err != nil || pttl <= 0 || pttl > ttl.Milliseconds() {
		t.Errorf("PTTL of a's snapshot = %d, %v; want in (0, %d]", pttl, err, ttl.Milliseconds())
	}
	for name, board := range map[string]*redis.OpsBoard{"a": a, "b": b} {
		got, err := board.Snapshots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || string(got["10.0.0.1:8080"]) != `{"n":1}` || string(got["10.0.0.2:8080"]) != "\x00binary\xff" {
			t.Errorf("board %s reads %q", name, got)
		}
	}

	// 6 s later a publishes again; b does not.
	now = now.Add(6 * time.Second)
	if err := a.Publish(ctx, "10.0.0.1:8080", []byte(`{"n":2}`), ttl); err != nil {
		t.Fatal(err)
	}
	got, err := b.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got["10.0.0.1:8080"]) != `{"n":2}` {
		t.Errorf("after a's second publication: %q", got)
	}
	// 11 s after b's publication its snapshot is past its TTL: gone from
	// the index (the key expires in Redis by itself).
	now = now.Add(5 * time.Second)
	got, err = b.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got["10.0.0.1:8080"]) != `{"n":2}` {
		t.Errorf("after b's TTL: %q, want a's alone", got)
	}
	if err := a.Publish(ctx, "x", nil, 0); err == nil {
		t.Error("a snapshot without a TTL was published")
	}
}
