//go:build soak

package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/recallhq/recall/redis/redistest"
)

// Soak settings, from the environment (make soak sets them).
const (
	soakDurationEnv = "RECALL_SOAK_DURATION"      // default 10m
	soakRestartEnv  = "RECALL_SOAK_REDIS_RESTART" // default 1m
	soakWorkersEnv  = "RECALL_SOAK_WORKERS"       // default 8
)

// TestSoak runs the load generator's mix against one Recall (SQLite and
// its own Redis) for RECALL_SOAK_DURATION, killing and restarting Redis
// every RECALL_SOAK_REDIS_RESTART. Each minute it prints the requests, the
// errors and the p99 latency; at the end the acknowledged writes are
// checked against the database: lost writes must be 0. Run it with
// `make soak` (build tag soak: it never runs in `make test`).
func TestSoak(t *testing.T) {
	duration := envDuration(t, soakDurationEnv, 10*time.Minute)
	every := envDuration(t, soakRestartEnv, time.Minute)
	n := 8
	if v := os.Getenv(soakWorkersEnv); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", soakWorkersEnv, v)
		}
	}

	rs := redistest.StartServer(t)
	dbPath := filepath.Join(t.TempDir(), "recall.db")
	in := startRecall(t, recallConfig{db: "sqlite:" + dbPath, redis: rs.URL, prefix: "soak:" + randomSuffix() + ":"})
	l := newLoad(t, in.URL(), n)
	l.mix = benchMix()
	fmt.Printf("soak: %s of the bench mix, %d clients, Redis killed and restarted every %s (race=%v)\n", duration, n, every, raceEnabled)
	fmt.Printf("%-8s %9s %7s %7s %9s %6s %10s %10s\n", "minute", "requests", "errors", "5xx", "transport", "hangs", "p99", "max")

	start := time.Now()
	stop := l.run(context.Background())
	defer stop()
	cur := l.rec.setPhase("minute 1")
	for i := 1; ; i++ {
		end := start.Add(time.Duration(i) * every)
		if limit := start.Add(duration); end.After(limit) {
			end = limit
		}
		time.Sleep(time.Until(end))
		last := !time.Now().Before(start.Add(duration))
		next := l.rec.setPhase(fmt.Sprintf("minute %d", i+1))
		l.rec.mu.Lock()
		fmt.Printf("%-8d %9d %7d %7d %9d %6d %10s %10s\n", i, cur.requests, cur.non2xx()+cur.transport+cur.hangs,
			cur.errors5xx(), cur.transport, cur.hangs, cur.p(0.99).Round(time.Microsecond), cur.max.Round(time.Microsecond))
		l.rec.mu.Unlock()
		if last {
			break
		}
		// Redis goes away at the start of every minute but the first.
		rs.Kill(t)
		time.Sleep(time.Second)
		rs.Start(t)
		cur = next
	}
	stop()
	in.stop()

	all := l.rec.all()
	res := verifySQLite(t, l, dbPath)
	errs := all.non2xx() + all.transport + all.hangs
	fmt.Printf("soak: %s, %d requests, %d errors (%d 5xx), p99 %s, max %s; acknowledged %d topics, %d questions, %d turns: lost writes %d (must be 0), duplicated %d\n",
		time.Since(start).Round(time.Second), all.requests, errs, all.errors5xx(), all.p(0.99).Round(time.Microsecond),
		all.max.Round(time.Microsecond), res.Topics, res.Questions, res.Turns, len(res.Lost), len(res.Duplicated))
	if errs > 0 {
		t.Errorf("%d requests failed:\n%s", errs, l.rec.report())
	}
	if all.stale > 0 {
		t.Errorf("%d reads missed an acknowledged write", all.stale)
	}
}

// envDuration reads a duration from the environment.
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration such as 10m", name, v)
	}
	return d
}
