package http

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// TestTokensNeverLogged runs requests carrying tokens and passwords through
// a server that logs everything (JSON, debug level), including an internal
// error with a stack trace, a 401 and a revocation, and checks that no
// token or password reaches the log.
func TestTokensNeverLogged(t *testing.T) {
	jsonLogs := &syncBuffer{}
	e := newEnv(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(jsonLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.Topics = failingTopics{TopicStore: c.Topics, panic: true}
	})
	const password = "password-hunter2-secret"
	cred := map[string]string{"username": "ada", "password": password}
	e.do(req{method: "POST", path: "/v1/users", body: cred}).want(t, 201, nil)
	var tok struct{ Token string }
	e.do(req{method: "POST", path: "/v1/tokens", body: cred}).want(t, 201, &tok)
	e.do(req{method: "POST", path: "/v1/tokens", body: map[string]string{"username": "ada", "password": password + "x"}}).wantError(t, 401, "unauthorized")

	e.do(req{method: "GET", path: "/v1/me", token: tok.Token}).want(t, 200, nil)
	e.do(req{method: "GET", path: "/v1/topics", token: tok.Token}).wantError(t, 500, "internal") // a panic, logged with its stack
	e.do(req{method: "POST", path: "/v1/topics", token: tok.Token, body: map[string]string{"title": "t"}}).want(t, 201, nil)
	e.do(req{method: "GET", path: "/v1/nowhere", token: tok.Token}).wantError(t, 404, "not_found")
	forged := neverIssued(tok.Token)
	e.do(req{method: "GET", path: "/v1/me", token: forged}).wantError(t, 401, "unauthorized")
	e.do(req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": "Bearer not-a-token-but-secret-looking"}}).wantError(t, 401, "unauthorized")
	e.do(req{method: "DELETE", path: "/v1/tokens/current", token: tok.Token}).want(t, 204, nil)
	e.do(req{method: "GET", path: "/v1/me", token: tok.Token}).wantError(t, 401, "unauthorized")

	logs := jsonLogs.String() + e.logs.String()
	if !strings.Contains(jsonLogs.String(), `"msg":"http request"`) || !strings.Contains(jsonLogs.String(), "panic") {
		t.Fatalf("the JSON log lacks the access log or the panic, so the test proves nothing:\n%s", jsonLogs)
	}
	for _, secret := range []string{tok.Token, tok.Token[len(tok.Token)-20:], forged, "not-a-token-but-secret-looking", password} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log shows %q:\n%s", secret, logs)
		}
	}
}

// serveReal serves the env's handler over TCP with hs, edited first by
// edit; it returns the address.
func serveReal(t *testing.T, e *env, edit func(*http.Server)) string {
	t.Helper()
	hs := e.server.HTTPServer("127.0.0.1:0")
	edit(hs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().String()
}

// trickle writes s one byte at a time every gap, until it is all sent or
// the server closes the connection; it reports how many bytes went out and
// whether the server closed the connection before the end.
func trickle(t *testing.T, conn net.Conn, s string, gap time.Duration) (sent int, closed bool) {
	t.Helper()
	gone := make(chan struct{})
	go func() {
		// The server closing the connection ends this read.
		_, _ = io.Copy(io.Discard, conn)
		close(gone)
	}()
	for sent = 0; sent < len(s); sent++ {
		select {
		case <-gone:
			return sent, true
		case <-time.After(gap):
		}
		if _, err := conn.Write([]byte{s[sent]}); err != nil {
			return sent, true
		}
	}
	return sent, false
}

// TestSlowLoris checks the server's slow-client timeouts over real TCP: a
// client that sends its headers a byte at a time, or its body, is
// disconnected by ReadHeaderTimeout or ReadTimeout instead of holding a
// connection (and a goroutine) as long as it likes. The timeouts are made
// short for the test; HTTPServer sets them to seconds.
func TestSlowLoris(t *testing.T) {
	e := newEnv(t)
	if hs := e.server.HTTPServer(""); hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.IdleTimeout <= 0 {
		t.Fatalf("HTTPServer leaves a slow-client timeout unset: %+v", hs)
	}
	addr := serveReal(t, e, func(hs *http.Server) {
		hs.ReadHeaderTimeout = 200 * time.Millisecond
		hs.ReadTimeout = 400 * time.Millisecond
	})
	dial := func(t *testing.T) net.Conn {
		t.Helper()
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	t.Run("Headers", func(t *testing.T) {
		// 200 bytes at 20 ms each would take 4 s: the server must hang up
		// long before.
		head := "GET /healthz HTTP/1.1\r\nHost: recall\r\nX-Slow: " + strings.Repeat("a", 150) + "\r\n\r\n"
		sent, closed := trickle(t, dial(t), head, 20*time.Millisecond)
		if !closed {
			t.Fatalf("the server kept a connection whose headers took %d bytes at 20 ms each", sent)
		}
	})
	t.Run("Body", func(t *testing.T) {
		body := `{"username":"` + strings.Repeat("s", 150) + `","password":"password"}`
		conn := dial(t)
		if _, err := io.WriteString(conn, "POST /v1/users HTTP/1.1\r\nHost: recall\r\nContent-Type: application/json\r\n"+
			"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		sent, closed := trickle(t, conn, body, 20*time.Millisecond)
		if !closed {
			t.Fatalf("the server kept a connection whose body took %d bytes at 20 ms each", sent)
		}
	})
	t.Run("FastClientServed", func(t *testing.T) {
		conn := dial(t)
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: recall\r\nConnection: close\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
}

// TestHeaderSizeBounded sends a header far over MaxHeaderBytes over real
// TCP: the server refuses it (431) without reading it all into memory.
func TestHeaderSizeBounded(t *testing.T) {
	e := newEnv(t)
	addr := serveReal(t, e, func(*http.Server) {})
	r, err := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Huge", strings.Repeat("h", 256<<10))
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 256 KiB header got %d, want 431", res.StatusCode)
	}
}

// blockingTopics is a TopicStore whose reads wait until their context is
// done, like a database that stopped answering.
type blockingTopics struct{ recall.TopicStore }

func (b blockingTopics) Topics(ctx context.Context, userID string) ([]*recall.Topic, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestRequestTimeout checks that a request whose store stops answering
// ends with 503 unavailable when its deadline passes, not never; and that
// the deadline is on by default.
func TestRequestTimeout(t *testing.T) {
	if NewServer(Config{}).requestTimeout() != DefaultRequestTimeout || DefaultRequestTimeout <= 0 {
		t.Fatal("no request deadline by default")
	}
	e := newEnv(t, func(c *Config) {
		c.Topics = blockingTopics{c.Topics}
		// Long enough that the sign-up and /v1/me below finish within it on
		// a loaded machine; only the blocked read waits it out.
		c.RequestTimeout = 2 * time.Second
	})
	tok := e.signUp("ada")
	r := e.do(req{method: "GET", path: "/v1/topics", token: tok})
	r.wantError(t, 503, "unavailable")
	if strings.Contains(string(r.body), "deadline") || strings.Contains(string(r.body), "context") {
		t.Fatalf("the 503 shows internals: %s", r.body)
	}
	e.do(req{method: "GET", path: "/v1/me", token: tok}).want(t, 200, nil)
}
