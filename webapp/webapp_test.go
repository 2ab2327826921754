package webapp

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// budget is the most a page's first load may transfer, gzip'd: index.html
// and the scripts and stylesheets it references.
const budget = 150 << 10

func newApp(t *testing.T) *App {
	t.Helper()
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func get(h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// staticPaths are the URL paths of every file of the build, and the pages.
func staticPaths(t *testing.T) []string {
	t.Helper()
	paths := []string{"/", "/signin", "/signup", "/topics/t1", "/study/s1", "/history", "/history/s1", "/ops", "/account", "/tutor/c1"}
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != "index.html" {
			paths = append(paths, "/"+p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func TestSecurityHeadersOnEveryStaticResponse(t *testing.T) {
	a := newApp(t)
	paths := append(staticPaths(t), "/nope", "/topics/a/b")
	for _, p := range paths {
		for _, ae := range []string{"", "gzip"} {
			w := get(a, p, "Accept-Encoding", ae)
			h := w.Header()
			if got := h.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
				t.Errorf("GET %s: Content-Security-Policy %q", p, got)
			}
			if !strings.Contains(ContentSecurityPolicy, "script-src 'self';") || strings.Contains(ContentSecurityPolicy, "unsafe-inline") {
				t.Errorf("the policy allows inline script or style: %s", ContentSecurityPolicy)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET %s: X-Content-Type-Options %q", p, got)
			}
			if got := h.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("GET %s: Referrer-Policy %q", p, got)
			}
			if h.Get("Content-Type") == "" {
				t.Errorf("GET %s: no Content-Type", p)
			}
		}
	}
}

func TestCaching(t *testing.T) {
	a := newApp(t)
	hashed := regexp.MustCompile(`^/assets/[a-z]+-[A-Z0-9]{8}\.(js|css)$`)
	for _, p := range staticPaths(t) {
		w := get(a, p)
		if w.Code != 200 {
			t.Fatalf("GET %s: %d", p, w.Code)
		}
		cc := w.Header().Get("Cache-Control")
		if strings.HasPrefix(p, "/assets/") {
			if !hashed.MatchString(p) {
				t.Errorf("asset %s has no content hash in its name", p)
			}
			if cc != "public, max-age=31536000, immutable" {
				t.Errorf("GET %s: Cache-Control %q", p, cc)
			}
			continue
		}
		if cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", p, cc)
		}
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), `<div id="app">`) {
			t.Errorf("GET %s: not index.html", p)
		}
	}
	w := get(a, "/")
	if w2 := get(a, "/", "If-None-Match", w.Header().Get("ETag")); w2.Code != http.StatusNotModified {
		t.Errorf("GET / with its ETag: %d, want 304", w2.Code)
	}
}

func TestGzip(t *testing.T) {
	a := newApp(t)
	for _, p := range staticPaths(t) {
		plain := get(a, p)
		for _, ae := range []string{"gzip", "br, gzip;q=0.8", "*"} {
			w := get(a, p, "Accept-Encoding", ae)
			if w.Header().Get("Content-Encoding") != "gzip" {
				t.Errorf("GET %s (Accept-Encoding %q): not gzip'd", p, ae)
				continue
			}
			zr, err := gzip.NewReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(b, plain.Body.Bytes()) {
				t.Errorf("GET %s: the gzip'd body differs from the plain one (%v)", p, err)
			}
		}
		if w := get(a, p, "Accept-Encoding", "gzip;q=0"); w.Header().Get("Content-Encoding") != "" {
			t.Errorf("GET %s: gzip'd though refused", p)
		}
		if plain.Header().Get("Content-Encoding") != "" || plain.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("GET %s: Content-Encoding %q, Vary %q", p, plain.Header().Get("Content-Encoding"), plain.Header().Get("Vary"))
		}
	}
}

// TestSizeBudget fails when a page's first load (index.html and the JS and
// CSS it references, gzip'd as served) passes the budget.
func TestSizeBudget(t *testing.T) {
	a := newApp(t)
	index := get(a, "/", "Accept-Encoding", "gzip")
	total := index.Body.Len()
	plain := get(a, "/").Body.String()
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(plain, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d assets, want the script and the stylesheet", len(refs))
	}
	for _, m := range refs {
		w := get(a, m[1], "Accept-Encoding", "gzip")
		if w.Code != 200 {
			t.Fatalf("GET %s: %d", m[1], w.Code)
		}
		t.Logf("%s: %d bytes gzip'd", m[1], w.Body.Len())
		total += w.Body.Len()
	}
	t.Logf("first load: %d bytes gzip'd (budget %d)", total, budget)
	if total > budget {
		t.Errorf("first load is %d bytes gzip'd, over the %d budget", total, budget)
	}
}

func TestServes(t *testing.T) {
	a := newApp(t)
	for p, want := range map[string]bool{
		"/": true, "/signin": true, "/signup": true, "/topics/x": true, "/study/x": true, "/history": true,
		"/history/x": true, "/ops": true, "/account": true, "/tutor/x": true, "/tutor/x/y": false, "/ops/x": false, "/v1/topics": false, "/healthz": false, "/readyz": false, "/metrics": false,
		"/topics": false, "/topics/x/y": false, "/nope": false, "/assets/nope.js": false, "/index.html": false,
	} {
		if got := a.Serves(p); got != want {
			t.Errorf("Serves(%q) = %v, want %v", p, got, want)
		}
	}
	r := httptest.NewRequest("POST", "/signin", nil)
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /signin: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
	if w := get(a, "/nope"); w.Code != 404 {
		t.Errorf("GET /nope: %d", w.Code)
	}
}

func TestNewFSNeedsIndex(t *testing.T) {
	if _, err := NewFS(fstest.MapFS{"assets/a.js": {Data: []byte("x")}}); err == nil {
		t.Error("NewFS without index.html: no error")
	}
}

// TestIndexHasNoInlineCode checks index.html against the policy: no inline
// script or style, nothing from another origin.
func TestIndexHasNoInlineCode(t *testing.T) {
	b, err := fs.ReadFile(FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if regexp.MustCompile(`<script(?:\s+type="module")?>`).MatchString(s) || strings.Contains(s, "<style") ||
		strings.Contains(s, "style=") || strings.Contains(s, "http://") || strings.Contains(s, "https://") {
		t.Errorf("index.html has inline code or a foreign URL:\n%s", s)
	}
}
