package redistest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/recallhq/recall/internal/redisproc"
)

// Cluster is a Redis Cluster of masters only, launched by
// redisproc.LaunchCluster, with the means for a test to see and move its
// slots.
type Cluster struct {
	*redisproc.Cluster
}

// StartShardedCluster starts a Redis Cluster of masters nodes with
// redisproc.LaunchCluster and stops it when the test ends (even if it
// fails).
func StartShardedCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	SkipShort(tb)
	c, err := redisproc.LaunchCluster(context.Background(), masters)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("redistest: %v", err)
		}
	})
	return &Cluster{c}
}

// ID returns the cluster node ID of node i.
func (c *Cluster) ID(i int) string { return c.Nodes[i].ID }

// Slot returns the hash slot of key, as Redis computes it.
func (c *Cluster) Slot(tb testing.TB, key string) int {
	tb.Helper()
	out, err := redisproc.CLI(c.Nodes[0].Port, "CLUSTER", "KEYSLOT", key)
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
	out, err := redisproc.CLI(c.Nodes[0].Port, "CLUSTER", "SLOTS")
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
		for j, n := range c.Nodes {
			if strconv.Itoa(n.Port) == lines[i+3] {
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
	out, err := redisproc.CLI(c.Nodes[i].Port, "CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(slot))
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
	m.do(tb, to, "CLUSTER", "SETSLOT", s, "IMPORTING", c.ID(from))
	m.do(tb, from, "CLUSTER", "SETSLOT", s, "MIGRATING", c.ID(to))
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
		out, err := redisproc.CLI(src.Port, "CLUSTER", "GETKEYSINSLOT", strconv.Itoa(m.slot), "100")
		if err != nil {
			tb.Fatalf("redistest: CLUSTER GETKEYSINSLOT: %v", err)
		}
		keys := strings.Fields(out)
		if len(keys) == 0 {
			m.moved = true
			return moved
		}
		args := append([]string{"MIGRATE", "127.0.0.1", strconv.Itoa(dst.Port), "", "0", "5000", "KEYS"}, keys...)
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
	m.do(tb, m.to, "CLUSTER", "SETSLOT", s, "NODE", m.c.ID(m.to))
	m.do(tb, m.from, "CLUSTER", "SETSLOT", s, "NODE", m.c.ID(m.to))
	for i := range m.c.Nodes {
		if i != m.to && i != m.from {
			m.do(tb, i, "CLUSTER", "SETSLOT", s, "NODE", m.c.ID(m.to))
		}
	}
	m.ended = true
}

func (m *Migration) do(tb testing.TB, node int, args ...string) {
	tb.Helper()
	out, err := redisproc.CLI(m.c.Nodes[node].Port, args...)
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
	port, err := redisproc.PickPort()
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// waitUntil polls cond every 20ms until it holds; after 30 s the test
// fails with what cond last reported.
func waitUntil(tb testing.TB, what string, cond func() (bool, string)) {
	tb.Helper()
	if err := redisproc.WaitFor(context.Background(), what, cond); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
}
