package redistest

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readyBound bounds every wait of this package for servers to agree.
const readyBound = 30 * time.Second

// Cluster is a Redis Cluster of the test's own: masters only, no replicas,
// the slots split evenly by redis-cli --cluster create.
type Cluster struct {
	// Nodes are the masters, in the order of their creation.
	Nodes []*Server
	// URL names every node as a seed: redis://h1:p1,h2:p2,h3:p3.
	URL string
	ids []string
}

// StartShardedCluster starts a Redis Cluster of masters nodes (at least 3,
// as redis-cli requires), each on a free port with a free cluster bus port
// and its nodes.conf in a temporary directory, waits until every node
// reports cluster_state:ok and knows every other, and stops them all when
// the test ends (even if it fails).
func StartShardedCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	SkipShort(tb)
	if masters < 3 {
		tb.Fatalf("redistest: a Redis Cluster needs at least 3 masters, not %d", masters)
	}
	c := &Cluster{}
	addrs := make([]string, masters)
	for i := range masters {
		port, bus := freePort(tb), freePort(tb)
		s := &Server{port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cluster: tb.TempDir()}
		s.URL = "redis://" + s.Addr
		s.launch(tb, []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
			"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
			"--cluster-config-file", "nodes.conf", "--dir", s.cluster,
			"--cluster-node-timeout", "5000"})
		tb.Cleanup(func() { s.Kill(tb) })
		c.Nodes = append(c.Nodes, s)
		addrs[i] = s.Addr
	}
	c.URL = "redis://" + strings.Join(addrs, ",")
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		tb.Fatalf("redistest: redis-cli --cluster create: %v: %s", err, out)
	}
	for _, s := range c.Nodes {
		id, err := cli(s.port, "CLUSTER", "MYID")
		if err != nil {
			tb.Fatalf("redistest: CLUSTER MYID on %s: %v", s.Addr, err)
		}
		c.ids = append(c.ids, id)
	}
	for _, s := range c.Nodes {
		waitUntil(tb, "the cluster is ready on "+s.Addr, func() (bool, string) {
			out, err := cli(s.port, "CLUSTER", "INFO")
			ok := err == nil && strings.Contains(out, "cluster_state:ok") &&
				strings.Contains(out, "cluster_slots_ok:16384") &&
				strings.Contains(out, "cluster_known_nodes:"+strconv.Itoa(masters)+"\r")
			return ok, out
		})
	}
	return c
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
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
	deadline := time.Now().Add(readyBound)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: timed out waiting until %s; last: %s", what, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// launch starts redis-server with args and waits until it answers; Kill
// stops it. Unlike Start, it takes the whole command line (a node started
// with launch cannot be restarted with Start).
func (s *Server) launch(tb testing.TB, args []string) {
	tb.Helper()
	cmd := exec.Command("redis-server", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("redistest: start redis-server: %v", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.ping()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.Kill(tb)
			tb.Fatalf("redistest: redis-server on %s does not answer: %v", s.Addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
