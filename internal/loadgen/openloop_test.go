package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRates(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Rate
		err  string
	}{
		{in: "2000", want: []Rate{{Value: 2000}}},
		{in: "25%, 50% ,75%", want: []Rate{{25, true}, {50, true}, {75, true}}},
		{in: "12.5%", want: []Rate{{12.5, true}}},
		{in: "", err: "empty item"},
		{in: "100,", err: "empty item"},
		{in: "fast", err: "want requests per second"},
		{in: "0", err: "above 0"},
		{in: "-5%", err: "above 0"},
		{in: "2000000", err: "at most 1000000"},
		{in: "50%,2000", err: "not both"},
		{in: "50%,50%", err: "given twice"},
		{in: "NaN", err: "want requests per second"},
	} {
		got, err := ParseRates(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseRates(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("ParseRates(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if s := (Rate{50, true}).String() + "," + (Rate{Value: 2000}).String(); s != "50%,2000" {
		t.Errorf("String: %q", s)
	}
}

func TestOpRates(t *testing.T) {
	cfg := &Config{Mix: Mix{40, 0, 10, 0, 50, 0, 0}}
	abs := opRates(cfg, Rate{Value: 1000}, nil)
	if abs != [numOps]float64{400, 0, 100, 0, 500, 0, 0} {
		t.Errorf("1000/s by the mix: %v", abs)
	}
	peak := map[string]OpResult{OpDashboard: {RPS: 4000}, OpTopic: {RPS: 1000}, OpTurn: {RPS: 100}, OpLogin: {RPS: 7}}
	rel := opRates(cfg, Rate{Value: 50, Percent: true}, peak)
	// Half of each operation's peak; none for an operation out of the mix.
	if rel != [numOps]float64{2000, 0, 500, 0, 50, 0, 0} {
		t.Errorf("50%% of near's peak: %v", rel)
	}
}

func TestConfigValidateRates(t *testing.T) {
	cfg := smallConfig(ModeNone, ModeRedis)
	cfg.Start, cfg.OpenStore = startTestServer, openTestStore
	cfg.Rates = []Rate{{50, true}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "add near to --modes") {
		t.Errorf("percent rates without near: %v", err)
	}
	cfg.Rates = []Rate{{Value: 100}}
	if err := cfg.Validate(); err != nil {
		t.Errorf("absolute rates without near: %v", err)
	}
	cfg.Modes = []string{ModeNone, ModeRedis, ModeNear}
	cfg.Rates = []Rate{{25, true}}
	if got, err := orderModes(&cfg); err != nil || strings.Join(got, ",") != "near,none,redis" {
		t.Errorf("orderModes = %v, %v; want near first", got, err)
	}
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for i := range 1000 {
		d := time.Duration(i) * time.Microsecond
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		all.Record(d)
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	for _, q := range []float64{0, 50, 99, 99.9, 100} {
		if m.Percentile(q) != all.Percentile(q) {
			t.Errorf("p%v: merged %v, recorded together %v", q, m.Percentile(q), all.Percentile(q))
		}
	}
	if m.Count() != 1000 || m.Max() != all.Max() || m.Mean() != all.Mean() {
		t.Errorf("merged: count %d max %v mean %v; want 1000, %v, %v", m.Count(), m.Max(), m.Mean(), all.Max(), all.Mean())
	}
}

// TestOpenLoopCountsTheWait drives a server that stalls once, for stall,
// at 100 requests per second: the requests due during the stall wait for
// it, and the open loop counts that wait (latency from the intended start)
// where a closed loop would record one slow request per connection.
func TestOpenLoopCountsTheWait(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for a second: skipped under -short")
	}
	const stall = 300 * time.Millisecond
	var once sync.Once
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 20 {
			once.Do(func() { time.Sleep(stall) })
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	mix, _ := ParseMix("dashboard=1")
	cfg := &Config{Concurrency: 1, Mix: mix, Seed: 1}
	f, err := newFleet([]string{srv.URL}, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	var users []*userState
	for i := range 10 {
		users = append(users, &userState{index: i, token: fmt.Sprint("t", i)})
	}
	b := &bencher{cfg: cfg, pr: newProgress(nil)}
	rates := opRates(cfg, Rate{Value: 100}, nil)
	st, err := b.openLoop(context.Background(), "test", f, users, Rate{Value: 100}, rates, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	h := &st.hist[opIndex(OpDashboard)]
	// 100 requests are due in the second; all are answered (the stall
	// ends well before the last is due).
	if h.Count() != 100 || st.errTotal.Load() != 0 {
		t.Fatalf("%d requests, %d errors; want 100 and 0", h.Count(), st.errTotal.Load())
	}
	// Two virtual users, each on its own connection, one request every
	// 20 ms each. The 15 requests of the stalled one due during the
	// 300 ms stall all waited for it, the first ones most: 11 of them
	// 100 ms or more, so the 92nd percentile is at least 100 ms. A
	// closed loop would record one slow request.
	if p := h.Percentile(92); p < 100*time.Millisecond {
		t.Errorf("p92 %v, want ≥ 100ms: the wait behind the stall is not counted", p)
	}
	if h.Max() < stall-20*time.Millisecond {
		t.Errorf("max %v, want about the stall (%v)", h.Max(), stall)
	}
	// Every request's virtual user woke for it once, and the stalled one
	// woke late for those due during the stall: the send lag shows it.
	if n := st.lag.Count(); n != 100 {
		t.Errorf("%d send lags recorded, want 100", n)
	}
	if m := st.lag.Max(); m < stall/2 {
		t.Errorf("largest send lag %v, want at least %v: the wait behind the stall is not in it", m, stall/2)
	}
}

// TestPacer checks that the pacer never wakes before the time asked for,
// also when that time is past or a pacer is reused, and that it gives up
// with the context's error when the context ends first, after which it
// paces again.
func TestPacer(t *testing.T) {
	p, err := newPacer()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.close(); err != nil {
			t.Error(err)
		}
	}()
	ctx := context.Background()
	check := func() {
		t.Helper()
		for i := range 20 {
			at := time.Now().Add(time.Duration(i%4) * 700 * time.Microsecond)
			if err := p.until(ctx, at); err != nil {
				t.Fatal(err)
			}
			if now := time.Now(); now.Before(at) {
				t.Fatalf("woke %v early", at.Sub(now))
			}
		}
	}
	check()
	if err := p.until(ctx, time.Now().Add(-time.Second)); err != nil {
		t.Fatalf("a past time: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.until(cctx, time.Now().Add(time.Hour)) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled wait did not return")
	}
	check()
}
