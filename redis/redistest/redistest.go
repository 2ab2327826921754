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
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"
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
	cmd     *exec.Cmd
	cluster string // the directory of nodes.conf for a cluster node
	busPort int    // the cluster bus port (a free one, not port+10000)
	tlsDir  string // the directory of cert.pem and key.pem for TLS
	// RootCAs trusts the certificate of a TLS server.
	RootCAs *x509.CertPool
	// exited, when set, is closed once cmd has ended and been waited for
	// (a server started by start; Start leaves it nil).
	exited chan struct{}
}

// StartServer starts a redis-server on a free port and stops it when the
// test ends.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	SkipShort(tb)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cluster: tb.TempDir(), busPort: freePort(tb)}
	s.URL = "redis://" + s.Addr + "," + s.Addr
	s.Start(tb)
	tb.Cleanup(func() { s.Kill(tb) })
	out, err := exec.Command("redis-cli", "-p", strconv.Itoa(port), "CLUSTER", "ADDSLOTSRANGE", "0", "16383").CombinedOutput()
	if err != nil {
		tb.Fatalf("redistest: CLUSTER ADDSLOTSRANGE: %v: %s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command("redis-cli", "-p", strconv.Itoa(port), "CLUSTER", "INFO").CombinedOutput()
		if err == nil && strings.Contains(string(out), "cluster_state:ok") {
			return s
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: the cluster is not ready: %v: %s", err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// StartTLSServer starts a redis-server that speaks only TLS, with a
// self-signed certificate for 127.0.0.1 that s.RootCAs trusts. Its URL is
// rediss://127.0.0.1:port.
func StartTLSServer(tb testing.TB) *Server {
	tb.Helper()
	SkipShort(tb)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
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
	if s.cmd != nil {
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
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("redistest: start redis-server: %v", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.ping(); err == nil {
			return
		} else if time.Now().After(deadline) {
			tb.Fatalf("redistest: redis-server on %s does not answer: %v", s.Addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill kills the server (SIGKILL) and waits for it to exit.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	s.kill()
}

// kill kills the server (SIGKILL) and waits for it to exit.
func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // in case it was paused
	_ = s.cmd.Process.Kill()
	if s.exited != nil {
		<-s.exited // a goroutine of start waits for it
	} else {
		_ = s.cmd.Wait()
	}
	s.cmd, s.exited = nil, nil
}

// Pause stops the server process (SIGSTOP): connections stay open but
// nothing answers, like a stalled or partitioned Redis.
func (s *Server) Pause(tb testing.TB) {
	tb.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		tb.Fatal(err)
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(tb testing.TB) {
	tb.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		tb.Fatal(err)
	}
}

// ping sends a RESP PING and expects +PONG.
func (s *Server) ping() error {
	var conn net.Conn
	var err error
	if s.RootCAs != nil {
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: time.Second}, Config: &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}}
		conn, err = d.Dial("tcp", s.Addr)
	} else {
		conn, err = net.DialTimeout("tcp", s.Addr, time.Second)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "+PONG\r\n" {
		return fmt.Errorf("unexpected reply %q", buf[:n])
	}
	return nil
}
