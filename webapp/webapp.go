// Package webapp serves Recall's web app: the learner's single-page app,
// built from web/ by `make web` (esbuild) into dist/ and embedded in the
// binary. The bundle in dist/ is committed; `make web-check` fails when it
// is stale.
//
// The App answers index.html for the app's own paths (the client routes
// them) and the hashed files of dist/assets/ with a year-long immutable
// cache; everything else is left to the API. Every response carries the
// security headers (see SecurityHeaders) and is sent gzip'd to clients that
// accept it, compressed once at start.
package webapp

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed dist
var dist embed.FS

// ContentSecurityPolicy is the policy of every response: no inline script
// or style, nothing from another origin, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// SecurityHeaders sets the headers every response of the app carries (the
// API server sets them on its own responses too).
func SecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// FS returns the built app: index.html and assets/.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded: cannot happen
	}
	return sub
}

// file is one static response, kept plain and gzip'd.
type file struct {
	body, gz    []byte
	contentType string
	etag        string
	immutable   bool
}

// App is the web app's http.Handler. Make one with New.
type App struct {
	index *file
	files map[string]*file // by URL path, "/assets/app-HASH.js"
}

// New returns the App over the embedded build.
func New() (*App, error) { return NewFS(FS()) }

// NewFS returns an App serving the build in fsys (index.html, assets/).
func NewFS(fsys fs.FS) (*App, error) {
	a := &App{files: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		f, err := newFile(p, b)
		if err != nil {
			return err
		}
		if p == "index.html" {
			a.index = f
			return nil
		}
		f.immutable = strings.HasPrefix(p, "assets/")
		a.files["/"+p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webapp: %w", err)
	}
	if a.index == nil {
		return nil, fmt.Errorf("webapp: the build has no index.html (run make web)")
	}
	return a, nil
}

func newFile(name string, b []byte) (*file, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".html":
		ct = "text/html; charset=utf-8"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	f := &file{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if buf.Len() < len(b) {
		f.gz = buf.Bytes()
	}
	return f, nil
}

// Serves reports whether the app answers path: a page of the app or one of
// its files. The API's paths (/v1/, /healthz, /readyz, /metrics) are never
// the app's.
func (a *App) Serves(p string) bool {
	if _, ok := a.files[p]; ok {
		return true
	}
	return isPage(p)
}

// isPage reports whether p is a page of the app, answered with index.html:
// /, /signin, /signup, /topics/{id}, /study/{id}, /history, /history/{id},
// /tutor/{id}, /account and the operator's page /ops (the routes of
// web/src/main.js).
func isPage(p string) bool {
	switch p {
	case "/", "/signin", "/signup", "/history", "/ops", "/account":
		return true
	}
	for _, prefix := range []string{"/topics/", "/study/", "/history/", "/tutor/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok && rest != "" && !strings.Contains(rest, "/") {
			return true
		}
	}
	return false
}

// ServeHTTP answers GET and HEAD of the app's paths; anything else gets a
// plain 404 or 405.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	SecurityHeaders(h)
	h.Del("Content-Encoding")
	f := a.files[r.URL.Path]
	if f == nil && isPage(r.URL.Path) {
		f = a.index
	}
	if f == nil {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("Not found.\n"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte("Method not allowed.\n"))
		return
	}
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	h.Set("Vary", "Accept-Encoding")
	if f.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = f.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// etagMatches reports whether an If-None-Match list names etag.
func etagMatches(list, etag string) bool {
	for t := range strings.SplitSeq(list, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding value accepts gzip (with a
// q-value above zero).
func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.TrimSpace(coding) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}
