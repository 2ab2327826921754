package main

import (
	"context"
	"strings"
	"testing"
)

// TestBenchRefusesBadFlagsBeforeRunning: flag errors of recall bench are
// reported before anything is seeded or started.
func TestBenchRefusesBadFlagsBeforeRunning(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--chart", "out.png"}, ".svg"},
		{[]string{"bench", "--isolated", "0"}, "--isolated must be at least 1"},
	} {
		res := runCmd(context.Background(), nil, c.args...)
		if res.code == 0 || !strings.Contains(res.stderr, c.want) {
			t.Errorf("recall %s = %d, %q; want a failure saying %q", strings.Join(c.args, " "), res.code, res.stderr, c.want)
		}
	}
}
