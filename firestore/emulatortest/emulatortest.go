// Package emulatortest starts Google's Firestore emulator for tests: on a
// free loopback port, in a process group of its own that is killed whole
// when the test ends (the launcher script and the JVM it starts), or
// before an interrupt or the test binary's timeout would leave it running.
//
// Where the emulator or Java is missing, Start fails the test and StartMain
// returns an error that says what to install: tests that need Firestore
// never skip silently.
package emulatortest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/recallhq/recall/firestore"
)

// Path is where the Debian package google-cloud-cli-firestore-emulator
// installs the emulator's launcher (it runs a Java 17 program).
const Path = "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator"

// StartupTimeout bounds the wait for a new emulator to answer.
const StartupTimeout = 90 * time.Second

// warmUpTimeout bounds the first document request to a new emulator.
const warmUpTimeout = 60 * time.Second

// timeoutMargin is how long before the test binary's timeout a watchdog
// stops the emulator (the timeout panics the binary, and a process group
// of its own would outlive it).
const timeoutMargin = 15 * time.Second

// Emulator is a running Firestore emulator.
type Emulator struct {
	// Host is the emulator's address, 127.0.0.1:PORT: the value of
	// FIRESTORE_EMULATOR_HOST for the clients that should use it.
	Host string

	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when the launcher has exited
	quit chan struct{} // closed by Stop, ends the watchdog
	once sync.Once
}

// Start starts an emulator for tb and stops it when tb ends. It fails tb
// (never skips) if the emulator or Java is missing or the emulator does not
// answer; under -short, which runs without services, it skips tb. Clients
// reach it by FIRESTORE_EMULATOR_HOST: set it to Host with tb.Setenv.
func Start(tb testing.TB) *Emulator {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs the Firestore emulator: skipped under -short")
	}
	var deadline time.Time
	if d, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		deadline, _ = d.Deadline()
	}
	e, err := start(deadline)
	if err != nil {
		tb.Fatalf("emulatortest: %v", err)
	}
	tb.Cleanup(e.Stop)
	return e
}

// StartMain starts an emulator for a TestMain: it returns the emulator and
// the function that stops it, to be called after m.Run. It parses the
// command line's flags if nobody has yet (to learn -test.timeout). The
// error says what is missing; TestMain should print it and exit non-zero.
func StartMain() (*Emulator, func(), error) {
	if !flag.Parsed() {
		flag.Parse()
	}
	var deadline time.Time
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 0 {
			deadline = time.Now().Add(d)
		}
	}
	e, err := start(deadline)
	if err != nil {
		return nil, nil, err
	}
	return e, e.Stop, nil
}

// Check returns an error that says what to install if the emulator or
// Java is missing.
func Check() error {
	java := os.Getenv("JAVA") // the launcher's own override
	if java == "" {
		java = "java"
	}
	return check(Path, java)
}

func check(path, java string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("the Firestore emulator is missing (%v): install the Debian package "+
			"google-cloud-cli-firestore-emulator (it needs Java 17) to run the Firestore tests", err)
	}
	if _, err := exec.LookPath(java); err != nil {
		return fmt.Errorf("the Firestore emulator needs Java 17, and %s is not on the PATH (%v): "+
			"install a Java 17 runtime (Debian: openjdk-17-jre-headless)", java, err)
	}
	return nil
}

// start checks the installation, starts the emulator in a new process
// group, waits until it answers GET / with "Ok", and arms the watchdog
// that stops it on SIGINT or SIGTERM, and shortly before deadline if it is
// not zero.
func start(deadline time.Time) (*Emulator, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	log, err := os.CreateTemp("", "firestore-emulator-*.log")
	if err != nil {
		return nil, fmt.Errorf("the emulator's log file: %w", err)
	}
	e := &Emulator{
		Host: fmt.Sprintf("127.0.0.1:%d", port),
		log:  log,
		done: make(chan struct{}),
		quit: make(chan struct{}),
	}
	e.cmd = exec.Command(Path, "start", "--host=127.0.0.1", fmt.Sprintf("--port=%d", port))
	e.cmd.Stdout, e.cmd.Stderr = log, log
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		_ = log.Close()
		_ = os.Remove(log.Name())
		return nil, fmt.Errorf("start the Firestore emulator: %w", err)
	}
	go func() {
		_ = e.cmd.Wait()
		close(e.done)
	}()
	e.watch(deadline)

	limit := time.Now().Add(StartupTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		if e.answers(client) {
			if err := e.warmUp(); err != nil {
				out := e.output()
				e.Stop()
				return nil, fmt.Errorf("the Firestore emulator on %s answers GET / but not a document read within %v: %v\n%s",
					e.Host, warmUpTimeout, err, out)
			}
			return e, nil
		}
		select {
		case <-e.done:
			out := e.output()
			e.Stop()
			return nil, fmt.Errorf("the Firestore emulator exited at start:\n%s", out)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(limit) {
			out := e.output()
			e.Stop()
			return nil, fmt.Errorf("the Firestore emulator did not answer on %s within %v:\n%s", e.Host, StartupTimeout, out)
		}
	}
}

