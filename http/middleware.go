package http

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/auth"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/ratelimit"
)

// unmatchedRoute labels the metrics of requests that match no route.
const unmatchedRoute = "unmatched"

// maxRequestIDLen bounds an X-Request-Id taken from a request.
const maxRequestIDLen = 128

// requestInfo is what the middleware learns about a request, shared with
// the route handlers through the context.
type requestInfo struct {
	id     string
	route  string // the route pattern, or unmatchedRoute
	userID string // set once authenticated
	token  string // the bearer token; never logged
}

type infoKey struct{}

// info returns the request's requestInfo; never nil inside the server.
func info(r *http.Request) *requestInfo {
	if ri, ok := r.Context().Value(infoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{route: unmatchedRoute}
}

// userID returns the authenticated user of the request.
func userID(r *http.Request) string { return info(r).userID }

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serveHTTP is the outermost handler: request id, recovery, routing,
// access log and metrics.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ri := &requestInfo{id: requestID(r.Header.Get("X-Request-Id")), route: unmatchedRoute}
	h := w.Header()
	h.Set("X-Request-Id", ri.id)
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))

	defer func() {
		p := recover()
		if p != nil && p != http.ErrAbortHandler {
			s.log.ErrorContext(r.Context(), "panic serving request",
				"request_id", ri.id, "method", r.Method, "route", ri.route,
				"panic", p, "stack", string(debug.Stack()))
			if sw.status == 0 {
				s.writeError(sw, r, recall.Errorf(recall.EINTERNAL, "panic"))
			}
		}
		s.observe(r, ri, sw, time.Since(start))
		if p == http.ErrAbortHandler {
			panic(p) // let net/http abort the connection as asked
		}
	}()

	if headBytes(r) > MaxHeaderBytes {
		s.writeError(sw, r, recall.Errorf(errHeadersTooLarge, "The request's URL and headers must not be larger than 64 KiB."))
		return
	}
	mh, pattern := s.mux.Handler(r)
	rt, ok := s.byPattern[pattern]
	if !ok {
		s.unmatched(sw, r, mh)
		return
	}
	ri.route = rt.Pattern
	s.mux.ServeHTTP(sw, r)
}

// headBytes is about the size of r's head as sent: the request line and
// the header fields, each with its separators.
func headBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len("Host: \r\n") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// unmatched answers a request that matches no route: 405 with Allow when
// the path exists with other methods, 404 otherwise. h is the mux's own
// answer: it knows the allowed methods, so it is run into a writer that
// keeps only the headers and status, and its plain-text body is replaced.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &headerProbe{h: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.h.Get("Allow"))
		s.writeError(w, r, recall.Errorf(errMethodNotAllowed, "The method %s is not allowed here.", sanitizeMethod(r.Method)))
		return
	}
	s.writeError(w, r, recall.Errorf(recall.ENOTFOUND, "There is nothing at this address."))
}

// headerProbe is a ResponseWriter that keeps the headers and the status.
type headerProbe struct {
	h      http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.h }
func (p *headerProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *headerProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}

