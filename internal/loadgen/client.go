package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// requestTimeout bounds every request, so a run always ends.
const requestTimeout = 30 * time.Second

// dialTimeout bounds opening a connection.
const dialTimeout = 5 * time.Second

// client talks JSON to one server.
//
// It uses fasthttp rather than net/http: the load generator runs on the
// machine it measures, and net/http's two goroutines per connection and
// per-request allocations took about a quarter of the CPU of a cached run,
// CPU the server under test then did not get. fasthttp reads and writes on
// the calling goroutine and reuses its requests, responses and buffers.
type client struct {
	base   string // as given, without a trailing slash: for messages
	scheme string // "http" or "https"
	host   string // host[:port] of base, for the Host header
	hc     *fasthttp.HostClient
}

// newClient returns a client of base (an http or https URL) using up to
// conns connections: at least as many as virtual users share the client,
// so that no request waits for a connection.
func newClient(base string, conns int) (*client, error) {
	base = strings.TrimRight(base, "/")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%q: want http://host:port", base)
	}
	tls := u.Scheme == "https"
	hc := &fasthttp.HostClient{
		Addr:  fasthttp.AddMissingPort(u.Host, tls),
		IsTLS: tls,
		// The standard dialer rather than fasthttp's, which resolves
		// IPv4 addresses only (a target may be [::1]). timeout is what is
		// left of the request's, or 0 (none) for a dial on behalf of a
		// request waiting for a connection.
		DialTimeout: func(addr string, timeout time.Duration) (net.Conn, error) {
			if timeout <= 0 || timeout > dialTimeout {
				timeout = dialTimeout
			}
			return net.DialTimeout("tcp", addr, timeout)
		},
		MaxConns: conns,
		// Should more requests than conns be in flight, they wait for a
		// connection (within their deadline) rather than fail.
		MaxConnWaitTimeout: requestTimeout,
		// call gives every request a deadline of at most requestTimeout;
		// these bound the others as well.
		ReadTimeout:              requestTimeout,
		WriteTimeout:             requestTimeout,
		NoDefaultUserAgentHeader: true,
		// One attempt per request: fasthttp would otherwise send a GET
		// again, up to 5 times, after any transport error, and a failed
		// request would count as a success (its reads twice in the
		// isolated phase). The server's idle timeout (120 s) outlasts
		// fasthttp's (10 s), so the client closes idle connections first.
		MaxIdemponentCallAttempts: 1,
		// Responses are read whole into the (reused) response buffer:
		// the server's answers are small, but for /metrics.
	}
	// fasthttp asks for no compression unless told to (no Accept-Encoding).
	return &client{base: base, scheme: u.Scheme, host: u.Host, hc: hc}, nil
}

// close closes the idle connections. A client is closed once its requests
// are done, so that is every connection it holds.
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

// statusBodyMax is how much of the body of a non-2xx answer a statusError
// keeps.
const statusBodyMax = 300

// call sends body (nil: none) as JSON with the bearer token (if any), and
// decodes a 2xx answer into out (nil: the answer is read and dropped).
// Any other status is a *statusError. path may hold a query string.
func (c *client) call(ctx context.Context, method, path, token string, body, out any) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.prepare(req, method, path)
	if body != nil {
		// Encoded straight into the request's (reused) body buffer. The
		// encoder ends it with a newline, which JSON allows.
		if err := json.NewEncoder(req.BodyWriter()).Encode(body); err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		req.Header.SetContentType("application/json")
	}
	if token != "" {
		// Built on the stack rather than by concatenating strings.
		var auth [128]byte
		req.Header.SetBytesV(fasthttp.HeaderAuthorization, append(append(auth[:0], "Bearer "...), token...))
	}
	if err := c.do(ctx, req, resp); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if st := resp.StatusCode(); st < 200 || st > 299 {
		b := resp.Body()
		if len(b) > statusBodyMax {
			b = b[:statusBodyMax]
		}
		return &statusError{method: method, path: path, status: st, body: string(bytes.TrimSpace(b))}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body(), out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// prepare sets req's method and URI, which is base followed by path. The
// parts are set one by one, so that no URL string is built for a request.
func (c *client) prepare(req *fasthttp.Request, method, path string) {
	req.Header.SetMethod(method)
	p, q, _ := strings.Cut(path, "?")
	uri := req.URI()
	uri.SetScheme(c.scheme)
	uri.SetHost(c.host)
	uri.SetPath(p)
	uri.SetQueryString(q)
}

// do sends req and reads the answer into resp, within ctx's deadline and
// at most requestTimeout. fasthttp does not watch contexts: a cancelled
// ctx stops a request from being sent, and ends the wait for one in
// flight only at its deadline (an answer from a live server comes sooner),
// so a cancelled run ends within requestTimeout. An error when ctx has
// ended, or a timeout at ctx's deadline, is ctx's error.
func (c *client) do(ctx context.Context, req *fasthttp.Request, resp *fasthttp.Response) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline := time.Now().Add(requestTimeout)
	d, ok := ctx.Deadline()
	ctxDeadline := ok && d.Before(deadline)
	if ctxDeadline {
		deadline = d
	}
	err := c.hc.DoDeadline(req, resp, deadline)
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	// The connection's deadline may pass before ctx's timer has fired.
	var te interface{ Timeout() bool }
	if ctxDeadline && errors.As(err, &te) && te.Timeout() {
		return context.DeadlineExceeded
	}
	return err
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
	// lookups counts cache lookups by cache and result, "topics/miss";
	// refills the refills after writes by result, "filled".
	lookups, refills map[string]float64
	// refillsPending are the refills queued or running
	// (recall_cache_refills_pending).
	refillsPending float64
}

