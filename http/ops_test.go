package http

import (
	"context"
	"testing"
	"time"

	"github.com/recallhq/recall/ops"
)

// TestOps checks GET /v1/ops: 401 without a token, 403 forbidden for a
// user without the admin role, the figures for an admin, and 403 again at
// once after the role is revoked; the figures are those of the requests
// the server answered between two samples.
func TestOps(t *testing.T) {
	var sampler *ops.Sampler
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := newEnvWith(t, true, func(c *Config) {
		sampler = ops.New(ops.Config{Gatherer: c.Gatherer, Instance: "127.0.0.1:8080", Now: func() time.Time { return at }})
		c.Ops = sampler
	})
	ctx := context.Background()
	ann := e.signUp("ann")
	e.do(req{method: "GET", path: "/v1/ops"}).wantError(t, 401, "unauthorized")
	e.do(req{method: "GET", path: "/v1/ops", token: ann}).wantError(t, 403, "forbidden")

	u, _, err := e.store.UserByUsername(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetAdmin(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := sampler.Sample(ctx); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e.do(req{method: "GET", path: "/v1/topics", token: ann}).want(t, 200, nil)
	}
	at = at.Add(2 * time.Second)
	if err := sampler.Sample(ctx); err != nil {
		t.Fatal(err)
	}
	var v ops.View
	e.do(req{method: "GET", path: "/v1/ops", token: ann}).want(t, 200, &v)
	if v.Source != "local" || v.Instance != "127.0.0.1:8080" || len(v.Instances) != 1 || v.Cluster.Redis != "disabled" {
		t.Fatalf("view %+v", v)
	}
	var topics *ops.Route
	for i, r := range v.Instances[0].Routes {
		if r.Route == "/v1/topics" && r.Method == "GET" {
			topics = &v.Instances[0].Routes[i]
		}
	}
	if topics == nil {
		t.Fatalf("no GET /v1/topics among %+v", v.Instances[0].Routes)
	}
	var n float64
	for _, c := range topics.Counts {
		n += c
	}
	if n != 5 || topics.PerSecond != 2.5 || topics.P50 == nil || topics.P99 == nil || *topics.P50 > *topics.P99 {
		t.Errorf("GET /v1/topics: %g requests, p50 %v, p99 %v; want 5 (2.5/s) and p50 ≤ p99", n, topics.P50, topics.P99)
	}

	if err := e.store.SetAdmin(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	e.do(req{method: "GET", path: "/v1/ops", token: ann}).wantError(t, 403, "forbidden")
}
