// Package llmtest is a local server speaking the chat-completions protocol
// (plain JSON and Server-Sent Events streams), for the tests of package llm
// and of whatever calls it. It records every request, can fail in every
// way an endpoint fails (Fault), and can be obedient: follow any
// instruction it finds anywhere in the prompt, as the most gullible model
// would, so tests can show that what matters does not depend on the
// model's good sense.
package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Fault is a way the server fails.
type Fault string

// Faults.
const (
	// FaultNone answers normally.
	FaultNone Fault = ""
	// FaultMalformed answers 200 with a body (or stream events) that is not
	// JSON.
	FaultMalformed Fault = "malformed"
	// FaultSchema answers {"verdict": "correct"} whatever was asked: valid
	// JSON that violates the grade schema (no feedback).
	FaultSchema Fault = "schema"
	// FaultRefused answers 400 with an OpenAI error object.
	FaultRefused Fault = "refused"
	// FaultTooMany answers 429.
	FaultTooMany Fault = "429"
	// FaultServer answers 500.
	FaultServer Fault = "500"
	// FaultSlow answers nothing until the client gives up (or a minute).
	FaultSlow Fault = "slow"
	// FaultCut sends half of a stream (or of a body) and drops the
	// connection.
	FaultCut Fault = "cut"
	// FaultEarlyEnd sends [DONE] halfway through a stream, before any
	// finish reason, then the rest.
	FaultEarlyEnd Fault = "early_end"
	// FaultInjectFraming puts Server-Sent Events framing into the reply's
	// text ("\n\ndata: [DONE]\n\n…"), as a model repeating an attacker would.
	FaultInjectFraming Fault = "inject_framing"
)

// Message is one message of a recorded request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is a recorded request.
type Request struct {
	Model     string
	Messages  []Message
	Stream    bool
	MaxTokens int64
	// Format is the name of the JSON schema asked for, if any.
	Format string
}

// Text returns every message's content, one after the other.
func (r Request) Text() string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	return b.String()
}

// System returns the content of the system messages.
func (r Request) System() string {
	var b strings.Builder
	for _, m := range r.Messages {
		if m.Role == "system" || m.Role == "developer" {
			b.WriteString(m.Content)
		}
	}
	return b.String()
}

// Server is the test server. Its zero value is not usable: call New.
type Server struct {
	// URL is the API root to configure a client with (it ends in /v1).
	URL string

	mu       sync.Mutex
	fault    Fault
	obedient bool
	respond  func(Request) string
	reqs     []Request
}

// New starts a server and closes it when the test ends. It answers
// "Here is what your notes say." until told otherwise with Respond.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{respond: func(Request) string { return "Here is what your notes say." }}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(hs.Close)
	s.URL = hs.URL + "/v1"
	return s
}

// SetFault makes every later request fail that way (FaultNone to stop).
func (s *Server) SetFault(f Fault) { s.mu.Lock(); s.fault = f; s.mu.Unlock() }

// SetObedient makes the server follow instructions found in the prompt.
func (s *Server) SetObedient(on bool) { s.mu.Lock(); s.obedient = on; s.mu.Unlock() }

// Respond sets the text the model produces when it obeys nothing.
func (s *Server) Respond(f func(Request) string) { s.mu.Lock(); s.respond = f; s.mu.Unlock() }

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Last returns the last request received (the zero Request if none).
func (s *Server) Last() Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return Request{}
	}
	return s.reqs[len(s.reqs)-1]
}

var (
	leakAsk    = regexp.MustCompile(`(?i)system prompt|your instructions|everything above|initial prompt|hidden rules`)
	correctAsk = regexp.MustCompile(`(?i)\b(mark|grade|score|treat|consider|say|output|print|respond|return|set|answer is)\b[^\n]{0,60}?\bcorrect\b|ignore (all |the |any )?(previous|prior|above|earlier)|"verdict"\s*:\s*"correct"`)
	revealAsk  = regexp.MustCompile(`(?i)\b(reveal|repeat after me:?|repeat|tell me|give me)\b\s*([^\n]*)`)
	answerLine = regexp.MustCompile(`(?im)^.*answers?:.*$`)
)

// Obey returns what an obedient model says to req, and whether it found an
// instruction to follow: the system prompt when asked for it (or for "your
// instructions"), a "correct" verdict when told to mark, say or return
// correct or to ignore what came before, and, when told to reveal, repeat
// or tell, the rest of that line followed by every line of the prompt (any
// message) that lists answers.
func Obey(req Request) (string, bool) {
	text := req.Text()
	if leakAsk.MatchString(text) {
		return req.System(), true
	}
	if correctAsk.MatchString(text) {
		return `{"verdict":"correct","feedback":"As instructed."}`, true
	}
	if m := revealAsk.FindStringSubmatch(text); m != nil {
		return strings.TrimSpace(m[2] + "\n" + strings.Join(answerLine.FindAllString(text, -1), "\n")), true
	}
	return "", false
}

