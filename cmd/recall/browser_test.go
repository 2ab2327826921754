package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: run scripts/services.sh (make services) to install it and chromium")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("chromium is not installed at %s: run scripts/services.sh (make services)", chromium)
	}
	if _, err := os.Stat(filepath.Join(root, "web", "node_modules", "playwright-core")); err != nil {
		t.Fatal("web/node_modules has no playwright-core: run npm ci in web/ (make services does)")
	}

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