// watch stops the emulator when the process is interrupted or terminated
// (and then lets the signal take its course), or timeoutMargin before
// deadline, until Stop.
func (e *Emulator) watch(deadline time.Time) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	var (
		timer   *time.Timer
		timeout <-chan time.Time
	)
	if !deadline.IsZero() {
		if d := time.Until(deadline) - timeoutMargin; d > timeoutMargin {
			timer = time.NewTimer(d)
			timeout = timer.C
		}
	}
	go func() {
		defer signal.Stop(sig)
		if timer != nil {
			defer timer.Stop()
		}
		select {
		case s := <-sig:
			e.Stop()
			// Without our handler the signal ends the process as it would
			// have. Other emulators' watchdogs get it again, which is
			// harmless: each stops its own, and the last one's signal
			// ends the process. Should someone else catch it and carry
			// on, the process ends anyway: it was told to stop.
			signal.Stop(sig)
			if ss, ok := s.(syscall.Signal); ok {
				_ = syscall.Kill(os.Getpid(), ss)
			}
			time.Sleep(10 * time.Second)
			os.Exit(1)
		case <-timeout:
			fmt.Fprintln(os.Stderr, "emulatortest: the test timeout is near; stopping the Firestore emulator on", e.Host)
			e.Stop()
		case <-e.quit:
		}
	}()
}

// answers reports whether the emulator answers GET / with "Ok".
func (e *Emulator) answers(client *http.Client) bool {
	resp, err := client.Get("http://" + e.Host + "/")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	return err == nil && resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "Ok"
}

// warmUp reads one missing document through the emulator's REST API and
// waits up to warmUpTimeout for its answer, 404. The emulator
// answers GET / long before its first document request is fast: the JVM
// loads and compiles that path on first use, which on a busy machine can
// take longer than the 5 s ping of firestore.Open. After warmUp, the first
// test's request is not that first request.
func (e *Emulator) warmUp() error {
	client := &http.Client{Timeout: warmUpTimeout}
	resp, err := client.Get("http://" + e.Host + "/v1/projects/" + ProjectID("warmup") + "/databases/(default)/documents/warmup/doc")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("GET of a missing document: %s %s", resp.Status, body)
	}
	return nil
}

// output returns the end of the emulator's log.
func (e *Emulator) output() string {
	b, err := os.ReadFile(e.log.Name())
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop kills the emulator's process group (the launcher script and the JVM
// it starts), waits for the launcher to end and removes the log. It is safe
// to call more than once and from several goroutines.
func (e *Emulator) Stop() { e.once.Do(e.kill) }

func (e *Emulator) kill() {
	close(e.quit)
	pgid := e.cmd.Process.Pid
	select {
	case <-e.done:
	default:
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-e.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-e.done
		}
	}
	// The JVM may outlive the launcher by a moment, or the launcher may
	// have died alone: the group goes in any case.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	// SIGKILL is delivered at once but a process takes a moment to go:
	// wait (bounded) until no member of the group is left.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = e.log.Close()
	_ = os.Remove(e.log.Name())
}

// Reset deletes every document of project in the emulator.
func (e *Emulator) Reset(ctx context.Context, project string) error {
	return Reset(ctx, e.Host, project)
}

// Reset deletes every document of project in the emulator at host
// (host:port), with the emulator's DELETE
// /emulator/v1/projects/PROJECT/databases/(default)/documents.
func Reset(ctx context.Context, host, project string) error {
	return firestore.ResetEmulator(ctx, host, project)
}

// ProjectID returns a project ID no other test uses, prefix-<12 hex
// digits>: each test gets an empty database of its own. prefix should be
// lower-case letters, digits and '-'.
func ProjectID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
