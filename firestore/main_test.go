package firestore_test

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
)

// emulatorPath is where the Debian package google-cloud-cli-firestore-emulator
// installs Google's Firestore emulator (a Java 17 program).
const emulatorPath = "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator"

// emulatorStartup bounds the wait for the emulator to answer.
const emulatorStartup = 90 * time.Second

// TestMain starts a Firestore emulator of its own on a free port for the
// tests of this package (which reach it through FIRESTORE_EMULATOR_HOST)
// and stops its whole process group after them. Without the emulator the
// tests fail: they never skip silently.
func TestMain(m *testing.M) {
	os.Exit(runWithEmulator(m))
}

func runWithEmulator(m *testing.M) int {
	flag.Parse()
	if _, err := os.Stat(emulatorPath); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the Firestore emulator is missing: %v\n"+
			"Install the Debian package google-cloud-cli-firestore-emulator (it needs Java 17) to run the firestore tests.\n", err)
		return 1
	}
	if _, err := exec.LookPath("java"); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the Firestore emulator needs Java 17, and java is not on the PATH: %v\n", err)
		return 1
	}
	emu, err := startEmulator()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	defer emu.stop()

	// Stop the emulator before an interrupt or the test timeout kills this
	// process: it runs in a process group of its own, which nothing else
	// would stop.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			emu.stop()
			os.Exit(1)
		}
	}()
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 30*time.Second {
			t := time.AfterFunc(d-15*time.Second, func() {
				fmt.Fprintln(os.Stderr, "firestore tests: the test timeout is near; stopping the emulator")
				emu.stop()
			})
			defer t.Stop()
		}
	}

	if err := os.Setenv("FIRESTORE_EMULATOR_HOST", emu.host); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	return m.Run()
}

// emulator is a running Firestore emulator.
type emulator struct {
	host string // 127.0.0.1:port
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	once sync.Once
}

// startEmulator starts the emulator in a new process group and waits until
// it answers GET / with "Ok".
func startEmulator() (*emulator, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	log, err := os.CreateTemp("", "firestore-emulator-*.log")
	if err != nil {
		return nil, err
	}
	e := &emulator{host: fmt.Sprintf("127.0.0.1:%d", port), log: log, done: make(chan struct{})}
	e.cmd = exec.Command(emulatorPath, "start", "--host=127.0.0.1", fmt.Sprintf("--port=%d", port))
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

	deadline := time.Now().Add(emulatorStartup)
	client := &http.Client{Timeout: time.Second}
	for {
		if ok, _ := e.answers(client); ok {
			return e, nil
		}
		select {
		case <-e.done:
			out := e.output()
			e.stop()
			return nil, fmt.Errorf("the Firestore emulator exited at start:\n%s", out)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out := e.output()
			e.stop()
			return nil, fmt.Errorf("the Firestore emulator did not answer on %s within %v:\n%s", e.host, emulatorStartup, out)
		}
	}
}

// answers reports whether the emulator answers GET / with "Ok".
func (e *emulator) answers(client *http.Client) (bool, error) {
	resp, err := client.Get("http://" + e.host + "/")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	return resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "Ok", err
}

// output returns the end of the emulator's log.
func (e *emulator) output() string {
	b, err := os.ReadFile(e.log.Name())
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop kills the emulator's process group (the script and the JVM it
// starts) and waits for the script to end. It is safe to call twice.
func (e *emulator) stop() { e.once.Do(e.kill) }

func (e *emulator) kill() {
	select {
	case <-e.done:
	default:
		pgid := e.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-e.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-e.done
		}
		// The JVM may outlive the script by a moment.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	_ = e.log.Close()
	_ = os.Remove(e.log.Name())
}

// freePort returns a TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// newProjectID returns a project ID no other test uses: each test gets an
// empty database of its own.
func newProjectID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "recall-test-" + hex.EncodeToString(b[:])
}

// resetProject deletes every document of a project in the emulator.
func resetProject(project string) error {
	host := os.Getenv("FIRESTORE_EMULATOR_HOST")
	if host == "" {
		return errors.New("FIRESTORE_EMULATOR_HOST is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete,
		"http://"+host+"/emulator/v1/projects/"+project+"/databases/(default)/documents", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset %s: %s", project, resp.Status)
	}
	return nil
}
