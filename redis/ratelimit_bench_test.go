package redis_test

import (
	"context"
	"encoding/csv"
	"errors"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/redis"
	"github.com/recallhq/recall/redis/redistest"
)

// The benchmarks compare, in one run, decisions for a three-policy request
// (default, turns, writes) on the shared Redis:
//
//   - BenchmarkLimiterRedis: ratelimit.Limiter over RateLimiter, one
//     EVALSHA per request;
//   - BenchmarkRedisRateThreePolicies: redis_rate, one call per policy;
//   - BenchmarkRedisBenchmarkEVALSHA: redis-benchmark sending the same
//     script (gcra.lua) with three keys, -c 50 -P 1;
//
// each reporting decisions/s. Run them with a fixed count, e.g.
//
//	go test -run='^$' -bench='Limiter|RedisRate|EVALSHA' -benchtime=200000x ./redis/
//
// Quotas are huge so that every decision admits (and writes), the heavier case.
// The Go benchmarks use 50 goroutines, like redis-benchmark's 50 clients.

const benchClients = 50

var benchNames = []string{"default", "turns", "writes"}

func benchPolicies() ratelimit.Policies {
	ps := ratelimit.Policies{}
	for _, n := range benchNames {
		ps[n] = ratelimit.Policy{Name: n, Quota: 1e9, Window: time.Hour}
	}
	return ps
}

func setBenchParallelism(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchClients + procs - 1) / procs)
}

func BenchmarkLimiterRedis(b *testing.B) {
	c := connect(b, redis.Options{DisableNearCache: true, Timeout: time.Second})
	l, err := ratelimit.New(ratelimit.Config{Policies: benchPolicies(), Backend: redis.NewRateLimiter(c)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(l.Close)
	var seq, refused atomic.Int64
	setBenchParallelism(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			n := seq.Add(1)
			if ok, _ := l.Limit(ctx, "user:"+strconv.FormatInt(n%10000, 10), benchNames, nil); !ok {
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
	prefix := redistest.Prefix(b)
	rdb := goredis.NewClient(&goredis.Options{Addr: redistest.SharedAddr, PoolSize: benchClients})
	b.Cleanup(func() { rdb.Close() })
	rl := redis_rate.NewLimiter(rdb)
	limit := redis_rate.Limit{Rate: 1e9, Burst: 1e9, Period: time.Hour}
	var seq, refused atomic.Int64
	setBenchParallelism(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			principal := "user:" + strconv.FormatInt(seq.Add(1)%10000, 10)
			for _, name := range benchNames {
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
	redistest.DeletePrefix(b, redistest.SharedAddr, "rate:"+prefix)
}

func BenchmarkRedisBenchmarkEVALSHA(b *testing.B) {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		b.Skip("redis-benchmark not installed")
	}
	prefix := redistest.Prefix(b)
	c := connect(b, redis.Options{Prefix: prefix, DisableNearCache: true})
	sha, err := c.Rueidis().Do(context.Background(), c.Rueidis().B().ScriptLoad().Script(redis.GCRAScript).Build()).ToString()
	if err != nil {
		b.Fatal(err)
	}
	args := []string{"-h", "127.0.0.1", "-p", "6379", "-n", strconv.Itoa(b.N), "-c", strconv.Itoa(benchClients),
		"-P", "1", "-r", "10000", "--csv", "EVALSHA", sha, "3"}
	for _, n := range benchNames {
		args = append(args, prefix+"rl:user:{__rand_int__}:"+n)
	}
	for range benchNames {
		// T and tau in microseconds of 1e9 per hour: 3 µs and one hour.
		args = append(args, "3", "3600000000")
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
	return 0, errors.New("no result line in redis-benchmark output")
}
