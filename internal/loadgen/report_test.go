package loadgen

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// sampleReport is a report of two modes with every operation.
func sampleReport() *Report {
	cfg := Config{
		Modes: []string{ModeNone, ModeNear}, Duration: 20 * time.Second, Warmup: 5 * time.Second,
		Concurrency: 32, Users: 1000, Topics: 10, Questions: 30, Mix: Mix{40, 15, 10, 5, 25, 4, 1},
		DB: "postgres://bench:secret@127.0.0.1:5432/recall", DBLatency: time.Millisecond,
		Redis: "redis://127.0.0.1:6379", HashParams: hashParamsNote, RateLimits: RateLimits(), Isolated: 200,
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	}
	r := &Report{Config: newReportConfig(&cfg)}
	for i, mode := range cfg.Modes {
		run := RunReport{Mode: mode, Ops: map[string]OpResult{}, RSSMB: 80.5}
		for j, op := range Ops() {
			f := float64((i + 1) * (j + 1))
			run.Ops[op] = OpResult{Count: uint64(100 * f), RPS: 5 * f, P50: f / 10, P95: f / 5, P99: f / 2, Max: f, DBReadsPerOp: 1, RedisCallsPerOp: 2}
		}
		r.Runs = append(r.Runs, run)
	}
	return r
}

// withOpenLoop adds two open-loop loads to every run of r: 25% and 50% of
// near's peak, the dashboard's p99 rising with the load and the mode.
func withOpenLoop(r *Report) *Report {
	for i := range r.Runs {
		run := &r.Runs[i]
		run.Total.RPSPerCore = float64(1000 * (1 + 6*i)) // near 7× none
		for j, pct := range []float64{25, 50} {
			f := float64((i + 1) * (j + 1))
			o := OpenLoopOp{TargetRPS: 100 * f, Count: 1000, RPS: 100 * f, P50: f / 4, P99: f, P999: 2 * f, Max: 3 * f}
			run.OpenLoop = append(run.OpenLoop, OpenLoopStep{Percent: pct, TargetRPS: 200 * f, Seconds: 10, Total: o, Ops: map[string]OpenLoopOp{OpDashboard: o},
				SendLagP50: f / 20, SendLagP99: f / 10})
		}
	}
	return r
}

func TestReportJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "secret") {
		t.Fatal("the report shows the database password")
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := keys(doc); !slices.Equal(got, []string{"config", "runs"}) {
		t.Fatalf("top-level keys %v, want [config runs]", got)
	}
	var cfg map[string]any
	if err := json.Unmarshal(doc["config"], &cfg); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"modes", "duration", "concurrency", "users", "topics", "questions", "mix", "db_latency", "hash_params", "rate_limits", "method", "machine", "seed"} {
		if _, ok := cfg[k]; !ok {
			t.Errorf("config has no %q", k)
		}
	}
	if cfg["db_latency"] != "1ms" {
		t.Errorf("config.db_latency = %v, want 1ms", cfg["db_latency"])
	}
	var runs []map[string]json.RawMessage
	if err := json.Unmarshal(doc["runs"], &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2", len(runs))
	}
	wantOp := []string{"count", "db_reads_per_op", "errors", "max_ms", "p50_ms", "p95_ms", "p99_ms", "redis_calls_per_op", "rps"}
	for _, run := range runs {
		for _, k := range []string{"mode", "ops", "rss_mb"} {
			if _, ok := run[k]; !ok {
				t.Fatalf("run has no %q: %v", k, keys(run))
			}
		}
		var ops map[string]map[string]any
		if err := json.Unmarshal(run["ops"], &ops); err != nil {
			t.Fatal(err)
		}
		if got := keysOf(ops); !slices.Equal(got, []string{"conversation_start", "dashboard", "login", "message", "session_start", "session_start_due", "topic", "topics", "turn", "write"}) {
			t.Fatalf("ops %v", got)
		}
		for op, fields := range ops {
			if got := keysOf(fields); !slices.Equal(got, wantOp) {
				t.Errorf("ops.%s has keys %v, want exactly %v", op, got, wantOp)
			}
			for k, v := range fields {
				if _, ok := v.(float64); !ok {
					t.Errorf("ops.%s.%s = %v, want a number", op, k, v)
				}
			}
		}
	}
}

func keys(m map[string]json.RawMessage) []string { return keysOf(m) }

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestReportTableAndVerdicts(t *testing.T) {
	r := sampleReport()
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"mode none:", "mode near:", "session_start", "redis calls/op", "db latency 1ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// near's dashboard: 10 req/s vs none's 5: 2×, not 5×; p99 1 ms < 2 ms.
	v := strings.Join(r.Verdicts(), "\n")
	for _, want := range []string{
		"dashboard near ≥ 5× none: 2.00× (10 vs 5 req/s): NOT met",
		"dashboard near p99 < 2 ms (closed loop): 1.000 ms: met",
		"dashboard db_reads_per_op = 0 in near: 1.00: NOT met",
		"RSS < 300 MiB in near: 80.5 MiB: met",
		"no errors in none: 0: met",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("verdicts lack %q:\n%s", want, v)
		}
	}
}

