package http

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/recallhq/recall"
)

// readyTimeout bounds the database ping of GET /readyz.
const readyTimeout = 2 * time.Second

// openAPIDoc is the OpenAPI 3.1 description of the whole API.
//
//go:embed openapi.json
var openAPIDoc []byte

// healthz handles GET /healthz: the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	s.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz handles GET /readyz: 200 while the primary database answers, 503
// otherwise. Redis only makes it "degraded", never unready.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	redis := "disabled"
	if s.cfg.RedisStatus != nil {
		redis = s.cfg.RedisStatus(r.Context())
	}
	var err error
	if s.cfg.Store != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err = s.cfg.Store.Ping(ctx)
		cancel()
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "not ready: database ping failed", "request_id", info(r).id, "err", err)
		s.writeJSON(w, r, http.StatusServiceUnavailable, map[string]any{
			"db": "unavailable", "redis": redis,
			"error": errorJSON{Code: recall.EUNAVAILABLE, Message: "The primary database cannot be reached."},
		})
		return nil
	}
	s.writeJSON(w, r, http.StatusOK, map[string]string{"db": "ok", "redis": redis})
	return nil
}

// metrics handles GET /metrics in the Prometheus text format.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	s.metricsHandler.ServeHTTP(w, r)
	return nil
}

// MetricsServer returns an *http.Server that answers GET /metrics with g in
// the Prometheus text format, and 404 to anything else: the listener of
// --metrics-addr, which keeps /metrics off the public port.
func MetricsServer(g prometheus.Gatherer, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError),
	}))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// openAPI handles GET /v1/openapi.json.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	writeBody(w, http.StatusOK, openAPIDoc)
	return nil
}

// opsView handles GET /v1/ops: the operations figures of the cluster and
// of each instance, for admins only (403 forbidden for anyone else). The
// role is read on every request, so a revoke counts at once.
func (s *Server) opsView(w http.ResponseWriter, r *http.Request) error {
	roles := s.cfg.Roles
	if roles == nil {
		roles = s.cfg.Users
	}
	u, err := roles.UserByID(r.Context(), userID(r))
	if recall.IsCode(err, recall.ENOTFOUND) {
		return recall.Errorf(recall.EUNAUTHORIZED, "The account of this token no longer exists.")
	} else if err != nil {
		return err
	}
	if !u.Admin {
		return recall.Errorf(recall.EFORBIDDEN, "The operations page is for admins only.")
	}
	if s.cfg.Ops == nil {
		return recall.Errorf(recall.EUNAVAILABLE, "This server keeps no operations figures.")
	}
	s.writeJSON(w, r, http.StatusOK, s.cfg.Ops.View(r.Context()))
	return nil
}