// metrics reads the server's /metrics.
func (c *client) metrics(ctx context.Context) (counters, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.prepare(req, "GET", "/metrics")
	if err := c.do(ctx, req, resp); err != nil {
		return counters{}, fmt.Errorf("read /metrics: %w", err)
	}
	if st := resp.StatusCode(); st != fasthttp.StatusOK {
		return counters{}, fmt.Errorf("read /metrics: status %d", st)
	}
	return parseMetrics(bytes.NewReader(resp.Body()))
}

// parseMetrics sums, from the Prometheus text format, the database reads
// (recall_db_queries_total{kind="read"}), the Redis round trips
// (recall_redis_calls_total), the cache lookups and refills
// (recall_cache_requests_total, recall_cache_refills_total) and the
// resident memory (process_resident_memory_bytes).
func parseMetrics(r io.Reader) (counters, error) {
	c := counters{by: map[string]float64{}, lookups: map[string]float64{}, refills: map[string]float64{}}
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
			c.lookups[labelValue(labels, "cache")+"/"+labelValue(labels, "result")] += value
		case "recall_cache_refills_total":
			c.refills[labelValue(labels, "result")] += value
		case "recall_cache_refills_pending":
			c.refillsPending = value
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
func newFleet(urls []string, conns int) (fleet, error) {
	f := make(fleet, len(urls))
	for i, u := range urls {
		c, err := newClient(u, conns)
		if err != nil {
			return nil, err
		}
		f[i] = c
	}
	return f, nil
}

// close closes every client's connections.
func (f fleet) close() {
	for _, c := range f {
		c.close()
	}
}

// maxSettle bounds settled's wait.
const maxSettle = 5 * time.Second

// settled is metrics once no instance has a refill after a write queued
// or running (or after maxSettle): the isolated phase then attributes a
// write's refills to the write, and none to the requests that follow.
func (f fleet) settled(ctx context.Context) (counters, error) {
	deadline := time.Now().Add(maxSettle)
	for {
		m, err := f.metrics(ctx)
		if err != nil || m.refillsPending == 0 || time.Now().After(deadline) {
			return m, err
		}
		select {
		case <-ctx.Done():
			return m, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// metrics reads every instance's /metrics and sums their counters, which
// is what the run as a whole did. The process figures (resident memory,
// CPU time) are the first instance's: the instances a run starts in
// process are one process and report the same.
func (f fleet) metrics(ctx context.Context) (counters, error) {
	sum := counters{by: map[string]float64{}, lookups: map[string]float64{}, refills: map[string]float64{}}
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
		for k, v := range m.lookups {
			sum.lookups[k] += v
		}
		for k, v := range m.refills {
			sum.refills[k] += v
		}
		sum.refillsPending += m.refillsPending
	}
	if !sum.found {
		// A counter appears once the server has counted something: an
		// instance may have no database query yet, but not all of them.
		return sum, fmt.Errorf("%s/metrics has no recall_db_queries_total: is it a recall server?", f[0].base)
	}
	return sum, nil
}
