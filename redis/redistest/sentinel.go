package redistest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/recallhq/recall/internal/redisproc"
)

// SentinelMaster is the name the sentinels of StartSentinel monitor.
const SentinelMaster = "recalltest"

// Sentinel is a Redis primary with one replica, watched by three
// sentinels, all of the test's own. The sentinels notice a primary that
// stopped answering after 500 ms and fail over to the replica.
type Sentinel struct {
	// Primary is the primary at start, Replica its replica.
	Primary, Replica *Server
	// Sentinels are the three sentinels.
	Sentinels []*Server
	// URL is redis-sentinel://s1,s2,s3/SentinelMaster.
	URL string
}

// StartSentinel starts the primary, the replica and three sentinels on free
// ports, waits until the replica is in sync and every sentinel knows the
// replica and the two other sentinels (so that a failover can be
// authorized), and stops them all when the test ends (even if it fails).
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	SkipShort(tb)
	st := &Sentinel{}
	st.Primary = st.dataNode(tb, "")
	st.Replica = st.dataNode(tb, st.Primary.Addr)
	waitUntil(tb, "the replica is in sync", func() (bool, string) {
		out, err := redisproc.CLI(st.Replica.port, "INFO", "replication")
		return err == nil && strings.Contains(out, "master_link_status:up"), out
	})
	addrs := make([]string, 3)
	for i := range addrs {
		port := freePort(tb)
		dir := tb.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Sprintf(`port %d
bind 127.0.0.1
daemonize no
loglevel warning
dir %s
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s 500
sentinel failover-timeout %s 3000
sentinel parallel-syncs %s 1
`, port, dir, SentinelMaster, st.Primary.port, SentinelMaster, SentinelMaster, SentinelMaster)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			tb.Fatal(err)
		}
		s := &Server{port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
		s.URL = "redis://" + s.Addr
		s.launch(tb, []string{conf, "--sentinel"})
		tb.Cleanup(func() { s.Kill(tb) })
		st.Sentinels = append(st.Sentinels, s)
		addrs[i] = s.Addr
	}
	st.URL = "redis-sentinel://" + strings.Join(addrs, ",") + "/" + SentinelMaster
	for _, s := range st.Sentinels {
		waitUntil(tb, "sentinel "+s.Addr+" knows the replica and the other sentinels", func() (bool, string) {
			out, err := redisproc.CLI(s.port, "SENTINEL", "MASTER", SentinelMaster)
			if err != nil {
				return false, out
			}
			f := fieldsOf(out)
			return f["num-slaves"] == "1" && f["num-other-sentinels"] == "2", out
		})
	}
	return st
}

// dataNode starts a primary (replicaOf empty) or a replica.
func (st *Sentinel) dataNode(tb testing.TB, replicaOf string) *Server {
	tb.Helper()
	port := freePort(tb)
	s := &Server{port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	s.URL = "redis://" + s.Addr
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
		"--dir", tb.TempDir()}
	if replicaOf != "" {
		host, p, _ := net.SplitHostPort(replicaOf)
		args = append(args, "--replicaof", host, p)
	}
	s.launch(tb, args)
	tb.Cleanup(func() { s.Kill(tb) })
	return s
}

// MasterAddr returns the primary's address as the first answering
// sentinel names it.
func (st *Sentinel) MasterAddr(tb testing.TB) string {
	tb.Helper()
	var last error
	for _, s := range st.Sentinels {
		out, err := redisproc.CLI(s.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMaster)
		if err != nil {
			last = err
			continue
		}
		if f := strings.Fields(out); len(f) == 2 {
			return net.JoinHostPort(f[0], f[1])
		}
		last = fmt.Errorf("unexpected reply %q", out)
	}
	tb.Fatalf("redistest: no sentinel names the primary: %v", last)
	return ""
}

// WaitFailover waits until every live sentinel names a primary other than
// old and that server says it is a master; it returns its address.
func (st *Sentinel) WaitFailover(tb testing.TB, old string) string {
	tb.Helper()
	var addr string
	waitUntil(tb, "the sentinels fail over from "+old, func() (bool, string) {
		addr = ""
		for _, s := range st.Sentinels {
			if s.proc == nil {
				continue
			}
			out, err := redisproc.CLI(s.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMaster)
			f := strings.Fields(out)
			if err != nil || len(f) != 2 {
				return false, out
			}
			a := net.JoinHostPort(f[0], f[1])
			if a == old || (addr != "" && a != addr) {
				return false, "sentinel " + s.Addr + " names " + a
			}
			addr = a
		}
		_, p, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(p)
		out, err := redisproc.CLI(port, "ROLE")
		return err == nil && strings.HasPrefix(out, "master"), out
	})
	return addr
}

// fieldsOf reads redis-cli's rendering of a flat name, value, ... reply.
func fieldsOf(out string) map[string]string {
	lines := strings.Split(out, "\n")
	m := make(map[string]string, len(lines)/2)
	for i := 0; i+1 < len(lines); i += 2 {
		m[lines[i]] = lines[i+1]
	}
	return m
}
