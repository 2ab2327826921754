package faults

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	recallhttp "github.com/recallhq/recall/http"
	"github.com/recallhq/recall/postgres"
	"github.com/recallhq/recall/redis/redistest"
	"github.com/recallhq/recall/sqlite"
)

// maxWait bounds how long any request may take under a fault on an idle
// machine: the Redis timeout (100 ms) and a few database round trips, with
// a margin for -race. It is not a performance figure: it catches requests
// that hang. On a busy machine checkPhases raises it to what the run
// measured (slackFactor).
const maxWait = 2 * time.Second

// slackFactor scales the slowest request of the first, fault-free phase of
// a run into the bound of every request of that run (if above maxWait): a
// machine loaded by other work stalls the healthy requests too, while a
// request that waits on a dead Redis or database stands out by seconds.
const slackFactor = 4

// workers is the number of concurrent clients of each test.
const workers = 4

// hold lets the load run for d.
func hold(d time.Duration) { time.Sleep(d) }

// verifySQLite checks the Checker against an SQLite file, read directly.
func verifySQLite(t *testing.T, l *load, path string) Result {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open the database to verify it: %v", err)
	}
	defer store.Close()
	return verify(t, l, store)
}

// verifyPostgres checks the Checker against a PostgreSQL database, read
// directly (not through the proxy).
func verifyPostgres(t *testing.T, l *load, url string) Result {
	t.Helper()
	ctx := context.Background()
	store, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatalf("open the database to verify it: %v", err)
	}
	defer store.Close()
	return verify(t, l, store)
}

func verify(t *testing.T, l *load, db Source) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := l.checker.Verify(ctx, db)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	t.Logf("acknowledged writes: %s", res)
	for _, s := range res.Lost {
		t.Errorf("lost: %s", s)
	}
	for _, s := range res.Duplicated {
		t.Errorf("duplicated: %s", s)
	}
	if res.Topics == 0 || res.Questions == 0 || res.Turns == 0 {
		t.Errorf("the load acknowledged too little to prove anything: %s", res)
	}
	return res
}

// rule relaxes checkPhases for one phase.
type rule struct {
	// allow are the non-2xx statuses the phase may show.
	allow []int
	// maxWait is the fault's own bound on a request (e.g. the request
	// deadline), to which the run's slack is added.
	maxWait time.Duration
}

// checkPhases fails the test for what no phase may show: a hang, a request
// slower than maxWait, a stale read, a non-2xx answer (but as rules allow
// for a phase). A request that ran across phases may take as long as the
// most lenient of them allows.
func checkPhases(t *testing.T, l *load, rules map[string]rule) {
	t.Helper()
	t.Logf("phases:\n%s", l.rec.report())
	t.Logf("%s", l.rec.all())
	l.rec.mu.Lock()
	defer l.rec.mu.Unlock()
	// The budget comes from the run itself: the first phase has no fault
	// yet, so its slowest request is the pace of this machine right now.
	slack := max(maxWait, slackFactor*l.rec.phases[0].pureMax)
	t.Logf("budget per request: %s plus the fault's own bound (the fault-free %q phase's slowest request took %s)",
		slack, l.rec.phases[0].name, l.rec.phases[0].pureMax)
	limits := make([]time.Duration, len(l.rec.phases))
	for i, s := range l.rec.phases {
		r := rules[s.name]
		limits[i] = r.maxWait + slack
		if s.hangs > 0 {
			t.Errorf("phase %q: %d requests hung: %v", s.name, s.hangs, s.examples)
		}
		if s.pureMax > limits[i] {
			t.Errorf("phase %q: a request took %s, more than %s", s.name, s.pureMax, limits[i])
		}
		if s.badBodies > 0 {
			t.Errorf("phase %q: %d error answers without the JSON error body of their status: %v", s.name, s.badBodies, s.examples)
		}
		if s.stale > 0 {
			t.Errorf("phase %q: %d reads missed an acknowledged write: %v", s.name, s.stale, s.examples)
		}
		if n := s.non2xx(r.allow...); n > 0 {
			t.Errorf("phase %q: %d answers that were not 2xx: %v", s.name, n, s.examples)
		}
	}
	for _, sp := range l.rec.spans {
		limit := slices.Max(limits[sp.from : sp.to+1])
		if sp.d > limit {
			t.Errorf("%s from phase %q to %q took %s, more than %s", sp.what, l.rec.phases[sp.from].name, l.rec.phases[sp.to].name, sp.d, limit)
		}
	}
}

