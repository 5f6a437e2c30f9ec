package server

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
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
	heap, stacks := heapStacks()
	return heap + stacks
}

// heapStacks reports the live heap and the goroutine stacks, after
// collecting garbage.
func heapStacks() (heap, stacks uint64) {
	for range 3 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse
}

// awaitParked waits until n websockets of srv are parked, where
// connections park (see transports.Parker), so that a measurement counts
// idle sessions as they stay, not readers still waiting out IdleWait.
func awaitParked(tb testing.TB, srv *Server, n int) {
	tb.Helper()
	if srv.eng.parker == nil {
		return
	}
	deadline := time.After(30 * time.Second)
	for {
		now, _, changed := srv.eng.parker.Parked()
		if now >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			tb.Fatalf("only %d of %d websockets parked", now, n)
		}
	}
}

// BenchmarkIdleWebSocketSession measures the memory an idle Engine.IO 4
// websocket session costs the server once its socket has joined "/" and,
// where connections park, its connection has parked: bytes/session is the
// growth of heap and goroutine stacks per session, over 1,000 sessions (the
// raw test clients' share is included and small); stack-bytes/session is
// the stacks' part of it, goroutines/session the goroutines left.
func BenchmarkIdleWebSocketSession(b *testing.B) {
	const n = 1000
	srv := New(Options{PingInterval: time.Hour, PingTimeout: time.Hour})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(b.Context())
	addr := strings.TrimPrefix(ts.URL, "http://")

	heap0, stacks0 := heapStacks()
	g0 := runtime.NumGoroutine()
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
	awaitParked(b, srv, n)
	heap1, stacks1 := heapStacks()
	g1 := runtime.NumGoroutine()
	for b.Loop() {
	}
	b.ReportMetric((float64(heap1)-float64(heap0)+float64(stacks1)-float64(stacks0))/n, "bytes/session")
	b.ReportMetric((float64(stacks1)-float64(stacks0))/n, "stack-bytes/session")
	b.ReportMetric(float64(g1-g0)/n, "goroutines/session")
	for _, c := range conns {
		c.Close()
	}
}

// BenchmarkSlowConsumerMemory is the slow-consumer scenario at full size,
// with default options: a websocket client that never reads stays in the
// room while 300 broadcasts of 900 KB go to it and to a healthy client
// (each broadcast waits until the healthy client has it). It reports the
// server's peak heap (after GC, sampled every broadcast) and the heap once
// the broadcasts are over, both above the start, and the process's peak
// RSS. Run it once: go test -run '^$' -bench SlowConsumerMemory -benchtime 1x ./server/
func BenchmarkSlowConsumerMemory(b *testing.B) {
	const rounds, size = 300, 900_000
	srv := New(Options{PingInterval: time.Hour, PingTimeout: time.Hour})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(b.Context())
	addr := strings.TrimPrefix(ts.URL, "http://")

	healthy, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer healthy.Close()
	if err := healthy.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		b.Fatal(err)
	}
	for range 2 { // open packet, connect answer
		if _, _, err := healthy.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	slow := rawWSDial(b, addr, "/socket.io/?EIO=4&transport=websocket", "40")
	defer slow.Close()
	for deadline := time.Now().Add(10 * time.Second); len(srv.Of("/").Sockets()) < 2; runtime.Gosched() {
		if time.Now().After(deadline) {
			b.Fatal("the slow client did not connect")
		}
	}

	start := heapAndStacks()
	peak := start
	chunk := strings.Repeat("x", size)
	for i := range rounds {
		if err := srv.Of("/").Emit("tick", i, chunk); err != nil {
			b.Fatal(err)
		}
		if _, _, err := healthy.ReadMessage(); err != nil {
			b.Fatalf("healthy client, broadcast %d: %v", i, err)
		}
		peak = max(peak, heapAndStacks())
	}
	after := heapAndStacks()
	for b.Loop() {
	}
	b.ReportMetric(float64(peak-start)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(max(after, start)-start)/(1<<20), "after-heap-MiB")
	if hwm := vmHWM(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
	}
	b.ReportMetric(float64(len(srv.Of("/").Sockets())), "sockets-left")
}

// vmHWM is the process's peak resident set size in bytes, where Linux
// reports it (0 elsewhere).
func vmHWM() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
