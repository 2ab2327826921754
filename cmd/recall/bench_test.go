package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
		{[]string{"bench", "--rate", "fast"}, "--rate item"},
		{[]string{"bench", "--rate", "50%", "--modes", "none,redis"}, "add near to --modes"},
		{[]string{"bench", "--rate", "100", "--rate-duration", "0s"}, "--rate-duration must be positive"},
	} {
		res := runCmd(context.Background(), nil, c.args...)
		if res.code == 0 || !strings.Contains(res.stderr, c.want) {
			t.Errorf("recall %s = %d, %q; want a failure saying %q", strings.Join(c.args, " "), res.code, res.stderr, c.want)
		}
	}
}

// TestBenchModes runs `recall bench` as a user would, on a tiny data set:
// the per-request figures come out of the real command's wiring of
// the three modes (the bench package's own tests build their servers by
// hand), the report and chart files are written, and the RECALL_*
// variables of serve are not read (RECALL_DB points nowhere usable).
func TestBenchModes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three short benchmarks")
	}
	dir := t.TempDir()
	out, chart := filepath.Join(dir, "bench.json"), filepath.Join(dir, "bench.svg")
	res := runCmd(context.Background(), map[string]string{"RECALL_DB": "postgres://nobody@127.0.0.1:1/none", "RECALL_MODES": "bogus"},
		"bench", "--modes", "none,redis,near", "--users", "12", "--topics", "2", "--questions", "3",
		"--duration", "400ms", "--warmup", "200ms", "--concurrency", "12", "--isolated", "6",
		"--rate", "40%", "--rate-duration", "300ms", "--quiet", "--out", out, "--chart", chart)
	if res.code != 0 {
		t.Fatalf("recall bench: exit %d\n%s", res.code, res.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Runs []struct {
			Mode     string `json:"mode"`
			OpenLoop []struct {
				Percent float64 `json:"percent_of_near_peak"`
				Total   struct {
					Count uint64 `json:"count"`
				} `json:"total"`
			} `json:"open_loop"`
			Ops map[string]struct {
				Count      uint64  `json:"count"`
				Errors     uint64  `json:"errors"`
				DBReads    float64 `json:"db_reads_per_op"`
				RedisCalls float64 `json:"redis_calls_per_op"`
			} `json:"ops"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	runs := map[string]int{}
	for i, r := range rep.Runs {
		runs[r.Mode] = i
		if len(r.OpenLoop) != 1 || r.OpenLoop[0].Percent != 40 || r.OpenLoop[0].Total.Count == 0 {
			t.Errorf("%s: open loop %+v, want one load of 40%% of near's peak", r.Mode, r.OpenLoop)
		}
		for op, o := range r.Ops {
			if o.Errors != 0 {
				t.Errorf("%s %s: %d errors", r.Mode, op, o.Errors)
			}
		}
	}
	if len(runs) != 3 {
		t.Fatalf("runs %v; want none, redis and near", runs)
	}
	op := func(mode, name string) (float64, float64) {
		o := rep.Runs[runs[mode]].Ops[name]
		return o.DBReads, o.RedisCalls
	}
	for _, name := range []string{"dashboard", "turn"} {
		if reads, _ := op("none", name); reads == 0 {
			t.Errorf("none %s: no database read; the mode is not the database alone", name)
		}
		for _, mode := range []string{"redis", "near"} {
			if reads, _ := op(mode, name); reads != 0 {
				t.Errorf("%s %s: %.2f database reads per request; want 0", mode, name, reads)
			}
		}
	}
	// A cached dashboard is one round trip in both Redis modes: the gate
	// (token, limits and reads) without the near-cache, the limiter's
	// script with it; misses and refills add a little.
	for _, mode := range []string{"redis", "near"} {
		if _, calls := op(mode, "dashboard"); calls < 1 || calls >= 2 {
			t.Errorf("%s dashboard: %.2f Redis calls per request; want one round trip, and a little for misses", mode, calls)
		}
	}
	if svg, err := os.ReadFile(chart); err != nil || !strings.Contains(string(svg), "<svg") {
		t.Errorf("chart: %v, %.40q", err, svg)
	}
}
