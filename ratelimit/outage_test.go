package ratelimit

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/recallhq/recall/metrics"
)

// ownRedis is a redis-server this test starts and kills.
type ownRedis struct {
	addr string
	port int
	cmd  *exec.Cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startRedis(t *testing.T, port int) *ownRedis {
	t.Helper()
	skipShort(t)
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	r := &ownRedis{addr: "127.0.0.1:" + strconv.Itoa(port), port: port, cmd: cmd}
	t.Cleanup(r.kill)
	waitFor(t, "redis-server to answer PING", func() bool {
		c, err := net.DialTimeout("tcp", r.addr, 100*time.Millisecond)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return false
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		return err == nil && line == "+PONG\r\n"
	})
	return r
}

func (r *ownRedis) kill() {
	if r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

// burst sends n concurrent requests for principal, spread over ls, and
// returns how many were admitted.
func burst(ls []*Limiter, principal string, policies []string, n int) int {
	var admitted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if ok, _ := ls[i%len(ls)].Limit(context.Background(), principal, policies, nil); ok {
				admitted.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	return int(admitted.Load())
}

// logCount is a slog.Handler that counts records by message.
type logCount struct {
	mu sync.Mutex
	n  map[string]int
}

func newLogCount() *logCount { return &logCount{n: map[string]int{}} }

func (c *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCount) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCount) WithGroup(string) slog.Handler            { return c }

func (c *logCount) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	c.n[r.Message]++
	c.mu.Unlock()
	return nil
}

func (c *logCount) count(msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[msg]
}

func TestRedisOutage(t *testing.T) {
	port := freePort(t)
	srv := startRedis(t, port)
	policies := policySet(pol("out", 30, time.Hour))
	cfg := func(m *metrics.Metrics, failure string, prefix string) Config {
		return Config{
			Policies: policies, Redis: newRedisClient(t, srv.addr), Prefix: prefix, Metrics: m, Failure: failure,
			Timeout: 50 * time.Millisecond, BreakerThreshold: 2, BreakerCooldown: 100 * time.Millisecond,
			HeartbeatInterval: 50 * time.Millisecond, InstanceTTL: 5 * time.Second,
		}
	}
	var ls []*Limiter
	var ms []*metrics.Metrics
	var logs []*logCount
	for range 3 {
		m := metrics.New(nil)
		ms = append(ms, m)
		logs = append(logs, newLogCount())
		c := cfg(m, FailureLocal, "rl:")
		c.Logger = slog.New(logs[len(logs)-1])
		ls = append(ls, newLimiter(t, c))
	}
	open := newLimiter(t, cfg(metrics.New(nil), FailureOpen, "open:"))
	closed := newLimiter(t, cfg(metrics.New(nil), FailureClosed, "closed:"))
	waitFor(t, "every instance to count 3 live instances", func() bool {
		return ls[0].Instances() == 3 && ls[1].Instances() == 3 && ls[2].Instances() == 3
	})

	// Redis up: one quota across the three instances.
	if got := burst(ls, "user:a", []string{"out"}, 120); got != 30 {
		t.Fatalf("with Redis: admitted %d of 120, want the quota of 30", got)
	}

	// Redis hung (SIGSTOP): every decision gives up after the timeout and
	// falls back; each instance admits quota/3 = 10.
	if err := srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	got := burst(ls, "user:hung", []string{"out"}, 150)
	t.Logf("150 decisions against a hung Redis took %v (timeout 50ms)", time.Since(began))
	if err := srv.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if got != 30 {
		t.Fatalf("with Redis hung: admitted %d of 150, want 30", got)
	}
	fb := 0
	for i := range ls {
		fb += counter(ms[i], "out", ResultFallbackAllowed) + counter(ms[i], "out", ResultFallbackLimited)
	}
	if fb != 150 {
		t.Fatalf("with Redis hung: %d fallback decisions, want 150", fb)
	}
	resumed(t, ls, ms, "user:resume")

	// Redis gone during load: each instance falls back to quota/3 = 10.
	sum := func(result string) int {
		n := 0
		for _, m := range ms {
			n += counter(m, "out", result)
		}
		return n
	}
	fbAllowed0, fbLimited0, allowed0 := sum(ResultFallbackAllowed), sum(ResultFallbackLimited), sum(ResultAllowed)
	srv.kill()
	for _, p := range []string{"user:a", "user:b"} {
		if got := burst(ls, p, []string{"out"}, 300); got != 30 {
			t.Fatalf("without Redis, %s: admitted %d of 300, want quota/instances × instances = 30", p, got)
		}
	}
	for i, l := range ls {
		if !l.Degraded() {
			t.Fatalf("instance %d not degraded without Redis", i)
		}
	}
	fbAllowed, fbLimited, allowed := sum(ResultFallbackAllowed)-fbAllowed0, sum(ResultFallbackLimited)-fbLimited0, sum(ResultAllowed)-allowed0
	if fbAllowed != 60 || fbLimited != 540 || allowed != 0 {
		t.Fatalf("metrics during the outage: fallback_allowed %d fallback_limited %d allowed %d, want 60, 540, 0", fbAllowed, fbLimited, allowed)
	}
	if ok, _ := open.Limit(context.Background(), "user:a", []string{"out"}, nil); !ok {
		t.Fatal("failure mode open refused without Redis")
	}
	if ok, ra := closed.Limit(context.Background(), "user:a", []string{"out"}, nil); ok || ra < time.Second {
		t.Fatalf("failure mode closed: ok=%v retryAfter=%v, want refused for at least 1s", ok, ra)
	}

	// Redis back on the same port: the breaker probes and the Redis path resumes.
	srv = startRedis(t, port)
	resumed(t, ls, ms, "user:c")
	c := newRedisClient(t, srv.addr)
	if n, err := c.Do(context.Background(), c.B().Exists().Key("rl:rl:{user:c}:out").Build()).AsInt64(); err != nil || n != 1 {
		t.Fatalf("the restarted Redis holds no state for user:c: %d, %v", n, err)
	}
	// The shared state is exact again: user:d gets one quota across instances.
	if got := burst(ls, "user:d", []string{"out"}, 120); got != 30 {
		t.Fatalf("after Redis returned: admitted %d of 120, want 30", got)
	}

	// The breaker's transitions are logged once each: it opened and closed
	// again for the hang and for the outage.
	for i, lc := range logs {
		for _, msg := range []string{
			"rate limiter: Redis failing; using the fallback",
			"rate limiter: Redis answers again; decisions are shared again",
		} {
			if n := lc.count(msg); n != 2 {
				t.Errorf("instance %d logged %q %d times, want 2", i, msg, n)
			}
		}
	}
}

// resumed waits until every instance decides through Redis again.
func resumed(t *testing.T, ls []*Limiter, ms []*metrics.Metrics, principal string) {
	t.Helper()
	waitFor(t, "every instance to decide through Redis again", func() bool {
		back := 0
		for i, l := range ls {
			before := counter(ms[i], "out", ResultAllowed)
			l.Limit(context.Background(), principal, []string{"out"}, nil)
			if counter(ms[i], "out", ResultAllowed) > before && !l.Degraded() {
				back++
			}
		}
		return back == len(ls)
	})
}
