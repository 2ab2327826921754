package recall_test

import (
	"os/exec"
	"strings"
	"testing"
)

// module is this module's import path.
const module = "github.com/recallhq/recall"

// goList runs `go list` with args and returns its output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestLayout checks the import rules that docs/design.md states: the domain
// imports nothing of the project, the feature and delivery packages depend
// on no database driver, no Redis client and no adapter, and only package
// redis imports the Redis client among the production packages.
func TestLayout(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to list imports")
	}
	// Dependencies that only adapters may have.
	adapterDeps := []string{
		"github.com/redis/rueidis",
		"github.com/jackc/pgx",
		"modernc.org/sqlite",
		"cloud.google.com/go/firestore",
		module + "/redis",
		module + "/inmem",
		module + "/sqlite",
		module + "/postgres",
		module + "/firestore",
	}
	for _, pkg := range []string{"", "/http", "/tutor", "/cache", "/ratelimit", "/auth", "/metrics", "/breaker", "/llm"} {
		t.Run("deps of "+module+pkg, func(t *testing.T) {
			for _, dep := range goList(t, "-deps", "-f", "{{.ImportPath}}", module+pkg) {
				for _, bad := range adapterDeps {
					if dep == bad || strings.HasPrefix(dep, bad+"/") {
						t.Errorf("%s depends on %s", module+pkg, dep)
					}
				}
				if pkg == "" && strings.HasPrefix(dep, module+"/") {
					t.Errorf("the domain package imports %s", dep)
				}
			}
		})
	}
	t.Run("the binary does not link the testing package", func(t *testing.T) {
		for _, dep := range goList(t, "-deps", "-f", "{{.ImportPath}}", module+"/cmd/recall") {
			if dep == "testing" {
				t.Error(module + "/cmd/recall depends on testing: a test helper reached production code")
			}
		}
	})
	t.Run("only package redis imports the Redis client", func(t *testing.T) {
		for _, line := range goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...") {
			fields := strings.Fields(line)
			if len(fields) == 0 {
				continue
			}
			pkg := fields[0]
			if pkg == module+"/redis" || strings.HasPrefix(pkg, module+"/redis/") ||
				strings.HasPrefix(pkg, module+"/internal/") || strings.HasPrefix(pkg, module+"/cmd/") {
				continue // the adapter itself, its test launcher, and the tools
			}
			for _, imp := range fields[1:] {
				if imp == "github.com/redis/rueidis" || strings.HasPrefix(imp, "github.com/redis/rueidis/") {
					t.Errorf("%s imports %s", pkg, imp)
				}
			}
		}
	})
}