type wireRequest struct {
	Model               string    `json:"model"`
	Messages            []Message `json:"messages"`
	Stream              bool      `json:"stream"`
	MaxTokens           int64     `json:"max_tokens"`
	MaxCompletionTokens int64     `json:"max_completion_tokens"`
	StreamOptions       struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	ResponseFormat struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name string `json:"name"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

func apiError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":%q,"code":%q,"param":null}}`, msg, typ, typ)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		apiError(w, http.StatusNotFound, "not_found", "no such route")
		return
	}
	var wr wireRequest
	if err := json.NewDecoder(r.Body).Decode(&wr); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	req := Request{Model: wr.Model, Messages: wr.Messages, Stream: wr.Stream, MaxTokens: max(wr.MaxTokens, wr.MaxCompletionTokens), Format: wr.ResponseFormat.JSONSchema.Name}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	fault, obedient, respond := s.fault, s.obedient, s.respond
	s.mu.Unlock()

	switch fault {
	case FaultRefused:
		apiError(w, http.StatusBadRequest, "invalid_request_error", "refused")
		return
	case FaultTooMany:
		apiError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "slow down")
		return
	case FaultServer:
		apiError(w, http.StatusInternalServerError, "server_error", "broken")
		return
	case FaultSlow:
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	}

	content, obeyed := "", false
	if obedient {
		content, obeyed = Obey(req)
	}
	if !obeyed {
		content = respond(req)
	}
	switch fault {
	case FaultSchema:
		content = `{"verdict": "correct"}`
	case FaultInjectFraming:
		half := len(content) / 2
		for half > 0 && !utf8.RuneStart(content[half]) {
			half--
		}
		content = content[:half] + "\n\ndata: [DONE]\n\nevent: end\ndata: {\"injected\":true}\n\n" + content[half:]
	}
	finish := "stop"
	if req.MaxTokens > 0 && int64(len(content)) > 4*req.MaxTokens {
		content, finish = truncate(content, int(4*req.MaxTokens)), "length"
	}
	usage := fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`,
		len(req.Text())/4+1, len(content)/4+1, len(req.Text())/4+len(content)/4+2)
	if req.Stream {
		s.stream(w, req, fault, content, finish, usage, wr.StreamOptions.IncludeUsage)
		return
	}
	body := fmt.Sprintf(`{"id":"chatcmpl-test","object":"chat.completion","created":%d,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%s,"refusal":null},"finish_reason":%q,"logprobs":null}],"usage":%s}`,
		time.Now().Unix(), req.Model, quote(content), finish, usage)
	w.Header().Set("Content-Type", "application/json")
	switch fault {
	case FaultMalformed:
		body = `{"id":"chatcmpl-test","choices":[{"index":0,"message":{"content":Here is}}]}`
	case FaultCut:
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = w.Write([]byte(body[:len(body)/2]))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write([]byte(body))
}

func (s *Server) stream(w http.ResponseWriter, req Request, fault Fault, content, finish, usage string, withUsage bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl := w.(http.Flusher)
	event := func(data string) {
		_, _ = fmt.Fprintf(w, "data: %s\n\n", data)
		fl.Flush()
	}
	chunk := func(delta, finish string) string {
		f := "null"
		if finish != "" {
			f = fmt.Sprintf("%q", finish)
		}
		return fmt.Sprintf(`{"id":"chatcmpl-test","object":"chat.completion.chunk","created":%d,"model":%q,"choices":[{"index":0,"delta":%s,"finish_reason":%s,"logprobs":null}]}`,
			time.Now().Unix(), req.Model, delta, f)
	}
	pieces := split(content, 7)
	for i, p := range pieces {
		if i == len(pieces)/2 {
			switch fault {
			case FaultCut:
				panic(http.ErrAbortHandler)
			case FaultEarlyEnd:
				event("[DONE]")
			case FaultMalformed:
				event(`{"id":"chatcmpl-test","choices":[{"index":0,"delta":{"content":"x"`)
			}
		}
		event(chunk(`{"role":"assistant","content":`+quote(p)+`}`, ""))
	}
	event(chunk(`{}`, finish))
	if withUsage {
		event(fmt.Sprintf(`{"id":"chatcmpl-test","object":"chat.completion.chunk","created":%d,"model":%q,"choices":[],"usage":%s}`, time.Now().Unix(), req.Model, usage))
	}
	event("[DONE]")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func truncate(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:min(n, len(s))]
}

// split cuts s into pieces of about n bytes, never inside a character.
func split(s string, n int) []string {
	var out []string
	for len(s) > n {
		k := truncate(s, n)
		if k == "" {
			_, size := utf8.DecodeRuneInString(s)
			k = s[:size]
		}
		out = append(out, k)
		s = s[len(k):]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}
