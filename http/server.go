// Package http serves Recall's JSON API (the contract is the
// embedded OpenAPI document served at GET /v1/openapi.json).
//
// One route table (Server.Routes) builds the ServeMux, drives the OpenAPI
// test and names the rate-limit policies of each route. Every response is
// JSON with an X-Request-Id; every error has the body
// {"error":{"code","message"[,"fields"]}}, with the status given by the one
// code→status table in errors.go.
//
// Request bodies: at most 1 MiB (413 too_large); decoded strictly (unknown
// fields, trailing data, wrong types, null where the schema has no null,
// invalid UTF-8 and NUL characters give 400 invalid). A request with a body
// must send Content-Type: application/json (charset utf-8 if any); any
// other, or none, gets 415 unsupported_media_type, so that no other web site
// can post to the API without a CORS preflight. A request line and headers
// over MaxHeaderBytes get 431 headers_too_large, a known path with another
// method 405 method_not_allowed with Allow.
//
// Import it as recallhttp.
package http

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/auth"
	"github.com/recallhq/recall/cache"
	"github.com/recallhq/recall/llm"
	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/ops"
	"github.com/recallhq/recall/ratelimit"
	"github.com/recallhq/recall/tutor"
	"github.com/recallhq/recall/webapp"
)

// MaxBodyBytes is the largest request body accepted: 1 MiB.
const MaxBodyBytes = 1 << 20

// MaxHeaderBytes bounds a request's head (request line with the URL, and
// header fields): a larger one gets 431 headers_too_large in the JSON error
// shape. The http.Server of HTTPServer reads heads up to
// serverMaxHeaderBytes, so that the middleware, not net/http's plain-text
// 431, answers all but absurd requests.
const MaxHeaderBytes = 64 << 10

// serverMaxHeaderBytes is http.Server.MaxHeaderBytes: the most net/http
// reads of a head before it answers 431 itself, in plain text.
const serverMaxHeaderBytes = 1 << 20

// DefaultRequestTimeout bounds the work of one request when
// Config.RequestTimeout is zero.
const DefaultRequestTimeout = 5 * time.Second

// Rate-limit policy names used by the route table: the ratelimit package's,
// so that a route can never name a policy the limiter does not know.
const (
	PolicyDefault = ratelimit.PolicyDefault
	PolicyAuth    = ratelimit.PolicyAuth
	PolicyTurns   = ratelimit.PolicyTurns
	PolicyWrites  = ratelimit.PolicyWrites
)

// Limiter decides rate limits (implemented by ratelimit.Limiter).
type Limiter interface {
	// Limit reports whether a request by principal may proceed under all
	// of policies at once, and if not, how long until it could. It may set
	// the RateLimit and RateLimit-Policy headers on h.
	Limit(ctx context.Context, principal string, policies []string, h http.Header) (ok bool, retryAfter time.Duration)
}

// Gate checks a token, decides rate limits and reads cached keys in one
// round trip (implemented by redis.Gate): see Config.Gate.
type Gate interface {
	Pass(ctx context.Context, userID string, tokenHash []byte, now time.Time, rules []ratelimit.Rule, d []time.Duration,
		keys []cache.PrefetchKey, into *cache.Prefetched) (verified, admitted bool, err error)
}

// viaLimiter is a Limiter that can decide through a Gate.
type viaLimiter interface {
	LimitVia(ctx context.Context, policies []string, h http.Header, via ratelimit.Via) (ok, decided bool, retryAfter time.Duration)
}

