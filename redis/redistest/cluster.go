package redistest

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
	"testing"
	"time"
)

// readyBound bounds every wait of this package for servers to agree.
const readyBound = 30 * time.Second

// Bounds of one node's start.
const (
	// nodeTries is how many times LaunchCluster starts a node on fresh
	// ports when the ports it picked were taken in the meantime.
	nodeTries = 3
	// nodeReady bounds the wait for a launched redis-server to answer.
	nodeReady = 10 * time.Second
)

// Cluster is a Redis Cluster of masters only, no replicas, the slots split
// evenly by redis-cli --cluster create, each node on free loopback ports
// with its files in a temporary directory.
type Cluster struct {
	// Nodes are the masters, in the order of their creation.
	Nodes []*Server
	// URL names every node as a seed: redis://h1:p1,h2:p2,h3:p3.
	URL string
	ids []string
	dir string
}

// StartShardedCluster starts a Redis Cluster of masters nodes with
// LaunchCluster and stops it when the test ends (even if it fails).
func StartShardedCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	SkipShort(tb)
	c, err := LaunchCluster(context.Background(), masters)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("redistest: %v", err)
		}
	})
	return c
}

// LaunchCluster starts a Redis Cluster of masters nodes (at least 3, as
// redis-cli requires) with redis-server and redis-cli from PATH: each node
// on a free port with a free cluster bus port, without persistence, its
// nodes.conf and log in a directory of its own under one temporary
// directory; then redis-cli --cluster create without replicas; and waits
// until every node reports cluster_state:ok, every slot served and every
// node known. The nodes run in process groups of their own (a Ctrl-C at
// the terminal reaches the caller only, which stops them with Close) and
// are killed by the kernel if the caller dies first. It needs no test:
// the load generator starts its clusters with it. The caller must Close
// the cluster; on error, whatever was started is stopped and removed.
func LaunchCluster(ctx context.Context, masters int) (_ *Cluster, err error) {
	if masters < 3 {
		return nil, fmt.Errorf("a Redis Cluster needs at least 3 masters, not %d", masters)
	}
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("a Redis Cluster needs %s in PATH: %w", bin, err)
		}
	}
	dir, err := os.MkdirTemp("", "redis-cluster-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	c := &Cluster{dir: dir}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Close())
		}
	}()
	addrs := make([]string, masters)
	for i := range masters {
		s, err := launchNode(ctx, filepath.Join(dir, "node"+strconv.Itoa(i)))
		if err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, s)
		addrs[i] = s.Addr
	}
	c.URL = "redis://" + strings.Join(addrs, ",")
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %w: %s", err, strings.TrimSpace(string(out)))
	}
	for _, s := range c.Nodes {
		id, err := cli(s.port, "CLUSTER", "MYID")
		if err != nil {
			return nil, fmt.Errorf("CLUSTER MYID on %s: %w", s.Addr, err)
		}
		c.ids = append(c.ids, id)
	}
	for _, s := range c.Nodes {
		err := waitFor(ctx, "the cluster is ready on "+s.Addr, func() (bool, string) {
			out, err := cli(s.port, "CLUSTER", "INFO")
			ok := err == nil && strings.Contains(out, "cluster_state:ok") &&
				strings.Contains(out, "cluster_slots_ok:16384") &&
				strings.Contains(out, "cluster_known_nodes:"+strconv.Itoa(masters)+"\r")
			return ok, out
		})
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Close kills every node, waits for it to end and removes the temporary
// directory. It may be called more than once.
func (c *Cluster) Close() error {
	for _, s := range c.Nodes {
		s.kill()
	}
	if c.dir == "" {
		return nil
	}
	err := os.RemoveAll(c.dir)
	c.dir = ""
	return err
}

// launchNode starts a cluster-enabled redis-server in dir on free ports,
// trying fresh ports when the ones it picked were taken in the meantime.
func launchNode(ctx context.Context, dir string) (*Server, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	var errs []error
	for range nodeTries {
		port, err := pickPort()
		if err != nil {
			return nil, err
		}
		bus, err := pickPort()
		if err != nil {
			return nil, err
		}
		// A failed try may have left its files: start afresh.
		for _, f := range []string{"nodes.conf", "redis.log"} {
			_ = os.Remove(filepath.Join(dir, f))
		}
		s := &Server{port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cluster: dir, busPort: bus}
		s.URL = "redis://" + s.Addr
		err = s.start(ctx, []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
			"--logfile", filepath.Join(dir, "redis.log"),
			"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
			"--cluster-config-file", "nodes.conf", "--dir", dir,
			"--cluster-node-timeout", "5000"}, filepath.Join(dir, "redis.log"))
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// ID returns the cluster node ID of node i.
func (c *Cluster) ID(i int) string { return c.ids[i] }

// Slot returns the hash slot of key, as Redis computes it.
func (c *Cluster) Slot(tb testing.TB, key string) int {
	tb.Helper()
	out, err := cli(c.Nodes[0].port, "CLUSTER", "KEYSLOT", key)
	if err != nil {
		tb.Fatalf("redistest: CLUSTER KEYSLOT: %v", err)
	}
	n, err := strconv.Atoi(out)
	if err != nil {
		tb.Fatalf("redistest: CLUSTER KEYSLOT: %q", out)
	}
	return n
}

// Owner returns the index of the node that serves slot, as node 0 sees it.
func (c *Cluster) Owner(tb testing.TB, slot int) int {
	tb.Helper()
	out, err := cli(c.Nodes[0].port, "CLUSTER", "SLOTS")
	if err != nil {
		tb.Fatalf("redistest: CLUSTER SLOTS: %v", err)
	}
	// redis-cli prints each range as: start, end, then host, port, id, ...
	lines := strings.Fields(out)
	for i := 0; i+4 < len(lines); i++ {
		lo, err1 := strconv.Atoi(lines[i])
		hi, err2 := strconv.Atoi(lines[i+1])
		if err1 != nil || err2 != nil || lines[i+2] != "127.0.0.1" {
			continue
		}
		if slot < lo || slot > hi {
			continue
		}
		for j, s := range c.Nodes {
			if strconv.Itoa(s.port) == lines[i+3] {
				return j
			}
		}
	}
	tb.Fatalf("redistest: no node serves slot %d: %s", slot, out)
	return -1
}

// KeysAt returns the number of keys node i holds in slot.
func (c *Cluster) KeysAt(tb testing.TB, i, slot int) int {
	tb.Helper()
	out, err := cli(c.Nodes[i].port, "CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(slot))
	if err != nil {
		tb.Fatalf("redistest: CLUSTER COUNTKEYSINSLOT: %v", err)
	}
	n, err := strconv.Atoi(out)
	if err != nil {
		tb.Fatalf("redistest: CLUSTER COUNTKEYSINSLOT: %q", out)
	}
	return n
}

// Migration is a slot being moved from one node to another, step by step,
// as redis-cli --cluster reshard does it: BeginMigration marks the slot
// IMPORTING on the target and MIGRATING on the source (from then on the
// source answers ASK for the keys it no longer holds), MoveKeys MIGRATEs
// the slot's keys, and Finish assigns the slot to the target on every node
// (from then on the others answer MOVED).
type Migration struct {
	c            *Cluster
	slot         int
	from, to     int
	moved, ended bool
}

// BeginMigration starts moving slot to node to.
func (c *Cluster) BeginMigration(tb testing.TB, slot, to int) *Migration {
	tb.Helper()
	from := c.Owner(tb, slot)
	if from == to {
		tb.Fatalf("redistest: node %d already serves slot %d", to, slot)
	}
	m := &Migration{c: c, slot: slot, from: from, to: to}
	s := strconv.Itoa(slot)
	m.do(tb, to, "CLUSTER", "SETSLOT", s, "IMPORTING", c.ids[from])
	m.do(tb, from, "CLUSTER", "SETSLOT", s, "MIGRATING", c.ids[to])
	return m
}

// From returns the index of the node the slot leaves.
func (m *Migration) From() int { return m.from }

// MoveKeys moves every key of the slot to the target and returns how many
// it moved.
func (m *Migration) MoveKeys(tb testing.TB) int {
	tb.Helper()
	moved := 0
	src, dst := m.c.Nodes[m.from], m.c.Nodes[m.to]
	for {
		out, err := cli(src.port, "CLUSTER", "GETKEYSINSLOT", strconv.Itoa(m.slot), "100")
		if err != nil {
			tb.Fatalf("redistest: CLUSTER GETKEYSINSLOT: %v", err)
		}
		keys := strings.Fields(out)
		if len(keys) == 0 {
			m.moved = true
			return moved
		}
		args := append([]string{"MIGRATE", "127.0.0.1", strconv.Itoa(dst.port), "", "0", "5000", "KEYS"}, keys...)
		m.do(tb, m.from, args...)
		moved += len(keys)
	}
}

// Finish assigns the slot to the target on every node, target first.
func (m *Migration) Finish(tb testing.TB) {
	tb.Helper()
	if !m.moved {
		m.MoveKeys(tb)
	}
	s := strconv.Itoa(m.slot)
	m.do(tb, m.to, "CLUSTER", "SETSLOT", s, "NODE", m.c.ids[m.to])
	m.do(tb, m.from, "CLUSTER", "SETSLOT", s, "NODE", m.c.ids[m.to])
	for i := range m.c.Nodes {
		if i != m.to && i != m.from {
			m.do(tb, i, "CLUSTER", "SETSLOT", s, "NODE", m.c.ids[m.to])
		}
	}
	m.ended = true
}

func (m *Migration) do(tb testing.TB, node int, args ...string) {
	tb.Helper()
	out, err := cli(m.c.Nodes[node].port, args...)
	if err != nil || out != "OK" {
		tb.Fatalf("redistest: %s on node %d: %q, %v", strings.Join(args, " "), node, out, err)
	}
}

// MoveSlot moves slot to node to in one go.
func (c *Cluster) MoveSlot(tb testing.TB, slot, to int) {
	tb.Helper()
	c.BeginMigration(tb, slot, to).Finish(tb)
}

// freePort returns a TCP port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	port, err := pickPort()
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// pickPort returns a loopback TCP port that was free a moment ago.
func pickPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// cli runs redis-cli against the server on port and returns its output
// without the trailing newline; an error reply is an error.
func cli(port int, args ...string) (string, error) {
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port)}, args...)
	cmd := exec.Command("redis-cli", all...)
	out, err := cmd.Output()
	s := strings.TrimRight(string(out), "\n")
	if err != nil {
		return s, fmt.Errorf("redis-cli %s: %w", strings.Join(args, " "), err)
	}
	for _, p := range []string{"ERR", "MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "IOERR", "BUSYKEY", "NOKEY"} {
		if strings.HasPrefix(s, p) {
			return s, fmt.Errorf("redis-cli %s: %s", strings.Join(args, " "), s)
		}
	}
	return s, nil
}

