package loadgen

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Chart geometry, in pixels.
const (
	chartBarWidth   = 16
	chartGroupGap   = 28
	chartLeft       = 70
	chartRight      = 20
	chartPanelTop   = 40  // title of a panel to the top of its plot
	chartPlotHeight = 200 // height of a panel's plot area
	chartPanelGap   = 70  // below a plot: labels of the operations
	chartHeader     = 80  // chart title and legend
	chartMinWidth   = 760
)

// modeColor returns the colour of a mode's bars.
func modeColor(mode string, i int) string {
	switch mode {
	case ModeNone:
		return "#8d99ae"
	case ModeRedis:
		return "#d1495b"
	case ModeNear:
		return "#2e86ab"
	case ModeTarget:
		return "#66a182"
	}
	palette := []string{"#edae49", "#00798c", "#30638e", "#003d5b"}
	return palette[i%len(palette)]
}

// runColor returns the colour of the bars of r's run i: its mode's, or,
// when the report has runs on several instance counts, the mode's for the
// fewest instances and a palette colour for each other run.
func (r *Report) runColor(i int) string {
	run := &r.Runs[i]
	if !r.multi() || instances(run) == slices.Min(r.counts()) {
		return modeColor(run.Mode, i)
	}
	return modeColor("", i)
}