// Config configures a Server. Auth, Topics, Questions, Tutor and
// Conversations are
// required; the rest have usable zero values.
type Config struct {
	// Store tells whether the primary database is ready (GET /readyz).
	Store interface {
		Ping(ctx context.Context) error
	}
	// Auth registers users and checks tokens.
	Auth *auth.Service
	// Topics and Questions keep topics and question banks (usually the
	// cache decorators over the primary store).
	Topics    recall.TopicStore
	Questions recall.QuestionStore
	// Users keeps the users' settings (PATCH /v1/me); usually the cache
	// decorator over the primary store, which UpdateUser invalidates.
	Users recall.UserStore
	// Roles is where GET /v1/ops reads the caller's role on every request;
	// nil means Users. With in-process caches it should be the primary
	// store, which `recall admin` writes to directly; with Redis the cache
	// decorator, whose copy `recall admin --redis` drops.
	Roles interface {
		UserByID(ctx context.Context, id string) (*recall.User, error)
	}
	// Ops gives the operations figures of GET /v1/ops (an *ops.Sampler);
	// nil answers 503.
	Ops interface {
		View(ctx context.Context) ops.View
	}
	// Memories gives a user's memory states (usually the cache decorator).
	Memories recall.MemoryStore
	// Tutor runs learning sessions.
	Tutor *tutor.Engine
	// Conversations runs conversations with the tutor.
	Conversations *tutor.Conversations
	// LLM writes questions from prose (an *llm.Client); nil refuses prose
	// with 400.
	LLM QuestionWriter
	// Limiter decides rate limits; nil means no rate limiting.
	Limiter Limiter
	// Gate, when set with a Limiter that can decide through it
	// (ratelimit.Limiter's LimitVia), checks the token of a request that
	// claims its user, decides the route's rate limits and reads the keys
	// the route will read, in one round trip (redis.Gate); a request it
	// cannot vouch for takes the usual path. nil: the usual path always.
	Gate Gate
	// GateStatesOnly says that the keys the gate would read are
	// near-cached (local already) but for states (sessions, which are
	// never near-cached): the gate then serves only the routes that read
	// a state, and reads only the states; the other routes authenticate
	// and limit the usual way (the limiter's one round trip).
	GateStatesOnly bool
	// TrustedProxies are the peers whose X-Forwarded-For is believed when
	// finding a client's address.
	TrustedProxies []netip.Prefix
	// RedisStatus reports "ok", "degraded" or "disabled" for GET /readyz;
	// nil means "disabled".
	RedisStatus func(ctx context.Context) string
	// Metrics receives the HTTP series; nil counts nothing.
	Metrics *metrics.Metrics
	// Gatherer is what GET /metrics exposes; nil exposes an empty registry.
	Gatherer prometheus.Gatherer
	// MetricsApart leaves GET /metrics out of this server (404): it is
	// served on a listener of its own (MetricsServer).
	MetricsApart bool
	// Logger receives the access log and internal errors; nil discards.
	Logger *slog.Logger
	// Now returns the current time for the timestamps the server sets;
	// nil means time.Now.
	Now func() time.Time
	// RequestTimeout bounds the work of one request: its context is done
	// after it, so a database that stops answering (a partition, a hung
	// server) gives 503 unavailable instead of a request that waits
	// forever. Zero means DefaultRequestTimeout; negative means none.
	RequestTimeout time.Duration
	// App is the web app served beside the API (package webapp): the
	// requests it Serves go to it, outside the route table, except that
	// the API's own paths are never given to it. nil serves no app.
	App WebApp
}

// WebApp is a browser app served at the paths it claims.
type WebApp interface {
	http.Handler
	// Serves reports whether the app answers the URL path p.
	Serves(p string) bool
}

// QuestionWriter writes questions from prose (implemented by llm.Client).
type QuestionWriter interface {
	GenerateQuestions(ctx context.Context, req llm.GenerateRequest) ([]recall.QuestionInput, llm.Usage, error)
}

// Route is one entry of the route table.
type Route struct {
	// Method is the HTTP method, e.g. "GET".
	Method string
	// Pattern is the path pattern in ServeMux syntax, e.g. "/v1/topics/{id}".
	Pattern string
	// Auth is true if the route needs a bearer token.
	Auth bool
	// Policies are the rate-limit policies that apply, all at once.
	Policies []string
	// MaxBody is the largest request body, in bytes; 0 means MaxBodyBytes.
	MaxBody int64
	// Timeout bounds the work of the request instead of
	// Config.RequestTimeout when it is longer (a 10,000-row import).
	Timeout time.Duration

	handle handlerFunc
	// prefetch names the cached keys the route will read for the user, to
	// be read with the token check (Config.Gate); nil reads none ahead.
	prefetch func(r *http.Request, userID string) []cache.PrefetchKey
}

