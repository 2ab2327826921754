package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// seen is what the test server received in one request.
type seen struct {
	method, uri, contentType, auth, body string
}

// clientTestServer is a server for the client's tests: /echo answers with
// what it received, /fail with a 418 and a long body, /bad with a 200 that
// is not JSON, /slow once the request is gone (or after a while),
// /metrics with a few counters. It records every request and counts the
// connections opened.
func clientTestServer(t *testing.T) (_ *httptest.Server, last func() seen, requests, conns *atomic.Int64) {
	t.Helper()
	var mu sync.Mutex
	var prev seen
	requests, conns = new(atomic.Int64), new(atomic.Int64)
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := seen{r.Method, r.RequestURI, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(b)}
		mu.Lock()
		prev = s
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"method": s.method, "uri": s.uri, "body": s.body})
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "  "+strings.Repeat("x", 400))
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "not json")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler) // the connection is cut, no answer
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "# HELP x\n"+
			`recall_db_queries_total{kind="read",op="Topics"} 3`+"\n"+
			`recall_db_queries_total{kind="write",op="Topic"} 9`+"\n"+
			`recall_redis_calls_total{op="get"} 4`+"\n"+
			"process_resident_memory_bytes 1e+06\n")
		// A long tail, as a real server's /metrics has.
		for i := range 20000 {
			fmt.Fprintf(w, "some_other_metric{i=\"%d\"} %d\n", i, i)
		}
	})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, func() seen { mu.Lock(); defer mu.Unlock(); return prev }, requests, conns
}

func TestClientCall(t *testing.T) {
	srv, last, requests, _ := clientTestServer(t)
	c, err := newClient(srv.URL+"/", 4)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	ctx := t.Context()

	// A body and a token, into out.
	var out map[string]string
	if err := c.call(ctx, "POST", "/echo?view=full", "tok", map[string]string{"a": "<b>"}, &out); err != nil {
		t.Fatal(err)
	}
	want := seen{"POST", "/echo?view=full", "application/json", "Bearer tok", `{"a":"\u003cb\u003e"}` + "\n"}
	if got := last(); got != want {
		t.Errorf("server saw %+v, want %+v", got, want)
	}
	if out["method"] != "POST" || out["uri"] != "/echo?view=full" {
		t.Errorf("decoded %v", out)
	}

	// Neither body nor token, answer dropped.
	if err := c.call(ctx, "GET", "/echo", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := last(), (seen{method: "GET", uri: "/echo"}); got != want {
		t.Errorf("server saw %+v, want %+v", got, want)
	}

	// A non-2xx answer.
	err = c.call(ctx, "PATCH", "/fail", "tok", map[string]int{"n": 1}, &out)
	var se *statusError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *statusError", err)
	}
	if se.method != "PATCH" || se.path != "/fail" || se.status != http.StatusTeapot || se.body != strings.Repeat("x", 298) {
		t.Errorf("got %s %s %d %q", se.method, se.path, se.status, se.body)
	}

	// A 2xx answer that is not JSON: an error when decoded, none when dropped.
	err = c.call(ctx, "GET", "/bad", "", nil, &out)
	var syn *json.SyntaxError
	if err == nil || !strings.HasPrefix(err.Error(), "GET /bad: decode: ") || !errors.As(err, &syn) {
		t.Errorf("got %v, want a decode error", err)
	}
	if err := c.call(ctx, "GET", "/bad", "", nil, nil); err != nil {
		t.Errorf("dropped answer: %v", err)
	}

	// A cancelled context sends nothing.
	n := requests.Load()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.call(cctx, "GET", "/echo", "", nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
	if requests.Load() != n {
		t.Error("a request was sent with a cancelled context")
	}

	// A context's deadline ends the request.
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := c.call(dctx, "GET", "/slow", "", nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("deadline: the request took %v", d)
	}
}

// TestClientConnections checks that concurrent requests share at most
// conns connections, which the client keeps open between requests.
// TestClientNoRetry: a request whose connection is cut is an error, sent
// once, GET included (fasthttp retries idempotent requests by default).
func TestClientNoRetry(t *testing.T) {
	srv, _, requests, _ := clientTestServer(t)
	c, err := newClient(srv.URL, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, method := range []string{"GET", "POST"} {
		before := requests.Load()
		if err := c.call(t.Context(), method, "/abort", "", nil, nil); err == nil {
			t.Errorf("%s of a cut connection: no error", method)
		}
		if n := requests.Load() - before; n != 1 {
			t.Errorf("%s of a cut connection was sent %d times, want once", method, n)
		}
	}
}

func TestClientConnections(t *testing.T) {
	srv, _, _, conns := clientTestServer(t)
	const n = 4
	c, err := newClient(srv.URL, n)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	var wg sync.WaitGroup
	for range 2 * n {
		wg.Go(func() {
			for range 50 {
				var out map[string]string
				if err := c.call(t.Context(), "POST", "/echo", "tok", map[string]int{"n": 1}, &out); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := conns.Load(); got > n {
		t.Errorf("%d connections opened, want at most %d", got, n)
	}
}

func TestClientMetrics(t *testing.T) {
	srv, _, _, _ := clientTestServer(t)
	c, err := newClient(srv.URL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	m, err := c.metrics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !m.found || m.dbReads != 3 || m.redisCalls != 4 || m.rssBytes != 1e6 || m.by["db:Topics"] != 3 {
		t.Errorf("got %+v", m)
	}
}

func TestNewClientBadURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://127.0.0.1", "http://"} {
		if _, err := newClient(u, 1); err == nil {
			t.Errorf("newClient(%q): no error", u)
		}
	}
}

// TestQuizzedPrompt reads the question out of a tutor's quiz, so that the
// message operation answers it rightly.
func TestQuizzedPrompt(t *testing.T) {
	q := makeQuestion(5, 1, 3)
	reply := "Here is a question from your notes: " + q.Prompt + "\n\nYour next message is your answer."
	if got := rightAnswer(quizzedPrompt(reply)); got != q.Answers[0] {
		t.Errorf("the answer read from the quiz is %q, want %q", got, q.Answers[0])
	}
	if got := quizzedPrompt("I could not find anything about that in your notes."); got != "" {
		t.Errorf("quizzedPrompt of a reply that asks nothing = %q", got)
	}
}