// niceCeil returns the smallest of 1, 2, 2.5, 5 × 10^k that is ≥ v (v > 0).
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// fmtValue formats a bar's value compactly.
func fmtValue(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 10000:
		return strconv.FormatFloat(v/1000, 'f', 1, 64) + "k"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// esc escapes s for XML text and attribute values.
func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// svgPanel is one panel of the chart: bars grouped by groups, one bar per
// run, value(run, group) giving each bar's value (false: no bar).
type svgPanel struct {
	title  string
	log    bool
	groups []string
	value  func(run *RunReport, g int) (float64, bool)
}

// WriteSVG draws r as an SVG chart: two panels of bars grouped by operation,
// one bar per mode: the mixed phase's throughput, and its p99 latency; and,
// when the runs have open-loop loads, the dashboard's and every operation's
// p99 at each load, grouped by load.
func (r *Report) WriteSVG(w io.Writer) error {
	var ops []string
	for _, op := range Ops() {
		for _, run := range r.Runs {
			if _, ok := run.Ops[op]; ok {
				ops = append(ops, op)
				break
			}
		}
	}
	opValue := func(f func(OpResult) float64) func(*RunReport, int) (float64, bool) {
		return func(run *RunReport, g int) (float64, bool) {
			o, ok := run.Ops[ops[g]]
			return f(o), ok
		}
	}
	panels := []svgPanel{
		{"throughput per operation (requests/s, higher is better)", false, ops, opValue(func(o OpResult) float64 { return o.RPS })},
		{"p99 latency per operation (ms, log scale, lower is better)", true, ops, opValue(func(o OpResult) float64 { return o.P99 })},
	}
	if loads := r.openLoopLoads(); len(loads) > 0 {
		at := func(f func(OpenLoopStep) (float64, bool)) func(*RunReport, int) (float64, bool) {
			return func(run *RunReport, g int) (float64, bool) {
				if g >= len(run.OpenLoop) {
					return 0, false
				}
				return f(run.OpenLoop[g])
			}
		}
		panels = append(panels,
			svgPanel{"open loop: dashboard p99 at each load (ms from the intended start, log scale)", true, loads, at(func(s OpenLoopStep) (float64, bool) {
				o, ok := s.Ops[OpDashboard]
				return o.P99, ok
			})},
			svgPanel{"open loop: p99.9 of all operations at each load (ms from the intended start, log scale)", true, loads, at(func(s OpenLoopStep) (float64, bool) {
				return s.Total.P999, s.Total.Count > 0
			})})
	}
	groups := 1
	for _, p := range panels {
		groups = max(groups, len(p.groups))
	}
	nModes := max(len(r.Runs), 1)
	groupW := nModes*chartBarWidth + chartGroupGap
	width := max(chartLeft+groups*groupW+chartRight, chartMinWidth)
	panelH := chartPanelTop + chartPlotHeight + chartPanelGap
	height := chartHeader + len(panels)*panelH

	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	c := r.Config
	sub := fmt.Sprintf("%d users × %d topics × %d questions, %d virtual users, %s per mode, db latency %s",
		c.Users, c.Topics, c.Questions, c.Concurrency, c.Duration, c.DBLatency)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold">recall bench</text>`+"\n", chartLeft-50)
	fmt.Fprintf(&b, `<text x="%d" y="38" fill="#333333">%s</text>`+"\n", chartLeft-50, esc(sub))
	// Legend.
	x := chartLeft
	for i := range r.Runs {
		label := r.label(&r.Runs[i])
		fmt.Fprintf(&b, `<rect x="%d" y="52" width="12" height="12" fill="%s"/>`+"\n", x, r.runColor(i))
		fmt.Fprintf(&b, `<text x="%d" y="62">%s</text>`+"\n", x+16, esc(label))
		x += 24 + 7*utf8.RuneCountInString(label) + 20
	}

	for pi, p := range panels {
		groupW := (width - chartLeft - chartRight) / max(len(p.groups), 1) // spread the groups out
		top := chartHeader + pi*panelH
		plotTop := top + chartPanelTop
		plotBottom := plotTop + chartPlotHeight
		minV, maxV := math.Inf(1), 0.0
		for ri := range r.Runs {
			for g := range p.groups {
				if v, ok := p.value(&r.Runs[ri], g); ok {
					maxV = math.Max(maxV, v)
					if v > 0 {
						minV = math.Min(minV, v)
					}
				}
			}
		}
		// The axis: linear from 0 to a round maximum in five steps, or
		// logarithmic over whole decades.
		var ticks []float64
		var pos func(v float64) float64 // 0 at the bottom, 1 at the top
		if p.log {
			lo, hi := -1.0, 1.0
			if maxV > 0 {
				lo = math.Floor(math.Log10(minV))
				hi = math.Max(math.Ceil(math.Log10(maxV*1.5)), lo+1)
			}
			for e := lo; e <= hi; e++ {
				ticks = append(ticks, math.Pow(10, e))
			}
			pos = func(v float64) float64 {
				if v <= 0 {
					return 0
				}
				return math.Max(0, (math.Log10(v)-lo)/(hi-lo))
			}
		} else {
			scale := niceCeil(maxV * 1.2) // headroom for the value labels
			for i := 0; i <= 5; i++ {
				ticks = append(ticks, scale*float64(i)/5)
			}
			pos = func(v float64) float64 { return v / scale }
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" font-weight="bold">%s</text>`+"\n", chartLeft-50, top+22, esc(p.title))
		for _, v := range ticks {
			y := float64(plotBottom) - float64(chartPlotHeight)*pos(v)
			fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dddddd" stroke-width="1"/>`+"\n", chartLeft, y, width-chartRight, y)
			label := fmtValue(v)
			if p.log {
				label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555555">%s</text>`+"\n", chartLeft-6, y+4, esc(label))
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333333" stroke-width="1"/>`+"\n", chartLeft, plotBottom, width-chartRight, plotBottom)
		for gi, group := range p.groups {
			gx := chartLeft + gi*groupW + (groupW-nModes*chartBarWidth)/2
			for ri := range r.Runs {
				v, ok := p.value(&r.Runs[ri], gi)
				if !ok {
					continue
				}
				h := float64(chartPlotHeight) * pos(v)
				bx := gx + ri*chartBarWidth
				fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n",
					bx, float64(plotBottom)-h, chartBarWidth-2, h, r.runColor(ri), esc(fmt.Sprintf("%s, %s: %s", group, r.label(&r.Runs[ri]), fmtValue(v))))
				lx, ly := float64(bx)+chartBarWidth/2+3, float64(plotBottom)-h-3
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" text-anchor="start" transform="rotate(-90 %.1f %.1f)">%s</text>`+"\n",
					lx, ly, lx, ly, esc(fmtValue(v)))
			}
			lx := gx + nModes*chartBarWidth/2
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">`, lx, plotBottom+16)
			for li, line := range labelLines(group, groupW) {
				fmt.Fprintf(&b, `<tspan x="%d" dy="%d">%s</tspan>`, lx, li*13, esc(line))
			}
			fmt.Fprintln(&b, `</text>`)
		}
	}
	fmt.Fprintln(&b, `</svg>`)
	_, err := w.Write(b.Bytes())
	return err
}

// openLoopLoads names the open-loop loads of r's runs, in order ("50% of
// near (4365/s)" or "2000/s"), from near's run (every mode runs the same
// loads), or else the run with the most of them.
func (r *Report) openLoopLoads() []string {
	var most *RunReport
	for i := range r.Runs {
		run := &r.Runs[i]
		if most == nil || len(run.OpenLoop) > len(most.OpenLoop) || (run.Mode == ModeNear && len(run.OpenLoop) == len(most.OpenLoop)) {
			most = run
		}
	}
	if most == nil {
		return nil
	}
	var out []string
	for _, s := range most.OpenLoop {
		if s.Percent > 0 {
			out = append(out, fmt.Sprintf("%g%% of near (%.0f/s)", s.Percent, s.TargetRPS))
		} else {
			out = append(out, fmt.Sprintf("%.0f/s", s.TargetRPS))
		}
	}
	return out
}

// chartCharWidth is about the width of a character of the chart's 11 px
// sans-serif labels, in pixels.
const chartCharWidth = 6

// labelLines splits an operation's label that is wider than width pixels
// in two lines at the underscore nearest its middle (keeping the
// underscore on the first line), so that neighbouring labels such as
// session_start_due and conversation_start do not run into each other. A
// label that fits, or has no underscore, stays one line.
func labelLines(label string, width int) []string {
	if len(label)*chartCharWidth <= width {
		return []string{label}
	}
	best := -1
	for i := range len(label) {
		if label[i] == '_' && (best < 0 || abs(2*i-len(label)) < abs(2*best-len(label))) {
			best = i
		}
	}
	if best < 0 {
		return []string{label}
	}
	return []string{label[:best+1], label[best+1:]}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
