package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/recallhq/recall/redis/redistest"
)

// TestBrowser runs the web app's browser tests (web/test/browser.mjs:
// playwright-core driving Debian's chromium headless) against a real
// server on a temporary SQLite file. Screenshots go to web/test/artifacts.
// It needs node, chromium (CHROMIUM, default /usr/bin/chromium) and
// web/node_modules (npm ci in web/; scripts/services.sh installs all three):
// missing, the test fails rather than skips, except under -short.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser tests start chromium and take a while")
	}
	root, node, chromium := browserTools(t)
	srv := startDefault(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("web", "test", "browser.mjs"), srv.m.URL(),
		filepath.Join(root, "web", "test", "artifacts"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node web/test/browser.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser tests: %v", err)
	}
}

// browserTools returns the repository's root, node and chromium, failing
// the test if one is missing.
func browserTools(t *testing.T) (root, node, chromium string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: run scripts/services.sh (make services) to install it and chromium")
	}
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("chromium is not installed at %s: run scripts/services.sh (make services)", chromium)
	}
	if _, err := os.Stat(filepath.Join(root, "web", "node_modules", "playwright-core")); err != nil {
		t.Fatal("web/node_modules has no playwright-core: run npm ci in web/ (make services does)")
	}
	return root, node, chromium
}

// TestBrowserOps runs web/test/ops.mjs: two instances share a SQLite file
// and the shared Redis (a key prefix of the test's own), traffic runs
// against both, and chromium checks that an admin sees both instances and
// the charts move, and that a non-admin is refused; keyboard only, at 1280
// and 375 px. Screenshots go to web/test/artifacts.
func TestBrowserOps(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser tests start chromium and Redis")
	}
	root, node, chromium := browserTools(t)
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "recall.db")
	prefix := redistest.Prefix(t)
	start := func() *testServer {
		cfg := rtConfig(t, filepath.Join(dir, "unused.db"), redistest.SharedURL, prefix, true)
		cfg.DB = db
		cfg.OpsInterval = time.Second
		// The page must show Redis up: on a loaded machine the default
		// timeout would let slow replies open the breaker.
		cfg.RedisTimeout = 5 * time.Second
		return startServer(t, cfg, newClock())
	}
	a, b := start(), start()
	const password = "correct horse battery"
	_, tokA := a.signUp(t, "operator", password)
	a.signUp(t, "learner", password)
	if r := runCmd(context.Background(), nil, "admin", "grant", "operator", "--db", db, "--redis", redistest.SharedURL, "--redis-prefix", prefix); r.code != 0 {
		t.Fatalf("recall admin grant: %d %s", r.code, r.stderr)
	}
	tokB := b.signIn(t, "operator", password)

	// Traffic against both instances until the browser is done.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, inst := range []struct {
		s   *testServer
		tok string
	}{{a, tokA}, {b, tokB}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", inst.s.m.URL()+"/v1/topics", nil)
				req.Header.Set("Authorization", "Bearer "+inst.tok)
				if res, err := inst.s.client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				time.Sleep(20 * time.Millisecond) // a steady trickle, not a load test
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()

	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer ccancel()
	cmd := exec.CommandContext(cctx, node, filepath.Join("web", "test", "ops.mjs"), a.m.URL(), b.m.URL(),
		"operator", "learner", password, filepath.Join(root, "web", "test", "artifacts"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("node web/test/ops.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("ops browser test: %v", err)
	}

	// /metrics carries the near-cache's size as gauges, filled by the
	// traffic's reads.
	for _, inst := range []*testServer{a, b} {
		res, err := inst.client.Get(inst.m.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"recall_near_cache_entries", "recall_near_cache_bytes"} {
			m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(body)
			if m == nil {
				t.Fatalf("%s: /metrics has no %s", inst.m.URL(), name)
			}
			if v, err := strconv.ParseFloat(string(m[1]), 64); err != nil || v <= 0 {
				t.Errorf("%s: %s %s; want > 0 after traffic with the near-cache on", inst.m.URL(), name, m[1])
			}
		}
	}
}