// cacheHits returns recall_cache_requests_total{result="hit"}, summed.
func cacheHits(t *testing.T, client *http.Client, base string) float64 {
	t.Helper()
	code, body, err := getJSON(client, base+"/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", code, err)
	}
	total := 0.0
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "recall_cache_requests_total{") || !strings.Contains(line, `result="hit"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		total += v
	}
	return total
}

// wantRedis waits until /readyz is 200 with the given redis state.
func wantRedis(t *testing.T, client *http.Client, base, state string, within time.Duration) {
	t.Helper()
	waitFor(t, within, "/readyz says redis "+state, func() (bool, string) {
		code, db, redis := readyz(client, base)
		return code == http.StatusOK && db == "ok" && redis == state, strconv.Itoa(code) + " db=" + db + " redis=" + redis
	})
}

// TestRedisLatencyAndCuts runs the load while the Redis link (a toxiproxy)
// gets slower than the Redis timeout, is cut again and again, swallows
// everything (a black hole) and resets connections: every request is still
// served, from the database, in bounded time; /readyz says degraded, then
// ok; the caches refill on their own; nothing acknowledged is lost.
func TestRedisLatencyAndCuts(t *testing.T) {
	rs := redistest.StartServer(t)
	px := newProxy(t, "redis", rs.Addr)
	dbPath := filepath.Join(t.TempDir(), "recall.db")
	in := startRecall(t, recallConfig{db: "sqlite:" + dbPath, redis: "redis://" + px.Addr(), prefix: "faults:" + randomSuffix() + ":"})
	l := newLoad(t, in.URL(), workers)
	probe := &http.Client{Timeout: 5 * time.Second}
	wantRedis(t, probe, in.URL(), "ok", 10*time.Second)

	stop := l.run(context.Background())
	defer stop()
	hold(2 * time.Second)

	l.rec.setPhase("latency 300ms")
	px.add("slow", "latency", "downstream", `{"latency":300,"jitter":100}`)
	wantRedis(t, probe, in.URL(), "degraded", 5*time.Second)
	hold(2 * time.Second)
	px.remove("slow")

	l.rec.setPhase("after latency")
	wantRedis(t, probe, in.URL(), "ok", 15*time.Second)
	hold(time.Second)

	l.rec.setPhase("connection cuts")
	for range 4 {
		px.cut()
		hold(300 * time.Millisecond)
		px.restore()
		hold(500 * time.Millisecond)
	}

	l.rec.setPhase("black hole")
	px.add("hole", "timeout", "upstream", `{"timeout":0}`)
	hold(2 * time.Second)
	px.remove("hole")
	px.cut() // drop the connections the black hole held
	px.restore()

	l.rec.setPhase("resets")
	px.add("reset", "reset_peer", "upstream", `{"timeout":20}`)
	hold(time.Second)
	px.remove("reset")

	l.rec.setPhase("recovered")
	wantRedis(t, probe, in.URL(), "ok", 15*time.Second)
	before := cacheHits(t, probe, in.URL())
	hold(2 * time.Second)
	after := cacheHits(t, probe, in.URL())
	stop()

	if after <= before {
		t.Errorf("the caches did not refill after Redis came back: %v hits before, %v after", before, after)
	}
	checkPhases(t, l, nil)
	in.stop()
	verifySQLite(t, l, dbPath)
}

// TestRedisKilledRestartedFlushed runs the load while Redis is killed,
// restarted empty, and flushed: requests are served throughout, nothing
// acknowledged is lost (sessions are rebuilt from the database), and the
// server goes back to ok without a restart.
func TestRedisKilledRestartedFlushed(t *testing.T) {
	rs := redistest.StartServer(t)
	dbPath := filepath.Join(t.TempDir(), "recall.db")
	in := startRecall(t, recallConfig{db: "sqlite:" + dbPath, redis: rs.URL, prefix: "faults:" + randomSuffix() + ":"})
	l := newLoad(t, in.URL(), workers)
	probe := &http.Client{Timeout: 5 * time.Second}
	wantRedis(t, probe, in.URL(), "ok", 10*time.Second)

	stop := l.run(context.Background())
	defer stop()
	hold(2 * time.Second)

	l.rec.setPhase("redis killed")
	rs.Kill(t)
	wantRedis(t, probe, in.URL(), "degraded", 5*time.Second)
	hold(2 * time.Second)

	l.rec.setPhase("redis restarted")
	rs.Start(t)
	wantRedis(t, probe, in.URL(), "ok", 15*time.Second)
	hold(2 * time.Second)

	l.rec.setPhase("redis flushed")
	if out, err := exec.Command("redis-cli", "-p", strconv.Itoa(strconvPort(t, rs.Addr)), "FLUSHALL").CombinedOutput(); err != nil {
		t.Fatalf("FLUSHALL on the test's own redis-server: %v: %s", err, out)
	}
	hold(2 * time.Second)

	l.rec.setPhase("killed again")
	rs.Kill(t)
	hold(time.Second)
	rs.Start(t)
	wantRedis(t, probe, in.URL(), "ok", 15*time.Second)
	l.rec.setPhase("recovered")
	hold(2 * time.Second)
	stop()

	checkPhases(t, l, nil)
	in.stop()
	verifySQLite(t, l, dbPath)
}

// TestDatabaseUnreachable cuts the link to PostgreSQL (a toxiproxy) under
// load, then makes it swallow everything: requests get 503 unavailable,
// never a 500, and never wait past their deadline; /readyz is 503; when the
// link comes back Recall recovers by itself, and nothing acknowledged is
// lost.
func TestDatabaseUnreachable(t *testing.T) {
	dbURL := postgresDB(t)
	px := newProxy(t, "postgres", hostOf(t, dbURL))
	rs := redistest.StartServer(t)
	in := startRecall(t, recallConfig{db: withHost(t, dbURL, px.Addr()), redis: rs.URL, prefix: "faults:" + randomSuffix() + ":"})
	l := newLoad(t, in.URL(), workers)
	probe := &http.Client{Timeout: 5 * time.Second}

	stop := l.run(context.Background())
	defer stop()
	hold(2 * time.Second)

	l.rec.setPhase("db cut")
	px.cut()
	waitFor(t, 5*time.Second, "/readyz is 503 while the database is unreachable", func() (bool, string) {
		code, db, _ := readyz(probe, in.URL())
		return code == http.StatusServiceUnavailable && db == "unavailable", strconv.Itoa(code) + " db=" + db
	})
	hold(2 * time.Second)
	cut := l.rec.current()

	l.rec.setPhase("db restored")
	px.restore()
	wantRedis(t, probe, in.URL(), "ok", 15*time.Second)

	l.rec.setPhase("recovered")
	hold(2 * time.Second)

	// A database that swallows everything (a partition without resets,
	// a hung server): requests end with 503 when their deadline passes
	// (http.DefaultRequestTimeout), not when the database comes back.
	l.rec.setPhase("db black hole")
	px.add("hole", "timeout", "upstream", `{"timeout":0}`)
	hold(recallhttp.DefaultRequestTimeout + 2*time.Second)
	hole := l.rec.current()
	px.remove("hole")
	px.cut()
	px.restore()
	l.rec.setPhase("db back")
	wantRedis(t, probe, in.URL(), "ok", 15*time.Second)
	l.rec.setPhase("recovered again")
	hold(2 * time.Second)
	stop()

	if hole.statuses[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no request got 503 while the database swallowed everything: %s", hole)
	}

	if cut.statuses[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no request got 503 while the database was unreachable: %s", cut)
	}
	bounded := recallhttp.DefaultRequestTimeout
	checkPhases(t, l, map[string]rule{
		"db cut":        {allow: []int{503}},
		"db restored":   {allow: []int{503}},
		"db black hole": {allow: []int{503}, maxWait: bounded},
		// Requests caught in the black hole end here, when the
		// connections are cut.
		"db back": {allow: []int{503}, maxWait: bounded},
	})
	in.stop()
	verifyPostgres(t, l, dbURL)
}

// hostOf returns the host:port of a URL.
func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// TestInstanceKilled SIGKILLs the server under load, twice, and starts it
// again on the same database and address: clients retry (turns with their
// Idempotency-Key), no acknowledged write is lost and no retried turn is
// applied twice.
func TestInstanceKilled(t *testing.T) {
	rs := redistest.StartServer(t)
	dbPath := filepath.Join(t.TempDir(), "recall.db")
	in := startRecall(t, recallConfig{db: "sqlite:" + dbPath, redis: rs.URL, prefix: "faults:" + randomSuffix() + ":"})
	l := newLoad(t, in.URL(), workers)

	stop := l.run(context.Background())
	defer stop()
	hold(2 * time.Second)
	for i := range 2 {
		l.rec.setPhase("killed " + strconv.Itoa(i+1))
		in.kill()
		hold(500 * time.Millisecond)
		in.start()
		l.rec.setPhase("restarted " + strconv.Itoa(i+1))
		hold(2 * time.Second)
	}
	stop()

	all := l.rec.all()
	if all.transport == 0 {
		t.Errorf("no request failed while the server was down: the kill was not under load")
	}
	t.Logf("turns acknowledged only after a retry with their Idempotency-Key: %d", l.retriedTurns.Load())
	checkPhases(t, l, nil)
	in.stop()
	verifySQLite(t, l, dbPath)
}