// handlerFunc is a route's handler: it writes a success response itself,
// or returns an error for the server to write.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Server is Recall's HTTP API. It is safe for concurrent use.
type Server struct {
	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	routes    []Route
	byPattern map[string]*Route // by ServeMux pattern, "GET /v1/me"
	mux       *http.ServeMux
	handler   http.Handler

	metricsHandler http.Handler

	// sessionTopics remembers the topics of the sessions served here, for
	// the gate to read a turn's question bank (turnKeys); nil without a
	// gate.
	sessionTopics *cache.SessionTopics

	// buffers holds *[]byte response buffers for reuse (responseBuffer).
	buffers sync.Pool
}

// NewServer returns a Server for cfg.
func NewServer(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if cfg.Gate != nil && !cfg.GateStatesOnly {
		// With GateStatesOnly the bank is near-cached: the gate reads
		// states alone.
		s.sessionTopics = cache.NewSessionTopics(0)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cfg.Gatherer == nil {
		s.cfg.Gatherer = prometheus.NewRegistry()
	}
	s.metricsHandler = promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	})
	s.routes = s.routeTable()
	if cfg.MetricsApart {
		s.routes = slices.DeleteFunc(s.routes, func(rt Route) bool { return rt.Pattern == "/metrics" })
	}
	s.mux = http.NewServeMux()
	s.byPattern = make(map[string]*Route, len(s.routes))
	for i := range s.routes {
		rt := &s.routes[i]
		key := rt.Method + " " + rt.Pattern
		s.byPattern[key] = rt
		s.mux.Handle(key, s.routeHandler(rt))
	}
	s.handler = s.withApp(http.HandlerFunc(s.serveHTTP))
	return s
}