// waitUntil polls cond every 20ms until it holds; after readyBound the
// test fails with what cond last reported.
func waitUntil(tb testing.TB, what string, cond func() (bool, string)) {
	tb.Helper()
	if err := waitFor(context.Background(), what, cond); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
}

// waitFor polls cond every 20ms until it holds, for at most readyBound or
// until ctx ends.
func waitFor(ctx context.Context, what string, cond func() (bool, string)) error {
	deadline := time.Now().Add(readyBound)
	for {
		ok, last := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting until %s; last: %s", what, last)
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
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

// launch starts redis-server with args and waits until it answers; Kill
// stops it. Unlike Start, it takes the whole command line (a node started
// with launch cannot be restarted with Start).
func (s *Server) launch(tb testing.TB, args []string) {
	tb.Helper()
	if err := s.start(context.Background(), args, ""); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
}

// start starts redis-server with args in a process group of its own, to be
// killed by the kernel if this process dies, and waits until it answers
// (at most nodeReady, or until ctx ends); on error it is stopped. logFile,
// when set, is the server's log, whose end an error quotes.
func (s *Server) start(ctx context.Context, args []string, logFile string) error {
	cmd := exec.Command("redis-server", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	exited := s.exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	deadline := time.Now().Add(nodeReady)
	for {
		err := s.ping()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			s.kill()
			return fmt.Errorf("redis-server on %s exited: %s", s.Addr, tail(logFile))
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.kill()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("redis-server on %s does not answer after %s: %v %s", s.Addr, nodeReady, err, tail(logFile))
		}
		_ = sleep(ctx, 10*time.Millisecond)
	}
}

// tail returns the end of the file name, if any.
func tail(name string) string {
	if name == "" {
		return ""
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	t := strings.TrimSpace(string(b))
	if len(t) > 500 {
		t = t[len(t)-500:]
	}
	return t
}