// routeHandler wraps a route's handler with the body limit, authentication
// and rate limiting.
func (s *Server) routeHandler(rt *Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := info(r)
		if d := s.requestTimeout(); d > 0 {
			d = max(d, rt.Timeout)
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			r = r.WithContext(ctx)
		}
		if r.Body != nil {
			limit := rt.MaxBody
			if limit == 0 {
				limit = MaxBodyBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		var passed, ok bool
		var retry time.Duration
		if rt.Auth {
			r, passed, ok, retry = s.pass(w, r, rt, ri)
		}
		if !passed {
			principal := ""
			if rt.Auth {
				if err := s.authenticate(r, ri); err != nil {
					s.writeError(w, r, err)
					return
				}
				principal = "user:" + ri.userID
			} else if len(rt.Policies) > 0 {
				principal = "ip:" + s.clientAddr(r)
			}
			ok = true
			if s.cfg.Limiter != nil && len(rt.Policies) > 0 {
				ok, retry = s.cfg.Limiter.Limit(r.Context(), principal, rt.Policies, w.Header())
			}
		}
		if !ok {
			secs := retryAfterSeconds(retry)
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			s.writeError(w, r, recall.Errorf(recall.ERATELIMITED, "Too many requests: try again in %d seconds.", secs))
			return
		}
		if err := rt.handle(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// requestTimeout is Config.RequestTimeout with its default.
func (s *Server) requestTimeout() time.Duration {
	if s.cfg.RequestTimeout == 0 {
		return DefaultRequestTimeout
	}
	return s.cfg.RequestTimeout
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1, so that a
// client never retries before the limiter would admit it.
func retryAfterSeconds(d time.Duration) int64 {
	secs := int64(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return secs
}

// pass runs the request through Config.Gate: the token check, the
// route's rate limits and the reads of its cached keys in one round trip.
// passed is false when the gate is off or cannot vouch for the token (not
// cached, revoked, expired, a claim that is not the token's, Redis
// failing): nothing was charged, and the caller authenticates and limits
// the usual way. Otherwise the user is recorded in ri, ok and retryAfter
// are the rate-limit decision, and the returned request carries the values
// read (cache.WithPrefetched).
func (s *Server) pass(w http.ResponseWriter, r *http.Request, rt *Route, ri *requestInfo) (_ *http.Request, passed, ok bool, retryAfter time.Duration) {
	lim, isVia := s.cfg.Limiter.(viaLimiter)
	if s.cfg.Gate == nil || !isVia || len(rt.Policies) == 0 {
		return r, false, false, 0
	}
	token, err := bearer(r)
	if err != nil {
		return r, false, false, 0
	}
	uid, claimed := auth.Claim(token)
	sum, _ := auth.TokenHash(token)
	if !claimed {
		return r, false, false, 0
	}
	var keys []cache.PrefetchKey
	if rt.prefetch != nil {
		keys = rt.prefetch(r, uid)
	}
	if s.cfg.GateStatesOnly {
		if keys = stateKeys(keys); len(keys) == 0 {
			return r, false, false, 0
		}
	}
	pre := cache.NewPrefetched()
	now := s.now()
	ok, decided, retryAfter := lim.LimitVia(r.Context(), rt.Policies, w.Header(),
		func(ctx context.Context, rules []ratelimit.Rule, d []time.Duration) (bool, bool, error) {
			verified, admitted, err := s.cfg.Gate.Pass(ctx, uid, sum, now, rules, d, keys, pre)
			return admitted, verified, err
		})
	if !decided {
		return r, false, false, 0
	}
	ri.userID, ri.token = uid, token
	if pre.Len() > 0 {
		r = r.WithContext(cache.WithPrefetched(r.Context(), pre))
	}
	return r, true, ok, retryAfter
}

// bearer returns the request's bearer token.
func bearer(r *http.Request) (string, error) {
	hdr := r.Header.Get("Authorization")
	if hdr == "" {
		return "", recall.Errorf(recall.EUNAUTHORIZED, "This request needs an access token: send Authorization: Bearer <token>.")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(hdr), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", recall.Errorf(recall.EUNAUTHORIZED, "The Authorization header must be: Bearer <token>.")
	}
	return token, nil
}

// authenticate checks the bearer token and records the user in ri.
func (s *Server) authenticate(r *http.Request, ri *requestInfo) error {
	token, err := bearer(r)
	if err != nil {
		return err
	}
	uid, err := s.cfg.Auth.Authenticate(r.Context(), token)
	if err != nil {
		return err
	}
	ri.userID, ri.token = uid, token
	return nil
}

// observe writes the access log line and the metrics of one request.
func (s *Server) observe(r *http.Request, ri *requestInfo, sw *statusWriter, d time.Duration) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	method := metricMethod(r.Method)
	s.cfg.Metrics.HTTPRequest(ri.route, method, status, d)
	if !s.log.Enabled(r.Context(), slog.LevelInfo) {
		return // the access log is off: build no line
	}
	attrs := []slog.Attr{
		slog.String("request_id", ri.id),
		slog.String("method", method),
		slog.String("route", ri.route),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.Int64("bytes", sw.bytes),
	}
	if ri.userID != "" {
		attrs = append(attrs, slog.String("user_id", ri.userID))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
}

// metricMethod bounds the method label to the methods the API knows, so
// that clients cannot create unbounded label values.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// sanitizeMethod bounds a method for use in a message.
func sanitizeMethod(m string) string {
	if metricMethod(m) == "OTHER" {
		return "used"
	}
	return m
}

// requestID returns the client's request id if it is 1–128 printable ASCII
// characters, otherwise a new one.
func requestID(given string) string {
	if n := len(given); n > 0 && n <= maxRequestIDLen {
		ok := true
		for i := 0; i < n; i++ {
			if c := given[i]; c < 0x21 || c > 0x7e {
				ok = false
				break
			}
		}
		if ok {
			return given
		}
	}
	return recall.NewID()
}

// isCanceled reports whether err is the request's own cancellation: the
// client went away.
func isCanceled(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && r.Context().Err() != nil
}