func TestReportOpenLoop(t *testing.T) {
	r := withOpenLoop(sampleReport())
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"open loop (latency from each request's intended start", "p99.9 ms", "50% of near",
		"requests sent 0.200 ms (p50) and 0.400 ms (p99) after their intended starts"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	// near at 50%: p99 2×2 = 4 ms; requests per CPU-second 7000 vs 1000.
	v := strings.Join(r.Verdicts(), "\n")
	for _, want := range []string{
		"dashboard near p99 < 2 ms at 50% of near's peak (open loop): 4.000 ms: NOT met",
		"near ≥ 6× none requests per CPU-second: 7.00× (7000 vs 1000): met",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("verdicts lack %q:\n%s", want, v)
		}
	}
	b.Reset()
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Runs[1].OpenLoop[1].Ops[OpDashboard].P999 != 8 {
		t.Fatalf("open loop does not round-trip: %v %+v", err, back.Runs[1].OpenLoop)
	}
	for _, key := range []string{`"p99_9_ms"`, `"send_lag_p50_ms": 0.2`, `"send_lag_p99_ms": 0.4`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("the JSON has no %s", key)
		}
	}
	b.Reset()
	if err := r.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	// Two more panels: the dashboard's p99 and every operation's p99.9,
	// 2 loads × 2 modes each.
	if n := strings.Count(b.String(), "<title>"); n != 2*len(Ops())*2+2*2*2 {
		t.Errorf("%d bars, want %d", n, 2*len(Ops())*2+2*2*2)
	}
	for _, want := range []string{"open loop: dashboard p99", "50% of near (800/s)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}

func TestReportSVG(t *testing.T) {
	r := sampleReport()
	r.Runs[0].Mode = `none <&> "quoted"` // must be escaped
	var b bytes.Buffer
	if err := r.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	var root string
	bars := 0
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				root = el.Name.Local
				if el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root namespace %q", el.Name.Space)
				}
			}
			depth++
			if el.Name.Local == "rect" {
				for _, a := range el.Attr {
					if a.Name.Local == "height" && strings.HasPrefix(a.Value, "-") {
						t.Errorf("a bar has a negative height %s", a.Value)
					}
				}
			}
			if el.Name.Local == "title" {
				bars++ // one title per bar
			}
		case xml.EndElement:
			depth--
		}
	}
	if root != "svg" || depth != 0 {
		t.Fatalf("root element %q, depth at the end %d", root, depth)
	}
	// Two panels × 10 operations × 2 modes.
	if bars != 2*numOps*2 {
		t.Fatalf("%d bars, want %d", bars, 2*numOps*2)
	}
	// An empty report still draws a valid (empty) chart.
	b.Reset()
	if err := (&Report{}).WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b.Bytes(), new(struct{})); err != nil {
		t.Fatalf("empty chart: %v", err)
	}
}

// TestLabelLines: an operation's label wider than its group breaks at the
// underscore nearest its middle; one that fits stays whole.
func TestLabelLines(t *testing.T) {
	for _, tc := range []struct {
		label string
		width int
		want  []string
	}{
		{"dashboard", 76, []string{"dashboard"}},
		{"session_start", 78, []string{"session_start"}},
		{"session_start_due", 76, []string{"session_", "start_due"}},
		{"conversation_start", 76, []string{"conversation_", "start"}},
		{"conversation_start", 200, []string{"conversation_start"}},
		{"averyveryverylonglabel", 20, []string{"averyveryverylonglabel"}},
	} {
		if got := labelLines(tc.label, tc.width); !slices.Equal(got, tc.want) {
			t.Errorf("labelLines(%q, %d) = %q, want %q", tc.label, tc.width, got, tc.want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{{0, 1}, {0.7, 1}, {1, 1}, {1.1, 2}, {2.2, 2.5}, {3, 5}, {7, 10}, {12000, 20000}, {2500, 2500}} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestReportScale(t *testing.T) {
	r := sampleReport() // none and near on one instance
	if got := r.Scale(); len(got) != 0 {
		t.Fatalf("Scale of one instance count = %q, want nothing", got)
	}
	// near again on three instances: dashboards 1.5× faster, p99 doubled.
	three := RunReport{Mode: ModeNear, Instances: 3, Ops: map[string]OpResult{}, RSSMB: 120, Total: Totals{RPS: 300, CPUCores: 1.9}}
	for op, o := range r.Runs[1].Ops {
		o.RPS *= 1.5
		o.P99 *= 2
		three.Ops[op] = o
	}
	r.Runs[1].Total = Totals{RPS: 200, CPUCores: 1.5}
	r.Runs = append(r.Runs, three)
	scale := strings.Join(r.Scale(), "\n")
	for _, want := range []string{
		"scale near 1→3 instances: dashboard     rps 1.50× (10.0 → 15.0 req/s), p99 1.000 → 2.000 ms",
		"scale near 1→3 instances: login         rps 1.50× (70.0 → 105.0 req/s), p99 7.000 → 14.000 ms",
		"scale near 1→3 instances: total         rps 1.50× (200 → 300 req/s), 1.50 → 1.90 CPU cores",
	} {
		if !strings.Contains(scale, want) {
			t.Errorf("scale lacks %q:\n%s", want, scale)
		}
	}
	if strings.Contains(scale, "scale none") {
		t.Errorf("none ran on one instance count only, yet is scaled:\n%s", scale)
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mode none × 1 instance:", "mode near × 1 instance:", "mode near × 3 instances:", "scale near 1→3 instances: total"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	// The modes are compared on the same instance count only.
	v := strings.Join(r.Verdicts(), "\n")
	for _, want := range []string{
		"dashboard near ≥ 5× none on 1 instance(s): 2.00×",
		"dashboard near p99 < 2 ms (closed loop) on 3 instance(s): 2.000 ms: NOT met",
		"no errors in near × 3 instances: 0: met",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("verdicts lack %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "none on 3 instance(s)") {
		t.Errorf("near on 3 instances compared with none on 1:\n%s", v)
	}
	// The chart tells the runs apart.
	b.Reset()
	if err := r.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "near × 3 instances") || r.runColor(1) == r.runColor(2) {
		t.Errorf("the chart does not tell near on 1 and on 3 instances apart")
	}
}
