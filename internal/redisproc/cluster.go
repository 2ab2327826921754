package redisproc

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
)

// nodeTries is how many times LaunchCluster starts a node on fresh ports
// when the ports it picked were taken in the meantime.
const nodeTries = 3

// Node is one master of a Cluster.
type Node struct {
	// Addr is 127.0.0.1:Port.
	Addr string
	Port int
	// ID is the node's cluster ID.
	ID   string
	proc *Process
}

// Cluster is a Redis Cluster of masters only, no replicas, the slots split
// evenly by redis-cli --cluster create, each node on free loopback ports
// with its files in a temporary directory.
type Cluster struct {
	// Nodes are the masters, in the order of their creation.
	Nodes []*Node
	// URL names every node as a seed: redis://h1:p1,h2:p2,h3:p3.
	URL string
	dir string
}

// LaunchCluster starts a Redis Cluster of masters nodes (at least 3, as
// redis-cli requires) with redis-server and redis-cli from PATH: each node
// on a free port with a free cluster bus port, without persistence, its
// nodes.conf and log in a directory of its own under one temporary
// directory; then redis-cli --cluster create without replicas; and waits
// until every node reports cluster_state:ok, every slot served and every
// node known. The nodes run as Start runs them. The caller must Close the
// cluster; on error, whatever was started is stopped and removed.
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
		n, err := launchNode(ctx, filepath.Join(dir, "node"+strconv.Itoa(i)))
		if err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, n)
		addrs[i] = n.Addr
	}
	c.URL = "redis://" + strings.Join(addrs, ",")
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %w: %s", err, strings.TrimSpace(string(out)))
	}
	for _, n := range c.Nodes {
		if n.ID, err = CLI(n.Port, "CLUSTER", "MYID"); err != nil {
			return nil, fmt.Errorf("CLUSTER MYID on %s: %w", n.Addr, err)
		}
	}
	for _, n := range c.Nodes {
		err := WaitFor(ctx, "the cluster is ready on "+n.Addr, func() (bool, string) {
			out, err := CLI(n.Port, "CLUSTER", "INFO")
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
	for _, n := range c.Nodes {
		n.proc.Kill()
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
func launchNode(ctx context.Context, dir string) (*Node, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	var errs []error
	for range nodeTries {
		port, err := PickPort()
		if err != nil {
			return nil, err
		}
		bus, err := PickPort()
		if err != nil {
			return nil, err
		}
		// A failed try may have left its files: start afresh.
		for _, f := range []string{"nodes.conf", "redis.log"} {
			_ = os.Remove(filepath.Join(dir, f))
		}
		n := &Node{Port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
		n.proc, err = Start(ctx, n.Addr, []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
			"--logfile", filepath.Join(dir, "redis.log"),
			"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
			"--cluster-config-file", "nodes.conf", "--dir", dir,
			"--cluster-node-timeout", "5000"}, filepath.Join(dir, "redis.log"), nil)
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
