package http

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/recallhq/recall"
)

// Error codes the HTTP layer adds to the domain's (recall.E*): they only
// make sense at this layer.
const (
	errMethodNotAllowed     = "method_not_allowed"
	errUnsupportedMediaType = "unsupported_media_type"
	errHeadersTooLarge      = "headers_too_large"
	// statusClientClosed is logged (nginx's convention) when the client
	// went away before the response; the client never sees it.
	statusClientClosed = 499
)

// statusOf is the one table from error codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case recall.EINVALID:
		return http.StatusBadRequest
	case recall.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case recall.EFORBIDDEN:
		return http.StatusForbidden
	case recall.ENOTFOUND:
		return http.StatusNotFound
	case errMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case recall.ECONFLICT, recall.ENOTHINGDUE:
		return http.StatusConflict
	case recall.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case errUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case errHeadersTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge
	case recall.ERATELIMITED:
		return http.StatusTooManyRequests
	case recall.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    string               `json:"code"`
	Message string               `json:"message"`
	Fields  map[string]string    `json:"fields,omitempty"`
	Lines   []recall.LineProblem `json:"lines,omitempty"`
	// NextDueAt is set on nothing_due: when the next question is due
	// (null when no question ever will be).
	NextDueAt *time.Time `json:"next_due_at,omitempty"`
}

// sizeText writes a body limit for a person: "1 MiB", "32 MiB".
func sizeText(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// genericMessage is what a person sees of an internal error.
const genericMessage = "An internal error has occurred. Quote the request id when reporting it."

// writeError writes err as a JSON error response. Internal errors are
// logged with the request id and shown as a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ri := info(r)
	code, msg := recall.ErrorCode(err), recall.ErrorMessage(err)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		code, msg = recall.ETOOLARGE, "The request body must not be larger than "+sizeText(mbe.Limit)+"."
	case isCanceled(r, err):
		// The client is gone: nothing to tell it, nothing to alarm about.
		s.log.DebugContext(r.Context(), "request canceled", "request_id", ri.id, "route", ri.route)
		w.WriteHeader(statusClientClosed)
		return
	case code == recall.EINTERNAL && errors.Is(err, context.DeadlineExceeded):
		code, msg = recall.EUNAVAILABLE, "The service is busy. Try again shortly."
	}
	status := statusOf(code)
	switch {
	case status == http.StatusInternalServerError:
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("request_id", ri.id), slog.String("method", r.Method),
			slog.String("route", ri.route), slog.String("err", err.Error()))
		code, msg = recall.EINTERNAL, genericMessage
	case status == http.StatusServiceUnavailable:
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "unavailable",
			slog.String("request_id", ri.id), slog.String("route", ri.route), slog.String("err", err.Error()))
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	body := errorBody{Error: errorJSON{Code: code, Message: msg}}
	if code == recall.EINVALID {
		body.Error.Fields = recall.ErrorFields(err)
		body.Error.Lines = recall.ErrorLines(err)
	}
	if code == recall.ENOTHINGDUE {
		if at := recall.ErrorNextDueAt(err); !at.IsZero() {
			at = at.UTC()
			body.Error.NextDueAt = &at
		}
	}
	s.writeJSON(w, r, status, body)
}

// writeJSON writes v as the JSON body of a response with the given status.
// The body is encoded before anything is sent, so an encoding failure is
// still a clean 500.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.encodeFailed(w, r, err)
		return
	}
	writeBody(w, status, append(b, '\n'))
}

// encodeFailed answers with a clean 500 a response whose body could not be
// encoded (nothing of it has been sent), and logs why.
func (s *Server) encodeFailed(w http.ResponseWriter, r *http.Request, err error) {
	ri := info(r)
	s.log.ErrorContext(r.Context(), "encode response", "request_id", ri.id, "route", ri.route, "err", err)
	b, _ := json.Marshal(errorBody{Error: errorJSON{Code: recall.EINTERNAL, Message: genericMessage}})
	writeBody(w, http.StatusInternalServerError, append(b, '\n'))
}

// writeBody sends b, a whole JSON body, with the given status. It sets
// Content-Length: without it net/http sends any body over 2 KB chunked,
// which costs a chunk header per write and hides the size from the client.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// noContent writes a 204 response.
func noContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}
