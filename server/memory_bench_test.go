package server

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rawWSDial opens a websocket to url with a bare TCP connection (so the
// client side costs next to nothing in this process), reads the 101, and
// sends one masked text frame.
func rawWSDial(tb testing.TB, addr, path, frame string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		tb.Fatal(err)
	}
	br := bufio.NewReaderSize(c, 64)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		tb.Fatalf("upgrade: %v %v", resp, err)
	}
	// A masked text frame with a zero mask: payload bytes unchanged.
	msg := append([]byte{0x81, 0x80 | byte(len(frame)), 0, 0, 0, 0}, frame...)
	if _, err := c.Write(msg); err != nil {
		tb.Fatal(err)
	}
	return c
}

func heapAndStacks() uint64 {
	for range 3 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// BenchmarkIdleWebSocketSession measures the memory an idle Engine.IO 4
// websocket session costs the server once its socket has joined "/":
// bytes/session is the growth of heap and goroutine stacks per session,
// over 1,000 sessions (the raw test clients' share is included and small).
func BenchmarkIdleWebSocketSession(b *testing.B) {
	const n = 1000
	srv := New(Options{PingInterval: time.Hour, PingTimeout: time.Hour})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(b.Context())
	addr := strings.TrimPrefix(ts.URL, "http://")

	before := heapAndStacks()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = rawWSDial(b, addr, "/socket.io/?EIO=4&transport=websocket", "40")
	}
	for deadline := time.Now().Add(30 * time.Second); len(srv.Of("/").Sockets()) < n; {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d sockets connected", len(srv.Of("/").Sockets()), n)
		}
		runtime.Gosched()
	}
	srv.reg.Wait() // handler goroutines have gone idle
	after := heapAndStacks()
	for b.Loop() {
	}
	b.ReportMetric(float64(after-before)/n, "bytes/session")
	for _, c := range conns {
		c.Close()
	}
}
