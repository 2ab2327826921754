package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// binEnv is how TestMain hands the path of the recall binary it built to
// the tests (no package-level state).
const binEnv = "RECALL_FAULTS_BIN"

// Prerequisites and where they are.
const (
	// pgAdminEnv overrides pgAdminURL: a role that may create databases.
	pgAdminEnv = "RECALL_TEST_POSTGRES_URL"
	pgAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.list"); os.Getenv(binEnv) != "" || f != nil && f.Value.String() != "" {
		return m.Run() // a binary given from outside, or only listing the tests
	}
	if testing.Short() {
		return m.Run() // every test skips (startRecall): no binary to build
	}
	dir, err := os.MkdirTemp("", "recall-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "recall")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/recall")
	cmd := exec.Command("go", args...)
	cmd.Dir = ".." // the module root
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the fault tests need the recall binary: go %s: %v\n%s", strings.Join(args, " "), err, out)
		return 1
	}
	fmt.Fprintf(os.Stderr, "faults: built %s (race=%v) in %s\n", bin, raceEnabled, time.Since(start).Round(time.Millisecond))
	if err := os.Setenv(binEnv, bin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// randomSuffix returns a short random string for names and prefixes.
func randomSuffix() string { return strings.ToLower(rand.Text()[:10]) }

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// recallConfig is how an instance is started.
type recallConfig struct {
	db, redis, prefix string
	extra             []string
}

// instance is a `recall serve` process. It can be SIGKILLed and started
// again with the same arguments on the same address.
type instance struct {
	tb   testing.TB
	bin  string
	addr string
	args []string
	logs *syncBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// startRecall starts an instance on a free loopback port and waits until
// it answers /healthz. Rate limits are raised far above the load so that
// the tests see the faults, not the limiter (which still runs).
func startRecall(tb testing.TB, cfg recallConfig) *instance {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs the recall binary, Redis and PostgreSQL, and runs for seconds: skipped under -short")
	}
	bin := os.Getenv(binEnv)
	if bin == "" {
		tb.Fatalf("no recall binary: %s is not set (TestMain builds it)", binEnv)
	}
	in := &instance{tb: tb, bin: bin, addr: freeAddr(tb), logs: &syncBuffer{}}
	in.args = []string{"serve", "--addr", in.addr, "--db", cfg.db, "--log-format", "json", "--log-level", "warn",
		"--shutdown-timeout", "5s", "--password-hash", "m=64,t=1,p=1",
		"--rate-limit", "default=1000000/1m", "--rate-limit", "auth=1000000/1m",
		"--rate-limit", "turns=1000000/1m", "--rate-limit", "writes=1000000/1m"}
	if cfg.redis != "" {
		in.args = append(in.args, "--redis", cfg.redis, "--redis-prefix", cfg.prefix)
	}
	in.args = append(in.args, cfg.extra...)
	in.start()
	tb.Cleanup(func() {
		in.stop()
		logs := in.logs.String()
		for _, bad := range []string{"WARNING: DATA RACE", "panic:", `"level":"ERROR"`} {
			if strings.Contains(logs, bad) {
				tb.Errorf("recall on %s logged %q:\n%s", in.addr, bad, tail(logs, 60))
				break
			}
		}
	})
	return in
}

// URL is the instance's base URL.
func (in *instance) URL() string { return "http://" + in.addr }

// start runs the process and waits for /healthz.
func (in *instance) start() {
	in.tb.Helper()
	cmd := exec.Command(in.bin, in.args...)
	cmd.Stdout = io.Discard
	cmd.Stderr = in.logs
	cmd.Env = append(os.Environ(), "GORACE=halt_on_error=0")
	if err := cmd.Start(); err != nil {
		in.tb.Fatalf("start recall: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	in.mu.Lock()
	in.cmd, in.done = cmd, done
	in.mu.Unlock()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			in.tb.Fatalf("recall exited at start (%v):\n%s", cmd.ProcessState, tail(in.logs.String(), 40))
		default:
		}
		res, err := client.Get(in.URL() + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			in.tb.Fatalf("recall on %s did not answer /healthz within a minute: %v\n%s", in.addr, err, tail(in.logs.String(), 40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (in *instance) kill() {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.cmd = nil
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop asks the process to shut down (SIGTERM), and kills it if it has not
// within 15 s.
func (in *instance) stop() {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.cmd = nil
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		in.tb.Errorf("recall on %s did not stop within 15 s of SIGTERM", in.addr)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// proxy is an in-process toxiproxy between Recall and a backend.
type proxy struct {
	tb testing.TB
	p  *toxiproxy.Proxy
}

// newProxy starts a proxy to upstream on a free loopback port.
func newProxy(tb testing.TB, name, upstream string) *proxy {
	tb.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		tb.Fatalf("toxiproxy %s: %v", name, err)
	}
	tb.Cleanup(p.Stop)
	return &proxy{tb: tb, p: p}
}

// Addr is where clients connect.
func (p *proxy) Addr() string { return p.p.Listen }

// add adds a toxic, e.g. add("lat", "latency", "downstream", `{"latency":300}`).
func (p *proxy) add(name, typ, stream, attrs string) {
	p.tb.Helper()
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":%s}`, name, typ, stream, attrs)
	if _, err := p.p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		p.tb.Fatalf("toxic %s: %v", name, err)
	}
}

// remove removes a toxic.
func (p *proxy) remove(name string) {
	p.tb.Helper()
	if err := p.p.Toxics.RemoveToxic(context.Background(), name); err != nil {
		p.tb.Fatalf("remove toxic %s: %v", name, err)
	}
}

// cut closes every connection through the proxy and refuses new ones
// until restore.
func (p *proxy) cut() { p.p.Stop() }

// restore accepts connections again, on the same address.
func (p *proxy) restore() {
	p.tb.Helper()
	if err := p.p.Start(); err != nil {
		p.tb.Fatalf("restart the proxy: %v", err)
	}
}

// postgresDB creates a database of the test's own on the shared PostgreSQL
// and drops it when the test ends. It returns its URL.
func postgresDB(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs PostgreSQL: skipped under -short")
	}
	admin := pgAdminURL
	if u := os.Getenv(pgAdminEnv); u != "" {
		admin = u
	}
	name := "recall_faults_" + randomSuffix()
	exec := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("this test needs PostgreSQL (%s, or set %s): %v", redactPG(admin), pgAdminEnv, err)
	}
	tb.Cleanup(func() {
		if err := exec("DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// withHost returns a PostgreSQL URL pointing at another host:port.
func withHost(tb testing.TB, raw, hostport string) string {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	u.Host = hostport
	return u.String()
}

func redactPG(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}

// getJSON fetches a URL and returns the status and body.
func getJSON(client *http.Client, u string) (int, []byte, error) {
	res, err := client.Get(u)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// waitFor polls cond every 50 ms until it is true or timeout passes, and
// fails the test with what if it never is.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %s (last: %s)", what, timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readyz returns GET /readyz's status and its "redis" and "db" fields.
func readyz(client *http.Client, base string) (status int, db, redis string) {
	code, body, err := getJSON(client, base+"/readyz")
	if err != nil {
		return 0, "", ""
	}
	var v struct{ DB, Redis string }
	_ = jsonUnmarshal(body, &v)
	return code, v.DB, v.Redis
}

// strconvPort returns the port of a host:port.
func strconvPort(tb testing.TB, addr string) int {
	tb.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
