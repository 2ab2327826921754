package bench

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// echoServer echoes every connection until its client closes its write
// side, then closes. It stops with the test.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			})
		}
	})
	return ln.Addr().String()
}

func TestProxyDelaysEachDirection(t *testing.T) {
	const d = 20 * time.Millisecond
	echo := echoServer(t)
	for _, tc := range []struct {
		name     string
		up, down time.Duration
	}{{"Up", d, 0}, {"Down", 0, d}, {"Both", d, 2 * d}} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewProxy(echo, tc.up, tc.down)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			buf := make([]byte, 4)
			// A round trip crosses the proxy both ways: it takes at least
			// up+down. (A lower bound only: how much longer is not asserted.)
			for i := range 3 {
				start := time.Now()
				if _, err := c.Write([]byte("ping")); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					t.Fatal(err)
				}
				if rtt := time.Since(start); rtt < tc.up+tc.down {
					t.Fatalf("round trip %d took %v through a proxy adding %v up and %v down, want ≥ %v", i, rtt, tc.up, tc.down, tc.up+tc.down)
				}
				if string(buf) != "ping" {
					t.Fatalf("echo = %q", buf)
				}
			}
		})
	}
}

func TestProxyPassesDataIntactAndHalfCloses(t *testing.T) {
	p, err := NewProxy(echoServer(t), time.Millisecond, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		errc <- err
	}()
	// The echo ends only if the proxy passes the half-close on: ReadAll
	// returns at EOF.
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes back, want the same %d bytes", len(got), len(data))
	}
}

func TestProxyCloseCutsConnections(t *testing.T) {
	p, err := NewProxy(echoServer(t), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// Close returned: the connection is cut, so the read ends (no hang).
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read after the proxy closed returned data")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the connection outlived the proxy's Close")
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("the proxy still accepts connections after Close")
	}
	if _, err := NewProxy("127.0.0.1:1", 0, -time.Second); err == nil {
		t.Fatal("NewProxy accepted a negative delay")
	}
}
