package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Bounds of the Redis Cluster's start.
const (
	// clusterNodeTries is how many times a node is started on fresh ports
	// when the ports it was given were taken in the meantime.
	clusterNodeTries = 3
	// clusterNodeReady bounds the wait for one node to answer PING.
	clusterNodeReady = 10 * time.Second
	// clusterReady bounds the wait for every node to agree on the cluster.
	clusterReady = 30 * time.Second
)

// RedisCluster is a Redis Cluster of masters only, started by the benchmark
// on free loopback ports, each node with its own temporary directory.
// Close stops every node and removes the directories.
type RedisCluster struct {
	// URL names every master as a seed: redis://h1:p1,h2:p2,h3:p3.
	URL   string
	dir   string
	nodes []*clusterNode
}

// clusterNode is one redis-server process of a RedisCluster.
type clusterNode struct {
	addr string
	port int
	dir  string
	cmd  *exec.Cmd
	// exited is closed when the process has ended (and been waited for).
	exited chan struct{}
}

// StartRedisCluster starts a Redis Cluster of masters nodes (at least 3,
// as redis-cli requires) with redis-server and redis-cli from PATH: each
// node on a free port with a free cluster bus port, no persistence, then
// redis-cli --cluster create without replicas, and waits until every node
// reports cluster_state:ok with every slot served and every node known.
// The nodes run in a process group of their own (a Ctrl-C at the terminal
// reaches the benchmark only, which stops them with Close) and are killed
// by the kernel if the benchmark dies first. On error, whatever was started
// is stopped.
func StartRedisCluster(ctx context.Context, masters int) (_ *RedisCluster, err error) {
	if masters < 3 {
		return nil, fmt.Errorf("a Redis Cluster needs at least 3 masters, not %d", masters)
	}
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("--redis-cluster needs %s in PATH: %w", bin, err)
		}
	}
	dir, err := os.MkdirTemp("", "recall-bench-redis-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	c := &RedisCluster{dir: dir}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Close())
		}
	}()
	addrs := make([]string, masters)
	for i := range masters {
		n, err := startClusterNode(ctx, filepath.Join(dir, "node"+strconv.Itoa(i)))
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, n)
		addrs[i] = n.addr
	}
	c.URL = "redis://" + strings.Join(addrs, ",")
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %w: %s", err, strings.TrimSpace(string(out)))
	}
	want := []string{"cluster_state:ok", "cluster_slots_ok:16384", "cluster_known_nodes:" + strconv.Itoa(masters) + "\r"}
	deadline := time.Now().Add(clusterReady)
	for _, n := range c.nodes {
		for {
			out, err := n.cli(ctx, "CLUSTER", "INFO")
			ready := err == nil
			for _, w := range want {
				ready = ready && strings.Contains(out, w)
			}
			if ready {
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("the Redis Cluster is not ready on %s after %s: %v %s", n.addr, clusterReady, err, out)
			}
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// Close kills every node, waits for it to end and removes the temporary
// directories. It may be called more than once.
func (c *RedisCluster) Close() error {
	var errs []error
	for _, n := range c.nodes {
		errs = append(errs, n.stop())
	}
	c.nodes = nil
	if c.dir != "" {
		errs = append(errs, os.RemoveAll(c.dir))
		c.dir = ""
	}
	return errors.Join(errs...)
}

// startClusterNode starts a cluster-enabled redis-server in dir on free
// ports and waits until it answers, trying fresh ports if the first ones
// were taken in the meantime.
func startClusterNode(ctx context.Context, dir string) (*clusterNode, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	var errs []error
	for range clusterNodeTries {
		n, err := tryClusterNode(ctx, dir)
		if err == nil {
			return n, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func tryClusterNode(ctx context.Context, dir string) (*clusterNode, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	bus, err := freePort()
	if err != nil {
		return nil, err
	}
	// A failed try may have left its files: start afresh.
	for _, f := range []string{"nodes.conf", "redis.log"} {
		_ = os.Remove(filepath.Join(dir, f))
	}
	n := &clusterNode{port: port, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, exited: make(chan struct{})}
	n.cmd = exec.Command("redis-server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
		"--logfile", filepath.Join(dir, "redis.log"), "--dir", dir,
		"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
		"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	go func() {
		_ = n.cmd.Wait()
		close(n.exited)
	}()
	deadline := time.Now().Add(clusterNodeReady)
	for {
		out, err := n.cli(ctx, "PING")
		if err == nil && out == "PONG" {
			return n, nil
		}
		select {
		case <-n.exited:
			return nil, fmt.Errorf("redis-server on %s exited: %s", n.addr, n.log())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = n.stop()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("redis-server on %s does not answer after %s: %v %s", n.addr, clusterNodeReady, err, n.log())
		}
		_ = sleep(ctx, 20*time.Millisecond)
	}
}

// stop kills the node and waits for it to end.
func (n *clusterNode) stop() error {
	select {
	case <-n.exited:
		return nil
	default:
	}
	if err := n.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop redis-server on %s: %w", n.addr, err)
	}
	<-n.exited
	return nil
}

// log returns the end of the node's log file.
func (n *clusterNode) log() string {
	b, err := os.ReadFile(filepath.Join(n.dir, "redis.log"))
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = s[len(s)-500:]
	}
	return s
}

// cli runs redis-cli against the node and returns its output without the
// trailing newline; an error reply is an error.
func (n *clusterNode) cli(ctx context.Context, args ...string) (string, error) {
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(n.port)}, args...)
	out, err := exec.CommandContext(ctx, "redis-cli", all...).Output()
	s := strings.TrimRight(string(out), "\n")
	if err != nil {
		return s, fmt.Errorf("redis-cli %s: %w", strings.Join(args, " "), err)
	}
	if strings.HasPrefix(s, "ERR") || strings.HasPrefix(s, "Could not connect") {
		return s, fmt.Errorf("redis-cli %s: %s", strings.Join(args, " "), s)
	}
	return s, nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
