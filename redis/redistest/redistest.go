// Package redistest helps tests that use Redis: a fresh key prefix on the
// shared Redis whose keys are deleted after the test (never FLUSHALL), and
// private redis-server processes that a test may kill, pause and restart.
package redistest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/recallhq/recall/internal/redisproc"
)

// SharedAddr is the address of the Redis every test run shares.
const SharedAddr = "127.0.0.1:6379"

// SharedURL is SharedAddr as a URL.
const SharedURL = "redis://" + SharedAddr

// SkipShort skips tb under -short: the tests that need Redis (the shared
// one or redis-server processes of their own) are not part of the fast
// loop, which runs without services. Every starter of this package and
// Prefix call it; a test that reaches SharedAddr without them calls it too.
func SkipShort(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs Redis: skipped under -short")
	}
}

// Prefix returns a key prefix of its own, "test:<random>:", and deletes
// every key under it when the test ends.
func Prefix(tb testing.TB) string {
	tb.Helper()
	SkipShort(tb)
	prefix := "test:" + rand.Text()[:12] + ":"
	tb.Cleanup(func() { DeletePrefix(tb, SharedAddr, prefix) })
	return prefix
}

// DeletePrefix deletes the keys under prefix at addr with SCAN and UNLINK.
func DeletePrefix(tb testing.TB, addr, prefix string) {
	tb.Helper()
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		tb.Errorf("redistest: cleanup of %s*: %v", prefix, err)
		return
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cursor uint64
	for {
		e, err := rc.Do(ctx, rc.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			tb.Errorf("redistest: cleanup of %s*: %v", prefix, err)
			return
		}
		if len(e.Elements) > 0 {
			if err := rc.Do(ctx, rc.B().Unlink().Key(e.Elements...).Build()).Error(); err != nil {
				tb.Errorf("redistest: cleanup of %s*: %v", prefix, err)
				return
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return
		}
	}
}

// Server is a redis-server of the test's own, without persistence.
type Server struct {
	// Addr is host:port, URL is redis://Addr.
	Addr    string
	URL     string
	port    int
	proc    *redisproc.Process // nil while the server is stopped
	cluster string             // the directory of nodes.conf for a cluster node
	busPort int                // the cluster bus port (a free one, not port+10000)
	tlsDir  string             // the directory of cert.pem and key.pem for TLS
	// RootCAs trusts the certificate of a TLS server.
	RootCAs *x509.CertPool
}

// StartServer starts a redis-server on a free port and stops it when the
// test ends.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	SkipShort(tb)
	port := freePort(tb)
	s := &Server{port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	s.URL = "redis://" + s.Addr
	s.Start(tb)
	tb.Cleanup(func() { s.Kill(tb) })
	return s
}

// StartCluster starts a Redis Cluster of one node that serves every slot,
// so that clients run in Cluster mode (hash slots checked, MOVED handled).
// Its URL names the node twice: several seeds make a Cluster URL.
func StartCluster(tb testing.TB) *Server {
	tb.Helper()
	SkipShort(tb)
	port := freePort(tb)
	s := &Server{port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cluster: tb.TempDir(), busPort: freePort(tb)}
	s.URL = "redis://" + s.Addr + "," + s.Addr
	s.Start(tb)
	tb.Cleanup(func() { s.Kill(tb) })
	if out, err := redisproc.CLI(port, "CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil {
		tb.Fatalf("redistest: CLUSTER ADDSLOTSRANGE: %v: %s", err, out)
	}
	waitUntil(tb, "the cluster is ready", func() (bool, string) {
		out, err := redisproc.CLI(port, "CLUSTER", "INFO")
		return err == nil && strings.Contains(out, "cluster_state:ok"), out
	})
	return s
}

// StartTLSServer starts a redis-server that speaks only TLS, with a
// self-signed certificate for 127.0.0.1 that s.RootCAs trusts. Its URL is
// rediss://127.0.0.1:port.
func StartTLSServer(tb testing.TB) *Server {
	tb.Helper()
	SkipShort(tb)
	port := freePort(tb)
	s := &Server{port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), tlsDir: tb.TempDir()}
	s.URL = "rediss://" + s.Addr
	s.RootCAs = selfSigned(tb, s.tlsDir)
	s.Start(tb)
	tb.Cleanup(func() { s.Kill(tb) })
	return s
}

// selfSigned writes cert.pem and key.pem for 127.0.0.1 into dir.
func selfSigned(tb testing.TB, dir string) *x509.CertPool {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "recall test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return pool
}

// Start starts the server (again) on its port and waits until it answers.
func (s *Server) Start(tb testing.TB) {
	tb.Helper()
	if s.proc != nil {
		tb.Fatal("redistest: server already running")
	}
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}
	if s.tlsDir != "" {
		args[1] = "0"
		args = append(args, "--tls-port", strconv.Itoa(s.port),
			"--tls-cert-file", filepath.Join(s.tlsDir, "cert.pem"), "--tls-key-file", filepath.Join(s.tlsDir, "key.pem"),
			"--tls-ca-cert-file", filepath.Join(s.tlsDir, "cert.pem"), "--tls-auth-clients", "no")
	}
	if s.cluster != "" {
		args = append(args, "--cluster-enabled", "yes", "--dir", s.cluster, "--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(s.busPort))
	}
	s.launch(tb, args)
}

// launch starts redis-server with args and waits until it answers.
func (s *Server) launch(tb testing.TB, args []string) {
	tb.Helper()
	var tlsConfig *tls.Config
	if s.RootCAs != nil {
		tlsConfig = &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	}
	p, err := redisproc.Start(context.Background(), s.Addr, args, "", tlsConfig)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	s.proc = p
}

// Kill kills the server (SIGKILL) and waits for it to exit.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	if s.proc != nil {
		s.proc.Kill()
		s.proc = nil
	}
}

// Pause stops the server process (SIGSTOP): connections stay open but
// nothing answers, like a stalled or partitioned Redis.
func (s *Server) Pause(tb testing.TB) {
	tb.Helper()
	if err := s.proc.Signal(syscall.SIGSTOP); err != nil {
		tb.Fatal(err)
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(tb testing.TB) {
	tb.Helper()
	if err := s.proc.Signal(syscall.SIGCONT); err != nil {
		tb.Fatal(err)
	}
}