// withApp puts the security headers on every response and gives the web
// app the requests it claims, never one of the API's paths.
func (s *Server) withApp(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webapp.SecurityHeaders(w.Header())
		if s.cfg.App != nil && !isAPIPath(r.URL.Path) && s.cfg.App.Serves(r.URL.Path) {
			s.cfg.App.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// isAPIPath reports whether p belongs to the API (or operations) and so is
// never the web app's.
func isAPIPath(p string) bool {
	switch p {
	case "/healthz", "/readyz", "/metrics", "/v1":
		return true
	}
	return strings.HasPrefix(p, "/v1/")
}

// routeTable lists every route of the API.
func (s *Server) routeTable() []Route {
	user := []string{PolicyDefault}
	writes := []string{PolicyDefault, PolicyWrites}
	turns := []string{PolicyDefault, PolicyTurns}
	ip := []string{PolicyAuth}
	return []Route{
		{Method: "GET", Pattern: "/healthz", handle: s.healthz},
		{Method: "GET", Pattern: "/readyz", handle: s.readyz},
		{Method: "GET", Pattern: "/metrics", handle: s.metrics},
		{Method: "GET", Pattern: "/v1/openapi.json", handle: s.openAPI},

		{Method: "POST", Pattern: "/v1/users", Policies: ip, handle: s.createUser},
		{Method: "POST", Pattern: "/v1/tokens", Policies: ip, handle: s.createToken},
		{Method: "DELETE", Pattern: "/v1/tokens/current", Auth: true, Policies: user, handle: s.deleteToken},
		{Method: "GET", Pattern: "/v1/me", Auth: true, Policies: user, handle: s.me, prefetch: s.meKeys},
		{Method: "PATCH", Pattern: "/v1/me", Auth: true, Policies: writes, handle: s.updateMe},
		{Method: "GET", Pattern: "/v1/ops", Auth: true, Policies: user, handle: s.opsView},

		{Method: "POST", Pattern: "/v1/topics", Auth: true, Policies: writes, handle: s.createTopic},
		{Method: "GET", Pattern: "/v1/topics", Auth: true, Policies: user, handle: s.listTopics, prefetch: s.topicListKeys},
		{Method: "GET", Pattern: "/v1/topics/{id}", Auth: true, Policies: user, handle: s.getTopic, prefetch: s.topicKeys},
		{Method: "PATCH", Pattern: "/v1/topics/{id}", Auth: true, Policies: writes, handle: s.updateTopic},
		{Method: "DELETE", Pattern: "/v1/topics/{id}", Auth: true, Policies: writes, handle: s.deleteTopic},

		{Method: "POST", Pattern: "/v1/topics/{id}/questions", Auth: true, Policies: writes, handle: s.addQuestions},
		{Method: "POST", Pattern: "/v1/topics/{id}/questions/generate", Auth: true, Policies: writes, MaxBody: maxGenerateBody, Timeout: generateTimeout, handle: s.generateQuestions},
		{Method: "POST", Pattern: "/v1/topics/{id}/questions/import", Auth: true, Policies: writes, MaxBody: MaxImportBytes, Timeout: importTimeout, handle: s.importQuestions},
		{Method: "GET", Pattern: "/v1/topics/{id}/questions/export", Auth: true, Policies: user, Timeout: importTimeout, handle: s.exportQuestions},
		{Method: "GET", Pattern: "/v1/topics/{id}/questions", Auth: true, Policies: user, handle: s.listQuestions},
		{Method: "GET", Pattern: "/v1/topics/{id}/questions/{qid}", Auth: true, Policies: user, handle: s.getQuestion},
		{Method: "PATCH", Pattern: "/v1/topics/{id}/questions/{qid}", Auth: true, Policies: writes, handle: s.updateQuestion},
		{Method: "DELETE", Pattern: "/v1/topics/{id}/questions/{qid}", Auth: true, Policies: writes, handle: s.deleteQuestion},

		{Method: "POST", Pattern: "/v1/sessions", Auth: true, Policies: user, handle: s.startSession},
		{Method: "GET", Pattern: "/v1/sessions", Auth: true, Policies: user, handle: s.listSessions},
		{Method: "GET", Pattern: "/v1/sessions/{id}", Auth: true, Policies: user, handle: s.getSession},
		{Method: "POST", Pattern: "/v1/sessions/{id}/turns", Auth: true, Policies: turns, handle: s.createTurn, prefetch: s.turnKeys},
		{Method: "GET", Pattern: "/v1/sessions/{id}/turns", Auth: true, Policies: user, handle: s.listTurns},
		{Method: "POST", Pattern: "/v1/sessions/{id}/end", Auth: true, Policies: user, handle: s.endSession},

		{Method: "POST", Pattern: "/v1/conversations", Auth: true, Policies: writes, handle: s.startConversation},
		{Method: "GET", Pattern: "/v1/conversations", Auth: true, Policies: user, handle: s.listConversations},
		{Method: "GET", Pattern: "/v1/conversations/{id}", Auth: true, Policies: user, handle: s.getConversation},
		{Method: "POST", Pattern: "/v1/conversations/{id}/messages", Auth: true, Policies: turns, Timeout: messageTimeout, handle: s.createMessage},
		{Method: "POST", Pattern: "/v1/conversations/{id}/end", Auth: true, Policies: user, handle: s.endConversation},
		{Method: "DELETE", Pattern: "/v1/conversations/{id}", Auth: true, Policies: writes, handle: s.deleteConversation},
	}
}

// Routes returns a copy of the route table: every method and pattern the
// server answers, whether it needs a token and its rate-limit policies.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.routes))
	for i, rt := range s.routes {
		rt.Policies = append([]string(nil), rt.Policies...)
		rt.handle = nil
		out[i] = rt
	}
	return out
}

// Handler returns the server's http.Handler, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer returns an *http.Server for addr with timeouts and limits that
// keep slow or hostile clients (slow-loris, huge headers, idle connections)
// from holding resources.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    serverMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// maxPooledBuffer bounds the response buffers kept for reuse: the buffer of
// a rare huge response (thousands of topics in the full view) goes to the
// garbage collector rather than staying pinned in the pool.
const maxPooledBuffer = 64 << 10

// responseBuffer returns an empty buffer with room for n bytes, reusing one
// of an earlier response when it can: a hot response then encodes without
// allocating. Give it back with releaseBuffer once the body is written (a
// ResponseWriter does not keep what it is given).
func (s *Server) responseBuffer(n int) *[]byte {
	buf, _ := s.buffers.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	if cap(*buf) < n {
		*buf = make([]byte, 0, n)
	}
	return buf
}

// releaseBuffer returns buf, taken from responseBuffer, for reuse.
func (s *Server) releaseBuffer(buf *[]byte) {
	if cap(*buf) > maxPooledBuffer {
		return
	}
	*buf = (*buf)[:0]
	s.buffers.Put(buf)
}
