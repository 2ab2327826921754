package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsAddr serves /metrics on a listener of its own: the main
// listener answers 404 for it (in the JSON error shape), the metrics
// listener serves the Prometheus text with the requests of the main one,
// and nothing else. RECALL_METRICS_ADDR sets it as the flag does.
func TestMetricsAddr(t *testing.T) {
	cfg, err := parseServe(nil, map[string]string{"RECALL_METRICS_ADDR": "127.0.0.1:9999"})
	if err != nil || cfg.MetricsAddr != "127.0.0.1:9999" {
		t.Fatalf("RECALL_METRICS_ADDR: %q, %v", cfg.MetricsAddr, err)
	}

	srv := startDefault(t, func(c *Config) { c.MetricsAddr = "127.0.0.1:0" })
	if srv.m.MetricsAddr() == "" || srv.m.MetricsAddr() == srv.m.Addr() {
		t.Fatalf("metrics at %q, the API at %q", srv.m.MetricsAddr(), srv.m.Addr())
	}
	srv.do(apiCall{method: "GET", path: "/healthz"}).want(t, 200, nil)
	srv.do(apiCall{method: "GET", path: "/metrics"}).wantError(t, 404, "not_found")

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := srv.client.Get("http://" + srv.m.MetricsAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		if _, err := io.Copy(&b, resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b.String()
	}
	code, body := get("/metrics")
	if code != http.StatusOK || !strings.Contains(body, `recall_http_requests_total{code="200",method="GET",route="/healthz"} 1`) {
		t.Fatalf("GET /metrics on the metrics listener: %d\n%s", code, body)
	}
	if code, _ := get("/v1/me"); code != http.StatusNotFound {
		t.Errorf("the metrics listener answers GET /v1/me with %d, want 404", code)
	}

	// Without the flag, /metrics stays on the main listener.
	plain := startDefault(t)
	if plain.m.MetricsAddr() != "" {
		t.Errorf("MetricsAddr %q without the flag", plain.m.MetricsAddr())
	}
	plain.do(apiCall{method: "GET", path: "/metrics"}).want(t, 200, nil)
}
