package loadgen

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingServer is a test server that, when closed, records how many
// API requests it served (recall_http_requests_total of the /v1/ routes).
type countingServer struct {
	Server
	served *[]float64
	mu     *sync.Mutex
}

func (s countingServer) Close(ctx context.Context) error {
	n, err := servedRequests(ctx, s.URL())
	s.mu.Lock()
	*s.served = append(*s.served, n)
	s.mu.Unlock()
	return errors.Join(err, s.Server.Close(ctx))
}

// servedRequests sums the server's recall_http_requests_total of the /v1/
// routes.
func servedRequests(ctx context.Context, url string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var n float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if name, labels, v, ok := splitSample(sc.Text()); ok && name == "recall_http_requests_total" && strings.Contains(labelValue(labels, "route"), "/v1/") {
			n += v
		}
	}
	return n, sc.Err()
}

func TestRunInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark for seconds: skipped under -short")
	}
	cfg := smallConfig(ModeNone)
	cfg.Instances = []int{1, 2}
	var (
		mu     sync.Mutex
		served []float64
	)
	log := recordStarts(&cfg)
	log.wrap = func(s Server) Server { return countingServer{Server: s, served: &served, mu: &mu} }
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 || rep.Runs[0].Instances != 1 || rep.Runs[1].Instances != 2 {
		t.Fatalf("runs: want none on 1 then on 2 instances, got %d runs %+v", len(rep.Runs), rep.Runs)
	}
	for _, r := range rep.Runs {
		checkRun(t, r)
	}
	// One server for the first run, two on one database for the second.
	started := log.started()
	if len(started) != 3 || started[0].Count != 1 || started[1].Count != 2 || started[2].Count != 2 {
		t.Fatalf("started %+v", started)
	}
	if started[1].DB != started[2].DB || started[0].DB == started[1].DB {
		t.Errorf("the instances of a run must share a database of the run's own: %q, %q, %q", started[0].DB, started[1].DB, started[2].DB)
	}
	// Both instances of the second run served a fair share of its mixed
	// phase (each has half the virtual users, of both fast and slow
	// operations; the warm-up and isolated phases add to both).
	if len(served) != 3 {
		t.Fatalf("served %v", served)
	}
	for i, n := range served[1:] {
		if mixed := float64(rep.Runs[1].Total.Requests); n < mixed/5 {
			t.Errorf("instance %d of 2 served %v requests of the %v of the mixed phase: the virtual users were not spread", i+1, n, mixed)
		}
	}
	// The database reads of every instance are counted: without a cache a
	// dashboard reads the token, the topic list, the user (its time zone)
	// and the memory states of the user's one topic (the learning stats),
	// wherever it is served.
	one, two := rep.Runs[0].Ops[OpDashboard], rep.Runs[1].Ops[OpDashboard]
	if one.DBReadsPerOp != 4 || two.DBReadsPerOp != 4 {
		t.Errorf("dashboard db_reads_per_op: %v on 1 instance, %v on 2; want 4 on both", one.DBReadsPerOp, two.DBReadsPerOp)
	}
	// The table names the runs and compares them.
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mode none × 1 instance:", "mode none × 2 instances:", "scale none 1→2 instances: dashboard", "scale none 1→2 instances: total"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

// redisServersOn returns the command lines of the live redis-server
// processes that serve one of addrs (host:port), from /proc: redis-server
// shows its address in its process title.
func redisServersOn(t *testing.T, addrs []string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), "redis-server") {
			continue
		}
		fields := strings.Fields(strings.ReplaceAll(string(b), "\x00", " "))
	match:
		for _, a := range addrs {
			_, port, _ := net.SplitHostPort(a)
			for i, f := range fields {
				if strings.HasSuffix(f, ":"+port) || (f == port && i > 0 && fields[i-1] == "--port") {
					out = append(out, strings.Join(fields, " "))
					break match
				}
			}
		}
	}
	return out
}

// clusterAddrs returns the host:port list of a redis://h1:p1,h2:p2 URL.
func clusterAddrs(t *testing.T, url string) []string {
	t.Helper()
	addrs := strings.Split(strings.TrimPrefix(url, "redis://"), ",")
	if len(addrs) != 3 {
		t.Fatalf("the cluster's URL %q does not name three nodes", url)
	}
	return addrs
}

// checkClusterGone asserts that no process serves addrs any more and that
// nothing accepts connections there.
func checkClusterGone(t *testing.T, addrs []string) {
	t.Helper()
	if live := redisServersOn(t, addrs); len(live) > 0 {
		t.Errorf("Redis Cluster nodes still running after the run: %q", live)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the run", a)
		}
	}
}

func TestRunRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("needs redis-server: skipped under -short")
	}
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc to find the cluster's processes")
	}
	// The cluster's and the databases' temporary directories go here, to
	// check that they are removed.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	t.Run("OK", func(t *testing.T) {
		cfg := smallConfig(ModeNear)
		cfg.Redis, cfg.RedisCluster = "", true
		cfg.Users, cfg.Duration, cfg.Instances = 10, 2*time.Second, []int{2}
		var (
			mu    sync.Mutex
			url   string
			alive []string
		)
		cfg.Start = func(ctx context.Context, in Instance) (Server, error) {
			mu.Lock()
			if url == "" {
				// While the run lasts, the nodes are there to be found.
				url = in.Mode.Redis
				alive = redisServersOn(t, clusterAddrs(t, url))
			}
			mu.Unlock()
			return startTestServer(ctx, in)
		}
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Runs) != 1 || rep.Runs[0].Instances != 2 {
			t.Fatalf("runs %+v", rep.Runs)
		}
		checkRun(t, rep.Runs[0])
		if !rep.Config.RedisCluster || rep.Config.Redis != url {
			t.Errorf("report config: redis_cluster %v, redis %q; want true and the cluster's %q", rep.Config.RedisCluster, rep.Config.Redis, url)
		}
		// Served by the cluster, not by a database.
		if o := rep.Runs[0].Ops[OpDashboard]; o.DBReadsPerOp != 0 {
			t.Errorf("dashboard: %v db reads per op on the cluster, want 0", o.DBReadsPerOp)
		}
		addrs := clusterAddrs(t, url)
		if len(alive) != 3 {
			t.Fatalf("during the run, %d redis-server processes served %v: %q", len(alive), addrs, alive)
		}
		checkClusterGone(t, addrs)
	})

	t.Run("Interrupted", func(t *testing.T) {
		// A Ctrl-C (the context ends) during the warm-up.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := smallConfig(ModeRedis)
		cfg.Redis, cfg.RedisCluster = "", true
		cfg.Users, cfg.Duration = 10, time.Minute
		log := recordStarts(&cfg)
		cfg.Progress = cancelOn{text: "warm-up", cancel: cancel}
		_, err := Run(ctx, cfg)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
		started := log.started()
		if len(started) == 0 {
			t.Fatal("no server started before the interruption")
		}
		checkClusterGone(t, clusterAddrs(t, started[len(started)-1].Mode.Redis))
	})

	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Errorf("temporary files left behind: %v %v", left, err)
	}
}

// cancelOn is a progress writer that cancels a context when a line
// contains text.
type cancelOn struct {
	text   string
	cancel context.CancelFunc
}

func (c cancelOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.text) {
		c.cancel()
	}
	return len(p), nil
}
