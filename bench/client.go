package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// requestTimeout bounds every request, so a run always ends.
const requestTimeout = 30 * time.Second

// client talks JSON to one server.
type client struct {
	base string
	hc   *http.Client
}

// newClient returns a client of base keeping up to conns idle connections.
func newClient(base string, conns int) *client {
	tr := &http.Transport{
		Proxy:               nil, // loopback: never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{base: strings.TrimRight(base, "/"), hc: &http.Client{Transport: tr, Timeout: requestTimeout}}
}

// close drops the idle connections.
func (c *client) close() { c.hc.CloseIdleConnections() }

// statusError is a response outside 2xx.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, e.body)
}

// call sends body (nil: none) as JSON with the bearer token (if any), and
// decodes a 2xx answer into out (nil: the answer is read and dropped).
// Any other status is a *statusError.
func (c *client) call(ctx context.Context, method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		_, _ = io.Copy(io.Discard, resp.Body)
		return &statusError{method: method, path: path, status: resp.StatusCode, body: strings.TrimSpace(string(b))}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

// redisStatus returns the "redis" field of the server's GET /readyz.
func (c *client) redisStatus(ctx context.Context) (string, error) {
	var out struct {
		Redis string `json:"redis"`
	}
	if err := c.call(ctx, "GET", "/readyz", "", nil, &out); err != nil {
		return "", err
	}
	return out.Redis, nil
}

// counters are the server's own counters the report uses.
type counters struct {
	dbReads    float64
	redisCalls float64
	rssBytes   float64
	cpuSeconds float64
	// cacheErrors counts cache lookups that failed (Redis trouble: the
	// server fell back to the database).
	cacheErrors float64
	found       bool // recall_db_queries_total was present
	// by names each series by its op label: "db:Topics", "redis:get".
	by map[string]float64
}

// metrics reads the server's /metrics.
func (c *client) metrics(ctx context.Context) (counters, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/metrics", nil)
	if err != nil {
		return counters{}, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return counters{}, fmt.Errorf("read /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return counters{}, fmt.Errorf("read /metrics: status %d", resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics sums, from the Prometheus text format, the database reads
// (recall_db_queries_total{kind="read"}), the Redis round trips
// (recall_redis_calls_total) and the resident memory
// (process_resident_memory_bytes).
func parseMetrics(r io.Reader) (counters, error) {
	c := counters{by: map[string]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, value, ok := splitSample(line)
		if !ok {
			continue
		}
		switch name {
		case "recall_db_queries_total":
			c.found = true
			if hasLabel(labels, "kind", "read") {
				c.dbReads += value
				c.by["db:"+labelValue(labels, "op")] += value
			}
		case "recall_redis_calls_total":
			c.redisCalls += value
			c.by["redis:"+labelValue(labels, "op")] += value
		case "process_resident_memory_bytes":
			c.rssBytes = value
		case "recall_cache_requests_total":
			if hasLabel(labels, "result", "error") {
				c.cacheErrors += value
			}
		case "process_cpu_seconds_total":
			c.cpuSeconds = value
		}
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("read /metrics: %w", err)
	}
	return c, nil
}

// splitSample splits `name{labels} value [timestamp]`.
func splitSample(line string) (name, labels string, value float64, ok bool) {
	rest := line
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return "", "", 0, false
		}
		name, labels, rest = line[:i], line[i+1:j], line[j+1:]
	} else {
		sp := strings.IndexByte(line, ' ')
		if sp < 0 {
			return "", "", 0, false
		}
		name, rest = line[:sp], line[sp:]
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", "", 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return "", "", 0, false
	}
	return name, labels, v, true
}

// hasLabel reports whether the label list (without braces) has key="value".
func hasLabel(labels, key, value string) bool {
	want := key + `="` + value + `"`
	for {
		i := strings.Index(labels, want)
		if i < 0 {
			return false
		}
		if i == 0 || labels[i-1] == ',' {
			return true
		}
		labels = labels[i+len(want):]
	}
}

// labelValue returns the value of label key in a label list (without
// braces), or "" if it has none. Values are taken up to the next quote:
// escaped quotes do not occur in Recall's label values.
func labelValue(labels, key string) string {
	for _, part := range strings.Split(labels, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == key {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// checkLoopback returns an error unless target is an http URL of a
// loopback host: the load generator never sends its load over a network.
func checkLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("--target %q: want http://host:port of a running recall server", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--target %q: only loopback addresses (127.0.0.1, ::1, localhost) may be targeted", target)
	}
	return nil
}

// fleet is a client for each instance of a run, in the order the
// instances were started.
type fleet []*client

// newFleet makes a client of conns connections for each base URL.
func newFleet(urls []string, conns int) fleet {
	f := make(fleet, len(urls))
	for i, u := range urls {
		f[i] = newClient(u, conns)
	}
	return f
}

// close closes every client's idle connections.
func (f fleet) close() {
	for _, c := range f {
		c.close()
	}
}

// metrics reads every instance's /metrics and sums their counters, which
// is what the run as a whole did. The process figures (resident memory,
// CPU time) are the first instance's: the instances a run starts in
// process are one process and report the same.
func (f fleet) metrics(ctx context.Context) (counters, error) {
	sum := counters{by: map[string]float64{}}
	for i, c := range f {
		m, err := c.metrics(ctx)
		if err != nil {
			return sum, err
		}
		if i == 0 {
			sum.rssBytes, sum.cpuSeconds = m.rssBytes, m.cpuSeconds
		}
		sum.found = sum.found || m.found
		sum.dbReads += m.dbReads
		sum.redisCalls += m.redisCalls
		sum.cacheErrors += m.cacheErrors
		for k, v := range m.by {
			sum.by[k] += v
		}
	}
	if !sum.found {
		// A counter appears once the server has counted something: an
		// instance may have no database query yet, but not all of them.
		return sum, fmt.Errorf("%s/metrics has no recall_db_queries_total: is it a recall server?", f[0].base)
	}
	return sum, nil
}
