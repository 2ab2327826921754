package http

import (
	"context"
	_ "embed"
	"net/http"
	"time"

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

// openAPI handles GET /v1/openapi.json.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	writeBody(w, http.StatusOK, openAPIDoc)
	return nil
}
