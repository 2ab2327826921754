package http

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// claimAll is a web app that claims every path, to show that the API's
// paths are never given to it.
type claimAll struct{}

func (claimAll) Serves(string) bool { return true }
func (claimAll) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	_, _ = w.Write([]byte("app"))
}

func TestWebAppMount(t *testing.T) {
	s := NewServer(Config{App: claimAll{}})
	for path, wantApp := range map[string]bool{
		"/": true, "/signin": true, "/topics/x": true, "/assets/app.js": true,
		"/v1/openapi.json": false, "/v1/nope": false, "/v1": false, "/healthz": false, "/metrics": false,
	} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if gotApp := w.Body.String() == "app"; gotApp != wantApp {
			t.Errorf("GET %s: answered by the app = %v, want %v (status %d)", path, gotApp, wantApp, w.Code)
		}
		h := w.Header()
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: security headers missing: %v", path, h)
		}
	}
	// Without an app, the API answers everything as before.
	w := httptest.NewRecorder()
	NewServer(Config{}).Handler().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"not_found"`) {
		t.Errorf("GET / without an app: %d %s", w.Code, w.Body)
	}
}
