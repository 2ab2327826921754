package ratelimit

import (
	"context"
	"encoding/csv"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"
)

// The benchmarks compare, in one run, decisions for a three-policy request
// (default, turns, writes) on the shared Redis:
//
//   - BenchmarkLimiterRedis: this package, one EVALSHA per request;
//   - BenchmarkRedisRateThreePolicies: redis_rate, one call per policy;
//   - BenchmarkRedisBenchmarkEVALSHA: redis-benchmark sending the same
//     script (gcra.lua) with three keys, -c 50 -P 1;
//
// each reporting decisions/s. Run them with a fixed count, e.g.
//
//	go test -run='^$' -bench=. -benchtime=200000x ./ratelimit/
//
// Quotas are huge so that every decision admits (and writes), the heavier case.
// The Go benchmarks use 50 goroutines, like redis-benchmark's 50 clients.

const benchClients = 50

func benchPolicies() Policies {
	return policySet(pol("default", 1e9, time.Hour), pol("turns", 1e9, time.Hour), pol("writes", 1e9, time.Hour))
}

func setBenchParallelism(b *testing.B) {
	procs := testingProcs()
	b.SetParallelism((benchClients + procs - 1) / procs)
}

func BenchmarkLimiterRedis(b *testing.B) {
	prefix := testPrefix(b)
	l := newLimiter(b, Config{Policies: benchPolicies(), Redis: newRedisClient(b, sharedRedis), Prefix: prefix, Timeout: time.Second})
	names := []string{"default", "turns", "writes"}
	var seq, refused atomic.Int64
	setBenchParallelism(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			n := seq.Add(1)
			if ok, _ := l.Limit(ctx, "user:"+strconv.FormatInt(n%10000, 10), names, nil); !ok {
				refused.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	if refused.Load() != 0 || l.Degraded() {
		b.Fatalf("%d decisions refused, degraded=%v", refused.Load(), l.Degraded())
	}
}

func BenchmarkRedisRateThreePolicies(b *testing.B) {
	prefix := testPrefix(b)
	rdb := goredis.NewClient(&goredis.Options{Addr: sharedRedis, PoolSize: benchClients})
	b.Cleanup(func() { rdb.Close() })
	rl := redis_rate.NewLimiter(rdb)
	limit := redis_rate.Limit{Rate: 1e9, Burst: 1e9, Period: time.Hour}
	names := []string{"default", "turns", "writes"}
	var seq, refused atomic.Int64
	setBenchParallelism(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			principal := "user:" + strconv.FormatInt(seq.Add(1)%10000, 10)
			for _, name := range names {
				res, err := rl.Allow(ctx, prefix+name+":"+principal, limit)
				if err != nil {
					b.Error(err)
					return
				}
				if res.Allowed == 0 {
					refused.Add(1)
				}
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	b.StopTimer()
	if refused.Load() != 0 {
		b.Fatalf("%d decisions refused", refused.Load())
	}
	// redis_rate's keys are "rate:<key>".
	deleteKeys(b, newRedisClient(b, sharedRedis), "rate:"+prefix)
}

func BenchmarkRedisBenchmarkEVALSHA(b *testing.B) {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		b.Skip("redis-benchmark not installed")
	}
	prefix := testPrefix(b)
	c := newRedisClient(b, sharedRedis)
	sha, err := c.Do(context.Background(), c.B().ScriptLoad().Script(gcraScript).Build()).ToString()
	if err != nil {
		b.Fatal(err)
	}
	ps := benchPolicies()
	args := []string{"-h", "127.0.0.1", "-p", "6379", "-n", strconv.Itoa(b.N), "-c", strconv.Itoa(benchClients),
		"-P", "1", "-r", "10000", "--csv", "EVALSHA", sha, "3"}
	for _, n := range []string{"default", "turns", "writes"} {
		args = append(args, prefix+"rl:{user:__rand_int__}:"+n)
	}
	for _, n := range []string{"default", "turns", "writes"} {
		p := compile(ps[n], nil)
		args = append(args, p.argT, p.argTau)
	}
	b.ResetTimer()
	out, err := exec.Command("redis-benchmark", args...).CombinedOutput()
	b.StopTimer()
	if err != nil {
		b.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	rps, err := parseRedisBenchmarkCSV(string(out))
	if err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	b.ReportMetric(rps, "decisions/s")
	b.Logf("redis-benchmark %s", strings.Join(args, " "))
}

// parseRedisBenchmarkCSV reads the rps column of redis-benchmark --csv.
func parseRedisBenchmarkCSV(out string) (float64, error) {
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		return 0, err
	}
	for _, r := range recs {
		if len(r) > 1 && r[0] != "test" {
			return strconv.ParseFloat(r[1], 64)
		}
	}
	return 0, errf("no result line in redis-benchmark output")
}

func BenchmarkLimiterLocal(b *testing.B) {
	l := newLimiter(b, Config{Policies: benchPolicies()})
	names := []string{"default", "turns", "writes"}
	var seq atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			l.Limit(ctx, "user:"+strconv.FormatInt(seq.Add(1)%10000, 10), names, nil)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}
