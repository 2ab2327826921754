// Package redisproc runs redis-server processes of the caller's own on
// loopback ports: single servers and Redis Clusters of masters. The load
// generator starts its clusters with it and redis/redistest wraps it for
// tests. It does not import testing, so that the recall binary, which
// embeds the load generator, does not link the testing package
// (layout_test.go checks it).
package redisproc

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readyBound bounds every wait of WaitFor for servers to agree.
const readyBound = 30 * time.Second

// serverReady bounds the wait of Start for a redis-server to answer.
const serverReady = 10 * time.Second

// Process is a running redis-server (or redis-sentinel) started by Start.
type Process struct {
	cmd *exec.Cmd
	// exited is closed once cmd has ended and been waited for.
	exited chan struct{}
}

// Start starts redis-server with args in a process group of its own (a
// Ctrl-C at the terminal reaches the caller only), to be killed by the
// kernel if the caller dies first, and waits until it answers PING at addr
// (over TLS with tlsConfig when it is not nil), for at most 10 s or until
// ctx ends; on error the process is stopped. logFile, when set, is the
// server's log, whose end an error quotes. The caller must Kill it.
func Start(ctx context.Context, addr string, args []string, logFile string, tlsConfig *tls.Config) (*Process, error) {
	cmd := exec.Command("redis-server", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	p := &Process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(serverReady)
	for {
		err := Ping(addr, tlsConfig)
		if err == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			p.Kill()
			return nil, fmt.Errorf("redis-server on %s exited: %s", addr, tail(logFile))
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.Kill()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("redis-server on %s does not answer after %s: %v %s", addr, serverReady, err, tail(logFile))
		}
		_ = sleep(ctx, 10*time.Millisecond)
	}
}

// Kill kills the process (SIGKILL, after a SIGCONT in case it was paused)
// and waits until it has exited. It may be called more than once.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Signal sends sig to the process, as SIGSTOP and SIGCONT to pause and
// resume it.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Ping sends a RESP PING to addr (over TLS with tlsConfig when it is not
// nil) and expects +PONG, within a second.
func Ping(addr string, tlsConfig *tls.Config) error {
	var conn net.Conn
	var err error
	if tlsConfig != nil {
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: time.Second}, Config: tlsConfig}
		conn, err = d.Dial("tcp", addr)
	} else {
		conn, err = net.DialTimeout("tcp", addr, time.Second)
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

// PickPort returns a loopback TCP port that was free a moment ago.
func PickPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// CLI runs redis-cli against the server on the loopback port and returns
// its output without the trailing newline; an error reply is an error.
func CLI(port int, args ...string) (string, error) {
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port)}, args...)
	out, err := exec.Command("redis-cli", all...).Output()
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

// WaitFor polls cond every 20 ms until it holds, for at most 30 s or until
// ctx ends; the error of a timeout quotes what cond last reported.
func WaitFor(ctx context.Context, what string, cond func() (bool, string)) error {
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
