package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/recallhq/recall/ops"
	"github.com/recallhq/recall/redis/redistest"
)

// TestOpsCluster runs two instances that share a Redis (the shared one, and
// a Redis Cluster of three masters), sends requests to both, and reads
// GET /v1/ops from the first: it lists both instances, each with the
// requests it answered, and a cluster total that adds them up.
func TestOpsCluster(t *testing.T) {
	t.Run("Standalone", func(t *testing.T) {
		redistest.SkipShort(t)
		testOpsCluster(t, redistest.SharedURL, redistest.Prefix(t))
	})
	t.Run("RedisCluster", func(t *testing.T) {
		cl := redistest.StartShardedCluster(t, 3)
		testOpsCluster(t, cl.URL, "ops:"+rand.Text()[:8]+":")
	})
}

func testOpsCluster(t *testing.T, url, prefix string) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "recall.db")
	start := func() *testServer {
		cfg := rtConfig(t, filepath.Join(dir, "unused.db"), url, prefix, true)
		cfg.DB = db
		cfg.OpsInterval = 100 * time.Millisecond
		return startServer(t, cfg, newClock())
	}
	a, b := start(), start()
	_, root := a.signUp(t, "root", "password root")
	r := runCmd(context.Background(), nil, "admin", "grant", "root", "--db", db, "--redis", url, "--redis-prefix", prefix)
	if r.code != 0 {
		t.Fatalf("recall admin grant: %d %s", r.code, r.stderr)
	}
	rootB := b.signIn(t, "root", "password root")

	// Wait (a readiness wait, not an assertion) until a's view has both
	// instances with the requests each answered in one interval.
	var v ops.View
	deadline := time.Now().Add(time.Minute)
	for {
		for range 5 {
			a.do(apiCall{method: "GET", path: "/v1/topics", token: root}).want(t, 200, nil)
			b.do(apiCall{method: "GET", path: "/v1/topics", token: rootB}).want(t, 200, nil)
		}
		a.do(apiCall{method: "GET", path: "/v1/ops", token: root}).want(t, 200, &v)
		if opsReady(v, a.m.Addr(), b.m.Addr()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute, /v1/ops of %s shows %s", a.m.Addr(), viewSummary(v))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v.Source != "redis" || v.Instance != a.m.Addr() || v.Cluster.Redis != "ok" || !v.Cluster.NearCache.Enabled {
		t.Errorf("view %s", viewSummary(v))
	}
	var sum float64
	for _, in := range v.Instances {
		sum += topicsRate(in)
	}
	if got := topicsRate(v.Cluster); math.Abs(got-sum) > 1e-9*sum {
		t.Errorf("cluster GET /v1/topics %g/s, the instances' sum %g/s", got, sum)
	}
	// b sees the same instances.
	var vb ops.View
	b.do(apiCall{method: "GET", path: "/v1/ops", token: rootB}).want(t, 200, &vb)
	if len(vb.Instances) != 2 || vb.Instance != b.m.Addr() {
		t.Errorf("b's view %s", viewSummary(vb))
	}
}

// opsReady says whether v lists exactly the instances, each with GET
// /v1/topics requests.
func opsReady(v ops.View, instances ...string) bool {
	if len(v.Instances) != len(instances) {
		return false
	}
	for i, in := range v.Instances {
		found := false
		for _, want := range instances {
			found = found || in.Instance == want
		}
		if !found || topicsRate(v.Instances[i]) == 0 {
			return false
		}
	}
	return true
}

// topicsRate is the GET /v1/topics requests per second of a snapshot.
func topicsRate(s ops.Snapshot) float64 {
	for _, r := range s.Routes {
		if r.Route == "/v1/topics" && r.Method == "GET" {
			return r.PerSecond
		}
	}
	return 0
}

func viewSummary(v ops.View) string {
	s := fmt.Sprintf("source %s, instance %s, redis %s:", v.Source, v.Instance, v.Cluster.Redis)
	for _, in := range v.Instances {
		s += fmt.Sprintf(" [%s %g topics/s]", in.Instance, topicsRate(in))
	}
	return s
}
